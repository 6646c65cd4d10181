"""The brand site's error pages (403, 404, 500) in the brand's look.

Hosts that reach no brand get the plain "site not found" page before any of these
(``brands.middleware``). The 500 page renders with no query at all: the brand's look and the
sports menu only if this process holds them (the database may be why the page failed), else the
plain look; and if even that cannot render, Django's own plain page.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views import defaults

from apps.catalog.event_lists import menu_cached
from apps.site.look import look_cached

log = logging.getLogger(__name__)

TEMPLATE = "site/error.html"


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    context = {
        "heading": "Not allowed",
        "message": "You may not open this page. If you think you should, log in and try again.",
    }
    return render(request, TEMPLATE, context, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    context = {
        "heading": "Page not found",
        "message": "There is no page at this address: the event may have finished or moved.",
    }
    return render(request, TEMPLATE, context, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_platform:
        return defaults.server_error(request)
    # Rendered without the request's context processors (they may query): what they would
    # give, from this process's caches only.
    context = {
        "request": request,
        "look": look_cached(tenant),
        "sports_menu": menu_cached(tenant.pk),
        "player": None,
        "live_odds_port": "",
        "bare": True,
        "heading": "Something went wrong",
        "message": "We have been told and are looking into it. Please try again in a moment.",
    }
    try:
        body = loader.get_template(TEMPLATE).render(context)
    except Exception:
        log.exception("the brand's 500 page did not render")
        return defaults.server_error(request)
    return HttpResponseServerError(body)
