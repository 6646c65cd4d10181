"""Health, readiness and metrics on any host name (probes call the bare address), and request
metrics for everything else. First in the middleware chain: no brand lookup, no session."""

from __future__ import annotations

import json
import time

from django.db import connection
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from apps.ops.metrics import LATENCY, REQUESTS
from apps.ops.readiness import readiness


def healthz() -> HttpResponse:
    return HttpResponse(b'{"status": "ok"}', content_type="application/json")


def readyz() -> HttpResponse:
    connection.set_schema_to_public()
    ready, results = readiness()
    body = {"status": "ready" if ready else "unavailable", "checks": results}
    return HttpResponse(
        json.dumps(body), status=200 if ready else 503, content_type="application/json"
    )


def metrics() -> HttpResponse:
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)


KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
PROBES = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}


class OpsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is not None and request.method in {"GET", "HEAD"}:
            return probe()
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in KNOWN_METHODS else "other"
        LATENCY.labels(method).observe(time.perf_counter() - started)
        REQUESTS.labels(method, str(response.status_code)).inc()
        return response
