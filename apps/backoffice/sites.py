"""Two admin sites: the platform's global backoffice (public schema, all brands) and each brand's
own backoffice on its domain (its schema's staff, its own data only).

Both need a second factor: staff sign in with their password and a TOTP code from the device
enrolled for them (``create_staff``, ``staff_totp_enrol``), and a session that was not verified
by a device is not let in (django-otp). A wrong code counts as a failed login for the lock-out
(django-axes), as a wrong password does.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.signals import user_login_failed
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class StaffLoginForm(OTPAdminAuthenticationForm):
    """Username, password and the code: the device is the staff member's own one if they have
    exactly one (the usual case), so the login is a single form."""

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user, confirmed=True))
            if len(devices) == 1:
                device = devices[0]
        return device

    def _verify_token(self, user, token, device=None):
        try:
            return super()._verify_token(user, token, device)
        except forms.ValidationError:
            # The password was right and the code was not: a failed login all the same.
            user_login_failed.send(
                sender=type(self),
                credentials={"username": user.get_username()},
                request=self.request,
            )
            raise


class StaffSite(OTPAdminSite):
    login_form = StaffLoginForm


class PlatformAdminSite(StaffSite):
    site_header = "Platform backoffice"
    site_title = "Platform backoffice"
    index_title = "All brands"


class BrandAdminSite(StaffSite):
    site_header = "Brand backoffice"
    site_title = "Brand backoffice"

    def each_context(self, request):
        context = super().each_context(request)
        context["site_header"] = f"{request.tenant.name} backoffice"
        return context


platform_site = PlatformAdminSite(name="platform_admin")
brand_site = BrandAdminSite(name="brand_admin")
