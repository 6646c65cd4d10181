"""Posting to one shard's ledger: the hot path, in raw SQL inside one transaction.

Locks are taken in ascending account id order (no deadlocks between postings); the database's
CHECK constraint refuses a negative player balance and its unique index refuses a second use of an
idempotency key. Account ids are cached per process once the transaction that created them has
committed.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, transaction
from django.db.backends.utils import CursorWrapper

from apps.players.models import Player
from apps.wallet.errors import IdempotencyKeyReused, UnknownPlayer
from betting.ttl_cache import TtlCache

HOUSE_STRIPES = 16
_INSERT_TRANSFERS = (
    "INSERT INTO wallet_transfer (operation_id, debit_account_id, credit_account_id, amount, "
    "currency, debit_balance_after, credit_balance_after, created_at) VALUES "
)
PLAYER_KINDS = ("cash", "bonus", "reserved")


@dataclass(frozen=True)
class PlayerAccounts:
    brand_id: int
    cash: int
    bonus: int
    reserved: int

    def of(self, kind: str) -> int:
        return getattr(self, kind)


@dataclass(frozen=True)
class Move:
    """``amount`` from account ``debit`` to account ``credit``."""

    debit: int
    credit: int
    amount: int


@dataclass(frozen=True)
class Claimed:
    operation_id: int
    replayed: bool
    reservation_id: int | None = None


# Account ids never change: kept for the life of the process, once committed.
_player_accounts: TtlCache[PlayerAccounts] = TtlCache("player accounts", ttl_s=None)
_house_accounts: TtlCache[int] = TtlCache("house accounts", ttl_s=None)


def fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _remember(using: str, cache: TtlCache, key: tuple, value: Any) -> None:
    """Cache ids only once they are committed (a rolled-back creation must not be cached)."""
    transaction.on_commit(lambda: cache.put(key, value), using=using)


def forget_cached_accounts() -> None:
    _player_accounts.clear()
    _house_accounts.clear()


def _load_player_accounts(cursor: CursorWrapper, player_id: int, currency: str):
    cursor.execute(
        "SELECT kind, id, brand_id FROM wallet_account WHERE player_id = %s AND currency = %s",
        [player_id, currency],
    )
    ids: dict[str, int] = {}
    brands: dict[str, int] = {}
    for kind, account_id, brand_id in cursor.fetchall():
        ids[kind], brands[kind] = account_id, brand_id
    if set(ids) != set(PLAYER_KINDS):
        return None
    return PlayerAccounts(brand_id=brands["cash"], **ids)


def player_accounts(
    cursor: CursorWrapper, using: str, *, brand_id: int, player_id: int, currency: str
) -> PlayerAccounts:
    """The player's cash, bonus and reserved accounts in ``currency``, created on first use."""
    key = (using, player_id, currency)
    cached = _player_accounts.get(key)
    found = cached or _load_player_accounts(cursor, player_id, currency)
    if found is None:
        owner = (
            Player.objects.using(using)
            .filter(pk=player_id)
            .values_list("brand_id", flat=True)
            .first()
        )
        if owner != brand_id:
            raise UnknownPlayer(f"no player {player_id} in this brand")
        cursor.execute(
            "INSERT INTO wallet_account (brand_id, player_id, kind, product, stripe, currency, "
            "balance) SELECT %s, %s, kind, '', 0, %s, 0 FROM unnest(%s::text[]) AS kind "
            "ON CONFLICT DO NOTHING",
            [brand_id, player_id, currency, list(PLAYER_KINDS)],
        )
        found = _load_player_accounts(cursor, player_id, currency)
        assert found is not None
    if found.brand_id != brand_id:
        raise UnknownPlayer(f"no player {player_id} in this brand")
    if cached is None:
        _remember(using, _player_accounts, key, found)
    return found


def players_accounts(
    cursor: CursorWrapper, using: str, *, player_ids: list[int], currency: str
) -> dict[int, PlayerAccounts]:
    """Many players' accounts in one query (those that have them all)."""
    found: dict[int, PlayerAccounts] = {}
    missing = []
    for player_id in player_ids:
        cached = _player_accounts.get((using, player_id, currency))
        if cached is not None:
            found[player_id] = cached
        else:
            missing.append(player_id)
    if missing:
        cursor.execute(
            "SELECT player_id, kind, id, brand_id FROM wallet_account "
            "WHERE player_id = ANY(%s) AND currency = %s",
            [missing, currency],
        )
        ids: dict[int, dict[str, int]] = {}
        brands: dict[int, int] = {}
        for player_id, kind, account_id, brand_id in cursor.fetchall():
            ids.setdefault(player_id, {})[kind] = account_id
            if kind == "cash":
                brands[player_id] = brand_id
        for player_id, kinds in ids.items():
            if set(kinds) == set(PLAYER_KINDS):
                found[player_id] = PlayerAccounts(brand_id=brands[player_id], **kinds)
    return found


