"""The brand site's pages (and the platform's landing page on the public domain)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from apps.site.models import SiteSettings


def home(request: HttpRequest) -> HttpResponse:
    if request.tenant.is_platform:
        return render(request, "site/platform.html")
    look = SiteSettings.objects.first() or SiteSettings(title=request.tenant.name)
    return render(request, "site/home.html", {"look": look, "brand": request.tenant})


def ping(request: HttpRequest) -> JsonResponse:
    """The smallest page a brand serves, through the full middleware chain (brand resolution,
    session, CSRF): clients use it to check they reach their brand, benchmarks as the framework
    baseline."""
    return JsonResponse({"brand": request.tenant.slug, "status": "ok"})
