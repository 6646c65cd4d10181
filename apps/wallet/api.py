"""The wallet's public interface, its one door: what products (sportsbook, casino, payments)
and the backoffice call. Nothing else in ``apps.wallet`` is imported from outside it (an
import-linter contract in ``pyproject.toml`` fails ``make test`` otherwise); URL maps include the
wallet's page and API routes by module name (``apps.wallet.urls``, ``apps.wallet.api_urls``).
The operator wallet protocol's operator side (``operator_request_verify``,
``operator_answer_headers`` and their key and error types) is here for whoever speaks that
protocol from the operator's side (its simulator).

Every operation takes an idempotency key: the same key with the same data returns the original
operation (``replayed=True``); the same key with other data raises IdempotencyKeyReused. Amounts
are integers in minor units. Results are plain dataclasses; nothing of the wallet's models leaks
(but ``Account``, which the backoffice's admin hangs the house balances and their permission on).
The new balance is pushed to the player's websocket after the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import connections

from apps.wallet import ledger
from apps.wallet.brand_config import brand_wallet, wallet_is_external
from apps.wallet.errors import (
    AmountOverflow,
    CurrencyNotAllowed,
    ExternalWalletRefused,
    ExternalWalletUnavailable,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidAmount,
    InvalidRequest,
    ReservationClosed,
    UnknownCurrency,
    UnknownPlayer,
    UnknownReservation,
    WalletError,
)
from apps.wallet.external import external_credit, external_debit
from apps.wallet.holdings import (
    PostingWords,
    player_held,
    posting_words,
    wallet_running_register,
    wallet_words_register,
)
from apps.wallet.ledger import Move
from apps.wallet.models import Account
from apps.wallet.operator_protocol import NONCE_HEADER as OPERATOR_NONCE_HEADER
from apps.wallet.operator_protocol import RequestRefused as OperatorRequestRefused
from apps.wallet.operator_protocol import SigningKey as OperatorSigningKey
from apps.wallet.operator_protocol import answer_headers as operator_answer_headers
from apps.wallet.operator_protocol import request_verify as operator_request_verify
from apps.wallet.postings import (
    MAX_AMOUNT,
    PRODUCTS,
    apply_operation,
    check_amount,
    check_currency,
    check_key,
    check_product,
    internal_only,
    posting_errors,
    product_house,
    push_balance,
    request_print,
    shard_of_player,
)
from apps.wallet.prepared import (
    PreparedDebit,
    wallet_debit_posted,
    wallet_posting_errors,
    wallet_prepare_debit,
)
from apps.wallet.results import Balance, WalletResult
from apps.wallet.selectors import (
    HistoryItem,
    HouseBalance,
    InvalidCursor,
    LedgerPage,
    house_balances,
    ledger_page,
    parse_cursor,
    player_balance,
    player_history,
    player_operations_for,
)
from shards import map as shard_map

__all__ = [
    "MAX_AMOUNT",
    "OPERATOR_NONCE_HEADER",
    "PRODUCTS",
    "Account",
    "AmountOverflow",
    "Balance",
    "Credit",
    "CurrencyNotAllowed",
    "ExternalWalletRefused",
    "ExternalWalletUnavailable",
    "HistoryItem",
    "HouseBalance",
    "IdempotencyKeyReused",
    "InsufficientFunds",
    "InvalidAmount",
    "InvalidCursor",
    "InvalidRequest",
    "LedgerPage",
    "OperatorRequestRefused",
    "OperatorSigningKey",
    "PostingWords",
    "PreparedDebit",
    "ReservationClosed",
    "UnknownCurrency",
    "UnknownPlayer",
    "UnknownReservation",
    "WalletError",
    "WalletResult",
    "house_balances",
    "ledger_page",
    "operator_answer_headers",
    "operator_request_verify",
    "parse_cursor",
    "player_balance",
    "player_held",
    "player_history",
    "player_operations_for",
    "posting_words",
    "wallet_adjust",
    "wallet_balance",
    "wallet_commit",
    "wallet_credit",
    "wallet_credit_many",
    "wallet_debit",
    "wallet_debit_posted",
    "wallet_is_external",
    "wallet_posting_errors",
    "wallet_prepare_debit",
    "wallet_reserve",
    "wallet_running_register",
    "wallet_transfer",
    "wallet_void",
    "wallet_words_register",
]

DEFAULT_RESERVATION_TTL = dt.timedelta(minutes=5)
MAX_RESERVATION_TTL = dt.timedelta(days=7)


def wallet_credit(
    *,
    brand_id: int,
    player_id: int,
    currency: str,
    amount: int,
    product: str,
    idempotency_key: str,
    details: dict | None = None,
) -> WalletResult:
    """Pay ``amount`` into the player's cash from the product's house account (in external
    wallet mode: into the player's wallet at the operator)."""
    amount, currency = check_amount(amount), check_currency(brand_id, currency)
    product, key = check_product(product), check_key(idempotency_key)
    operator = brand_wallet(brand_id).operator
    if operator is not None:
        shard_of_player(player_id)
        return external_credit(
            operator,
            brand_id=brand_id,
            player_id=player_id,
            currency=currency,
            amount=amount,
            product=product,
            key=key,
            details=details,
        )

    def build(cursor, accounts, claimed):
        house = product_house(cursor, product, accounts, currency, player_id)
        return [Move(debit=house, credit=accounts.cash, amount=amount)]

    return apply_operation(
        brand_id=brand_id,
        player_id=player_id,
        currency=currency,
        kind="credit",
        key=key,
        amount=amount,
        product=product,
        build=build,
        details=details,
    )


def wallet_debit(
    *,
    brand_id: int,
    player_id: int,
    currency: str,
    amount: int,
    product: str,
    idempotency_key: str,
    details: dict | None = None,
    bulk: bool = False,
) -> WalletResult:
    """Take ``amount`` from the player's cash into the product's house account (in external
    wallet mode: from the player's wallet at the operator, which must approve it). ``bulk``:
    one of many postings in one long transaction (a market's settlement being reversed), made
    through the house's bulk stripes, which single postings never wait for."""
    amount, currency = check_amount(amount), check_currency(brand_id, currency)
    product, key = check_product(product), check_key(idempotency_key)
    operator = brand_wallet(brand_id).operator
    if operator is not None:
        shard_of_player(player_id)
        return external_debit(
            operator,
            brand_id=brand_id,
            player_id=player_id,
            currency=currency,
            amount=amount,
            product=product,
            key=key,
            details=details,
        )

    def build(cursor, accounts, claimed):
        house = product_house(cursor, product, accounts, currency, player_id, bulk=bulk)
        return [Move(debit=accounts.cash, credit=house, amount=amount)]

    return apply_operation(
        brand_id=brand_id,
        player_id=player_id,
        currency=currency,
        kind="debit",
        key=key,
        amount=amount,
        product=product,
        build=build,
        details=details,
    )


def wallet_reserve(
    *,
    brand_id: int,
    player_id: int,
    currency: str,
    amount: int,
    product: str,
    idempotency_key: str,
    ttl: dt.timedelta = DEFAULT_RESERVATION_TTL,
    details: dict | None = None,
) -> WalletResult:
    """Hold ``amount`` of the player's cash; commit or void it later (or it voids at expiry)."""
    amount, currency = check_amount(amount), check_currency(brand_id, currency)
    internal_only(brand_id, "a reservation")
    product, key = check_product(product), check_key(idempotency_key)
    if not dt.timedelta(seconds=1) <= ttl <= MAX_RESERVATION_TTL:
        raise InvalidRequest("reservation time-out must be between 1 s and 7 days")

    def build(cursor, accounts, claimed):
        cursor.execute(
            "INSERT INTO wallet_reservation (id, brand_id, player_id, currency, product, amount, "
            "committed_amount, status, expires_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, 0, 'open', now() + %s)",
            [claimed.operation_id, brand_id, player_id, currency, product, amount, ttl],
        )
        return [Move(debit=accounts.cash, credit=accounts.reserved, amount=amount)]

    result = apply_operation(
        brand_id=brand_id,
        player_id=player_id,
        currency=currency,
        kind="reserve",
        key=key,
        amount=amount,
        product=product,
        build=build,
        details=details,
        fingerprint_extra={"ttl": ttl.total_seconds()},
    )
    return _with_reservation(result, result.operation_id)


def _with_reservation(result: WalletResult, reservation_id: int) -> WalletResult:
    return WalletResult(**{**result.__dict__, "reservation_id": reservation_id})


def _close_reservation(
    cursor, *, reservation_id: int, player_id: int, status: str, committed: int
) -> tuple[int, str]:
    """Close an open reservation exactly once; its amount and product."""
    cursor.execute(
        "UPDATE wallet_reservation SET status = %s, committed_amount = %s, closed_at = now() "
        "WHERE id = %s AND player_id = %s AND status = 'open' AND amount >= %s "
        "RETURNING amount, product",
        [status, committed, reservation_id, player_id, committed],
    )
    closed = cursor.fetchone()
    if closed is not None:
        amount, product = closed
        return amount, product
    cursor.execute(
        "SELECT status, amount FROM wallet_reservation WHERE id = %s AND player_id = %s",
        [reservation_id, player_id],
    )
    found = cursor.fetchone()
    if found is None:
        raise UnknownReservation(f"no reservation {reservation_id} for this player")
    status, amount = found
    if status != "open":
        raise ReservationClosed(f"reservation {reservation_id} is already {status}")
    raise InvalidAmount(f"cannot commit more than the {amount} reserved")


def wallet_commit(
    *,
    brand_id: int,
    player_id: int,
    currency: str,
    reservation_id: int,
    amount: int,
    idempotency_key: str,
    details: dict | None = None,
) -> WalletResult:
    """Take ``amount`` (all or part) of a reservation into the house; release the rest."""
    amount, currency = check_amount(amount), check_currency(brand_id, currency)
    internal_only(brand_id, "committing a reservation")
    key = check_key(idempotency_key)

    def build(cursor, accounts, claimed):
        reserved, product = _close_reservation(
            cursor,
            reservation_id=reservation_id,
            player_id=player_id,
            status="committed",
            committed=amount,
        )
        house = product_house(cursor, product, accounts, currency, player_id)
        return [
            Move(debit=accounts.reserved, credit=house, amount=amount),
            Move(debit=accounts.reserved, credit=accounts.cash, amount=reserved - amount),
        ]

    return apply_operation(
        brand_id=brand_id,
        player_id=player_id,
        currency=currency,
        kind="commit",
        key=key,
        amount=amount,
        product="",
        build=build,
        reservation_id=reservation_id,
        details=details,
    )


def wallet_void(
    *,
    brand_id: int,
    player_id: int,
    currency: str,
    reservation_id: int,
    idempotency_key: str,
    details: dict | None = None,
) -> WalletResult:
    """Release a whole reservation back to the player's cash."""
    currency, key = check_currency(brand_id, currency), check_key(idempotency_key)
    internal_only(brand_id, "voiding a reservation")

    def build(cursor, accounts, claimed):
        reserved, _ = _close_reservation(
            cursor,
            reservation_id=reservation_id,
            player_id=player_id,
            status="voided",
            committed=0,
        )
        return [Move(debit=accounts.reserved, credit=accounts.cash, amount=reserved)]

    return apply_operation(
        brand_id=brand_id,
        player_id=player_id,
        currency=currency,
        kind="void",
        key=key,
        amount=0,
        product="",
        build=build,
        reservation_id=reservation_id,
        details=details,
    )


def wallet_transfer(
    *,
    brand_id: int,
    player_id: int,
    currency: str,
    amount: int,
    source: str,
    target: str,
    idempotency_key: str,
) -> WalletResult:
    """Move ``amount`` between the player's own cash and bonus accounts."""
    amount, currency = check_amount(amount), check_currency(brand_id, currency)
    internal_only(brand_id, "a transfer between accounts")
    key = check_key(idempotency_key)
    if {source, target} != {"cash", "bonus"}:
        raise InvalidRequest("transfers go between the cash and bonus accounts")

    def build(cursor, accounts, claimed):
        return [Move(debit=accounts.of(source), credit=accounts.of(target), amount=amount)]

    return apply_operation(
        brand_id=brand_id,
        player_id=player_id,
        currency=currency,
        kind="transfer",
        key=key,
        amount=amount,
        product="",
        build=build,
        fingerprint_extra={"from": source, "to": target},
        details={"from": source, "to": target},
    )


def wallet_adjust(
    *,
    brand_id: int,
    player_id: int,
    currency: str,
    amount: int,
    direction: str,
    reason: str,
    staff: str,
    idempotency_key: str,
    approved_by: str = "",
) -> WalletResult:
    """A manual correction by staff, with a mandatory reason, against the adjustments account
    (``approved_by``: the second staff member who approved it, when it needed one)."""
    amount, currency = check_amount(amount), check_currency(brand_id, currency)
    internal_only(brand_id, "a manual adjustment")
    key = check_key(idempotency_key)
    if direction not in {"credit", "debit"}:
        raise InvalidRequest("direction must be credit or debit")
    if not reason or not reason.strip():
        raise InvalidRequest("an adjustment needs a reason")
    if not staff:
        raise InvalidRequest("an adjustment needs the staff member who made it")

    details = {"direction": direction, "reason": reason.strip(), "staff": staff}
    if approved_by:
        details["approved_by"] = approved_by

    def build(cursor, accounts, claimed):
        house = product_house(cursor, "adjustments", accounts, currency, player_id)
        if direction == "credit":
            return [Move(debit=house, credit=accounts.cash, amount=amount)]
        return [Move(debit=accounts.cash, credit=house, amount=amount)]

    return apply_operation(
        brand_id=brand_id,
        player_id=player_id,
        currency=currency,
        kind="adjust",
        key=key,
        amount=amount,
        product="adjustments",
        build=build,
        details=details,
        fingerprint_extra=details,
    )


def wallet_balance(*, brand_id: int, player_id: int, currency: str) -> Balance:
    currency = check_currency(brand_id, currency)
    using = shard_of_player(player_id)
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT kind, balance, brand_id FROM wallet_account "
            "WHERE player_id = %s AND currency = %s",
            [player_id, currency],
        )
        rows = cursor.fetchall()
    owners = {owner for _, _, owner in rows}
    if owners and owners != {brand_id}:
        raise UnknownPlayer(f"no player {player_id} in this brand")
    found = {kind: balance for kind, balance, _ in rows}
    return Balance(currency, found.get("cash", 0), found.get("bonus", 0), found.get("reserved", 0))


