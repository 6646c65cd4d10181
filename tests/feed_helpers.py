"""Helpers for feed tests: events in the catalog, UOF messages, replication run in-process."""

from __future__ import annotations

import datetime
import threading
from pathlib import Path

from apps.catalog.fixtures import FixtureData, event_from_fixture
from apps.outbox.models import GlobalOutbox
from apps.outbox.services import OutboxEvent, event_apply_once
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


def make_event(
    urn: str,
    sport: str = "sr:sport:1",
    *,
    home: str = "Home",
    away: str = "Away",
    provider: str = "uof",
):
    number = urn.rsplit(":", 1)[-1]
    return event_from_fixture(
        FixtureData(
            urn=urn,
            provider=provider,
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


def routing_key(body: bytes) -> str:
    """The UOF routing key a provider would publish ``body`` with."""
    from apps.providers.uof import messages as uof
    from apps.providers.uof.routing import RoutingKey

    message = uof.parse(body)
    kind = body.split(b" ", 1)[0].lstrip(b"<").decode()
    if not isinstance(message, uof.EventMessage):
        return RoutingKey(None, False, False, kind, None, None, None).render()
    live = message.product == 1
    return RoutingKey(
        "lo" if kind.startswith(("bet_settlement", "rollback")) else "hi",
        not live,
        live,
        kind,
        1,
        message.event_id,
        None,
    ).render()


def publish(provider_row, bodies: list[bytes], *, declare_queue: bool = True) -> None:
    """Publish raw UOF messages to the provider's exchange, as the provider would."""
    from django.conf import settings
    from kombu import Connection, Producer

    from apps.providers.uof.adapter import feed_queue
    from shards import queues

    with Connection(settings.BROKER_URL) as conn:
        channel = conn.channel()
        if declare_queue:
            feed_queue(provider_row)(channel).declare()
        exchange = queues.feed_exchange(provider_row.exchange)
        producer = Producer(channel, exchange=exchange)
        for body in bodies:
            producer.publish(
                body,
                routing_key=routing_key(body),
                content_type="application/xml",
                content_encoding="binary",
                delivery_mode=2,
            )


def queue_depth(provider_row) -> int:
    from amqp.exceptions import ChannelError
    from django.conf import settings
    from kombu import Connection

    from apps.providers.uof.adapter import feed_queue

    with Connection(settings.BROKER_URL) as conn:
        channel = conn.channel()
        queue = feed_queue(provider_row)(channel)
        try:
            return queue.queue_declare(passive=True).message_count
        except ChannelError:
            if conn.transport_cls in ("amqp", "pyamqp") or settings.BROKER_IS_AMQP:
                raise
            return 0  # Redis keeps no empty list: an empty queue looks absent


def delete_queue(provider_row) -> None:
    from django.conf import settings
    from kombu import Connection

    from apps.providers.uof.adapter import feed_queue

    with Connection(settings.BROKER_URL) as conn:
        feed_queue(provider_row)(conn.channel()).delete()
