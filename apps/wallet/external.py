"""External (seamless) wallet mode: the operator's wallet approves every money movement.

The local ledger keeps the shadow copy: a debit the operator approved moves the amount from the
brand's ``operator`` house account (what the operator's wallet holds for the platform) to the
product's house account; a credit moves it back. The player's local cash is not used.

* **Debit**: record the operation as ``pending``, ask the operator, then post the shadow and
  mark it ``applied``. A refusal marks it ``refused`` (nothing moved on either side). A time-out
  or failure marks it ``rolling_back``: the shard's pool sends a rollback until the operator
  acknowledges it, so neither side keeps the money.
* **Credit** (a payout the platform owes): post the shadow and record it ``pending`` in one
  transaction, then deliver it; a failed delivery is retried by the shard's pool until the
  operator acknowledges it. A refusal reverses the shadow and marks it ``refused``.
* A sweeper on each shard's pool picks up operations left ``pending`` by a crash.

The shard pool's tasks that retry a rollback or a credit until the operator acknowledges it are
defined here, beside the calls they repeat (``apps.wallet.tasks`` lists them for Celery).
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import connections, transaction

from apps.wallet import ledger
from apps.wallet import operator_protocol as protocol
from apps.wallet.brand_config import OperatorWallet, operator_wallet
from apps.wallet.errors import ExternalWalletRefused, ExternalWalletUnavailable
from apps.wallet.ledger import Move
from apps.wallet.results import Balance, WalletResult
from shards import map as shard_map
from shards.tasks import shard_task

STALE_PENDING_S = 30


def _result(op_id: int, kind: str, amount: int, currency: str, balance: int | None, replayed: bool):
    return WalletResult(
        operation_id=op_id,
        kind=kind,
        amount=amount,
        currency=currency,
        balance=Balance(currency=currency, cash=balance or 0, bonus=0, reserved=0),
        replayed=replayed,
    )


def _shadow(
    cursor,
    using: str,
    *,
    op_id: int,
    brand_id: int,
    player_id: int,
    currency: str,
    product: str,
    amount: int,
    to_house: bool,
) -> None:
    """Post the local shadow of a movement at the operator: between the brand's ``operator``
    account and the product's house account (``to_house``: the platform received the money)."""
    operator, house = (
        ledger.house_account(
            cursor, using, brand_id=brand_id, currency=currency, product=name, player_id=player_id
        )
        for name in ("operator", product)
    )
    source, target = (operator, house) if to_house else (house, operator)
    ledger.post(
        cursor,
        operation_id=op_id,
        currency=currency,
        moves=[Move(debit=source, credit=target, amount=amount)],
    )


def _set_status(
    using: str, op_id: int, status: str, *, only_from: tuple[str, ...], **fields
) -> bool:
    assignments = ", ".join(f"{name} = %s" for name in fields)
    extra = f", {assignments}" if fields else ""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"UPDATE wallet_externalcall SET status = %s, updated_at = now(){extra} "  # noqa: S608
            "WHERE id = %s AND status = ANY(%s) RETURNING id",
            [status, *fields.values(), op_id, list(only_from)],
        )
        return cursor.fetchone() is not None


def _claim(cursor, using, *, kind, brand_id, player_id, currency, amount, product, key, details):
    ledger.player_accounts(cursor, using, brand_id=brand_id, player_id=player_id, currency=currency)
    request_print = ledger.fingerprint(
        {
            "kind": kind,
            "player": player_id,
            "currency": currency,
            "amount": amount,
            "product": product,
            "external": True,
        }
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
        details=details,
    )
    if not claimed.replayed:
        cursor.execute(
            "INSERT INTO wallet_externalcall (id, brand_id, player_id, kind, amount, currency, "
            "status, refusal, attempts, last_error) "
            "VALUES (%s, %s, %s, %s, %s, %s, 'pending', '', 0, '')",
            [claimed.operation_id, brand_id, player_id, kind, amount, currency],
        )
        return claimed, None
    cursor.execute(
        "SELECT status, refusal, operator_balance FROM wallet_externalcall WHERE id = %s",
        [claimed.operation_id],
    )
    return claimed, cursor.fetchone()


def _payload(op_id: int, player_id: int, amount: int, currency: str, reason: str) -> dict:
    return {
        "transaction_id": str(op_id),
        "player_id": str(player_id),
        "amount": amount,
        "currency": currency,
        "reason": reason,
    }


