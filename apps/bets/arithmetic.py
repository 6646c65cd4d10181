"""The sportsbook's bet arithmetic: settlement factors, bet shapes, payouts and cash-out.

Pure Python, no Django, no floats. Money is integer minor units (cents); odds and the feed's
factors are :class:`~decimal.Decimal`. Intermediate products are exact (``Decimal`` additions and
multiplications under a context that traps any rounding, ``Fraction`` where a division appears);
money is rounded exactly where documented, always *down*, in the house's favour.

Rules
-----
**Leg factor** (return per unit stake of one settled selection), from the feed's ``result`` *r*
(1 won, 0 lost), ``void_factor`` *v* (absent = 0) and ``dead_heat_factor`` *f* (absent = 1)::

    factor = v + (1 - v) * r * f * odds

which gives: won ``odds``; lost ``0``; void (v = 1) ``1``; half-won (r = 1, v = 0.5)
``0.5 + 0.5 * odds``; half-lost (r = 0, v = 0.5) ``0.5``; dead heat (r = 1, f) ``f * odds``.
When a void factor and a dead-heat factor both appear, the void part is refunded and the dead-heat
factor applies to the rest (the formula above). A leg cancelled by the feed (``bet_cancel``)
counts as void: factor ``1``, whatever its result. An open leg (no settlement, or the feed's
``result = -1`` "undecided") has no factor (``None``); a bet with any open leg is not settled.

**Bet shapes**: a bet is a *system* over *n* legs; every system is a set of *lines*, each line a
combination of leg indices staked with the bet's unit stake. ``single`` (1 leg, 1 line),
``multiple`` / ``accumulator`` (2 to 20 legs, 1 line of all legs), ``k-folds`` (every
k-combination of the n legs; ``doubles`` = 2-folds, ``trebles`` = 3-folds; 2 <= k <= n), and the
named full-cover systems, each over exactly its number of legs: Trixie (3, 4 lines), Patent (3, 7),
Yankee (4, 11), Lucky 15 (4, 15), Canadian / Super Yankee (5, 26), Lucky 31 (5, 31), Heinz (6, 57),
Lucky 63 (6, 63), Super Heinz (7, 120), Goliath (8, 247). Lines are ordered by size, then
lexicographically by leg index. Total stake = unit stake x line count. No bet has more than
:data:`MAX_LEGS` legs.

**Payout**: ``sum over lines of floor(unit_stake x product of the line's leg factors)`` - each
line's return is computed exactly and rounded *down to the minor unit once per line*, then the
lines are added (integers). The potential payout is the same sum with every leg won at its placed
odds.

**Cash-out**: an open leg is worth ``placed_odds / current_odds`` per unit (its win at the placed
odds times the probability implied by the current odds); a settled leg is worth its factor. The
bet's *equity* is ``sum over lines of unit_stake x product of leg values``, exact (a Fraction).
The *offer* is ``floor(equity x (1 - margin))``: one rounding, down, on the whole offer. No offer
(``None``) when an open leg has no current odds, or when no leg is open (the bet settles instead).

**Partial cash-out**: paying ``amount`` out of a full ``offer`` retires
``ceil(stake x amount / offer)`` of the stake (rounded *up*, so the remaining bet is never worth
more than the part of the offer not paid out): ``amount + offer on the remaining stake <= offer``.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, Inexact, InvalidOperation
from decimal import Rounded as DecimalRounded
from fractions import Fraction

__all__ = [
    "MAX_LEGS",
    "SYSTEM_NAMES",
    "Bet",
    "BetArithmeticError",
    "BetShapeError",
    "CashOutPrice",
    "Leg",
    "LegValueError",
    "PartialCashOut",
    "Settlement",
    "canonical_system",
    "cash_out_equity",
    "cash_out_price",
    "leg_factor",
    "line_count",
    "line_returns",
    "lines",
    "partial_cash_out",
    "payout",
    "potential_line_returns",
    "potential_payout",
]

MAX_LEGS = 20
"""The most legs any bet (a multiple, a k-folds system) may have."""

ONE = Decimal(1)
ZERO = Decimal(0)

# Additions and multiplications of finite decimals are exact given enough digits; this context
# has all of them and raises instead of ever rounding silently.
_EXACT = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[Inexact, DecimalRounded, InvalidOperation],
)


# --------------------------------------------------------------------------------------------
# Errors


class BetArithmeticError(ValueError):
    """A bet's inputs cannot be computed; ``code`` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class BetShapeError(BetArithmeticError):
    """The bet's shape is invalid: ``unknown_system``, ``wrong_leg_count``, ``too_many_legs``,
    ``bad_fold_size``."""


