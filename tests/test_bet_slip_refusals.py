"""Each refusal of a slip explained through the API: which leg and selection, the price now, the
limit in the currency's major unit; a live bet's refusal pushed with the same details. Nothing is
written on a refusal."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from apps.bets import live as live_bets
from apps.bets.models import Bet, BetSettings, PlayerLimit, PlayerRisk
from apps.bets.placement import bet_place
from apps.players.models import DirectoryEntry
from apps.realtime import notify
from apps.wallet import api as wallet
from shards import map as shard_map
from tests.bets_helpers import LIVE, M2, ONE_X_TWO, M, line, open_book, slip
from tests.feed_helpers import market, odds_change, replicate
from tests.test_players import register_on_site


@pytest.fixture
def book(clean):
    with open_book() as feed:
        yield feed


def _bets() -> int:
    return sum(Bet.objects.using(a).count() for a in shard_map.aliases())


def _player(brand, username: str, funds: int = 5_000) -> tuple[Client, int]:
    client = Client(HTTP_HOST=f"{brand.slug}.localhost")
    assert register_on_site(client, username).status_code == 302
    player_id = DirectoryEntry.objects.get(brand_id=brand.id, login_name=username).player_id
    if funds:
        wallet.wallet_credit(
            brand_id=brand.id,
            player_id=player_id,
            currency=brand.currency,
            amount=funds,
            product="payments",
            idempotency_key=f"fund:{player_id}",
        )
    return client, player_id


def _place(client: Client, legs, *, stake=1000, kind="single", system="", policy="none", key="k"):
    body = {
        "idempotency_key": key,
        "kind": kind,
        "system": system,
        "stake": stake,
        "odds_policy": policy,
        "legs": [{"market": m, "outcome": o, "odds": p} for m, o, p in legs],
    }
    return client.post("/api/v1/bets", json.dumps(body), content_type="application/json")


def _refused(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.content
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]
    return error.get("details", {})


def _cash(brand, player_id: int) -> int:
    return wallet.wallet_balance(
        brand_id=brand.id, player_id=player_id, currency=brand.currency
    ).available


def test_odds_changed_names_the_leg_its_selection_and_the_price_now(book, alpha):
    client, player_id = _player(alpha, "oddsmoved")
    legs = [(line(M), "1", "2.10"), (line(M2), "2", "3.10")]
    details = _refused(_place(client, legs, kind="multiple"), 422, "odds_changed")
    assert details == {
        "leg": 1,
        "selection": {"market": line(M2), "outcome": "2"},
        "odds": "3.30",
    }
    assert _bets() == 0 and _cash(alpha, player_id) == 5_000
    # Accepting the new price (what the slip's "Accept new odds" sends) places the bet.
    legs[1] = (line(M2), "2", details["odds"])
    assert _place(client, legs, kind="multiple", key="k2").status_code == 201


def test_a_stake_limit_is_given_in_the_currencys_major_unit(book, alpha):
    client, player_id = _player(alpha, "toohigh")
    BetSettings.objects.create(
        brand_id=alpha.id, currency=alpha.currency, min_stake=100, max_stake=4_000
    )
    details = _refused(_place(client, [(line(M), "1", "2.10")], stake=4_001), 422, "stake_too_high")
    assert details == {"max_stake": 4_000, "limit": "40.00", "currency": "EUR"}
    details = _refused(_place(client, [(line(M), "1", "2.10")], stake=99), 422, "stake_too_low")
    assert details == {"min_stake": 100, "limit": "1.00", "currency": "EUR"}
    # A system's stake is per line: 4 lines of 10.01 are over the 40.00 of a bet.
    trixie = [
        (line(M), "1", "2.10"),
        (line(M2), "1", "2.10"),
        (line(M, 18, "total=2.5"), "12", "1.90"),
    ]
    BetSettings.objects.filter(brand_id=alpha.id).update(allow_same_event=True)
    details = _refused(
        _place(client, trixie, kind="system", system="trixie", stake=1_001), 422, "stake_too_high"
    )
    assert details["limit"] == "40.00"
    assert _bets() == 0 and _cash(alpha, player_id) == 5_000


def test_the_operators_limit_for_the_player_and_a_gbp_brand(book, beta):
    client, player_id = _player(beta, "capped")
    PlayerRisk.objects.using(shard_map.alias_for(player_id)).create(
        player_id=player_id, max_stake=250
    )
    details = _refused(_place(client, [(line(M), "1", "2.10")], stake=251), 422, "stake_too_high")
    assert details == {"max_stake": 250, "limit": "2.50", "currency": "GBP"}
    assert _bets() == 0


def test_a_payout_limit_and_a_wager_limit_say_how_much(book, alpha):
    client, player_id = _player(alpha, "payout")
    BetSettings.objects.create(
        brand_id=alpha.id, currency=alpha.currency, max_stake=5_000, max_payout=10_000
    )
    details = _refused(
        _place(client, [(line(M), "3", "3.60"), (line(M2), "3", "3.60")], kind="multiple"),
        422,
        "payout_too_high",
    )
    assert details == {"max_payout": 10_000, "limit": "100.00", "currency": "EUR"}
    PlayerLimit.objects.using(shard_map.alias_for(player_id)).create(
        player_id=player_id, kind="wager", period="day", amount=1_500
    )
    assert _place(client, [(line(M), "1", "2.10")], key="a").status_code == 201
    details = _refused(
        _place(client, [(line(M), "1", "2.10")], stake=600, key="b"), 422, "wager_limit"
    )
    assert details == {"period": "day", "left": 500, "limit": "5.00", "currency": "EUR"}
    assert _bets() == 1


@pytest.mark.parametrize(
    ("case", "code", "leg"),
    [
        ("unknown_market", "unknown_market", 1),
        ("bet_stop", "market_suspended", 0),
        ("inactive_outcome", "outcome_inactive", 1),
        ("same_event", "same_event", 1),
        ("twice", "duplicate_leg", 1),
    ],
)
def test_a_closed_selection_is_named(book, alpha, case, code, leg):
    client, player_id = _player(alpha, f"closed{case.replace('_', '')}")
    legs = [(line(M), "1", "2.10"), (line(M2), "1", "2.10")]
    if case == "unknown_market":
        legs[1] = (999_999, "1", "2.10")
    elif case == "bet_stop":
        book.process([f'<bet_stop product="1" event_id="{M}" timestamp="2000"/>'.encode()])
        replicate()
    elif case == "inactive_outcome":
        legs[1] = (line(M2), "9", "2.10")
    elif case == "same_event":
        legs[1] = (line(M, 18, "total=2.5"), "12", "1.90")
    elif case == "twice":
        legs[1] = legs[0]
    details = _refused(_place(client, legs, kind="multiple"), 422, code)
    assert details["leg"] == leg
    assert details["selection"] == {"market": legs[leg][0], "outcome": legs[leg][1]}
    if case == "same_event":
        assert details["other_leg"] == 0
    assert _bets() == 0 and _cash(alpha, player_id) == 5_000


def test_insufficient_funds_and_an_empty_stake_are_refused_with_their_codes(book, alpha):
    client, player_id = _player(alpha, "broke", funds=500)
    _refused(_place(client, [(line(M), "1", "2.10")], stake=1_000), 402, "insufficient_funds")
    answer = _place(client, [(line(M), "1", "2.10")], stake="")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_request"
    assert "stake" in answer.json()["error"]["details"]["fields"]
    assert _bets() == 0 and _cash(alpha, player_id) == 500


def test_a_refused_live_bet_is_pushed_with_its_reason_and_selection(book, alpha, monkeypatch):
    pushed = []
    monkeypatch.setattr(
        notify, "send_now", lambda **kwargs: pushed.append(kwargs["message"]), raising=True
    )
    book.process([odds_change(M, 3000, market(1, ONE_X_TWO), status=LIVE)])
    replicate()
    _client, player_id = _player(alpha, "liveone")
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player_id,
        currency=alpha.currency,
        slip=slip("live", [(line(M), "1", "2.10")]),
    ).bet
    assert bet.status == "pending"
    book.process([odds_change(M, 4000, market(1, {**ONE_X_TWO, "1": "1.80"}), status=LIVE)])
    replicate()
    assert live_bets.bet_live_decide(player_id=player_id, bet_id=bet.id) == "refused"
    decided = [m for m in pushed if m.get("type") == "bet" and m["status"] == "refused"]
    assert decided == [
        {
            "type": "bet",
            "bet": str(bet.id),
            "status": "refused",
            "refusal": "odds_changed",
            "details": {
                "leg": 0,
                "selection": {"market": line(M), "outcome": "1"},
                "odds": "1.80",
            },
        }
    ]
    assert _cash(alpha, player_id) == 5_000


def test_the_books_liability_limit_names_the_selection(book, alpha):
    client, player_id = _player(alpha, "liable")
    # Each shard's quota is the limit over the shards: 1,000 here, below the single's 2,100.
    BetSettings.objects.create(
        brand_id=alpha.id,
        currency=alpha.currency,
        max_line_liability=shard_map.shard_count() * 1_000,
    )
    details = _refused(_place(client, [(line(M), "1", "2.10")]), 422, "liability_limit")
    assert details == {"leg": 0, "selection": {"market": line(M), "outcome": "1"}}
    assert _bets() == 0 and _cash(alpha, player_id) == 5_000
