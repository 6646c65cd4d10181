"""Helpers for feed tests: events in the catalog, UOF messages, replication run in-process."""

from __future__ import annotations

import datetime
import threading
from pathlib import Path

from apps.catalog.fixtures import FixtureData, event_from_fixture
from apps.outbox.events import Event as OutboxEvent
from apps.outbox.models import GlobalOutbox
from apps.outbox.services import event_apply_once
from apps.providers.models import Provider
from apps.providers.uof.adapter import UofAdapter
from shards import map as shard_map

FIXTURES = Path(__file__).parent / "fixtures" / "uof"
SPORTS = {
    "sr:sport:1": "Football",
    "sr:sport:5": "Tennis",
    "sr:sport:2": "Basketball",
}


def sample(name: str) -> bytes:
    return (FIXTURES / f"{name}.xml").read_bytes()


def make_event(urn: str, sport: str = "sr:sport:1", *, home: str = "Home", away: str = "Away"):
    number = urn.rsplit(":", 1)[-1]
    return event_from_fixture(
        FixtureData(
            urn=urn,
            provider="uof",
            sport_urn=sport,
            sport_name=SPORTS.get(sport, sport),
            category_urn=f"sr:category:{number}",
            category_name="Category",
            tournament_urn=f"sr:tournament:{number}",
            tournament_name="Tournament",
            home_name=home,
            away_name=away,
            start_time=datetime.datetime(2026, 11, 27, 15, tzinfo=datetime.UTC),
        )
    )


def provider(**fields) -> Provider:
    values = {"kind": "uof", "exchange": "unifiedfeed", **fields}
    row, _ = Provider.objects.update_or_create(name=fields.pop("name", "uof"), defaults=values)
    return row


def adapter(row: Provider | None = None, **tuning) -> UofAdapter:
    return UofAdapter(
        row or provider(),
        broker_url="memory://",
        stop=threading.Event(),
        push_interval=tuning.pop("push_interval", 0.05),
        **tuning,
    )


def odds_change(
    event: str, ts: int, markets: str = "", *, product: int = 1, status: str = "", extra: str = ""
) -> bytes:
    return (
        f'<odds_change product="{product}" event_id="{event}" timestamp="{ts}" {extra}>'
        f"{status}<odds>{markets}</odds></odds_change>"
    ).encode()


def market(
    market_id: int, outcomes: dict[str, str], *, status: int = 1, specifiers: str = ""
) -> str:
    spec = f' specifiers="{specifiers}"' if specifiers else ""
    inner = "".join(f'<outcome id="{o}" odds="{p}" active="1"/>' for o, p in outcomes.items())
    return f'<market id="{market_id}" status="{status}"{spec}>{inner}</market>'


def replicate() -> int:
    """Apply every pending global outbox event on every shard, as the shard pools would; the
    number of events. (The real relay and workers are exercised by the process tests.)"""
    rows = list(GlobalOutbox.objects.order_by("id"))
    for row in rows:
        event = OutboxEvent(
            event_id=row.event_id,
            topic=row.topic,
            audience=row.audience,
            brand_id=row.brand_id,
            origin="global",
            payload=row.payload,
        )
        for alias in shard_map.aliases():
            event_apply_once(event=event, using=alias)
    GlobalOutbox.objects.filter(id__in=[r.id for r in rows]).delete()
    return len(rows)