class LegValueError(BetArithmeticError):
    """A price, factor, stake or amount is invalid: ``float_not_allowed``, ``bad_number``,
    ``bad_odds``, ``bad_result``, ``bad_void_factor``, ``bad_dead_heat_factor``, ``bad_stake``,
    ``bad_margin``, ``bad_amount``."""


def _decimal(value: object, name: str, code: str) -> Decimal:
    """An exact Decimal from a Decimal, an int or a numeric string; floats are refused."""
    if isinstance(value, float):
        raise LegValueError("float_not_allowed", f"{name} must not be a float: {value!r}")
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise LegValueError(code, f"{name} must be a Decimal, an int or a string: {value!r}")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise LegValueError(code, f"{name} is not a number: {value!r}") from None
    if not number.is_finite():
        raise LegValueError(code, f"{name} must be finite: {value!r}")
    return number


def _money(value: object, name: str, code: str = "bad_stake", *, positive: bool = True) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LegValueError(code, f"{name} must be an integer amount of minor units: {value!r}")
    if value < 0 or (positive and value == 0):
        raise LegValueError(code, f"{name} must be {'positive' if positive else '>= 0'}: {value}")
    return value


def _odds(value: object, name: str = "odds") -> Decimal:
    odds = _decimal(value, name, "bad_odds")
    if odds < ONE:
        raise LegValueError("bad_odds", f"{name} must be at least 1: {odds}")
    return odds


def _floor(value: Fraction) -> int:
    return value.numerator // value.denominator


# --------------------------------------------------------------------------------------------
# Legs and their settlement


@dataclass(frozen=True)
class Settlement:
    """The feed's settlement of one outcome (``bet_settlement``), or its cancel (``bet_cancel``).

    ``result`` is 1 (won) or 0 (lost); ``void_factor`` is the refunded share (0, 0.5 or 1; any
    value in [0, 1] is accepted); ``dead_heat_factor`` in (0, 1] scales a win. ``cancelled`` marks
    a leg voided by ``bet_cancel`` (factor 1 whatever the rest says).
    """

    result: int
    void_factor: Decimal = ZERO
    dead_heat_factor: Decimal | None = None
    cancelled: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.result, bool) or self.result not in (0, 1):
            raise LegValueError("bad_result", f"result must be 0 or 1: {self.result!r}")
        void = _decimal(self.void_factor, "void_factor", "bad_void_factor")
        if not ZERO <= void <= ONE:
            raise LegValueError("bad_void_factor", f"void_factor must be in [0, 1]: {void}")
        object.__setattr__(self, "void_factor", void)
        if self.dead_heat_factor is not None:
            dead_heat = _decimal(self.dead_heat_factor, "dead_heat_factor", "bad_dead_heat_factor")
            if not ZERO < dead_heat <= ONE:
                raise LegValueError(
                    "bad_dead_heat_factor", f"dead_heat_factor must be in (0, 1]: {dead_heat}"
                )
            object.__setattr__(self, "dead_heat_factor", dead_heat)

    @classmethod
    def won(cls, dead_heat_factor: Decimal | None = None) -> Settlement:
        return cls(1, dead_heat_factor=dead_heat_factor)

    @classmethod
    def lost(cls) -> Settlement:
        return cls(0)

    @classmethod
    def void(cls) -> Settlement:
        return cls(0, void_factor=ONE)

    @classmethod
    def half_won(cls) -> Settlement:
        return cls(1, void_factor=Decimal("0.5"))

    @classmethod
    def half_lost(cls) -> Settlement:
        return cls(0, void_factor=Decimal("0.5"))

    @classmethod
    def cancel(cls) -> Settlement:
        return cls(0, cancelled=True)

    @classmethod
    def from_feed(
        cls,
        result: int | str,
        void_factor: Decimal | str | None = None,
        dead_heat_factor: Decimal | str | None = None,
    ) -> Settlement | None:
        """From the feed's attributes (strings or numbers); ``result = -1`` (undecided) -> None."""
        number = _decimal(result, "result", "bad_result")
        if number not in (-1, 0, 1) or number != number.to_integral_value():
            raise LegValueError("bad_result", f"result must be -1, 0 or 1: {result!r}")
        if number == -1:
            return None
        return cls(
            int(number),
            void_factor=ZERO if void_factor is None else void_factor,
            dead_heat_factor=dead_heat_factor,
        )

    def factor(self, odds: Decimal) -> Decimal:
        """Return per unit stake: ``v + (1 - v) * r * f * odds``; ``1`` when cancelled."""
        odds = _odds(odds)
        if self.cancelled:
            return ONE
        v = self.void_factor
        f = ONE if self.dead_heat_factor is None else self.dead_heat_factor
        won = _EXACT.multiply(_EXACT.multiply(Decimal(self.result), f), odds)
        return _EXACT.add(v, _EXACT.multiply(_EXACT.subtract(ONE, v), won))


