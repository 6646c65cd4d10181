"""The trading desk's actions on the catalog, and changes to brands' offerings: each audited.

A suspension takes effect everywhere a bet could be taken: the catalog row, every shard's replica
(through the outbox, in the same transaction), the odds cache and the open event pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from apps.catalog import snapshot
from apps.catalog.models import CatalogAudit, Event, Market, OfferingRule
from apps.catalog.store import next_version, replicate_desk
from apps.realtime.odds import publish_refresh
from shards.map import GLOBAL_ALIAS


def refresh_pages(event_ids: Iterable[int]) -> None:
    """Tell the open pages of these events to re-read them (after commit)."""
    publish_refresh(event_ids)


def suspend(
    *, actor: str, suspended: bool, events: Iterable[Event] = (), markets: Iterable[Market] = ()
) -> int:
    """Suspend (or reopen) events and market lines for every brand; the number changed."""
    with transaction.atomic(using=GLOBAL_ALIAS):
        # The rows as they are now (locked), not as the caller last saw them.
        events = list(
            Event.objects.select_for_update()
            .filter(pk__in=[e.pk for e in events])
            .exclude(suspended=suspended)
        )
        markets = list(
            Market.objects.select_for_update(of=("self",))
            .select_related("event")
            .filter(pk__in=[m.pk for m in markets])
            .exclude(suspended=suspended)
        )
        if not events and not markets:
            return 0
        version = next_version()  # after the locks: a later action has a larger version
        Event.objects.filter(pk__in=[e.pk for e in events]).update(suspended=suspended)
        Market.objects.filter(pk__in=[m.pk for m in markets]).update(suspended=suspended)
        replicate_desk(
            event_ids=[e.pk for e in events],
            market_ids=[m.pk for m in markets],
            suspended=suspended,
            version=version,
        )
        action = "suspend" if suspended else "unsuspend"
        CatalogAudit.objects.bulk_create(
            [
                CatalogAudit(
                    actor=actor,
                    action=f"{action} event",
                    target=f"{e.urn} {e}",
                    before={"suspended": not suspended},
                    after={"suspended": suspended},
                )
                for e in events
            ]
            + [
                CatalogAudit(
                    actor=actor,
                    action=f"{action} market",
                    target=f"{m.event.urn} market {m.market_id} {m.specifiers}".strip(),
                    before={"suspended": not suspended},
                    after={"suspended": suspended},
                )
                for m in markets
            ]
        )
    touched = {e.pk: e for e in events}
    for m in markets:
        touched.setdefault(m.event_id, m.event)
    for event in touched.values():
        event.refresh_from_db(fields=["suspended"])
        snapshot.write_desk(event)
    refresh_pages(touched)
    return len(events) + len(markets)


def rule_to_dict(rule: OfferingRule | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {
        "brand_id": rule.brand_id,
        "level": rule.level,
        "target": rule.target,
        "market_id": rule.market_id,
        "specifiers": rule.specifiers,
        "outcome_id": rule.outcome_id,
        "action": rule.action,
        "odds": str(rule.odds) if rule.odds is not None else None,
        "note": rule.note,
    }


def audit_offering(
    *, actor: str, brand_id: int | None, action: str, target: str, before: Any, after: Any
) -> None:
    CatalogAudit.objects.create(
        actor=actor, brand_id=brand_id, action=action, target=target, before=before, after=after
    )
    # Pages of an event the rule names re-read it; wider rules reach pages within the offer
    # cache's few seconds.
    for item in (before, after):
        if isinstance(item, dict) and str(item.get("target", "")).startswith("sr:match:"):
            ids = Event.objects.filter(urn=item["target"]).values_list("id", flat=True)
            transaction.on_commit(lambda ids=list(ids): refresh_pages(ids), using=GLOBAL_ALIAS)
