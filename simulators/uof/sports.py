"""How each simulated sport plays, prices its markets and settles them.

A model knows the state of one match (score, clock, periods), which market lines it offers now
(``lines``), their fair probabilities (``fair``, computed from the state: Poisson goals for
soccer, point-by-point recursion for tennis, a normal approximation for basketball, map by map
for e-sports) and, once an outcome can no longer change, the result of a line (``result``).
The world around it adds the bookmaker's margin, the drift of the odds, market statuses and the
messages. All randomness comes from the world's seeded generator, so a seed replays a match.

Times: ``now`` is the simulation's clock in seconds; a model turns it into match (play) seconds
with its ``speed`` (match seconds per simulated second).
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass, field
from functools import lru_cache

from .names import BASKETBALL, COUNTER_STRIKE, DOTA2, SOCCER, TENNIS
from .xml import EventStatus

Key = tuple[int, str]  # (market id, specifiers)
Fair = tuple[tuple[str, float], ...]  # (outcome id, probability)
# (outcome id, result, void factor, dead heat factor)
Result = tuple[tuple[str, int, float | None, float | None], ...]


@dataclass
class Change:
    """What a happening did to the match, for the world to turn into messages."""

    schedule: list[tuple[float, str]] = field(default_factory=list)
    bet_stop: bool = False  # suspend every market for a moment (a goal, a review)
    announce: bool = False  # the status changed visibly (period, game): send the full odds
    ended: bool = False
    note: str = ""


def number(value: float) -> str:
    """A specifier value as the feed writes it: 2.5, -0.25, 0, -1."""
    value = round(value, 2) or 0.0  # no "-0"
    return f"{value:g}"


def clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _halves(line: float) -> tuple[float, ...]:
    """A quarter line (2.25) is two half-stakes on its neighbours (2.0 and 2.5)."""
    if abs(line * 2 - round(line * 2)) < 1e-9:
        return (line,)
    return (line - 0.25, line + 0.25)


def over_under(value: float, line: float, over: str, under: str) -> Result:
    """Two-way line settlement with pushes (whole lines) and half pushes (quarter lines)."""
    halves = _halves(line)
    over_score = sum((value > h) - (value < h) for h in halves)  # +1 won, -1 lost, 0 push
    pushes = sum(value == h for h in halves)
    if len(halves) == 1:
        if pushes:
            return ((over, 0, 1.0, None), (under, 0, 1.0, None))
        return ((over, int(over_score > 0), None, None), (under, int(over_score < 0), None, None))
    if pushes:  # one half pushed, the other decided
        won_over = over_score > 0
        return ((over, int(won_over), 0.5, None), (under, int(not won_over), 0.5, None))
    return ((over, int(over_score > 0), None, None), (under, int(over_score < 0), None, None))


def implied(cells: list[tuple[int, int, float]], settle) -> Fair:
    """Fair probability of each outcome from a distribution of final states.

    With pushes and dead heats the fair price solves E[payout] = stake, where a cell pays
    ``void + (1 - void) * result * dead_heat * odds``: the implied probability is
    ``sum(p (1 - v) r d) / (1 - sum(p v))``. Without them it is the plain probability.
    """
    win: dict[str, float] = {}
    refund: dict[str, float] = {}
    for i, j, p in cells:
        for oid, result, void, dead_heat in settle(i, j):
            v = void or 0.0
            refund[oid] = refund.get(oid, 0.0) + p * v
            win[oid] = win.get(oid, 0.0) + p * (1.0 - v) * result * (dead_heat or 1.0)
    return tuple(
        (oid, win[oid] / (1.0 - refund[oid]) if refund[oid] < 0.999999 else 0.0) for oid in win
    )


def _spec(key: Key, name: str) -> str:
    for part in key[1].split("|"):
        k, _, v = part.partition("=")
        if k == name:
            return v
    raise KeyError(name)


class Model:
    sport_id: int
    speed: float

    def __init__(self, rng: random.Random, speed: float) -> None:
        self.rng = rng
        self.speed = speed
        self.live_start = 0.0
        self.version = 0
        self.ended = False
        self.main: set[Key] = set()
        self._cache: dict[Key, Fair | None] = {}
        self._token: tuple = ()

    # The interface the world uses.
    def go_live(self, now: float, fraction: float = 0.0) -> list[tuple[float, str]]:
        raise NotImplementedError

    def on(self, action: str, now: float) -> Change:
        raise NotImplementedError

    def status(self, now: float):
        raise NotImplementedError

    def lines(self, live: bool) -> list[Key]:
        raise NotImplementedError

    def result(self, key: Key) -> Result | None:
        raise NotImplementedError

    def duration(self) -> float:
        """Expected match length in simulated seconds (for scheduling incidents)."""
        raise NotImplementedError

    def fair(self, key: Key, now: float) -> Fair | None:
        token = self._time_token(now)
        if token != self._token:
            self._token = token
            self._cache.clear()
            self._refresh(now)
        if key not in self._cache:
            self._cache[key] = self._price(key, now)
        return self._cache[key]

    def _time_token(self, now: float) -> tuple:
        return (self.version,)

    def _refresh(self, now: float) -> None:
        pass

    def _price(self, key: Key, now: float) -> Fair | None:
        raise NotImplementedError


# Soccer: goals as two Poisson processes (home, away) over 90 minutes plus stoppage time.


def _poisson(lam: float, limit: int = 10) -> list[float]:
    p = math.exp(-lam)
    out = [p]
    for k in range(1, limit + 1):
        p *= lam / k
        out.append(p)
    return out


def _grid(lam_h: float, lam_a: float) -> list[tuple[int, int, float]]:
    ph, pa = _poisson(lam_h), _poisson(lam_a)
    return [(i, j, x * y) for i, x in enumerate(ph) for j, y in enumerate(pa) if x * y > 1e-7]


def _three_way(h: int, a: int, ids=("1", "2", "3")) -> Result:
    return (
        (ids[0], int(h > a), None, None),
        (ids[1], int(h == a), None, None),
        (ids[2], int(a > h), None, None),
    )


def _quarter(value: float) -> float:
    return round(value * 4) / 4


class Soccer(Model):
    sport_id = SOCCER
    HALF = 2700.0
    BREAK = 900.0  # half time, in match seconds

    def __init__(self, rng: random.Random, speed: float) -> None:
        super().__init__(rng, speed)
        expected = rng.uniform(2.2, 3.2)
        supremacy = rng.gauss(0.3, 0.6)
        self.lam_h = max(0.25, (expected + supremacy) / 2)
        self.lam_a = max(0.25, (expected - supremacy) / 2)
        self.h1 = self.HALF + rng.randint(0, 180)  # play seconds in the first half
        self.total = self.h1 + self.HALF + rng.randint(60, 360)
        self.phase = "pre"  # pre, 1h, ht, 2h, ended
        self.goals: list[tuple[int, float]] = []  # (0 home / 1 away, play second)
        totals = [1.5, 2.5, 3.5]
        if rng.random() < 0.5:
            totals.insert(2, rng.choice([2.25, 2.75]))
        main_hcp = _quarter(-(self.lam_h - self.lam_a) * 0.8)
        hcps = sorted({main_hcp, main_hcp + 1.0})
        self.offer: list[Key] = [(1, ""), (10, ""), (11, ""), (14, "hcp=0:1"), (14, "hcp=1:0")]
        self.offer += [(16, f"hcp={number(h)}") for h in hcps]
        self.offer += [(18, f"total={number(t)}") for t in totals]
        self.offer += [(19, "total=0.5"), (19, "total=1.5"), (20, "total=0.5"), (20, "total=1.5")]
        self.offer += [(26, ""), (29, ""), (60, ""), (68, "total=0.5"), (68, "total=1.5")]
        self.main = {(1, ""), (16, f"hcp={number(main_hcp)}"), (18, "total=2.5"), (60, "")}
        self._grids: dict[str, list[tuple[int, int, float]]] = {}

    def duration(self) -> float:
        return (self.total + self.BREAK) / self.speed

    # Time.
    def _t(self, play: float) -> float:
        return self.live_start + (play + (self.BREAK if play > self.h1 else 0.0)) / self.speed

    def play(self, now: float) -> float:
        elapsed = (now - self.live_start) * self.speed
        if self.phase in ("pre",):
            return 0.0
        if self.phase == "1h":
            return max(0.0, min(elapsed, self.h1))
        if self.phase == "ht":
            return self.h1
        if self.phase == "2h":
            return max(self.h1, min(elapsed - self.BREAK, self.total))
        return self.total

    def score(self) -> tuple[int, int]:
        home = sum(1 for team, _ in self.goals if team == 0)
        return home, len(self.goals) - home

    def half_score(self) -> tuple[int, int]:
        first = [team for team, at in self.goals if at <= self.h1]
        return first.count(0), first.count(1)

    def _next_goal(self, play: float) -> list[tuple[float, str]]:
        rate = (self.lam_h + self.lam_a) / 5400.0
        at = play + self.rng.expovariate(rate)
        return [(self._t(at), "goal")] if at < self.total else []

    def go_live(self, now: float, fraction: float = 0.0) -> list[tuple[float, str]]:
        start = fraction * self.total
        rate = (self.lam_h + self.lam_a) / 5400.0
        at = self.rng.expovariate(rate)
        while at < start:  # the match so far
            self.goals.append((self._scorer(), at))
            at += self.rng.expovariate(rate)
        self.phase = "1h" if start <= self.h1 else "2h"
        self.live_start = now - (start + (self.BREAK if start > self.h1 else 0.0)) / self.speed
        self.version += 1
        plan = self._next_goal(start)
        if self.phase == "1h":
            restart = self.live_start + (self.h1 + self.BREAK) / self.speed
            plan += [(self._t(self.h1), "halftime"), (restart, "second_half")]
        plan.append((self._t(self.total), "end"))
        return plan

    def _scorer(self) -> int:
        return 0 if self.rng.random() < self.lam_h / (self.lam_h + self.lam_a) else 1

    def on(self, action: str, now: float) -> Change:
        self.version += 1
        if action == "goal":
            play = self.play(now)
            team = self._scorer()
            self.goals.append((team, play))
            home, away = self.score()
            return Change(
                schedule=self._next_goal(play),
                bet_stop=True,
                note=f"goal {'home' if team == 0 else 'away'} {home}:{away} at {clock(play)}",
            )
        if action == "halftime":
            self.phase = "ht"
            return Change(announce=True)
        if action == "second_half":
            self.phase = "2h"
            return Change(announce=True)
        if action == "end":
            self.phase = "ended"
            self.ended = True
            return Change(ended=True)
        raise ValueError(action)

    def status(self, now: float):
        home, away = self.score()
        if self.phase == "ended":
            h1h, h1a = self.half_score()
            periods = ((6, 1, h1h, h1a), (7, 2, home - h1h, away - h1a))
            return EventStatus(3, 100, home, away, period_scores=periods)
        play = self.play(now)
        stoppage = None
        periods: tuple[tuple[int, int, int, int], ...] = ()
        if self.phase == "1h":
            code, shown = 6, min(play, self.HALF)
            if play > self.HALF:
                stoppage = clock(play - self.HALF)
            periods = ((6, 1, home, away),)
        elif self.phase == "ht":
            code, shown = 31, self.HALF
            periods = ((6, 1, home, away),)
        else:
            code = 7
            second = play - self.h1
            shown = self.HALF + min(second, self.HALF)
            if second > self.HALF:
                stoppage = clock(second - self.HALF)
            h1h, h1a = self.half_score()
            periods = ((6, 1, h1h, h1a), (7, 2, home - h1h, away - h1a))
        return EventStatus(1, code, home, away, clock(shown), stoppage, periods)

    def lines(self, live: bool) -> list[Key]:
        if not live:
            return list(self.offer)
        home, away = self.score()
        keys = list(self.offer)
        if self.phase != "ended":
            keys.append((7, f"score={home}:{away}"))
            keys.append((8, f"goalnr={home + away + 1}"))
            if self.phase == "1h":
                keys.append((62, f"goalnr={sum(self.half_score()) + 1}"))
        return keys

    # Pricing.
    def _time_token(self, now: float) -> tuple:
        return (self.version, int(self.play(now) // 60))

    def _refresh(self, now: float) -> None:
        play = self.play(now)
        rest = max(0.0, self.total - play) / 5400.0
        rest_half = max(0.0, self.h1 - play) / 5400.0 if self.phase in ("pre", "1h") else 0.0
        self._rest = (self.lam_h * rest, self.lam_a * rest)
        self._rest_half = (self.lam_h * rest_half, self.lam_a * rest_half)
        self._grids = {}

    def _grid(self, which: str) -> list[tuple[int, int, float]]:
        if which not in self._grids:
            lam = self._rest if which == "rest" else self._rest_half
            self._grids[which] = _grid(*lam)
        return self._grids[which]

    def _price(self, key: Key, now: float) -> Fair | None:
        if self.phase == "ended":
            return None
        mid = key[0]
        home, away = self.score()
        if mid == 7:
            if key[1] != f"score={home}:{away}":
                return None
            return implied(self._grid("rest"), lambda i, j: _three_way(i, j))
        if mid in (8, 62):
            lam_h, lam_a = self._rest if mid == 8 else self._rest_half
            goals = len(self.goals) if mid == 8 else sum(self.half_score())
            if int(_spec(key, "goalnr")) != goals + 1 or lam_h + lam_a < 1e-6:
                return None
            none = math.exp(-(lam_h + lam_a))
            scored = 1.0 - none
            share = lam_h / (lam_h + lam_a)
            return (("6", scored * share), ("7", none), ("8", scored * (1 - share)))
        if mid in (60, 68):
            if self.phase not in ("pre", "1h"):
                return None
            hh, ha = self.half_score()
            return implied(self._grid("half"), lambda i, j: self._settle(key, hh + i, ha + j))
        return implied(self._grid("rest"), lambda i, j: self._settle(key, home + i, away + j))

    def _settle(self, key: Key, home: int, away: int) -> Result:
        """A line's result from a final score (for 60/68: the half-time score)."""
        mid = key[0]
        if mid in (1, 60):
            return _three_way(home, away)
        if mid == 10:
            return (
                ("9", int(home >= away), None, None),
                ("10", int(home != away), None, None),
                ("11", int(away >= home), None, None),
            )
        if mid == 11:
            if home == away:
                return (("4", 0, 1.0, None), ("5", 0, 1.0, None))
            return (("4", int(home > away), None, None), ("5", int(away > home), None, None))
        if mid == 14:
            plus_h, plus_a = (int(x) for x in _spec(key, "hcp").split(":"))
            return _three_way(home + plus_h, away + plus_a, ("1711", "1712", "1713"))
        if mid == 16:
            return over_under(home - away, -float(_spec(key, "hcp")), "1714", "1715")
        if mid in (18, 68):
            return over_under(home + away, float(_spec(key, "total")), "12", "13")
        if mid == 19:
            return over_under(home, float(_spec(key, "total")), "12", "13")
        if mid == 20:
            return over_under(away, float(_spec(key, "total")), "12", "13")
        if mid == 26:
            odd = (home + away) % 2
            return (("70", odd, None, None), ("72", 1 - odd, None, None))
        if mid == 29:
            both = int(home > 0 and away > 0)
            return (("74", both, None, None), ("76", 1 - both, None, None))
        if mid == 7:
            at_h, at_a = (int(x) for x in _spec(key, "score").split(":"))
            return _three_way(home - at_h, away - at_a)
        raise KeyError(key)

    def result(self, key: Key) -> Result | None:
        mid = key[0]
        ended = self.phase == "ended"
        home, away = self.score()
        half_over = self.phase in ("ht", "2h", "ended")
        if mid in (8, 62):
            goals = self.goals if mid == 8 else [g for g in self.goals if g[1] <= self.h1]
            n = int(_spec(key, "goalnr"))
            if len(goals) >= n:
                team = goals[n - 1][0]
                return (
                    ("6", int(team == 0), None, None),
                    ("7", 0, None, None),
                    ("8", int(team == 1), None, None),
                )
            if ended or (mid == 62 and half_over):
                return (("6", 0, None, None), ("7", 1, None, None), ("8", 0, None, None))
            return None
        if mid in (60, 68):
            return self._settle(key, *self.half_score()) if half_over else None
        if ended:
            return self._settle(key, home, away)
        if mid in (18, 19, 20):  # an over already won cannot be lost
            value = {18: home + away, 19: home, 20: away}[mid]
            if value > float(_spec(key, "total")) + 0.25:
                return self._settle(key, home, away)
        if mid == 29 and home > 0 and away > 0:
            return self._settle(key, home, away)
        return None


