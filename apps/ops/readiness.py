"""Readiness: is every service this process needs reachable? Each check is short and bounded."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import psycopg
import redis
from django.conf import settings
from kombu import Connection

from shards import map as shard_map

CHECK_TIMEOUT_S = 2.0
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
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=CHECK_TIMEOUT_S, socket_connect_timeout=CHECK_TIMEOUT_S
    )
    try:
        client.ping()
    finally:
        client.close()


def _broker() -> None:
    with Connection(settings.BROKER_URL, connect_timeout=CHECK_TIMEOUT_S) as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_S)


def checks() -> dict[str, Callable[[], None]]:
    named: dict[str, Callable[[], None]] = {"global_db": _database(shard_map.GLOBAL_ALIAS)}
    for alias in shard_map.aliases():
        named[alias] = _database(alias)
    named["redis"] = _redis
    named["broker"] = _broker
    return named


def readiness() -> tuple[bool, dict[str, dict]]:
    results: dict[str, dict] = {}
    for name, check in checks().items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # a readiness probe reports every failure, whatever its kind
            # The body is public (probes call it on any host): the kind of error, not its text.
            log.warning("not ready", extra={"check": name, "error": str(exc)[:300]})
            results[name] = {"status": "down", "error": type(exc).__name__}
        else:
            results[name] = {"status": "up"}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return all(r["status"] == "up" for r in results.values()), results
