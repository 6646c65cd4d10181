"""The brand site's wallet page: the balance (kept live by the player's websocket) and the
history, older pages by the ``before`` cursor."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render

from apps.wallet import selectors
from betting import currencies
from betting.currencies import money, signed_money


def wallet(request: HttpRequest) -> HttpResponse:
    if request.tenant.is_platform:
        raise Http404
    player = request.get_player()
    if player is None:
        return redirect("players:login")
    try:
        before = selectors.parse_cursor(request.GET.get("before"))
    except selectors.InvalidCursor:
        return HttpResponseBadRequest("before must be an operation id")
    currency = request.tenant.currency
    balance = selectors.player_balance(
        brand_id=player.brand_id, player_id=player.id, currency=currency
    )
    page = selectors.player_history(brand_id=player.brand_id, player_id=player.id, before=before)
    rows = [
        {
            "item": item,
            "amount": signed_money(item.amount, item.currency),
            "held": signed_money(item.changes["reserved"], item.currency),
            "bonus": signed_money(item.changes["bonus"], item.currency),
            "cash_after": money(item.cash_after, item.currency),
        }
        for item in page.items
    ]
    context = {
        "currency": currency,
        "exponent": currencies.MINOR_UNITS.get(currency, 0),
        "balance": {
            kind: {"minor": getattr(balance, kind), "text": money(getattr(balance, kind), currency)}
            for kind in ("cash", "bonus", "reserved", "available")
        },
        "rows": rows,
        "next": page.next,
        "first_page": before is None,
    }
    return render(request, "wallet/wallet.html", context)