# Tennis: best of three sets, point by point; a player wins a point on serve with a fixed
# probability, so game, set and match probabilities follow by recursion.


@lru_cache(maxsize=65536)
def p_game(p: float, a: int, b: int) -> float:
    """The server wins the game from a:b points."""
    if a >= 4 and a - b >= 2:
        return 1.0
    if b >= 4 and b - a >= 2:
        return 0.0
    if a >= 3 and b >= 3:
        deuce = p * p / (p * p + (1 - p) * (1 - p))
        if a == b:
            return deuce
        return p + (1 - p) * deuce if a > b else p * deuce
    return p * p_game(p, a + 1, b) + (1 - p) * p_game(p, a, b + 1)


@lru_cache(maxsize=65536)
def p_tiebreak(p: float, a: int, b: int) -> float:
    """Home wins a tiebreak from a:b, winning each point with probability p."""
    if a >= 7 and a - b >= 2:
        return 1.0
    if b >= 7 and b - a >= 2:
        return 0.0
    if a >= 6 and b >= 6:
        deuce = p * p / (p * p + (1 - p) * (1 - p))
        if a == b:
            return deuce
        return p + (1 - p) * deuce if a > b else p * deuce
    return p * p_tiebreak(p, a + 1, b) + (1 - p) * p_tiebreak(p, a, b + 1)


