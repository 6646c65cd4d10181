"""How long each process role waits on PostgreSQL and Redis before giving up.

A process knows its role from ``PROCESS_ROLE`` (set by ``betting.stack.roles``, the compose file
and the Kubernetes manifests; ``manage.py`` sets it for its long-running and batch commands when
it is missing; anything else counts as ``web``, the strictest). A web request must fail fast and
clearly when a service does not answer, instead of holding a thread until the client gives up;
settlement runs and migrations do longer work and get longer limits (or none).

Database limits are sent at connection start as libpq ``options`` (``-c statement_timeout=...``);
a limit of 0 is not sent, so the server's own setting applies. Every limit can be overridden for
one deployment through its environment variable.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from betting.env import env_int, env_str


@dataclass(frozen=True)
class Limits:
    statement_ms: int  # statement_timeout: one statement's run time
    lock_ms: int  # lock_timeout: waiting for one lock
    idle_in_transaction_ms: int  # idle_in_transaction_session_timeout: a transaction left open
    redis_s: float  # a Redis command's reply (socket_timeout)


_WEB = Limits(statement_ms=5_000, lock_ms=2_000, idle_in_transaction_ms=10_000, redis_s=2)
_SERVICE = Limits(statement_ms=30_000, lock_ms=10_000, idle_in_transaction_ms=60_000, redis_s=5)
ROLE_LIMITS = {
    "web": _WEB,
    "sockets": _WEB,
    "live-odds": _WEB,
    "relay": _SERVICE,
    "provider": _SERVICE,
    "beat": _SERVICE,
    # Settlement runs, sweeps and liability announcements: a run pays thousands of bets.
    "worker": Limits(
        statement_ms=300_000, lock_ms=30_000, idle_in_transaction_ms=300_000, redis_s=10
    ),
    # No statement limit (an index build takes what it takes), but a bounded wait for a table's
    # lock: an ALTER queued behind a long transaction would otherwise stall every query after it.
    "migrate": Limits(statement_ms=0, lock_ms=60_000, idle_in_transaction_ms=0, redis_s=10),
}

PROCESS_ROLE = env_str("PROCESS_ROLE", "web")
if PROCESS_ROLE not in ROLE_LIMITS:
    raise ImproperlyConfigured(
        f"PROCESS_ROLE must be one of {', '.join(sorted(ROLE_LIMITS))}, not {PROCESS_ROLE!r}"
    )
_limits = ROLE_LIMITS[PROCESS_ROLE]


def _env_seconds(name: str, default: float) -> float:
    value = env_str(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, not {value!r}") from None
    if seconds <= 0:
        raise ImproperlyConfigured(f"{name} must be positive, not {value!r}")
    return seconds


DB_CONNECT_TIMEOUT_S = env_int("DB_CONNECT_TIMEOUT_S", 5)
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", _limits.statement_ms)
DB_LOCK_TIMEOUT_MS = env_int("DB_LOCK_TIMEOUT_MS", _limits.lock_ms)
DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = env_int(
    "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", _limits.idle_in_transaction_ms
)
REDIS_CONNECT_TIMEOUT_S = _env_seconds("REDIS_CONNECT_TIMEOUT_S", 2)
REDIS_SOCKET_TIMEOUT_S = _env_seconds("REDIS_SOCKET_TIMEOUT_S", _limits.redis_s)
# A pooled Redis connection idle this long is pinged before use (a half-open one is replaced).
REDIS_HEALTH_CHECK_S = env_int("REDIS_HEALTH_CHECK_S", 15)


def database_session_options() -> str:
    """The libpq ``options`` that set this role's limits on every new connection."""
    limits = {
        "statement_timeout": DB_STATEMENT_TIMEOUT_MS,
        "lock_timeout": DB_LOCK_TIMEOUT_MS,
        "idle_in_transaction_session_timeout": DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    }
    return " ".join(f"-c {name}={ms}" for name, ms in limits.items() if ms > 0)


# The options every Redis client of the platform takes (the cache and sessions, the channel
# layer, the Redis broker transport, the diagnostic tasks' client).
REDIS_CLIENT_OPTIONS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_S,
    "socket_timeout": REDIS_SOCKET_TIMEOUT_S,
    "health_check_interval": REDIS_HEALTH_CHECK_S,
}


def _rate(name: str, default: str) -> tuple[int, int]:
    """``"600/60"``: at most 600 requests in each 60-second window."""
    value = env_str(name) or default
    try:
        limit, period = (int(part) for part in value.strip().split("/"))
    except ValueError:
        raise ImproperlyConfigured(f"{name}: {value!r} is not requests/seconds") from None
    if limit < 1 or period < 1:
        raise ImproperlyConfigured(f"{name}: {value!r} must be positive")
    return limit, period


# The public API's rate limits (``apps.api.throttle``): requests per window from one client
# address (shared by the players behind it, so larger) and by one logged-in player; beyond
# either, 429 ``throttled`` with Retry-After. THROTTLE_EXEMPT_NETWORKS (a load generator on
# loopback) are limited by neither.
API_RATE_ADDRESS = _rate("API_RATE_ADDRESS", "600/60")
API_RATE_PLAYER = _rate("API_RATE_PLAYER", "300/60")
