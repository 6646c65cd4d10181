"""Placing bets on the player's shard: validation against the replica, the stake held in the
same transaction, refusals that leave nothing behind, live bets decided after their delay."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from apps.bets import live as live_bets
from apps.bets.models import Bet, BetLeg, BetSettings
from apps.bets.placement import bet_place
from apps.bets.refusals import BetRefused
from apps.players.models import Player
from apps.wallet import api as wallet
from apps.wallet.models import Operation, Reservation
from betting import ttl_cache
from shards import map as shard_map
from tests import live
from tests.bets_helpers import LIVE, M2, ONE_X_TWO, M, line, open_book, slip
from tests.feed_helpers import make_event, market, odds_change, replicate
from tests.wallet_helpers import books_balance, new_player


@pytest.fixture
def book(clean):
    with open_book() as feed:
        yield feed


def _cash(player, brand):
    return wallet.wallet_balance(
        brand_id=brand.id, player_id=player.id, currency=brand.currency
    ).available


def _bets():
    return sum(Bet.objects.using(a).count() for a in shard_map.aliases())


def test_a_prematch_single_is_accepted_and_its_stake_taken_in_the_same_transaction(book, alpha):
    player = new_player(alpha, funds=10_000)
    placed = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("s1", [(line(M), "1", "2.10")]),
    )
    bet = placed.bet
    assert (bet.status, bet.stake, bet.potential_payout, placed.replayed) == (
        "open",
        1000,
        2100,
        False,
    )
    assert _cash(player, alpha) == 9_000
    leg = BetLeg.objects.using(shard_map.alias_for(player.id)).get(bet_id=bet.id)
    assert (leg.market_id, leg.outcome_id, leg.odds) == (1, "1", Decimal("2.100"))
    books_balance()


def test_the_same_slip_twice_is_one_bet_and_another_slip_under_its_key_is_refused(book, alpha):
    player = new_player(alpha, funds=10_000)
    same = slip("k", [(line(M), "1", "2.10")])
    first = bet_place(brand_id=alpha.id, player_id=player.id, currency=alpha.currency, slip=same)
    again = bet_place(brand_id=alpha.id, player_id=player.id, currency=alpha.currency, slip=same)
    assert again.replayed and again.bet.id == first.bet.id
    with pytest.raises(BetRefused) as refused:
        bet_place(
            brand_id=alpha.id,
            player_id=player.id,
            currency=alpha.currency,
            slip=slip("k", [(line(M), "2", "3.30")]),
        )
    assert refused.value.code == "idempotency_key_reused"
    assert _bets() == 1 and _cash(player, alpha) == 9_000


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("unknown_market", "unknown_market"),
        ("bet_stop", "market_suspended"),
        ("odds_moved", "odds_changed"),
        ("inactive_outcome", "outcome_inactive"),
        ("too_low", "stake_too_low"),
        ("too_high", "stake_too_high"),
        ("payout", "payout_too_high"),
        ("broke", "insufficient_funds"),
        ("same_event", "same_event"),
        ("trixie_of_two", "wrong_leg_count"),
        ("twice", "duplicate_leg"),
        ("closed", "account_closed"),
    ],
)
def test_a_refusal_has_a_reason_and_leaves_nothing_behind(book, alpha, case, code):
    player = new_player(alpha, funds=5_000)
    BetSettings.objects.create(
        brand_id=alpha.id,
        currency=alpha.currency,
        min_stake=100,
        max_stake=4_000,
        max_payout=50_000,
    )
    m1, m2, total = line(M), line(M2), line(M, 18, "total=2.5")
    legs, stake, kind, system = [(m1, "1", "2.10")], 1000, "single", ""
    if case == "unknown_market":
        legs = [(999_999, "1", "2.10")]
    elif case == "bet_stop":
        book.process([f'<bet_stop product="1" event_id="{M}" timestamp="2000"/>'.encode()])
        replicate()
    elif case == "odds_moved":
        legs = [(m1, "1", "2.05")]
    elif case == "inactive_outcome":
        legs = [(m1, "9", "2.10")]
    elif case == "too_low":
        stake = 50
    elif case == "too_high":
        stake = 4_001
    elif case == "payout":
        legs, kind, stake = [(m1, "3", "3.60"), (m2, "3", "3.60")], "multiple", 4_000
    elif case == "broke":
        stake = 4_000
        bet_place(
            brand_id=alpha.id,
            player_id=player.id,
            currency=alpha.currency,
            slip=slip("first", [(m1, "1", "2.10")], stake=4_000),
        )
    elif case == "same_event":
        legs, kind = [(m1, "1", "2.10"), (total, "12", "1.90")], "multiple"
    elif case == "trixie_of_two":
        legs, kind, system = [(m1, "1", "2.10"), (m2, "1", "2.10")], "system", "trixie"
    elif case == "twice":
        legs, kind = [(m1, "1", "2.10"), (m1, "1", "2.10")], "multiple"
    elif case == "closed":  # the row is checked under the bet's lock, not by the session
        Player.objects.using(shard_map.alias_for(player.id)).filter(pk=player.id).update(
            is_active=False
        )
    bets_before, cash_before = _bets(), _cash(player, alpha)
    with pytest.raises(BetRefused) as refused:
        bet_place(
            brand_id=alpha.id,
            player_id=player.id,
            currency=alpha.currency,
            slip=slip("x", legs, stake=stake, kind=kind, system=system),
        )
    assert refused.value.code == code
    assert _bets() == bets_before and _cash(player, alpha) == cash_before
    books_balance()


def test_a_producer_down_refuses_its_markets(book, alpha):
    player = new_player(alpha, funds=5_000)
    book.process([b'<alive product="1" timestamp="2" subscribed="0"/>'])
    replicate()
    with pytest.raises(BetRefused) as refused:
        bet_place(
            brand_id=alpha.id,
            player_id=player.id,
            currency=alpha.currency,
            slip=slip("x", [(line(M), "1", "2.10")]),
        )
    assert refused.value.code == "producer_down"


def test_odds_policies_take_the_current_price(book, alpha):
    player = new_player(alpha, funds=10_000)
    book.process([odds_change(M, 2000, market(1, {**ONE_X_TWO, "1": "2.20"}))])
    replicate()
    higher = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("h", [(line(M), "1", "2.10")], policy="higher"),
    ).bet
    assert higher.potential_payout == 2200
    with pytest.raises(BetRefused):  # lower than shown: "higher" does not take it
        bet_place(
            brand_id=alpha.id,
            player_id=player.id,
            currency=alpha.currency,
            slip=slip("l", [(line(M), "1", "2.30")], policy="higher"),
        )
    anyway = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("a", [(line(M), "1", "2.30")], policy="any"),
    ).bet
    assert anyway.potential_payout == 2200


def test_a_system_bet_stakes_everyline(book, alpha):
    player = new_player(alpha, funds=10_000)
    m1, m2 = line(M), line(M2)
    third = make_event("sr:match:4002")
    book.process([odds_change(third.urn, 1000, market(1, ONE_X_TWO))])
    replicate()
    legs = [(m1, "1", "2.10"), (m2, "1", "2.10"), (line(third.urn), "1", "2.10")]
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("t", legs, stake=100, kind="system", system="trixie"),
    ).bet
    assert (bet.lines, bet.stake) == (4, 400)  # 3 doubles and a treble
    assert bet.potential_payout == 3 * 441 + 926  # 100 x 2.1^2 each, 100 x 2.1^3 = 926.1
    assert _cash(player, alpha) == 9_600


def _go_live(feed, urn, ts=3000):
    feed.process([odds_change(urn, ts, market(1, ONE_X_TWO), status=LIVE)])
    replicate()


def test_a_live_bet_refused_by_a_bet_stop_in_its_delay_releases_its_stake(book, alpha):
    _go_live(book, M)
    player = new_player(alpha, funds=5_000)
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("live", [(line(M), "1", "2.10")]),
    ).bet
    assert bet.status == "pending" and bet.live and bet.reservation_id
    assert _cash(player, alpha) == 4_000  # reserved, not available
    book.process([f'<bet_stop product="1" event_id="{M}" timestamp="4000"/>'.encode()])  # a goal
    replicate()
    assert live_bets.bet_live_decide(player_id=player.id, bet_id=bet.id) == "refused"
    bet.refresh_from_db()
    assert (bet.status, bet.refusal) == ("refused", "market_suspended")
    assert _cash(player, alpha) == 5_000
    assert live_bets.bet_live_decide(player_id=player.id, bet_id=bet.id) == "refused"  # once
    books_balance()


def test_a_live_bet_is_accepted_after_its_delay_when_nothing_changed(book, alpha):
    _go_live(book, M)
    player = new_player(alpha, funds=5_000)
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("live", [(line(M), "1", "2.10")]),
    ).bet
    assert live_bets.bet_live_decide(player_id=player.id, bet_id=bet.id) == "open"
    assert live_bets.bet_live_decide(player_id=player.id, bet_id=bet.id) == "open"
    balance = wallet.wallet_balance(brand_id=alpha.id, player_id=player.id, currency=alpha.currency)
    assert (balance.cash, balance.reserved) == (4_000, 0)
    books_balance()


# -- through the HTTP API ---------------------------------------------------------------------


def _session(port, host, username):
    token = live.csrf_token(port, host)
    body = {
        "username": username,
        "email": f"{username}@example.com",
        "password": "a long passphrase",
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/players",
        data=json.dumps(body).encode(),
        headers={
            "Host": host,
            "Content-Type": "application/json",
            "Cookie": f"csrftoken={token}",
            "X-CSRFToken": token,
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        player = json.loads(response.read())
        cookies = dict(
            h.split(";", 1)[0].split("=", 1) for h in response.headers.get_all("Set-Cookie")
        )
    return int(player["id"]), cookies["sessionid"], cookies.get("csrftoken", token)


def _post_bet(port, host, session, token, slip, *, body=None, media="application/json", csrf=True):
    headers = {
        "Host": host,
        "Content-Type": media,
        "Cookie": f"sessionid={session}; csrftoken={token}",
    }
    if csrf:
        headers["X-CSRFToken"] = token
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/bets",
        data=body if body is not None else json.dumps(slip).encode(),
        headers=headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_fifty_concurrent_slips_with_funds_for_ten_make_ten_bets(book, alpha):
    home = line(M)
    with live.web_server() as port:
        player_id, session, token = _session(port, "alpha.localhost", "punter")
        wallet.wallet_credit(
            brand_id=alpha.id,
            player_id=player_id,
            currency=alpha.currency,
            amount=10_000,
            product="payments",
            idempotency_key="fund",
        )

        def slip_json(n):
            return {
                "idempotency_key": f"slip-{n}",
                "kind": "single",
                "stake": 1_000,
                "legs": [{"market": home, "outcome": "1", "odds": "2.10"}],
            }

        with ThreadPoolExecutor(max_workers=50) as pool:
            answers = list(
                pool.map(
                    lambda n: _post_bet(port, "alpha.localhost", session, token, slip_json(n)),
                    range(50),
                )
            )
        codes = sorted(status for status, _ in answers)
        assert codes == [201] * 10 + [402] * 40, codes
        assert {body["error"]["code"] for status, body in answers if status == 402} == {
            "insufficient_funds"
        }
        # An accepted slip sent again: the same bet, not a new one.
        accepted = {b["id"] for s, b in answers if s == 201}
        n = next(i for i, (s, _) in enumerate(answers) if s == 201)
        status, body = _post_bet(port, "alpha.localhost", session, token, slip_json(n))
        assert status == 200 and body["id"] == answers[n][1]["id"]
        listing = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/bets?status=open",
            headers={"Host": "alpha.localhost", "Cookie": f"sessionid={session}"},
        )
        with urllib.request.urlopen(listing, timeout=30) as response:
            mine = json.loads(response.read())["bets"]
    assert {b["id"] for b in mine} == accepted and len(mine) == 10
    assert Bet.objects.using(shard_map.alias_for(player_id)).count() == 10
    balance = wallet.wallet_balance(brand_id=alpha.id, player_id=player_id, currency=alpha.currency)
    assert balance.cash == 0 and balance.reserved == 0
    books_balance()


def test_the_api_explains_a_badslip(book, alpha):
    with live.web_server() as port:
        player_id, session, token = _session(port, "alpha.localhost", "carla")
        empty = {"idempotency_key": "x", "kind": "single", "stake": 0, "legs": []}
        status, body = _post_bet(port, "alpha.localhost", session, token, empty)
        assert status == 400 and body["error"]["code"] == "invalid_request"
        assert set(body["error"]["details"]["fields"]) >= {"stake", "legs"}
        status, body = _post_bet(
            port,
            "alpha.localhost",
            session,
            token,
            {
                "idempotency_key": "y",
                "kind": "single",
                "stake": 100,
                "legs": [{"market": line(M), "outcome": "1", "odds": "2.00"}],
            },
        )
        assert status == 422
        assert body["error"] == {
            "code": "odds_changed",
            "message": "The odds have changed.",
            "details": {"leg": 0, "selection": {"market": line(M), "outcome": "1"}, "odds": "2.10"},
        }
        good = {
            "idempotency_key": "z",
            "kind": "single",
            "stake": 100,
            "legs": [{"market": line(M), "outcome": "1", "odds": "2.10"}],
        }
        status, body = _post_bet(port, "alpha.localhost", "no-such-session", token, good)
        assert status == 401 and body["error"]["code"] == "not_authenticated"
        # Without the CSRF token, with a body that is not JSON, or not sent as JSON: refused.
        status, body = _post_bet(port, "alpha.localhost", session, token, good, csrf=False)
        assert status == 403 and body["error"]["code"] == "permission_denied"
        assert "CSRF" in body["error"]["message"]
        status, body = _post_bet(port, "alpha.localhost", session, token, None, body=b"{stake")
        assert status == 400 and body["error"]["code"] == "malformed_request"
        status, body = _post_bet(
            port, "alpha.localhost", session, token, good, media="application/x-www-form-urlencoded"
        )
        assert status == 415 and body["error"]["code"] == "unsupported_media_type"
        status, body = _post_bet(port, "alpha.localhost", session, token, None, body=b"")
        assert status == 400 and body["error"]["code"] == "invalid_request"
        assert {"idempotency_key", "kind", "stake", "legs"} <= set(
            body["error"]["details"]["fields"]
        )
        assert _bets() == 0
        # A session outliving its account: the bet's own lock on the player's row refuses it.
        Player.objects.using(shard_map.alias_for(player_id)).filter(pk=player_id).update(
            is_active=False
        )
        status, body = _post_bet(port, "alpha.localhost", session, token, good)
        assert status == 403 and body["error"]["code"] == "account_closed"
    assert _bets() == 0


def test_the_players_socket_hears_of_the_bet_and_its_settlement(book, alpha):
    with live.web_server() as port, live.sockets_server() as sockets:
        player_id, session, token = _session(port, "alpha.localhost", "sockets")
        wallet.wallet_credit(
            brand_id=alpha.id,
            player_id=player_id,
            currency=alpha.currency,
            amount=5_000,
            product="payments",
            idempotency_key="fund",
        )
        with live.websocket(sockets, "alpha.localhost", session) as sock:
            assert json.loads(sock.recv(timeout=10))["type"] == "hello"
            status, body = _post_bet(
                port,
                "alpha.localhost",
                session,
                token,
                {
                    "idempotency_key": "ws",
                    "kind": "single",
                    "stake": 1_000,
                    "legs": [{"market": line(M), "outcome": "1", "odds": "2.10"}],
                },
            )
            assert status == 201
            heard = _until(sock, lambda m: m.get("type") == "bet")
            assert (heard["bet"], heard["status"]) == (body["id"], "open")
            book.process(
                [
                    b'<bet_settlement product="1" event_id="sr:match:4000" timestamp="5000">'
                    b'<outcomes><market id="1"><outcome id="1" result="1"/><outcome id="2" '
                    b'result="0"/><outcome id="3" result="0"/></market></outcomes></bet_settlement>'
                ]
            )
            replicate()
            settled = _until(sock, lambda m: m.get("type") == "bets")
            assert settled["bets"] == [{"bet": body["id"], "status": "settled", "payout": 2_100}]


def _until(sock, wanted, timeout=10):
    import time

    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(sock.recv(timeout=max(0.1, deadline - time.monotonic())))
        if wanted(message):
            return message


def test_a_live_bet_decided_after_its_reservation_expired_is_refused(book, alpha):
    from apps.wallet.tasks import reservations_expire

    _go_live(book, M)
    player = new_player(alpha, funds=5_000)
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("late", [(line(M), "1", "2.10")]),
    ).bet
    using = shard_map.alias_for(player.id)
    from django.db import connections

    with connections[using].cursor() as cursor:  # the pool was down past the time-out
        cursor.execute("UPDATE wallet_reservation SET expires_at = now() - interval '1 second'")
    reservations_expire(shard=shard_map.number_of(using))
    assert live_bets.bet_live_decide(player_id=player.id, bet_id=bet.id) == "refused"
    bet.refresh_from_db()
    assert bet.refusal == "expired" and _cash(player, alpha) == 5_000
    books_balance()


def test_a_live_bet_accepting_any_odds_stands_at_the_odds_after_its_delay(book, alpha):
    _go_live(book, M)
    player = new_player(alpha, funds=5_000)
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("any", [(line(M), "1", "2.10")], policy="any"),
    ).bet
    book.process([odds_change(M, 3500, market(1, {**ONE_X_TWO, "1": "1.20"}))])  # shortened
    replicate()
    assert live_bets.bet_live_decide(player_id=player.id, bet_id=bet.id) == "open"
    bet.refresh_from_db()
    assert bet.potential_payout == 1_200
    leg = BetLeg.objects.using(shard_map.alias_for(player.id)).get(bet_id=bet.id)
    assert leg.odds == Decimal("1.20")


def test_a_refused_live_bet_whose_reservation_expired_is_still_decided(book, alpha):
    from django.db import connections

    from apps.wallet.tasks import reservations_expire

    _go_live(book, M)
    player = new_player(alpha, funds=5_000)
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("gone", [(line(M), "1", "2.10")]),
    ).bet
    book.process([f'<bet_stop product="1" event_id="{M}" timestamp="4000"/>'.encode()])
    replicate()
    using = shard_map.alias_for(player.id)
    with connections[using].cursor() as cursor:
        cursor.execute("UPDATE wallet_reservation SET expires_at = now() - interval '1 second'")
    reservations_expire(shard=shard_map.number_of(using))
    assert live_bets.bet_live_decide(player_id=player.id, bet_id=bet.id) == "refused"
    assert _cash(player, alpha) == 5_000
    books_balance()


def test_a_live_bet_whose_decision_was_lost_is_decided_by_the_sweep(book, alpha):
    from django.db import connections

    _go_live(book, M)
    player = new_player(alpha, funds=5_000)
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("lost", [(line(M), "1", "2.10")]),
    ).bet
    using = shard_map.alias_for(player.id)
    shard = shard_map.number_of(using)
    assert live_bets.pending_bets_sweep(shard=shard) == 0  # not forgotten yet
    with connections[using].cursor() as cursor:
        cursor.execute("UPDATE bets_bet SET placed_at = now() - interval '2 minutes'")
    assert live_bets.pending_bets_sweep(shard=shard) == 1
    bet.refresh_from_db()
    assert bet.status == "open"
    books_balance()


def test_a_bet_is_taken_at_its_brands_price_and_not_on_what_the_brand_closes(book, alpha, beta):
    """The lines as the brand's pages show them: odds after its margin and overrides, and no
    bets on what its rules hide or suspend; another brand's rules change nothing for it."""
    from apps.catalog.models import BrandPricing, OfferingRule

    player = new_player(alpha, funds=10_000)
    home = line(M)
    BrandPricing.objects.create(brand_id=alpha.id, margin_pct=Decimal("5"))
    OfferingRule.objects.create(
        brand_id=alpha.id,
        level="outcome",
        target=M,
        market_id=1,
        outcome_id="3",
        action="odds",
        odds=Decimal("4.00"),
    )
    OfferingRule.objects.create(brand_id=beta.id, level="event", target=M, action="hide")
    ttl_cache.clear_all()

    def bet(key, legs, **kw):
        return bet_place(
            brand_id=alpha.id,
            player_id=player.id,
            currency=alpha.currency,
            slip=slip(key, legs, **kw),
        )

    with pytest.raises(BetRefused) as refused:  # the feed's price is not the brand's
        bet("raw", [(home, "1", "2.10")])
    assert (refused.value.code, refused.value.detail) == ("odds_changed", {"odds": "2.00"})
    taken = bet("brand", [(home, "1", "2.00")]).bet  # 2.10 / 1.05, rounded down
    assert taken.potential_payout == 2_000
    overridden = bet("override", [(home, "3", "4.00")]).bet
    assert overridden.potential_payout == 4_000
    # "any" takes the brand's price, never the feed's better one
    assert bet("any", [(home, "2", "1.01")], policy="any").bet.potential_payout == 3_140

    OfferingRule.objects.create(
        brand_id=alpha.id, level="market", target=M, market_id=1, action="suspend"
    )
    ttl_cache.clear_all()
    with pytest.raises(BetRefused) as refused:
        bet("suspended", [(home, "1", "2.00")])
    assert refused.value.code == "market_suspended"
    OfferingRule.objects.create(brand_id=None, level="sport", target="sr:sport:1", action="hide")
    ttl_cache.clear_all()
    with pytest.raises(BetRefused) as refused:
        bet("hidden", [(home, "1", "2.00")])
    assert refused.value.code == "not_offered"
    assert _bets() == 3 and _cash(player, alpha) == 7_000
    books_balance()