@lru_cache(maxsize=65536)
def p_set(ph: float, pa: float, gh: int, ga: int, server: int) -> float:
    """Home wins the set from gh:ga games at the start of a game served by ``server``."""
    if gh == 7 or (gh >= 6 and gh - ga >= 2):
        return 1.0
    if ga == 7 or (ga >= 6 and ga - gh >= 2):
        return 0.0
    if gh == 6 and ga == 6:
        return p_tiebreak(round((ph + 1 - pa) / 2, 4), 0, 0)
    hold = p_game(ph, 0, 0) if server == 0 else 1 - p_game(pa, 0, 0)
    return hold * p_set(ph, pa, gh + 1, ga, 1 - server) + (1 - hold) * p_set(
        ph, pa, gh, ga + 1, 1 - server
    )


@dataclass
class TennisState:
    sets: list[tuple[int, int]] = field(default_factory=list)
    games: list[int] = field(default_factory=lambda: [0, 0])
    points: list[int] = field(default_factory=lambda: [0, 0])
    server: int = 0
    tiebreak: bool = False
    tb_first: int = 0
    winners: dict[tuple[int, int], int] = field(default_factory=dict)  # (set, game) -> 0/1
    ended: bool = False

    def sets_won(self) -> tuple[int, int]:
        home = sum(1 for h, a in self.sets if h > a)
        return home, len(self.sets) - home

    def total_games(self) -> int:
        return sum(h + a for h, a in self.sets) + sum(self.games)

    def point(self, winner: int) -> str:
        """Play one point; returns "point", "game", "set" or "match"."""
        pts = self.points
        pts[winner] += 1
        if self.tiebreak:
            if max(pts) >= 7 and abs(pts[0] - pts[1]) >= 2:
                return self._game(winner)
            if (pts[0] + pts[1]) % 2 == 1:
                self.server = 1 - self.server
            return "point"
        if pts[winner] >= 4 and pts[winner] - pts[1 - winner] >= 2:
            return self._game(winner)
        return "point"

    def _game(self, winner: int) -> str:
        set_nr = len(self.sets) + 1
        self.winners[(set_nr, sum(self.games) + 1)] = winner
        self.games[winner] += 1
        self.points = [0, 0]
        if self.tiebreak:
            self.server = 1 - self.tb_first
            return self._set()
        self.server = 1 - self.server
        g = self.games
        if g[winner] >= 6 and g[winner] - g[1 - winner] >= 2:
            return self._set()
        if g == [6, 6]:
            self.tiebreak = True
            self.tb_first = self.server
        return "game"

    def _set(self) -> str:
        self.sets.append((self.games[0], self.games[1]))
        self.games = [0, 0]
        self.tiebreak = False
        if max(self.sets_won()) == 2:
            self.ended = True
            return "match"
        return "set"


