"""What the bet slip's script needs to know about the page it is on (``templates/bets/_slip.html``):
the brand (its storage key), the currency and its exponent (stakes typed in the major unit),
whether a player is logged in, where to log in, and the live-odds gateway's port. No database
read: the tenant and the player are on the request already."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse

from betting import currencies

register = template.Library()


@register.simple_tag(takes_context=True)
def slip_config(context: Any) -> dict[str, Any] | None:
    """The slip's settings for this page, or None where there is no slip (the platform's own
    domain, a page rendered without a request or a brand)."""
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    if tenant is None or getattr(tenant, "is_platform", True):
        return None
    currency = tenant.currency
    if not currencies.is_supported(currency):
        return None
    return {
        "brand": tenant.slug,
        "currency": currency,
        "exponent": currencies.exponent(currency),
        "step": currencies.step(currency),
        "loggedIn": bool(context.get("player")),
        "loginUrl": reverse("players:login"),
        "liveOddsPort": str(settings.LIVE_ODDS_PORT or ""),
    }
