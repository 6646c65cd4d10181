"""Helpers for the wallet tests: a funded player, ledger totals, the books check."""

from __future__ import annotations

import itertools

from django.core.management import call_command
from django.db import connections, transaction

from apps.players.services import player_register
from apps.wallet import api
from apps.wallet.models import Operation, Transfer
from shards import map as shard_map

_names = itertools.count()


def new_player(brand, *, funds: int = 0):
    player = player_register(
        brand=brand,
        username=f"w{next(_names)}x",
        email="w@example.com",
        password="a long passphrase",
    )
    if funds:
        api.wallet_credit(
            brand_id=brand.id,
            player_id=player.id,
            currency=brand.currency,
            amount=funds,
            product="payments",
            idempotency_key=f"fund:{player.id}",
        )
    return player


def history_counts():
    return (
        sum(Operation.objects.using(a).count() for a in shard_map.aliases()),
        sum(Transfer.objects.using(a).count() for a in shard_map.aliases()),
    )


def books_balance() -> None:
    call_command("ledger_check")


def stake_without_waiting(brand, player, amount: int, key: str) -> None:
    """Debit a stake from the player as a bet does, refused (LockNotAvailable) if any row it
    needs is held by another transaction for more than 2 s."""
    using = shard_map.alias_for(player.id)
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
        api.wallet_debit(
            brand_id=brand.id,
            player_id=player.id,
            currency=brand.currency,
            amount=amount,
            product="sportsbook",
            idempotency_key=key,
        )
