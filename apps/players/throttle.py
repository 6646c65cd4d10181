"""Login throttling: after repeated failures a login name is refused for a while.

Counted per brand and login name in the cache (Redis), checked before the password is hashed, so
guessing costs the attacker time and the platform no CPU once the limit is reached.
"""

from __future__ import annotations

from django.core.cache import cache

MAX_FAILURES = 10
WINDOW_S = 15 * 60


def _key(brand_id: int, login_name: str) -> str:
    return f"login-failures:{brand_id}:{login_name.strip().lower()}"


def login_blocked(*, brand_id: int, login_name: str) -> bool:
    return int(cache.get(_key(brand_id, login_name), 0)) >= MAX_FAILURES


def login_failed(*, brand_id: int, login_name: str) -> None:
    key = _key(brand_id, login_name)
    if cache.add(key, 1, timeout=WINDOW_S):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_S)


def login_succeeded(*, brand_id: int, login_name: str) -> None:
    cache.delete(_key(brand_id, login_name))
