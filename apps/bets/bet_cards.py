"""What a player reads about their bets (my bets, a bet's page, the API): each leg named as the
brand's pages name it, its result in words, the settlement's arithmetic line by line, the bet's
status and refusal in words, its cash-outs.

Reads nothing per bet: the names of every leg of a page come from the catalog in two queries
(``apps.catalog.selection_names``); the caller passes the offers and cash-outs it read in bulk.
The arithmetic shown is the settlement's own (``arithmetic``, ``settlement.leg_settlement``),
so what the page says each line returned is what was paid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from apps.bets import arithmetic
from apps.bets.models import Bet, BetLeg, CashOut
from apps.bets.settlement import leg_settlement
from apps.catalog.selection_names import Selection, SelectionName, selection_names
from betting.currencies import money

TIMES = "\u00d7"  # the multiplication sign the sums are written with
SHOWN_LINES = 30  # a Goliath has 247 lines: the page lists the first ones, then the total

REFUSALS = {
    "odds_changed": "the odds changed",
    "outcome_inactive": "the selection was no longer available",
    "market_suspended": "the market was suspended",
    "market_settled": "the market was already settled",
    "producer_down": "betting on the market was paused (the odds feed was interrupted)",
    "event_closed": "the event had ended",
    "not_offered": "the market is not offered",
    "unknown_market": "the market no longer exists",
    "leg_suspended": "a selection's market takes no bets right now",
    "price_moved": "the cash-out price moved",
    "no_offer": "the bet has no cash-out value now",
    "not_open": "the bet is no longer open",
    "invalid_amount": "the amount must be more than zero and at most the offer",
    "account_closed": "your account takes no bets",
    "expired": "it could not be decided in time",
    "stake_too_high": "the stake was above the maximum",
    "stake_too_low": "the stake was below the minimum",
    "payout_too_high": "the potential payout was above the maximum",
    "insufficient_funds": "there was not enough money in your account",
    "liability_limit": "the bookmaker's limit on the selection was reached",
    "too_many_lines": "the bet has more lines than the bookmaker takes",
    "unknown_bet": "there is no such bet",
    "invalid_request": "the form was not complete",
}


def refusal_words(code: str) -> str:
    """A refusal's code in a player's words (the code itself for one not listed)."""
    return REFUSALS.get(code, code.replace("_", " "))


SYSTEM_NAMES = {
    "trixie": "Trixie",
    "patent": "Patent",
    "yankee": "Yankee",
    "lucky_15": "Lucky 15",
    "canadian": "Canadian (Super Yankee)",
    "lucky_31": "Lucky 31",
    "heinz": "Heinz",
    "lucky_63": "Lucky 63",
    "super_heinz": "Super Heinz",
    "goliath": "Goliath",
    "2_folds": "Doubles",
    "3_folds": "Trebles",
}

LEG_RESULTS = {
    "open": "not settled yet",
    "won": "won",
    "lost": "lost",
    "void": "void: stake returned on this leg",
    "half_won": "half won: half the stake void",
    "half_lost": "half lost: half the stake returned",
}


def _figure(value: Decimal | Fraction, *, places: int = 0) -> str:
    """A factor or odds as people read it: no trailing zeros beyond ``places`` decimals."""
    number = (
        Decimal(value.numerator) / Decimal(value.denominator)
        if isinstance(value, Fraction)
        else Decimal(value)
    )
    text = format(number.normalize(), "f")
    whole, _, decimals = text.partition(".")
    decimals = decimals.rstrip("0").ljust(places, "0")
    return f"{whole}.{decimals}" if decimals else whole


def odds_text(odds: Decimal) -> str:
    return _figure(odds, places=2)


@dataclass(frozen=True)
class LegCard:
    position: int
    event_id: int
    event: str
    market: str
    outcome: str
    odds: str
    result: str  # the leg's status: open, won, lost, void, half_won, half_lost
    result_words: str
    factor: str  # the return per unit staked, "" while open
    arithmetic: str  # how the factor was found, in figures
    sport: str = ""
    leg_void: Decimal | None = None  # the feed's void factor, as settled
    leg_dead_heat: Decimal | None = None  # the feed's dead-heat factor, as settled


@dataclass(frozen=True)
class LineCard:
    legs: str  # "1 x 3" (with TIMES): the legs (by position from 1) of the line
    sum: str  # "10.00 x 2.10 x 1 = 21.00" (with TIMES)
    returned: int


@dataclass
class BetCard:
    bet: Bet
    id: str
    title: str  # "Single", "Treble", "Trixie (3 legs, 4 lines)"
    status: str
    status_words: str
    currency: str
    stake: str
    unit_stake: str
    potential: str
    payout: str
    legs: list[LegCard]
    lines: list[LineCard] = field(default_factory=list)
    lines_hidden: int = 0
    lines_total: str = ""  # "the lines returned 21.00" or "if every leg wins: 21.00"
    settled: bool = False
    offer: int | None = None
    offer_text: str = ""
    cash_outs: list[str] = field(default_factory=list)


def _leg_card(leg: BetLeg, name: SelectionName) -> LegCard:
    settlement = leg_settlement(leg)
    odds = odds_text(leg.odds)
    if settlement is None:
        factor, sums = "", ""
        words = LEG_RESULTS["open"]
    else:
        value = settlement.factor(leg.odds)
        factor = _figure(value)
        v, f = settlement.void_factor, settlement.dead_heat_factor
        if leg.cancelled:
            words, sums = "void: cancelled by the bookmaker, stake returned on this leg", "1"
        elif settlement.result == 1 and f is not None and f != 1:
            won = f"{_figure(f)} {TIMES} {odds}"
            words = f"dead heat: the winnings are shared (dead-heat factor {_figure(f)})"
            sums = (
                f"{_figure(v)} + {_figure(1 - v)} {TIMES} {won} = {factor}"
                if v
                else f"{won} = {factor}"
            )
        elif 0 < v < 1 and settlement.result == 1:
            sums = f"{_figure(v)} + {_figure(1 - v)} {TIMES} {odds} = {factor}"
            words = LEG_RESULTS.get(leg.status, leg.status)
        elif 0 < v < 1:
            sums = f"{_figure(v)} (the void part)"
            words = LEG_RESULTS.get(leg.status, leg.status)
        else:
            words = LEG_RESULTS.get(leg.status, leg.status)
            sums = {"won": odds, "lost": "0", "void": "1"}.get(leg.status, factor)
        if v and not leg.cancelled:
            words += f" (void factor {_figure(v)})"
    return LegCard(
        position=leg.position,
        event_id=leg.event_id,
        event=name.event,
        market=name.market,
        outcome=name.outcome,
        odds=odds,
        result=leg.status,
        result_words=words,
        factor=factor,
        arithmetic=sums,
        sport=name.sport,
        leg_void=leg.void_factor,
        leg_dead_heat=leg.dead_heat_factor,
    )


def _title(bet: Bet, legs: int) -> str:
    if bet.kind == "single":
        return "Single"
    if bet.kind == "multiple":
        named = {2: "Double", 3: "Treble"}.get(legs)
        return named or f"Multiple ({legs} legs)"
    try:
        canonical = arithmetic.canonical_system(bet.system)
    except arithmetic.BetArithmeticError:
        canonical = bet.system
    name = SYSTEM_NAMES.get(canonical) or canonical.replace("_", "-").capitalize()
    return f"{name} ({legs} legs, {bet.lines} lines)"


def _lines(bet: Bet, legs: list[BetLeg], cards: list[LegCard]) -> tuple[list[LineCard], int, str]:
    """Each line's sum (the first ``SHOWN_LINES``), how many more, and the total in words."""
    shape_system = bet.kind if bet.kind in ("single", "multiple") else bet.system
    try:
        combos = arithmetic.lines(shape_system, len(legs))
    except arithmetic.BetArithmeticError:
        return [], 0, ""
    settled = all(leg.status != "open" for leg in legs)
    values = [
        Fraction(leg_settlement(leg).factor(leg.odds)) if settled else Fraction(leg.odds)
        for leg in legs
    ]
    figures = [card.factor if settled else card.odds for card in cards]
    unit = money(bet.unit_stake, bet.currency)
    out, total = [], 0
    for combo in combos:
        returned = math.floor(bet.unit_stake * math.prod((values[i] for i in combo), start=1))
        total += returned
        if len(out) < SHOWN_LINES:
            product = f" {TIMES} ".join([unit, *(figures[i] for i in combo)])
            out.append(
                LineCard(
                    legs=f" {TIMES} ".join(str(legs[i].position + 1) for i in combo),
                    sum=f"{product} = {money(returned, bet.currency)}",
                    returned=returned,
                )
            )
    words = (
        f"the lines returned {money(total, bet.currency)} {bet.currency}"
        if settled
        else f"if every leg wins: {money(total, bet.currency)} {bet.currency}"
    )
    return out, max(len(combos) - SHOWN_LINES, 0), words


