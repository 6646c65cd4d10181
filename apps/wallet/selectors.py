"""Read-only queries on the ledger: a player's balance and history, a player's ledger for staff,
and the house accounts' balances.

Every query about a player runs on the player's shard and filters by brand *and* player, so a
request can never read another player's (or another brand's) rows, whatever id it passes.
Histories are keyset-paginated on the operation id (ids are time-ordered), newest first.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connections

from apps.wallet.results import Balance
from shards import ids
from shards import map as shard_map

DEFAULT_PAGE = 20
MAX_PAGE = 100
_NO_CURSOR = (1 << 63) - 1  # above every id: the first page
_CURSOR_RE = re.compile(r"^[0-9]{1,19}$")


class InvalidCursor(ValueError):
    """A ``before`` cursor that is not an operation id."""


def parse_cursor(value: str | None) -> int | None:
    """The operation id a ``before`` parameter names, None for the first page, or InvalidCursor."""
    if value is None or value == "":
        return None
    if not _CURSOR_RE.match(value):
        raise InvalidCursor("before must be an operation id")
    try:
        return ids.parse(value)
    except ids.InvalidId:
        raise InvalidCursor("before must be an operation id") from None


@dataclass(frozen=True)
class HistoryItem:
    """One operation as the player sees it.

    ``amount`` is the signed change of the player's cash (a debit or a reserve is negative, a
    credit, a void or an adjustment in the player's favour positive), so that each item's
    ``cash_after`` is the previous one's plus its amount. ``changes`` has the signed change of
    each of the player's accounts; ``operation_amount`` is the amount the operation was asked for
    (for a commit, the part of the reservation the house took).
    """

    id: int
    kind: str
    amount: int
    currency: str
    product: str
    created_at: dt.datetime
    cash_after: int | None
    changes: dict[str, int]
    operation_amount: int
    reservation_id: int | None
    idempotency_key: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    items: list[HistoryItem]
    next: int | None  # the ``before`` cursor of the next (older) page, or None at the end


# One statement per page. For each operation of the page: the signed change of each of the
# player's accounts (from its transfers) and the player's cash balance after it: the balance
# recorded on the latest transfer touching the cash account up to this operation's last transfer
# (an account's transfers are locked in, and numbered, in the order they apply). That is the
# operation's own figure when it moved cash, and the one before it when it did not (a commit of a
# whole reservation moves only reserved money). Both index lookups use the transfer indexes on
# (debit_account, id) and (credit_account, id).
_HISTORY_TEMPLATE = """
WITH page AS (
    SELECT id, kind, amount, currency, product, reservation_id, idempotency_key, details,
           created_at
    FROM wallet_operation
    WHERE brand_id = %(brand)s AND player_id = %(player)s AND id < %(before)s{where}
    ORDER BY id DESC
    LIMIT %(limit)s
), mine AS (
    SELECT id, kind, currency FROM wallet_account
    WHERE brand_id = %(brand)s AND player_id = %(player)s
)
SELECT p.id, p.kind, p.amount, p.currency, COALESCE(NULLIF(p.product, ''), r.product, ''),
       p.reservation_id, p.idempotency_key, p.details, p.created_at,
       m.cash, m.bonus, m.reserved, after.balance
FROM page p
LEFT JOIN wallet_reservation r
       ON r.id = p.reservation_id AND r.brand_id = %(brand)s AND r.player_id = %(player)s