def external_debit(
    wallet: OperatorWallet,
    *,
    brand_id: int,
    player_id: int,
    currency: str,
    amount: int,
    product: str,
    key: str,
    details: dict | None,
) -> WalletResult:
    using = shard_map.alias_for(player_id)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        claimed, known = _claim(
            cursor,
            using,
            kind="debit",
            brand_id=brand_id,
            player_id=player_id,
            currency=currency,
            amount=amount,
            product=product,
            key=key,
            details=details,
        )
    op_id = claimed.operation_id
    if known is not None:
        status, refusal, balance = known
        if status == "applied":
            return _result(op_id, "debit", amount, currency, balance, replayed=True)
        if status == "refused":
            raise ExternalWalletRefused(f"the operator's wallet refused: {refusal}")
        raise ExternalWalletUnavailable("this debit did not go through and is being rolled back")
    reason = (details or {}).get("reason", "bet")
    try:
        answer = protocol.call(
            wallet.url, wallet.key, "debit", _payload(op_id, player_id, amount, currency, reason)
        )
    except protocol.OperatorUnavailable as exc:
        rollback_start(using=using, op_id=op_id, player_id=player_id, error=str(exc))
        raise ExternalWalletUnavailable(
            "the operator's wallet did not answer; the debit is being rolled back"
        ) from None
    if not answer.ok:
        _set_status(using, op_id, "refused", only_from=("pending",), refusal=answer.code)
        raise ExternalWalletRefused(f"the operator's wallet refused: {answer.code}")
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        if not _set_status(
            using, op_id, "applied", only_from=("pending",), operator_balance=answer.balance
        ):
            # The sweeper gave up on it meanwhile: its rollback will undo the operator's side.
            raise ExternalWalletUnavailable("the debit timed out and is being rolled back")
        _shadow(
            cursor,
            using,
            op_id=op_id,
            brand_id=brand_id,
            player_id=player_id,
            currency=currency,
            product=product,
            amount=amount,
            to_house=True,
        )
    return _result(op_id, "debit", amount, currency, answer.balance, replayed=False)


def external_credit(
    wallet: OperatorWallet,
    *,
    brand_id: int,
    player_id: int,
    currency: str,
    amount: int,
    product: str,
    key: str,
    details: dict | None,
) -> WalletResult:
    using = shard_map.alias_for(player_id)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        claimed, known = _claim(
            cursor,
            using,
            kind="credit",
            brand_id=brand_id,
            player_id=player_id,
            currency=currency,
            amount=amount,
            product=product,
            key=key,
            details=details,
        )
        if known is None:
            _shadow(
                cursor,
                using,
                op_id=claimed.operation_id,
                brand_id=brand_id,
                player_id=player_id,
                currency=currency,
                product=product,
                amount=amount,
                to_house=False,
            )
    op_id = claimed.operation_id
    if known is not None:
        status, refusal, balance = known
        if status == "refused":
            raise ExternalWalletRefused(f"the operator's wallet refused: {refusal}")
        return _result(op_id, "credit", amount, currency, balance, replayed=True)
    delivered = credit_deliver(using=using, op_id=op_id)
    if delivered == "refused":
        raise ExternalWalletRefused("the operator's wallet refused the credit")
    if delivered == "unavailable":
        schedule_credit(player_id=player_id, op_id=op_id)
    return _result(op_id, "credit", amount, currency, None, replayed=False)


class _Call(NamedTuple):
    brand_id: int
    player_id: int
    kind: str
    amount: int
    currency: str
    status: str
    product: str


def _load(using: str, op_id: int) -> _Call | None:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.brand_id, c.player_id, c.kind, c.amount, c.currency, c.status, o.product "
            "FROM wallet_externalcall c JOIN wallet_operation o ON o.id = c.id WHERE c.id = %s",
            [op_id],
        )
        row = cursor.fetchone()
    return _Call._make(row) if row is not None else None


def _note_failure(using: str, op_id: int, error: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "UPDATE wallet_externalcall SET attempts = attempts + 1, last_error = %s, "
            "updated_at = now() WHERE id = %s",
            [error[:300], op_id],
        )


