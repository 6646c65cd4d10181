"""The brand site's wallet page: the balance (kept live by the player's websocket: the page asks
``summary`` again on each push) and the history in the player's words, older pages by the
``before`` cursor."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render

from apps.wallet import holdings, selectors
from betting.currencies import money, signed_money


def _player(request: HttpRequest):
    if request.tenant.is_platform:
        raise Http404
    return request.get_player()


def _balances(player, currency: str) -> dict[str, dict[str, Any]]:
    """Cash, bonus, available and what open bets hold (reserved stakes and the stakes products
    took for bets still running: see ``holdings``): two queries on the player's shard."""
    balance = selectors.player_balance(
        brand_id=player.brand_id, player_id=player.id, currency=currency
    )
    held = holdings.player_held(
        brand_id=player.brand_id, player_id=player.id, currency=currency, reserved=balance.reserved
    )
    figures = {
        "cash": balance.cash,
        "bonus": balance.bonus,
        "available": balance.available,
        "held": held,
    }
    return {kind: {"minor": v, "text": money(v, currency)} for kind, v in figures.items()}


def wallet(request: HttpRequest) -> HttpResponse:
    player = _player(request)
    if player is None:
        return redirect("players:login")
    try:
        before = selectors.parse_cursor(request.GET.get("before"))
    except selectors.InvalidCursor:
        return HttpResponseBadRequest("before must be an operation id")
    currency = request.tenant.currency
    page = selectors.player_history(brand_id=player.brand_id, player_id=player.id, before=before)
    rows = []
    for item in page.items:
        said = holdings.posting_words(
            kind=item.kind, key=item.idempotency_key, details=item.details, product=item.product
        )
        rows.append(
            {
                "item": item,
                "words": said.words,
                "link": said.link,
                "amount": signed_money(item.amount, item.currency),
                "held": signed_money(item.changes["reserved"], item.currency),
                "bonus": signed_money(item.changes["bonus"], item.currency),
                "cash_after": money(item.cash_after, item.currency),
            }
        )
    context = {
        "currency": currency,
        "balance": _balances(player, currency),
        "rows": rows,
        "next": page.next,
        "first_page": before is None,
    }
    return render(request, "wallet/wallet.html", context)


def summary(request: HttpRequest) -> HttpResponse:
    """The page's figures as JSON (major units as text, minor units as numbers), which its
    script reads again when the player's socket says something changed."""
    player = _player(request)
    if player is None:
        return JsonResponse(
            {"error": {"code": "not_authenticated", "message": "log in first"}}, status=401
        )
    currency = request.tenant.currency
    return JsonResponse({"currency": currency, **_balances(player, currency)})