LEFT JOIN mine cash ON cash.kind = 'cash' AND cash.currency = p.currency
LEFT JOIN LATERAL (
    SELECT max(t.id) AS last_transfer,
           (COALESCE(sum(t.amount) FILTER (WHERE c.kind = 'cash'), 0)
             - COALESCE(sum(t.amount) FILTER (WHERE d.kind = 'cash'), 0))::bigint AS cash,
           (COALESCE(sum(t.amount) FILTER (WHERE c.kind = 'bonus'), 0)
             - COALESCE(sum(t.amount) FILTER (WHERE d.kind = 'bonus'), 0))::bigint AS bonus,
           (COALESCE(sum(t.amount) FILTER (WHERE c.kind = 'reserved'), 0)
             - COALESCE(sum(t.amount) FILTER (WHERE d.kind = 'reserved'), 0))::bigint AS reserved
    FROM wallet_transfer t
    LEFT JOIN mine d ON d.id = t.debit_account_id
    LEFT JOIN mine c ON c.id = t.credit_account_id
    WHERE t.operation_id = p.id
) m ON true
LEFT JOIN LATERAL (
    SELECT x.balance FROM (
        (SELECT t.id, t.debit_balance_after AS balance FROM wallet_transfer t
         WHERE t.debit_account_id = cash.id AND t.id <= m.last_transfer
         ORDER BY t.id DESC LIMIT 1)
        UNION ALL
        (SELECT t.id, t.credit_balance_after AS balance FROM wallet_transfer t
         WHERE t.credit_account_id = cash.id AND t.id <= m.last_transfer
         ORDER BY t.id DESC LIMIT 1)
    ) x ORDER BY x.id DESC LIMIT 1
) after ON true
ORDER BY p.id DESC
"""
_HISTORY_SQL = _HISTORY_TEMPLATE.format(where="")
# The operations whose details contain %(details)s (what a product said they were for: a bet).
_HISTORY_FOR_SQL = _HISTORY_TEMPLATE.format(where=" AND details @> %(details)s::jsonb")


def _details(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def _history_item(
    op_id,
    kind,
    amount,
    currency,
    product,
    reservation_id,
    key,
    details,
    created_at,
    cash,
    bonus,
    reserved,
    cash_after,
) -> HistoryItem:
    return HistoryItem(
        id=op_id,
        kind=kind,
        amount=cash,
        currency=currency,
        product=product,
        created_at=created_at,
        cash_after=cash_after,
        changes={"cash": cash, "bonus": bonus, "reserved": reserved},
        operation_amount=amount,
        reservation_id=reservation_id,
        idempotency_key=key,
        details=_details(details),
    )


def player_history(
    *, brand_id: int, player_id: int, before: int | None = None, limit: int = DEFAULT_PAGE
) -> Page:
    """The player's operations, newest first, ``limit`` at a time, older than ``before``."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
    params = {
        "brand": brand_id,
        "player": player_id,
        "before": _NO_CURSOR if before is None else before,
        "limit": limit + 1,
    }
    with connections[shard_map.alias_for(player_id)].cursor() as cursor:
        cursor.execute(_HISTORY_SQL, params)
        rows = cursor.fetchall()
    items = [_history_item(*row) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(items=items, next=items[-1].id if more else None)


def player_operations_for(
    *, brand_id: int, player_id: int, details: dict[str, str], limit: int = MAX_PAGE
) -> list[HistoryItem]:
    """The player's operations whose details include ``details`` (for example the postings of
    one bet, ``{"bet": "123"}``), newest first, at most ``limit``."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
    params = {
        "brand": brand_id,
        "player": player_id,
        "before": _NO_CURSOR,
        "limit": limit,
        "details": json.dumps(details),
    }
    with connections[shard_map.alias_for(player_id)].cursor() as cursor:
        cursor.execute(_HISTORY_FOR_SQL, params)
        return [_history_item(*row) for row in cursor.fetchall()]


def player_balance(*, brand_id: int, player_id: int, currency: str) -> Balance:
    """The player's balances in ``currency`` (zero before the first operation)."""
    with connections[shard_map.alias_for(player_id)].cursor() as cursor:
        cursor.execute(
            "SELECT kind, balance FROM wallet_account "
            "WHERE brand_id = %s AND player_id = %s AND currency = %s",
            [brand_id, player_id, currency],
        )
        found = dict(cursor.fetchall())
    return Balance(
        currency=currency,
        cash=found.get("cash", 0),
        bonus=found.get("bonus", 0),
        reserved=found.get("reserved", 0),
    )


# Staff views ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRow:
    id: int
    kind: str
    product: str
    stripe: int
    currency: str
    balance: int
    player_id: int | None

    @property
    def label(self) -> str:
        if self.player_id is not None:
            return f"player {self.kind}"
        return f"house {self.product} #{self.stripe}"


@dataclass(frozen=True)
class TransferRow:
    id: int
    operation_id: int
    debit: AccountRow | None
    credit: AccountRow | None
    amount: int
    currency: str
    debit_balance_after: int
    credit_balance_after: int
    created_at: dt.datetime


@dataclass(frozen=True)
class LedgerPage:
    accounts: list[AccountRow]
    operations: list[tuple[HistoryItem, list[TransferRow]]]
    next: int | None


def ledger_page(
    *, brand_id: int, player_id: int, before: int | None = None, limit: int = DEFAULT_PAGE
) -> LedgerPage:
    """A player's accounts and a page of their operations with each operation's transfers (the
    house accounts on the other side included), for the backoffice."""
    history = player_history(brand_id=brand_id, player_id=player_id, before=before, limit=limit)
    with connections[shard_map.alias_for(player_id)].cursor() as cursor:
        cursor.execute(
            "SELECT id, kind, product, stripe, currency, balance, player_id FROM wallet_account "
            "WHERE brand_id = %s AND player_id = %s ORDER BY currency, kind",
            [brand_id, player_id],
        )
        accounts = [AccountRow(*row) for row in cursor.fetchall()]
        transfers: list[tuple] = []
        if history.items:
            cursor.execute(
                "SELECT id, operation_id, debit_account_id, credit_account_id, amount, currency, "
                "debit_balance_after, credit_balance_after, created_at FROM wallet_transfer "
                "WHERE operation_id = ANY(%s) ORDER BY id",
                [[item.id for item in history.items]],
            )
            transfers = cursor.fetchall()
        known = {account.id: account for account in accounts}
        others = sorted({a for _, _, debit, credit, *_ in transfers for a in (debit, credit)})
        others = [a for a in others if a not in known]
        if others:
            cursor.execute(
                "SELECT id, kind, product, stripe, currency, balance, player_id "
                "FROM wallet_account WHERE brand_id = %s AND id = ANY(%s)",
                [brand_id, others],
            )
            known.update((a.id, a) for a in (AccountRow(*row) for row in cursor.fetchall()))
    by_operation: dict[int, list[TransferRow]] = defaultdict(list)
    for t_id, op_id, debit, credit, amount, currency, debit_after, credit_after, at in transfers:
        row = TransferRow(
            id=t_id,
            operation_id=op_id,
            debit=known.get(debit),
            credit=known.get(credit),
            amount=amount,
            currency=currency,
            debit_balance_after=debit_after,
            credit_balance_after=credit_after,
            created_at=at,
        )
        by_operation[op_id].append(row)
    return LedgerPage(
        accounts=accounts,
        operations=[(item, by_operation.get(item.id, [])) for item in history.items],
        next=history.next,
    )


@dataclass(frozen=True)
class HouseBalance:
    brand_id: int
    product: str
    currency: str
    balance: int
    accounts: int  # the stripes that exist, over all shards


def house_balances(*, brand_id: int | None = None) -> list[HouseBalance]:
    """Each brand's house balance per product and currency: its stripes summed over every shard.
    ``brand_id`` limits it to one brand."""
    totals: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for using in shard_map.aliases():
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT brand_id, product, currency, sum(balance), count(*) FROM wallet_account "
                "WHERE kind = 'house' AND (%s::integer IS NULL OR brand_id = %s) "
                "GROUP BY 1, 2, 3",
                [brand_id, brand_id],
            )
            for brand, product, currency, balance, count in cursor.fetchall():
                total = totals[(brand, product, currency)]
                total[0] += int(balance)
                total[1] += int(count)
    return [
        HouseBalance(brand, product, currency, balance, count)
        for (brand, product, currency), (balance, count) in sorted(totals.items())
    ]
