"""The brand site's pages (and the platform's landing page on the public domain)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.site.models import SiteSettings


def home(request: HttpRequest) -> HttpResponse:
    if request.tenant.is_platform:
        return render(request, "site/platform.html")
    look = SiteSettings.objects.first() or SiteSettings(title=request.tenant.name)
    return render(request, "site/home.html", {"look": look, "brand": request.tenant})
