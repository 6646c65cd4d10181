"""Scenario ``bets``: accepted bets per second through the full HTTP stack on one shard, against
the empty view's rate on the same server configuration in the same run; then the settlement of a
market line holding 100,000 open bets.

1. **Set-up** (a Django process, this module's ``setup``): bench players on shard 0 (created
   directly, not through registration: no password is ever used, so no PBKDF2 hash), each with a
   directory entry, funds (``wallet_credit_many``, product ``payments``) and a fresh session in
   the site's session store (Redis) holding what ``session_login`` stores; for this run, a few
   prematch football events with a 1x2 line each, written to the catalog with ``FeedBatch`` and
   replicated to every shard by applying this run's own global outbox events on each shard (as
   the shard pools would; the feed scenario's pending events are left alone).
2. **Baseline**: the web role as ``make run`` starts it (``roles.web``: granian serving Django's
   WSGI application, one worker process per core); the ``http`` scenario's ``/ping`` ladder.
3. **Bets**: on the same server, an open-loop ladder of fixed arrival rates of ``POST
   /api/v1/bets`` (a single, one leg, odds as offered), each request another player (round
   robin) and a unique idempotency key, the session and CSRF cookies of that player. A step holds
   if at least 95% of the offered rate is accepted (201) and p99 is at most 100 ms.
4. **Settlement** (after the web process stopped): 100,000 open single bets on one line of shard
   0 inserted with SQL (no stake debited), then in a fresh process one call of
   ``apps.bets.settlement.results_settle`` with the line's result, inside
   ``transaction.atomic(using="shard_0")`` as the shard pool runs it, timed to its commit; every
   bet's status and payout and the wallet's payout operations are checked after, and
   ``manage.py ledger_check --shard 0`` runs.
5. **Bets during a settlement** (not with ``--quick``): 100,000 more open bets on a second
   line, of the first half of the players, a fresh web process warmed up, then the second
   line's settlement in a fresh process while all the players bet at ``DURING_RATE`` a second
   on the placement lines for ``DURING_S`` seconds, from the moment the settlement begins:
   their latency, against the ladder's step at that rate. (A settlement used to pay the whole
   market in one transaction, holding the house rows every stake credits and every winner's
   cash account until it committed: bets on the shard waited for it.)

``BENCH_BETS_PROFILE=1`` adds diagnostics after the ladder: in a Django process, the CPU of
``GET /ping`` and of a bet through Django's test client (no server), then bets under cProfile
(CPU time) with their SQL statements counted (``var/bench/bets-place.txt``); and the settlement
under cProfile (``bets-settle.txt``), whose time is then not comparable.

The module is also the set-up program (a Django process) when run with ``main(argv)``:

    setup <world.json> <run-id>      players, sessions, funds, the lines; their ids to world.json
    settle-prepare <world.json> [--loaded]   the 100,000 open bets on the settlement line (or
                                     on the second one, for the settlement under load)
    settle <world.json> <out.json> [--profile <file>] [--loaded]   apply the result, check,
                                     figures to out (<out>.started is written as it begins)
    profile-place <world.json> <count> <out>            in-process CPU per bet, and cProfile
    commit-probe <out.json>          one-row commits on shard 0: the disk's flush latency
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import loadgen
from bench.scenarios import feed, http
from bench.stack import (
    BRAND,
    DATABASE,
    RESULTS,
    Process,
    environment,
    free_port,
    log,
    processes,
    setup,
    wait_healthy,
)
from betting.stack import roles
from betting.stack.services import ROOT

SHARD = 0
USING = f"shard_{SHARD}"
PLAYERS = 2_000
NAME_PREFIX = "betsb"  # the bench players' login names: betsb000000, ... (kept between runs)
CURRENCY = "EUR"
FUNDS = 10**9  # minor units per player, topped up when below half
STAKE = 100  # minor units, one line
LINES = 10  # prematch 1x2 lines the bets spread over (30 outcomes: 30 liability rows)
ODDS = {"1": "2.10", "2": "3.40", "3": "3.20"}
LADDER = [25, 50, 75, 100, 125, 150, 200, 250, 300, 350, 400, 500, 600, 800, 1000]
QUICK_LADDER = [25, 50, 100, 200, 300, 500]
STEP_S, QUICK_STEP_S = 6.0, 2.0
WARM_UP_RATE, WARM_UP_S, QUICK_WARM_UP_S = 25, 4.0, 2.0
CONNECTIONS = http.CONNECTIONS  # as for /ping
SETTLE_BETS = 100_000
PROBE_COMMITS = 300
DURING_RATE, DURING_S = 100, 8.0  # bets a second, and for how long, during a settlement
ID_CHUNK = 4_000  # platform_next_id() gives 4,096 ids per millisecond: one chunk per millisecond
HOST = BRAND["domain"]
_SELF = [
    sys.executable,
    "-c",
    "import sys, bench.scenarios.bets as b; sys.exit(b.main(sys.argv[1:]))",
]

METHOD = (
    "the web role (roles.web: granian, Django's WSGI application, one worker process per core); "
    "baseline: the http scenario's /ping ladder, then on the same server POST /api/v1/bets "
    "open loop at fixed arrival rates (wrk2 method, latency from each "
    f"request's scheduled time, {CONNECTIONS} keep-alive connections, the generator on the same "
    "machine), {step:g} s a step after a warm-up; a single of one leg, stake "
    f"{STAKE} minor units, odds as offered, over {LINES} prematch 1x2 lines, {PLAYERS} funded "
    "players of shard 0 round robin (sessions made in the session store, not by login), a unique "
    f"idempotency key each; a step holds if >= {http.MIN_RATIO:.0%} of the offered rate gets 201 "
    f"and p99 <= {http.MAX_P99_MS:g} ms (a failed step runs once more; the ladder ends at the "
    "first step that cannot keep up with its rate), bets_per_s = the highest step held, "
    "bets_kept_up_per_s = the highest step with >= 95% of its rate accepted whatever its p99, "
    "ratio = bets_per_s / empty_view_rps. "
    f"Settlement: {SETTLE_BETS:,} open singles on one line of shard 0 "
    "inserted with SQL (stakes not debited: a payout is a balanced transfer from the house, so "
    "the books hold), then one results_settle call with the line's result inside "
    "transaction.atomic on the shard, in a fresh process, timed to its commit. "
    f"During a settlement: {SETTLE_BETS:,} more open bets on a second line settled the same "
    f"way while bets arrive at {DURING_RATE}/s for {DURING_S:g} s from the moment it begins, "
    "on a fresh web process"
)


# --- CPU from /proc ----------------------------------------------------------------------------


class Cpu:
    """Cores used during a step: PostgreSQL backends of the benchmark databases (global and
    shards; one born during the step counts whole), the benchmark's Redis, the whole machine."""

    def __init__(self) -> None:
        redis = f":{urlsplit(environment()['REDIS_URL']).port or 6379}"
        self._redis = feed._pids(lambda c: "redis-server" in c.split(" ", 1)[0] and redis in c)

    @staticmethod
    def _postgres() -> list[int]:
        return feed._pids(lambda c: c.startswith("postgres:") and f" {DATABASE}" in c)

    def _read(self, pids: list[int]) -> dict[int, float]:
        return {p: v for p in pids if (v := feed._cpu_of(p)) is not None}

    def start(self) -> None:
        self.t0, self.j0 = time.monotonic(), feed._busy_jiffies()
        self.pg0, self.redis0 = self._read(self._postgres()), self._read(self._redis)

    def stop(self, count: int) -> dict[str, float | None]:
        """Cores per group, and CPU ms per ``count`` (the step's accepted bets)."""
        seconds = max(time.monotonic() - self.t0, 1e-9)
        j1 = feed._busy_jiffies()
        pg1, redis1 = self._read(self._postgres()), self._read(self._redis)
        pg = sum(v - self.pg0.get(p, 0.0) for p, v in pg1.items())
        redis = sum(v - self.redis0[p] for p, v in redis1.items() if p in self.redis0)
        busy, total = j1[0] - self.j0[0], j1[1] - self.j0[1]
        machine = busy / total * (os.cpu_count() or 1) if total else None
        per = max(count, 1)
        return {
            "pg_cores": round(pg / seconds, 2),
            "pg_ms": round(pg * 1000 / per, 2),
            "redis_cores": round(redis / seconds, 3),
            "machine_busy_cores": round(machine, 2) if machine is not None else None,
            "machine_ms": round(machine * seconds * 1000 / per, 2) if machine else None,
        }


