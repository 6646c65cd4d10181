"""UOF messages parsed into plain values: what the adapter applies to the catalog.

Parsing is strict about what the platform relies on (product, timestamp, event id, market and
outcome ids, odds as decimals, result codes) and lenient about the rest, so a provider adding
attributes does not break the feed. Anything unusable raises MalformedMessage, which the adapter
counts, logs and skips.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from apps.catalog.naming import BadSpecifiers, canonical_specifiers

MARKET_ACTIVE, MARKET_INACTIVE, MARKET_SUSPENDED = 1, 0, -1
MARKET_HANDED_OVER, MARKET_SETTLED, MARKET_CANCELLED = -2, -3, -4


class MalformedMessage(ValueError):
    """The message cannot be used (bad XML, a missing or invalid required attribute)."""


@dataclass(frozen=True)
class Outcome:
    id: str
    odds: Decimal | None
    probability: Decimal | None
    active: bool


@dataclass(frozen=True)
class Market:
    id: int
    specifiers: str
    status: int
    favourite: bool = False
    outcomes: tuple[Outcome, ...] = ()

    @property
    def key(self) -> tuple[int, str]:
        return (self.id, self.specifiers)


@dataclass(frozen=True)
class EventStatus:
    status: int
    match_status: int | None
    home_score: int | None
    away_score: int | None
    match_time: str | None


@dataclass(frozen=True)
class SettledOutcome:
    id: str
    result: int  # 1 won, 0 lost, -1 undecided
    void_factor: Decimal  # 0, 0.5 or 1
    dead_heat_factor: Decimal | None


@dataclass(frozen=True)
class SettledMarket:
    id: int
    specifiers: str
    void_reason: int | None
    outcomes: tuple[SettledOutcome, ...]

    @property
    def key(self) -> tuple[int, str]:
        return (self.id, self.specifiers)


@dataclass(frozen=True)
class MarketRef:
    id: int
    specifiers: str
    void_reason: int | None = None

    @property
    def key(self) -> tuple[int, str]:
        return (self.id, self.specifiers)


@dataclass(frozen=True)
class Message:
    """Common to every message: the producer (``product``) and the provider's timestamp (ms)."""

    product: int
    timestamp: int
    request_id: int | None


@dataclass(frozen=True)
class EventMessage(Message):
    event_id: str


@dataclass(frozen=True)
class OddsChange(EventMessage):
    status: EventStatus | None = None
    betting_status: int | None = None
    betstop_reason: int | None = None
    markets: tuple[Market, ...] = ()


@dataclass(frozen=True)
class BetStop(EventMessage):
    groups: tuple[str, ...] = ("all",)
    market_status: int = MARKET_SUSPENDED


@dataclass(frozen=True)
class BetSettlement(EventMessage):
    certainty: int = 2  # 1 live-scouted, 2 confirmed
    markets: tuple[SettledMarket, ...] = ()


@dataclass(frozen=True)
class BetCancel(EventMessage):
    start_time: int | None = None
    end_time: int | None = None
    superceded_by: str | None = None
    markets: tuple[MarketRef, ...] = ()


@dataclass(frozen=True)
class RollbackBetSettlement(EventMessage):
    markets: tuple[MarketRef, ...] = ()


@dataclass(frozen=True)
class RollbackBetCancel(EventMessage):
    start_time: int | None = None
    end_time: int | None = None
    markets: tuple[MarketRef, ...] = ()


@dataclass(frozen=True)
class FixtureChange(EventMessage):
    change_type: int | None = None
    start_time: int | None = None
    next_live_time: int | None = None


@dataclass(frozen=True)
class Alive(Message):
    subscribed: bool = True


@dataclass(frozen=True)
class SnapshotComplete(Message):
    pass


@dataclass(frozen=True)
class ProductDown(Message):
    pass


def _int(element: Element, name: str, *, required: bool = False) -> int | None:
    value = element.get(name)
    if value is None or value == "":
        if required:
            raise MalformedMessage(f"<{element.tag}> lacks {name}")
        return None
    try:
        return int(value)
    except ValueError:
        raise MalformedMessage(f"<{element.tag} {name}={value!r}> is not an integer") from None


def _decimal(element: Element, name: str) -> Decimal | None:
    value = element.get(name)
    if value is None or value == "":
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise MalformedMessage(f"<{element.tag} {name}={value!r}> is not a number") from None
    if not number.is_finite():
        raise MalformedMessage(f"<{element.tag} {name}={value!r}> is not finite")
    return number


def _market_refs(parent: Element) -> tuple[MarketRef, ...]:
    return tuple(
        MarketRef(
            id=_int(m, "id", required=True),
            specifiers=canonical_specifiers(m.get("specifiers")),
            void_reason=_int(m, "void_reason"),
        )
        for m in parent.findall("market")
    )