@dataclass(frozen=True)
class Credit:
    """One credit of :func:`wallet_credit_many`."""

    player_id: int
    amount: int
    idempotency_key: str
    details: dict | None = None


_CREDIT_MANY = """
SELECT x.player, w.out_replayed, w.out_balances
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::bigint[],
            %s::bigint[], %s::bigint[], %s::bigint[], %s::text[])
     AS x(player, key, print, amount, debit, credit, cash, bonus, reserved, details)
CROSS JOIN LATERAL wallet_post(
    %s, x.player, 'credit', x.key, x.print, %s, x.amount, %s, x.details::jsonb,
    ARRAY[x.debit], ARRAY[x.credit], ARRAY[x.amount], ARRAY[x.cash, x.bonus, x.reserved]) AS w
"""
CREDIT_CHUNK = 2_000


def wallet_credit_many(
    *, brand_id: int, currency: str, product: str, credits: list[Credit], using: str
) -> int:
    """Pay many players of one brand on one shard (settling a market): each credit exactly as
    :func:`wallet_credit` would post it (same key, same fingerprint, applied once), in one
    statement per chunk of credits, from the house's bulk stripes (``ledger.house_account``:
    single postings, such as bets' stakes, never wait for this transaction's house rows). Runs
    inside the caller's transaction on ``using``; the number of credits newly applied.
    External-wallet brands get one credit at a time."""
    currency, product = check_currency(brand_id, currency), check_product(product)
    if not credits:
        return 0
    if brand_wallet(brand_id).operator is not None:
        for c in credits:
            wallet_credit(
                brand_id=brand_id,
                player_id=c.player_id,
                currency=currency,
                amount=c.amount,
                product=product,
                idempotency_key=c.idempotency_key,
                details=c.details,
            )
        return len(credits)
    for c in credits:
        check_amount(c.amount)
        check_key(c.idempotency_key)
        if shard_map.alias_for(c.player_id) != using:
            raise InvalidRequest(f"player {c.player_id} is not on {using}")
    applied = 0
    houses_by_stripe: dict[int, int] = {}  # the house account of each stripe, looked up once
    with connections[using].cursor() as cursor:
        for start in range(0, len(credits), CREDIT_CHUNK):
            chunk = credits[start : start + CREDIT_CHUNK]
            known = ledger.players_accounts(
                cursor, using, player_ids=[c.player_id for c in chunk], currency=currency
            )
            accounts = [
                known.get(c.player_id)
                or ledger.player_accounts(
                    cursor, using, brand_id=brand_id, player_id=c.player_id, currency=currency
                )
                for c in chunk
            ]
            if any(a.brand_id != brand_id for a in accounts):
                raise UnknownPlayer("a player of another brand")
            houses = []  # the house's bulk stripes: single postings do not wait for these
            for a, c in zip(accounts, chunk, strict=True):
                stripe = c.player_id % ledger.HOUSE_STRIPES
                if stripe not in houses_by_stripe:
                    houses_by_stripe[stripe] = product_house(
                        cursor, product, a, currency, c.player_id, bulk=True
                    )
                houses.append(houses_by_stripe[stripe])
            prints = [
                request_print(
                    kind="credit",
                    player_id=c.player_id,
                    currency=currency,
                    amount=c.amount,
                    product=product,
                )
                for c in chunk
            ]
            with posting_errors():
                cursor.execute(
                    _CREDIT_MANY,
                    [
                        [c.player_id for c in chunk],
                        [c.idempotency_key for c in chunk],
                        prints,
                        [c.amount for c in chunk],
                        houses,
                        [a.cash for a in accounts],
                        [a.cash for a in accounts],
                        [a.bonus for a in accounts],
                        [a.reserved for a in accounts],
                        [json.dumps(c.details or {}) for c in chunk],
                        brand_id,
                        currency,
                        product,
                    ],
                )
            for player_id, replayed, balances in cursor.fetchall():
                if replayed:
                    continue
                applied += 1
                cash, bonus, reserved = balances
                push_balance(
                    using=using,
                    brand_id=brand_id,
                    player_id=player_id,
                    kind="credit",
                    balance=Balance(currency=currency, cash=cash, bonus=bonus, reserved=reserved),
                )
    return applied
