"""Cash-out: priced from current odds less the brand's margin, whole or in part, once per key;
held against a settlement of its lines; in play, after the sport's delay."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction
from django.utils import timezone

from apps.bets import cashout, selectors
from apps.bets import live as live_bets
from apps.bets.models import Bet, BetLeg, BetSettings, CashOut
from apps.bets.placement import bet_place
from apps.bets.refusals import BetRefused
from apps.wallet import api as wallet
from betting import ttl_cache
from shards import map as shard_map
from tests.bets_helpers import LIVE, M2, ONE_X_TWO, M, line, open_book, slip
from tests.feed_helpers import make_event, market, odds_change, replicate
from tests.test_bets_settlement import HOME_WINS, _settle
from tests.wallet_helpers import books_balance, new_player


@pytest.fixture
def book(clean):
    with open_book() as feed:
        yield feed


def _bet(alpha, funds=1_000, stake=1_000, price="2.10"):
    player = new_player(alpha, funds=funds)
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("b", [(line(M), "1", price)], stake=stake),
    ).bet
    return player, bet


def _cash(player, brand):
    return wallet.wallet_balance(
        brand_id=brand.id, player_id=player.id, currency=brand.currency
    ).cash


def _price(feed, ts, home):
    feed.process([odds_change(M, ts, market(1, {**ONE_X_TWO, "1": home}))])
    replicate()


def test_the_offer_follows_the_odds_less_the_margin_and_a_full_cash_out_pays_it(book, alpha):
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, cashout_margin_pct=5)
    player, bet = _bet(alpha)
    _price(book, 2000, "1.50")  # the home side got likelier: the bet is worth more
    offer = cashout.cash_out_offer(player_id=player.id, bet_id=bet.id)
    assert offer.offer == 1_330  # 10.00 x 2.10 / 1.50 = 14.00, less 5% = 13.30
    done = cashout.bet_cash_out(player_id=player.id, bet_id=bet.id, key="c1", seen_offer=1_330)
    again = cashout.bet_cash_out(player_id=player.id, bet_id=bet.id, key="c1", seen_offer=1_330)
    assert done.id == again.id and done.amount == 1_330
    stored = Bet.objects.using(shard_map.alias_for(player.id)).get(pk=bet.id)
    assert (stored.status, stored.payout) == ("cashed_out", 1_330)
    assert _cash(player, alpha) == 1_330
    book.process([_settle(M, 5000, HOME_WINS)])  # a cashed-out bet is not settled again
    replicate()
    assert _cash(player, alpha) == 1_330
    books_balance()


def test_a_partial_cash_out_leaves_the_rest_of_the_stake_running(book, alpha):
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, cashout_margin_pct=0)
    player, bet = _bet(alpha)
    _price(book, 2000, "2.10")  # unchanged: the offer is the stake
    done = cashout.bet_cash_out(
        player_id=player.id, bet_id=bet.id, key="half", seen_offer=1_000, amount=400
    )
    assert (done.amount, done.unit_stake_after) == (400, 600)
    stored = Bet.objects.using(shard_map.alias_for(player.id)).get(pk=bet.id)
    assert (stored.status, stored.stake, stored.potential_payout) == ("open", 600, 1_260)
    book.process([_settle(M, 5000, HOME_WINS)])
    replicate()
    assert _cash(player, alpha) == 400 + 1_260  # the rest was settled at 6.00 x 2.10
    books_balance()


def test_cash_out_is_refused_while_suspended_or_when_the_price_moved(book, alpha):
    player, bet = _bet(alpha)
    offer = cashout.cash_out_offer(player_id=player.id, bet_id=bet.id).offer
    _price(book, 2000, "3.00")
    with pytest.raises(BetRefused) as moved:
        cashout.bet_cash_out(
            player_id=player.id, bet_id=bet.id, key="c", seen_offer=offer, tolerance=10
        )
    assert moved.value.code == "price_moved" and moved.value.detail["offer"] < offer
    book.process([f'<bet_stop product="1" event_id="{M}" timestamp="3000"/>'.encode()])
    replicate()
    with pytest.raises(BetRefused) as suspended:
        cashout.cash_out_offer(player_id=player.id, bet_id=bet.id)
    assert suspended.value.code == "leg_suspended"
    assert not CashOut.objects.using(shard_map.alias_for(player.id)).exists()
    assert _cash(player, alpha) == 0
    books_balance()


def test_my_bets_page_lists_bets_with_their_offer_and_cashes_out(book, alpha):
    from django.test import Client

    from apps.catalog.models import Market
    from apps.players.models import DirectoryEntry
    from tests.test_players import register_on_site

    client = Client(HTTP_HOST="alpha.localhost")
    assert register_on_site(client, "dora").status_code == 302
    player_id = DirectoryEntry.objects.get(login_name="dora").player_id
    wallet.wallet_credit(
        brand_id=alpha.id,
        player_id=player_id,
        currency=alpha.currency,
        amount=1_000,
        product="payments",
        idempotency_key="fund",
    )
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player_id,
        currency=alpha.currency,
        slip=slip("page", [(line(M), "1", "2.10")], stake=1_000),
    ).bet
    page = client.get("/account/bets/").content.decode()
    assert "Single" in page and "Cash out all for 9.50 EUR" in page  # 10.00 less 5%
    event_id = Market.objects.get(pk=line(M)).event_id
    assert 'id="slip"' in client.get(f"/sports/events/{event_id}/").content.decode()
    answer = client.post(
        f"/account/bets/{bet.id}/cashout", {"offer": "950", "key": "k", "whole": "1"}
    )
    assert answer.status_code == 302
    settled = client.get("/account/bets/?list=settled").content.decode()
    assert "Cashed out" in settled and "paid 9.50" in settled
    balance = wallet.wallet_balance(brand_id=alpha.id, player_id=player_id, currency=alpha.currency)
    assert balance.cash == 950


def test_a_bet_of_more_lines_than_the_brand_now_takes_is_not_priced_on_a_read(book, alpha):
    """Every read of an open bet prices each of its lines; one of more lines than the brand's
    cap (placed before the cap was lowered) gets no offer instead of being listed line by line."""
    third = make_event("sr:match:4002")
    book.process([odds_change(third.urn, 1000, market(1, ONE_X_TWO))])
    replicate()
    player = new_player(alpha, funds=1_000)
    legs = [(line(M), "1", "2.10"), (line(M2), "1", "2.10"), (line(third.urn), "1", "2.10")]
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("t", legs, stake=100, kind="system", system="trixie"),
    ).bet
    assert cashout.cash_out_offer(player_id=player.id, bet_id=bet.id).offer > 0
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, max_lines=3)
    ttl_cache.clear_all()
    with pytest.raises(BetRefused) as refused:
        cashout.cash_out_offer(player_id=player.id, bet_id=bet.id)
    assert refused.value.code == "too_many_lines"
    using = shard_map.alias_for(player.id)
    assert cashout.cash_out_offers(
        bets=selectors.player_bets(player_id=player.id, which="open"), using=using
    ) == {bet.id: None}
    with pytest.raises(BetRefused) as refused:
        cashout.bet_cash_out(player_id=player.id, bet_id=bet.id, key="c", seen_offer=1)
    assert refused.value.code == "too_many_lines"
    assert not CashOut.objects.using(using).exists()


# -- a cash-out and a settlement of the same bet at once ----------------------------------------


def _leg_status(player, bet):
    return BetLeg.objects.using(shard_map.alias_for(player.id)).get(bet_id=bet.id).status


def test_a_cash_out_asked_while_its_line_settles_waits_then_is_refused(book, alpha):
    """The settlement holds the line (exclusively) until it commits: the cash-out waits, then
    sees the result and is refused; the settlement alone pays."""
    player, bet = _bet(alpha)
    alias = shard_map.alias_for(player.id)
    offer = cashout.cash_out_offer(player_id=player.id, bet_id=bet.id).offer
    book.process([_settle(M, 5000, HOME_WINS)])
    settling, release = threading.Event(), threading.Event()

    def settle() -> None:
        try:
            with transaction.atomic(using=alias):  # the replication's own becomes a savepoint
                replicate()
                settling.set()
                release.wait(30)
        finally:
            connections.close_all()

    def cash_out():
        try:
            return cashout.bet_cash_out(
                player_id=player.id, bet_id=bet.id, key="late", seen_offer=offer
            )
        finally:
            connections.close_all()

    settler = threading.Thread(target=settle)
    settler.start()
    try:
        assert settling.wait(30)
        with ThreadPoolExecutor(max_workers=1) as pool:
            cashing = pool.submit(cash_out)
            time.sleep(1.0)
            assert not cashing.done()  # waiting for the settlement's lock on the line
            release.set()
            with pytest.raises(BetRefused) as refused:
                cashing.result(timeout=30)
    finally:
        release.set()
        settler.join(30)
    assert refused.value.code == "no_offer"  # its one leg is resolved: nothing to cash out
    stored = Bet.objects.using(alias).get(pk=bet.id)
    assert (stored.status, stored.payout) == ("settled", 2_100)
    assert not CashOut.objects.using(alias).exists()
    assert _cash(player, alpha) == 2_100
    books_balance()


def test_a_result_waits_for_a_cash_out_in_flight_on_its_line(book, alpha):
    """A cash-out holds the bet's lines (shared) until it commits: a result for one of them
    waits, so it is never applied to a bet the cash-out priced at the odds before it; after the
    cash-out commits, the result finds the bet cashed out and pays nothing more."""
    player, bet = _bet(alpha)
    alias = shard_map.alias_for(player.id)
    offer = cashout.cash_out_offer(player_id=player.id, bet_id=bet.id).offer
    book.process([_settle(M, 5000, HOME_WINS)])
    holding, release = threading.Event(), threading.Event()

    def cash_out():
        try:
            with transaction.atomic(using=alias):  # the cash-out's own becomes a savepoint
                done = cashout.bet_cash_out(
                    player_id=player.id, bet_id=bet.id, key="first", seen_offer=offer
                )
                holding.set()
                release.wait(30)
            return done
        finally:
            holding.set()
            connections.close_all()

    def settle():
        try:
            replicate()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        cashing = pool.submit(cash_out)
        try:
            assert holding.wait(30)
            settling = pool.submit(settle)
            time.sleep(1.0)
            assert not settling.done()
            assert _leg_status(player, bet) == "open"  # the result waits for the cash-out
        finally:
            release.set()
        done = cashing.result(timeout=30)
        settling.result(timeout=30)
    assert (done.status, done.amount) == ("paid", offer)
    assert _leg_status(player, bet) == "won"  # applied after the cash-out committed
    stored = Bet.objects.using(alias).get(pk=bet.id)
    assert (stored.status, stored.payout) == ("cashed_out", offer)
    assert _cash(player, alpha) == offer  # the cash-out only: the settlement paid nothing
    books_balance()


def _cash_out_now(start, player, bet, offer):
    try:
        start.wait(10)
        return cashout.bet_cash_out(player_id=player.id, bet_id=bet.id, key="now", seen_offer=offer)
    except BetRefused as exc:
        return exc.code
    finally:
        connections.close_all()


def _replicate_now(start):
    try:
        start.wait(10)
        replicate()
    finally:
        connections.close_all()


def test_a_cash_out_and_a_settlement_sent_at_once_never_both_pay(book, alpha):
    """Without either held: each round, one of the two wins (the bet cashed out at its offer,
    or settled and paid), never both, and the books balance."""
    for n in range(4):
        urn = f"sr:match:{4200 + n}"
        make_event(urn)
        book.process([odds_change(urn, 1000, market(1, ONE_X_TWO))])
        replicate()
        player = new_player(alpha, funds=1_000)
        bet = bet_place(
            brand_id=alpha.id,
            player_id=player.id,
            currency=alpha.currency,
            slip=slip(f"r{n}", [(line(urn), "1", "2.10")], stake=1_000),
        ).bet
        offer = cashout.cash_out_offer(player_id=player.id, bet_id=bet.id).offer
        book.process([_settle(urn, 5000, HOME_WINS)])
        start = threading.Barrier(2)
        with ThreadPoolExecutor(max_workers=2) as pool:
            cashing = pool.submit(_cash_out_now, start, player, bet, offer)
            settling = pool.submit(_replicate_now, start)
            answer = cashing.result(timeout=60)
            settling.result(timeout=60)
        using = shard_map.alias_for(player.id)
        stored = Bet.objects.using(using).get(pk=bet.id)
        paid = CashOut.objects.using(using).filter(bet_id=bet.id, status="paid")
        if stored.status == "cashed_out":
            assert answer.status == "paid" and paid.count() == 1
            assert stored.payout == _cash(player, alpha) == offer
        else:
            assert answer in ("no_offer", "leg_suspended") and not paid.exists()
            assert (stored.status, stored.payout, _cash(player, alpha)) == ("settled", 2_100, 2_100)
        books_balance()


# -- in play: the sport's delay ------------------------------------------------------------------


def _live_bet(feed, alpha, funds=1_000):
    feed.process([odds_change(M, 3000, market(1, ONE_X_TWO), status=LIVE)])
    replicate()
    player, bet = _bet(alpha, funds=funds)
    assert live_bets.bet_live_decide(player_id=player.id, bet_id=bet.id) == "open"
    return player, bet


def _live_price(feed, ts, home):
    feed.process([odds_change(M, ts, market(1, {**ONE_X_TWO, "1": home}), status=LIVE)])
    replicate()


def test_a_cash_out_in_play_waits_the_sports_delay_and_is_quoted_again(book, alpha):
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, cashout_margin_pct=0)
    player, bet = _live_bet(book, alpha)
    using = shard_map.alias_for(player.id)
    asked = cashout.bet_cash_out(player_id=player.id, bet_id=bet.id, key="c1", seen_offer=1_000)
    assert (asked.status, asked.amount) == ("pending", 0)  # nothing paid before the delay
    assert Bet.objects.using(using).get(pk=bet.id).status == "open"
    assert _cash(player, alpha) == 0
    again = cashout.bet_cash_out(player_id=player.id, bet_id=bet.id, key="c1", seen_offer=1_000)
    assert again.id == asked.id and again.status == "pending"

    _live_price(book, 4000, "3.00")  # in the delay, the home side got less likely
    assert cashout.cash_out_decide(player_id=player.id, cash_out_id=asked.id) == "refused"
    asked.refresh_from_db(using=using)
    assert (asked.status, asked.refusal, asked.amount) == ("refused", "price_moved", 0)
    assert Bet.objects.using(using).get(pk=bet.id).status == "open"
    assert _cash(player, alpha) == 0
    assert cashout.cash_out_decide(player_id=player.id, cash_out_id=asked.id) == "refused"

    offer = cashout.cash_out_offer(player_id=player.id, bet_id=bet.id).offer  # 10.00 x 2.1 / 3
    asked = cashout.bet_cash_out(player_id=player.id, bet_id=bet.id, key="c2", seen_offer=offer)
    assert (offer, asked.status) == (700, "pending")
    assert cashout.cash_out_decide(player_id=player.id, cash_out_id=asked.id) == "paid"
    assert cashout.cash_out_decide(player_id=player.id, cash_out_id=asked.id) == "paid"  # once
    asked.refresh_from_db(using=using)
    assert (asked.status, asked.amount) == ("paid", 700)
    assert Bet.objects.using(using).get(pk=bet.id).status == "cashed_out"
    assert _cash(player, alpha) == 700
    books_balance()


def test_a_cash_out_in_play_is_refused_by_a_bet_stop_in_its_delay(book, alpha):
    player, bet = _live_bet(book, alpha)
    offer = cashout.cash_out_offer(player_id=player.id, bet_id=bet.id).offer
    asked = cashout.bet_cash_out(player_id=player.id, bet_id=bet.id, key="c", seen_offer=offer)
    book.process([f'<bet_stop product="1" event_id="{M}" timestamp="4000"/>'.encode()])  # a goal
    replicate()
    assert cashout.cash_out_decide(player_id=player.id, cash_out_id=asked.id) == "refused"
    asked.refresh_from_db(using=shard_map.alias_for(player.id))
    assert asked.refusal == "leg_suspended"
    assert _cash(player, alpha) == 0
    books_balance()


def test_a_pending_cash_out_whose_decision_was_lost_is_decided_by_the_sweep(book, alpha):
    player, bet = _live_bet(book, alpha)
    using = shard_map.alias_for(player.id)
    offer = cashout.cash_out_offer(player_id=player.id, bet_id=bet.id).offer
    asked = cashout.bet_cash_out(player_id=player.id, bet_id=bet.id, key="c", seen_offer=offer)
    shard = shard_map.number_of(using)
    assert cashout.pending_cash_outs_sweep(shard=shard) == 0  # not forgotten yet
    CashOut.objects.using(using).filter(pk=asked.id).update(
        created_at=timezone.now() - dt.timedelta(minutes=2)
    )
    assert cashout.pending_cash_outs_sweep(shard=shard) == 1
    asked.refresh_from_db(using=using)
    assert (asked.status, asked.amount) == ("paid", offer)
    assert _cash(player, alpha) == offer
    books_balance()


def test_the_api_answers_a_cash_out_in_play_at_once_and_its_decision_later(book, alpha):
    from django.test import Client

    from apps.players.models import DirectoryEntry
    from tests.test_players import register_on_site

    book.process([odds_change(M, 3000, market(1, ONE_X_TWO), status=LIVE)])
    replicate()
    client = Client(HTTP_HOST="alpha.localhost")
    assert register_on_site(client, "ivy").status_code == 302
    player_id = DirectoryEntry.objects.get(login_name="ivy").player_id
    wallet.wallet_credit(
        brand_id=alpha.id,
        player_id=player_id,
        currency=alpha.currency,
        amount=1_000,
        product="payments",
        idempotency_key="fund",
    )
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player_id,
        currency=alpha.currency,
        slip=slip("api", [(line(M), "1", "2.10")], stake=1_000),
    ).bet
    assert live_bets.bet_live_decide(player_id=player_id, bet_id=bet.id) == "open"

    def ask():
        return client.post(
            f"/api/v1/bets/{bet.id}/cashout",
            json.dumps({"idempotency_key": "k", "offer": 950}),
            content_type="application/json",
        )

    answer = ask()
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert (body["status"], "paid" in body) == ("pending", False)
    _live_price(book, 4000, "3.00")
    cash_out_id = int(body["cash_out"])
    assert cashout.cash_out_decide(player_id=player_id, cash_out_id=cash_out_id) == "refused"
    again = ask()  # the same key: its decision
    assert again.status_code == 422 and again.json()["error"]["code"] == "price_moved"
    balance = wallet.wallet_balance(brand_id=alpha.id, player_id=player_id, currency=alpha.currency)
    assert balance.cash == 0
