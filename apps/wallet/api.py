"""The wallet's public interface: what products (sportsbook, casino, payments, backoffice) call.

Every operation takes an idempotency key: the same key with the same data returns the original
operation (``replayed=True``); the same key with other data raises IdempotencyKeyReused. Amounts
are integers in minor units. Results are plain dataclasses; nothing of the wallet's models leaks.
The new balance is pushed to the player's websocket after the transaction commits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import DatabaseError, DataError, IntegrityError, connections, transaction

from apps.brands.models import Brand
from apps.realtime.notify import player_notify
from apps.wallet import ledger
from apps.wallet.errors import (
    AmountOverflow,
    CurrencyNotAllowed,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidAmount,
    InvalidRequest,
    ReservationClosed,
    UnknownCurrency,
    UnknownPlayer,
    UnknownReservation,
)
from apps.wallet.external import OperatorWallet, external_credit, external_debit
from apps.wallet.ledger import Claimed, Move, PlayerAccounts
from apps.wallet.results import Balance, WalletResult
from betting import currencies
from shards import ids
from shards import map as shard_map

MAX_AMOUNT = 10**15  # minor units; far above any real stake, far below the 64-bit limit
MAX_KEY_LENGTH = 100
DEFAULT_RESERVATION_TTL = dt.timedelta(minutes=5)
MAX_RESERVATION_TTL = dt.timedelta(days=7)
PRODUCTS = ("sportsbook", "casino", "payments", "adjustments")
_BRAND_TTL_S = 60.0


@dataclass(frozen=True)
class _BrandWallet:
    currency: str
    operator: OperatorWallet | None  # set in external wallet mode


_brands: dict[int, tuple[float, _BrandWallet | None]] = {}


def _brand_wallet(brand_id: int) -> _BrandWallet:
    now = time.monotonic()
    cached = _brands.get(brand_id)
    if cached is None or cached[0] < now:
        brand = Brand.objects.filter(pk=brand_id).exclude(schema_name="public").first()
        config = None
        if brand is not None:
            external = brand.mode != Brand.Mode.B2C and bool(brand.wallet_url)
            operator = OperatorWallet(brand.wallet_url, brand.wallet_secret) if external else None
            config = _BrandWallet(brand.currency, operator)
        cached = (now + _BRAND_TTL_S, config)
        _brands[brand_id] = cached
    if cached[1] is None:
        raise UnknownPlayer(f"no brand {brand_id}")
    return cached[1]


def forget_brands() -> None:
    _brands.clear()


def operator_wallet(brand_id: int) -> OperatorWallet:
    """The operator's wallet of a brand in external wallet mode."""
    operator = _brand_wallet(brand_id).operator
    if operator is None:
        raise InvalidRequest(f"brand {brand_id} has no external wallet")
    return operator


def wallet_is_external(brand_id: int) -> bool:
    """Whether the brand's players' money is at the operator (external wallet mode)."""
    return _brand_wallet(brand_id).operator is not None


def _internal_only(brand_id: int, what: str) -> None:
    if _brand_wallet(brand_id).operator is not None:
        raise InvalidRequest(f"{what} is not available in external wallet mode")


def _check_amount(amount: object, *, allow_zero: bool = False) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount("amount must be an integer number of minor units")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidAmount("amount must be positive")
    if amount > MAX_AMOUNT:
        raise AmountOverflow(f"amount above the maximum of {MAX_AMOUNT} minor units")
    return amount


def _check_currency(brand_id: int, currency: object) -> str:
    if not isinstance(currency, str) or not currencies.is_supported(currency):
        raise UnknownCurrency(f"unknown currency {currency!r}")
    allowed = _brand_wallet(brand_id).currency
    if currency != allowed:
        raise CurrencyNotAllowed(f"this brand's wallets are in {allowed}, not {currency}")
    return currency


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(f"idempotency key must be 1-{MAX_KEY_LENGTH} characters")
    return key


def _check_product(product: object) -> str:
    if product not in PRODUCTS:
        raise InvalidRequest(f"product must be one of {', '.join(PRODUCTS)}")
    return str(product)


def _shard_of_player(player_id: object) -> str:
    try:
        return shard_map.alias_for(ids.parse(player_id))
    except (ids.InvalidId, shard_map.UnknownShard):
        raise UnknownPlayer(f"no player {player_id!r}") from None


Build = Callable[[ledger.CursorWrapper, PlayerAccounts, Claimed], list[Move]]


SINGLE_STATEMENT_KINDS = frozenset({"credit", "debit", "transfer", "adjust"})


