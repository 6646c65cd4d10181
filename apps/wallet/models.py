"""The ledger on each shard: accounts, operations (the idempotent unit) and transfers.

A transfer moves a positive amount from one account (debit) to another (credit) of the same
currency, so every transfer is balanced by construction and the balances of a shard sum to zero
per currency. Transfers are immutable (a database trigger refuses UPDATE and DELETE). Player
balances can never go below zero: a CHECK constraint refuses it, whatever the code does.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Func, Q

from shards.models import ShardModel


class Account(ShardModel):
    class Kind(models.TextChoices):
        CASH = "cash"
        BONUS = "bonus"
        RESERVED = "reserved"
        HOUSE = "house"

    class Product(models.TextChoices):
        NONE = ""
        SPORTSBOOK = "sportsbook"
        CASINO = "casino"
        PAYMENTS = "payments"
        ADJUSTMENTS = "adjustments"
        OPERATOR = "operator"  # external wallet mode: what the operator's wallet holds for us

    brand_id = models.IntegerField()
    player_id = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    product = models.CharField(max_length=12, choices=Product.choices, blank=True, default="")
    stripe = models.SmallIntegerField(default=0)
    currency = models.CharField(max_length=3)
    balance = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["player_id", "currency", "kind"],
                condition=Q(player_id__isnull=False),
                name="wallet_player_account",
            ),
            models.UniqueConstraint(
                fields=["brand_id", "currency", "product", "stripe"],
                condition=Q(kind="house"),
                name="wallet_house_account",
            ),
            models.CheckConstraint(
                condition=Q(kind="house") | Q(balance__gte=0),
                name="wallet_player_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(kind="house", player_id__isnull=True) & ~Q(product=""))
                | (~Q(kind="house") & Q(player_id__isnull=False, product="", stripe=0)),
                name="wallet_account_owner",
            ),
        ]

    def __str__(self) -> str:
        owner = f"player {self.player_id}" if self.player_id else f"house {self.product}"
        return f"{owner} {self.kind} {self.currency}"


class Operation(ShardModel):
    """One wallet request, applied once: its idempotency key is unique per brand."""

    class Kind(models.TextChoices):
        CREDIT = "credit"
        DEBIT = "debit"
        RESERVE = "reserve"
        COMMIT = "commit"
        VOID = "void"
        TRANSFER = "transfer"
        ADJUST = "adjust"

    shard_key = "player_id"

    id = models.BigIntegerField(primary_key=True, db_default=Func(function="platform_next_id"))
    brand_id = models.IntegerField()
    player_id = models.BigIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    product = models.CharField(max_length=12, blank=True, default="")
    reservation_id = models.BigIntegerField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_default=Func(function="now"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["brand_id", "idempotency_key"], name="wallet_operation_idempotency"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="wallet_operation_amount"),
        ]
        indexes = [models.Index(fields=["player_id", "-id"], name="wallet_op_player_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} ({self.idempotency_key})"


class Transfer(ShardModel):
    """An immutable posting: ``amount`` from ``debit_account`` to ``credit_account``."""

    # No foreign-key constraints on the hot insert: postings only reference the operation they
    # just claimed and the accounts they just updated (an UPDATE that finds no row aborts the
    # posting), and ledger_check verifies every reference.
    operation = models.ForeignKey(
        Operation, on_delete=models.DO_NOTHING, related_name="transfers", db_constraint=False
    )
    debit_account = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    credit_account = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    debit_balance_after = models.BigIntegerField()
    credit_balance_after = models.BigIntegerField()
    created_at = models.DateTimeField(db_default=Func(function="now"))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="wallet_transfer_positive"),
            models.CheckConstraint(
                condition=~Q(debit_account=F("credit_account")), name="wallet_transfer_two_accounts"
            ),
        ]
        indexes = [
            models.Index(fields=["debit_account", "id"], name="wallet_transfer_debit"),
            models.Index(fields=["credit_account", "id"], name="wallet_transfer_credit"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}: {self.debit_account_id} -> {self.credit_account_id}"


class Reservation(ShardModel):
    """Funds held in the player's reserved account until committed, voided or expired."""

    class Status(models.TextChoices):
        OPEN = "open"
        COMMITTED = "committed"
        VOIDED = "voided"

    shard_key = "player_id"

    id = models.BigIntegerField(primary_key=True, help_text="the id of the reserving operation")
    brand_id = models.IntegerField()
    player_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    product = models.CharField(max_length=12)
    amount = models.BigIntegerField()
    committed_amount = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="wallet_reservation_amount"),
            models.CheckConstraint(
                condition=Q(committed_amount__gte=0, committed_amount__lte=F("amount")),
                name="wallet_reservation_committed",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(status="open"), name="wallet_reservation_open"
            )
        ]

    def __str__(self) -> str:
        return f"reservation {self.id} {self.amount} {self.currency} {self.status}"


class ExternalCall(ShardModel):
    """The state of one operation in external wallet mode, as agreed with the operator's wallet.

    ``pending``: asked, no answer yet; ``applied``: both sides moved the money; ``refused``: the
    operator said no and neither side moved it; ``rolling_back``: a debit failed or timed out and
    its rollback is being retried until the operator acknowledges it; ``rolled_back``: done.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        APPLIED = "applied"
        REFUSED = "refused"
        ROLLING_BACK = "rolling_back"
        ROLLED_BACK = "rolled_back"

    shard_key = "player_id"

    id = models.BigIntegerField(primary_key=True, help_text="the operation's id")
    brand_id = models.IntegerField()
    player_id = models.BigIntegerField()
    kind = models.CharField(max_length=10)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.PENDING)
    refusal = models.CharField(max_length=60, blank=True)
    operator_balance = models.BigIntegerField(null=True, blank=True)
    attempts = models.IntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(db_default=Func(function="now"))
    updated_at = models.DateTimeField(db_default=Func(function="now"))

    class Meta:
        indexes = [
            models.Index(
                fields=["updated_at"],
                condition=Q(status__in=["pending", "rolling_back"]),
                name="wallet_external_unsettled",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}: {self.status}"
