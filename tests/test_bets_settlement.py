"""Settling bets on the shards from the feed's results: once, in order, reversible."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction

from apps.bets import settlement
from apps.bets.models import Bet, BetLeg, SettlementRun
from apps.bets.placement import bet_place
from apps.bets.refusals import BetRefused
from apps.wallet import api as wallet
from shards import map as shard_map
from tests.bets_helpers import M2, M, line, open_book, slip
from tests.feed_helpers import make_event, market, odds_change, replicate
from tests.wallet_helpers import books_balance, new_player, stake_without_waiting


def _settle(urn, ts, results, *, market_id=1, specifiers="", certainty=2, extra=""):
    spec = f' specifiers="{specifiers}"' if specifiers else ""
    outcomes = "".join(
        f'<outcome id="{o}" result="{r}"{attrs}/>' for o, (r, attrs) in results.items()
    )
    return (
        f'<bet_settlement product="1" event_id="{urn}" timestamp="{ts}" certainty="{certainty}">'
        f'<outcomes><market id="{market_id}"{spec}{extra}>{outcomes}</market></outcomes>'
        "</bet_settlement>"
    ).encode()


@pytest.fixture
def book(clean):
    with open_book() as feed:
        yield feed


HOME_WINS = {"1": (1, ""), "2": (0, ""), "3": (0, "")}
AWAY_WINS = {"1": (0, ""), "2": (0, ""), "3": (1, "")}


def _cash(player, brand):
    return wallet.wallet_balance(
        brand_id=brand.id, player_id=player.id, currency=brand.currency
    ).cash


def _bet(player, bet):
    return Bet.objects.using(shard_map.alias_for(player.id)).get(pk=bet.id)


def _place(brand, player, key, legs, **kw):
    return bet_place(
        brand_id=brand.id, player_id=player.id, currency=brand.currency, slip=slip(key, legs, **kw)
    ).bet


def test_a_winning_single_is_paid_once_through_live_scouted_and_confirmed(book, alpha):
    winner, loser = new_player(alpha, funds=1_000), new_player(alpha, funds=1_000)
    w = _place(alpha, winner, "w", [(line(M), "1", "2.10")], stake=1_000)
    lo = _place(alpha, loser, "l", [(line(M), "3", "3.60")], stake=1_000)
    book.process([_settle(M, 5000, HOME_WINS, certainty=1)])
    replicate()
    book.process([_settle(M, 6000, HOME_WINS, certainty=2)])
    replicate()
    assert (_bet(winner, w).status, _bet(winner, w).payout) == ("settled", 2_100)
    assert (_bet(loser, lo).status, _bet(loser, lo).payout) == ("settled", 0)
    assert _cash(winner, alpha) == 2_100 and _cash(loser, alpha) == 0
    books_balance()


def test_settlement_rollback_and_resettlement_leave_a_single_correct_settlement(book, alpha):
    players = [new_player(alpha, funds=5_000) for _ in range(4)]
    one = line(M)
    picks = ["1", "3", "1", "2"]
    prices = {"1": "2.10", "2": "3.30", "3": "3.60"}
    bets = [
        _place(alpha, p, f"b{i}", [(one, o, prices[o])], stake=1_000)
        for i, (p, o) in enumerate(zip(players, picks, strict=True))
    ]
    book.process([_settle(M, 5000, HOME_WINS)])  # wrong result first
    replicate()
    rollback = (
        f'<rollback_bet_settlement product="1" event_id="{M}" timestamp="6000">'
        '<market id="1"/></rollback_bet_settlement>'
    )
    book.process([rollback.encode()])
    replicate()
    assert {_bet(p, b).status for p, b in zip(players, bets, strict=True)} == {"open"}
    book.process([_settle(M, 7000, AWAY_WINS)])  # the correct one
    replicate()
    cash = [_cash(p, alpha) for p in players]
    # As if only "away wins" had ever been settled: stake 10.00 gone for all; 36.00 back to #2.
    assert cash == [4_000, 4_000 + 3_600, 4_000, 4_000]
    assert [_bet(p, b).payout for p, b in zip(players, bets, strict=True)] == [0, 3_600, 0, 0]
    books_balance()


def test_a_reversed_payout_the_player_spent_is_owed_and_netted_from_the_next(book, alpha):
    player = new_player(alpha, funds=1_000)
    bet = _place(alpha, player, "b", [(line(M), "1", "2.10")], stake=1_000)
    book.process([_settle(M, 5000, HOME_WINS)])
    replicate()
    wallet.wallet_debit(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        amount=1_600,
        product="payments",
        idempotency_key="withdraw",
    )
    book.process(
        [
            f'<rollback_bet_settlement product="1" event_id="{M}" timestamp="6000">'
            '<market id="1"/></rollback_bet_settlement>'.encode()
        ]
    )
    replicate()
    assert _cash(player, alpha) == 0 and _bet(player, bet).owed == 1_600
    book.process([_settle(M, 7000, HOME_WINS)])  # the same result again
    replicate()
    # 21.00 is due; 16.00 of it is still owed: 5.00 is paid, as a single settlement would leave.
    assert _cash(player, alpha) == 500 and _bet(player, bet).owed == 0
    books_balance()


def test_a_cancel_voids_the_bets_placed_in_its_window_and_its_rollback_restores_them(book, alpha):
    import time

    player = new_player(alpha, funds=5_000)
    before = _place(alpha, player, "early", [(line(M), "1", "2.10")], stake=1_000)
    start = int(time.time() * 1000) + 1
    time.sleep(0.01)
    inside = _place(alpha, player, "late", [(line(M), "2", "3.30")], stake=1_000)
    cancel = (
        f'<bet_cancel product="1" event_id="{M}" timestamp="5000" start_time="{start}">'
        '<market id="1"/></bet_cancel>'
    )
    book.process([cancel.encode()])
    replicate()
    assert (_bet(player, inside).status, _bet(player, inside).payout) == ("settled", 1_000)
    assert _bet(player, before).status == "open"
    assert _cash(player, alpha) == 4_000  # the stake of the voided bet came back
    undo = (
        f'<rollback_bet_cancel product="1" event_id="{M}" timestamp="6000" '
        f'start_time="{start}"><market id="1"/></rollback_bet_cancel>'
    )
    book.process([undo.encode()])
    replicate()
    assert _bet(player, inside).status == "open" and _cash(player, alpha) == 3_000
    book.process([_settle(M, 7000, HOME_WINS)])
    replicate()
    assert _cash(player, alpha) == 3_000 + 2_100
    books_balance()


def test_half_won_lines_and_void_legs_in_a_multiple(book, alpha):
    player = new_player(alpha, funds=10_000)
    handicap = make_event("sr:match:4010")
    lines = market(16, {"1714": "1.90", "1715": "1.90"}, specifiers="hcp=-0.25")
    book.process([odds_change(handicap.urn, 1000, lines)])
    replicate()
    asian = line(handicap.urn, 16, "hcp=-0.25")
    single = _place(alpha, player, "asian", [(asian, "1714", "1.90")], stake=1_000)
    double = _place(
        alpha,
        player,
        "dbl",
        [(line(M), "1", "2.10"), (line(M2), "1", "2.10")],
        stake=1_000,
        kind="multiple",
    )
    book.process(
        [
            _settle(
                handicap.urn,
                5000,
                {"1714": (1, ' void_factor="0.5"'), "1715": (0, ' void_factor="0.5"')},
                market_id=16,
                specifiers="hcp=-0.25",
            ),
            _settle(M, 5000, HOME_WINS),
            _settle(
                M2,
                5000,
                {
                    "1": (0, ' void_factor="1"'),
                    "2": (0, ' void_factor="1"'),
                    "3": (0, ' void_factor="1"'),
                },
            ),
        ]
    )
    replicate()
    assert _bet(player, single).payout == 1_450  # 5.00 back + 5.00 at 1.90
    assert _bet(player, double).payout == 2_100  # the void leg counts at 1.0
    leg = BetLeg.objects.using(shard_map.alias_for(player.id)).get(bet_id=single.id)
    assert leg.status == "half_won"
    books_balance()


def test_one_result_settles_the_bets_of_every_shard(book, alpha, beta):
    players = [new_player(brand, funds=2_000) for brand in (alpha, beta) for _ in range(6)]
    assert {shard_map.alias_for(p.id) for p in players} == {"shard_0", "shard_1"}
    for i, p in enumerate(players):
        brand = alpha if p.brand_id == alpha.id else beta
        _place(brand, p, f"s{i}", [(line(M), "1", "2.10")], stake=1_000)
    book.process([_settle(M, 5000, HOME_WINS)])
    replicate()
    for p in players:
        bet = Bet.objects.using(shard_map.alias_for(p.id)).get(player_id=p.id)
        assert (bet.status, bet.payout) == ("settled", 2_100)
    books_balance()


@pytest.mark.parametrize("dead_heat", ["0.5"])
def test_a_dead_heat_pays_the_factor(book, alpha, dead_heat):
    player = new_player(alpha, funds=1_000)
    bet = _place(alpha, player, "dh", [(line(M), "1", "2.10")], stake=1_000)
    book.process(
        [
            _settle(
                M, 5000, {"1": (1, f' dead_heat_factor="{dead_heat}"'), "2": (0, ""), "3": (0, "")}
            )
        ]
    )
    replicate()
    assert _bet(player, bet).payout == 1_050


def test_a_lucky_15_with_a_void_leg_and_a_dead_heat_leg_end_to_end(book, alpha):
    """The arithmetic's worked example (tests/test_bet_arithmetic.py), placed and settled through
    the feed: legs at 2.00, 3.50, 1.80 (void) and 5.00 (dead heat 0.5), 1.00 a line: 93.50."""
    prices = ["2.00", "3.50", "1.80", "5.00"]
    urns = [f"sr:match:42{i}" for i in range(4)]
    for urn, price in zip(urns, prices, strict=True):
        make_event(urn)
        book.process([odds_change(urn, 1000, market(1, {"1": price, "2": "3.00", "3": "3.00"}))])
    replicate()
    player = new_player(alpha, funds=2_000)
    legs = [(line(urn), "1", price) for urn, price in zip(urns, prices, strict=True)]
    bet = _place(alpha, player, "l15", legs, stake=100, kind="system", system="lucky 15")
    assert (bet.lines, bet.stake, bet.potential_payout) == (15, 1_500, 22_580)
    void = {
        "1": (0, ' void_factor="1"'),
        "2": (0, ' void_factor="1"'),
        "3": (0, ' void_factor="1"'),
    }
    book.process(
        [
            _settle(urns[0], 5000, HOME_WINS),
            _settle(urns[1], 5000, HOME_WINS),
            _settle(urns[2], 5000, void),
            _settle(
                urns[3], 5000, {"1": (1, ' dead_heat_factor="0.5"'), "2": (0, ""), "3": (0, "")}
            ),
        ]
    )
    replicate()
    assert (_bet(player, bet).status, _bet(player, bet).payout) == ("settled", 9_350)
    assert _cash(player, alpha) == 2_000 - 1_500 + 9_350
    books_balance()


# -- what a review found, kept fixed ------------------------------------------------------------


def _rollback(urn, ts):
    return (
        f'<rollback_bet_settlement product="1" event_id="{urn}" timestamp="{ts}">'
        '<market id="1"/></rollback_bet_settlement>'
    ).encode()


def test_each_payout_and_reversal_has_its_own_key_whatever_the_legs_timestamps(book, alpha):
    player = new_player(alpha, funds=1_000)
    legs = [(line(M), "1", "2.10"), (line(M2), "1", "2.10")]
    _place(alpha, player, "dbl", legs, stake=1_000, kind="multiple")
    book.process([_settle(M2, 9000, HOME_WINS)])  # the newer leg first
    replicate()
    book.process([_settle(M, 5000, HOME_WINS)])
    replicate()
    assert _cash(player, alpha) == 4_410
    book.process([_rollback(M, 6000)])
    replicate()
    assert _cash(player, alpha) == 0
    void = {
        "1": (0, ' void_factor="1"'),
        "2": (0, ' void_factor="1"'),
        "3": (0, ' void_factor="1"'),
    }
    book.process([_settle(M, 7000, void)])  # settled again, for another amount
    replicate()
    assert _cash(player, alpha) == 2_100
    books_balance()


def test_a_cancels_rollback_restores_the_settlement_that_stands(book, alpha):
    player = new_player(alpha, funds=1_000)
    bet = _place(alpha, player, "b", [(line(M), "1", "2.10")], stake=1_000)
    book.process([_settle(M, 5000, HOME_WINS)])
    replicate()
    cancel = (
        f'<bet_cancel product="1" event_id="{M}" timestamp="6000"><market id="1"/></bet_cancel>'
    )
    book.process([cancel.encode()])
    replicate()
    assert _cash(player, alpha) == 1_000  # void: the stake back instead of the win
    undo = (
        f'<rollback_bet_cancel product="1" event_id="{M}" timestamp="7000">'
        '<market id="1"/></rollback_bet_cancel>'
    )
    book.process([undo.encode()])
    replicate()
    assert (_bet(player, bet).status, _cash(player, alpha)) == ("settled", 2_100)
    books_balance()


def test_no_bet_is_taken_on_a_line_whose_result_reached_the_shard(book, alpha):
    from apps.bets.refusals import BetRefused

    player = new_player(alpha, funds=1_000)
    book.process([_settle(M, 5000, HOME_WINS)])
    replicate()
    with pytest.raises(BetRefused) as refused:
        _place(alpha, player, "late", [(line(M), "1", "2.10")], stake=1_000)
    assert refused.value.code == "market_settled"


def test_the_fast_single_payout_agrees_with_the_arithmetic():
    import random
    from decimal import Decimal

    from apps.bets import arithmetic
    from apps.bets.settlement import leg_settlement, payout_of

    rng = random.Random(7)
    cases = [
        ("won", None, None),
        ("lost", None, None),
        ("void", Decimal(1), None),
        ("half_won", Decimal("0.5"), None),
        ("half_lost", Decimal("0.5"), None),
        ("won", None, Decimal("0.5")),
        ("won", None, Decimal("0.3333")),
    ]
    for _ in range(500):
        status, void, dead_heat = rng.choice(cases)
        odds = Decimal(rng.randint(101, 5000)) / 100
        bet = Bet(kind="single", system="", unit_stake=rng.randint(1, 10**7))
        leg = BetLeg(
            status=status,
            void_factor=void,
            dead_heat_factor=dead_heat,
            odds=odds,
            cancelled=rng.random() < 0.05,
        )
        settled = arithmetic.Leg(odds=odds, settlement=leg_settlement(leg))
        shape = arithmetic.Bet(system="single", unit_stake=bet.unit_stake, legs=(settled,))
        assert payout_of(bet, [leg]) == arithmetic.payout(shape)


def test_a_bet_placed_while_its_line_settles_waits_then_is_refused(book, alpha):
    """A settlement holds its lines (exclusively) until it commits. A placement on one of them
    waits for it, then reads the line in a statement of its own (a new snapshot): it sees the
    result and is refused, and nothing of it is left."""
    player = new_player(alpha, funds=1_000)
    alias = shard_map.alias_for(player.id)
    home = line(M)
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

    def late_bet():
        try:
            return _place(alpha, player, "late", [(home, "1", "2.10")], stake=1_000)
        finally:
            connections.close_all()

    settler = threading.Thread(target=settle)
    settler.start()
    try:
        assert settling.wait(30)
        with ThreadPoolExecutor(max_workers=1) as pool:
            placing = pool.submit(late_bet)
            time.sleep(1.0)
            assert not placing.done()  # waiting for the settlement's lock on the line
            release.set()
            with pytest.raises(BetRefused) as refused:
                placing.result(timeout=30)
    finally:
        release.set()
        settler.join(30)
    assert refused.value.code == "market_settled"
    assert not Bet.objects.using(alias).filter(player_id=player.id).exists()
    assert _cash(player, alpha) == 1_000
    books_balance()


# -- paying in chunks, after the result's transaction ---------------------------------------


def _winners_on_one_shard(brand, count, stake=1_000):
    """``count`` players of one shard, each with a winning bet on M's home win (if it wins)."""
    players: dict[str, list] = {}
    while True:
        player = new_player(brand, funds=stake)
        players.setdefault(shard_map.alias_for(player.id), []).append(player)
        mine = next((ps for ps in players.values() if len(ps) == count), None)
        if mine:
            break
    bets = [
        _place(brand, p, f"w{i}", [(line(M), "1", "2.10")], stake=stake) for i, p in enumerate(mine)
    ]
    return mine, bets


