"""Health, readiness, metrics and logs."""

import copy
import json
import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.test import Client, override_settings

from apps.ops import listener
from betting.logging import JsonFormatter
from tests import live, processes


@pytest.fixture
def probes():
    """The internal listener (apps.ops.listener) on a free loopback port of this process."""
    server = listener.probes_serve(host="127.0.0.1", port=live.free_port())
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _get(port: int, path: str) -> tuple[int, dict | str]:
    status, body = live.http_get(port, path)
    return status, json.loads(body) if body.startswith("{") else body


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/readyz/"])
@pytest.mark.parametrize("host", ["alpha.localhost", "localhost", "10.1.2.3", "unknown.example"])
def test_probes_and_metrics_answer_404_on_the_public_port(clean, host, path):
    response = Client(HTTP_HOST=host).get(path)
    assert response.status_code == 404
    assert b"betting_http_requests_total" not in response.content
    assert b"checks" not in response.content


def test_healthz_answers_on_the_internal_listener(clean, probes):
    assert _get(probes, "/healthz") == (200, {"status": "ok"})
    assert _get(probes, "/")[0] == 404
    assert _get(probes, "/admin/")[0] == 404


@override_settings(READINESS_CACHE_S=0)
def test_readyz_reports_every_shard_the_global_database_redis_and_the_broker(clean, probes):
    status, body = _get(probes, "/readyz")
    assert status == 200
    assert body["status"] == "ready"
    assert body["down"] == []
    assert set(body["checks"]) == {"global_db", "shard_0", "shard_1", "redis", "broker"}
    assert all(check["status"] == "up" for check in body["checks"].values())


@override_settings(READINESS_CACHE_S=0)
def test_readyz_says_which_service_is_down(clean, probes):
    with override_settings(BROKER_URL="redis://127.0.0.1:1/0", REDIS_URL="redis://127.0.0.1:1/0"):
        status, body = _get(probes, "/readyz")
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["down"] == ["broker", "redis"]
    checks = body["checks"]
    assert checks["broker"]["status"] == "down"
    assert checks["redis"]["status"] == "down"
    assert checks["shard_0"]["status"] == "up"
    assert checks["global_db"]["status"] == "up"


def _with_database_at(alias: str, port: int) -> dict:
    databases = copy.deepcopy(settings.DATABASES)
    databases[alias]["HOST"], databases[alias]["PORT"] = "127.0.0.1", str(port)
    return databases


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@override_settings(READINESS_CACHE_S=0)
def test_one_shard_down_degrades_the_platform_but_keeps_the_pod_ready(clean, probes):
    closed = live.free_port()  # nothing listens there
    with override_settings(DATABASES=_with_database_at("shard_1", closed)):
        status, body = _get(probes, "/readyz")
    assert status == 200, body
    assert body["status"] == "degraded"
    assert body["down"] == ["shard_1"]
    assert body["checks"]["shard_1"] == {
        "status": "down",
        "error": "OperationalError",
        "ms": body["checks"]["shard_1"]["ms"],
    }
    assert {body["checks"][n]["status"] for n in ("global_db", "shard_0", "redis")} == {"up"}


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@override_settings(READINESS_CACHE_S=0)
def test_the_global_database_down_takes_the_pod_out(clean, probes):
    closed = live.free_port()
    with override_settings(DATABASES=_with_database_at("default", closed)):
        status, body = _get(probes, "/readyz")
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["down"] == ["global_db"]


def test_a_flood_of_readyz_opens_the_connections_of_one_check_a_second(clean, probes):
    requests = 40
    with processes.private_redis() as (port, _proc):
        before = processes.redis_stat(port, "total_connections_received")
        with override_settings(REDIS_URL=f"redis://127.0.0.1:{port}/0", READINESS_CACHE_S=1.0):
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=8) as pool:
                answers = list(pool.map(lambda _: _get(probes, "/readyz"), range(requests)))
            elapsed = time.monotonic() - started
        opened = processes.redis_stat(port, "total_connections_received") - before - 1
    assert {status for status, _ in answers} == {200}
    # One check per second of the flood at most (the readings of this test's own client aside).
    assert opened <= math.ceil(elapsed) + 1, f"{requests} probes opened {opened} connections"


def test_metrics_are_exposed_for_prometheus_on_the_internal_listener(alpha, probes):
    Client(HTTP_HOST="alpha.localhost").get("/")
    status, text = _get(probes, "/metrics")
    assert status == 200
    assert 'betting_http_requests_total{method="GET",status="200"}' in text
    assert "betting_http_request_seconds_bucket" in text


def test_logs_are_one_json_object_per_line_with_extra_fields():
    record = logging.makeLogRecord(
        {"name": "wallet", "levelname": "INFO", "msg": "posted %s", "args": (3,), "shard": 1}
    )
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["msg"] == "posted 3"
    assert entry["shard"] == 1
    assert entry["level"] == "INFO"
    assert "\n" not in line


def test_sentry_is_initialised_with_django_and_celery_when_a_dsn_is_set():
    import subprocess
    import sys

    code = (
        "import django, sentry_sdk; django.setup(); "
        "client = sentry_sdk.get_client(); "
        "names = sorted(client.integrations); "
        "print(client.dsn, 'django' in names, 'celery' in names)"
    )
    env_dsn = "https://public@sentry.example.invalid/1"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "SENTRY_DSN": env_dsn},
    )
    assert result.stdout.split() == [env_dsn, "True", "True"]
