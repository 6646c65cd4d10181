"""Readiness: can this process serve? Each check is short and bounded, and run in parallel.

The global database and Redis (sessions, the cache) are essential: without them no request can
be served, and the pod answers 503 so that it leaves the Service. A shard database or the broker
down only degrades the platform (the players homed elsewhere keep playing; the outbox holds the
events): the answer stays 200 with ``"status": "degraded"`` and names what is down, since taking
every web pod out would stop all players for one shard's outage.

An answer is reused for ``READINESS_CACHE_S`` (one second): a flood of probes opens the
connections of one check, not one per probe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
from django.conf import settings
from kombu import Connection

from betting import redis_clients
from shards import map as shard_map

CHECK_TIMEOUT_S = 2.0
ESSENTIAL = frozenset({"global_db", "redis"})
log = logging.getLogger(__name__)


def _database(alias: str) -> Callable[[], None]:
    """A fresh connection with a short time-out, not the pool: a probe must answer quickly."""

    def check() -> None:
        db = settings.DATABASES[alias]
        params = {
            "dbname": db["NAME"],
            "user": db["USER"] or None,
            "password": db["PASSWORD"] or None,
            "host": db["HOST"] or None,
            "port": db["PORT"] or None,
        }
        with psycopg.connect(
            **{k: v for k, v in params.items() if v is not None},
            connect_timeout=int(CHECK_TIMEOUT_S),
            options=f"-c statement_timeout={int(CHECK_TIMEOUT_S * 1000)}",
        ) as conn:
            conn.execute("SELECT 1")
            if shard_map.is_shard_alias(alias):
                found = conn.execute("SELECT platform_shard()").fetchone()[0]
                if found != shard_map.number_of(alias):
                    raise RuntimeError(f"database of {alias} holds shard {found}")

    return check


def _redis() -> None:
    client = redis_clients.connect(
        socket_timeout=CHECK_TIMEOUT_S,
        socket_connect_timeout=CHECK_TIMEOUT_S,
        retry=None,
    )
    try:
        client.ping()
    finally:
        client.close()


def _broker() -> None:
    with Connection(
        settings.BROKER_URL,
        connect_timeout=CHECK_TIMEOUT_S,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_S)


def checks() -> dict[str, Callable[[], None]]:
    named: dict[str, Callable[[], None]] = {"global_db": _database(shard_map.GLOBAL_ALIAS)}
    for alias in shard_map.aliases():
        named[alias] = _database(alias)
    named["redis"] = _redis
    named["broker"] = _broker
    return named


@dataclass(frozen=True)
class Report:
    checks: dict[str, dict]
    at: float  # time.monotonic() when the checks ran

    @property
    def down(self) -> list[str]:
        return sorted(name for name, r in self.checks.items() if r["status"] != "up")

    @property
    def status(self) -> str:
        if ESSENTIAL & set(self.down):
            return "unavailable"
        return "degraded" if self.down else "ready"

    @property
    def http_status(self) -> int:
        return 503 if self.status == "unavailable" else 200

    def body(self) -> dict:
        return {"status": self.status, "down": self.down, "checks": self.checks}


def _run(name: str, check: Callable[[], None]) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # a readiness probe reports every failure, whatever its kind
        # The body says the kind of error, not its text (which may hold a host name or a user).
        log.warning("not ready", extra={"check": name, "error": str(exc)[:300]})
        result = {"status": "down", "error": type(exc).__name__}
    else:
        result = {"status": "up"}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def readiness_check() -> Report:
    """Run every check now, in parallel (the slowest bounds the answer, not their sum)."""
    named = checks()
    with ThreadPoolExecutor(max_workers=len(named), thread_name_prefix="readyz") as pool:
        futures = {name: pool.submit(_run, name, check) for name, check in named.items()}
        results = {name: future.result() for name, future in futures.items()}
    return Report(checks=results, at=time.monotonic())


_last: Report | None = None
_lock = threading.Lock()


def readiness() -> Report:
    """The last report if younger than ``READINESS_CACHE_S``, else a new one. Probes that arrive
    while the checks run wait for them and share their answer."""
    global _last
    with _lock:
        last = _last
        if last is None or time.monotonic() - last.at >= settings.READINESS_CACHE_S:
            last = _last = readiness_check()
        return last
