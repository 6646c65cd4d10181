"""Push a message to a player's open sockets, after the transaction that caused it commits."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from apps.realtime.groups import player_group

EVENT_TYPE = "player.event"


def send_now(*, brand_id: int, player_id: int, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(
        player_group(brand_id=brand_id, player_id=player_id),
        {"type": EVENT_TYPE, "message": message},
    )


def player_notify(*, using: str, brand_id: int, player_id: int, message: dict[str, Any]) -> None:
    """Deliver ``message`` to the player's sockets once the transaction on ``using`` commits
    (immediately when no transaction is open); nothing is sent if it rolls back."""
    transaction.on_commit(
        lambda: send_now(brand_id=brand_id, player_id=player_id, message=message), using=using
    )