class Tennis(Model):
    sport_id = TENNIS
    POINT_GAP = 25.0  # mean match seconds between points (plus a minimum of 15)

    def __init__(self, rng: random.Random, speed: float) -> None:
        super().__init__(rng, speed)
        base = rng.uniform(0.58, 0.68)
        edge = rng.gauss(0.0, 0.04)
        self.ph = round(min(0.8, max(0.5, base + edge)), 3)
        self.pa = round(min(0.8, max(0.5, base - edge)), 3)
        self.s = TennisState(server=rng.randint(0, 1))
        self.live = False
        main_total = 21.5 if abs(self.ph - self.pa) < 0.05 else 20.5
        self.totals = [main_total - 1, main_total, main_total + 1]
        self.main = {(186, ""), (189, f"total={number(main_total)}")}

    def duration(self) -> float:
        return 160 * (15 + self.POINT_GAP) / self.speed

    def _gap(self) -> float:
        return (15.0 + self.rng.expovariate(1 / self.POINT_GAP)) / self.speed

    def _winner(self) -> int:
        p = self.ph if self.s.server == 0 else 1 - self.pa
        if self.s.tiebreak:
            p = (self.ph + 1 - self.pa) / 2
        return 0 if self.rng.random() < p else 1

    def go_live(self, now: float, fraction: float = 0.0) -> list[tuple[float, str]]:
        target = int(fraction * 150)
        for _ in range(target):  # the match so far, stopping short of its last point
            trial = copy.deepcopy(self.s)
            if trial.point(self._winner()) == "match":
                break
            self.s = trial
        self.live = True
        self.live_start = now
        self.version += 1
        return [(now + self._gap(), "point")]

    def on(self, action: str, now: float) -> Change:
        self.version += 1
        what = self.s.point(self._winner())
        if what == "match":
            self.ended = True
            return Change(ended=True, note=f"match won {self.score_text()}")
        gap = self._gap() + ((120 if what == "set" else 0) / self.speed)
        review = self.rng.random() < 0.01  # a challenge or a medical time-out
        return Change(
            schedule=[(now + gap, "point")], bet_stop=review, announce=what in ("game", "set")
        )

    def score_text(self) -> str:
        return " ".join(f"{h}-{a}" for h, a in self.s.sets)

    def status(self, now: float):
        s = self.s
        home, away = s.sets_won()
        periods = tuple((8 + i, i + 1, h, a) for i, (h, a) in enumerate(s.sets))
        if s.ended:
            return EventStatus(3, 100, home, away, period_scores=periods)
        set_nr = len(s.sets) + 1
        periods += ((7 + set_nr, set_nr, s.games[0], s.games[1]),)
        shown = (str(s.points[0]), str(s.points[1])) if s.tiebreak else self._game_points()
        extra = (
            ("home_gamescore", shown[0]),
            ("away_gamescore", shown[1]),
            ("current_server", str(s.server + 1)),
        )
        if s.tiebreak:
            extra += (("tiebreak", "true"),)
        return EventStatus(1, 7 + set_nr, home, away, None, None, periods, extra)

    def _game_points(self) -> tuple[str, str]:
        a, b = self.s.points
        if a >= 3 and b >= 3:
            if a == b:
                return ("40", "40")
            return ("50", "40") if a > b else ("40", "50")
        ladder = ("0", "15", "30", "40")
        return (ladder[min(a, 3)], ladder[min(b, 3)])

    def lines(self, live: bool) -> list[Key]:
        s = self.s
        keys: list[Key] = [(186, "")]
        set_nr = len(s.sets) + 1
        if not live:
            return [*keys, (202, "setnr=1"), (314, "total=2.5"), *self._total_keys()]
        if s.ended:
            return keys
        keys.append((202, f"setnr={set_nr}"))
        keys.append((210, f"setnr={set_nr}|gamenr={sum(s.games) + 1}"))
        if len(s.sets) < 2:
            keys.append((314, "total=2.5"))
        return keys + self._total_keys()

    def _total_keys(self) -> list[Key]:
        return [(189, f"total={number(t)}") for t in self.totals]

    def _set_now(self) -> tuple[float, float]:
        """(home wins the current set, home wins the current game)."""
        s = self.s
        if s.tiebreak:
            p = round((self.ph + 1 - self.pa) / 2, 4)
            q = p_tiebreak(p, s.points[0], s.points[1])
            return q, q
        if s.server == 0:
            g = p_game(self.ph, s.points[0], s.points[1])
        else:
            g = 1 - p_game(self.pa, s.points[1], s.points[0])
        gh, ga = s.games
        nxt = 1 - s.server
        q = g * p_set(self.ph, self.pa, gh + 1, ga, nxt) + (1 - g) * p_set(
            self.ph, self.pa, gh, ga + 1, nxt
        )
        return q, g

    def _price(self, key: Key, now: float) -> Fair | None:
        s = self.s
        if s.ended:
            return None
        q0 = 0.5 * (p_set(self.ph, self.pa, 0, 0, 0) + p_set(self.ph, self.pa, 0, 0, 1))
        q, g = self._set_now()
        sh, sa = s.sets_won()
        mid = key[0]

        def match(h: int, a: int) -> float:
            if h == 2:
                return 1.0
            if a == 2:
                return 0.0
            return q0 * match(h + 1, a) + (1 - q0) * match(h, a + 1)

        if mid == 186:
            p = q * match(sh + 1, sa) + (1 - q) * match(sh, sa + 1)
            return (("4", p), ("5", 1 - p))
        if mid == 202:
            if int(_spec(key, "setnr")) != len(s.sets) + 1:
                return None
            return (("4", q), ("5", 1 - q))
        if mid == 210:
            if key[1] != f"setnr={len(s.sets) + 1}|gamenr={sum(s.games) + 1}":
                return None
            return (("4", g), ("5", 1 - g))
        if mid == 314:
            third = {(0, 0): q * (1 - q0) + (1 - q) * q0, (1, 0): 1 - q, (0, 1): q}.get((sh, sa))
            return None if third is None else (("12", third), ("13", 1 - third))
        if mid == 189:
            # Games still to come: the rest of this set, then the sets that may follow.
            third = {(0, 0): q * (1 - q0) + (1 - q) * q0, (1, 0): 1 - q, (0, 1): q}.get((sh, sa))
            more = (9.8 if sh + sa == 0 else 0.0) + (third or 0.0) * 9.8
            mean = s.total_games() + max(1.0, 9.8 - sum(s.games)) + more
            sd = math.sqrt(4.0 * (1 + (sh + sa == 0) + (third is not None)) + 0.25)
            over = 1 - _phi((float(_spec(key, "total")) - mean) / sd)
            return (("12", over), ("13", 1 - over))
        raise KeyError(key)

    def result(self, key: Key) -> Result | None:
        s = self.s
        mid = key[0]
        if mid == 186:
            if not s.ended:
                return None
            home = int(s.sets_won()[0] == 2)
            return (("4", home, None, None), ("5", 1 - home, None, None))
        if mid == 202:
            n = int(_spec(key, "setnr"))
            if len(s.sets) < n:
                return None
            h, a = s.sets[n - 1]
            return (("4", int(h > a), None, None), ("5", int(a > h), None, None))
        if mid == 210:
            won = s.winners.get((int(_spec(key, "setnr")), int(_spec(key, "gamenr"))))
            if won is None:
                return None
            return (("4", int(won == 0), None, None), ("5", int(won == 1), None, None))
        if mid == 314:
            if len(s.sets) >= 2 or s.ended:
                return over_under(len(s.sets) + (0 if s.ended else 1), 2.5, "12", "13")
            return None
        if mid == 189:
            line = float(_spec(key, "total"))
            if s.ended or s.total_games() > line + 0.25:
                return over_under(s.total_games(), line, "12", "13")
            return None
        raise KeyError(key)


