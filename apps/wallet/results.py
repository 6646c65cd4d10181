"""What the wallet answers: plain values, nothing of its models."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Balance:
    currency: str
    cash: int
    bonus: int
    reserved: int

    @property
    def available(self) -> int:
        return self.cash


@dataclass(frozen=True)
class WalletResult:
    operation_id: int
    kind: str
    amount: int
    currency: str
    balance: Balance
    replayed: bool
    reservation_id: int | None = None
