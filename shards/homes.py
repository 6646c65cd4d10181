"""Data homes: every model declares where its rows live, and the code enforces it.

* GLOBAL: the global database's public schema (brands, directory, catalog, aggregates).
* BRAND: a brand's own schema in the global database (what one brand configures).
* SHARD: one of the shard databases (everything that moves a player's money).

Our models inherit ``GlobalModel``, ``BrandModel`` or ``ShardModel``; Django's and third-party
apps get their home from ``settings.DATA_HOMES`` (app label -> home). A model with neither is a
defect: ``home_of`` raises, and a test walks every installed model.
"""

from __future__ import annotations

import enum

from django.apps import apps
from django.conf import settings
from django.db import models


class Home(enum.StrEnum):
    GLOBAL = "global"
    BRAND = "brand"
    SHARD = "shard"


class NoHome(LookupError):
    """A model without a declared home."""


class WrongHome(RuntimeError):
    """A model was used on a database that is not its home."""


class ShardNotSelected(WrongHome):
    """A shard model was queried without saying which shard."""


def home_of(model: type[models.Model]) -> Home:
    declared = getattr(model, "data_home", None)
    if declared is not None:
        return Home(declared)
    by_app = getattr(settings, "DATA_HOMES", {})
    label = model._meta.app_label
    if label in by_app:
        return Home(by_app[label])
    raise NoHome(f"{model._meta.label} declares no data home")


def app_homes(app_label: str) -> set[Home]:
    """Homes of the models an app defines (for migrations that touch no model)."""
    homes = {home_of(m) for m in apps.get_app_config(app_label).get_models()}
    if not homes and app_label in getattr(settings, "DATA_HOMES", {}):
        homes.add(Home(settings.DATA_HOMES[app_label]))
    return homes
