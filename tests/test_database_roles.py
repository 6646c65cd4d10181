"""The application's database role reads and writes rows and nothing more: connected as it, the
ledger's immutability triggers cannot be disabled, dropped, replaced or bypassed, and no table
can be truncated, while postings go through; migrations and brand creation connect as the
tables' owner (``DATABASE_OWNER_URL``) and grant the application's role its rows."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings
from django.db import connections
from psycopg import errors, sql

from apps.wallet.models import Operation
from betting.stack.services import ROOT
from shards import map as shard_map
from shards.database_roles import owner_connections
from tests.wallet_helpers import books_balance, new_player

LEDGER = ("wallet_transfer", "wallet_operation")


def _url_as(user: str, password: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return parts._replace(netloc=f"{user}:{password}@{host}{port}").geturl()


def _connect_as(alias: str, user: str, password: str) -> psycopg.Connection:
    db = settings.DATABASES[alias]
    info = {"dbname": db["NAME"], "user": user, "password": password, "connect_timeout": 5}
    if db["HOST"]:
        info["host"] = db["HOST"]
    if db["PORT"]:
        info["port"] = db["PORT"]
    return psycopg.connect(**info, autocommit=True)


@pytest.fixture
def app_role(platform):
    """A login role for this run, granted its rows by ``migrate_all`` run as a real process with
    the role in DATABASE_URL and this run's (owning) role in DATABASE_OWNER_URL."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        )
        if not cursor.fetchone()[0]:
            pytest.skip("the test database's role may not create roles")
    name, password = f"betting_app_p{os.getpid()}", secrets.token_hex(16)
    with connections["default"].cursor() as cursor:
        cursor.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}")
            .format(sql.Identifier(name), sql.Literal(password))
            .as_string(connections["default"].connection)
        )
    try:
        env = {
            **os.environ,
            "DATABASE_URL": _url_as(name, password),
            "DATABASE_OWNER_URL": os.environ["DATABASE_URL"],
        }
        done = subprocess.run(
            [sys.executable, "manage.py", "migrate_all"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"granted {name} rows on 3 databases" in done.stdout, done.stdout
        yield name, password
    finally:
        for alias in connections:
            with connections[alias].cursor() as cursor:
                cursor.execute(
                    sql.SQL("DROP OWNED BY {}")
                    .format(sql.Identifier(name))
                    .as_string(connections[alias].connection)
                )
        with connections["default"].cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP ROLE {}")
                .format(sql.Identifier(name))
                .as_string(connections["default"].connection)
            )


def _refused(conn: psycopg.Connection, statement: str) -> None:
    with pytest.raises(errors.InsufficientPrivilege):
        conn.execute(statement)


def _triggers_enabled(alias: str) -> dict[str, str]:
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgname LIKE 'wallet_%%_immutable'"
        )
        return dict(cursor.fetchall())


def test_the_application_role_cannot_alter_drop_or_truncate_the_ledger(alpha, app_role):
    player = new_player(alpha, funds=5_000)
    alias = shard_map.alias_for(player.id)
    before = Operation.objects.using(alias).count()
    assert before > 0
    with _connect_as(alias, *app_role) as conn:
        assert conn.execute("SELECT count(*) FROM wallet_operation").fetchone()[0] == before
        for table in LEDGER:
            _refused(conn, f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            _refused(conn, f"ALTER TABLE {table} DISABLE TRIGGER {table}_immutable")
            _refused(conn, f"DROP TRIGGER {table}_immutable ON {table}")
            _refused(conn, f"TRUNCATE {table}")
            _refused(conn, f"DROP TABLE {table}")
        _refused(conn, "DROP FUNCTION wallet_refuse_change() CASCADE")
        _refused(
            conn,
            "CREATE OR REPLACE FUNCTION wallet_refuse_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
        )
        _refused(conn, "SET session_replication_role = replica")  # would skip every trigger
        _refused(conn, "CREATE TABLE public.scratch (id int)")
        with pytest.raises(errors.IntegrityConstraintViolation):
            conn.execute("DELETE FROM wallet_operation")  # a row's right, the trigger's refusal
    assert _triggers_enabled(alias) == {
        "wallet_transfer_immutable": "O",
        "wallet_operation_immutable": "O",
    }
    assert Operation.objects.using(alias).count() == before


def test_postings_go_through_the_application_role(alpha, app_role):
    """A real process whose DATABASE_URL is the application's role posts to the wallet."""
    player = new_player(alpha, funds=1_000_000)
    count, prefix = 20, f"as-app-{player.id}"
    worker = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.wallet_worker",
            "stream",
            str(alpha.id),
            str(player.id),
            str(count),
            prefix,
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _url_as(*app_role), "DB_POOL_MAX": "0"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    ops = Operation.objects.for_entity(player.id).filter(idempotency_key__startswith=f"{prefix}-")
    assert ops.count() == count
    books_balance()


def test_owner_connections_switch_every_database_and_back(platform, app_role, monkeypatch):
    """Inside the block each database is reached as the owner's role, after it as the
    application's again (pools included)."""
    name, password = app_role
    run_role = connections["default"].settings_dict["USER"] or "postgres"

    def roles() -> set[str]:
        seen = set()
        for alias in connections:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT current_user")
                seen.add(cursor.fetchone()[0])
        return seen

    # Here the run's role plays the application and the new role the owner.
    owners = {
        alias: {**connections[alias].settings_dict, "USER": name, "PASSWORD": password}
        for alias in connections
    }
    monkeypatch.setattr(settings, "DATABASE_OWNERS", owners)
    assert roles() == {run_role}
    with owner_connections() as separate:
        assert separate
        assert roles() == {name}
    assert roles() == {run_role}
