"""Player accounts: register, authenticate, update the profile, change the password, block.

Everything that checks a password or can reveal whether a login name exists (login,
registration, the current password before a change) first reserves an attempt with the
throttle, before any hashing; the caller passes the client's address.

Registration touches two homes without a distributed transaction: the directory entry (global)
is written first and claims the login name; the account and its ``player.registered`` event are
then written in one transaction on the player's shard. If the shard write fails, the directory
entry is removed again.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from apps.brands.selectors import BrandRef
from apps.outbox.services import outbox_emit
from apps.players import throttle
from apps.players.models import DirectoryEntry, Player
from apps.players.session_registry import sessions_end
from shards import ids
from shards import map as shard_map

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,29}$")
REGISTERED = "player.registered"


class PlayerError(ValueError):
    """A request about a player account cannot be met. ``code`` is machine-readable."""

    def __init__(
        self, code: str, message: str, *, field: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.retry_after = retry_after


def _attempt(*, address: str, brand_id: int, login_name: str | None) -> throttle.Attempt:
    try:
        return throttle.attempt_reserve(address=address, brand_id=brand_id, login_name=login_name)
    except throttle.Throttled as exc:
        raise PlayerError(
            "too_many_attempts",
            f"too many attempts; try again in {exc.retry_after} seconds",
            retry_after=exc.retry_after,
        ) from None


@dataclass(frozen=True)
class PlayerRef:
    id: int
    brand_id: int
    username: str
    email: str
    display_name: str
    date_joined: datetime

    @property
    def shard(self) -> int:
        return ids.shard_of(self.id)

    @classmethod
    def of(cls, player: Player) -> PlayerRef:
        return cls(
            id=player.id,
            brand_id=player.brand_id,
            username=player.username,
            email=player.email,
            display_name=player.display_name,
            date_joined=player.date_joined,
        )


def shard_for_new_player(*, brand_id: int, login_name: str) -> int:
    """Placement of a new account: a stable hash of brand and login name over the shards."""
    return zlib.crc32(f"{brand_id}:{login_name}".encode()) % shard_map.shard_count()


def _allocate_id(using: str) -> int:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT platform_next_id()")
        return int(cursor.fetchone()[0])


def _validate_registration(username: str, email: str, password: str) -> None:
    if not USERNAME_RE.match(username):
        raise PlayerError(
            "invalid_username",
            "username must be 3-30 letters, digits, dots, hyphens or underscores",
            field="username",
        )
    try:
        validate_email(email)
    except ValidationError:
        raise PlayerError("invalid_email", "enter a valid e-mail address", field="email") from None
    try:
        validate_password(password, user=Player(username=username, email=email))
    except ValidationError as exc:
        raise PlayerError("weak_password", " ".join(exc.messages), field="password") from None


def player_register(
    *,
    brand: BrandRef,
    username: str,
    email: str,
    password: str,
    display_name: str = "",
    address: str | None = None,
) -> PlayerRef:
    """A new account. ``address``: the client's, for a registration from outside (throttled
    like a login, so that probing for taken names is no faster than logging in); None for the
    platform's own callers."""
    if address is not None:
        _attempt(address=address, brand_id=brand.id, login_name=None)
    username, email = username.strip(), email.strip()
    _validate_registration(username, email, password)
    login_name = username.lower()
    shard = shard_for_new_player(brand_id=brand.id, login_name=login_name)
    using = shard_map.alias(shard)
    player_id = _allocate_id(using)
    try:
        with transaction.atomic(using=shard_map.GLOBAL_ALIAS):
            entry = DirectoryEntry.objects.create(
                brand_id=brand.id, login_name=login_name, player_id=player_id, shard=shard
            )
    except IntegrityError:
        raise PlayerError("username_taken", "this username is taken", field="username") from None
    try:
        with transaction.atomic(using=using):
            player = Player(
                id=player_id,
                brand_id=brand.id,
                username=username,
                login_name=login_name,
                email=email,
                password=make_password(password),
                display_name=display_name.strip()[:60],
            )
            player.save(using=using, force_insert=True)
            outbox_emit(
                using=using,
                topic=REGISTERED,
                brand_id=brand.id,
                payload={"player_id": player_id, "brand_id": brand.id, "shard": shard},
            )
    except BaseException as exc:
        # Undo the directory entry only if the account really is not there: an error raised
        # after the commit (a dropped connection while committing) must not orphan an account.
        if not Player.objects.using(using).filter(pk=player_id).exists():
            DirectoryEntry.objects.filter(pk=entry.pk).delete()
        if isinstance(exc, IntegrityError):
            raise PlayerError(
                "username_taken", "this username is taken", field="username"
            ) from None
        raise
    return PlayerRef.of(player)