def credit_deliver(*, using: str, op_id: int) -> str:
    """Deliver a pending credit once: ``applied``, ``refused``, ``unavailable`` or ``done``."""
    call = _load(using, op_id)
    if call is None or call.status != "pending":
        return "done"
    brand_id, player_id, _, amount, currency, _, product = call
    wallet = operator_wallet(brand_id)
    try:
        answer = protocol.call(
            wallet.url,
            wallet.key,
            "credit",
            _payload(op_id, player_id, amount, currency, "settle"),
        )
    except protocol.OperatorUnavailable as exc:
        _note_failure(using, op_id, str(exc))
        return "unavailable"
    if answer.ok:
        _set_status(
            using, op_id, "applied", only_from=("pending",), operator_balance=answer.balance
        )
        return "applied"
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        if _set_status(using, op_id, "refused", only_from=("pending",), refusal=answer.code):
            _shadow(
                cursor,
                using,
                op_id=op_id,
                brand_id=brand_id,
                player_id=player_id,
                currency=currency,
                product=product,
                amount=amount,
                to_house=True,
            )
    return "refused"


def rollback_start(*, using: str, op_id: int, player_id: int, error: str) -> None:
    """Give up on a debit: mark it for rollback and have the shard's pool send the rollback."""
    with transaction.atomic(using=using):
        if _set_status(
            using, op_id, "rolling_back", only_from=("pending",), last_error=error[:300]
        ):
            transaction.on_commit(
                lambda: schedule_rollback(player_id=player_id, op_id=op_id), using=using
            )


def rollback_send(*, using: str, op_id: int) -> bool:
    """Send the rollback of a failed debit once; True when the operator acknowledged it."""
    call = _load(using, op_id)
    if call is None or call.status != "rolling_back":
        return True
    brand_id, player_id, _, amount, currency, _, _ = call
    wallet = operator_wallet(brand_id)
    payload = {
        **_payload(op_id, player_id, amount, currency, "rollback"),
        "transaction_id": f"{op_id}-rollback",
        "reference_transaction_id": str(op_id),
    }
    try:
        answer = protocol.call(wallet.url, wallet.key, "rollback", payload)
    except protocol.OperatorUnavailable as exc:
        _note_failure(using, op_id, str(exc))
        return False
    if not answer.ok:
        _note_failure(using, op_id, f"rollback refused: {answer.code}")
        return False
    _set_status(using, op_id, "rolled_back", only_from=("rolling_back",))
    return True


@shard_task(bind=True, name="wallet.external_rollback", max_retries=None, acks_late=True)
def rollback_until_acknowledged(self, *, player_id: int, operation_id: int) -> None:
    """Send a failed debit's rollback until the operator's wallet acknowledges it."""
    if not rollback_send(using=shard_map.alias_for(player_id), op_id=operation_id):
        raise self.retry(countdown=min(60, 2 ** min(self.request.retries, 6)))


@shard_task(bind=True, name="wallet.external_credit", max_retries=None, acks_late=True)
def credit_until_acknowledged(self, *, player_id: int, operation_id: int) -> None:
    """Deliver a credit the platform owes until the operator's wallet acknowledges it."""
    outcome = credit_deliver(using=shard_map.alias_for(player_id), op_id=operation_id)
    if outcome == "unavailable":
        raise self.retry(countdown=min(60, 2 ** min(self.request.retries, 6)))


def schedule_rollback(*, player_id: int, op_id: int) -> None:
    rollback_until_acknowledged.delay(player_id=player_id, operation_id=op_id)


def schedule_credit(*, player_id: int, op_id: int) -> None:
    credit_until_acknowledged.delay(player_id=player_id, operation_id=op_id)


def unsettled_sweep(*, shard: int) -> int:
    """Pick up what a crash left behind: stale pending debits are rolled back, stale pending
    credits redelivered, stale rollbacks re-sent. The number of operations rescheduled."""
    using = shard_map.alias(shard)
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT id, player_id, kind, status FROM wallet_externalcall "
            "WHERE status IN ('pending', 'rolling_back') "
            "AND updated_at < now() - make_interval(secs => %s) ORDER BY updated_at LIMIT 500",
            [STALE_PENDING_S],
        )
        stale = cursor.fetchall()
    for op_id, player_id, kind, status in stale:
        if status == "rolling_back":
            _note_failure(using, op_id, "rollback re-sent by the sweeper")
            schedule_rollback(player_id=player_id, op_id=op_id)
        elif kind == "debit":
            rollback_start(using=using, op_id=op_id, player_id=player_id, error="no answer in time")
        else:
            _note_failure(using, op_id, "credit re-sent by the sweeper")
            schedule_credit(player_id=player_id, op_id=op_id)
    return len(stale)
