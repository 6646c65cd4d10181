"""Reconciling a brand's external wallet: the platform's operations against the operator's
records, by transaction id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connections

from apps.wallet import operator_protocol as protocol
from shards import map as shard_map


@dataclass
class Reconciliation:
    compared: int = 0
    differences: list[str] = field(default_factory=list)


class _Ours(NamedTuple):
    """An operation as the platform recorded it."""

    kind: str
    status: str
    amount: int


def _platform_side(brand_id: int) -> dict[str, _Ours]:
    found: dict[str, _Ours] = {}
    for using in shard_map.aliases():
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT id, kind, status, amount FROM wallet_externalcall WHERE brand_id = %s",
                [brand_id],
            )
            for op_id, kind, status, amount in cursor.fetchall():
                found[str(op_id)] = _Ours(kind, status, amount)
    return found


def reconcile(*, brand_id: int, url: str, key: protocol.SigningKey) -> Reconciliation:
    """Every platform debit or credit must be applied on both sides or on neither."""
    ours = _platform_side(brand_id)
    theirs = {
        t["transaction_id"]: t
        for t in protocol.transactions(url, key)
        if t["action"] in {"debit", "credit"}
    }
    report = Reconciliation(compared=len(set(ours) | set(theirs)))
    for tx_id in sorted(set(ours) | set(theirs)):
        mine, other = ours.get(tx_id), theirs.get(tx_id)
        applied_here = mine is not None and mine.status == "applied"
        applied_there = other is not None and other["state"] == "applied"
        if mine is not None and mine.status in {"pending", "rolling_back"}:
            report.differences.append(f"{tx_id}: still {mine.status} on the platform")
        elif applied_here != applied_there:
            here = mine.status if mine else "unknown"
            there = other["state"] if other else "unknown"
            report.differences.append(f"{tx_id}: {here} on the platform, {there} at the operator")
        elif applied_here and mine.amount != other["amount"]:
            report.differences.append(
                f"{tx_id}: amount {mine.amount} on the platform, {other['amount']} at the operator"
            )
    return report