def player_authenticate(
    *, brand: BrandRef, username: str, password: str, address: str
) -> PlayerRef | None:
    """The player whose credentials these are, or None (taking similar time either way).

    Raises PlayerError ``too_many_attempts`` (with ``retry_after``), before any hashing, when the
    client's address, its subnet or the login name is over its limit.
    """
    attempt = _attempt(address=address, brand_id=brand.id, login_name=username)
    player = _check_credentials(brand=brand, username=username, password=password)
    if player is not None:
        throttle.attempt_succeeded(attempt)
    return player


def _check_credentials(*, brand: BrandRef, username: str, password: str) -> PlayerRef | None:
    entry = (
        DirectoryEntry.objects.filter(brand_id=brand.id, login_name=username.strip().lower())
        .only("player_id")
        .first()
    )
    player = None
    if entry is not None:
        player = (
            Player.objects.for_entity(entry.player_id)
            .filter(pk=entry.player_id, brand_id=brand.id, is_active=True)
            .first()
        )
    if player is None:
        make_password(password)
        return None
    if not check_password(password, player.password):
        return None
    Player.objects.for_entity(player.id).filter(pk=player.id).update(last_login=timezone.now())
    return PlayerRef.of(player)


def player_get(*, brand_id: int, player_id: int) -> PlayerRef | None:
    player = (
        Player.objects.for_entity(player_id)
        .filter(pk=player_id, brand_id=brand_id, is_active=True)
        .first()
    )
    return PlayerRef.of(player) if player else None


def _active_player(*, brand_id: int, player_id: int) -> Player:
    player = (
        Player.objects.for_entity(player_id)
        .filter(pk=player_id, brand_id=brand_id, is_active=True)
        .first()
    )
    if player is None:
        raise PlayerError("unknown_player", "no such player")
    return player


def _password_confirm(*, player: Player, password: str | None, address: str) -> None:
    """The player's current password, checked like a login (throttled, before hashing)."""
    if not password:
        raise PlayerError(
            "current_password_required", "enter your current password", field="current_password"
        )
    attempt = _attempt(address=address, brand_id=player.brand_id, login_name=player.login_name)
    if not check_password(password, player.password):
        raise PlayerError(
            "wrong_password", "the current password is not right", field="current_password"
        )
    throttle.attempt_succeeded(attempt)


def player_update_profile(
    *,
    brand_id: int,
    player_id: int,
    display_name: str | None = None,
    email: str | None = None,
    current_password: str | None = None,
    address: str = "",
    keep_session: str | None = None,
) -> PlayerRef:
    """Change the display name and the e-mail address. A new e-mail address needs the current
    password and ends the player's sessions but ``keep_session``."""
    changes: dict[str, str] = {}
    if display_name is not None:
        if len(display_name.strip()) > 60:
            raise PlayerError("invalid_display_name", "at most 60 characters", field="display_name")
        changes["display_name"] = display_name.strip()
    player = _active_player(brand_id=brand_id, player_id=player_id)
    new_email = email is not None and email.strip() != player.email
    if new_email:
        try:
            validate_email(email.strip())
        except ValidationError:
            raise PlayerError(
                "invalid_email", "enter a valid e-mail address", field="email"
            ) from None
        _password_confirm(player=player, password=current_password, address=address)
        changes["email"] = email.strip()
    using = shard_map.alias_for(player_id)
    with transaction.atomic(using=using):
        updated = (
            Player.objects.using(using)
            .filter(pk=player_id, brand_id=brand_id, is_active=True)
            .update(**changes)
            if changes
            else 1
        )
        if not updated:
            raise PlayerError("unknown_player", "no such player")
    if new_email:
        sessions_end(player_id=player_id, keep=keep_session)
    found = player_get(brand_id=brand_id, player_id=player_id)
    if found is None:
        raise PlayerError("unknown_player", "no such player")
    return found


