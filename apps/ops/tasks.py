"""Diagnostic tasks: which pool runs a shard's work, with which brand and shard restored."""

from __future__ import annotations

import json
import socket

from django.conf import settings
from django.db import connection

from betting import redis_clients
from shards import context
from shards.tasks import global_task, pool_shard, shard_task

PROBE_TTL_S = 300


def _record(reply_to: str, record: dict) -> None:
    client = redis_clients.connect(**settings.REDIS_CLIENT_OPTIONS)
    try:
        client.rpush(reply_to, json.dumps(record))
        client.expire(reply_to, PROBE_TTL_S)
    finally:
        client.close()


@shard_task(name="ops.pool_probe")
def pool_probe(*, player_id: int, reply_to: str) -> None:
    """Report where a task for ``player_id`` ran: the pool's shard, the restored shard and brand."""
    _record(
        reply_to,
        {
            "player_id": str(player_id),
            "pool": pool_shard(),
            "shard": context.current(),
            "brand_schema": connection.schema_name,
            "host": socket.gethostname(),
        },
    )


@global_task(name="ops.global_probe")
def global_probe(*, reply_to: str) -> None:
    _record(
        reply_to,
        {"pool": pool_shard(), "shard": context.current(), "brand_schema": connection.schema_name},
    )