# Basketball: four 10-minute quarters (overtime on a tie); scoring plays arrive at random and
# the final margin and total are priced with a normal approximation.


class Basketball(Model):
    sport_id = BASKETBALL
    QUARTER = 600.0
    OVERTIME = 300.0
    BREAK = 120.0
    CODES = {1: 13, 2: 14, 3: 15, 4: 16}

    def __init__(self, rng: random.Random, speed: float) -> None:
        super().__init__(rng, speed)
        self.expected = rng.uniform(150.0, 180.0)
        self.supremacy = rng.gauss(2.5, 6.0)
        self.points = [0, 0]
        self.periods: list[list[int]] = []  # points per period
        self.period = 0
        self.period_start = 0.0  # sim time the current period started
        self.running = False
        h0 = -(math.floor(self.supremacy) + 0.5)
        t0 = math.floor(self.expected) + 0.5
        self.hcps = [h0 - 4, h0, h0 + 4]
        self.totals = [t0 - 6, t0, t0 + 6]
        self.main = {(219, ""), (223, f"hcp={number(h0)}"), (225, f"total={number(t0)}")}

    def duration(self) -> float:
        return (4 * self.QUARTER + 3 * self.BREAK) / self.speed

    def _length(self, period: int) -> float:
        return self.QUARTER if period <= 4 else self.OVERTIME

    def play(self, now: float) -> float:
        """Play seconds since the tip-off."""
        done = sum(self._length(p) for p in range(1, self.period))
        if not self.running:
            return done + (self._length(self.period) if self.period else 0.0)
        return done + min(self._length(self.period), (now - self.period_start) * self.speed)

    def _next_score(self, now: float) -> list[tuple[float, str]]:
        rate = self.expected / 2.1 / (4 * self.QUARTER)
        at = (now - self.period_start) * self.speed + self.rng.expovariate(rate)
        if at >= self._length(self.period):
            return []
        return [(self.period_start + at / self.speed, "score")]

    def _start_period(self, now: float, into: float = 0.0) -> list[tuple[float, str]]:
        self.period += 1
        self.periods.append([0, 0])
        self.running = True
        self.period_start = now - into / self.speed
        end = self.period_start + self._length(self.period) / self.speed
        return [*self._next_score(now), (end, "period_end")]

    def _score(self) -> int:
        share = 0.5 + self.supremacy / (2 * self.expected)
        team = 0 if self.rng.random() < share else 1
        points = self.rng.choices((1, 2, 3), weights=(0.15, 0.6, 0.25))[0]
        self.points[team] += points
        self.periods[-1][team] += points
        return team

    def go_live(self, now: float, fraction: float = 0.0) -> list[tuple[float, str]]:
        self.version += 1
        self.live_start = now
        into_match = fraction * 4 * self.QUARTER
        quarters = min(3, int(into_match // self.QUARTER))
        rate = self.expected / 2.1 / (4 * self.QUARTER)
        for _ in range(quarters):  # whole quarters already played
            self.period += 1
            self.periods.append([0, 0])
            at = self.rng.expovariate(rate)
            while at < self.QUARTER:
                self._score()
                at += self.rng.expovariate(rate)
        into = into_match - quarters * self.QUARTER
        plan = self._start_period(now, into)
        at = self.rng.expovariate(rate)
        while at < into:  # the current quarter so far
            self._score()
            at += self.rng.expovariate(rate)
        return plan

    def on(self, action: str, now: float) -> Change:
        self.version += 1
        if action == "score":
            self._score()
            return Change(schedule=self._next_score(now), bet_stop=self.rng.random() < 0.02)
        if action == "period_end":
            self.running = False
            if self.period >= 4 and self.points[0] != self.points[1]:
                self.ended = True
                return Change(ended=True, note=f"final {self.points[0]}:{self.points[1]}")
            return Change(schedule=[(now + self.BREAK / self.speed, "period_start")], announce=True)
        if action == "period_start":
            return Change(schedule=self._start_period(now), announce=True)
        raise ValueError(action)

    def status(self, now: float):
        home, away = self.points
        periods = tuple(
            (self.CODES.get(i + 1, 40), i + 1, h, a) for i, (h, a) in enumerate(self.periods)
        )
        if self.ended:
            return EventStatus(
                3, 100 if self.period <= 4 else 110, home, away, period_scores=periods
            )
        code = self.CODES.get(self.period, 40)
        return EventStatus(1, code, home, away, clock(self.play(now)), None, periods)

    def lines(self, live: bool) -> list[Key]:
        return (
            [(219, "")]
            + [(223, f"hcp={number(h)}") for h in self.hcps]
            + [(225, f"total={number(t)}") for t in self.totals]
        )

    def _time_token(self, now: float) -> tuple:
        return (self.version, int(self.play(now) // 30))

    def _price(self, key: Key, now: float) -> Fair | None:
        if self.ended:
            return None
        left = max(0.0, 4 * self.QUARTER - self.play(now)) / (4 * self.QUARTER)
        margin = self.points[0] - self.points[1] + self.supremacy * left
        sd = math.sqrt(11.0**2 * left + 1.5)
        mid = key[0]
        if mid == 219:
            p = _phi(margin / sd)
            return (("4", p), ("5", 1 - p))
        if mid == 223:
            p = _phi((margin + float(_spec(key, "hcp"))) / sd)
            return (("1714", p), ("1715", 1 - p))
        if mid == 225:
            total = sum(self.points) + self.expected * left
            sd_total = math.sqrt(13.0**2 * left + 1.5)
            over = 1 - _phi((float(_spec(key, "total")) - total) / sd_total)
            return (("12", over), ("13", 1 - over))
        raise KeyError(key)

    def result(self, key: Key) -> Result | None:
        home, away = self.points
        mid = key[0]
        if mid == 225:
            line = float(_spec(key, "total"))
            if self.ended or home + away > line:
                return over_under(home + away, line, "12", "13")
            return None
        if not self.ended:
            return None
        if mid == 219:
            return (("4", int(home > away), None, None), ("5", int(away > home), None, None))
        if mid == 223:
            return over_under(home - away, -float(_spec(key, "hcp")), "1714", "1715")
        raise KeyError(key)


# E-sports (Counter-Strike, Dota 2): a match is a series of maps, best of three, or best of two
# (which can end 1:1: the winner market is then settled as a dead heat).


class Esports(Model):
    MAP_BREAK = 300.0

    def __init__(self, rng: random.Random, speed: float, sport_id: int) -> None:
        super().__init__(rng, speed)
        self.sport_id = sport_id
        self.best_of = 2 if rng.random() < 0.25 else 3
        self.p_map = rng.uniform(0.3, 0.7)
        self.maps: list[int] = []  # winners (0 home, 1 away)
        self.playing = False
        self.main = {(186, "")}

    def duration(self) -> float:
        return self.best_of * (2400 + self.MAP_BREAK) / self.speed

    def _map_length(self) -> float:
        return self.rng.uniform(1500.0, 3300.0) / self.speed

    def _over(self) -> bool:
        need = 2
        home = self.maps.count(0)
        away = len(self.maps) - home
        return home == need or away == need or len(self.maps) == self.best_of

    def go_live(self, now: float, fraction: float = 0.0) -> list[tuple[float, str]]:
        for _ in range(int(fraction * self.best_of)):
            winner = 0 if self.rng.random() < self.p_map else 1
            self.maps.append(winner)
            if self._over():
                self.maps.pop()
                break
        self.playing = True
        self.live_start = now
        self.version += 1
        return [(now + self._map_length(), "map_end")]

    def on(self, action: str, now: float) -> Change:
        self.version += 1
        if action == "map_end":
            self.maps.append(0 if self.rng.random() < self.p_map else 1)
            self.playing = False
            if self._over():
                self.ended = True
                return Change(ended=True, note=f"maps {self.maps.count(0)}:{self.maps.count(1)}")
            return Change(
                schedule=[(now + self.MAP_BREAK / self.speed, "map_start")], bet_stop=True
            )
        if action == "map_start":
            self.playing = True
            return Change(schedule=[(now + self._map_length(), "map_end")], announce=True)
        raise ValueError(action)

    def status(self, now: float):
        home = self.maps.count(0)
        away = len(self.maps) - home
        if self.ended:
            return EventStatus(3, 100, home, away)
        return EventStatus(1, 51 + min(len(self.maps), 6), home, away)

    def lines(self, live: bool) -> list[Key]:
        return [(186, "")]

    def _price(self, key: Key, now: float) -> Fair | None:
        if self.ended:
            return None
        p = self.p_map

        def finals(h: int, a: int, prob: float, out: dict) -> None:
            if h == 2 or a == 2 or h + a == self.best_of:
                out[(h, a)] = out.get((h, a), 0.0) + prob
                return
            finals(h + 1, a, prob * p, out)
            finals(h, a + 1, prob * (1 - p), out)

        out: dict[tuple[int, int], float] = {}
        finals(self.maps.count(0), self.maps.count(1), 1.0, out)
        cells = [(h, a, prob) for (h, a), prob in out.items()]
        return implied(cells, self._settle)

    def _settle(self, home: int, away: int) -> Result:
        if home == away:  # best of two, 1:1
            return (("4", 1, None, 0.5), ("5", 1, None, 0.5))
        return (("4", int(home > away), None, None), ("5", int(away > home), None, None))

    def result(self, key: Key) -> Result | None:
        if not self.ended:
            return None
        return self._settle(self.maps.count(0), self.maps.count(1))


def make_model(sport_id: int, rng: random.Random, speed: float) -> Model:
    if sport_id == SOCCER:
        return Soccer(rng, speed)
    if sport_id == TENNIS:
        return Tennis(rng, speed)
    if sport_id == BASKETBALL:
        return Basketball(rng, speed)
    if sport_id in (COUNTER_STRIKE, DOTA2):
        return Esports(rng, speed, sport_id)
    raise ValueError(f"no model for sport {sport_id}")
