"""The brand site's pages (and the platform's landing page on the public domain)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from apps.catalog.event_lists import events_listed

HIGHLIGHTS = 8  # live events, and as many upcoming ones, on the home page


def home(request: HttpRequest) -> HttpResponse:
    """The brand's start page: live and upcoming highlights with their main market's prices (the
    brand's look comes with every page, from ``site.context_processors``)."""
    if request.tenant.is_platform:
        return render(request, "site/platform.html")
    brand_id = request.tenant.pk
    context = {
        "live_now": events_listed(brand_id, live=True, limit=HIGHLIGHTS),
        "upcoming": events_listed(brand_id, live=False, limit=HIGHLIGHTS),
    }
    return render(request, "site/home.html", context)


def ping(request: HttpRequest) -> JsonResponse:
    """The smallest page a brand serves, through the full middleware chain (brand resolution,
    session, CSRF): clients use it to check they reach their brand, benchmarks as the framework
    baseline."""
    return JsonResponse({"brand": request.tenant.slug, "status": "ok"})
