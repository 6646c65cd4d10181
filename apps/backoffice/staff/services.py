"""Staff controls: TOTP enrolment, and adjustments under per-role limits and four-eyes approval.

``adjustment_submit`` decides what happens to an adjustment a staff member asks for: above their
limit it is refused; above their approval threshold it becomes a pending request and nothing is
posted; otherwise it is posted at once. ``adjustment_approve`` posts a pending request once a
second staff member with the approval permission agrees (never its requester); approving it again
posts nothing more (the wallet's idempotency key is the request's own id).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.backoffice.staff.models import AdjustmentRequest, RoleLimit
from apps.wallet import api
from betting.currencies import money
from shards.map import GLOBAL_ALIAS

APPROVE_PERMISSION = "staff.approve_adjustmentrequest"
DIRECT_KEY_PREFIX = "backoffice-adjust:"
APPROVED_KEY_PREFIX = "backoffice-approved:"


class AdjustmentRefused(Exception):
    """The adjustment was not made, and nothing was written; ``code`` says why."""

    def __init__(self, code: str, message: str, http_status: int = 403) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status


class DeviceExists(Exception):
    """The staff member has a TOTP device already."""


@dataclass(frozen=True)
class StaffLimits:
    adjust_limit: int  # the most one adjustment may move (minor units)
    approval_above: int  # above this, a second staff member approves first


@dataclass(frozen=True)
class Submitted:
    """A posted adjustment (``result``) or one waiting for approval (``pending``)."""

    result: api.WalletResult | None = None
    pending: AdjustmentRequest | None = None
    replayed: bool = False  # the same form was submitted before: nothing new was made


def staff_limits(*, user: AbstractBaseUser) -> StaffLimits:
    """The user's limits: the largest of their roles' limits, else the platform's defaults. A
    superuser has no adjustment limit of their own, but the approval threshold holds for them."""
    rows = list(RoleLimit.objects.filter(group__user=user))
    if rows:
        limits = StaffLimits(
            adjust_limit=max(r.adjust_limit for r in rows),
            approval_above=max(r.approval_above for r in rows),
        )
    else:
        limits = StaffLimits(settings.STAFF_ADJUST_LIMIT, settings.STAFF_APPROVAL_ABOVE)
    if user.is_superuser:
        return StaffLimits(api.MAX_AMOUNT, limits.approval_above)
    return limits


def staff_name(*, schema: str, user: AbstractBaseUser) -> str:
    # Brand and platform staff may share a username: say whose it is.
    return f"{schema}:{user.get_username()}"


def adjustment_submit(
    *,
    user: AbstractBaseUser,
    schema: str,
    brand_id: int,
    player_id: int,
    login_name: str,
    currency: str,
    direction: str,
    amount: int,
    reason: str,
    form_key: uuid.UUID,
) -> Submitted:
    """Post the adjustment, queue it for approval, or refuse it (AdjustmentRefused), by the
    user's limits. Wallet refusals (WalletError) pass through."""
    limits = staff_limits(user=user)
    if amount > limits.adjust_limit:
        raise AdjustmentRefused(
            "over_staff_limit",
            f"{money(amount, currency)} {currency} is above your adjustment limit of "
            f"{money(limits.adjust_limit, currency)} {currency}",
        )
    if amount <= limits.approval_above:
        result = api.wallet_adjust(
            brand_id=brand_id,
            player_id=player_id,
            currency=currency,
            amount=amount,
            direction=direction,
            reason=reason,
            staff=staff_name(schema=schema, user=user),
            idempotency_key=f"{DIRECT_KEY_PREFIX}{form_key}",
        )
        return Submitted(result=result)
    fields = {
        "brand_id": brand_id,
        "player_id": player_id,
        "login_name": login_name,
        "currency": currency,
        "direction": direction,
        "amount": amount,
        "reason": reason.strip(),
        "requested_by": user,
    }
    with transaction.atomic(using=GLOBAL_ALIAS):
        pending, created = AdjustmentRequest.objects.get_or_create(
            form_key=form_key, defaults=fields
        )
    if not created and any(
        getattr(pending, name) != value for name, value in fields.items() if name != "requested_by"
    ):
        raise api.IdempotencyKeyReused(
            f"adjustment form {form_key} was submitted with other values"
        )
    return Submitted(pending=pending, replayed=not created)


