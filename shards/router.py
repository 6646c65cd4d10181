"""The database router: every model goes to its declared home, and nowhere else.

Global and brand models use the ``default`` database (django-tenants picks the schema); shard
models use the shard of the instance they came from, or the shard set with ``on_shard``, and
raise ShardNotSelected otherwise. Migrations create each table only in its home.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connections, models
from django_tenants.utils import get_public_schema_name

from shards import context
from shards import map as shard_map
from shards.homes import Home, ShardNotSelected, app_homes, home_of


class HomeRouter:
    """Listed before django-tenants' TenantSyncRouter, which decides public vs brand schema."""

    def _route(self, model: type[models.Model], **hints: Any) -> str:
        if home_of(model) != Home.SHARD:
            return shard_map.GLOBAL_ALIAS
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        shard = context.current()
        if shard is None:
            raise ShardNotSelected(
                f"{model._meta.label} lives on a shard: use .for_entity(id), .on_shard(k) "
                "or shards.context.on_shard(k)"
            )
        return shard_map.alias(shard)

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str:
        return self._route(model, **hints)

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str:
        return self._route(model, **hints)

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool:
        return obj1._state.db == obj2._state.db

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        if model_name is not None:
            homes = {home_of(apps.get_model(app_label, model_name))}
        elif "home" in hints:
            homes = {Home(hints["home"])}
        else:
            homes = app_homes(app_label)
        if shard_map.is_shard_alias(db):
            return Home.SHARD in homes
        if homes == {Home.SHARD}:
            return False
        if homes == {Home.BRAND} and connections[db].schema_name == get_public_schema_name():
            return False
        return None  # the global database: public or brand schema, as TenantSyncRouter says
