"""SQL kept in files: each function, trigger function (with its triggers) and view an app owns.

``apps/<app>/sql/<name>.sql`` (``shards/sql/`` for this app) is always the current text of
``<name>``. When a later migration replaces it, the text as it was at an earlier migration stays
as ``sql/versions/<name>.<migration number>.sql``, and that migration loads the copy: a fresh
``migrate`` and an upgrade build the same database. Each file opens with a comment naming the
tables it reads and writes and the locks it takes, in order.
"""

from __future__ import annotations

from pathlib import Path

from django.db import migrations


def sql_file(migration_file: str, path: str) -> str:
    """The text of ``path``, relative to the app of the migration whose ``__file__`` is given."""
    app = Path(migration_file).resolve().parent.parent
    return (app / path).read_text(encoding="utf-8")


def run_sql_file(
    migration_file: str,
    path: str,
    *,
    reverse_file: str | None = None,
    reverse_sql: str | None = None,
    home: str = "shard",
) -> migrations.RunSQL:
    """A ``RunSQL`` operation running ``path`` (relative to the migration's app) on ``home``;
    undone by ``reverse_file`` (an earlier version, the same way) or ``reverse_sql``."""
    if reverse_file is not None and reverse_sql is not None:
        raise ValueError("give reverse_file or reverse_sql, not both")
    reverse = sql_file(migration_file, reverse_file) if reverse_file else reverse_sql
    return migrations.RunSQL(
        sql_file(migration_file, path),
        reverse if reverse is not None else migrations.RunSQL.noop,
        hints={"home": home},
    )