def test_a_result_pays_its_bets_a_chunk_at_a_time_and_a_winner_can_bet_between(
    book, alpha, monkeypatch
):
    """Each chunk of bets is paid in its own transaction: a winner whose bet was in a chunk
    already paid bets again at once, while the rest of the market is still being paid (before,
    the whole market's payouts held every winner's cash account until one commit)."""
    monkeypatch.setattr(settlement, "CHUNK", 1)
    (first, second), bets = _winners_on_one_shard(alpha, 2)
    using = shard_map.alias_for(first.id)
    early = min(bets, key=lambda b: b.id)  # chunks go in bet id order
    early_player = first if early.player_id == first.id else second
    paying, resume = threading.Event(), threading.Event()
    original = settlement._settle_chunk
    calls = []

    def chunk(alias, ids):
        calls.append(ids)
        if len(calls) == 2:  # the first chunk has committed
            paying.set()
            resume.wait(30)
        return original(alias, ids)

    monkeypatch.setattr(settlement, "_settle_chunk", chunk)
    failed: list[BaseException] = []

    def feed_result():
        try:
            book.process([_settle(M, 5000, HOME_WINS)])
            replicate()
        except BaseException as exc:  # reported below
            failed.append(exc)
            paying.set()
        finally:
            connections.close_all()

    worker = threading.Thread(target=feed_result)
    worker.start()
    try:
        assert paying.wait(30) and not failed
        assert _cash(early_player, alpha) == 2_100  # paid, committed
        stake_without_waiting(alpha, early_player, 500, "next-bet")
    finally:
        resume.set()
        worker.join(30)
    assert not failed and len(calls) == 2
    assert {_bet(p, b).status for p, b in zip((first, second), bets, strict=True)} == {"settled"}
    assert not SettlementRun.objects.using(using).exists()
    books_balance()


