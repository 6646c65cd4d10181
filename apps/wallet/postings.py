"""Posting an operation on the ledger, as every verb of the wallet does it: the checks of an
amount, a currency, a key and a product; the house account a product posts to; the fingerprint
an operation's key is stored with; the database's refusals as the wallet's errors; and the new
balance pushed to the player's sockets after commit.

Internal to the wallet: the verbs (``apps.wallet.api``) and the debits prepared for a product's
own statement (``apps.wallet.prepared``) are made of these.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from django.db import DatabaseError, DataError, IntegrityError, connections, transaction

from apps.realtime.notify import player_notify
from apps.wallet import ledger
from apps.wallet.brand_config import brand_wallet
from apps.wallet.errors import (
    AmountOverflow,
    CurrencyNotAllowed,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidAmount,
    InvalidRequest,
    UnknownCurrency,
    UnknownPlayer,
)
from apps.wallet.ledger import Claimed, Move, PlayerAccounts
from apps.wallet.results import Balance, WalletResult
from betting import currencies
from shards import ids
from shards import map as shard_map

MAX_AMOUNT = 10**15  # minor units; far above any real stake, far below the 64-bit limit
MAX_KEY_LENGTH = 100
PRODUCTS = ("sportsbook", "casino", "payments", "adjustments")


def internal_only(brand_id: int, what: str) -> None:
    if brand_wallet(brand_id).operator is not None:
        raise InvalidRequest(f"{what} is not available in external wallet mode")


def check_amount(amount: object, *, allow_zero: bool = False) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount("amount must be an integer number of minor units")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidAmount("amount must be positive")
    if amount > MAX_AMOUNT:
        raise AmountOverflow(f"amount above the maximum of {MAX_AMOUNT} minor units")
    return amount


def check_currency(brand_id: int, currency: object) -> str:
    if not isinstance(currency, str) or not currencies.is_supported(currency):
        raise UnknownCurrency(f"unknown currency {currency!r}")
    allowed = brand_wallet(brand_id).currency
    if currency != allowed:
        raise CurrencyNotAllowed(f"this brand's wallets are in {allowed}, not {currency}")
    return currency


def check_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(f"idempotency key must be 1-{MAX_KEY_LENGTH} characters")
    return key


def check_product(product: object) -> str:
    if product not in PRODUCTS:
        raise InvalidRequest(f"product must be one of {', '.join(PRODUCTS)}")
    return str(product)


def shard_of_player(player_id: object) -> str:
    try:
        return shard_map.alias_for(ids.parse(player_id))
    except (ids.InvalidId, shard_map.UnknownShard):
        raise UnknownPlayer(f"no player {player_id!r}") from None


Build = Callable[[ledger.CursorWrapper, PlayerAccounts, Claimed], list[Move]]


SINGLE_STATEMENT_KINDS = frozenset({"credit", "debit", "transfer", "adjust"})


def _apply_in_steps(
    using: str,
    *,
    brand_id: int,
    player_id: int,
    currency: str,
    kind: str,
    key: str,
    amount: int,
    product: str,
    build: Build,
    reservation_id: int | None,
    details: dict | None,
    request_print: str,
) -> tuple[Claimed, dict[str, int]]:
    """Operations on reservations: claim, then work out the moves (they depend on the
    reservation's row), then post, in one transaction."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        accounts = ledger.player_accounts(
            cursor, using, brand_id=brand_id, player_id=player_id, currency=currency
        )
        claimed = ledger.claim(
            cursor,
            brand_id=brand_id,
            player_id=player_id,
            kind=kind,
            key=key,
            request_print=request_print,
            currency=currency,
            amount=amount,
            product=product,
            reservation_id=reservation_id,
            details=details,
        )
        if not claimed.replayed:
            moves = [m for m in build(cursor, accounts, claimed) if m.amount > 0]
            ledger.post(cursor, operation_id=claimed.operation_id, currency=currency, moves=moves)
        return claimed, ledger.balances(cursor, player_id=player_id, currency=currency)


