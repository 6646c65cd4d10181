"""The platform backoffice's brand creation: a form, then a page following the run's steps
(``apps.backoffice.brand_creation``). Behind ``brands.add_brand`` (platform admins)."""

from __future__ import annotations

import contextlib
import re

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.backoffice.brand_creation import (
    CreationRefused,
    brand_creation_request,
    brand_creation_retry,
    brand_creation_reveal,
    brand_creation_step,
)
from apps.backoffice.models import BRAND_CREATION_STEPS, BrandCreation
from apps.brands.models import SLUG_RE, Domain
from betting import currencies

ADD_PERMISSION = "brands.add_brand"
MIN_PASSWORD = 12


class BrandCreationForm(forms.Form):
    slug = forms.CharField(
        max_length=40, help_text="short identifier: lower-case letters, digits, hyphens"
    )
    name = forms.CharField(max_length=100)
    domain = forms.CharField(
        max_length=253, help_text="the brand's host name, e.g. bets.example.com"
    )
    currency = forms.CharField(max_length=3, help_text="ISO 4217 code, e.g. EUR")
    staff_username = forms.CharField(max_length=150, label="first staff member's username")
    staff_email = forms.EmailField(required=False, label="their e-mail")
    staff_password = forms.CharField(
        widget=forms.PasswordInput,
        min_length=MIN_PASSWORD,
        label="their password",
        help_text=f"at least {MIN_PASSWORD} characters; they sign in with it and a TOTP code",
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip()
        if not re.match(SLUG_RE, slug):
            raise forms.ValidationError(
                "2-40 lower-case letters, digits or hyphens, starting with a letter",
                code="invalid_slug",
            )
        return slug

    def clean_domain(self) -> str:
        domain = self.cleaned_data["domain"].strip().lower().rstrip(".")
        if Domain.objects.filter(domain=domain).exists():
            raise forms.ValidationError("this domain belongs to a brand", code="duplicate_domain")
        return domain

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if not currencies.is_supported(currency):
            raise forms.ValidationError("not a supported ISO 4217 code", code="unknown_currency")
        return currency


def _actor(request: HttpRequest) -> str:
    return f"{request.tenant.schema_name}:{request.user.get_username()}"


class BrandCreationViews:
    """Mixed into the platform's BrandAdmin: its add page is the creation form."""

    def _creation_allowed(self, request: HttpRequest) -> None:
        if not (
            request.user.is_active
            and request.user.is_staff
            and request.user.has_perm(ADD_PERMISSION)
        ):
            raise PermissionDenied

    def has_add_permission(self, request):
        return request.user.has_perm(ADD_PERMISSION)

    def add_view(self, request, form_url="", extra_context=None):
        self._creation_allowed(request)
        form = BrandCreationForm(request.POST or None)
        error = None
        if request.method == "POST" and form.is_valid():
            try:
                creation = brand_creation_request(**form.cleaned_data, requested_by=_actor(request))
            except CreationRefused as exc:
                error = exc
            else:
                return redirect(reverse("platform_admin:brands_brand_creation", args=[creation.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Create a brand",
            "opts": self.model._meta,
            "form": form,
            "error": error,
            "creations": BrandCreation.objects.all()[:20],
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(
            request, "admin/backoffice/brand_create.html", context, status=status
        )

    def _creation(self, request: HttpRequest, creation_id: int) -> BrandCreation:
        self._creation_allowed(request)
        creation = BrandCreation.objects.filter(pk=creation_id).first()
        if creation is None:
            raise Http404("no such brand creation")
        return creation

    def creation_view(self, request: HttpRequest, creation_id: int) -> HttpResponse:
        creation = self._creation(request, creation_id)
        if request.method == "POST":  # run a failed creation again
            with contextlib.suppress(CreationRefused):  # not failed: the page says what it is
                brand_creation_retry(creation_id=creation.pk)
            return redirect(request.path)
        otpauth = ""
        if creation.status == BrandCreation.Status.DONE and creation.requested_by == _actor(
            request
        ):
            otpauth = brand_creation_reveal(creation=creation)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Creating brand {creation.slug}",
            "opts": self.model._meta,
            "creation": creation,
            "steps": _steps(creation),
            "otpauth": otpauth,
        }
        return TemplateResponse(request, "admin/backoffice/brand_creation.html", context)

    def creation_status_view(self, request: HttpRequest, creation_id: int) -> JsonResponse:
        creation = self._creation(request, creation_id)
        return JsonResponse(
            {
                "status": creation.status,
                "step": brand_creation_step(creation=creation),
                "steps": _steps(creation),
                "error": {"code": creation.error_code, "message": creation.error}
                if creation.status == BrandCreation.Status.FAILED
                else None,
            }
        )

    def creation_urls(self):
        from django.urls import path

        wrap = self.admin_site.admin_view
        return [
            path(
                "creation/<int:creation_id>/",
                wrap(self.creation_view),
                name="brands_brand_creation",
            ),
            path(
                "creation/<int:creation_id>/status/",
                wrap(self.creation_status_view),
                name="brands_brand_creation_status",
            ),
        ]


def _steps(creation: BrandCreation) -> list[dict[str, str]]:
    """Each step with its state: done, running, failed or waiting."""
    at = brand_creation_step(creation=creation)
    done_all = creation.status == BrandCreation.Status.DONE
    index = BRAND_CREATION_STEPS.index(at) if at in BRAND_CREATION_STEPS else -1
    out = []
    for i, step in enumerate(BRAND_CREATION_STEPS):
        if done_all or i < index:
            state = "done"
        elif i == index:
            state = "failed" if creation.status == BrandCreation.Status.FAILED else "running"
        else:
            state = "waiting"
        out.append({"step": step, "state": state})
    if creation.status == BrandCreation.Status.FAILED and index == -1:
        out[0]["state"] = "failed"
    return out