@dataclass(frozen=True)
class Leg:
    """One selection of a bet: the odds it was placed at and its settlement (None while open)."""

    odds: Decimal
    settlement: Settlement | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "odds", _odds(self.odds))
        if self.settlement is not None and not isinstance(self.settlement, Settlement):
            raise TypeError(f"settlement must be a Settlement or None: {self.settlement!r}")

    @property
    def is_open(self) -> bool:
        return self.settlement is None

    @property
    def factor(self) -> Decimal | None:
        return leg_factor(self)


def leg_factor(leg: Leg) -> Decimal | None:
    """The leg's return factor per unit stake, or None while it is open (see module rules)."""
    return None if leg.settlement is None else leg.settlement.factor(leg.odds)


# --------------------------------------------------------------------------------------------
# Bet shapes


@dataclass(frozen=True)
class _Named:
    legs: int
    sizes: tuple[int, ...]


_NAMED: dict[str, _Named] = {
    "trixie": _Named(3, (2, 3)),
    "patent": _Named(3, (1, 2, 3)),
    "yankee": _Named(4, (2, 3, 4)),
    "lucky_15": _Named(4, (1, 2, 3, 4)),
    "canadian": _Named(5, (2, 3, 4, 5)),
    "lucky_31": _Named(5, (1, 2, 3, 4, 5)),
    "heinz": _Named(6, (2, 3, 4, 5, 6)),
    "lucky_63": _Named(6, (1, 2, 3, 4, 5, 6)),
    "super_heinz": _Named(7, (2, 3, 4, 5, 6, 7)),
    "goliath": _Named(8, (2, 3, 4, 5, 6, 7, 8)),
}
_ALIASES = {
    "acca": "multiple",
    "accumulator": "multiple",
    "parlay": "multiple",
    "super_yankee": "canadian",
    "lucky15": "lucky_15",
    "lucky31": "lucky_31",
    "lucky63": "lucky_63",
    "superheinz": "super_heinz",
    "superyankee": "canadian",
    "doubles": "2_folds",
    "trebles": "3_folds",
}
_FOLDS = re.compile(r"(\d+)_?folds?")

SYSTEM_NAMES: tuple[str, ...] = ("single", "multiple", "doubles", "trebles", "k_folds", *_NAMED)
"""The canonical system names (``k_folds`` stands for ``2_folds``, ``3_folds``, ...)."""


def canonical_system(system: str) -> str:
    """The canonical name of a system: lower case, ``_`` for spaces and ``-``, aliases resolved
    (``Lucky 15`` -> ``lucky_15``, ``Super Yankee`` -> ``canadian``, ``doubles`` -> ``2_folds``,
    ``4-folds`` -> ``4_folds``, ``accumulator`` -> ``multiple``)."""
    if not isinstance(system, str):
        raise BetShapeError("unknown_system", f"system must be a string: {system!r}")
    name = re.sub(r"[\s\-]+", "_", system.strip().lower())
    name = _ALIASES.get(name, name)
    match = _FOLDS.fullmatch(name)
    if match:
        return f"{int(match.group(1))}_folds"
    if name in ("single", "multiple") or name in _NAMED:
        return name
    raise BetShapeError("unknown_system", f"unknown system: {system!r}")


