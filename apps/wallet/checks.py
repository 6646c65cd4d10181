"""Proving the books of one shard: every invariant the ledger promises, checked from the rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connections, transaction

CHECKS = {
    "account balance differs from the sum of its transfers": """
        SELECT a.id, a.balance, COALESCE(c.total, 0) - COALESCE(d.total, 0)
        FROM wallet_account a
        LEFT JOIN (SELECT credit_account_id AS id, sum(amount) AS total
                   FROM wallet_transfer GROUP BY 1) c ON c.id = a.id
        LEFT JOIN (SELECT debit_account_id AS id, sum(amount) AS total
                   FROM wallet_transfer GROUP BY 1) d ON d.id = a.id
        WHERE a.balance <> COALESCE(c.total, 0) - COALESCE(d.total, 0)
    """,
    "balances do not sum to zero in a currency": """
        SELECT currency, sum(balance) FROM wallet_account GROUP BY currency
        HAVING sum(balance) <> 0
    """,
    "negative player balance": """
        SELECT id, balance FROM wallet_account WHERE kind <> 'house' AND balance < 0
    """,
    "transfer between accounts of another currency": """
        SELECT t.id, t.currency, d.currency, c.currency FROM wallet_transfer t
        JOIN wallet_account d ON d.id = t.debit_account_id
        JOIN wallet_account c ON c.id = t.credit_account_id
        WHERE d.currency <> t.currency OR c.currency <> t.currency
    """,
    "reserved balance differs from the open reservations": """
        SELECT a.id, a.balance, COALESCE(r.total, 0) FROM wallet_account a
        LEFT JOIN (SELECT player_id, currency, sum(amount) AS total FROM wallet_reservation
                   WHERE status = 'open' GROUP BY 1, 2) r
               ON r.player_id = a.player_id AND r.currency = a.currency
        WHERE a.kind = 'reserved' AND a.balance <> COALESCE(r.total, 0)
    """,
    "transfer referencing a missing operation or account": """
        SELECT t.id FROM wallet_transfer t
        LEFT JOIN wallet_operation o ON o.id = t.operation_id
        LEFT JOIN wallet_account d ON d.id = t.debit_account_id
        LEFT JOIN wallet_account c ON c.id = t.credit_account_id
        WHERE o.id IS NULL OR d.id IS NULL OR c.id IS NULL
    """,
    "operation without transfers": """
        SELECT o.id, o.kind FROM wallet_operation o
        WHERE NOT EXISTS (SELECT 1 FROM wallet_transfer t WHERE t.operation_id = o.id)
          AND NOT EXISTS (SELECT 1 FROM wallet_externalcall e
                          WHERE e.id = o.id AND e.status <> 'applied' AND e.kind = 'debit')
    """,
    "external debit applied without its shadow transfer, or shadowed without approval": """
        SELECT e.id, e.status, count(t.id) FROM wallet_externalcall e
        LEFT JOIN wallet_transfer t ON t.operation_id = e.id
        WHERE e.kind = 'debit'
        GROUP BY e.id, e.status
        HAVING (e.status = 'applied') <> (count(t.id) = 1)
    """,
}
SAMPLE = 5


@dataclass
class ShardBooks:
    database: str
    accounts: int = 0
    transfers: int = 0
    operations: int = 0
    totals: dict[str, int] = field(default_factory=dict)
    breaches: dict[str, list[tuple]] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return not self.breaches


def books_check(using: str) -> ShardBooks:
    """Check one shard in one consistent snapshot (REPEATABLE READ)."""
    books = ShardBooks(database=using)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor.execute(
            "SELECT (SELECT count(*) FROM wallet_account), (SELECT count(*) FROM wallet_transfer),"
            " (SELECT count(*) FROM wallet_operation)"
        )
        books.accounts, books.transfers, books.operations = cursor.fetchone()
        cursor.execute(
            "SELECT currency, sum(balance) FILTER (WHERE kind <> 'house') "
            "FROM wallet_account GROUP BY currency ORDER BY currency"
        )
        books.totals = {currency: int(total or 0) for currency, total in cursor.fetchall()}
        for name, sql in CHECKS.items():
            cursor.execute(sql)
            rows = cursor.fetchmany(SAMPLE)
            if rows:
                books.breaches[name] = rows
    return books
