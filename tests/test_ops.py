"""Health, readiness, metrics and logs."""

import json
import logging

import pytest
from django.test import Client, override_settings

from betting.logging import JsonFormatter


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost", "10.1.2.3", "unknown.example"])
def test_healthz_answers_on_any_host(clean, host):
    response = Client(HTTP_HOST=host).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_every_shard_the_global_database_redis_and_the_broker(clean):
    response = Client(HTTP_HOST="10.0.0.7").get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"global_db", "shard_0", "shard_1", "redis", "broker"}
    assert all(check["status"] == "up" for check in body["checks"].values())


def test_readyz_says_which_service_is_down(clean):
    with override_settings(BROKER_URL="redis://127.0.0.1:1/0", REDIS_URL="redis://127.0.0.1:1/0"):
        response = Client().get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["status"] == "down"
    assert checks["redis"]["status"] == "down"
    assert checks["shard_0"]["status"] == "up"
    assert checks["global_db"]["status"] == "up"


def test_metrics_are_exposed_for_prometheus(alpha):
    Client(HTTP_HOST="alpha.localhost").get("/")
    response = Client(HTTP_HOST="127.0.0.1").get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
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