def house_account(
    cursor: CursorWrapper,
    using: str,
    *,
    brand_id: int,
    currency: str,
    product: str,
    player_id: int,
    bulk: bool = False,
) -> int:
    """The house account of a brand's product, striped so that players do not queue on one row.

    ``bulk`` postings (a market's settlement paying thousands of players in one transaction) go
    through a second set of stripes, ``HOUSE_STRIPES`` to ``2 * HOUSE_STRIPES - 1``: a
    settlement holds its stripes until it commits, and on the same rows every bet placed on the
    shard meanwhile (its stake credits the house) would wait for it. The house's balance is the
    sum of all its stripes, as before."""
    stripe = (HOUSE_STRIPES if bulk else 0) + player_id % HOUSE_STRIPES
    key = (using, brand_id, currency, product, stripe)
    account_id = _house_accounts.get(key)
    if account_id is not None:
        return account_id
    cursor.execute(
        "INSERT INTO wallet_account (brand_id, player_id, kind, product, stripe, currency, "
        "balance) VALUES (%s, NULL, 'house', %s, %s, %s, 0) ON CONFLICT DO NOTHING",
        [brand_id, product, stripe, currency],
    )
    cursor.execute(
        "SELECT id FROM wallet_account WHERE kind = 'house' AND brand_id = %s AND currency = %s "
        "AND product = %s AND stripe = %s",
        [brand_id, currency, product, stripe],
    )
    account_id = cursor.fetchone()[0]
    _remember(using, _house_accounts, key, account_id)
    return account_id


def claim(
    cursor: CursorWrapper,
    *,
    brand_id: int,
    player_id: int,
    kind: str,
    key: str,
    request_print: str,
    currency: str,
    amount: int,
    product: str = "",
    reservation_id: int | None = None,
    details: dict | None = None,
) -> Claimed:
    """Record the operation under its idempotency key, or find the one recorded before."""
    cursor.execute(
        "INSERT INTO wallet_operation (brand_id, player_id, kind, idempotency_key, fingerprint, "
        "currency, amount, product, reservation_id, details) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (brand_id, idempotency_key) DO NOTHING RETURNING id",
        [
            brand_id,
            player_id,
            kind,
            key,
            request_print,
            currency,
            amount,
            product,
            reservation_id,
            json.dumps(details or {}),
        ],
    )
    row = cursor.fetchone()
    if row is not None:
        return Claimed(operation_id=row[0], replayed=False, reservation_id=reservation_id)
    cursor.execute(
        "SELECT id, fingerprint, reservation_id FROM wallet_operation "
        "WHERE brand_id = %s AND idempotency_key = %s",
        [brand_id, key],
    )
    operation_id, recorded, recorded_reservation = cursor.fetchone()
    if recorded != request_print:
        raise IdempotencyKeyReused(f"idempotency key {key!r} was used with other data")
    return Claimed(operation_id=operation_id, replayed=True, reservation_id=recorded_reservation)


def post(cursor: CursorWrapper, *, operation_id: int, currency: str, moves: list[Move]) -> None:
    """Apply ``moves``: balances first (in account id order), then the immutable transfers."""
    if not moves:
        raise ValueError("a posting needs at least one transfer")
    deltas: dict[int, int] = defaultdict(int)
    for move in moves:
        deltas[move.debit] -= move.amount
        deltas[move.credit] += move.amount
    final: dict[int, int] = {}
    for account_id in sorted(deltas):
        cursor.execute(
            "UPDATE wallet_account SET balance = balance + %s WHERE id = %s RETURNING balance",
            [deltas[account_id], account_id],
        )
        row = cursor.fetchone()
        if row is None:
            forget_cached_accounts()
            raise LookupError(f"wallet account {account_id} vanished")
        final[account_id] = row[0]
    running = {account_id: final[account_id] - deltas[account_id] for account_id in deltas}
    rows: list[Any] = []
    for move in moves:
        running[move.debit] -= move.amount
        running[move.credit] += move.amount
        rows += [
            operation_id,
            move.debit,
            move.credit,
            move.amount,
            currency,
            running[move.debit],
            running[move.credit],
        ]
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, now())"] * len(moves))
    cursor.execute(
        _INSERT_TRANSFERS + placeholders,  # only placeholders are added; values are parameters
        rows,
    )


def balances(cursor: CursorWrapper, *, player_id: int, currency: str) -> dict[str, int]:
    cursor.execute(
        "SELECT kind, balance FROM wallet_account WHERE player_id = %s AND currency = %s",
        [player_id, currency],
    )
    found = dict(cursor.fetchall())
    return {kind: found.get(kind, 0) for kind in PLAYER_KINDS}


@dataclass(frozen=True)
class Posted:
    operation_id: int
    replayed: bool
    balances: dict[str, int]


def post_once(
    cursor: CursorWrapper,
    *,
    brand_id: int,
    player_id: int,
    kind: str,
    key: str,
    request_print: str,
    currency: str,
    amount: int,
    product: str,
    details: dict | None,
    moves: list[Move],
    accounts: PlayerAccounts,
) -> Posted:
    """Claim the key and post ``moves`` in one statement (``wallet_post``); the player's balances.

    A reused key with other data raises IdempotencyKeyReused; a negative player balance raises
    the database's IntegrityError, as the multi-statement path does.
    """
    if not moves:
        raise ValueError("a posting needs at least one transfer")
    try:
        cursor.execute(
            "SELECT out_operation, out_replayed, out_balances FROM wallet_post("
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                brand_id,
                player_id,
                kind,
                key,
                request_print,
                currency,
                amount,
                product,
                json.dumps(details or {}),
                [m.debit for m in moves],
                [m.credit for m in moves],
                [m.amount for m in moves],
                [accounts.of(k) for k in PLAYER_KINDS],
            ],
        )
    except DatabaseError as exc:
        sqlstate = getattr(exc.__cause__, "sqlstate", None)
        if sqlstate == "WK001":
            raise IdempotencyKeyReused(
                f"idempotency key {key!r} was used with other data"
            ) from None
        if sqlstate == "WK002":
            forget_cached_accounts()
        raise
    operation_id, replayed, balances = cursor.fetchone()
    return Posted(operation_id, replayed, dict(zip(PLAYER_KINDS, balances, strict=True)))
