"""Task base classes that carry brand and shard in the message headers and restore them.

A shard task is routed by its ``player_id`` keyword to that player's shard queue; when it runs, it
sets the shard (``shards.context.on_shard``) and the brand's schema from the headers, explicitly,
for the duration of the call. A pool started with ``SHARD_POOL=k`` refuses work of another shard.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from celery import Task, shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context

from shards import context, queues

BRAND_HEADER = "brand_schema"
SHARD_HEADER = "shard"


class WrongPool(RuntimeError):
    """A shard's task reached the worker pool of another shard."""


def pool_shard() -> int | None:
    """The shard this worker process is pinned to, if it is a shard pool."""
    value = os.environ.get("SHARD_POOL", "").strip()
    return int(value) if value else None


def _current_brand_schema() -> str | None:
    tenant = getattr(connection, "tenant", None)
    schema = getattr(tenant, "schema_name", None)
    if schema and schema != get_public_schema_name():
        return schema
    return None


class PlatformTask(Task):
    """Carries the caller's brand in the headers; restores it around the run."""

    abstract = True
    is_shard_task = False

    def headers_for(self, kwargs: dict) -> dict[str, Any]:
        headers: dict[str, Any] = {}
        schema = _current_brand_schema()
        if schema:
            headers[BRAND_HEADER] = schema
        return headers

    def apply_async(self, args=None, kwargs=None, **options):  # type: ignore[override]
        headers = {**self.headers_for(kwargs or {}), **(options.pop("headers", None) or {})}
        return super().apply_async(args=args, kwargs=kwargs, headers=headers, **options)

    def _header(self, name: str) -> Any:
        headers = getattr(self.request, "headers", None) or {}
        value = headers.get(name)
        if value is None:
            value = getattr(self.request, name, None)
        return value

    def restored(self, kwargs: dict) -> contextlib.AbstractContextManager:
        """The caller's brand schema, or the public schema: never what the worker had last."""
        return schema_context(self._header(BRAND_HEADER) or get_public_schema_name())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self.restored(kwargs):
            return super().__call__(*args, **kwargs)


class ShardTask(PlatformTask):
    """Work on one player's shard, run by that shard's worker pool."""

    abstract = True
    is_shard_task = True

    def headers_for(self, kwargs: dict) -> dict[str, Any]:
        headers = super().headers_for(kwargs)
        headers[SHARD_HEADER] = queues.task_shard(self.name, kwargs)
        return headers

    @contextlib.contextmanager
    def restored(self, kwargs: dict) -> Iterator[None]:
        owner = queues.task_shard(self.name, kwargs)
        shard = self._header(SHARD_HEADER)
        shard = owner if shard is None else int(shard)
        if shard != owner:
            raise WrongPool(f"header says shard {shard} but the work is for shard {owner}")
        pinned = pool_shard()
        if pinned is not None and pinned != shard:
            raise WrongPool(f"a task of shard {shard} reached the pool of shard {pinned}")
        with super().restored(kwargs), context.on_shard(shard):
            yield


def check_pool_queues(consumed: set[str]) -> None:
    """A pool pinned to shard k consumes exactly shard k's queue; a global worker no shard's.

    Called when a worker starts: a pool wired to the wrong queue would apply events to the wrong
    shard's database, so it refuses to start instead.
    """
    shard = pool_shard()
    if shard is not None:
        expected = {queues.broker_name(queues.shard_queue_name(shard))}
        if consumed != expected:
            raise WrongPool(f"SHARD_POOL={shard} must consume {expected.pop()}, not {consumed}")
        return
    prefix = queues.broker_name("shard.")
    strays = sorted(q for q in consumed if q.startswith(prefix))
    if strays:
        raise WrongPool(f"a worker without SHARD_POOL consumes shard queues {strays}")


def shard_task(*args: Any, **options: Any) -> Any:
    """``@shard_task`` declares a task routed to a shard's pool by its ``player_id=`` keyword
    (the player's shard) or its ``shard=`` keyword (work for the whole shard)."""
    return shared_task(*args, base=ShardTask, **options)


def global_task(*args: Any, **options: Any) -> Any:
    """``@global_task`` declares a task for the global workers."""
    return shared_task(*args, base=PlatformTask, **options)
