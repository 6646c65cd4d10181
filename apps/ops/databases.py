"""Creating the platform's databases (global and shards) when they do not exist yet.

Production creates databases out of band (infrastructure code, a DBA); the development stack and
the test suite use this so that one command sets everything up.
"""

from __future__ import annotations

import psycopg
from django.conf import settings
from psycopg import sql


def _conninfo(db: dict, dbname: str) -> dict:
    info = {"dbname": dbname, "user": db["USER"] or None, "password": db["PASSWORD"] or None}
    if db["HOST"]:
        info["host"] = db["HOST"]
    if db["PORT"]:
        info["port"] = db["PORT"]
    return {k: v for k, v in info.items() if v is not None}


def databases_create_missing() -> list[str]:
    """Create every configured database that is missing; the names created."""
    created = []
    for db in settings.DATABASES.values():
        with psycopg.connect(
            **_conninfo(db, "postgres"), autocommit=True, connect_timeout=5
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
                created.append(db["NAME"])
    return created


def databases_drop() -> None:
    """Drop the configured databases (the test suite's clean start and end)."""
    for db in settings.DATABASES.values():
        _drop(db, db["NAME"])


def databases_drop_named(names: list[str]) -> None:
    """Drop other databases on the global database's server (abandoned test runs)."""
    for name in names:
        _drop(settings.DATABASES["default"], name)


def _drop(db: dict, name: str) -> None:
    with psycopg.connect(**_conninfo(db, "postgres"), autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
