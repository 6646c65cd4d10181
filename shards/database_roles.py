"""The two database roles: the tables' owner, who migrates and creates brands, and the
application's role, which every other process connects as and which reads and writes rows only.

The owner's connections come from ``DATABASE_OWNERS`` (``DATABASE_OWNER_URL``); without them one
role does both. Roles themselves are created out of band (docker/postgres-init, a DBA).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.db import connections
from psycopg import sql

_OWNER_FIELDS = ("NAME", "USER", "PASSWORD", "HOST", "PORT")


def _reconnect(alias: str) -> None:
    connection = connections[alias]
    connection.close()
    close_pool = getattr(connection, "close_pool", None)
    if close_pool is not None:
        close_pool()


@contextlib.contextmanager
def owner_connections() -> Iterator[bool]:
    """Every database connection of this process connects as the tables' owner
    (``DATABASE_OWNERS``) inside the block, and as the application's role again after it. Yields
    whether an owner is configured (without one, nothing changes)."""
    owners = settings.DATABASE_OWNERS
    if not owners:
        yield False
        return
    saved = {}
    for alias, owner in owners.items():
        _reconnect(alias)
        entry = connections[alias].settings_dict
        saved[alias] = {key: entry[key] for key in _OWNER_FIELDS} | {"OPTIONS": entry["OPTIONS"]}
        entry.update({key: owner[key] for key in _OWNER_FIELDS})
        entry["OPTIONS"] = {**entry["OPTIONS"], **owner["OPTIONS"]}
    try:
        yield True
    finally:
        for alias, fields in saved.items():
            _reconnect(alias)
            connections[alias].settings_dict.update(fields)


# What the application's role may do: rows only. No TRUNCATE, REFERENCES or TRIGGER, and as it
# owns nothing it can neither ALTER (DISABLE TRIGGER) nor DROP a table, trigger or function.
_GRANTS = (
    "GRANT USAGE ON SCHEMA {schema} TO {app}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {app}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}",
    "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {app}",
)
# The same for what the owner creates later (a new brand's schema, a later migration's tables).
_DEFAULTS = (
    "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} GRANT USAGE ON SCHEMAS TO {app}",
    "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} GRANT SELECT, INSERT, UPDATE, DELETE"
    " ON TABLES TO {app}",
    "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} GRANT EXECUTE ON FUNCTIONS TO {app}",
)


def database_roles_grant(*, app_role: str) -> list[str]:
    """Grant ``app_role`` the rows of every schema of every database (idempotent), run as the
    owner after migrating; the databases granted on. Also takes CREATE on schema public from
    PUBLIC (PostgreSQL before 15 gave it to every role)."""
    granted = []
    for alias in connections:
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            (owner,) = cursor.fetchone()
            if owner == app_role:
                continue
            cursor.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname = 'public'"
                " OR (nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
                " AND nspname NOT LIKE 'pg\\_%%' AND nspname <> 'information_schema')"
            )
            schemas = [row[0] for row in cursor.fetchall()]
            names = {"owner": sql.Identifier(owner), "app": sql.Identifier(app_role)}
            statements = [sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC")]
            for schema in schemas:
                ident = sql.Identifier(schema)
                statements += [sql.SQL(g).format(schema=ident, **names) for g in _GRANTS]
            statements += [sql.SQL(d).format(**names) for d in _DEFAULTS]
            for statement in statements:
                cursor.execute(statement.as_string(connection.connection))
        granted.append(connection.settings_dict["NAME"])
    return granted
