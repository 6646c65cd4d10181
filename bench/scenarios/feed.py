"""Scenario ``feed``: the UOF adapter's sustainable odds_change rate, and push latency to 1,000
websocket clients against a bare websocket broadcast server measured in the same run.

1. **Rate ladder.** One adapter process (``manage.py run_provider``) consumes its durable queue on
   RabbitMQ; a publisher process (``bench/feed_publisher.py``) offers realistic live
   ``odds_change`` messages (1-8 market lines each over a few hundred football, tennis and
   basketball events) at a fixed rate per step. A step holds when the publisher kept its rate,
   the queue's backlog at the end of the step is under half a second of messages and the
   adapter's own ``lag_ms`` stayed under a second in the step's last third; between steps the
   queue drains. A step that fails is run once more (the machine is shared) before the ladder
   stops.
2. **Drain.** With the adapter stopped, a backlog is published; the adapter is started and the
   rate at which the backlog goes is timed.
3. **Push latency.** One live-odds gateway process with 1,000 sockets on one event's page
   (``bench/ws_clients.py``, a separate process); the publisher sends that event's odds at 5/s,
   each client times every push from the message's provider timestamp (stamped at publish) to
   its receipt; then (not with ``--quick``) the same at 1/s. Then the same clients, the same
   stream at 5/s, against ``bench/broadcast_baseline.py`` (a bare ``websockets`` server
   consuming the same exchange): the baseline.

``BENCH_FEED_PROFILE=1`` runs the adapter and the web process under cProfile (their main
threads) and writes ``var/bench/feed-adapter.prof`` and ``feed-web.prof``, each with a summary
beside it (``.txt``). The profiler slows them down: figures from such a run are not comparable.

The module is also the set-up program (a Django process) when run with ``main(argv)``:

    setup <world.json>            the provider and the events, their ids to world.json
    adapter-profile <name> <out>  run_provider <name> under cProfile, stats to <out>
    gateway-profile <out> <port>  the live-odds gateway under cProfile, stats to <out>
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from bench.stack import (
    BRAND,
    DATABASE,
    RESULTS,
    Process,
    environment,
    free_port,
    log,
    setup,
)
from bench.ws_clients import percentile, raise_open_files
from betting.stack import roles
from betting.stack.roles import Role
from betting.stack.services import ROOT, check_broker

PROVIDER = "benchfeed"
EXCHANGE = "bench.unifiedfeed"  # the bench's own exchange: no other consumer's traffic
QUEUE = f"provider.{PROVIDER}"  # the adapter's durable queue (no QUEUE_NAMESPACE in the bench)
BROKER_ENV = "FEED_BROKER_URL"  # the provider's broker_url_env: the feed's RabbitMQ
DEFAULT_FEED_BROKER = "amqp://guest:guest@127.0.0.1:5672//"
EVENT_BASE = 77_000_000
EVENTS = {"sr:sport:1": 180, "sr:sport:5": 60, "sr:sport:2": 60}  # football, tennis, basketball
HOT_URN = f"sr:match:{EVENT_BASE + 99_999}"  # the event whose page the sockets are on
SPORT_NAMES = {"sr:sport:1": "Football", "sr:sport:5": "Tennis", "sr:sport:2": "Basketball"}

LADDER = [500, 1000, 1500, 2000, 2500, 3000, 4000, 5000]
QUICK_LADDER = [1000, 2000, 3000]
STEP_S, QUICK_STEP_S = 15.0, 4.0
MAX_BACKLOG_S = 0.5  # a step holds if the queue holds at most this many seconds of messages ...
MAX_LAG_MS = 1000  # ... and the adapter's lag_ms in the step's last third stays under this ...
MIN_PUBLISHED = 0.97  # ... and the publisher reached 97% of the offered rate
DRAIN_WAIT_S = 60.0  # after a step, at most this long for the queue to empty
BACKLOG, QUICK_BACKLOG = 60_000, 10_000
PREFETCH = 4_000  # the adapter's prefetch (apps/providers/uof/adapter.py)

CLIENTS = 1_000
LATENCY_RATE = 5.0  # the event's odds_change per second
LATENCY_S, QUICK_LATENCY_S = 20.0, 5.0
SETTLE_S, MAX_SETTLE_S = 1.5, 60.0  # after the last message: quiet this long, or give up
SLOW_RATE, SLOW_S = 1.0, 10.0  # the platform again, below its fan-out capacity (not --quick)
WARM_UP_S, QUICK_WARM_UP_S = 2.0, 1.0  # pushes then are not counted (first query, first offer)
# This module as a program (not ``-m``: the package imports it already, and runpy would warn).
_SELF = [
    sys.executable,
    "-c",
    "import sys, bench.scenarios.feed as f; sys.exit(f.main(sys.argv[1:]))",
]

METHOD = (
    "rate: one adapter process (run_provider) on a durable RabbitMQ queue; a separate publisher "
    "process offers live odds_change messages (1-8 market lines, {events} events of football, "
    "tennis and basketball) open loop at a ladder of rates, {step:g} s a step; a step holds if "
    f"the publisher reached {MIN_PUBLISHED:.0%} of the rate, the queue backlog at its end is at "
    f"most {MAX_BACKLOG_S:g} s of messages and the adapter's lag_ms stayed under {MAX_LAG_MS} ms "
    "in its last third (a failed step is run once more); "
    "drain: a backlog of {backlog} messages published with the adapter stopped, then the adapter "
    "started and the backlog's fall timed. Latency: 1 live-odds gateway process, "
    "{clients} websocket clients "
    "(one asyncio process) on one event's page, that event's odds_change published at "
    f"{LATENCY_RATE:g}/s for {{latency:g}} s, latency = receipt - the message's timestamp "
    "(stamped at publish), over every client and push after a warm-up; baseline in the same run: "
    "a bare websockets server consuming the same exchange and broadcasting each message to the "
    "same clients"
)


# --- processes -----------------------------------------------------------------------------------


def _python_role(name: str, module: str, *args: str) -> Role:
    return Role(name, [sys.executable, "-m", module, *args])


@contextlib.contextmanager
def _running(role: Role, env: dict[str, str]) -> Iterator[Process]:
    """One process for the length of the block, stopped on the way out whatever happened."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    proc = Process(role, env, RESULTS / f"feed-{role.name}.log")
    try:
        yield proc
    finally:
        proc.stop()


