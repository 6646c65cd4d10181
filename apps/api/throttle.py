"""The public API's rate limits: per client address and per logged-in player.

Each limit is a fixed window counted in Redis (``API_RATE_ADDRESS``, ``API_RATE_PLAYER`` in
``betting.settings.limits``: requests per period): one pipelined round trip counts the request
in both windows; a request beyond either is refused with 429 ``throttled`` and ``Retry-After``
(the seconds left in the fullest window), in the API's error shape. Addresses in
``THROTTLE_EXEMPT_NETWORKS`` (the benchmark's load generator on loopback) are not limited, nor
counted. The DRF views check it through ``ApiRateThrottle`` (the default throttle class); the
plain view placing bets calls ``rate_wait`` itself.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

from betting.client_address import address_exempt, client_address
from betting.redis_cache import redis_client


def rate_wait(request: HttpRequest, player_id: int | None) -> int | None:
    """Count the request; None when it is within the limits, else the seconds to wait."""
    address = client_address(request)
    if address_exempt(address):
        return None
    now = time.time()
    windows = [("address", address, *settings.API_RATE_ADDRESS)]
    if player_id is not None:
        windows.append(("player", str(player_id), *settings.API_RATE_PLAYER))
    pipe = redis_client().pipeline(transaction=False)
    keys = []
    for scope, who, _limit, period in windows:
        window = int(now // period)
        key = cache.make_key(f"api-rate:{scope}:{who}:{period}:{window}")
        keys.append(key)
        pipe.set(key, 0, ex=period + 1, nx=True)
        pipe.incr(key)
    counts = pipe.execute()[1::2]
    wait = 0
    for (_scope, _who, limit, period), count in zip(windows, counts, strict=True):
        if count > limit:
            wait = max(wait, int(period - now % period) + 1)
    return wait or None


class ApiRateThrottle(BaseThrottle):
    """DRF's throttle for every API view: ``rate_wait`` for the request's address and player."""

    def allow_request(self, request, view) -> bool:
        player = request.user
        self._wait = rate_wait(request._request, player.id if player is not None else None)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