def request_print(
    *,
    kind: str,
    player_id: int,
    currency: str,
    amount: int,
    product: str,
    reservation_id: int | None = None,
    extra: dict | None = None,
) -> str:
    """The fingerprint an operation's key is stored with: a key sent again with other data is
    refused. One definition for every way a posting is made (alone, in bulk, prepared)."""
    return ledger.fingerprint(
        {
            "kind": kind,
            "player": player_id,
            "currency": currency,
            "amount": amount,
            "product": product,
            "reservation": reservation_id,
            **(extra or {}),
        }
    )


@contextlib.contextmanager
def posting_errors() -> Iterator[None]:
    """Around a statement that posts: the database's refusals as the wallet's errors (a negative
    player balance is ``InsufficientFunds``, a balance out of range ``AmountOverflow``, a key
    reused with other data ``IdempotencyKeyReused``). Other errors pass through unchanged."""
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


def push_balance(
    *,
    using: str,
    brand_id: int,
    player_id: int,
    balance: Balance,
    kind: str,
    operation_id: int | None = None,
) -> None:
    """The player's new balance to their sockets, once the posting's transaction commits."""
    message = {
        "type": "balance",
        "currency": balance.currency,
        "cash": balance.cash,
        "bonus": balance.bonus,
        "reserved": balance.reserved,
        "available": balance.available,
        "kind": kind,
    }
    if operation_id is not None:
        message["operation"] = str(operation_id)
    player_notify(using=using, brand_id=brand_id, player_id=player_id, message=message)


def apply_operation(
    *,
    brand_id: int,
    player_id: int,
    currency: str,
    kind: str,
    key: str,
    amount: int,
    product: str,
    build: Build,
    reservation_id: int | None = None,
    details: dict | None = None,
    fingerprint_extra: dict | None = None,
) -> WalletResult:
    using = shard_of_player(player_id)
    printed = request_print(
        kind=kind,
        player_id=player_id,
        currency=currency,
        amount=amount,
        product=product,
        reservation_id=reservation_id,
        extra=fingerprint_extra,
    )
    connection = connections[using]
    with posting_errors():
        if kind in SINGLE_STATEMENT_KINDS:
            # One statement claims and posts: on its own it is its own transaction (one round
            # trip); inside a caller's transaction it runs in a savepoint.
            scope = (
                transaction.atomic(using=using)
                if connection.in_atomic_block
                else contextlib.nullcontext()
            )
            with scope, connection.cursor() as cursor:
                accounts = ledger.player_accounts(
                    cursor, using, brand_id=brand_id, player_id=player_id, currency=currency
                )
                moves = [m for m in build(cursor, accounts, None) if m.amount > 0]
                posted = ledger.post_once(
                    cursor,
                    brand_id=brand_id,
                    player_id=player_id,
                    kind=kind,
                    key=key,
                    request_print=printed,
                    currency=currency,
                    amount=amount,
                    product=product,
                    details=details,
                    moves=moves,
                    accounts=accounts,
                )
            claimed = Claimed(posted.operation_id, posted.replayed, reservation_id)
            now = posted.balances
        else:
            claimed, now = _apply_in_steps(
                using,
                brand_id=brand_id,
                player_id=player_id,
                currency=currency,
                kind=kind,
                key=key,
                amount=amount,
                product=product,
                build=build,
                reservation_id=reservation_id,
                details=details,
                request_print=printed,
            )
    balance = Balance(currency=currency, **now)
    if not claimed.replayed:
        push_balance(
            using=using,
            brand_id=brand_id,
            player_id=player_id,
            balance=balance,
            kind=kind,
            operation_id=claimed.operation_id,
        )
    return WalletResult(
        operation_id=claimed.operation_id,
        kind=kind,
        amount=amount,
        currency=currency,
        balance=balance,
        replayed=claimed.replayed,
        reservation_id=claimed.reservation_id,
    )


def product_house(
    cursor,
    product: str,
    accounts: PlayerAccounts,
    currency: str,
    player_id: int,
    *,
    bulk: bool = False,
) -> int:
    using = cursor.db.alias
    return ledger.house_account(
        cursor,
        using,
        brand_id=accounts.brand_id,
        currency=currency,
        product=product,
        player_id=player_id,
        bulk=bulk,
    )
