"""The simulated sports world: events, their producers, market lines, odds and incidents.

The world is a discrete-event simulation on its own clock (seconds since the run started; the
publisher advances it slot by slot, so a seed gives the same stream at any speed of the machine).
Each event belongs to a producer: prematch (3, "pre") until its start time, then live odds (1,
"liveodds") after a hand-over (the prematch producer marks its markets -2, the live producer
sends odds). Live matches score (bet_stop, then odds again a second or two later), end, are
settled (certainty 1, sometimes a rollback, then certainty 2) and are replaced by new fixtures,
so the stream never runs dry. Between happenings the odds drift: ``next`` fills every free slot
with an odds_change of one to eight markets of a random event.

Messages leave the world as ``Outgoing``: routing key and a ``render(timestamp)`` that builds the
XML, so the publisher stamps each one with the wall clock at the moment it sends it.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from apps.providers.uof.routing import RoutingKey

from . import xml
from .catalog import MarketDescription, load, publishable
from .names import SPORT_WEIGHTS, SPORTS, Sport, Tournament
from .sports import Key, Model, make_model

log = logging.getLogger("simulators.uof")

LIVE, PREMATCH = 1, 3
PRODUCER_API_NAMES = {LIVE: "liveodds", PREMATCH: "pre"}
ALIVE_KEY = RoutingKey(None, False, False, "alive", None, None, None).render()
MIN_ODDS = 1.01
FIXTURES_KEPT = 20_000


@dataclass(slots=True)
class Outgoing:
    kind: str
    product: int
    routing_key: str
    render: Callable[[int], bytes]
    event_id: str | None = None


@dataclass
class Line:
    """One market line of an event (market id + specifiers) and its state at the provider."""

    key: Key
    status: int = 1
    favourite: bool = False
    noise: list[float] = field(default_factory=list)  # per outcome, log-scale drift
    settled: bool = False
    cancelled: bool = False


@dataclass
class SimulatedEvent:
    number: int
    urn: str
    sport: Sport
    tournament: Tournament
    home: tuple[int, str]
    away: tuple[int, str]
    start: float  # kick-off on the world's clock
    model: Model
    margin: float  # the bookmaker's overround, e.g. 1.06
    producer: int = PREMATCH
    phase: str = "pre"  # pre, live, ended, closed
    suspended: bool = False
    lines: dict[Key, Line] = field(default_factory=dict)
    start_version: int = 0
    keys: dict[tuple, str] = field(default_factory=dict)


class World:
    def __init__(
        self,
        *,
        seed: int,
        events: int = 40,
        event_base: int = 50_000_000,
        speed: float = 20.0,
        live_only: bool = False,
        epoch_ms: int = 0,
        alive_interval: float = 10.0,
        catalog: dict[int, MarketDescription] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.speed = speed
        self.live_only = live_only
        self.epoch_ms = epoch_ms
        self.alive_interval = alive_interval
        self.catalog = catalog if catalog is not None else load()
        self.now = 0.0
        self.pending: deque[Outgoing] = deque()
        self.events: dict[str, SimulatedEvent] = {}
        self.order: list[SimulatedEvent] = []
        self.fixtures: dict[str, xml.FixtureDoc] = {}  # read by the API's threads
        self.next_number = event_base
        self.created = self.ended = 0
        self._heap: list[tuple[float, int, str, str | None, object]] = []
        self._seq = itertools.count()
        self._publishable: dict[tuple[int, int], bool] = {}
        self._sport_ids = [s for s, _ in SPORT_WEIGHTS]
        self._sport_weights = [w for _, w in SPORT_WEIGHTS]
        for _ in range(events):
            live = live_only or self.rng.random() < 0.5
            self._create(fraction=self.rng.uniform(0.0, 0.95) if live else None, announce=False)
        self._at(0.0, "alive")

    # The clock.

    def ms(self, t: float) -> int:
        return self.epoch_ms + round(t * 1000)

    def _at(self, t: float, action: str, urn: str | None = None, arg: object = None) -> None:
        heapq.heappush(self._heap, (t, next(self._seq), action, urn, arg))

    def advance(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            t, _, action, urn, arg = heapq.heappop(heap)
            self.now = max(self.now, t)
            if urn is None:
                self._system(action)
                continue
            ev = self.events.get(urn)
            if ev is not None:
                getattr(self, f"_on_{action}")(ev, arg)
        self.now = max(self.now, now)

    def next(self, now: float, kinds: frozenset[str] | None = None) -> Outgoing | None:
        """The message for the slot at ``now``: a due one, else an odds drift."""
        self.advance(now)
        pending = self.pending
        while pending:
            out = pending.popleft()
            if kinds is None or out.kind in kinds:
                return out
        return self._drift()

    # Events.

    def _create(self, *, fraction: float | None, announce: bool) -> SimulatedEvent:
        rng = self.rng
        sport = SPORTS[rng.choices(self._sport_ids, weights=self._sport_weights)[0]]
        tournament = rng.choice(sport.tournaments)
        i, j = rng.sample(range(len(tournament.competitors)), 2)
        number = self.next_number
        self.next_number += 1
        model = make_model(sport.id, rng, self.speed)
        ev = SimulatedEvent(
            number=number,
            urn=f"sr:match:{number}",
            sport=sport,
            tournament=tournament,
            home=(sport.competitor_id(tournament, i), tournament.competitors[i]),
            away=(sport.competitor_id(tournament, j), tournament.competitors[j]),
            start=self.now,
            model=model,
            margin=round(rng.uniform(1.05, 1.08), 3),
        )
        self.events[ev.urn] = ev
        self.order.append(ev)
        self.created += 1
        if fraction is not None:
            ev.start = self.now - fraction * model.duration()
            self._go_live(ev, fraction)
        else:
            ev.start = self.now + rng.uniform(3.0, 90.0) * 60.0 / self.speed
            self._at(ev.start, "go_live", ev.urn, ev.start_version)
            lead = ev.start - self.now
            if rng.random() < 0.2:
                self._at(self.now + rng.uniform(0.2, 0.8) * lead, "reschedule", ev.urn)
            if rng.random() < 0.03:
                self._at(self.now + rng.uniform(0.1, 0.9) * lead, "cancel_fixture", ev.urn)
            self._sync_lines(ev)
        self._fixture_doc(ev)
        if announce:
            self._emit(
                ev,
                "fixture_change",
                ev.producer,
                partial(
                    xml.fixture_change,
                    product=ev.producer,
                    event_id=ev.urn,
                    start_time=self.ms(ev.start),
                    change_type=1,
                ),
            )
        self.pending.append(self._full_odds(ev))
        return ev

    def _fixture_doc(self, ev: SimulatedEvent) -> None:
        t = ev.tournament
        self.fixtures[ev.urn] = xml.FixtureDoc(
            event_id=ev.urn,
            start_time_ms=self.ms(ev.start),
            sport_id=ev.sport.urn,
            sport_name=ev.sport.name,
            category_id=f"sr:category:{t.category_id}",
            category_name=t.category_name,
            tournament_id=f"sr:tournament:{t.id}",
            tournament_name=t.name,
            home_id=f"sr:competitor:{ev.home[0]}",
            home_name=ev.home[1],
            away_id=f"sr:competitor:{ev.away[0]}",
            away_name=ev.away[1],
        )
        while len(self.fixtures) > FIXTURES_KEPT:
            self.fixtures.pop(next(iter(self.fixtures)))

    def _go_live(self, ev: SimulatedEvent, fraction: float = 0.0) -> None:
        ev.phase = "live"
        ev.producer = LIVE
        for t, action in ev.model.go_live(self.now, fraction):
            self._at(t, "act", ev.urn, action)
        if self.rng.random() < 0.15:  # an odds error found during the match: a bet_cancel
            left = ev.model.duration() * (1.0 - fraction)
            self._at(self.now + self.rng.uniform(0.1, 0.9) * left, "incident", ev.urn)
        self._sync_lines(ev)

    def _on_go_live(self, ev: SimulatedEvent, version: object) -> None:
        if ev.phase != "pre" or version != ev.start_version:
            return
        handed_over = tuple(
            xml.MarketOdds(line.key[0], line.key[1], -2, line.favourite)
            for line in ev.lines.values()
            if line.status in (1, -1, 0)
        )
        self._emit(
            ev,
            "odds_change",
            PREMATCH,
            partial(xml.odds_change, product=PREMATCH, event_id=ev.urn, markets=handed_over),
        )
        self._go_live(ev)
        self.pending.append(self._full_odds(ev))
        log.info("%s %s: %s v %s goes live", ev.urn, ev.sport.name, ev.home[1], ev.away[1])

    def _on_act(self, ev: SimulatedEvent, action: object) -> None:
        if ev.phase != "live":
            return
        change = ev.model.on(str(action), self.now)
        for t, next_action in change.schedule:
            self._at(t, "act", ev.urn, next_action)
        if change.note:
            log.debug("%s %s", ev.urn, change.note)
        if change.ended:
            self._end(ev, change.note)
            return
        if change.bet_stop and not ev.suspended:
            ev.suspended = True
            for line in ev.lines.values():
                if line.status == 1:
                    line.status = -1
            self._emit(
                ev,
                "bet_stop",
                LIVE,
                partial(xml.bet_stop, product=LIVE, event_id=ev.urn, groups="all"),
            )
            self._at(self.now + self.rng.uniform(1.0, 2.0), "resume", ev.urn)
        self._sync_lines(ev)
        self._settle_decided(ev)
        if change.announce and not ev.suspended:
            self.pending.append(self._full_odds(ev))

    def _on_resume(self, ev: SimulatedEvent, _arg: object) -> None:
        if ev.phase != "live" or not ev.suspended:
            return
        ev.suspended = False
        for line in ev.lines.values():
            if line.status == -1:
                line.status = 1
        self._sync_lines(ev)
        self.pending.append(self._full_odds(ev))

    def _end(self, ev: SimulatedEvent, note: str) -> None:
        ev.phase = "ended"
        ev.suspended = False
        self.ended += 1
        self._emit(
            ev,
            "odds_change",
            LIVE,
            partial(
                xml.odds_change,
                product=LIVE,
                event_id=ev.urn,
                markets=None,
                status=ev.model.status(self.now),
            ),
        )
        settled = self._settle(
            ev, [line for line in ev.lines.values() if not line.settled and not line.cancelled]
        )
        if settled:
            self._emit_settlement(ev, settled, certainty=1)
        done = [line.key for line in ev.lines.values() if line.settled]
        if done and self.rng.random() < 0.1:  # a correction: the live settlement is taken back
            key = done[self.rng.randrange(len(done))]
            self._at(self.now + self.rng.uniform(0.5, 1.5), "rollback_settlement", ev.urn, key)
        self._at(self.now + self.rng.uniform(2.0, 5.0), "confirm", ev.urn)
        log.info("%s %s: %s v %s ended %s", ev.urn, ev.sport.name, ev.home[1], ev.away[1], note)

    def _on_rollback_settlement(self, ev: SimulatedEvent, key: object) -> None:
        line = ev.lines.get(key)  # type: ignore[arg-type]
        if ev.phase != "ended" or line is None or not line.settled:
            return
        line.settled = False
        self._emit(
            ev,
            "rollback_bet_settlement",
            LIVE,
            partial(
                xml.rollback_bet_settlement,
                product=LIVE,
                event_id=ev.urn,
                markets=(xml.MarketRef(line.key[0], line.key[1]),),
            ),
            priority="lo",
        )

    def _on_confirm(self, ev: SimulatedEvent, _arg: object) -> None:
        if ev.phase != "ended":
            return
        lines = [line for line in ev.lines.values() if not line.cancelled]
        markets = self._settle(ev, lines)
        if markets:
            self._emit_settlement(ev, markets, certainty=2)
        self._close(ev)

    def _close(self, ev: SimulatedEvent) -> None:
        ev.phase = "closed"
        del self.events[ev.urn]
        self.order.remove(ev)
        self._create(fraction=0.0 if self.live_only else None, announce=True)

    def _on_incident(self, ev: SimulatedEvent, _arg: object) -> None:
        """An odds error: cancel the bets on one line (in a window, or all of them)."""
        if ev.phase != "live" or ev.suspended:
            return
        active = [line for line in ev.lines.values() if line.status == 1]
        if not active:
            return
        rng = self.rng
        line = active[rng.randrange(len(active))]
        ref = (xml.MarketRef(line.key[0], line.key[1]),)
        if rng.random() < 0.7:
            window = (-round(rng.uniform(20.0, 90.0) * 1000), -round(rng.uniform(1.0, 10.0) * 1000))
        else:
            window = (None, None)
            line.cancelled = True
            line.status = -4
        self._emit(
            ev,
            "bet_cancel",
            LIVE,
            partial(
                xml.bet_cancel,
                product=LIVE,
                event_id=ev.urn,
                markets=ref,
                start_offset_ms=window[0],
                end_offset_ms=window[1],
            ),
            priority="lo",
        )
        if rng.random() < 0.3:
            later = self.now + rng.uniform(2.0, 6.0)
            self._at(later, "rollback_cancel", ev.urn, (line.key, window))

    def _on_rollback_cancel(self, ev: SimulatedEvent, arg: object) -> None:
        key, window = arg  # type: ignore[misc]
        line = ev.lines.get(key)
        if ev.phase != "live" or line is None or line.settled:
            return
        if line.cancelled:
            line.cancelled = False
            line.status = 0
            self._sync_lines(ev)
        self._emit(
            ev,
            "rollback_bet_cancel",
            LIVE,
            partial(
                xml.rollback_bet_cancel,
                product=LIVE,
                event_id=ev.urn,
                markets=(xml.MarketRef(key[0], key[1]),),
                start_offset_ms=window[0],
                end_offset_ms=window[1],
            ),
            priority="lo",
        )

    def _on_reschedule(self, ev: SimulatedEvent, _arg: object) -> None:
        if ev.phase != "pre":
            return
        ev.start += self.rng.uniform(5.0, 30.0) * 60.0 / self.speed
        ev.start_version += 1
        self._at(ev.start, "go_live", ev.urn, ev.start_version)
        self._fixture_doc(ev)
        self._emit(
            ev,
            "fixture_change",
            PREMATCH,
            partial(
                xml.fixture_change,
                product=PREMATCH,
                event_id=ev.urn,
                start_time=self.ms(ev.start),
                change_type=2,
            ),
        )

    def _on_cancel_fixture(self, ev: SimulatedEvent, _arg: object) -> None:
        if ev.phase != "pre":
            return
        self._emit(
            ev,
            "fixture_change",
            PREMATCH,
            partial(
                xml.fixture_change,
                product=PREMATCH,
                event_id=ev.urn,
                start_time=self.ms(ev.start),
                change_type=3,
            ),
        )
        refs = tuple(xml.MarketRef(line.key[0], line.key[1]) for line in ev.lines.values())
        if refs:
            self._emit(
                ev,
                "bet_cancel",
                PREMATCH,
                partial(xml.bet_cancel, product=PREMATCH, event_id=ev.urn, markets=refs),
                priority="lo",
            )
        log.info("%s cancelled before its start", ev.urn)
        self._close(ev)

    def _system(self, action: str) -> None:
        if action == "alive":
            for product in (LIVE, PREMATCH):
                self.pending.append(self.alive(product))
            self._at(self.now + self.alive_interval, "alive")

    # Lines, odds and settlements.

    def _allowed(self, ev: SimulatedEvent, market_id: int) -> bool:
        key = (ev.sport.id, market_id)
        ok = self._publishable.get(key)
        if ok is None:
            ok = self._publishable[key] = publishable(self.catalog, market_id, ev.sport.urn)
        return ok

    def _sync_lines(self, ev: SimulatedEvent) -> None:
        """Open the lines the model offers now; deactivate (status 0) those it no longer does."""
        current = [k for k in ev.model.lines(ev.phase == "live") if self._allowed(ev, k[0])]
        fresh = -1 if ev.suspended else 1
        for key in current:
            line = ev.lines.get(key)
            if line is None:
                ev.lines[key] = Line(key, fresh, favourite=key in ev.model.main)
            elif line.status == 0 and not line.settled and not line.cancelled:
                line.status = fresh
        offered = dict.fromkeys(current)
        for key, line in ev.lines.items():
            if key not in offered and line.status in (1, -1):
                line.status = 0

    def _settle(self, ev: SimulatedEvent, lines: list[Line]) -> list[xml.SettledMarket]:
        markets = []
        for line in lines:
            result = ev.model.result(line.key)
            if result is None:
                continue
            line.settled = True
            line.status = -3
            markets.append(
                xml.SettledMarket(
                    line.key[0],
                    line.key[1],
                    tuple(xml.SettledOutcome(oid, r, v, d) for oid, r, v, d in result),
                )
            )
        return markets

    def _settle_decided(self, ev: SimulatedEvent) -> None:
        """Lines whose outcome can no longer change are settled at once (certainty 1)."""
        open_lines = [line for line in ev.lines.values() if not line.settled and not line.cancelled]
        markets = self._settle(ev, open_lines)
        if markets:
            self._emit_settlement(ev, markets, certainty=1)

    def _emit_settlement(
        self, ev: SimulatedEvent, markets: list[xml.SettledMarket], certainty: int
    ) -> None:
        self._emit(
            ev,
            "bet_settlement",
            LIVE,
            partial(
                xml.bet_settlement,
                product=LIVE,
                event_id=ev.urn,
                certainty=certainty,
                markets=tuple(markets),
            ),
            priority="lo",
        )

    def _status(self, ev: SimulatedEvent) -> xml.EventStatus:
        if ev.phase == "pre":
            return xml.EventStatus(0, 0)
        return ev.model.status(self.now)

    def _market(self, ev: SimulatedEvent, line: Line) -> xml.MarketOdds:
        mid, spec = line.key
        if line.status != 1:
            return xml.MarketOdds(mid, spec, line.status, line.favourite)
        fair = ev.model.fair(line.key, self.now)
        if not fair:
            return xml.MarketOdds(mid, spec, 0, line.favourite)
        noise = line.noise
        if len(noise) != len(fair):
            noise = line.noise = [0.0] * len(fair)
        total = 0.0
        moved = []
        for (_, q), e in zip(fair, noise, strict=True):
            total += q
            moved.append(q * math.exp(e))
        scale = total / (sum(moved) or 1.0)
        margin = ev.margin
        outcomes = []
        for (oid, _), m in zip(fair, moved, strict=True):
            p = m * scale
            price = 1.0 / (p * margin) if p > 0.0008 else 0.0
            if price < MIN_ODDS:
                outcomes.append(xml.OutcomeOdds(oid, None, p, False))
            else:
                outcomes.append(xml.OutcomeOdds(oid, round(price, 2), p, True))
        return xml.MarketOdds(mid, spec, 1, line.favourite, tuple(outcomes))

    def _full_odds(
        self, ev: SimulatedEvent, *, request_id: int | None = None, node_id: str | None = None
    ) -> Outgoing:
        markets = tuple(self._market(ev, line) for line in ev.lines.values())
        return Outgoing(
            "odds_change",
            ev.producer,
            self._key(ev, "odds_change", ev.producer, node_id=node_id),
            partial(
                xml.odds_change,
                product=ev.producer,
                event_id=ev.urn,
                markets=markets,
                status=self._status(ev),
                request_id=request_id,
            ),
            ev.urn,
        )

    def _pick(self) -> SimulatedEvent | None:
        rng = self.rng
        order = self.order
        for _ in range(8):
            ev = order[rng.randrange(len(order))]
            if ev.suspended or ev.phase not in ("pre", "live"):
                continue
            if ev.phase == "pre" and rng.random() < 0.6:  # live events move more
                continue
            return ev
        tradeable = [ev for ev in order if ev.phase in ("pre", "live") and not ev.suspended]
        return tradeable[rng.randrange(len(tradeable))] if tradeable else None

    def _drift(self) -> Outgoing | None:
        for _ in range(3):
            ev = self._pick()
            if ev is None:
                return None
            active = [line for line in ev.lines.values() if line.status == 1]
            if active:
                break
        else:
            return None
        rng = self.rng
        count = min(len(active), 1 + min(7, int(rng.expovariate(0.45))))
        chosen = rng.sample(active, count)
        gauss = rng.gauss
        for line in chosen:
            fair = ev.model.fair(line.key, self.now)
            size = len(fair) if fair else 0
            if len(line.noise) != size:
                line.noise = [0.0] * size
            line.noise = [max(-0.08, min(0.08, e + gauss(0.0, 0.012))) for e in line.noise]
        markets = tuple(self._market(ev, line) for line in chosen)
        return Outgoing(
            "odds_change",
            ev.producer,
            self._key(ev, "odds_change", ev.producer),
            partial(
                xml.odds_change,
                product=ev.producer,
                event_id=ev.urn,
                markets=markets,
                status=self._status(ev),
            ),
            ev.urn,
        )

    # Messages.

    def _key(
        self,
        ev: SimulatedEvent,
        kind: str,
        product: int,
        priority: str = "hi",
        node_id: str | None = None,
    ) -> str:
        cache_key = (kind, product, priority, node_id)
        key = ev.keys.get(cache_key)
        if key is None:
            key = RoutingKey(
                priority, product == PREMATCH, product == LIVE, kind, ev.sport.id, ev.urn, node_id
            ).render()
            if node_id is None:
                ev.keys[cache_key] = key
        return key

    def _emit(
        self, ev: SimulatedEvent, kind: str, product: int, render, priority: str = "hi"
    ) -> None:
        self.pending.append(
            Outgoing(kind, product, self._key(ev, kind, product, priority), render, ev.urn)
        )

    def alive(self, product: int, subscribed: bool = True) -> Outgoing:
        return Outgoing(
            "alive", product, ALIVE_KEY, partial(xml.alive, product=product, subscribed=subscribed)
        )

    def snapshot(self, product: int, request_id: int, node_id: str | None) -> list[Outgoing]:
        """A recovery: the current odds of every event of ``product``, then snapshot_complete.

        Uses no randomness, so answering a recovery does not change the rest of the stream.
        """
        out = [
            self._full_odds(ev, request_id=request_id, node_id=node_id)
            for ev in self.order
            if ev.producer == product and ev.phase in ("pre", "live")
        ]
        key = RoutingKey(None, False, False, "snapshot_complete", None, None, node_id).render()
        out.append(
            Outgoing(
                "snapshot_complete",
                product,
                key,
                partial(xml.snapshot_complete, product=product, request_id=request_id),
            )
        )
        return out

    def summary(self) -> dict[str, int]:
        live = sum(1 for ev in self.order if ev.phase == "live")
        return {
            "events": len(self.order),
            "live": live,
            "prematch": sum(1 for ev in self.order if ev.phase == "pre"),
            "created": self.created,
            "ended": self.ended,
        }
