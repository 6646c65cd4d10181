"""A debit worked out in Python and applied by a product's own SQL function, in the product's
transaction: one round trip writes the product's rows (a bet, its legs) and moves the money.

The wallet still owns the money: it checks the amount, the currency and the product, finds the
accounts, computes the fingerprint :func:`apps.wallet.api.wallet_debit` would store for the same
debit, and maps the database's refusals to its own errors. The product's function passes these
arguments to ``wallet_post`` (the same statement every debit uses, so the balance check, the
idempotency key and the transfers are the ledger's own), adding only the key and the details,
which name the row it has just created.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import DatabaseError, DataError, IntegrityError, connections

from apps.realtime.notify import player_notify
from apps.wallet import api, ledger
from apps.wallet.errors import AmountOverflow, IdempotencyKeyReused, InsufficientFunds
from apps.wallet.results import Balance


@dataclass(frozen=True)
class PreparedDebit:
    brand_id: int
    player_id: int
    currency: str
    amount: int
    product: str
    request_print: str
    debits: list[int]
    credits: list[int]
    player_accounts: list[int]  # cash, bonus, reserved: wallet_post returns their balances


def wallet_prepare_debit(
    *, using: str, brand_id: int, player_id: int, currency: str, amount: int, product: str
) -> PreparedDebit:
    """The arguments of a debit of the player's cash into the product's house account, for a
    function that calls ``wallet_post`` on ``using`` (the player's shard). Platform wallets
    only: an operator's wallet is called over HTTP, never inside a shard's statement."""
    amount, currency = api._check_amount(amount), api._check_currency(brand_id, currency)
    product = api._check_product(product)
    api._internal_only(brand_id, "a debit inside a product's transaction")
    with connections[using].cursor() as cursor:
        accounts = ledger.player_accounts(
            cursor, using, brand_id=brand_id, player_id=player_id, currency=currency
        )
        house = api._house(cursor, product, accounts, currency, player_id)
    request_print = ledger.fingerprint(
        {"kind": "debit", "player": player_id, "currency": currency, "amount": amount,
         "product": product, "reservation": None}
    )  # fmt: skip
    return PreparedDebit(
        brand_id=brand_id, player_id=player_id, currency=currency, amount=amount,
        product=product, request_print=request_print, debits=[accounts.cash], credits=[house],
        player_accounts=[accounts.of(kind) for kind in ledger.PLAYER_KINDS],
    )  # fmt: skip


@contextlib.contextmanager
def wallet_posting_errors() -> Iterator[None]:
    """Around the statement that applied a prepared debit: the database's refusals as the
    wallet's errors (a negative balance is ``InsufficientFunds``), as ``wallet_debit`` raises
    them. Other errors pass through unchanged."""
    try:
        yield
    except IntegrityError as exc:
        if "wallet_player_balance_not_negative" in str(exc):
            raise InsufficientFunds("not enough funds") from None
        raise
    except DataError as exc:
        if "out of range" in str(exc):
            raise AmountOverflow("the balance would leave the representable range") from None
        raise
    except DatabaseError as exc:
        sqlstate = getattr(exc.__cause__, "sqlstate", None)
        if sqlstate == "WK001":
            raise IdempotencyKeyReused("idempotency key was used with other data") from None
        if sqlstate == "WK002":  # an account the cache knew is gone (a test database reset)
            ledger.forget_cached_accounts()
        raise


def wallet_debit_posted(
    debit: PreparedDebit, *, using: str, operation_id: int, balances: list[int]
) -> Balance:
    """After the product's statement applied ``debit``: the player's new balance, pushed to
    their sockets when the transaction commits (as every posting is)."""
    now = dict(zip(ledger.PLAYER_KINDS, balances, strict=True))
    balance = Balance(currency=debit.currency, **now)
    player_notify(
        using=using, brand_id=debit.brand_id, player_id=debit.player_id,
        message={
            "type": "balance", "currency": debit.currency, "cash": balance.cash,
            "bonus": balance.bonus, "reserved": balance.reserved, "available": balance.available,
            "operation": str(operation_id), "kind": "debit",
        },
    )  # fmt: skip
    return balance
