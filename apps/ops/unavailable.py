"""What a request answers when a service it needs does not: 503 with a machine-readable code.

Django turns an exception that no view handled into its 500 handler; this handler looks at the
exception's chain first. Redis not answering within the role's socket timeout (sessions and the
cache live there), PostgreSQL refusing connections or cancelling a statement at the role's
``statement_timeout`` / ``lock_timeout`` (``betting.settings.limits``), or no pooled connection
free in time: the client gets ``503`` with ``Retry-After`` and
``{"error": {"code", "message", "details"}}`` (the API's error shape), and may retry.
Anything else stays Django's 500 page (an error in the API's shape under ``/api/``).
"""

from __future__ import annotations

import sys

import psycopg
import redis
from django.http import HttpRequest, HttpResponse
from django.views import defaults
from psycopg import errors as pg_errors
from psycopg_pool import PoolTimeout

from apps.api.errors import json_error

RETRY_AFTER_S = 5

# (exception kind, code, message), the first match along the exception's chain wins.
OUTAGES: tuple[tuple[type[BaseException], str, str], ...] = (
    (redis.exceptions.TimeoutError, "redis_unavailable", "the session store did not answer"),
    (redis.exceptions.ConnectionError, "redis_unavailable", "the session store is unreachable"),
    (pg_errors.QueryCanceled, "database_timeout", "the database took too long to answer"),
    (pg_errors.LockNotAvailable, "database_busy", "the data is busy; try again"),
    (PoolTimeout, "database_busy", "no database connection was free in time"),
    (psycopg.OperationalError, "database_unavailable", "the database is unreachable"),
)


def outage_of(exc: BaseException | None) -> tuple[str, str] | None:
    """The (code, message) of a service outage somewhere in ``exc``'s chain, or None."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        for kind, code, message in OUTAGES:
            if isinstance(exc, kind):
                return code, message
        exc = exc.__cause__ or exc.__context__
    return None


def server_error(request: HttpRequest, *, page=defaults.server_error) -> HttpResponse:
    """``handler500`` of both URL maps. Under ``/api/`` anything else is a 500 in the API's
    error shape (code ``error``); elsewhere ``page`` (a brand's site gives its own 500 page)."""
    outage = outage_of(sys.exc_info()[1])
    if outage is None:
        if request.path.startswith("/api/"):
            return json_error("error", None, 500)
        return page(request)
    code, message = outage
    return json_error(code, message, 503, {"retry_after": RETRY_AFTER_S})
