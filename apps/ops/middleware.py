"""Request metrics (counts by method and status, latency), first in the middleware chain.

The probes and ``/metrics`` are not served here: they answer on the internal listener
(``apps.ops.listener``) only, and on the public port these paths are like any other (404).
"""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse

from apps.ops.metrics import LATENCY, REQUESTS

KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class OpsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in KNOWN_METHODS else "other"
        LATENCY.labels(method).observe(time.perf_counter() - started)
        REQUESTS.labels(method, str(response.status_code)).inc()
        return response
