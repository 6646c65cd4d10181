"""The brand site's "my bets" page: open and settled bets, with legs and cash-out offers."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.api.body import ascii_integer, has_control_characters
from apps.bets import cashout, selectors
from apps.bets.refusals import BetRefused
from apps.catalog.models import Event
from betting.currencies import money
from shards import map as shard_map


def _player(request: HttpRequest):
    if request.tenant.is_platform:
        raise Http404
    return request.get_player()


def my_bets(request: HttpRequest) -> HttpResponse:
    player = _player(request)
    if player is None:
        return redirect("players:login")
    which = "settled" if request.GET.get("list") == "settled" else "open"
    bets = selectors.player_bets(player_id=player.id, which=which)
    offers = (
        cashout.cash_out_offers(bets=bets, using=shard_map.alias_for(player.id))
        if which == "open"
        else {}
    )
    names = dict(
        (e.id, str(e))
        for e in Event.objects.filter(id__in={leg.event_id for _, legs in bets for leg in legs})
    )
    currency = request.tenant.currency
    rows = [
        {
            "bet": bet,
            "legs": [{"leg": leg, "event": names.get(leg.event_id, "")} for leg in legs],
            "stake": money(bet.stake, currency),
            "potential": money(bet.potential_payout, currency),
            "payout": money(bet.payout, currency),
            "offer": offers.get(bet.id),
            "offer_text": money(offers.get(bet.id), currency),
        }
        for bet, legs in bets
    ]
    return render(
        request, "bets/my_bets.html", {"rows": rows, "which": which, "currency": currency}
    )


@require_POST
def cash_out(request: HttpRequest, bet_id: int) -> HttpResponse:
    player = _player(request)
    if player is None:
        return redirect("players:login")
    seen = ascii_integer(request.POST.get("offer"), low=1)
    key = request.POST.get("key", "")[:100] or "site"
    try:
        if seen is None or has_control_characters(key):
            raise ValueError("the form is damaged")
        done = cashout.bet_cash_out(player_id=player.id, bet_id=bet_id, key=key, seen_offer=seen)
    except (BetRefused, ValueError) as exc:
        messages.error(request, f"Not cashed out: {getattr(exc, 'code', 'invalid_request')}.")
    else:
        if done.status == "pending":
            messages.success(request, "Cash-out asked: it is decided after the in-play delay.")
        elif done.status == "refused":
            messages.error(request, f"Not cashed out: {done.refusal}.")
        else:
            paid = money(done.amount, request.tenant.currency)
            messages.success(request, f"Cashed out for {paid}.")
    return redirect("bets:mine")
