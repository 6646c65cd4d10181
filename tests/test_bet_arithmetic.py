"""Bet arithmetic: worked examples checked to the minor unit (pure functions, no database)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest

from apps.bets.arithmetic import (
    MAX_LEGS,
    Bet,
    BetShapeError,
    Leg,
    LegValueError,
    Settlement,
    canonical_system,
    cash_out_equity,
    cash_out_price,
    leg_factor,
    line_count,
    line_returns,
    lines,
    partial_cash_out,
    payout,
    potential_line_returns,
    potential_payout,
)

WON = Settlement.won()
LOST = Settlement.lost()
VOID = Settlement.void()


def single(odds: str, settlement: Settlement | None, stake: int = 1000) -> Bet:
    return Bet("single", stake, (Leg(Decimal(odds), settlement),))


# ---------------------------------------------------------------------------------------------
# Leg factors


@pytest.mark.parametrize(
    ("settlement", "odds", "factor"),
    [
        (WON, "2.10", Decimal("2.10")),
        (LOST, "2.10", Decimal(0)),
        (VOID, "2.10", Decimal(1)),
        (Settlement.half_won(), "1.90", Decimal("1.45")),  # 0.5 + 0.5 x 1.90
        (Settlement.half_lost(), "1.90", Decimal("0.5")),
        (Settlement.won(Decimal("0.5")), "6.00", Decimal("3")),  # 0.5 x 6.00
        (Settlement.cancel(), "3.00", Decimal(1)),
        (Settlement(1, cancelled=True), "3.00", Decimal(1)),  # a cancel wins over a result
        # void and dead heat together: v + (1 - v) x r x f x odds = 0.5 + 0.5 x 0.5 x 4 = 1.5
        (Settlement(1, Decimal("0.5"), Decimal("0.5")), "4.00", Decimal("1.5")),
        (Settlement(0, Decimal("0.5"), Decimal("0.5")), "4.00", Decimal("0.5")),
    ],
)
def test_leg_factor(settlement, odds, factor):
    assert leg_factor(Leg(Decimal(odds), settlement)) == factor


def test_open_and_undecided_legs_have_no_factor():
    assert leg_factor(Leg(Decimal("2.00"))) is None
    assert Settlement.from_feed("-1") is None
    assert Settlement.from_feed("1", "0.5") == Settlement.half_won()
    assert Settlement.from_feed(0, "1") == VOID
    assert Settlement.from_feed("1", None, "0.5") == Settlement.won(Decimal("0.5"))


def test_factor_is_exact_with_many_digits():
    odds = Decimal("1.234567890123456789012345678901")
    third = Decimal("0.333333333333333333333333333333333333333")
    factor = leg_factor(Leg(odds, Settlement.won(third)))
    assert Fraction(factor) == Fraction(odds) * Fraction(third)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: Leg(2.1), "float_not_allowed"),
        (lambda: Leg(Decimal("0.99")), "bad_odds"),
        (lambda: Leg(Decimal("NaN")), "bad_odds"),
        (lambda: Leg(Decimal("Infinity")), "bad_odds"),
        (lambda: Settlement(2), "bad_result"),
        (lambda: Settlement(True), "bad_result"),
        (lambda: Settlement.from_feed("0.5"), "bad_result"),
        (lambda: Settlement(1, Decimal("1.5")), "bad_void_factor"),
        (lambda: Settlement(1, 0.5), "float_not_allowed"),
        (lambda: Settlement(1, dead_heat_factor=Decimal(0)), "bad_dead_heat_factor"),
        (lambda: Bet("single", 0, (Leg(Decimal(2)),)), "bad_stake"),
        (lambda: Bet("single", 10.0, (Leg(Decimal(2)),)), "bad_stake"),
    ],
)
def test_bad_values_are_refused(make, code):
    with pytest.raises(LegValueError) as caught:
        make()
    assert caught.value.code == code


# ---------------------------------------------------------------------------------------------
# Singles


@pytest.mark.parametrize(
    ("odds", "settlement", "expected"),
    [
        ("2.10", WON, 2100),  # 10.00 x 2.10
        ("2.10", LOST, 0),
        ("2.10", VOID, 1000),  # refund
        ("2.10", Settlement.cancel(), 1000),  # bet_cancel: refund
        ("1.90", Settlement.half_won(), 1450),  # hcp -0.25: 5.00 refunded + 5.00 x 1.90 = 14.50
        ("1.90", Settlement.half_lost(), 500),  # 5.00 refunded, 5.00 lost
        ("6.00", Settlement.won(Decimal("0.5")), 3000),  # dead heat: 10.00 x 0.5 x 6.00 = 30.00
    ],
)
def test_single_payouts(odds, settlement, expected):
    bet = single(odds, settlement)
    assert bet.total_stake == 1000
    assert payout(bet) == expected


def test_a_bet_with_an_open_leg_is_not_settled():
    assert payout(single("2.00", None)) is None
    acca = Bet("multiple", 100, (Leg(Decimal(2), WON), Leg(Decimal(3)), Leg(Decimal(4), LOST)))
    assert not acca.is_settled
    assert line_returns(acca) is None
    assert payout(acca) is None


# ---------------------------------------------------------------------------------------------
# Multiples


def test_treble_with_a_void_leg_counts_it_at_one():
    bet = Bet(
        "accumulator",
        1000,
        (Leg(Decimal("2.00"), WON), Leg(Decimal("1.50"), VOID), Leg(Decimal("3.00"), WON)),
    )
    assert bet.system == "multiple"
    assert bet.lines == ((0, 1, 2),)
    # 10.00 x 2.00 x 1 x 3.00 = 60.00
    assert payout(bet) == 6000
    assert potential_payout(bet) == 9000  # 10.00 x 2.00 x 1.50 x 3.00


def test_a_lost_leg_loses_the_multiple():
    bet = Bet("multiple", 1000, (Leg(Decimal("2.00"), WON), Leg(Decimal("1.50"), LOST)))
    assert payout(bet) == 0


def test_asian_half_won_line_in_a_double():
    # leg 1: Asian handicap -0.25 at 1.90, half won -> 0.5 + 0.5 x 1.90 = 1.45; leg 2 won at 2.20
    bet = Bet(
        "multiple", 1000, (Leg(Decimal("1.90"), Settlement.half_won()), Leg(Decimal("2.20"), WON))
    )
    # 10.00 x 1.45 x 2.20 = 31.90
    assert payout(bet) == 3190
    half_lost = Bet(
        "multiple", 1000, (Leg(Decimal("1.90"), Settlement.half_lost()), Leg(Decimal("2.20"), WON))
    )
    # 10.00 x 0.5 x 2.20 = 11.00
    assert payout(half_lost) == 1100


def test_a_twenty_leg_multiple_is_exact():
    legs = tuple(Leg(Decimal("1.111"), WON) for _ in range(MAX_LEGS))
    bet = Bet("multiple", 100, legs)
    # 1.111 ** 20 = 8.20882843... exactly 1111**20 / 1000**20; 100 x that, rounded down
    assert payout(bet) == (100 * 1111**20) // 1000**20 == 820


# ---------------------------------------------------------------------------------------------
# Systems


def test_lucky_15_with_a_void_leg_and_a_dead_heat_leg_line_by_line():
    legs = (
        Leg(Decimal("2.00"), WON),  # A: factor 2
        Leg(Decimal("3.50"), WON),  # B: factor 3.5
        Leg(Decimal("1.80"), VOID),  # C: factor 1
        Leg(Decimal("5.00"), Settlement.won(Decimal("0.5"))),  # D: dead heat 0.5 x 5.00 = 2.5
    )
    bet = Bet("Lucky 15", 100, legs)
    assert bet.system == "lucky_15"
    assert bet.total_stake == 1500  # 15 lines x 1.00
    expected = {
        (0,): 200,  # A: 1.00 x 2
        (1,): 350,  # B: 1.00 x 3.5
        (2,): 100,  # C: 1.00 x 1 (void, stake back)
        (3,): 250,  # D: 1.00 x 0.5 x 5.00 = 2.50
        (0, 1): 700,  # A B: 2 x 3.5 = 7
        (0, 2): 200,  # A C: 2 x 1 = 2
        (0, 3): 500,  # A D: 2 x 2.5 = 5
        (1, 2): 350,  # B C: 3.5 x 1 = 3.5
        (1, 3): 875,  # B D: 3.5 x 2.5 = 8.75
        (2, 3): 250,  # C D: 1 x 2.5 = 2.5
        (0, 1, 2): 700,  # A B C: 2 x 3.5 x 1 = 7
        (0, 1, 3): 1750,  # A B D: 2 x 3.5 x 2.5 = 17.5
        (0, 2, 3): 500,  # A C D: 2 x 1 x 2.5 = 5
        (1, 2, 3): 875,  # B C D: 3.5 x 1 x 2.5 = 8.75
        (0, 1, 2, 3): 1750,  # A B C D: 2 x 3.5 x 1 x 2.5 = 17.5
    }
    assert bet.lines == tuple(expected)
    assert line_returns(bet) == tuple(expected.values())
    # 900 in singles + 2875 in doubles + 3825 in trebles + 1750 in the four-fold
    assert payout(bet) == 9350

    # at placement, every leg won at its odds (C at 1.80, D at 5.00 without the dead heat)
    assert potential_line_returns(bet) == (
        200,  # A 2
        350,  # B 3.5
        180,  # C 1.8
        500,  # D 5
        700,  # A B 7
        360,  # A C 3.6
        1000,  # A D 10
        630,  # B C 6.3
        1750,  # B D 17.5
        900,  # C D 9
        1260,  # A B C 12.6
        3500,  # A B D 35
        1800,  # A C D 18
        3150,  # B C D 31.5
        6300,  # A B C D 63
    )
    assert potential_payout(bet) == 22580


def test_rounding_is_down_once_per_line():
    legs = tuple(Leg(Decimal("1.333"), WON) for _ in range(3))
    assert payout(single("1.333", WON, stake=100)) == 133  # 133.3 -> 133
    trixie = Bet("trixie", 100, legs)
    # each double: 100 x 1.333^2 = 177.6889 -> 177; the treble: 100 x 1.333^3 = 236.8593037 -> 236
    assert line_returns(trixie) == (177, 177, 177, 236)
    assert payout(trixie) == 767
    # rounding the exact total once instead would give floor(769.9260037) = 769
    exact_total = 3 * 100 * Fraction("1.333") ** 2 + 100 * Fraction("1.333") ** 3
    assert math.floor(exact_total) == 769
    # a multiple rounds once, at the end, not leg by leg: 100 x 1.333^3 = 236.859... -> 236
    assert payout(Bet("multiple", 100, legs)) == 236


def test_half_cent_rounds_down():
    # 0.05 at 1.90 half-won: 5 x 1.45 = 7.25 -> 7
    assert payout(single("1.90", Settlement.half_won(), stake=5)) == 7
    # dead heat 1/3 (as the feed sends it, 0.3333) at 3.00, 1.00: 100 x 0.9999 = 99.99 -> 99
    assert payout(single("3.00", Settlement.won(Decimal("0.3333")), stake=100)) == 99


@pytest.mark.parametrize(
    ("system", "n_legs", "count"),
    [
        ("single", 1, 1),
        ("multiple", 2, 1),
        ("accumulator", 20, 1),
        ("trixie", 3, 4),
        ("patent", 3, 7),
        ("yankee", 4, 11),
        ("lucky 15", 4, 15),
        ("canadian", 5, 26),
        ("super yankee", 5, 26),
        ("lucky31", 5, 31),
        ("heinz", 6, 57),
        ("lucky-63", 6, 63),
        ("Super Heinz", 7, 120),
        ("goliath", 8, 247),
        ("doubles", 2, 1),
        ("doubles", 5, 10),
        ("trebles", 5, 10),
        ("trebles", 6, 20),
        ("4-folds", 6, 15),
        ("5 folds", 8, 56),
        ("10-folds", 20, 184756),
    ],
)
def test_line_counts(system, n_legs, count):
    assert line_count(system, n_legs) == count
    if count < 1000:
        listed = lines(system, n_legs)
        assert len(listed) == count
        assert len(set(listed)) == count
        assert all(0 <= i < n_legs for line in listed for i in line)


def test_named_systems_by_line_size():
    def sizes(system, n):
        listed = lines(system, n)
        return {k: sum(1 for line in listed if len(line) == k) for k in range(1, n + 1)}

    assert sizes("trixie", 3) == {1: 0, 2: 3, 3: 1}
    assert sizes("patent", 3) == {1: 3, 2: 3, 3: 1}
    assert sizes("yankee", 4) == {1: 0, 2: 6, 3: 4, 4: 1}
    assert sizes("lucky 15", 4) == {1: 4, 2: 6, 3: 4, 4: 1}
    assert lines("doubles", 3) == ((0, 1), (0, 2), (1, 2))


def test_system_total_stake():
    legs = tuple(Leg(Decimal("2.00")) for _ in range(8))
    goliath = Bet("goliath", 50, legs)
    assert goliath.total_stake == 247 * 50
    assert canonical_system("Super Yankee") == canonical_system("canadian") == "canadian"
    assert canonical_system("trebles") == "3_folds"


@pytest.mark.parametrize(
    ("system", "n_legs", "code"),
    [
        ("trixie", 4, "wrong_leg_count"),
        ("yankee", 3, "wrong_leg_count"),
        ("goliath", 9, "wrong_leg_count"),
        ("single", 2, "wrong_leg_count"),
        ("multiple", 1, "wrong_leg_count"),
        ("multiple", 21, "too_many_legs"),
        ("doubles", 21, "too_many_legs"),
        ("trebles", 2, "wrong_leg_count"),
        ("1-folds", 3, "bad_fold_size"),
        ("0-folds", 3, "bad_fold_size"),
        ("round robin", 3, "unknown_system"),
        ("", 3, "unknown_system"),
    ],
)
def test_shape_errors(system, n_legs, code):
    with pytest.raises(BetShapeError) as caught:
        line_count(system, n_legs)
    assert caught.value.code == code
    with pytest.raises(BetShapeError) as caught:
        Bet(system, 100, tuple(Leg(Decimal(2)) for _ in range(n_legs)))
    assert caught.value.code == code


# ---------------------------------------------------------------------------------------------
# Cash-out


def test_cash_out_offer_with_margin():
    # a double: leg A won at 2.00, leg B open, placed at 3.00, now at 1.50
    bet = Bet("multiple", 1000, (Leg(Decimal("2.00"), WON), Leg(Decimal("3.00"))))
    # equity = 10.00 x 2 x (3.00 / 1.50) = 40.00; offer = 40.00 x 0.95 = 38.00
    assert cash_out_equity(bet, {1: Decimal("1.50")}) == 4000
    quote = cash_out_price(bet, {1: Decimal("1.50")}, Decimal("0.05"))
    assert quote.offer == 3800
    assert quote.offer <= potential_payout(bet) == 6000
    # a sequence aligned with the legs works too; the settled leg's entry is ignored
    assert cash_out_price(bet, [None, Decimal("1.50")], Decimal("0.05")).offer == 3800


def test_cash_out_offer_rounds_down_once():
    bet = single("2.10", None)
    # equity = 10.00 x 2.10 / 1.30 = 1615.3846...; x 0.95 = 1534.615... -> 1534
    quote = cash_out_price(bet, {0: Decimal("1.30")}, Decimal("0.05"))
    assert quote.equity == Fraction(1000 * 210, 130)
    assert quote.offer == 1534


def test_cash_out_of_a_system_bet():
    # Trixie over A won at 2.00, B open (placed 3.00, now 2.00), C void
    bet = Bet(
        "trixie", 100, (Leg(Decimal("2.00"), WON), Leg(Decimal("3.00")), Leg(Decimal("1.70"), VOID))
    )
    # values: A 2, B 3/2 = 1.5, C 1; lines AB 3, AC 2, BC 1.5, ABC 3 -> 9.5 x 1.00 = 950
    assert cash_out_equity(bet, {1: Decimal("2.00")}) == 950
    assert cash_out_price(bet, {1: Decimal("2.00")}, Decimal("0.1")).offer == 855  # 950 x 0.9


def test_cash_out_is_refused_without_a_price_or_when_settled():
    bet = Bet("multiple", 1000, (Leg(Decimal("2.00")), Leg(Decimal("3.00"))))
    assert cash_out_equity(bet, {0: Decimal("1.50")}) is None  # leg 1 has no price (suspended)
    assert cash_out_price(bet, {0: Decimal("1.50"), 1: None}) is None
    assert cash_out_price(bet, [Decimal("1.50")]) is None
    assert cash_out_price(single("2.00", WON), {}) is None  # settled: paid, not cashed out
    lost = Bet("multiple", 1000, (Leg(Decimal("2.00"), LOST), Leg(Decimal("3.00"))))
    assert cash_out_price(lost, {1: Decimal("2.00")}).offer == 0
    with pytest.raises(LegValueError) as caught:
        cash_out_price(bet, {0: Decimal(2), 1: Decimal(2)}, Decimal(1))
    assert caught.value.code == "bad_margin"
    with pytest.raises(LegValueError) as caught:
        cash_out_price(bet, {0: Decimal(2), 1: 1.5})
    assert caught.value.code == "float_not_allowed"


def test_partial_cash_out_example():
    # stake 10.00, full offer 15.34; cash out 5.00: ceil(1000 x 500 / 1534) = ceil(325.94) = 326
    part = partial_cash_out(1000, 1534, 500)
    assert (part.paid, part.cashed_stake, part.remaining_stake) == (500, 326, 674)
    assert part.fraction == Fraction(326, 1000)
    # what stays is worth at most 15.34 - 5.00 = 10.34 at the same prices: 1534 x 674 / 1000
    assert 1534 * 674 // 1000 == 1033
    full = partial_cash_out(1000, 1534, 1534)
    assert (full.paid, full.remaining_stake, full.is_full) == (1534, 0, True)
    # rounding would leave nothing: a full cash-out at the full offer
    tiny = partial_cash_out(3, 10, 9)
    assert (tiny.paid, tiny.cashed_stake, tiny.remaining_stake) == (10, 3, 0)
    for args, code in [((1000, 1534, 0), "bad_amount"), ((1000, 1534, 1535), "bad_amount")]:
        with pytest.raises(LegValueError) as caught:
            partial_cash_out(*args)
        assert caught.value.code == code


@pytest.mark.parametrize(
    ("placed", "current", "margin", "stake"),
    [
        ("2.10", "1.30", "0.05", 1000),
        ("1.333", "1.01", "0.07", 1),
        ("3.75", "2.90", "0", 777),
        ("11.00", "1.25", "0.03", 33),
    ],
)
def test_partial_cash_out_never_creates_money(placed, current, margin, stake):
    bet = Bet("multiple", stake, (Leg(Decimal("1.50"), WON), Leg(Decimal(placed))))
    prices = {1: Decimal(current)}
    offer = cash_out_price(bet, prices, Decimal(margin)).offer
    assert offer > 0
    for amount in range(1, offer + 1):
        part = partial_cash_out(stake, offer, amount)
        assert part.cashed_stake + part.remaining_stake == stake
        assert 0 <= part.remaining_stake < stake
        assert part.paid in (amount, offer)
        # pro rata at the same offer, and a fresh offer on what remains: never above the offer
        assert part.paid + offer * part.remaining_stake // stake <= offer
        if part.remaining_stake:
            rest = bet.with_unit_stake(part.remaining_stake)
            assert part.paid + cash_out_price(rest, prices, Decimal(margin)).offer <= offer
            assert potential_payout(rest) <= potential_payout(bet)


def test_partial_cash_out_of_a_system_bet_on_its_unit_stake():
    legs = (Leg(Decimal("2.00"), WON), Leg(Decimal("3.00")), Leg(Decimal("1.70"), VOID))
    bet = Bet("trixie", 100, legs)
    prices = {1: Decimal("2.00")}
    offer = cash_out_price(bet, prices, Decimal("0.1")).offer  # 855
    for amount in range(1, offer + 1):
        part = partial_cash_out(bet.unit_stake, offer, amount)
        if part.remaining_stake:
            rest = bet.with_unit_stake(part.remaining_stake)
            assert rest.total_stake == part.remaining_stake * 4
            assert part.paid + cash_out_price(rest, prices, Decimal("0.1")).offer <= offer


def test_partial_cash_out_grid():
    for stake in (1, 2, 3, 7, 10, 99, 100, 1001):
        for offer in (1, 2, 3, 5, 17, 100, 333, 1000, 4567):
            for amount in range(1, offer + 1, max(1, offer // 50)):
                part = partial_cash_out(stake, offer, amount)
                assert part.cashed_stake + part.remaining_stake == stake
                assert part.cashed_stake >= 1
                assert part.paid + offer * part.remaining_stake // stake <= offer
                # and exactly: the remaining share is worth no more than what was not paid
                assert Fraction(offer * part.remaining_stake, stake) <= offer - part.paid
