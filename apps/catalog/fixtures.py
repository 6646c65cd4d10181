"""Events entering the catalog: from a provider's fixture, with their sport and tournament."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction

from apps.catalog.models import Category, Event, Sport, Tournament
from apps.catalog.store import replicate_event
from shards.map import GLOBAL_ALIAS


@dataclass(frozen=True)
class FixtureData:
    """An event as a provider describes it (a UOF fixture document, say): what the catalog needs
    to create it with its sport, category and tournament."""

    urn: str  # the event, "sr:match:1234"
    provider: str  # the provider's name in the provider manager
    sport_urn: str  # "sr:sport:1"
    sport_name: str
    category_urn: str
    category_name: str
    tournament_urn: str
    tournament_name: str
    home_name: str
    away_name: str
    start_time: datetime.datetime | None  # aware
    home_urn: str | None = None  # "sr:competitor:1"
    away_urn: str | None = None


def event_from_fixture(data: FixtureData) -> Event:
    """The catalog event for ``data``: created (and replicated to the shards) if new."""
    existing = Event.objects.filter(urn=data.urn).first()
    if existing is not None:
        return existing
    with transaction.atomic(using=GLOBAL_ALIAS):
        sport, _ = Sport.objects.get_or_create(
            urn=data.sport_urn, defaults={"name": data.sport_name}
        )
        category, _ = Category.objects.get_or_create(
            urn=data.category_urn, defaults={"sport": sport, "name": data.category_name}
        )
        tournament, _ = Tournament.objects.get_or_create(
            urn=data.tournament_urn,
            defaults={"sport": sport, "category": category, "name": data.tournament_name},
        )
        event, created = Event.objects.get_or_create(
            urn=data.urn,
            defaults={
                "provider": data.provider,
                "sport": sport,
                "tournament": tournament,
                "home_name": data.home_name,
                "away_name": data.away_name,
                "start_time": data.start_time,
            },
        )
        if created:
            replicate_event(event)
    return event
