"""A brand's risk groups: named, with a stake factor and a maximum stake, edited in the global
tier and carried to their members' rows on the shards (``PlayerRisk``), which placement reads.

A change is one outbox event (``bets.risk_group``) written in the change's transaction, with the
group's whole state: each shard applies it once, setting the figures on the rows of the brand's
players in that group. A deleted group's members go back to the standard figures (factor 1, no
maximum of a group's)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from apps.bets.models import PlayerRisk, RiskGroup
from apps.outbox.services import OutboxEvent, handles, outbox_emit
from apps.players.models import Player
from shards.map import GLOBAL_ALIAS

TOPIC = "bets.risk_group"
AUDIENCE = "shards"
STANDARD = "standard"


def _announce(*, brand_id: int, name: str, stake_factor: Decimal, max_stake: int | None) -> None:
    outbox_emit(
        using=GLOBAL_ALIAS,
        topic=TOPIC,
        audience=AUDIENCE,
        brand_id=brand_id,
        payload={
            "brand_id": brand_id,
            "name": name,
            "stake_factor": str(stake_factor),
            "max_stake": max_stake,
        },
    )


def risk_group_save(*, group: RiskGroup) -> RiskGroup:
    """Create or change the group; its members' rows follow on every shard."""
    with transaction.atomic(using=GLOBAL_ALIAS):
        group.save(using=GLOBAL_ALIAS)
        _announce(
            brand_id=group.brand_id,
            name=group.name,
            stake_factor=group.stake_factor,
            max_stake=group.max_stake,
        )
    return group


def risk_group_delete(*, group: RiskGroup) -> None:
    """Remove the group; its members get the standard figures back."""
    with transaction.atomic(using=GLOBAL_ALIAS):
        group.delete(using=GLOBAL_ALIAS)
        _announce(brand_id=group.brand_id, name=group.name, stake_factor=Decimal(1), max_stake=None)


@handles(TOPIC, tier="shard")
def apply_risk_group(event: OutboxEvent, using: str) -> None:
    payload = event.payload
    brands_players = Player.objects.using(using).filter(brand_id=payload["brand_id"]).values("id")
    PlayerRisk.objects.using(using).filter(
        group=payload["name"], player_id__in=brands_players
    ).update(stake_factor=Decimal(payload["stake_factor"]), max_stake=payload["max_stake"])
