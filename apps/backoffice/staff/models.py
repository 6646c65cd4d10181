"""Staff controls on money, kept beside the staff they apply to (the platform's staff in the
public schema, a brand's in its schema): each role's adjustment limits, and the adjustments that
wait for a second staff member's approval (four eyes).

A role is a group; its limit row says how much one adjustment by its members may move. Plain
ids name the player and brand (their rows live elsewhere); the wallet's operation is named by its
id once posted.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

DIRECTIONS = [("credit", "credit: pay the player"), ("debit", "debit: take from the player")]


class RoleLimit(models.Model):
    """What one adjustment by a member of ``group`` may move, in minor units of the player's
    currency. A staff member in several limited roles gets the largest of their limits."""

    group = models.OneToOneField(
        "auth.Group", on_delete=models.CASCADE, related_name="role_limit", verbose_name="role"
    )
    adjust_limit = models.BigIntegerField(
        validators=[MinValueValidator(0)],
        help_text="the most one adjustment may move (minor units); above it is refused",
    )
    approval_above = models.BigIntegerField(
        validators=[MinValueValidator(0)],
        help_text="above this (minor units) an adjustment waits for another staff member's "
        "approval before it is posted",
    )

    class Meta:
        verbose_name = "role limit"
        constraints = [
            models.CheckConstraint(
                condition=Q(adjust_limit__gte=0, approval_above__gte=0),
                name="rolelimit_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.group}: up to {self.adjust_limit}, approval above {self.approval_above}"


class AdjustmentRequest(models.Model):
    """An adjustment above its requester's approval threshold: nothing is posted until a second
    staff member (never the requester) approves it, and then exactly once."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    brand_id = models.BigIntegerField()
    player_id = models.BigIntegerField()
    login_name = models.CharField(max_length=150)
    currency = models.CharField(max_length=3)
    direction = models.CharField(max_length=6, choices=DIRECTIONS)
    amount = models.BigIntegerField(help_text="minor units")
    reason = models.CharField(max_length=500)
    # The adjustment form's key: submitting one form twice makes one request.
    form_key = models.UUIDField(unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    operation_id = models.BigIntegerField(null=True, blank=True, help_text="the wallet's operation")

    class Meta:
        ordering = ["-requested_at"]
        permissions = [
            ("approve_adjustmentrequest", "Can approve or reject another staff member's adjustment")
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="adjustmentrequest_amount_gt_0"),
            # Four eyes, in the database too: whoever decides is not whoever asked.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="adjustmentrequest_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, operation_id__isnull=True)
                | Q(status="rejected", decided_by__isnull=False, operation_id__isnull=True)
                | Q(status="approved", decided_by__isnull=False, operation_id__isnull=False),
                name="adjustmentrequest_decision_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.amount} {self.currency} for {self.login_name}"