# --- the bets ladder -----------------------------------------------------------------------------


def _bet_factory(world: dict, token: str, prefix: str, offset: int) -> loadgen.RequestFactory:
    """Request ``i``: player ``offset + i`` (round robin) on a line and outcome chosen by ``i``."""
    players, sessions, lines = world["players"], world["sessions"], world["lines"]
    outcomes = list(ODDS)

    def make(index: int) -> bytes:
        k = offset + index
        player = k % len(players)
        line = lines[k % len(lines)]
        outcome = outcomes[(k // len(lines)) % len(outcomes)]
        body = {
            "idempotency_key": f"{prefix}-{index}",
            "kind": "single",
            "stake": STAKE,
            "odds_policy": "none",
            "legs": [{"market": line["market"], "outcome": outcome, "odds": ODDS[outcome]}],
        }
        headers = {
            "Cookie": f"sessionid={sessions[player]}; csrftoken={token}",
            "X-CSRFToken": token,
        }
        return loadgen.http_request("POST", "/api/v1/bets", host=HOST, body=body, headers=headers)

    return make


def _redis_connections() -> int:
    """Connections the benchmark's Redis has accepted so far (this query's own included)."""
    import redis

    client = redis.Redis.from_url(environment()["REDIS_URL"])
    try:
        return int(client.info("stats")["total_connections_received"])
    finally:
        client.close()


def _bets_step(
    web: Process, port: int, rate: float, seconds: float, make: loadgen.RequestFactory
) -> tuple[loadgen.Result, dict]:
    cpu = Cpu()
    redis0 = _redis_connections()
    cpu.start()
    by_pid, t0 = web.cpu_by_pid(), time.monotonic()
    result, step = http._step(
        web, port, rate, seconds, make, connections=CONNECTIONS, ok_statuses=(201,)
    )
    step |= cpu.stop(result.ok)
    spent = time.monotonic() - t0
    step["web_process_cores"] = sorted(
        (round((v - by_pid.get(pid, 0.0)) / spent, 2) for pid, v in web.cpu_by_pid().items()),
        reverse=True,
    )
    connects = _redis_connections() - redis0 - 1
    step["redis_connects_per_request"] = round(connects / max(result.scheduled, 1), 2)
    log(
        f"  CPU per bet: web {step['server_ms']} ms, PostgreSQL {step['pg_ms']} ms, "
        f"machine {step['machine_ms']} ms; machine busy {step['machine_busy_cores']} cores; "
        f"new Redis connections per request {step['redis_connects_per_request']}; web "
        f"processes {step['web_process_cores']} cores"
    )
    return result, step


def _bets_ladder(web: Process, port: int, world: dict, run_id: str, quick: bool) -> dict:
    token = http._csrf_token(port)
    offset = 0

    def factory(tag: str) -> loadgen.RequestFactory:
        return _bet_factory(world, token, f"{run_id}-{tag}", offset)

    log(f"POST /api/v1/bets: warm-up at {WARM_UP_RATE}/s")
    seconds = QUICK_WARM_UP_S if quick else WARM_UP_S
    result, _ = _bets_step(web, port, WARM_UP_RATE, seconds, factory("warm"))
    if result.ok == 0:
        raise RuntimeError(f"no bet accepted in the warm-up: {result.statuses}")
    offset += result.scheduled
    steps: list[dict] = []
    held: dict | None = None
    sustained: dict | None = None
    failed: dict | None = None
    for rate in http.rates(QUICK_LADDER if quick else LADDER):
        for attempt in range(1 + http.STEP_RETRIES):
            log(f"POST /api/v1/bets at {rate}/s" + (" (again)" if attempt else ""))
            result, step = _bets_step(
                web, port, rate, QUICK_STEP_S if quick else STEP_S, factory(f"{rate}-{attempt}")
            )
            offset += result.scheduled
            steps.append(step)
            if result.held(min_ratio=http.MIN_RATIO, max_p99_ms=http.MAX_P99_MS):
                break
        if http.kept_up(result):
            sustained = step
        if result.held(min_ratio=http.MIN_RATIO, max_p99_ms=http.MAX_P99_MS):
            held = step
        elif not http.kept_up(result):
            failed = step
            break
    return {
        "bets_per_s": held["offered_rps"] if held else 0,
        "bets_kept_up_per_s": sustained["offered_rps"] if sustained else 0,
        "p50_ms": held["p50_ms"] if held else None,
        "p99_ms": held["p99_ms"] if held else None,
        "p999_ms": held["p999_ms"] if held else None,
        "bets_achieved_rps": held["achieved_rps"] if held else 0,
        "bets_server_cpu": held["server_cpu"] if held else None,
        "bets_server_ms": held["server_ms"] if held else None,
        "bets_pg_ms": held["pg_ms"] if held else None,
        "bets_failed": _brief(failed) if failed else None,
        "bets_steps": [_brief(s) for s in steps],
        "bets_placed": offset,
    }


def _brief(step: dict) -> dict:
    keys = ("offered_rps", "achieved_rps", "p50_ms", "p99_ms", "p999_ms", "max_ms", "errors")
    more = ("server_cpu", "server_ms", "pg_cores", "pg_ms", "redis_cores", "machine_busy_cores")
    rest = (
        "machine_ms",
        "redis_connects_per_request",
        "web_process_cores",
        "client_cpu",
        "statuses",
    )
    return {k: step[k] for k in (*keys, *more, *rest)}


# --- the harness -------------------------------------------------------------------------------


def _program(env: dict[str, str], *args: str, timeout: float = 900) -> None:
    """This module as a Django program; its output goes to stderr."""
    subprocess.run(
        [*_SELF, *args],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "betting.settings"},
        check=True,
        stdout=sys.stderr,
        timeout=timeout,
    )


def _profiling() -> bool:
    return os.environ.get("BENCH_BETS_PROFILE", "") not in ("", "0")


def _ledger_check(env: dict[str, str]) -> str:
    log(f"ledger_check --shard {SHARD}")
    done = subprocess.run(
        [sys.executable, "manage.py", "ledger_check", "--shard", str(SHARD)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    for line in (done.stdout + done.stderr).strip().splitlines():
        log(f"  {line}")
    return "passed" if done.returncode == 0 else f"FAILED: {done.stdout.strip()[-300:]}"


def run(*, quick: bool = False) -> dict:
    env = environment()
    setup(env)
    RESULTS.mkdir(parents=True, exist_ok=True)
    run_id = secrets.token_hex(4)
    world_file = RESULTS / "bets-world.json"
    log(f"set-up: {PLAYERS} players on shard {SHARD}, sessions, funds, {LINES} lines + 1")
    _program(env, "setup", str(world_file), run_id)
    world = json.loads(world_file.read_text())
    port = free_port()
    with processes("bets", [roles.web(port=port, probe_port=free_port())], env) as (web,):
        wait_healthy(port, web)
        log(f"web (granian, WSGI) up on 127.0.0.1:{port}")
        baseline = http._ladder(web, port, quick)
        figures = _bets_ladder(web, port, world, run_id, quick)
    log(f"commit probe: {PROBE_COMMITS} one-row commits on shard {SHARD}, one every 20 ms")
    _program(env, "commit-probe", str(RESULTS / "bets-commits.json"))
    figures["commit_probe"] = json.loads((RESULTS / "bets-commits.json").read_text())
    empty = baseline["empty_view_rps"]
    ratio = round(figures["bets_per_s"] / empty, 3) if empty else None
    log(f"bets: {figures['bets_per_s']}/s held, empty view {empty}/s: ratio {ratio}")
    if _profiling():
        log("in-process placement, and under cProfile (Django test client)")
        _program(env, "profile-place", str(world_file), "1000", str(RESULTS / "bets-place"))
        figures["in_process"] = json.loads((RESULTS / "bets-place.json").read_text())
    log(f"settlement: inserting {SETTLE_BETS:,} open bets on one line of shard {SHARD}")
    _program(env, "settle-prepare", str(world_file))
    out = RESULTS / "bets-settle.json"
    extra = ["--profile", str(RESULTS / "bets-settle.prof")] if _profiling() else []
    log("settlement: results_settle in a fresh process")
    _program(env, "settle", str(world_file), str(out), *extra)
    settle = json.loads(out.read_text())
    during = None if quick else _bets_during_settlement(env, world_file, world, run_id)
    ledger = _ledger_check(env)
    return {
        "bets_per_s": figures["bets_per_s"],
        "p50_ms": figures["p50_ms"],
        "p99_ms": figures["p99_ms"],
        "p999_ms": figures["p999_ms"],
        "empty_view_rps": empty,
        "ratio": ratio,
        "settle_100k_s": settle["seconds"],
        "settle_check": settle["check"],
        "ledger_check": ledger,
        "method": METHOD.format(step=QUICK_STEP_S if quick else STEP_S),
        **{k: v for k, v in figures.items() if k not in ("p50_ms", "p99_ms", "p999_ms")},
        **{k: v for k, v in baseline.items() if k != "empty_view_rps"},
        "settle": settle,
        "during_settlement": during,
        "players": PLAYERS,
        "lines": LINES,
        "shard": SHARD,
        "profiled": _profiling(),
    }


def _bets_during_settlement(
    env: dict[str, str], world_file: Path, world: dict, run_id: str
) -> dict:
    """Bets at ``DURING_RATE`` a second while a second line's 100,000 bets settle."""
    log(f"settlement under load: inserting {SETTLE_BETS:,} open bets on a second line")
    _program(env, "settle-prepare", str(world_file), "--loaded")
    out = RESULTS / "bets-settle-loaded.json"
    started = Path(f"{out}.started")
    started.unlink(missing_ok=True)
    port = free_port()
    with processes("bets-during", [roles.web(port=port, probe_port=free_port())], env) as (web,):
        wait_healthy(port, web)
        token = http._csrf_token(port)
        log(f"POST /api/v1/bets: warm-up at {WARM_UP_RATE}/s")
        _bets_step(
            web,
            port,
            WARM_UP_RATE,
            WARM_UP_S,
            _bet_factory(world, token, f"{run_id}-during-warm", 0),
        )
        settling = subprocess.Popen(
            [*_SELF, "settle", str(world_file), str(out), "--loaded"],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "betting.settings"},
            stdout=sys.stderr,
        )
        try:
            deadline = time.monotonic() + 120
            while not started.exists():
                if settling.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the settlement under load did not begin")
                time.sleep(0.02)
            log(f"POST /api/v1/bets at {DURING_RATE}/s while the second line settles")
            # Every player bets, half of them with bets in this settlement (a third of those
            # win it): a chunk of the settlement holds its winners' cash accounts until it
            # commits.
            _, step = _bets_step(
                web, port, DURING_RATE, DURING_S, _bet_factory(world, token, f"{run_id}-during", 0)
            )
        finally:
            code = settling.wait(timeout=600)
    if code:
        raise RuntimeError(f"the settlement under load failed ({code})")
    settle = json.loads(out.read_text())
    log(
        f"bets during the settlement ({settle['seconds']} s): p50 {step['p50_ms']}, p99 "
        f"{step['p99_ms']}, max {step['max_ms']} ms, {step['achieved_rps']}/s accepted"
    )
    return {
        **_brief(step),
        "seconds": DURING_S,
        "settle_s": settle["seconds"],
        "settle_check": settle["check"],
        "within_settlement": settle["seconds"] >= DURING_S,
    }


# --- the Django programs -----------------------------------------------------------------------


def _django() -> None:
    import django

    django.setup()


_STARTED = time.time()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _events(
    count: int,
    run_id: str,
    *,
    tag: str,
    first: int,
    start: dt.datetime | None = None,
    spread: dt.timedelta = dt.timedelta(0),
) -> list[dict]:
    """``count`` new prematch football events with a 1x2 line each, in the catalog and on every
    shard's replica: [{"event_id", "market"}]. Their URNs come from the time (20 a second) and
    ``first``, the run's next free number. They start at ``start`` (in 30 days unless told),
    each ``spread`` after the one before."""
    from apps.catalog.fixtures import FixtureData, event_from_fixture
    from apps.catalog.store import MARKETS_TOPIC, FeedBatch, Line
    from apps.outbox.models import GlobalOutbox
    from apps.outbox.services import OutboxEvent, event_apply_once
    from shards import map as shard_map

    mark = GlobalOutbox.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if start is None:
        start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=30)
    base = 780_000_000 + int(_STARTED) % 10_000_000 * 20
    events = []
    for k in range(first, first + count):
        events.append(
            event_from_fixture(
                FixtureData(
                    urn=f"sr:match:{base + k}",
                    provider="uof",
                    sport_urn="sr:sport:1",
                    sport_name="Football",
                    category_urn="sr:category:780000",
                    category_name="Bench",
                    tournament_urn="sr:tournament:780000",
                    tournament_name=f"Bench bets {tag}",
                    home_name=f"Home {run_id} {k}",
                    away_name=f"Away {run_id} {k}",
                    start_time=start + (k - first) * spread,
                )
            )
        )
    if any(run_id not in e.home_name for e in events):
        raise RuntimeError("an event of an earlier run has this URN: run again")
    batch = FeedBatch()
    ts = _now_ms()
    outcomes = tuple({"id": o, "odds": odds, "active": True} for o, odds in ODDS.items())
    for event in events:
        batch.line(
            Line(
                event.id, market_id=1, specifiers="", status=1, producer=3, ts=ts, outcomes=outcomes
            )
        )
    changes = batch.commit()
    markets = {row.event_id: row.id for row in changes.markets}
    if set(markets) != {e.id for e in events}:
        raise RuntimeError(f"lines not written: {changes.markets}")
    # Replicate: this run's own events only (the feed scenario leaves thousands pending, and a
    # producer marked down among them would close every prematch line).
    mine = {e.id for e in events}
    applied = 0
    for row in GlobalOutbox.objects.filter(id__gt=mark, topic=MARKETS_TOPIC).order_by("id"):
        ids = {m[1] for m in row.payload.get("markets", [])}
        ids |= {f[0] for f in row.payload.get("fixtures", [])}
        if not ids or not ids <= mine:
            continue
        event = OutboxEvent(
            event_id=row.event_id,
            topic=row.topic,
            audience=row.audience,
            brand_id=row.brand_id,
            origin="global",
            payload=row.payload,
        )
        for alias in shard_map.aliases():
            event_apply_once(event=event, using=alias)
        applied += 1
    print(f"{count} events ({tag}), {applied} outbox events applied on every shard", flush=True)
    return [{"event_id": e.id, "market": markets[e.id]} for e in events]


def _players(brand_id: int) -> list[int]:
    """PLAYERS bench players of the brand on shard SHARD (created once, kept)."""
    from django.db import connections, transaction

    from apps.players.models import DirectoryEntry, Player
    from shards import ids

    names = [f"{NAME_PREFIX}{i:06d}" for i in range(PLAYERS)]
    existing = dict(
        Player.objects.using(USING)
        .filter(brand_id=brand_id, login_name__in=names)
        .values_list("login_name", "id")
    )
    missing = [n for n in names if n not in existing]
    for start in range(0, len(missing), ID_CHUNK):
        chunk = missing[start : start + ID_CHUNK]
        with transaction.atomic(using=USING), connections[USING].cursor() as cursor:
            # Ids from the shard's own allocator (they encode the shard), as registration does.
            cursor.execute("SELECT platform_next_id() FROM generate_series(1, %s)", [len(chunk)])
            new_ids = [row[0] for row in cursor.fetchall()]
            Player.objects.using(USING).bulk_create(
                [
                    Player(
                        id=i,
                        brand_id=brand_id,
                        username=n,
                        login_name=n,
                        email=f"{n}@example.com",
                        password="!",
                    )  # unusable: never logs in
                    for i, n in zip(new_ids, chunk, strict=True)
                ]
            )
        existing.update(zip(chunk, new_ids, strict=True))
        time.sleep(0.002)
    # The directory entries (global), also for players an interrupted set-up left without one.
    DirectoryEntry.objects.bulk_create(
        [
            DirectoryEntry(brand_id=brand_id, login_name=n, player_id=existing[n], shard=SHARD)
            for n in names
        ],
        ignore_conflicts=True,
    )
    chosen = [existing[n] for n in names]
    if len(set(chosen)) != PLAYERS or any(ids.shard_of(p) != SHARD for p in chosen):
        raise RuntimeError("bench players not all distinct and on the shard")
    print(f"players: {len(missing)} created, {PLAYERS} ready", flush=True)
    return chosen


def _fund(brand_id: int, players: list[int], run_id: str) -> None:
    from django.db import connections, transaction

    from apps.wallet import api

    with connections[USING].cursor() as cursor:
        cursor.execute(
            "SELECT player_id, balance FROM wallet_account "
            "WHERE player_id = ANY(%s) AND currency = %s AND kind = 'cash'",
            [players, CURRENCY],
        )
        cash = dict(cursor.fetchall())
    credits = [
        api.Credit(
            player_id=p, amount=FUNDS - cash.get(p, 0), idempotency_key=f"bb-fund-{run_id}-{p}"
        )
        for p in players
        if cash.get(p, 0) < FUNDS // 2
    ]
    with transaction.atomic(using=USING):
        api.wallet_credit_many(
            brand_id=brand_id, currency=CURRENCY, product="payments", credits=credits, using=USING
        )
    print(f"funds: {len(credits)} players topped up to {FUNDS} minor units", flush=True)


def _sessions(brand_id: int, players: list[int]) -> list[str]:
    """A session per player in the site's session store, holding what session_login stores."""
    from importlib import import_module

    from django.conf import settings

    from apps.players.sessions import SESSION_BRAND, SESSION_CLOCK, SESSION_PLAYER

    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = []
    now = int(time.time())
    for player_id in players:
        session = store()
        session[SESSION_PLAYER] = player_id
        session[SESSION_BRAND] = brand_id
        session[SESSION_CLOCK] = {"who": f"player:{player_id}", "at": now, "seen": now}
        session.create()
        keys.append(session.session_key)
    print(f"sessions: {len(keys)} created", flush=True)
    return keys


def _setup_main(world_file: Path, run_id: str) -> None:
    _django()
    from apps.brands.models import Brand

    brand_id = Brand.objects.get(slug=BRAND["slug"]).id
    players = _players(brand_id)
    _fund(brand_id, players, run_id)
    sessions = _sessions(brand_id, players)
    lines = _events(LINES, run_id, tag="placement", first=0)
    settle_line, loaded_line = _events(2, run_id, tag="settlement", first=LINES)
    world = {
        "run_id": run_id,
        "brand_id": brand_id,
        "players": players,
        "sessions": sessions,
        "lines": lines,
        "settle_line": settle_line,
        "settle_line_loaded": loaded_line,
    }
    world_file.write_text(json.dumps(world))
    _checkpoint()


def _checkpoint() -> None:
    """Flush what earlier scenarios and runs left dirty (a settlement writes 100,000 bets) before
    the load: otherwise the end of that checkpoint, fsyncing the data files, stalls every commit
    for up to a second in the middle of a step."""
    from django.db import DatabaseError, connections

    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("CHECKPOINT")
        except DatabaseError as exc:  # not a superuser: measure anyway, and say so
            print(f"no CHECKPOINT on {alias}: {exc}", file=sys.stderr)


# The bets' and legs' columns, as SQL over ``g`` (the bet's number, 0 to SETTLE_BETS - 1) and
# ``s`` (its stake and outcome); a column not named here (added since) gets its model default.
_BET_VALUES = {
    "id": "platform_next_id()",
    "player_id": "(%(players)s::bigint[])[1 + g %% %(n)s]",
    "brand_id": "%(brand)s",
    "currency": "%(currency)s",
    "slip_key": "%(prefix)s || g",
    "slip_print": "''",
    "kind": "'single'",
    "system": "''",
    "lines": "1",
    "unit_stake": "s.stake",
    "stake": "s.stake",
    "staked": "s.stake",
    "potential_payout": "floor(s.stake * (%(odds)s::numeric[])[s.outcome])::bigint",
    "odds_policy": "'none'",
    "live": "false",
    "status": "'open'",
    "refusal": "''",
    "placed_at": "now()",
}
_LEG_VALUES = {
    "bet_id": "new.id",
    "player_id": "new.player_id",
    "position": "0",
    "event_id": "%(event)s",
    "market": "%(market)s",
    "market_id": "1",
    "specifiers": "''",
    "outcome_id": "new.outcome::text",
    "odds": "(%(odds)s::numeric[])[new.outcome]",
    "status": "'open'",
    "cancelled": "false",
}
_INSERT_BETS = """
WITH new AS (
    INSERT INTO bets_bet ({bet_columns})
    SELECT {bet_values}
    FROM generate_series(%(first)s, %(last)s) AS g
    CROSS JOIN LATERAL (SELECT 100 * (1 + g %% 20) AS stake, 1 + (g / %(n)s) %% 3 AS outcome) s
    RETURNING id, player_id, (1 + (split_part(slip_key, '-', 3)::int / %(n)s) %% 3) AS outcome
)
INSERT INTO bets_betleg ({leg_columns})
SELECT {leg_values} FROM new
"""


def _columns(model: Any, known: dict[str, str], params: dict[str, Any]) -> tuple[str, str]:
    """The model's columns and their values: ``known``'s SQL, else the field's default (as a
    parameter added to ``params``), else NULL; an auto-increment id is left to the database."""
    from django.db import connections
    from django.db.models import NOT_PROVIDED, AutoField, BigAutoField

    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.column in known:
            value = known[field.column]
        elif field.has_default():
            name = f"default_{model._meta.model_name}_{field.column}"
            params[name] = field.get_db_prep_save(field.get_default(), connections[USING])
            value = f"%({name})s"
        elif field.null:
            value = "NULL"
        elif isinstance(field, AutoField | BigAutoField) or field.db_default is not NOT_PROVIDED:
            continue  # the database's own default
        else:
            raise RuntimeError(f"no value for {model.__name__}.{field.name}")
        columns.append(field.column)
        values.append(value)
    return ", ".join(columns), ", ".join(values)


_LIABILITY = """
INSERT INTO bets_lineliability (market, outcome_id, stakes, liability)
SELECT l.market, l.outcome_id, sum(b.stake), sum(b.potential_payout)
FROM bets_betleg l JOIN bets_bet b ON b.id = l.bet_id
WHERE b.slip_key LIKE %(like)s
GROUP BY l.market, l.outcome_id
ON CONFLICT (market, outcome_id) DO UPDATE SET
    stakes = bets_lineliability.stakes + excluded.stakes,
    liability = bets_lineliability.liability + excluded.liability
"""


def _half(world: dict) -> list[int]:
    """The players whose bets the settlement under load settles: the first half."""
    return world["players"][: len(world["players"]) // 2]


def _settlement_of(world: dict, loaded: bool) -> tuple[dict, str]:
    """The settlement's line and its bets' slip-key prefix (the timed one, or the one settled
    while bets arrive)."""
    if loaded:
        return world["settle_line_loaded"], f"bl-{world['run_id']}-"
    return world["settle_line"], f"bs-{world['run_id']}-"


def _commit_probe_main(out: Path) -> None:
    """The disk's part in a bet's latency: ``PROBE_COMMITS`` one-row transactions on shard 0,
    one every 20 ms (each commit waits for its WAL flush, as a bet's does); their latencies."""
    _django()
    from django.db import connections, transaction

    with connections[USING].cursor() as cursor:  # a logged table: each commit flushes WAL
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (n int)")
    times = []
    for n in range(PROBE_COMMITS):
        started = time.perf_counter()
        with transaction.atomic(using=USING), connections[USING].cursor() as cursor:
            cursor.execute("INSERT INTO bench_commit_probe VALUES (%s)", [n])
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.02)
    with connections[USING].cursor() as cursor:
        cursor.execute("DROP TABLE bench_commit_probe")
    times.sort()
    figures = {
        "commits": len(times),
        "p50_ms": round(loadgen.percentile(times, 0.5), 2),
        "p99_ms": round(loadgen.percentile(times, 0.99), 2),
        "max_ms": round(times[-1], 2),
        "over_50_ms": sum(t > 50 for t in times),
    }
    out.write_text(json.dumps(figures))
    print(f"commit probe: {figures}", file=sys.stderr)


def _settle_prepare_main(world_file: Path, loaded: bool = False) -> None:
    """SETTLE_BETS open singles on the settlement line, spread over the players, a third on each
    outcome (outcome 1 wins), stakes 1.00-20.00; and the shard's liability for them."""
    _django()
    from django.db import connections, transaction

    from apps.bets.models import Bet, BetLeg

    world = json.loads(world_file.read_text())
    line, prefix = _settlement_of(world, loaded)
    players = _half(world) if loaded else world["players"]
    params = {
        "players": players,
        "n": len(players),
        "brand": world["brand_id"],
        "currency": CURRENCY,
        "prefix": prefix,
        "odds": [ODDS[o] for o in ("1", "2", "3")],
        "event": line["event_id"],
        "market": line["market"],
    }
    bet_columns, bet_values = _columns(Bet, _BET_VALUES, params)
    leg_columns, leg_values = _columns(BetLeg, _LEG_VALUES, params)
    insert = _INSERT_BETS.format(
        bet_columns=bet_columns,
        bet_values=bet_values,
        leg_columns=leg_columns,
        leg_values=leg_values,
    )
    started = time.monotonic()
    with transaction.atomic(using=USING), connections[USING].cursor() as cursor:
        for first in range(0, SETTLE_BETS, ID_CHUNK):
            last = min(first + ID_CHUNK, SETTLE_BETS) - 1
            cursor.execute(insert, {**params, "first": first, "last": last})
            time.sleep(0.002)  # the next chunk's ids in another millisecond
        cursor.execute(_LIABILITY, {"like": prefix + "%"})
    with connections[USING].cursor() as cursor:
        cursor.execute("ANALYZE bets_bet")
        cursor.execute("ANALYZE bets_betleg")
    print(f"{SETTLE_BETS} bets inserted in {time.monotonic() - started:.1f} s", flush=True)


_CHECK = """
SELECT count(*),
       count(*) FILTER (WHERE b.status <> 'settled'),
       count(*) FILTER (WHERE l.outcome_id = '1'),
       count(*) FILTER (WHERE l.outcome_id = '1' AND (l.status <> 'won'
                               OR b.payout <> b.stake * 21 / 10)),
       count(*) FILTER (WHERE l.outcome_id <> '1' AND (l.status <> 'lost' OR b.payout <> 0)),
       coalesce(sum(b.payout), 0),
       coalesce(sum(b.stake) FILTER (WHERE l.outcome_id = '1'), 0)
FROM bets_bet b JOIN bets_betleg l ON l.bet_id = b.id
WHERE b.slip_key LIKE %s
"""

_PAID = """
SELECT count(*), coalesce(sum(o.amount), 0)
FROM wallet_operation o
WHERE o.kind = 'credit' AND o.product = 'sportsbook'
  AND o.details ->> 'bet' IN (SELECT b.id::text FROM bets_bet b WHERE b.slip_key LIKE %s)
"""


def _settle_main(world_file: Path, out: Path, profile: str | None, loaded: bool = False) -> None:
    """One results_settle call for the settlement line's result, timed; then the checks.
    ``<out>.started`` is written just before the call."""
    _django()
    from django.db import connections, transaction

    from apps.bets.settlement import results_settle

    world = json.loads(world_file.read_text())
    line, prefix = _settlement_of(world, loaded)
    ts = _now_ms()
    outcomes = [
        {"id": o, "result": 1 if o == "1" else 0, "void_factor": "0", "dead_heat_factor": None}
        for o in ODDS
    ]
    result = {
        "id": 0,
        "event_id": line["event_id"],
        "market_id": 1,
        "specifiers": "",
        "kind": "settle",
        "ts": ts,
        "certainty": 2,
        "outcomes": outcomes,
        "start_time": None,
        "end_time": None,
    }
    connections[USING].ensure_connection()  # not timed: the pool's worker is connected
    sql: dict[str, list[float]] = {}  # statement (its start) -> [count, seconds]

    def timing(execute, statement, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            key = " ".join(statement.split())[:70]
            entry = sql.setdefault(key, [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - t0

    connections[USING].execute_wrappers.append(timing)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    Path(f"{out}.started").write_text("")
    cpu0, started = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    with transaction.atomic(using=USING):
        results_settle(results=[result], using=USING)
        applied = time.perf_counter()
    if profiler:
        profiler.disable()
    done = time.perf_counter()
    cpu = time.process_time() - cpu0
    connections[USING].execute_wrappers.remove(timing)
    if profiler and profile:
        _dump(profiler, profile)
    with connections[USING].cursor() as cursor:
        cursor.execute(_CHECK, [prefix + "%"])
        total, unsettled, winners, bad_won, bad_lost, paid, won_stakes = map(
            int, cursor.fetchone()
        )  # sums come back as Decimal
        cursor.execute(_PAID, [prefix + "%"])
        operations, credited = map(int, cursor.fetchone())
    problems = []
    if total != SETTLE_BETS:
        problems.append(f"{total} bets")
    if unsettled:
        problems.append(f"{unsettled} not settled")
    if bad_won or bad_lost:
        problems.append(f"{bad_won} winners and {bad_lost} losers with a wrong status or payout")
    if paid != won_stakes * 21 // 10:
        problems.append(f"paid {paid}, expected {won_stakes * 21 // 10}")
    if operations != winners or credited != paid:
        problems.append(f"{operations} wallet payouts of {credited} for {winners} winners")
    figures = {
        "seconds": round(done - started, 2),
        "apply_s": round(applied - started, 2),
        "commit_s": round(done - applied, 2),
        "process_cpu_s": round(cpu, 2),
        "bets": total,
        "winners": winners,
        "paid": paid,
        "wallet_payouts": operations,
        "sql_s": round(sum(v[1] for v in sql.values()), 2),
        "sql": {k: [v[0], round(v[1], 3)] for k, v in sorted(sql.items(), key=lambda x: -x[1][1])},
        "profiled": bool(profile),
        "check": "passed" if not problems else "FAILED: " + "; ".join(problems),
    }
    out.write_text(json.dumps(figures))
    print(f"settlement: {figures}", flush=True)


def _dump(
    profiler: Any, out: str, limit: int = 45, more: list | None = None, note: str = ""
) -> None:
    import io
    import pstats

    text = io.StringIO(note)
    text.seek(len(note))
    stats = pstats.Stats(profiler, stream=text)
    for other in more or []:
        stats.add(other)
    stats.dump_stats(out)
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)
    Path(out).with_suffix(".txt").write_text(text.getvalue())


def _profile_place_main(world_file: Path, count: int, out: str) -> None:
    """In one Django process, requests back to back: CPU per ``GET /ping`` and per bet through
    Django's test client (the full middleware chain, the same sessions and CSRF as the HTTP
    clients; no server), then ``count`` bets through the test client under cProfile (CPU
    time), with their SQL statements counted."""
    _django()
    import cProfile
    from collections import Counter

    from django.db import connections
    from django.test import Client

    world = json.loads(world_file.read_text())
    token = secrets.token_hex(16)  # a CSRF secret of 32 characters
    make = _bet_factory(world, token, f"{world['run_id']}-prof", 10**6)
    client = Client(enforce_csrf_checks=True, HTTP_HOST=HOST)
    statements: Counter[str] = Counter()

    def counting(execute, sql, params, many, context):
        statements[context["connection"].alias] += 1
        return execute(sql, params, many, context)

    def bet(index: int) -> int:
        raw = make(index)
        head, _, body = raw.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
        client.cookies.load(headers["Cookie"])
        response = client.post(
            "/api/v1/bets",
            data=body,
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )
        return response.status_code

    def ping(_index: int) -> int:
        return client.get("/ping").status_code

    def cpu_ms(call, first: int, n: int) -> float:
        statuses: Counter[int] = Counter(call(first + i) for i in range(50))  # warm-up
        cpu0 = time.process_time()
        statuses.update(call(first + 50 + i) for i in range(n))
        if set(statuses) - {200, 201}:
            raise RuntimeError(f"{call.__name__}: {dict(statuses)}")
        return (time.process_time() - cpu0) * 1000 / n

    ping_ms = cpu_ms(ping, 0, count)
    bet_ms = cpu_ms(bet, 0, count)

    statuses: Counter[int] = Counter()
    for alias in connections:
        connections[alias].execute_wrappers.append(counting)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for i in range(count):
        statuses[bet(10 * count + i)] += 1
    profiler.disable()
    _dump(profiler, f"{out}.prof")
    summary = (
        f"in-process (Django test client, no server), CPU per request: GET /ping {ping_ms:.2f} "
        f"ms, POST /api/v1/bets {bet_ms:.2f} ms; under cProfile (CPU time) {count} bets "
        f"{dict(statuses)}, SQL statements per bet: "
        + ", ".join(f"{a} {n / count:.1f}" for a, n in sorted(statements.items()))
    )
    path = Path(f"{out}.txt")
    path.write_text(summary + "\n\n" + path.read_text())
    print(summary, flush=True)
    Path(f"{out}.json").write_text(
        json.dumps(
            {
                "ping_cpu_ms": round(ping_ms, 2),
                "bet_cpu_ms": round(bet_ms, 2),
                "sql_per_bet": {a: round(n / count, 1) for a, n in statements.items()},
            }
        )
    )


def main(argv: list[str]) -> int:
    if argv[:1] == ["setup"]:
        _setup_main(Path(argv[1]), argv[2])
    elif argv[:1] == ["settle-prepare"]:
        _settle_prepare_main(Path(argv[1]), loaded="--loaded" in argv)
    elif argv[:1] == ["settle"]:
        profile = argv[argv.index("--profile") + 1] if "--profile" in argv else None
        _settle_main(Path(argv[1]), Path(argv[2]), profile, loaded="--loaded" in argv)
    elif argv[:1] == ["profile-place"]:
        _profile_place_main(Path(argv[1]), int(argv[2]), argv[3])
    elif argv[:1] == ["commit-probe"]:
        _commit_probe_main(Path(argv[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
