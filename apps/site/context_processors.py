"""What every page of a brand's site is drawn with: the brand's look and the sports menu."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from apps.catalog.event_lists import sports_menu
from apps.site.look import look_for


def site(request: HttpRequest) -> dict:
    """``look`` and ``sports_menu`` on a brand's pages; nothing on the platform's own domain.
    Both are cached per brand (``site.look``, ``catalog.event_lists``): no query when warm."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or getattr(tenant, "is_platform", True):
        return {}
    return {
        "look": look_for(tenant),
        "sports_menu": sports_menu(tenant.pk),
        "live_odds_port": settings.LIVE_ODDS_PORT,  # where pages open the event sockets
    }
