"""What staff do to a player from the player's page: block, unblock, close the account, set a
stake limit, assign a risk group, add a note. Each action (notes aside, which are their own
record) writes a ``PlayerAudit`` entry: who, when, what (before and after) and the reason, which
is mandatory.

The account and its limits live on the player's shard, the audit in the global database: no
transaction spans both, so the audit row is written in a global transaction that stays open
around the shard's change and is rolled back when the change does not happen (a refusal, an
error). Blocking and closing are immediate: the player's sessions end (``player_block``,
``player_close``) and, once that is done, their open sockets are closed (``player_disconnect``);
placement refuses an inactive account in the bet's own transaction (``players_lock_for_bet``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from apps.backoffice.models import PlayerAudit, PlayerNote
from apps.bets.models import LIMIT_KINDS, LIMIT_PERIODS, PlayerLimit, PlayerRisk, RiskGroup
from apps.bets.risk_groups import STANDARD
from apps.players.services import (
    player_account,
    player_block,
    player_close,
    player_unblock,
)
from apps.realtime.notify import player_disconnect
from betting.currencies import money
from shards import map as shard_map
from shards.map import GLOBAL_ALIAS

MAX_REASON = 500
MAX_NOTE = 2000


class PlayerActionRefused(Exception):
    """The action was not taken and nothing was written; ``code`` says why."""

    def __init__(self, code: str, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status


@dataclass(frozen=True)
class Staff:
    """Who acts: ``name`` is ``schema:username`` (brand and platform staff may share names)."""

    name: str


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise PlayerActionRefused("reason_required", "give a reason: it is kept in the audit")
    if len(text) > MAX_REASON:
        raise PlayerActionRefused("reason_too_long", f"at most {MAX_REASON} characters")
    return text


def _status(brand_id: int, player_id: int) -> str:
    account = player_account(brand_id=brand_id, player_id=player_id)
    if account is None:
        raise PlayerActionRefused("unknown_player", "no such player", 404)
    return account.status


# What each status change needs the account to be, and the refusal otherwise.
_FROM = {
    "block": ({"active"}, "not_active", "only an active account can be blocked"),
    "unblock": ({"blocked"}, "not_blocked", "only a blocked account can be unblocked"),
    "close": ({"active", "blocked"}, "already_closed", "this account is closed already"),
}
_DO = {"block": player_block, "unblock": player_unblock, "close": player_close}
_TO = {"block": "blocked", "unblock": "active", "close": "closed"}


def player_status_change(
    *, staff: Staff, brand_id: int, player_id: int, action: str, reason: str
) -> PlayerAudit:
    """Block, unblock or close the account (``action``), audited with ``reason``. A blocked or
    closed player's sessions end and their sockets close at once. PlayerActionRefused when the
    account is not in a state the action applies to (a closed account is never unblocked)."""
    if action not in _DO:
        raise PlayerActionRefused("unknown_action", f"no action {action!r}")
    text = _reason(reason)
    before = _status(brand_id, player_id)
    allowed, code, message = _FROM[action]
    if before not in allowed:
        raise PlayerActionRefused(code, f"{message} (it is {before})", 409)
    with transaction.atomic(using=GLOBAL_ALIAS):
        audit = PlayerAudit.objects.create(
            brand_id=brand_id,
            player_id=player_id,
            staff=staff.name,
            action=action,
            reason=text,
            details={"before": before, "after": _TO[action]},
        )
        if not _DO[action](brand_id=brand_id, player_id=player_id):
            # Changed by someone else between the read and now: nothing done, nothing audited.
            raise PlayerActionRefused(code, f"{message} (it changed meanwhile)", 409)
    if action in ("block", "close"):
        player_disconnect(brand_id=brand_id, player_id=player_id, status=_TO[action])
    return audit


def player_note_add(*, staff: Staff, brand_id: int, player_id: int, text: str) -> PlayerNote:
    body = (text or "").strip()
    if not body:
        raise PlayerActionRefused("note_empty", "a note needs some text")
    if len(body) > MAX_NOTE:
        raise PlayerActionRefused("note_too_long", f"a note has at most {MAX_NOTE} characters")
    _status(brand_id, player_id)
    with transaction.atomic(using=GLOBAL_ALIAS):
        return PlayerNote.objects.create(
            brand_id=brand_id, player_id=player_id, staff=staff.name, text=body
        )


def _figure(amount: int | None, currency: str) -> str | None:
    return None if amount is None else f"{money(amount, currency)} {currency}"


def player_limit_set(
    *,
    staff: Staff,
    brand_id: int,
    player_id: int,
    currency: str,
    kind: str,
    period: str,
    amount: int | None,
    reason: str,
) -> PlayerAudit:
    """Set the player's wager or loss limit over a period to ``amount`` (minor units), or
    remove it (``amount`` None), audited with the values before and after."""
    if kind not in dict(LIMIT_KINDS) or period not in dict(LIMIT_PERIODS):
        raise PlayerActionRefused("invalid_limit", "no such kind of limit or period")
    if amount is not None and amount < 0:
        raise PlayerActionRefused("invalid_amount", "a limit is not negative")
    text = _reason(reason)
    _status(brand_id, player_id)
    using = shard_map.alias_for(player_id)
    with transaction.atomic(using=GLOBAL_ALIAS), transaction.atomic(using=using):
        current = (
            PlayerLimit.objects.using(using)
            .select_for_update()
            .filter(player_id=player_id, kind=kind, period=period)
            .first()
        )
        before = current.amount if current else None
        if before == amount:
            raise PlayerActionRefused("unchanged", "the limit is that already", 409)
        if amount is None:
            current.delete()
        elif current is None:
            PlayerLimit.objects.using(using).create(
                player_id=player_id, kind=kind, period=period, amount=amount
            )
        else:
            current.amount = amount
            current.save(using=using, update_fields=["amount", "set_at"])
        return PlayerAudit.objects.create(
            brand_id=brand_id,
            player_id=player_id,
            staff=staff.name,
            action="limits",
            reason=text,
            details={
                "kind": kind,
                "period": period,
                "before": before,
                "after": amount,
                "currency": currency,
                "before_shown": _figure(before, currency),
                "after_shown": _figure(amount, currency),
            },
        )


def player_risk_assign(
    *, staff: Staff, brand_id: int, player_id: int, currency: str, group: str, reason: str
) -> PlayerAudit:
    """Put the player in one of the brand's risk groups (``RiskGroup``), or back in the standard
    one: their row on the shard takes the group's figures (the stake factor and the group's
    maximum stake), which later changes of the group keep up to date (``bets.risk_groups``).
    Audited with the values before and after."""
    if group == STANDARD:
        stake_factor, max_stake = Decimal(1), None
    else:
        found = RiskGroup.objects.filter(brand_id=brand_id, name=group).first()
        if found is None:
            raise PlayerActionRefused("unknown_group", f"the brand has no risk group {group!r}")
        stake_factor, max_stake = found.stake_factor, found.max_stake
    text = _reason(reason)
    _status(brand_id, player_id)
    using = shard_map.alias_for(player_id)
    with transaction.atomic(using=GLOBAL_ALIAS), transaction.atomic(using=using):
        risk = PlayerRisk.objects.using(using).select_for_update().filter(player_id=player_id)
        current = risk.first()
        before = (
            {
                "group": current.group,
                "stake_factor": str(current.stake_factor),
                "max_stake": current.max_stake,
            }
            if current
            else None
        )
        after = {"group": group, "stake_factor": str(stake_factor), "max_stake": max_stake}
        if current is None:
            PlayerRisk.objects.using(using).create(
                player_id=player_id, group=group, stake_factor=stake_factor, max_stake=max_stake
            )
        else:
            risk.update(group=group, stake_factor=stake_factor, max_stake=max_stake)
        return PlayerAudit.objects.create(
            brand_id=brand_id,
            player_id=player_id,
            staff=staff.name,
            action="risk",
            reason=text,
            details={"before": before, "after": after, "currency": currency},
        )