def _status_words(bet: Bet, cash_outs: list[CashOut]) -> str:
    currency = bet.currency
    if bet.status == "pending":
        return "Live bet: waiting for the in-play delay, then accepted or refused"
    if bet.status == "open":
        paid = [c for c in cash_outs if c.status == "paid"]
        return "Accepted, partly cashed out" if paid else "Accepted"
    if bet.status == "refused":
        words = f"Refused: {refusal_words(bet.refusal)}"
        if bet.live:
            words += ". Your stake was returned"
        return words
    if bet.status == "cashed_out":
        return f"Cashed out for {money(bet.payout, currency)} {currency}"
    if bet.payout > 0:
        return f"Settled: returned {money(bet.payout, currency)} {currency}"
    return "Settled: lost"


def _cash_out_words(record: CashOut, currency: str) -> str:
    when = record.created_at.strftime("%d %b %Y %H:%M UTC") if record.created_at else ""
    if record.status == "paid":
        return (
            f"{when}: cashed out {money(record.amount, currency)} {currency} (unit stake "
            f"{money(record.unit_stake_before, currency)} → "
            f"{money(record.unit_stake_after, currency)})"
        )
    asked = money(record.requested or record.seen_offer, currency)
    if record.status == "pending":
        return f"{when}: cash-out of {asked} {currency} asked, decided after the in-play delay"
    return f"{when}: cash-out of {asked} {currency} refused: {refusal_words(record.refusal)}"


