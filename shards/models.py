"""Abstract bases that give each model its home and refuse the wrong database."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from django.db import models

from shards import context, ids
from shards import map as shard_map
from shards.homes import Home, ShardNotSelected, WrongHome


def check_database(model: type[models.Model], db: str) -> None:
    """Raise WrongHome unless ``db`` is a database where ``model`` lives."""
    home = getattr(model, "data_home", None)
    if home is None:
        return
    if home == Home.SHARD:
        if not shard_map.is_shard_alias(db):
            raise WrongHome(f"{model._meta.label} lives on a shard, not on {db!r}")
        shard_map.number_of(db)
    elif db != shard_map.GLOBAL_ALIAS:
        raise WrongHome(f"{model._meta.label} lives in the global database, not on {db!r}")


class HomeQuerySet(models.QuerySet):
    def using(self, alias: str | None) -> Self:
        if alias is not None:
            check_database(self.model, alias)
        return super().using(alias)


class ShardQuerySet(HomeQuerySet):
    def on_shard(self, shard: int) -> Self:
        return self.using(shard_map.alias(shard))

    def for_entity(self, entity_id: int) -> Self:
        """Rows on the shard that ``entity_id`` (a player id, usually) encodes."""
        return self.using(shard_map.alias_for(entity_id))


class GlobalModel(models.Model):
    """A row in the global database's public schema."""

    data_home: ClassVar[Home] = Home.GLOBAL
    objects = HomeQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, using: str | None = None, **kwargs: Any) -> None:
        if using is not None:
            check_database(type(self), using)
        super().save(*args, using=using, **kwargs)


class BrandModel(GlobalModel):
    """A row in one brand's schema of the global database (the schema in use decides which)."""

    data_home: ClassVar[Home] = Home.BRAND

    class Meta:
        abstract = True


class ShardModel(models.Model):
    """A row on one shard database.

    ``shard_key`` names the field holding a platform id (the player's, usually) that decides the
    shard; saving such a row on another shard raises WrongHome.
    """

    data_home: ClassVar[Home] = Home.SHARD
    shard_key: ClassVar[str | None] = None
    objects = ShardQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, using: str | None = None, **kwargs: Any) -> None:
        db = using or self._state.db or self._natural_database()
        check_database(type(self), db)
        owner = self.shard_number()
        if owner is not None and owner != shard_map.number_of(db):
            raise WrongHome(f"{self._meta.label} of shard {owner} cannot be written to {db!r}")
        super().save(*args, using=db, **kwargs)

    def shard_number(self) -> int | None:
        if self.shard_key is None:
            return None
        value = getattr(self, self.shard_key)
        if value is None or not isinstance(value, int):
            return None
        return ids.shard_of(value)

    def _natural_database(self) -> str:
        owner = self.shard_number()
        if owner is not None:
            return shard_map.alias(owner)
        shard = context.current()
        if shard is None:
            raise ShardNotSelected(f"{self._meta.label} saved without a shard")
        return shard_map.alias(shard)