def _sizes(system: str, n_legs: int) -> tuple[int, ...]:
    """The combination sizes of ``system`` over ``n_legs`` legs, after validating the shape."""
    name = canonical_system(system)
    if isinstance(n_legs, bool) or not isinstance(n_legs, int):
        raise BetShapeError("wrong_leg_count", f"the leg count must be an int: {n_legs!r}")
    if n_legs > MAX_LEGS:
        raise BetShapeError("too_many_legs", f"at most {MAX_LEGS} legs, not {n_legs}")
    if name == "single":
        if n_legs != 1:
            raise BetShapeError("wrong_leg_count", f"a single has 1 leg, not {n_legs}")
        return (1,)
    if name == "multiple":
        if n_legs < 2:
            raise BetShapeError("wrong_leg_count", f"a multiple has 2 or more legs, not {n_legs}")
        return (n_legs,)
    if name in _NAMED:
        named = _NAMED[name]
        if n_legs != named.legs:
            raise BetShapeError(
                "wrong_leg_count", f"a {name} has exactly {named.legs} legs, not {n_legs}"
            )
        return named.sizes
    k = int(name.split("_", 1)[0])
    if k < 2 or k > MAX_LEGS:
        raise BetShapeError("bad_fold_size", f"a k-folds system needs 2 <= k <= {MAX_LEGS}: {k}")
    if n_legs < k:
        raise BetShapeError("wrong_leg_count", f"{k}-folds need at least {k} legs, not {n_legs}")
    return (k,)


def lines(system: str, n_legs: int) -> tuple[tuple[int, ...], ...]:
    """Every line of ``system`` over ``n_legs`` legs, as tuples of leg indices (0-based), ordered
    by size then lexicographically. Raises :class:`BetShapeError` for an invalid shape."""
    return tuple(
        combination
        for size in _sizes(system, n_legs)
        for combination in itertools.combinations(range(n_legs), size)
    )


def line_count(system: str, n_legs: int) -> int:
    """How many lines ``system`` has over ``n_legs`` legs (without listing them)."""
    return sum(math.comb(n_legs, size) for size in _sizes(system, n_legs))


@dataclass(frozen=True)
class Bet:
    """A bet: its system, its unit stake (minor units, per line) and its legs.

    The shape is validated on construction; ``total_stake = unit_stake x line_count``. For a
    single or a multiple the unit stake is the stake.
    """

    system: str
    unit_stake: int
    legs: tuple[Leg, ...]
    lines: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        legs = tuple(self.legs)
        if not all(isinstance(leg, Leg) for leg in legs):
            raise TypeError("legs must be Leg instances")
        object.__setattr__(self, "legs", legs)
        object.__setattr__(self, "system", canonical_system(self.system))
        _money(self.unit_stake, "unit_stake")
        object.__setattr__(self, "lines", lines(self.system, len(legs)))

    @property
    def line_count(self) -> int:
        return len(self.lines)

    @property
    def total_stake(self) -> int:
        return self.unit_stake * len(self.lines)

    @property
    def is_settled(self) -> bool:
        return all(leg.settlement is not None for leg in self.legs)

    def with_unit_stake(self, unit_stake: int) -> Bet:
        """The same bet with another unit stake (e.g. what remains after a partial cash-out)."""
        return replace(self, unit_stake=unit_stake)


# --------------------------------------------------------------------------------------------
# Payouts


def _line_returns(unit_stake: int, values: Sequence[Fraction], bet: Bet) -> tuple[int, ...]:
    return tuple(
        _floor(unit_stake * math.prod((values[i] for i in line), start=Fraction(1)))
        for line in bet.lines
    )


def line_returns(bet: Bet) -> tuple[int, ...] | None:
    """Each line's return (minor units, rounded down per line), in :attr:`Bet.lines` order;
    None while any leg is open."""
    factors = [leg_factor(leg) for leg in bet.legs]
    if any(factor is None for factor in factors):
        return None
    return _line_returns(bet.unit_stake, [Fraction(factor) for factor in factors], bet)


def payout(bet: Bet) -> int | None:
    """What the settled bet pays (minor units): the sum of :func:`line_returns`; None while any
    leg is open. A void or cancelled leg counts at factor 1."""
    returns = line_returns(bet)
    return None if returns is None else sum(returns)


def potential_line_returns(bet: Bet) -> tuple[int, ...]:
    """Each line's return if every leg wins at its placed odds (rounded down per line)."""
    return _line_returns(bet.unit_stake, [Fraction(leg.odds) for leg in bet.legs], bet)


def potential_payout(bet: Bet) -> int:
    """The maximum payout, shown at placement: every leg won at its placed odds."""
    return sum(potential_line_returns(bet))