def player_password_change(
    *,
    brand_id: int,
    player_id: int,
    current_password: str,
    new_password: str,
    address: str,
    keep_session: str | None = None,
) -> PlayerRef:
    """Set a new password after checking the current one; ends the player's sessions but
    ``keep_session``."""
    player = _active_player(brand_id=brand_id, player_id=player_id)
    _password_confirm(player=player, password=current_password, address=address)
    try:
        validate_password(new_password, user=player)
    except ValidationError as exc:
        raise PlayerError("weak_password", " ".join(exc.messages), field="new_password") from None
    using = shard_map.alias_for(player_id)
    with transaction.atomic(using=using):
        # Only over the hash just checked: of two changes at once, the second is refused.
        updated = (
            Player.objects.using(using)
            .filter(pk=player_id, brand_id=brand_id, is_active=True, password=player.password)
            .update(password=make_password(new_password))
        )
    if not updated:
        raise PlayerError(
            "wrong_password", "the current password is not right", field="current_password"
        )
    sessions_end(player_id=player_id, keep=keep_session)
    return PlayerRef.of(player)


def player_block(*, brand_id: int, player_id: int) -> bool:
    """Block the account: it cannot log in, and every session it has ends now. Whether it was
    active before."""
    using = shard_map.alias_for(player_id)
    with transaction.atomic(using=using):
        updated = (
            Player.objects.using(using)
            .filter(pk=player_id, brand_id=brand_id, is_active=True)
            .update(is_active=False)
        )
    sessions_end(player_id=player_id)
    return bool(updated)


def player_unblock(*, brand_id: int, player_id: int) -> bool:
    """Let a blocked account log in again. Whether it was blocked before."""
    using = shard_map.alias_for(player_id)
    with transaction.atomic(using=using):
        updated = (
            Player.objects.using(using)
            .filter(pk=player_id, brand_id=brand_id, is_active=False, closed_at__isnull=True)
            .update(is_active=True)
        )
    return bool(updated)


def player_close(*, brand_id: int, player_id: int) -> bool:
    """Close the account for good (active or blocked): it cannot log in or bet, every session
    it has ends now, and unblocking does not reopen it. Whether it was open before."""
    using = shard_map.alias_for(player_id)
    with transaction.atomic(using=using):
        updated = (
            Player.objects.using(using)
            .filter(pk=player_id, brand_id=brand_id, closed_at__isnull=True)
            .update(is_active=False, closed_at=timezone.now())
        )
    sessions_end(player_id=player_id)
    return bool(updated)


@dataclass(frozen=True)
class PlayerAccount:
    """A player's account as staff see it, whatever its status."""

    id: int
    brand_id: int
    username: str
    email: str
    display_name: str
    date_joined: datetime
    last_login: datetime | None
    status: str  # active, blocked, closed
    closed_at: datetime | None


def player_account(*, brand_id: int, player_id: int) -> PlayerAccount | None:
    """The account of any status (blocked and closed included), for staff; None if there is no
    such player of the brand."""
    player = Player.objects.for_entity(player_id).filter(pk=player_id, brand_id=brand_id).first()
    if player is None:
        return None
    return PlayerAccount(
        id=player.id,
        brand_id=player.brand_id,
        username=player.username,
        email=player.email,
        display_name=player.display_name,
        date_joined=player.date_joined,
        last_login=player.last_login,
        status=player.status,
        closed_at=player.closed_at,
    )
