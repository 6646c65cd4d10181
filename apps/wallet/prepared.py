"""A debit worked out in Python and applied by a product's own SQL function, in the product's
transaction: one round trip writes the product's rows (a bet, its legs) and moves the money.
Products reach it through ``apps.wallet.api``.

The wallet still owns the money: it checks the amount, the currency and the product, finds the
accounts, computes the fingerprint every debit is stored with, and maps the database's refusals
to its own errors, as every posting of the wallet does (``apps.wallet.postings``). The product's
function passes these arguments to ``wallet_post`` (the same statement every debit uses, so the
balance check, the idempotency key and the transfers are the ledger's own), adding only the key
and the details, which name the row it has just created.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections

from apps.wallet import ledger
from apps.wallet.postings import (
    check_amount,
    check_currency,
    check_product,
    internal_only,
    posting_errors,
    product_house,
    push_balance,
    request_print,
)
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
    amount, currency = check_amount(amount), check_currency(brand_id, currency)
    product = check_product(product)
    internal_only(brand_id, "a debit inside a product's transaction")
    with connections[using].cursor() as cursor:
        accounts = ledger.player_accounts(
            cursor, using, brand_id=brand_id, player_id=player_id, currency=currency
        )
        house = product_house(cursor, product, accounts, currency, player_id)
    printed = request_print(
        kind="debit", player_id=player_id, currency=currency, amount=amount, product=product
    )
    return PreparedDebit(
        brand_id=brand_id,
        player_id=player_id,
        currency=currency,
        amount=amount,
        product=product,
        request_print=printed,
        debits=[accounts.cash],
        credits=[house],
        player_accounts=[accounts.of(kind) for kind in ledger.PLAYER_KINDS],
    )


wallet_posting_errors = posting_errors  # around the product's statement, as around any


def wallet_debit_posted(
    debit: PreparedDebit, *, using: str, operation_id: int, balances: list[int]
) -> Balance:
    """After the product's statement applied ``debit``: the player's new balance, pushed to
    their sockets when the transaction commits (as every posting is)."""
    now = dict(zip(ledger.PLAYER_KINDS, balances, strict=True))
    balance = Balance(currency=debit.currency, **now)
    push_balance(
        using=using,
        brand_id=debit.brand_id,
        player_id=debit.player_id,
        balance=balance,
        kind="debit",
        operation_id=operation_id,
    )
    return balance