# -- the lines of a system bet ----------------------------------------------------------------


def _twenty_legs(feed):
    """A 1x2 line on each of 20 events (the most legs a slip holds), home to win on each."""
    urns = [f"sr:match:{4100 + n}" for n in range(20)]
    for urn in urns:
        make_event(urn)
    feed.process([odds_change(urn, 1000, market(1, ONE_X_TWO)) for urn in urns])
    replicate()
    return [(line(urn), "1", "2.10") for urn in urns]


def _written(player):
    """What a bet of the player's left on their shard: bets, legs, ledger operations and
    reservations."""
    using = shard_map.alias_for(player.id)
    return (
        Bet.objects.using(using).filter(player_id=player.id).count(),
        BetLeg.objects.using(using).filter(player_id=player.id).count(),
        Operation.objects.using(using).count(),
        Reservation.objects.using(using).count(),
    )


def test_a_system_of_more_lines_than_the_brand_allows_is_refused_before_any_is_priced(book, alpha):
    """10-folds over 20 legs are 184,756 lines: counted, not listed, and refused at once (the
    brand's default allows 1,000), with nothing written."""
    legs = _twenty_legs(book)
    player = new_player(alpha, funds=1_000_000)
    before = _written(player)
    started = time.monotonic()
    with pytest.raises(BetRefused) as refused:
        bet_place(
            brand_id=alpha.id,
            player_id=player.id,
            currency=alpha.currency,
            slip=slip("huge", legs, stake=10, kind="system", system="10-folds"),
        )
    took = time.monotonic() - started
    assert refused.value.code == "too_many_lines"
    assert refused.value.detail == {"lines": 184_756, "max_lines": 1_000}
    assert took < 0.5, f"refused after {took:.2f} s: the lines were listed or priced"
    assert _written(player) == before
    assert _cash(player, alpha) == 1_000_000
    books_balance()


@pytest.mark.parametrize(("max_lines", "accepted"), [(190, True), (189, False)])
def test_a_system_at_the_brands_line_cap_is_taken_and_one_line_over_it_is_not(
    book, alpha, max_lines, accepted
):
    legs = _twenty_legs(book)
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, max_lines=max_lines)
    player = new_player(alpha, funds=10_000)
    before = _written(player)

    def doubles():  # 20 legs, 190 lines
        return bet_place(
            brand_id=alpha.id,
            player_id=player.id,
            currency=alpha.currency,
            slip=slip("doubles", legs, stake=10, kind="system", system="doubles"),
        ).bet

    if accepted:
        bet = doubles()
        assert (bet.status, bet.lines, bet.stake) == ("open", 190, 1_900)
        assert _cash(player, alpha) == 10_000 - 1_900
    else:
        with pytest.raises(BetRefused) as refused:
            doubles()
        assert refused.value.code == "too_many_lines"
        assert _written(player) == before and _cash(player, alpha) == 10_000
    books_balance()
