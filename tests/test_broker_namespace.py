"""A finished test run leaves nothing on the broker: every queue and exchange it declared, itself
or through the processes it started (task queues, the providers' feed queues and exchanges), is
under its namespace and deleted by its teardown."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from kombu import Connection

from betting.stack.services import ROOT
from shards import queues

SAMPLE = "tests/broker_sample_run.py"


def _sample_run_env() -> dict[str, str]:
    """The services of this run, for a test run of its own (its own databases and namespace)."""
    env = {**os.environ}
    for name in ("QUEUE_NAMESPACE", "REDIS_PREFIX", "TEST_DATABASE_BASE", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    url = urlsplit(os.environ["DATABASE_URL"])
    env["DATABASE_URL"] = url._replace(path=f"/{os.environ['TEST_DATABASE_BASE']}").geturl()
    return env


def _missing(kind: str, name: str) -> bool:
    with Connection(settings.BROKER_URL) as conn:
        channel = conn.channel()
        try:
            if kind == "queue":
                channel.queue_declare(name, passive=True)
            else:
                channel.exchange_declare(name, "topic", passive=True)
        except conn.channel_errors:
            return True
    return False


@pytest.mark.skipif(
    not settings.BROKER_IS_AMQP,
    reason="passive declares need AMQP (BROKER_URL unset: Redis); CI runs this on RabbitMQ",
)
def test_a_finished_run_leaves_no_queue_or_exchange_of_its_namespace():
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:randomly", SAMPLE],
        cwd=ROOT,
        env=_sample_run_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    out, _ = run.communicate(timeout=600)
    assert run.returncode == 0, out.decode(errors="replace")[-4000:]
    namespace = f"test-p{run.pid}."
    left = [
        (kind, f"{namespace}{name}")
        for kind, name in [
            ("queue", queues.GLOBAL),
            ("queue", queues.shard_queue_name(0)),
            ("queue", queues.shard_queue_name(1)),
            ("queue", "provider.leftover"),
            ("exchange", "tasks"),
            ("exchange", "events"),
            ("exchange", "unifiedfeed"),
            ("exchange", "celery.pidbox"),
            ("exchange", "celeryev"),
        ]
        if not _missing(kind, f"{namespace}{name}")
    ]
    assert left == []


def test_a_feed_on_the_platform_broker_is_namespaced_and_a_providers_own_exchange_is_not():
    from apps.providers.models import Provider
    from apps.providers.uof.adapter import feed_queue

    ours = feed_queue(Provider(name="uof", exchange="unifiedfeed"))
    theirs = feed_queue(
        Provider(name="uof", exchange="unifiedfeed", broker_url_env="PROVIDER_BROKER_URL_UOF")
    )
    assert queues.NAMESPACE  # the test run's own
    assert [b.exchange.name for b in ours.bindings] == [f"{queues.NAMESPACE}unifiedfeed"]
    assert [b.exchange.name for b in theirs.bindings] == ["unifiedfeed"]
    assert ours.name == theirs.name == f"{queues.NAMESPACE}provider.uof"
