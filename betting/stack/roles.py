"""The platform's process roles and the command that starts each one.

The same commands are used by ``make run``, the tests that start real processes, and the
production manifests in ``docker/``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Role:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


def _python() -> str:
    return sys.executable


def _probes(probe_port: int | None) -> dict[str, str]:
    return {"PROBE_PORT": str(probe_port)} if probe_port else {}


def web(
    *,
    port: int,
    host: str = "127.0.0.1",
    workers: int | None = None,
    threads: int | None = None,
    probe_port: int | None = None,
) -> Role:
    """All public HTTP (site, API, admin): granian serving Django's WSGI application; the probes
    and metrics on ``probe_port`` (the internal listener), never on ``port``.

    Each request runs on one thread from start to end; the ASGI path (daphne) hopped between
    threads about nine times per request. ``workers`` processes (``WEB_WORKERS``, default one per
    core), each with ``threads`` threads (``WEB_THREADS``, default 8: registration hashes
    passwords with PBKDF2, which releases the GIL, so a worker hashes on several threads).
    """
    if workers is None:
        workers = int(os.environ.get("WEB_WORKERS") or os.cpu_count() or 1)
    if threads is None:
        threads = int(os.environ.get("WEB_THREADS") or 8)
    return Role(
        "web",
        [
            _python(),
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--blocking-threads",
            str(threads),
            "--no-ws",
            "betting.wsgi:application",
        ],
        {"PROCESS_ROLE": "web", **_probes(probe_port)},
    )


def sockets(*, port: int, host: str = "127.0.0.1", probe_port: int | None = None) -> Role:
    """The players' websockets (``/ws/player/``, Channels): daphne serving ``betting.asgi``;
    its probes on ``probe_port`` (the internal listener). HTTP traffic goes to ``web``.
    """
    return Role(
        "sockets",
        [_python(), "-m", "daphne", "-b", host, "-p", str(port), "betting.asgi:application"],
        {"PROCESS_ROLE": "sockets", **_probes(probe_port)},
    )


# Celery closes database pools around every task; workers keep persistent connections instead.
# Their time limits are the worker role's (betting.settings.limits): settlement runs are long.
WORKER_ENV = {"DB_POOL_MAX": "0", "PROCESS_ROLE": "worker"}


def _worker(queue: str, node: str, concurrency: int) -> list[str]:
    namespace = os.environ.get("QUEUE_NAMESPACE", "").strip()
    return [
        _python(),
        "-m",
        "celery",
        "-A",
        "betting",
        "worker",
        "-Q",
        f"{namespace}{queue}",
        "-n",
        f"{node}@%h",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]


def shard_pool(shard: int, *, concurrency: int = 2) -> Role:
    """The pool of shard k: consumes only queue shard.<k>, pinned by SHARD_POOL."""
    argv = _worker(f"shard.{shard}", f"shard{shard}", concurrency)
    return Role(f"shard-{shard}", argv, {"SHARD_POOL": str(shard), **WORKER_ENV})


def global_worker(*, concurrency: int = 2) -> Role:
    return Role("global", _worker("global", "global", concurrency), dict(WORKER_ENV))


def relay() -> Role:
    return Role("relay", [_python(), "manage.py", "outbox_relay"], {"PROCESS_ROLE": "relay"})


def provider(name: str, *options: str) -> Role:
    """A content provider's adapter: ``manage.py run_provider <name>``."""
    return Role(
        f"provider-{name}",
        [_python(), "manage.py", "run_provider", name, *options],
        {"PROCESS_ROLE": "provider"},
    )


def feed_simulator(
    *, api_port: int, rate: float = 40, exchange: str = "unifiedfeed", extra: tuple[str, ...] = ()
) -> Role:
    """The simulated odds provider (the outside world in development and tests)."""
    return Role(
        "feed-simulator",
        [
            _python(),
            "manage.py",
            "feed_simulator",
            "--rate",
            str(rate),
            "--api-port",
            str(api_port),
            "--exchange",
            exchange,
            *extra,
        ],
    )


def video_simulator(*, port: int) -> Role:
    return Role(
        "video-simulator",
        [_python(), "manage.py", "video_simulator", "--port", str(port), "--events-from-catalog"],
    )


def live_gateway(*, port: int) -> Role:
    """The live-odds sockets of event pages."""
    return Role(
        "live-odds",
        [_python(), "manage.py", "live_odds_gateway", "--port", str(port)],
        {"PROCESS_ROLE": "live-odds"},
    )


GATEWAY_READY = "live odds gateway on"
FEED_READY = "consuming"  # what run_provider prints when its consumer is attached


def beat(*, schedule: str) -> Role:
    return Role(
        "beat",
        [
            _python(),
            "-m",
            "celery",
            "-A",
            "betting",
            "beat",
            "--schedule",
            schedule,
            "--loglevel",
            "INFO",
        ],
        {"PROCESS_ROLE": "beat"},
    )


def all_roles(
    *,
    shard_count: int,
    port: int,
    schedule: str,
    feed_api_port: int | None = None,
    video_port: int | None = None,
) -> list[Role]:
    """Every role; with simulator ports, the simulated providers and their adapters too.

    Ports: web ``port``, the live-odds gateway ``port + 1``, sockets ``port + 2``; the probes of
    web on ``port + 3`` and of sockets on ``port + 4``.
    """
    stack = [
        web(port=port, probe_port=port + 3),
        live_gateway(port=port + 1),
        sockets(port=port + 2, probe_port=port + 4),
        *(shard_pool(k) for k in range(shard_count)),
        global_worker(),
        relay(),
        beat(schedule=schedule),
    ]
    if feed_api_port is not None:
        stack += [feed_simulator(api_port=feed_api_port), provider("uof")]
    if video_port is not None:
        stack += [video_simulator(port=video_port), provider("video")]
    return stack