def _wait_log(path: Path, text: str, procs: list[Process], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in (path.read_text(errors="replace") if path.exists() else ""):
        for proc in procs:
            proc.check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{text!r} not in {path} after {timeout:.0f}s")
        time.sleep(0.1)


def _wait_file(path: Path, procs: list[Process], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        for proc in procs:
            proc.check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f}s")
        time.sleep(0.05)


def _wait_exit(proc: Process, timeout: float) -> None:
    try:
        proc.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"{proc.role.name} still running after {timeout:.0f}s") from None
    if proc.proc.returncode != 0:
        proc.check()


# --- CPU from /proc ----------------------------------------------------------------------------


def _cpu_of(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pids(match) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("latin-1")
            except OSError:
                continue
            if match(cmdline):
                found.append(int(entry.name))
    return found


def _busy_jiffies() -> tuple[int, int]:
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle, sum(fields[:8])


class Cpu:
    """Cores used between start() and stop() by named process groups, and the machine's busy cores.

    ``postgres`` is the backends connected to the benchmark's global database, ``redis`` the
    server on the benchmark's Redis port, ``rabbitmq`` the broker's Erlang VM (the last two are
    shared with anything else using them on this machine)."""

    def __init__(self, **pids: list[int]) -> None:
        self.groups = {k: v for k, v in pids.items()}
        ours = f" {DATABASE} "
        self.groups["postgres"] = _pids(lambda c: c.startswith("postgres:") and ours in c)
        redis = f":{urlsplit(environment()['REDIS_URL']).port or 6379}"
        self.groups["redis"] = _pids(lambda c: "redis-server" in c.split(" ", 1)[0] and redis in c)
        self.groups["rabbitmq"] = _pids(lambda c: "beam" in c.split(" ", 1)[0] and "rabbit" in c)

    def _read(self) -> dict[str, dict[int, float]]:
        out: dict[str, dict[int, float]] = {}
        for name, pids in self.groups.items():
            out[name] = {p: v for p in pids if (v := _cpu_of(p)) is not None}
        return out

    def start(self) -> Cpu:
        self.t0, self.j0, self.c0 = time.monotonic(), _busy_jiffies(), self._read()
        return self

    def stop(self) -> dict[str, float | None]:
        seconds = max(time.monotonic() - self.t0, 1e-9)
        c1, j1 = self._read(), _busy_jiffies()
        busy, total = j1[0] - self.j0[0], j1[1] - self.j0[1]
        cores: dict[str, float | None] = {}
        for name, now in c1.items():
            before = self.c0.get(name, {})
            used = sum(v - before[p] for p, v in now.items() if p in before)
            cores[f"{name}_cores"] = round(used / seconds, 3)
        cores["machine_busy_cores"] = (
            round(busy / total * (os.cpu_count() or 1), 2) if total else None
        )
        cores["seconds"] = round(seconds, 2)
        return cores


# --- the broker and the provider's row ---------------------------------------------------------


def feed_broker(env: dict[str, str]) -> str:
    """The feed's RabbitMQ: FEED_BROKER_URL, else the stack's broker if AMQP, else localhost."""
    url = os.environ.get(BROKER_ENV, "").strip()
    if not url:
        url = env["BROKER_URL"] if env["BROKER_URL"].startswith("amqp") else DEFAULT_FEED_BROKER
    check_broker(url, f"the feed's RabbitMQ ({BROKER_ENV}, default {DEFAULT_FEED_BROKER})")
    return url


class Queues:
    """Passive declares against the broker: a queue's ready messages and consumers."""

    def __init__(self, url: str) -> None:
        import kombu

        self.connection = kombu.Connection(url, connect_timeout=10)
        self.connection.ensure_connection(max_retries=3)
        self.channel = None

    def _channel(self):
        if self.channel is None or not self.channel.is_open:
            self.channel = self.connection.channel()
        return self.channel

    def depth(self, queue: str) -> tuple[int, int] | None:
        """(ready messages, consumers), or None if there is no such queue."""
        import amqp

        try:
            _, count, consumers = self._channel().queue_declare(queue=queue, passive=True)
        except amqp.exceptions.NotFound:
            self.channel = None  # the broker closed the channel
            return None
        return count, consumers

    def purge(self, queue: str) -> int:
        if self.depth(queue) is None:
            return 0
        return self._channel().queue_purge(queue=queue) or 0

    def close(self) -> None:
        self.connection.release()


class ProviderRow:
    """The adapter's live status in providers_provider, read over its own connection."""

    def __init__(self, database_url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(database_url, autocommit=True)

    COLUMNS = ("messages", "lag_ms", "heartbeat_at", "unknown_event", "unknown_market", "malformed")

    def read(self) -> dict:
        row = self.conn.execute(
            f"SELECT {', '.join(self.COLUMNS)} FROM providers_provider WHERE name = %s", [PROVIDER]
        ).fetchone()
        return dict(zip(self.COLUMNS, row, strict=True))

    def close(self) -> None:
        self.conn.close()


# --- set-up (a Django process) -----------------------------------------------------------------


def _world(env: dict[str, str]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "feed-world.json"
    log(f"provider {PROVIDER} and {sum(EVENTS.values())} + 1 events (created once, kept)")
    subprocess.run(
        [*_SELF, "setup", str(out)],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "betting.settings"},
        check=True,
        stdout=sys.stderr,
        timeout=600,
    )
    return out


def _setup_main(out: Path) -> None:
    import datetime

    import django

    django.setup()
    from apps.catalog.fixtures import FixtureData, event_from_fixture
    from apps.catalog.models import Event
    from apps.providers.services import provider_configure

    provider_configure(
        name=PROVIDER,
        kind="uof",
        producers=[1, 3],
        exchange=EXCHANGE,
        bindings=[],
        api_url="",
        broker_url_env=BROKER_ENV,
    )
    wanted: list[tuple[str, str]] = []
    number = EVENT_BASE
    for sport, count in EVENTS.items():
        for _ in range(count):
            wanted.append((f"sr:match:{number}", sport))
            number += 1
    wanted.append((HOT_URN, "sr:sport:1"))
    existing = dict(Event.objects.filter(urn__in=[u for u, _ in wanted]).values_list("urn", "id"))
    start = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    created = 0
    for urn, sport in wanted:
        if urn in existing:
            continue
        n, group = urn.rsplit(":", 1)[1], f"{EVENT_BASE // 1000}{sport.rsplit(':', 1)[1]}"
        event = event_from_fixture(
            FixtureData(
                urn=urn,
                provider=PROVIDER,
                sport_urn=sport,
                sport_name=SPORT_NAMES[sport],
                category_urn=f"sr:category:{group}",
                category_name="Bench",
                tournament_urn=f"sr:tournament:{group}",
                tournament_name=f"Bench {SPORT_NAMES[sport]}",
                home_name=f"Home {n}",
                away_name=f"Away {n}",
                start_time=start,
            )
        )
        existing[urn] = event.id
        created += 1
    world = {
        "events": [{"urn": u, "sport": s, "id": existing[u]} for u, s in wanted if u != HOT_URN],
        "hot": {"urn": HOT_URN, "sport": "sr:sport:1", "id": existing[HOT_URN]},
    }
    out.write_text(json.dumps(world))
    print(f"feed world: {created} events created, {len(wanted) - created} kept", flush=True)


def _profiled(call, out: str) -> None:
    """``call()`` under cProfile (the main thread), the stats to ``out`` and a summary beside."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        call()
    finally:
        profiler.disable()
        profiler.dump_stats(out)
        with open(Path(out).with_suffix(".txt"), "w") as summary:
            stats = pstats.Stats(profiler, stream=summary).sort_stats("cumulative")
            stats.print_stats(60)
            stats.sort_stats("tottime").print_stats(40)


def _profile_adapter(name: str, out: str) -> None:
    """run_provider under cProfile (its main thread: receiving, parsing, translating, writing)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betting.settings")
    import django

    django.setup()
    from django.core.management import call_command

    _profiled(lambda: call_command("run_provider", name), out)


def _profile_gateway(port: str, out: str) -> None:
    """The live-odds gateway under cProfile: its event loop runs the sockets."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betting.settings")
    import django

    django.setup()
    from django.core.management import call_command

    _profiled(lambda: call_command("live_odds_gateway", "--port", port), out)


def main(argv: list[str]) -> int:
    if argv[0] == "setup":
        _setup_main(Path(argv[1]))
    elif argv[0] == "adapter-profile":
        _profile_adapter(argv[1], argv[2])
    elif argv[0] == "gateway-profile":
        _profile_gateway(argv[2], argv[1])
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")
    return 0


# --- the measurements --------------------------------------------------------------------------


class Feed:
    def __init__(self, env: dict[str, str], broker: str, world: Path, quick: bool) -> None:
        self.env = env
        self.broker = broker
        self.world = world
        self.quick = quick
        self.queues = Queues(broker)
        self.provider = ProviderRow(env["DATABASE_URL"])
        self.adapter: Process | None = None
        self._adapter_stack = contextlib.ExitStack()
        self.profile = os.environ.get("BENCH_FEED_PROFILE", "") not in ("", "0")
        self.seed = 0
        # The processes the scenario starts get the bench's environment; the adapter also gets
        # the feed broker under the name its provider row gives.
        self.adapter_env = {**env, BROKER_ENV: broker}

    def close(self) -> None:
        self.queues.close()
        self.provider.close()

    # -- the adapter --

    def stop_adapter(self) -> None:
        self._adapter_stack.close()
        self.adapter = None

    def start_adapter(self) -> Process:
        self.stop_adapter()
        if self.profile:
            out = RESULTS / "feed-adapter.prof"
            role = Role("adapter", [*_SELF, "adapter-profile", PROVIDER, str(out)])
        else:
            role = Role("adapter", [sys.executable, "manage.py", "run_provider", PROVIDER])
        self.adapter = self._adapter_stack.enter_context(_running(role, self.adapter_env))
        deadline = time.monotonic() + 60
        while True:  # attached when its queue has a consumer
            self.adapter.check()
            depth = self.queues.depth(QUEUE)
            if depth is not None and depth[1] >= 1:
                return self.adapter
            if time.monotonic() > deadline:
                raise TimeoutError("the adapter did not attach to its queue within 60s")
            time.sleep(0.1)

    # -- the publisher --

    def publisher(self, mode: str, *args: str) -> tuple[Role, Path]:
        self.seed += 1
        result = RESULTS / f"feed-publisher-{mode}.json"
        result.unlink(missing_ok=True)
        role = _python_role(
            "publisher",
            "bench.feed_publisher",
            mode,
            "--broker",
            self.broker,
            "--exchange",
            EXCHANGE,
            "--events",
            str(self.world),
            "--seed",
            str(self.seed),
            "--result",
            str(result),
            *args,
        )
        return role, result

    def publish(self, mode: str, *args: str, timeout: float) -> dict:
        """Run the publisher to its end; its result."""
        role, result = self.publisher(mode, *args)
        with _running(role, self.env) as proc:
            _wait_exit(proc, timeout)
        return json.loads(result.read_text())

    # -- 1. the ladder --

    def wait_drained(self, expected_messages: int, timeout: float) -> float | None:
        """Seconds until the queue is empty and the adapter counted ``expected_messages``."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            self.adapter.check()
            depth = self.queues.depth(QUEUE)
            empty = depth is not None and depth[0] == 0
            if empty and self.provider.read()["messages"] >= expected_messages:
                return time.monotonic() - t0
            time.sleep(0.2)
        return None

    def step(self, rate: float, seconds: float) -> dict:
        before = self.provider.read()
        role, result_file = self.publisher("rate", "--rate", str(rate), "--duration", str(seconds))
        depths: list[tuple[float, int]] = []
        lags: list[tuple[float, int]] = []
        last_beat = before["heartbeat_at"]
        with _running(role, self.env) as pub:
            cpu = Cpu(adapter=[self.adapter.proc.pid]).start()
            t0 = time.monotonic()
            while pub.proc.poll() is None:
                self.adapter.check()
                depth = self.queues.depth(QUEUE)
                now = time.monotonic() - t0
                if depth is not None:
                    depths.append((now, depth[0]))
                row = self.provider.read()
                # One lag figure per adapter status write (about once a second), after the first
                # second of the step.
                if row["heartbeat_at"] != last_beat and row["lag_ms"] is not None and now > 1.0:
                    lags.append((now, row["lag_ms"]))
                last_beat = row["heartbeat_at"]
                time.sleep(0.25)
            _wait_exit(pub, 30)
            usage = cpu.stop()
        published = json.loads(result_file.read_text())
        end_depth = self.queues.depth(QUEUE)[0]
        at_end = self.provider.read()
        consumed_in_step = at_end["messages"] - before["messages"]
        drain_s = self.wait_drained(before["messages"] + published["sent"], DRAIN_WAIT_S)
        after = self.provider.read()
        consumed = after["messages"] - before["messages"]
        adapter_cpu_s = usage["adapter_cores"] * usage["seconds"]
        lags_sorted = sorted(lag for _, lag in lags)
        # Growing lag shows at the end of the step: a stall that the adapter caught up with
        # (a neighbour's burst) does not fail it, a backlog still there does.
        late = [lag for at, lag in lags if at >= seconds * 2 / 3] or lags_sorted
        held = (
            published["achieved_rate"] >= MIN_PUBLISHED * rate
            and end_depth <= MAX_BACKLOG_S * rate
            and (not late or max(late) <= MAX_LAG_MS)
            and drain_s is not None
        )
        step = {
            "offered_rate": rate,
            "published_rate": published["achieved_rate"],
            "published": published["sent"],
            "publisher_max_behind_ms": published["max_behind_ms"],
            "consumed_rate_in_step": round(consumed_in_step / published["seconds"], 1),
            "queue_depth_max": max((d for _, d in depths), default=None),
            "queue_depth_end": end_depth,
            "lag_ms_p50": percentile(lags_sorted, 0.5),
            "lag_ms_max": lags_sorted[-1] if lags_sorted else None,
            "lag_ms_max_last_third": max(late) if late else None,
            "drain_after_s": round(drain_s, 1) if drain_s is not None else None,
            "adapter_ms_per_message": round(adapter_cpu_s * 1000 / max(consumed_in_step, 1), 3),
            **usage,
            "publisher_cores": published["cpu_cores"],  # its own figure (it exits before ours)
            "unknown_event": after["unknown_event"] - before["unknown_event"],
            "unknown_market": after["unknown_market"] - before["unknown_market"],
            "malformed": after["malformed"] - before["malformed"],
            "consumed": consumed,
            "held": held,
        }
        log(
            f"  {rate:g}/s: published {published['achieved_rate']}/s, adapter "
            f"{step['consumed_rate_in_step']}/s in the step, queue max {step['queue_depth_max']} "
            f"end {end_depth}, lag_ms p50 {step['lag_ms_p50']} max {step['lag_ms_max']} "
            f"(last third {step['lag_ms_max_last_third']}), "
            f"adapter {usage['adapter_cores']} cores ({step['adapter_ms_per_message']} ms/msg), "
            f"postgres {usage['postgres_cores']}, redis {usage['redis_cores']}, rabbitmq "
            f"{usage['rabbitmq_cores']}, publisher "
            f"{published['cpu_cores']}, machine {usage['machine_busy_cores']}: "
            f"{'held' if held else 'NOT held'}"
        )
        return step

    def ladder(self) -> dict:
        seconds = QUICK_STEP_S if self.quick else STEP_S
        warm_up = 2 if self.quick else 5
        log(f"warm-up: 500/s for {warm_up} s (not reported)")
        self.step(500, warm_up)
        steps, held, failed = [], None, None
        for rate in QUICK_LADDER if self.quick else LADDER:
            log(f"odds_change at {rate}/s for {seconds:g} s")
            step = self.step(rate, seconds)
            steps.append(step)
            if not step["held"] and not self.quick:  # a shared machine: a second chance
                log(f"odds_change at {rate}/s again")
                step = self.step(rate, seconds)
                step["retry"] = True
                steps.append(step)
            if step["held"]:
                held = step
            else:
                failed = step
                break
        return {
            "odds_changes_per_s": held["offered_rate"] if held else 0,
            "ladder_held": held,
            "ladder_failed": failed,
            "ladder_steps": steps,
        }

    # -- 2. the drain --

    def drain(self) -> dict:
        count = QUICK_BACKLOG if self.quick else BACKLOG
        log(f"drain: adapter stopped, publishing a backlog of {count} messages")
        published = self.publish("backlog", "--count", str(count), timeout=300)
        depth0 = self.queues.depth(QUEUE)[0]
        log(f"  published at {published['achieved_rate']}/s; queue holds {depth0}")
        before = self.provider.read()["messages"]
        samples: list[tuple[float, int]] = []
        t_start = time.monotonic()
        self.start_adapter()
        attached = time.monotonic() - t_start
        cpu = Cpu(adapter=[self.adapter.proc.pid]).start()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            self.adapter.check()
            depth = self.queues.depth(QUEUE)[0]
            samples.append((time.monotonic() - t_start, depth))
            if depth == 0:
                break
            time.sleep(0.1)
        done_s = self.wait_drained(before + depth0, 60)
        total = time.monotonic() - t_start
        usage = cpu.stop()
        consumed = self.provider.read()["messages"] - before
        # The backlog's fall while the prefetch window is full: from the first sample below
        # (initial depth - prefetch - 1,000) to the first at or below 10% of the backlog.
        start_at = next((s for s in samples if s[1] <= depth0 - PREFETCH - 1000), None)
        end_at = next((s for s in samples if s[1] <= depth0 * 0.1), None)
        rate = None
        if start_at and end_at and end_at[0] > start_at[0]:
            rate = round((start_at[1] - end_at[1]) / (end_at[0] - start_at[0]), 1)
        first_take = next((s[0] for s in samples if s[1] < depth0), None)
        figures = {
            "backlog": depth0,
            "backlog_published_rate": published["achieved_rate"],
            "drain_rate": rate,
            "drain_total_s": round(total, 1),
            "drain_adapter_attach_s": round(attached, 1),
            "drain_from_first_delivery_s": round(total - first_take, 1) if first_take else None,
            "drain_adapter_cores": usage["adapter_cores"],
            "drain_postgres_cores": usage["postgres_cores"],
            "drain_redis_cores": usage["redis_cores"],
            "drain_rabbitmq_cores": usage["rabbitmq_cores"],
            "drain_machine_busy_cores": usage["machine_busy_cores"],
            "drain_adapter_ms_per_message": round(
                usage["adapter_cores"] * usage["seconds"] * 1000 / max(consumed, 1), 3
            ),
            "drain_complete": done_s is not None,
        }
        log(
            f"  drained {consumed} in {total:.1f}s from start ({attached:.1f}s to attach); "
            f"{rate}/s while the backlog fell; adapter {usage['adapter_cores']} cores, "
            f"{figures['drain_adapter_ms_per_message']} ms/msg"
        )
        return figures

    # -- 3. push latency --

    def clients(self, url: str, port: int, clients: int, servers: list[Process], label: str):
        """The client harness's role and its files (ready, stop, go, result)."""
        names = ("ready", "stop", "go", "progress", "json")
        files = {k: RESULTS / f"feed-clients-{label}.{k}" for k in names}
        for path in files.values():
            path.unlink(missing_ok=True)
        role = _python_role(
            f"clients-{label}",
            "bench.ws_clients",
            "--url",
            url,
            "--port",
            str(port),
            "--clients",
            str(clients),
            "--ready",
            str(files["ready"]),
            "--stop",
            str(files["stop"]),
            "--go",
            str(files["go"]),
            "--result",
            str(files["json"]),
            "--progress",
            str(files["progress"]),
        )
        return role, files

    def latency(
        self, server: Process, url: str, port: int, label: str, rate: float, seconds: float
    ) -> dict:
        """CLIENTS sockets on ``url``; the hot event's odds at ``rate`` for ``seconds``."""
        role, files = self.clients(url, port, CLIENTS, [server], label)
        with _running(role, self.env) as harness:
            _wait_file(files["ready"], [server, harness], 300, f"{CLIENTS} websocket clients")
            ready = json.loads(files["ready"].read_text())
            log(
                f"  {ready['connected']}/{CLIENTS} clients connected in {ready['connect_s']}s"
                f"{', errors ' + str(ready['errors']) if ready['errors'] else ''}; "
                f"{rate:g} odds_change/s for {seconds:g} s"
            )
            if ready["connected"] < CLIENTS:
                raise RuntimeError(f"only {ready['connected']} of {CLIENTS} clients connected")
            warm_up = QUICK_WARM_UP_S if self.quick else WARM_UP_S
            started = RESULTS / "feed-publisher.started"
            started.unlink(missing_ok=True)
            pub_role, pub_file = self.publisher(
                "hot",
                "--rate",
                str(rate),
                "--duration",
                str(seconds + warm_up),
                "--started",
                str(started),
            )
            with _running(pub_role, self.env) as pub:
                _wait_file(started, [pub, server, harness], 30, "the publisher")
                time.sleep(warm_up)
                files["go"].touch()
                cpu = Cpu(server=[server.proc.pid], clients=[harness.proc.pid]).start()
                _wait_exit(pub, seconds + 60)
                self.settle(files["progress"], [server, harness])
                usage = cpu.stop()
            files["stop"].touch()
            _wait_exit(harness, 60)
        result = json.loads(files["json"].read_text())
        published = json.loads(pub_file.read_text())
        if not result["samples"]:
            raise RuntimeError(f"{label}: no push reached the clients (see var/bench/feed-*.log)")
        server_ms = usage["server_cores"] * usage["seconds"] * 1000 / result["pushes"]
        log(
            f"  {label}: p50 {result['p50_ms']} p99 {result['p99_ms']} p99.9 {result['p999_ms']} "
            f"max {result['max_ms']} ms over {result['samples']} receipts of {result['pushes']} "
            f"pushes (expected {result['expected_samples']}); spread p50 "
            f"{result['spread_p50_ms']} ms; server {usage['server_cores']} cores "
            f"({server_ms:.1f} ms per push), clients {usage['clients_cores']}, machine "
            f"{usage['machine_busy_cores']}"
        )
        return {
            **result,
            "rate": rate,
            "published": published["sent"],
            **usage,
            "server_ms_per_push": round(server_ms, 1),
        }

    @staticmethod
    def settle(progress: Path, procs: list[Process]) -> None:
        """Wait for the last pushes: until no client got anything for SETTLE_S (an overloaded
        server delivers its backlog late, and those late receipts must count), at most MAX_SETTLE_S.
        """
        last, quiet_since, deadline = None, time.monotonic(), time.monotonic() + MAX_SETTLE_S
        while time.monotonic() < deadline:
            for proc in procs:
                proc.check()
            with contextlib.suppress(OSError, ValueError):
                now = json.loads(progress.read_text())["samples"]
                if now != last:
                    last, quiet_since = now, time.monotonic()
            if time.monotonic() - quiet_since >= SETTLE_S:
                return
            time.sleep(0.1)
        log(f"  pushes still arriving {MAX_SETTLE_S:g} s after the last message: stopped anyway")

    def platform_latency(self) -> tuple[dict, dict | None]:
        """At LATENCY_RATE, then (not with --quick) at 1/s, well below the gateway's capacity."""
        world = json.loads(self.world.read_text())
        port = free_port()
        log(f"push latency, platform: the live-odds gateway and {CLIENTS} sockets on {HOT_URN}")
        role = roles.live_gateway(port=port)
        if self.profile:
            role = Role(
                "live-odds", [*_SELF, "gateway-profile", str(RESULTS / "feed-web.prof"), str(port)]
            )
        seconds = QUICK_LATENCY_S if self.quick else LATENCY_S
        with _running(role, self.env) as web:
            _wait_log(RESULTS / f"feed-{role.name}.log", roles.GATEWAY_READY, [web], 60)
            url = f"ws://{BRAND['domain']}:{port}/ws/events/{world['hot']['id']}/"
            main = self.latency(web, url, port, "platform", LATENCY_RATE, seconds)
            slow = None
            if not self.quick:
                slow = self.latency(web, url, port, "platform-slow", SLOW_RATE, SLOW_S)
        return main, slow

    def baseline_latency(self) -> dict:
        port = free_port()
        ready = RESULTS / "feed-baseline.ready"
        ready.unlink(missing_ok=True)
        routing_key = f"hi.-.live.odds_change.1.sr:match.{HOT_URN.rsplit(':', 1)[1]}.-"
        role = _python_role(
            "baseline",
            "bench.broadcast_baseline",
            "--port",
            str(port),
            "--broker",
            self.broker,
            "--exchange",
            EXCHANGE,
            "--routing-key",
            routing_key,
            "--ready",
            str(ready),
        )
        log(f"push latency, baseline: bare websockets broadcast server and {CLIENTS} sockets")
        with _running(role, self.env) as server:
            _wait_file(ready, [server], 30, "the baseline server")
            seconds = QUICK_LATENCY_S if self.quick else LATENCY_S
            url = f"ws://127.0.0.1:{port}/odds/"
            return self.latency(server, url, port, "baseline", LATENCY_RATE, seconds)


def run(*, quick: bool = False) -> dict:
    env = environment()
    setup(env)
    broker = feed_broker(env)
    raise_open_files(4 * CLIENTS)  # inherited by the gateway and the baseline server
    world = _world(env)
    feed = Feed(env, broker, world, quick)
    figures: dict = {}
    try:
        purged = feed.queues.purge(QUEUE)
        if purged:
            log(f"purged {purged} messages left in {QUEUE}")
        log(f"adapter: run_provider {PROVIDER} on {EXCHANGE}")
        feed.start_adapter()
        figures |= feed.ladder()
        feed.stop_adapter()  # the backlog is published while it is down
        figures |= feed.drain()  # which starts it again, for the latency phase
        platform, slow = feed.platform_latency()
        baseline = feed.baseline_latency()
    finally:
        feed.stop_adapter()
        feed.close()
        log("stopped the adapter")
    n_events = sum(EVENTS.values())
    seconds = QUICK_STEP_S if quick else STEP_S
    method = METHOD.format(
        events=n_events,
        step=seconds,
        backlog=QUICK_BACKLOG if quick else BACKLOG,
        clients=CLIENTS,
        latency=QUICK_LATENCY_S if quick else LATENCY_S,
    )
    keys = (
        "rate",
        "p50_ms",
        "p90_ms",
        "p99_ms",
        "p999_ms",
        "max_ms",
        "samples",
        "expected_samples",
    )
    return {
        "odds_changes_per_s": figures["odds_changes_per_s"],
        "ws_clients": CLIENTS,
        "push_p50_ms": platform["p50_ms"],
        "push_p99_ms": platform["p99_ms"],
        "baseline_p50_ms": baseline["p50_ms"],
        "baseline_p99_ms": baseline["p99_ms"],
        "method": method,
        **{k: v for k, v in figures.items() if k != "odds_changes_per_s"},
        "push": {k: platform[k] for k in (*keys, *_details(platform))},
        "baseline": {k: baseline[k] for k in (*keys, *_details(baseline))},
        "push_at_1_per_s": {k: slow[k] for k in (*keys, *_details(slow))} if slow else None,
        "events": n_events,
        "feed_broker": "RabbitMQ",
    }


def _details(latency: dict) -> tuple[str, ...]:
    wanted = (
        "min_ms",
        "connected",
        "connect_s",
        "pushes",
        "published",
        "per_client_min",
        "per_client_max",
        "spread_p50_ms",
        "spread_max_ms",
        "client_cpu",
        "server_cores",
        "server_ms_per_push",
        "clients_cores",
        "machine_busy_cores",
        "errors",
        "closed_early",
    )
    return tuple(k for k in wanted if k in latency)