def _odds_change(root: Element, base: dict[str, Any]) -> OddsChange:
    status = None
    ses = root.find("sport_event_status")
    if ses is not None:
        clock = ses.find("clock")
        status = EventStatus(
            status=_int(ses, "status", required=True),
            match_status=_int(ses, "match_status"),
            home_score=_int(ses, "home_score"),
            away_score=_int(ses, "away_score"),
            match_time=clock.get("match_time") if clock is not None else None,
        )
    odds = root.find("odds")
    markets: list[Market] = []
    if odds is not None:
        for m in odds.findall("market"):
            outcomes = []
            for o in m.findall("outcome"):
                price = _decimal(o, "odds")
                if price is not None and price < 1:
                    raise MalformedMessage(f"odds {price} below 1.0")
                outcomes.append(
                    Outcome(
                        id=o.get("id") or _missing(o, "id"),
                        odds=price,
                        probability=_decimal(o, "probabilities"),
                        active=o.get("active", "1") == "1",
                    )
                )
            markets.append(
                Market(
                    id=_int(m, "id", required=True),
                    specifiers=canonical_specifiers(m.get("specifiers")),
                    status=_int(m, "status") if m.get("status") is not None else MARKET_ACTIVE,
                    favourite=m.get("favourite") == "1",
                    outcomes=tuple(outcomes),
                )
            )
    return OddsChange(
        **base,
        status=status,
        betting_status=_int(odds, "betting_status") if odds is not None else None,
        betstop_reason=_int(odds, "betstop_reason") if odds is not None else None,
        markets=tuple(markets),
    )


def _missing(element: Element, name: str) -> str:
    raise MalformedMessage(f"<{element.tag}> lacks {name}")


def _bet_settlement(root: Element, base: dict[str, Any]) -> BetSettlement:
    markets = []
    container = root.find("outcomes")
    for m in container.findall("market") if container is not None else []:
        outcomes = []
        for o in m.findall("outcome"):
            result = _int(o, "result", required=True)
            if result not in (-1, 0, 1):
                raise MalformedMessage(f"result {result} is not -1, 0 or 1")
            void_factor = _decimal(o, "void_factor") or Decimal(0)
            if void_factor not in (Decimal(0), Decimal("0.5"), Decimal(1)):
                raise MalformedMessage(f"void factor {void_factor} is not 0, 0.5 or 1")
            outcomes.append(
                SettledOutcome(
                    id=o.get("id") or _missing(o, "id"),
                    result=result,
                    void_factor=void_factor,
                    dead_heat_factor=_decimal(o, "dead_heat_factor"),
                )
            )
        markets.append(
            SettledMarket(
                id=_int(m, "id", required=True),
                specifiers=canonical_specifiers(m.get("specifiers")),
                void_reason=_int(m, "void_reason"),
                outcomes=tuple(outcomes),
            )
        )
    return BetSettlement(**base, certainty=_int(root, "certainty") or 2, markets=tuple(markets))


def parse(raw: bytes) -> Message:
    """One UOF message from its XML bytes."""
    try:
        root = fromstring(raw)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise MalformedMessage(f"not usable XML: {exc}") from None
    base: dict[str, Any] = {
        "product": _int(root, "product", required=True),
        "timestamp": _int(root, "timestamp", required=True),
        "request_id": _int(root, "request_id"),
    }
    tag = root.tag
    if tag == "alive":
        return Alive(**base, subscribed=root.get("subscribed", "1") == "1")
    if tag == "snapshot_complete":
        return SnapshotComplete(**base)
    if tag == "product_down":
        return ProductDown(**base)
    event_id = root.get("event_id")
    if tag not in _EVENT_PARSERS:
        raise MalformedMessage(f"unknown message <{tag}>")
    if not event_id or event_id.count(":") < 2:
        raise MalformedMessage(f"<{tag}> lacks a valid event_id")
    try:
        return _EVENT_PARSERS[tag](root, {**base, "event_id": event_id})
    except BadSpecifiers as exc:
        raise MalformedMessage(str(exc)) from None


_EVENT_PARSERS = {
    "odds_change": _odds_change,
    "bet_settlement": _bet_settlement,
    "bet_stop": lambda root, base: BetStop(
        **base,
        groups=tuple((root.get("groups") or "all").split("|")),
        market_status=_int(root, "market_status") or MARKET_SUSPENDED,
    ),
    "bet_cancel": lambda root, base: BetCancel(
        **base,
        start_time=_int(root, "start_time"),
        end_time=_int(root, "end_time"),
        superceded_by=root.get("superceded_by"),
        markets=_market_refs(root),
    ),
    "rollback_bet_settlement": lambda root, base: RollbackBetSettlement(
        **base, markets=_market_refs(root)
    ),
    "rollback_bet_cancel": lambda root, base: RollbackBetCancel(
        **base,
        start_time=_int(root, "start_time"),
        end_time=_int(root, "end_time"),
        markets=_market_refs(root),
    ),
    "fixture_change": lambda root, base: FixtureChange(
        **base,
        change_type=_int(root, "change_type"),
        start_time=_int(root, "start_time"),
        next_live_time=_int(root, "next_live_time"),
    ),
}