# --------------------------------------------------------------------------------------------
# Cash-out


def cash_out_equity(
    bet: Bet, current_odds: Mapping[int, Decimal | None] | Sequence[Decimal | None]
) -> Fraction | None:
    """The bet's fair value now, exact (minor units as a Fraction).

    ``current_odds`` gives the current price of each open leg, by leg index (a mapping, or a
    sequence aligned with ``bet.legs``; entries for settled legs are ignored). An open leg is
    worth ``placed_odds / current_odds`` per unit, a settled leg its factor; equity =
    ``sum over lines of unit_stake x product of leg values``. None when an open leg has no current
    odds, or when no leg is open (a settled bet is paid by :func:`payout`, not cashed out).
    """
    if bet.is_settled:
        return None
    values: list[Fraction] = []
    for index, leg in enumerate(bet.legs):
        factor = leg_factor(leg)
        if factor is not None:
            values.append(Fraction(factor))
            continue
        if isinstance(current_odds, Mapping):
            price = current_odds.get(index)
        else:
            price = current_odds[index] if index < len(current_odds) else None
        if price is None:
            return None
        values.append(Fraction(leg.odds) / Fraction(_odds(price, f"current odds of leg {index}")))
    return sum(
        (
            bet.unit_stake * math.prod((values[i] for i in line), start=Fraction(1))
            for line in bet.lines
        ),
        start=Fraction(0),
    )


@dataclass(frozen=True)
class CashOutPrice:
    """A cash-out offer: the exact equity and the offer (minor units, rounded down)."""

    equity: Fraction
    margin: Decimal
    offer: int


def cash_out_price(
    bet: Bet,
    current_odds: Mapping[int, Decimal | None] | Sequence[Decimal | None],
    margin: Decimal = ZERO,
) -> CashOutPrice | None:
    """The cash-out offer: ``floor(equity x (1 - margin))``, 0 <= margin < 1; None when
    :func:`cash_out_equity` is None. An offer of 0 (a leg already lost) is still a quote."""
    margin = _decimal(margin, "margin", "bad_margin")
    if not ZERO <= margin < ONE:
        raise LegValueError("bad_margin", f"margin must be in [0, 1): {margin}")
    equity = cash_out_equity(bet, current_odds)
    if equity is None:
        return None
    return CashOutPrice(equity, margin, _floor(equity * (1 - Fraction(margin))))


@dataclass(frozen=True)
class PartialCashOut:
    """The result of cashing out ``paid`` of a full ``offer`` on ``stake``.

    ``cashed_stake + remaining_stake == stake``; the bet stays open on ``remaining_stake``.
    """

    stake: int
    offer: int
    paid: int
    cashed_stake: int
    remaining_stake: int

    @property
    def fraction(self) -> Fraction:
        """The share of the stake cashed out."""
        return Fraction(self.cashed_stake, self.stake)

    @property
    def is_full(self) -> bool:
        return self.remaining_stake == 0


def partial_cash_out(stake: int, offer: int, amount: int) -> PartialCashOut:
    """Cash out ``amount`` (0 < amount <= offer) of a full cash-out ``offer`` on ``stake``.

    ``stake`` is the bet's stake for a single or a multiple, its *unit* stake for a system bet
    (the remaining total stake is then ``remaining_stake x line_count``).

    Rule: ``cashed_stake = ceil(stake x amount / offer)``, ``remaining_stake = stake -
    cashed_stake``. Rounding the retired stake *up* means the stake left is worth at most
    ``offer - amount`` at the same prices, so nothing is created: ``amount + floor(offer x
    remaining_stake / stake) <= offer``, and the same holds for a fresh offer on the remaining
    bet (offers are linear in the stake before their single rounding down). If the rounding
    retires the whole stake, it is a full cash-out and ``paid = offer``; otherwise
    ``paid = amount``.
    """
    _money(stake, "stake")
    _money(offer, "offer", "bad_amount")
    _money(amount, "amount", "bad_amount")
    if amount > offer:
        raise LegValueError("bad_amount", f"the amount {amount} exceeds the offer {offer}")
    cashed = -(-stake * amount // offer)  # ceil
    remaining = stake - cashed
    paid = offer if remaining == 0 else amount
    return PartialCashOut(stake, offer, paid, cashed, remaining)