def adjustment_approve(
    *, request_id: int, user: AbstractBaseUser, schema: str
) -> tuple[AdjustmentRequest, api.WalletResult | None]:
    """Post a pending request's adjustment, as approved by ``user``. An approved request is
    returned as it is with no result (approving twice posts once); a rejected one, a request of
    the user's own, or one above the approver's own limit is refused (AdjustmentRefused).

    The request's row stays locked while the wallet posts: two approvals at once wait for each
    other. Should the process stop between the posting and the commit, the request stays pending
    and approving it again finds the posting (same key) instead of making another one.
    """
    if not user.has_perm(APPROVE_PERMISSION):
        raise AdjustmentRefused("approval_not_permitted", "you may not approve adjustments")
    with transaction.atomic(using=GLOBAL_ALIAS):
        pending = (
            AdjustmentRequest.objects.select_for_update()
            .select_related("requested_by")
            .get(pk=request_id)
        )
        if pending.status == AdjustmentRequest.Status.APPROVED:
            return pending, None
        if pending.status == AdjustmentRequest.Status.REJECTED:
            raise AdjustmentRefused("already_rejected", "this adjustment was rejected", 409)
        if pending.requested_by_id == user.pk:
            raise AdjustmentRefused(
                "four_eyes", "another staff member must approve your own adjustment"
            )
        if pending.amount > staff_limits(user=user).adjust_limit:
            raise AdjustmentRefused(
                "over_staff_limit", "this adjustment is above your own adjustment limit"
            )
        result = api.wallet_adjust(
            brand_id=pending.brand_id,
            player_id=pending.player_id,
            currency=pending.currency,
            amount=pending.amount,
            direction=pending.direction,
            reason=pending.reason,
            staff=staff_name(schema=schema, user=pending.requested_by),
            approved_by=staff_name(schema=schema, user=user),
            idempotency_key=f"{APPROVED_KEY_PREFIX}{schema}:{pending.pk}",
        )
        pending.status = AdjustmentRequest.Status.APPROVED
        pending.decided_by = user
        pending.decided_at = timezone.now()
        pending.operation_id = result.operation_id
        pending.save(update_fields=["status", "decided_by", "decided_at", "operation_id"])
    return pending, result


def adjustment_reject(*, request_id: int, user: AbstractBaseUser) -> AdjustmentRequest:
    """Close a pending request without posting anything (by another staff member than its
    requester, with the approval permission)."""
    with transaction.atomic(using=GLOBAL_ALIAS):
        pending = AdjustmentRequest.objects.select_for_update().get(pk=request_id)
        if pending.status != AdjustmentRequest.Status.PENDING:
            raise AdjustmentRefused("already_decided", f"this adjustment is {pending.status}", 409)
        if pending.requested_by_id == user.pk:
            raise AdjustmentRefused("four_eyes", "another staff member must decide your adjustment")
        if not user.has_perm(APPROVE_PERMISSION):
            raise AdjustmentRefused("approval_not_permitted", "you may not reject adjustments")
        pending.status = AdjustmentRequest.Status.REJECTED
        pending.decided_by = user
        pending.decided_at = timezone.now()
        pending.save(update_fields=["status", "decided_by", "decided_at"])
    return pending


def staff_totp_enrol(*, user: AbstractBaseUser, replace: bool = False) -> TOTPDevice:
    """A new TOTP device for ``user`` (in the schema in use), confirmed: its ``config_url`` is
    the otpauth:// URI to give to the staff member's authenticator app, once. Refuses when the
    user has a device already unless ``replace`` (a lost phone), which removes the old ones."""
    with transaction.atomic(using=GLOBAL_ALIAS):
        existing = TOTPDevice.objects.filter(user=user)
        if existing.exists():
            if not replace:
                raise DeviceExists(f"{user.get_username()} has a TOTP device already")
            existing.delete()
        return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