def _apply_in_steps(
    using: str, *, brand_id: int, player_id: int, currency: str, kind: str, key: str,
    amount: int, product: str, build: Build, reservation_id: int | None, details: dict | None,
    request_print: str,
) -> tuple[Claimed, dict[str, int]]:  # fmt: skip
    """Operations on reservations: claim, then work out the moves (they depend on the
    reservation's row), then post, in one transaction."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        accounts = ledger.player_accounts(
            cursor, using, brand_id=brand_id, player_id=player_id, currency=currency
        )
        claimed = ledger.claim(
            cursor, brand_id=brand_id, player_id=player_id, kind=kind, key=key,
            request_print=request_print, currency=currency, amount=amount, product=product,
            reservation_id=reservation_id, details=details,
        )  # fmt: skip
        if not claimed.replayed:
            moves = [m for m in build(cursor, accounts, claimed) if m.amount > 0]
            ledger.post(cursor, operation_id=claimed.operation_id, currency=currency, moves=moves)
        return claimed, ledger.balances(cursor, player_id=player_id, currency=currency)


def request_print(
    *, kind: str, player_id: int, currency: str, amount: int, product: str,
    reservation_id: int | None = None, extra: dict | None = None,
) -> str:  # fmt: skip
    """The fingerprint an operation's key is stored with: a key sent again with other data is
    refused. One definition for every way a posting is made (alone, in bulk, prepared)."""
    return ledger.fingerprint(
        {
            "kind": kind, "player": player_id, "currency": currency, "amount": amount,
            "product": product, "reservation": reservation_id, **(extra or {}),
        }
    )  # fmt: skip


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
    *, using: str, brand_id: int, player_id: int, balance: Balance, kind: str,
    operation_id: int | None = None,
) -> None:  # fmt: skip
    """The player's new balance to their sockets, once the posting's transaction commits."""
    message = {
        "type": "balance", "currency": balance.currency, "cash": balance.cash,
        "bonus": balance.bonus, "reserved": balance.reserved, "available": balance.available,
        "kind": kind,
    }  # fmt: skip
    if operation_id is not None:
        message["operation"] = str(operation_id)
    player_notify(using=using, brand_id=brand_id, player_id=player_id, message=message)


def _apply(
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
    using = _shard_of_player(player_id)
    printed = request_print(
        kind=kind, player_id=player_id, currency=currency, amount=amount, product=product,
        reservation_id=reservation_id, extra=fingerprint_extra,
    )  # fmt: skip
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
                    cursor, brand_id=brand_id, player_id=player_id, kind=kind, key=key,
                    request_print=printed, currency=currency, amount=amount,
                    product=product, details=details, moves=moves, accounts=accounts,
                )  # fmt: skip
            claimed = Claimed(posted.operation_id, posted.replayed, reservation_id)
            now = posted.balances
        else:
            claimed, now = _apply_in_steps(
                using, brand_id=brand_id, player_id=player_id, currency=currency, kind=kind,
                key=key, amount=amount, product=product, build=build,
                reservation_id=reservation_id, details=details, request_print=printed,
            )  # fmt: skip
    balance = Balance(currency=currency, **now)
    if not claimed.replayed:
        push_balance(
            using=using, brand_id=brand_id, player_id=player_id, balance=balance, kind=kind,
            operation_id=claimed.operation_id,
        )  # fmt: skip
    return WalletResult(
        operation_id=claimed.operation_id,
        kind=kind,
        amount=amount,
        currency=currency,
        balance=balance,
        replayed=claimed.replayed,
        reservation_id=claimed.reservation_id,
    )


def _house(cursor, product: str, accounts: PlayerAccounts, currency: str, player_id: int,
           *, bulk: bool = False) -> int:  # fmt: skip
    using = cursor.db.alias
    return ledger.house_account(
        cursor, using, brand_id=accounts.brand_id, currency=currency, product=product,
        player_id=player_id, bulk=bulk,
    )  # fmt: skip


def wallet_credit(
    *, brand_id: int, player_id: int, currency: str, amount: int, product: str,
    idempotency_key: str, details: dict | None = None,
) -> WalletResult:  # fmt: skip
    """Pay ``amount`` into the player's cash from the product's house account (in external
    wallet mode: into the player's wallet at the operator)."""
    amount, currency = _check_amount(amount), _check_currency(brand_id, currency)
    product, key = _check_product(product), _check_key(idempotency_key)
    operator = _brand_wallet(brand_id).operator
    if operator is not None:
        _shard_of_player(player_id)
        return external_credit(
            operator, brand_id=brand_id, player_id=player_id, currency=currency, amount=amount,
            product=product, key=key, details=details,
        )  # fmt: skip

    def build(cursor, accounts, claimed):
        house = _house(cursor, product, accounts, currency, player_id)
        return [Move(debit=house, credit=accounts.cash, amount=amount)]

    return _apply(
        brand_id=brand_id, player_id=player_id, currency=currency, kind="credit", key=key,
        amount=amount, product=product, build=build, details=details,
    )  # fmt: skip


def wallet_debit(
    *, brand_id: int, player_id: int, currency: str, amount: int, product: str,
    idempotency_key: str, details: dict | None = None, bulk: bool = False,
) -> WalletResult:  # fmt: skip
    """Take ``amount`` from the player's cash into the product's house account (in external
    wallet mode: from the player's wallet at the operator, which must approve it). ``bulk``:
    one of many postings in one long transaction (a market's settlement being reversed), made
    through the house's bulk stripes, which single postings never wait for."""
    amount, currency = _check_amount(amount), _check_currency(brand_id, currency)
    product, key = _check_product(product), _check_key(idempotency_key)
    operator = _brand_wallet(brand_id).operator
    if operator is not None:
        _shard_of_player(player_id)
        return external_debit(
            operator, brand_id=brand_id, player_id=player_id, currency=currency, amount=amount,
            product=product, key=key, details=details,
        )  # fmt: skip

    def build(cursor, accounts, claimed):
        house = _house(cursor, product, accounts, currency, player_id, bulk=bulk)
        return [Move(debit=accounts.cash, credit=house, amount=amount)]

    return _apply(
        brand_id=brand_id, player_id=player_id, currency=currency, kind="debit", key=key,
        amount=amount, product=product, build=build, details=details,
    )  # fmt: skip


def wallet_reserve(
    *, brand_id: int, player_id: int, currency: str, amount: int, product: str,
    idempotency_key: str, ttl: dt.timedelta = DEFAULT_RESERVATION_TTL,
    details: dict | None = None,
) -> WalletResult:  # fmt: skip
    """Hold ``amount`` of the player's cash; commit or void it later (or it voids at expiry)."""
    amount, currency = _check_amount(amount), _check_currency(brand_id, currency)
    _internal_only(brand_id, "a reservation")
    product, key = _check_product(product), _check_key(idempotency_key)
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

    result = _apply(
        brand_id=brand_id, player_id=player_id, currency=currency, kind="reserve", key=key,
        amount=amount, product=product, build=build, details=details,
        fingerprint_extra={"ttl": ttl.total_seconds()},
    )  # fmt: skip
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
    row = cursor.fetchone()
    if row is not None:
        return row[0], row[1]
    cursor.execute(
        "SELECT status, amount FROM wallet_reservation WHERE id = %s AND player_id = %s",
        [reservation_id, player_id],
    )
    found = cursor.fetchone()
    if found is None:
        raise UnknownReservation(f"no reservation {reservation_id} for this player")
    if found[0] != "open":
        raise ReservationClosed(f"reservation {reservation_id} is already {found[0]}")
    raise InvalidAmount(f"cannot commit more than the {found[1]} reserved")


def wallet_commit(
    *, brand_id: int, player_id: int, currency: str, reservation_id: int, amount: int,
    idempotency_key: str, details: dict | None = None,
) -> WalletResult:  # fmt: skip
    """Take ``amount`` (all or part) of a reservation into the house; release the rest."""
    amount, currency = _check_amount(amount), _check_currency(brand_id, currency)
    _internal_only(brand_id, "committing a reservation")
    key = _check_key(idempotency_key)

    def build(cursor, accounts, claimed):
        reserved, product = _close_reservation(
            cursor, reservation_id=reservation_id, player_id=player_id, status="committed",
            committed=amount,
        )  # fmt: skip
        house = _house(cursor, product, accounts, currency, player_id)
        return [
            Move(debit=accounts.reserved, credit=house, amount=amount),
            Move(debit=accounts.reserved, credit=accounts.cash, amount=reserved - amount),
        ]

    return _apply(
        brand_id=brand_id, player_id=player_id, currency=currency, kind="commit", key=key,
        amount=amount, product="", build=build, reservation_id=reservation_id, details=details,
    )  # fmt: skip


def wallet_void(
    *, brand_id: int, player_id: int, currency: str, reservation_id: int, idempotency_key: str,
    details: dict | None = None,
) -> WalletResult:  # fmt: skip
    """Release a whole reservation back to the player's cash."""
    currency, key = _check_currency(brand_id, currency), _check_key(idempotency_key)
    _internal_only(brand_id, "voiding a reservation")

    def build(cursor, accounts, claimed):
        reserved, _ = _close_reservation(
            cursor, reservation_id=reservation_id, player_id=player_id, status="voided",
            committed=0,
        )  # fmt: skip
        return [Move(debit=accounts.reserved, credit=accounts.cash, amount=reserved)]

    return _apply(
        brand_id=brand_id, player_id=player_id, currency=currency, kind="void", key=key,
        amount=0, product="", build=build, reservation_id=reservation_id, details=details,
    )  # fmt: skip


def wallet_transfer(
    *, brand_id: int, player_id: int, currency: str, amount: int, source: str, target: str,
    idempotency_key: str,
) -> WalletResult:  # fmt: skip
    """Move ``amount`` between the player's own cash and bonus accounts."""
    amount, currency = _check_amount(amount), _check_currency(brand_id, currency)
    _internal_only(brand_id, "a transfer between accounts")
    key = _check_key(idempotency_key)
    if {source, target} != {"cash", "bonus"}:
        raise InvalidRequest("transfers go between the cash and bonus accounts")

    def build(cursor, accounts, claimed):
        return [Move(debit=accounts.of(source), credit=accounts.of(target), amount=amount)]

    return _apply(
        brand_id=brand_id, player_id=player_id, currency=currency, kind="transfer", key=key,
        amount=amount, product="", build=build, fingerprint_extra={"from": source, "to": target},
        details={"from": source, "to": target},
    )  # fmt: skip


def wallet_adjust(
    *, brand_id: int, player_id: int, currency: str, amount: int, direction: str, reason: str,
    staff: str, idempotency_key: str,
) -> WalletResult:  # fmt: skip
    """A manual correction by staff, with a mandatory reason, against the adjustments account."""
    amount, currency = _check_amount(amount), _check_currency(brand_id, currency)
    _internal_only(brand_id, "a manual adjustment")
    key = _check_key(idempotency_key)
    if direction not in {"credit", "debit"}:
        raise InvalidRequest("direction must be credit or debit")
    if not reason or not reason.strip():
        raise InvalidRequest("an adjustment needs a reason")
    if not staff:
        raise InvalidRequest("an adjustment needs the staff member who made it")

    def build(cursor, accounts, claimed):
        house = _house(cursor, "adjustments", accounts, currency, player_id)
        if direction == "credit":
            return [Move(debit=house, credit=accounts.cash, amount=amount)]
        return [Move(debit=accounts.cash, credit=house, amount=amount)]

    return _apply(
        brand_id=brand_id, player_id=player_id, currency=currency, kind="adjust", key=key,
        amount=amount, product="adjustments", build=build,
        details={"direction": direction, "reason": reason.strip(), "staff": staff},
        fingerprint_extra={"direction": direction, "reason": reason.strip(), "staff": staff},
    )  # fmt: skip


def wallet_balance(*, brand_id: int, player_id: int, currency: str) -> Balance:
    currency = _check_currency(brand_id, currency)
    using = _shard_of_player(player_id)
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT kind, balance, brand_id FROM wallet_account "
            "WHERE player_id = %s AND currency = %s",
            [player_id, currency],
        )
        rows = cursor.fetchall()
    if rows and rows[0][2] != brand_id:
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
    currency, product = _check_currency(brand_id, currency), _check_product(product)
    if not credits:
        return 0
    if _brand_wallet(brand_id).operator is not None:
        for c in credits:
            wallet_credit(brand_id=brand_id, player_id=c.player_id, currency=currency,
                          amount=c.amount, product=product, idempotency_key=c.idempotency_key,
                          details=c.details)  # fmt: skip
        return len(credits)
    for c in credits:
        _check_amount(c.amount)
        _check_key(c.idempotency_key)
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
                or ledger.player_accounts(cursor, using, brand_id=brand_id,
                                          player_id=c.player_id, currency=currency)
                for c in chunk
            ]  # fmt: skip
            if any(a.brand_id != brand_id for a in accounts):
                raise UnknownPlayer("a player of another brand")
            houses = []  # the house's bulk stripes: single postings do not wait for these
            for a, c in zip(accounts, chunk, strict=True):
                stripe = c.player_id % ledger.HOUSE_STRIPES
                if stripe not in houses_by_stripe:
                    houses_by_stripe[stripe] = _house(cursor, product, a, currency, c.player_id,
                                                      bulk=True)  # fmt: skip
                houses.append(houses_by_stripe[stripe])
            prints = [
                request_print(kind="credit", player_id=c.player_id, currency=currency,
                              amount=c.amount, product=product)
                for c in chunk
            ]  # fmt: skip
            with posting_errors():
                cursor.execute(
                    _CREDIT_MANY,
                    [
                        [c.player_id for c in chunk], [c.idempotency_key for c in chunk], prints,
                        [c.amount for c in chunk], houses, [a.cash for a in accounts],
                        [a.cash for a in accounts], [a.bonus for a in accounts],
                        [a.reserved for a in accounts],
                        [json.dumps(c.details or {}) for c in chunk],
                        brand_id, currency, product,
                    ],
                )  # fmt: skip
            for player_id, replayed, balances in cursor.fetchall():
                if replayed:
                    continue
                applied += 1
                cash, bonus, reserved = balances
                push_balance(
                    using=using, brand_id=brand_id, player_id=player_id, kind="credit",
                    balance=Balance(currency=currency, cash=cash, bonus=bonus, reserved=reserved),
                )  # fmt: skip
    return applied
