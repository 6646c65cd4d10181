"""Routine per-message logs are DEBUG: a relay delivering events, and the pools applying them,
print nothing per event at INFO (``betting.logging.RoutineAtDebug``); ``LOG_LEVEL=DEBUG`` shows
them again."""

import logging

from apps.backoffice.models import BrandStats
from apps.outbox import relay
from apps.players.services import player_register
from betting.celery import app
from betting.logging import RoutineAtDebug
from betting.stack import roles
from shards import map as shard_map
from tests import processes

PASSWORD = "correct horse battery staple"
N = 6


def _register(brand, prefix):
    for n in range(N):
        player_register(
            brand=brand, username=f"{prefix}{n}", email="q@example.com", password=PASSWORD
        )


def _count(brand):
    stats = BrandStats.objects.filter(brand_id=brand.id).first()
    return stats.player_count if stats else 0


def test_a_relay_delivering_events_logs_no_info_line_per_event(alpha, caplog):
    _register(alpha, "quiet")
    relay.declare_topology(app)
    with caplog.at_level(logging.INFO):
        published = sum(relay.relay_batch(app, using) for using in shard_map.aliases())
        with processes.running(
            roles.global_worker(), ready=processes.WORKER_READY, env={"LOG_LEVEL": "INFO"}
        ) as worker:
            processes.wait_until(lambda: _count(alpha) == N, timeout=60, message="applied")
    assert published == N
    assert [r for r in caplog.records if r.levelno >= logging.INFO] == []
    out = worker.output()
    assert " ready." in out  # the pool's start-up lines stay at INFO
    assert "outbox.deliver[" not in out  # no "received", no "succeeded" per event


def test_debug_shows_each_delivery(alpha):
    _register(alpha, "loud")
    relay.declare_topology(app)
    assert sum(relay.relay_batch(app, using) for using in shard_map.aliases()) == N
    with processes.running(
        roles.global_worker(), ready=processes.WORKER_READY, env={"LOG_LEVEL": "DEBUG"}
    ) as worker:
        processes.wait_until(
            lambda: worker.output().count("succeeded in") == N, timeout=60, message="N lines"
        )
    assert _count(alpha) == N
    assert "DEBUG celery.app.trace" in worker.output()


def test_routine_lines_become_debug_and_warnings_pass():
    quiet, loud = RoutineAtDebug(show=False), RoutineAtDebug(show=True)
    info = logging.makeLogRecord({"levelno": logging.INFO, "levelname": "INFO"})
    assert quiet.filter(info) is False and info.levelname == "DEBUG"
    info = logging.makeLogRecord({"levelno": logging.INFO, "levelname": "INFO"})
    assert loud.filter(info) is True and info.levelno == logging.DEBUG
    warning = logging.makeLogRecord({"levelno": logging.WARNING, "levelname": "WARNING"})
    assert quiet.filter(warning) is True and warning.levelname == "WARNING"
