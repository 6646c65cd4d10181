"""Player accounts: register, authenticate, update the profile.

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
from shards import ids
from shards import map as shard_map

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,29}$")
REGISTERED = "player.registered"


class PlayerError(ValueError):
    """A request about a player account cannot be met. ``code`` is machine-readable."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


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
    *, brand: BrandRef, username: str, email: str, password: str, display_name: str = ""
) -> PlayerRef:
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


def player_authenticate(*, brand: BrandRef, username: str, password: str) -> PlayerRef | None:
    """The player whose credentials these are, or None (taking similar time either way).

    Raises PlayerError ``too_many_attempts`` after repeated failures for this login name.
    """
    if throttle.login_blocked(brand_id=brand.id, login_name=username):
        raise PlayerError("too_many_attempts", "too many failed logins; try again later")
    player = _check_credentials(brand=brand, username=username, password=password)
    if player is None:
        throttle.login_failed(brand_id=brand.id, login_name=username)
    else:
        throttle.login_succeeded(brand_id=brand.id, login_name=username)
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


def player_update_profile(
    *, brand_id: int, player_id: int, display_name: str | None = None, email: str | None = None
) -> PlayerRef:
    changes: dict[str, str] = {}
    if display_name is not None:
        if len(display_name.strip()) > 60:
            raise PlayerError("invalid_display_name", "at most 60 characters", field="display_name")
        changes["display_name"] = display_name.strip()
    if email is not None:
        try:
            validate_email(email.strip())
        except ValidationError:
            raise PlayerError(
                "invalid_email", "enter a valid e-mail address", field="email"
            ) from None
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
    found = player_get(brand_id=brand_id, player_id=player_id)
    if found is None:
        raise PlayerError("unknown_player", "no such player")
    return found