def test_a_settlement_run_left_behind_is_finished_by_the_sweep_and_pays_once(
    book, alpha, monkeypatch
):
    (winner, other), bets = _winners_on_one_shard(alpha, 2)
    using = shard_map.alias_for(winner.id)
    # The result's transaction commits; its worker dies before paying.
    monkeypatch.setattr(settlement, "settlement_run_pay", lambda *, using, run_id: None)
    book.process([_settle(M, 5000, HOME_WINS)])
    replicate()
    monkeypatch.undo()
    (run,) = SettlementRun.objects.using(using).all()
    assert sorted(run.bet_ids) == sorted(b.id for b in bets)
    assert {_bet(winner, b).status for b in bets} == {"open"}  # legs resolved, not yet paid
    shard = shard_map.number_of(using)
    assert settlement.settlement_sweep(shard=shard) == 0  # too recent: its worker may be busy
    SettlementRun.objects.using(using).update(created_at=run.created_at - dt.timedelta(hours=1))
    assert settlement.settlement_sweep(shard=shard) == 1
    assert not SettlementRun.objects.using(using).exists()
    assert _cash(winner, alpha) == 2_100 and _cash(other, alpha) == 2_100
    # The same bets paid again (a second worker with the same run): nothing more is paid.
    settlement.settlement_run_pay(using=using, run_id=run.id)
    with transaction.atomic(using=using):
        settlement._settle_chunk(using, [b.id for b in bets])
    assert _cash(winner, alpha) == 2_100 and _cash(other, alpha) == 2_100
    books_balance()
