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
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from apps.backoffice.dashboard import brand_dashboard, brands_summary
from apps.brands.models import Brand

DASHBOARD_PERMISSION = "backoffice.view_brandday"


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

    def index(self, request, extra_context=None):
        """Each brand's figures of today and the last 30 days, linked to its dashboard."""
        if request.user.has_perm(DASHBOARD_PERMISSION):
            brands = list(Brand.objects.exclude(schema_name="public").order_by("name"))
            extra_context = {
                **(extra_context or {}),
                "brands_summary": brands_summary(brands=brands),
            }
        return super().index(request, extra_context)

    def get_urls(self):
        own = [
            path(
                "dashboard/<int:brand_id>/",
                self.admin_view(self.brand_dashboard_view),
                name="brand_dashboard",
            )
        ]
        return own + super().get_urls()

    def brand_dashboard_view(self, request, brand_id: int):
        """One brand's dashboard, as its own staff see it on its index page."""
        if not request.user.has_perm(DASHBOARD_PERMISSION):
            raise Http404("no dashboard")  # as for a page that does not exist
        brand = Brand.objects.exclude(schema_name="public").filter(id=brand_id).first()
        if brand is None:
            raise Http404("no such brand")
        dashboard = brand_dashboard(
            brand_id=brand.id, brand_name=brand.name, currency=brand.currency
        )
        context = {
            **self.each_context(request),
            "title": f"{brand.name}: dashboard",
            "dashboard": dashboard,
        }
        return TemplateResponse(request, "backoffice/brand_dashboard.html", context)


class BrandAdminSite(StaffSite):
    site_header = "Brand backoffice"
    site_title = "Brand backoffice"

    def each_context(self, request):
        context = super().each_context(request)
        context["site_header"] = f"{request.tenant.name} backoffice"
        return context

    def index(self, request, extra_context=None):
        """The brand's dashboard above its apps (this brand's figures only: the host's)."""
        if request.user.has_perm(DASHBOARD_PERMISSION):
            brand = request.tenant
            dashboard = brand_dashboard(
                brand_id=brand.id, brand_name=brand.name, currency=brand.currency
            )
            extra_context = {**(extra_context or {}), "dashboard": dashboard}
        return super().index(request, extra_context)


platform_site = PlatformAdminSite(name="platform_admin")
brand_site = BrandAdminSite(name="brand_admin")
