"""Attempt throttling for everything that checks a password or can reveal an account.

Two limits, both in Redis and both checked and counted in one script (atomic), before any
password is hashed:

- sliding windows per client address and per subnet, shared by login, registration and the
  password checks before a change of password or e-mail (the site's forms and the API alike);
  spraying names from one network is refused with 429 once its window is full. A successful
  login gives its attempt back, so players behind one shared address are not punished for
  logging in.
- a growing delay per (brand, login name): the first ``LOGIN_NAME_FREE_FAILURES`` failures cost
  nothing, then each attempt must wait ``LOGIN_NAME_DELAY_S``, twice that, ... up to
  ``LOGIN_NAME_DELAY_MAX_S``. Guessing one player's password from many addresses is slowed down;
  the owner is never locked out for longer than the ceiling, and a success forgets the failures.

The attempt is reserved before the hash (and given back on success), so concurrent requests
cannot all pass a check that only counts failures afterwards.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from betting.client_address import address_exempt, client_network
from betting.redis_cache import redis_client

# KEYS: the window sets (sorted sets of attempts scored by time), then the name's hash if any.
# ARGV: member, number of window sets, then per set: its count of windows and (limit, period ms)
# pairs; then for the name: free failures, first delay ms, delay ceiling ms, forget ms.
# Returns 0 (reserved) or the milliseconds to wait.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local member = ARGV[1]
local sets = tonumber(ARGV[2])
local i = 3
local wait = 0
local spans = {}
for k = 1, sets do
  local windows = tonumber(ARGV[i]); i = i + 1
  local longest = 0
  for w = 1, windows do
    local limit = tonumber(ARGV[i]); local period = tonumber(ARGV[i + 1]); i = i + 2
    if period > longest then longest = period end
    local from = '(' .. (now - period)
    local count = redis.call('ZCOUNT', KEYS[k], from, '+inf')
    if count >= limit then
      local oldest = redis.call(
        'ZRANGEBYSCORE', KEYS[k], from, '+inf', 'WITHSCORES', 'LIMIT', count - limit, 1)
      local free_at = tonumber(oldest[2]) + period - now
      if free_at > wait then wait = free_at end
    end
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', now - longest)
  spans[k] = longest
end
local name = KEYS[sets + 1]
if name then
  local until_at = tonumber(redis.call('HGET', name, 'until') or '0')
  if until_at - now > wait then wait = until_at - now end
end
if wait > 0 then return wait end
for k = 1, sets do
  redis.call('ZADD', KEYS[k], now, member)
  redis.call('PEXPIRE', KEYS[k], spans[k])
end
if name then
  local free = tonumber(ARGV[i]); local first = tonumber(ARGV[i + 1])
  local ceiling = tonumber(ARGV[i + 2]); local forget = tonumber(ARGV[i + 3])
  local failures = redis.call('HINCRBY', name, 'failures', 1)
  if failures >= free then
    local delay = math.min(first * 2 ^ math.min(failures - free, 40), ceiling)
    redis.call('HSET', name, 'until', now + math.floor(delay))
  end
  redis.call('PEXPIRE', name, forget)
end
return 0
"""


class Throttled(Exception):
    """Too many attempts: come back in ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Attempt:
    """A reserved attempt: given back by ``attempt_succeeded``."""

    member: str
    window_keys: tuple[str, ...]
    name_key: str | None


def _name_key(brand_id: int, login_name: str) -> str:
    return cache.make_key(f"throttle:name:{brand_id}:{login_name.strip().lower()}")


_scripts: list = []


def _reserve(keys: list[str], args: list) -> int:
    client = redis_client()
    if not _scripts:
        _scripts.append(client.register_script(_RESERVE))  # EVALSHA, loaded again if flushed
    return int(_scripts[0](keys=keys, args=args, client=client))


def attempt_reserve(*, address: str, brand_id: int, login_name: str | None = None) -> Attempt:
    """Count an attempt from ``address`` (and at ``login_name`` when a password of that login is
    about to be checked), or raise Throttled without counting it."""
    windows: list[tuple[str, list[tuple[int, int]]]] = []
    if not address_exempt(address):
        windows = [
            (cache.make_key(f"throttle:address:{address}"), settings.THROTTLE_ADDRESS_WINDOWS),
            (
                cache.make_key(f"throttle:subnet:{client_network(address)}"),
                settings.THROTTLE_SUBNET_WINDOWS,
            ),
        ]
    name_key = _name_key(brand_id, login_name) if login_name is not None else None
    member = uuid.uuid4().hex
    args: list = [member, len(windows)]
    for _, limits in windows:
        args.append(len(limits))
        for limit, period_s in limits:
            args.extend([limit, period_s * 1000])
    if name_key is not None:
        args.extend(
            [
                settings.LOGIN_NAME_FREE_FAILURES,
                settings.LOGIN_NAME_DELAY_S * 1000,
                settings.LOGIN_NAME_DELAY_MAX_S * 1000,
                settings.LOGIN_NAME_FORGET_S * 1000,
            ]
        )
    keys = [key for key, _ in windows] + ([name_key] if name_key else [])
    wait_ms = _reserve(keys, args)
    if wait_ms > 0:
        raise Throttled(max(1, math.ceil(wait_ms / 1000)))
    return Attempt(member, tuple(key for key, _ in windows), name_key)


def attempt_succeeded(attempt: Attempt) -> None:
    """The password was right: give the attempt back and forget the name's failures."""
    client = redis_client()
    with client.pipeline(transaction=False) as pipe:
        for key in attempt.window_keys:
            pipe.zrem(key, attempt.member)
        if attempt.name_key is not None:
            pipe.delete(attempt.name_key)
        pipe.execute()
