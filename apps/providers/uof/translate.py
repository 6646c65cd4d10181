"""UOF messages turned into catalog changes (a ``FeedBatch``), as PROTOCOLS.md describes them.

The translation knows the feed's meaning: market identity by id + specifiers, bet-stop groups,
settlement results with void and dead-heat factors, cancel windows, rollbacks. Whatever it cannot
use (an unknown event, a market with no description, a disabled sport) it counts and skips; the
rest of the message still applies.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from apps.catalog.store import EventState, FeedBatch, Line, ResultRow
from apps.providers.uof import messages as m

log = logging.getLogger(__name__)

LIVE_STATUSES = {1, 2, 7}  # live, suspended (in play), interrupted
FIXTURE_CANCELLED = 3


@dataclass(frozen=True)
class KnownEvent:
    id: int
    sport_urn: str


@dataclass
class Context:
    """What the translation needs to know about the platform's catalog."""

    resolve_event: Callable[[str], KnownEvent | None]
    market_groups: dict[int, frozenset[str]]  # described markets -> their bet-stop groups
    enabled_sports: frozenset[str] = frozenset()  # empty: every sport

    def sport_enabled(self, sport_urn: str) -> bool:
        return not self.enabled_sports or sport_urn in self.enabled_sports


class Translator:
    """Adds messages to a batch; ``counts`` says what was applied or skipped, and why."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.counts: Counter[str] = Counter()
        self.touched: set[int] = set()  # catalog event ids this batch touches

    def add(self, message: m.Message, batch: FeedBatch) -> bool:
        """Add one event message; False if it was skipped as a whole."""
        if not isinstance(message, m.EventMessage):
            raise TypeError(f"{type(message).__name__} carries no event")
        event = self.context.resolve_event(message.event_id)
        if event is None:
            self.counts["unknown_event"] += 1
            # Per message, and counted (the provider's unknown_event): DEBUG, not to flood the log.
            log.debug("unknown event skipped", extra={"event": message.event_id})
            return False
        if not self.context.sport_enabled(event.sport_urn):
            self.counts["disabled_sport"] += 1
            return False
        handler = _HANDLERS[type(message)]
        handler(self, message, event.id, batch)
        self.touched.add(event.id)
        self.counts[type(message).__name__] += 1
        return True

    def _described(self, market_id: int, event_urn: str) -> bool:
        if market_id in self.context.market_groups:
            return True
        self.counts["unknown_market"] += 1
        log.debug("unknown market skipped", extra={"event": event_urn, "market": market_id})
        return False

    def _odds_change(self, msg: m.OddsChange, event_id: int, batch: FeedBatch) -> None:
        if msg.status is not None:
            s = msg.status
            batch.status(
                EventState(
                    event_id=event_id,
                    ts=msg.timestamp,
                    status=s.status,
                    live=s.status in LIVE_STATUSES,
                    home_score=s.home_score,
                    away_score=s.away_score,
                    match_status=s.match_status,
                    match_time=s.match_time or "",
                )
            )
        for market in msg.markets:
            if not self._described(market.id, msg.event_id):
                continue
            batch.line(
                Line(
                    event_id=event_id,
                    market_id=market.id,
                    specifiers=market.specifiers,
                    status=market.status,
                    producer=msg.product,
                    ts=msg.timestamp,
                    favourite=market.favourite,
                    outcomes=tuple(
                        {
                            "id": o.id,
                            "odds": str(o.odds) if o.odds is not None else None,
                            "active": o.active and o.odds is not None,
                        }
                        for o in market.outcomes
                    ),
                )
            )
        # The whole event stopped (betting_status set, no markets listed): a bet stop.
        if msg.betting_status and not msg.markets:
            batch.stop(
                event_id=event_id,
                producer=msg.product,
                ts=msg.timestamp,
                status=m.MARKET_SUSPENDED,
                market_ids=None,
            )

    def _bet_stop(self, msg: m.BetStop, event_id: int, batch: FeedBatch) -> None:
        groups = set(msg.groups)
        market_ids = None
        if "all" not in groups:
            market_ids = sorted(
                market_id
                for market_id, market_groups in self.context.market_groups.items()
                if market_groups & groups
            )
        batch.stop(
            event_id=event_id,
            producer=msg.product,
            ts=msg.timestamp,
            status=msg.market_status,
            market_ids=market_ids,
        )

    def _bet_settlement(self, msg: m.BetSettlement, event_id: int, batch: FeedBatch) -> None:
        for market in msg.markets:
            if not self._described(market.id, msg.event_id):
                continue
            batch.result(
                ResultRow(
                    event_id=event_id,
                    market_id=market.id,
                    specifiers=market.specifiers,
                    kind="settle",
                    producer=msg.product,
                    ts=msg.timestamp,
                    certainty=msg.certainty,
                    void_reason=market.void_reason,
                    outcomes=tuple(
                        {
                            "id": o.id,
                            "result": o.result,
                            "void_factor": str(o.void_factor),
                            "dead_heat_factor": (
                                str(o.dead_heat_factor) if o.dead_heat_factor is not None else None
                            ),
                        }
                        for o in market.outcomes
                    ),
                )
            )

    def _refs(
        self,
        msg: m.EventMessage,
        refs: tuple[m.MarketRef, ...],
        kind: str,
        event_id: int,
        batch: FeedBatch,
        start: int | None = None,
        end: int | None = None,
    ) -> None:
        for ref in refs:
            if not self._described(ref.id, msg.event_id):
                continue
            batch.result(
                ResultRow(
                    event_id=event_id,
                    market_id=ref.id,
                    specifiers=ref.specifiers,
                    kind=kind,
                    producer=msg.product,
                    ts=msg.timestamp,
                    void_reason=ref.void_reason,
                    start_time=start,
                    end_time=end,
                )
            )

    def _bet_cancel(self, msg: m.BetCancel, event_id: int, batch: FeedBatch) -> None:
        self._refs(msg, msg.markets, "cancel", event_id, batch, msg.start_time, msg.end_time)

    def _rollback_settlement(
        self, msg: m.RollbackBetSettlement, event_id: int, batch: FeedBatch
    ) -> None:
        self._refs(msg, msg.markets, "rollback_settle", event_id, batch)

    def _rollback_cancel(self, msg: m.RollbackBetCancel, event_id: int, batch: FeedBatch) -> None:
        self._refs(
            msg, msg.markets, "rollback_cancel", event_id, batch, msg.start_time, msg.end_time
        )

    def _fixture_change(self, msg: m.FixtureChange, event_id: int, batch: FeedBatch) -> None:
        if msg.start_time is not None:
            batch.fixture(event_id=event_id, ts=msg.timestamp, start_ms=msg.start_time)
        if msg.change_type == FIXTURE_CANCELLED:
            batch.status(EventState(event_id=event_id, ts=msg.timestamp, status=5, live=False))


_HANDLERS: dict[type, Callable] = {
    m.OddsChange: Translator._odds_change,
    m.BetStop: Translator._bet_stop,
    m.BetSettlement: Translator._bet_settlement,
    m.BetCancel: Translator._bet_cancel,
    m.RollbackBetSettlement: Translator._rollback_settlement,
    m.RollbackBetCancel: Translator._rollback_cancel,
    m.FixtureChange: Translator._fixture_change,
}
