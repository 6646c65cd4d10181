"""The internal listener: ``/healthz``, ``/readyz`` and ``/metrics`` on a port of their own.

The public port (granian in web, daphne in sockets) never answers them (404): the ingress and the
brands' domains reach only that port, while the kubelet and Prometheus reach the pod's probe
port (``PROBE_PORT``), which no Service or ingress routes to. A small threaded HTTP server in
each serving process; its socket is opened with SO_REUSEPORT, so each of granian's worker
processes serves the same port and the kernel spreads the probes among them.
"""

from __future__ import annotations

import json
import logging
import threading
from http import HTTPStatus
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from apps.ops import metrics as metrics  # registers the collectors that /metrics serves
from apps.ops.readiness import readiness

log = logging.getLogger(__name__)
JSON = "application/json"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    allow_reuse_port = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:
        """Probes arrive every few seconds: no access log line for each."""


def _answer(start_response, status: int, body: bytes, content_type: str = JSON) -> list[bytes]:
    phrase = HTTPStatus(status).phrase
    start_response(
        f"{status} {phrase}",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]


def probes(environ: dict, start_response) -> list[bytes]:
    """The listener's WSGI application."""
    path = environ.get("PATH_INFO", "").rstrip("/")
    if environ.get("REQUEST_METHOD") not in {"GET", "HEAD"}:
        return _answer(start_response, 405, b'{"error": {"code": "method_not_allowed"}}')
    if path == "/healthz":
        return _answer(start_response, 200, b'{"status": "ok"}')
    if path == "/readyz":
        report = readiness()
        return _answer(start_response, report.http_status, json.dumps(report.body()).encode())
    if path == "/metrics":
        return _answer(start_response, 200, generate_latest(), CONTENT_TYPE_LATEST)
    return _answer(start_response, 404, b'{"error": {"code": "not_found"}}')


def probes_serve(*, host: str, port: int) -> WSGIServer:
    """Serve the probes on ``host:port`` from a daemon thread; the server (``shutdown()`` stops
    it)."""
    server = make_server(host, port, probes, server_class=_Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="probes", daemon=True).start()
    return server


def probes_serve_configured() -> WSGIServer | None:
    """The listener of ``PROBE_HOST:PROBE_PORT``, if a port is configured (web and sockets)."""
    if not settings.PROBE_PORT:
        return None
    server = probes_serve(host=settings.PROBE_HOST, port=settings.PROBE_PORT)
    log.info("probes on %s:%s", settings.PROBE_HOST, settings.PROBE_PORT)
    return server
