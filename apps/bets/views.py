"""The brand site's "my bets" pages: open and settled bets by page, a bet's own page, the card
the pages' script swaps in when a bet changes, and cash-out (whole or part) from the page.

Every read is the logged-in player's own (a bet of anyone else is a 404); the platform's domain
has no such pages; a visitor is sent to log in and back.
"""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.api.body import ascii_integer, has_control_characters
from apps.bets import cashout, selectors
from apps.bets.bet_cards import BetCard, bet_cards, refusal_words
from apps.bets.refusals import BetRefused
from betting import currencies
from betting.currencies import money
from betting.forms import AmountField
from shards import map as shard_map


def _player(request: HttpRequest):
    if request.tenant.is_platform:
        raise Http404
    return request.get_player()


def _login(request: HttpRequest) -> HttpResponse:
    return redirect_to_login(request.get_full_path(), login_url=reverse("players:login"))


def _cards(player, bets, *, offers: bool) -> list[BetCard]:
    """The bets' cards, with their cash-out offers (open bets) and cash-outs: for a page of
    bets, a fixed number of queries whatever their number."""
    quoted = (
        cashout.cash_out_offers(bets=bets, using=shard_map.alias_for(player.id))
        if offers and any(bet.status == "open" for bet, _legs in bets)
        else {}
    )
    records = selectors.bets_cash_outs(player_id=player.id, bet_ids=[bet.id for bet, _ in bets])
    return bet_cards(bets, offers=quoted, cash_outs=records)


def _context(request: HttpRequest, **more) -> dict:
    currency = request.tenant.currency
    return {
        "currency": currency,
        "exponent": currencies.exponent(currency),
        "step": currencies.step(currency),
        "key": secrets.token_urlsafe(12),
        **more,
    }


@require_GET
def my_bets(request: HttpRequest) -> HttpResponse:
    player = _player(request)
    if player is None:
        return _login(request)
    which = request.GET.get("list", "open")
    page = ascii_integer(request.GET.get("page", "1"), low=1, high=selectors.MAX_PAGES)
    if which not in selectors.LISTS:
        return HttpResponseBadRequest("list must be open or settled")
    if page is None:
        return HttpResponseBadRequest(f"page must be a number from 1 to {selectors.MAX_PAGES}")
    found = selectors.player_bets_page(player_id=player.id, which=which, page=page)
    cards = _cards(player, found.bets, offers=which == "open")
    return render(
        request,
        "bets/my_bets.html",
        _context(request, cards=cards, which=which, page=page, has_more=found.has_more),
    )


def _one(request: HttpRequest, bet_id: int) -> BetCard:
    player = _player(request)
    found = selectors.player_bet(player_id=player.id, bet_id=bet_id)
    if found is None:
        raise Http404("no such bet")
    return _cards(player, [found], offers=True)[0]


@require_GET
def bet(request: HttpRequest, bet_id: int) -> HttpResponse:
    if _player(request) is None:
        return _login(request)
    card = _one(request, bet_id)
    return render(request, "bets/bet.html", _context(request, card=card, back="bet"))


@require_GET
def bet_card(request: HttpRequest, bet_id: int) -> HttpResponse:
    """One bet's card alone, which the pages' script swaps in when the socket says it changed."""
    if _player(request) is None:
        return HttpResponse(status=401)
    card = _one(request, bet_id)
    back = "bet" if request.GET.get("back") == "bet" else "list"
    return render(request, "bets/_bet.html", _context(request, card=card, back=back))


class CashOutForm(forms.Form):
    """A cash-out from the page: the offer the player saw (minor units, from the page), the
    form's key (one cash-out per key), and for a part, the amount typed in major units."""

    offer = forms.CharField(max_length=20)
    key = forms.CharField(max_length=100)
    amount = AmountField(required=False)
    whole = forms.BooleanField(required=False)

    def __init__(self, *args, currency: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].set_currency(currency)

    def clean_offer(self) -> int:
        seen = ascii_integer(self.cleaned_data["offer"], low=1)
        if seen is None:
            raise forms.ValidationError("the page's offer is damaged: reload the page")
        return seen

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if has_control_characters(key):
            raise forms.ValidationError("the page's form is damaged: reload the page")
        return key

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("whole") and "amount" in data and data.get("amount") is None:
            self.add_error("amount", "type how much to cash out, or cash out all of it")
        return data


@require_POST
def cash_out(request: HttpRequest, bet_id: int) -> HttpResponse:
    player = _player(request)
    if player is None:
        return _login(request)
    if selectors.player_bet(player_id=player.id, bet_id=bet_id) is None:
        raise Http404("no such bet")
    currency = request.tenant.currency
    back = (
        reverse("bets:bet", kwargs={"bet_id": bet_id})
        if request.POST.get("back") == "bet"
        else reverse("bets:mine")
    )
    form = CashOutForm(request.POST, currency=currency)
    if not form.is_valid():
        problems = "; ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, f"Not cashed out: {problems}.", extra_tags=f"bet-{bet_id}")
        return redirect(back)
    data = form.cleaned_data
    try:
        done = cashout.bet_cash_out(
            player_id=player.id,
            bet_id=bet_id,
            key=data["key"],
            seen_offer=data["offer"],
            amount=None if data["whole"] else data["amount"],
        )
    except BetRefused as exc:
        words = f"Not cashed out: {refusal_words(exc.code)}."
        if exc.detail.get("offer"):
            words += f" The offer is now {money(exc.detail['offer'], currency)} {currency}."
        messages.error(request, words, extra_tags=f"bet-{bet_id}")
        return redirect(back)
    if done.status == "pending":
        messages.success(
            request,
            "Cash-out asked: a selection is in play, so it is decided after the in-play delay.",
            extra_tags=f"bet-{bet_id}",
        )
    elif done.status == "refused":
        messages.error(
            request,
            f"Not cashed out: {refusal_words(done.refusal)}.",
            extra_tags=f"bet-{bet_id}",
        )
    else:
        paid = money(done.amount, currency)
        part = "" if done.unit_stake_after == 0 else " The rest of the bet runs on."
        messages.success(
            request, f"Cashed out for {paid} {currency}.{part}", extra_tags=f"bet-{bet_id}"
        )
    return redirect(back)
