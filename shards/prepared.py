"""A cursor whose statements PostgreSQL parses and plans once per connection.

Django's psycopg cursors bind parameters on the client: every execution sends the whole
statement text with the values quoted into it, and the server parses and plans it again. The
hottest statements (placing a bet) run through this cursor instead: parameters bound on the
server, and psycopg prepares a statement once it has run a few times on a connection (its
``prepare_threshold``), after which each execution sends only the values. Wrapped as Django
wraps its own cursors, so errors are Django's and ``execute_wrapper`` sees every statement.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connections
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper


@contextlib.contextmanager
def prepared_cursor(using: str) -> Iterator[CursorWrapper]:
    db = connections[using]
    db.ensure_connection()
    with db.wrap_database_errors:
        raw = ServerBindingCursor(db.connection)
    wrapped = db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw)
    with wrapped as cursor:
        yield cursor