def bet_cards(
    bets: list[tuple[Bet, list[BetLeg]]],
    *,
    offers: dict[int, int | None] | None = None,
    cash_outs: dict[int, list[CashOut]] | None = None,
) -> list[BetCard]:
    """The cards of these bets, names read in two queries for all of them."""
    offers, cash_outs = offers or {}, cash_outs or {}
    names = selection_names(
        Selection(leg.event_id, leg.market_id, leg.specifiers, leg.outcome_id)
        for _bet, legs in bets
        for leg in legs
    )
    cards = []
    for bet, legs in bets:
        leg_cards = [
            _leg_card(
                leg, names[Selection(leg.event_id, leg.market_id, leg.specifiers, leg.outcome_id)]
            )
            for leg in legs
        ]
        mine = cash_outs.get(bet.id, [])
        card = BetCard(
            bet=bet,
            id=str(bet.id),
            title=_title(bet, len(legs)),
            status=bet.status,
            status_words=_status_words(bet, mine),
            currency=bet.currency,
            stake=money(bet.stake, bet.currency),
            unit_stake=money(bet.unit_stake, bet.currency),
            potential=money(bet.potential_payout, bet.currency),
            payout=money(bet.payout, bet.currency),
            legs=leg_cards,
            settled=bet.status == "settled",
            offer=offers.get(bet.id),
            offer_text=money(offers.get(bet.id), bet.currency),
            cash_outs=[_cash_out_words(c, bet.currency) for c in mine],
        )
        if bet.status in ("open", "pending", "settled"):
            card.lines, card.lines_hidden, card.lines_total = _lines(bet, legs, leg_cards)
        cards.append(card)
    return cards
