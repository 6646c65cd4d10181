"""Password reset by e-mail: a player who forgot their password asks for a link, and the link's
token lets them set a new one once.

- **Asking** (``password_reset_request``): the player gives the e-mail address of their account.
  Every account of the brand with that address (an address may serve several) gets an e-mail
  with a link, sent by a global worker (``password_reset_mail``); the answer is the same, and as
  quick, whether any did, so the form tells no one which addresses have accounts. Accounts live
  on the shards and the directory knows login names only: the address is looked up on each
  shard (an index on the brand and the lower-cased address). Throttled as logins are
  (``throttle``): the client's address and subnet windows, and a growing delay per e-mail
  address, so no one can flood a player's mailbox.
- **The token** (``PlayerResetTokens``): Django's ``PasswordResetTokenGenerator`` (an HMAC of the
  secret key with a timestamp), over the player's id, brand, password hash, last login and
  e-mail address: it stops working once the password changes (it was used), the player logs in,
  the address changes, or ``PASSWORD_RESET_TIMEOUT`` passes.
- **Setting the new password** (``password_reset_confirm``): the token is checked again, the
  password is changed only over the hash the token was made with (of two uses, the second is
  refused), and every session of the player ends.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from apps.brands.selectors import BrandRef
from apps.players import throttle
from apps.players.models import Player
from apps.players.services import PlayerError, PlayerRef
from apps.players.session_registry import sessions_end
from shards import map as shard_map
from shards.tasks import global_task


class PlayerResetTokens(PasswordResetTokenGenerator):
    key_salt = "apps.players.password_reset.PlayerResetTokens"

    def _make_hash_value(self, user: Player, timestamp: int) -> str:
        login = "" if user.last_login is None else user.last_login.replace(microsecond=0)
        return f"{user.pk}:{user.brand_id}:{user.password}:{login}:{timestamp}:{user.email}"


tokens = PlayerResetTokens()


def _throttle(*, address: str, brand_id: int, key: str) -> None:
    try:
        throttle.attempt_reserve(address=address, brand_id=brand_id, login_name=key)
    except throttle.Throttled as exc:
        raise PlayerError(
            "too_many_attempts",
            f"too many attempts; try again in {exc.retry_after} seconds",
            retry_after=exc.retry_after,
        ) from None


def password_reset_request(
    *, brand: BrandRef, email: str, address: str, link_prefix: str, site_name: str
) -> None:
    """Have a reset link e-mailed to every active account of ``brand`` with address ``email``
    (``password_reset_send``, on a global worker: the request takes as long whether or not an
    account has the address, and an SMTP server's delay is not the player's). Links are
    ``link_prefix`` + ``<uid>/<token>/``. Raises ``PlayerError`` ``too_many_attempts`` first."""
    wanted = email.strip().lower()
    _throttle(address=address, brand_id=brand.id, key=f"reset:{wanted}"[:200])
    password_reset_mail.delay(
        brand_id=brand.id, email=wanted, link_prefix=link_prefix, site_name=site_name
    )


def password_reset_send(*, brand_id: int, email: str, link_prefix: str, site_name: str) -> int:
    """E-mail a reset link to every active account of the brand with address ``email`` (any
    case); how many were sent."""
    wanted = email.strip().lower()
    sent = 0
    for alias in shard_map.aliases():
        players = (
            Player.objects.using(alias)
            .alias(email_lower=Lower("email"))
            .filter(brand_id=brand_id, email_lower=wanted, is_active=True)
        )
        for player in players:
            uid = urlsafe_base64_encode(force_bytes(player.pk))
            link = f"{link_prefix}{uid}/{tokens.make_token(player)}/"
            context = {"player": player, "link": link, "site_name": site_name}
            send_mail(
                subject=f"{site_name}: reset your password",
                message=render_to_string("players/password_reset_email.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[player.email],
            )
            sent += 1
    return sent


@global_task(name="players.password_reset_mail")
def password_reset_mail(*, brand_id: int, email: str, link_prefix: str, site_name: str) -> int:
    return password_reset_send(
        brand_id=brand_id, email=email, link_prefix=link_prefix, site_name=site_name
    )


def _player_of(*, brand_id: int, uid: str) -> Player | None:
    try:
        player_id = int(urlsafe_base64_decode(uid).decode())
        using = shard_map.alias_for(player_id)
    except (ValueError, UnicodeDecodeError, shard_map.UnknownShard):
        return None  # InvalidId is a ValueError
    return (
        Player.objects.using(using).filter(pk=player_id, brand_id=brand_id, is_active=True).first()
    )


def password_reset_check(*, brand_id: int, uid: str, token: str) -> PlayerRef | None:
    """The player the link is for, if its token still holds (else None)."""
    player = _player_of(brand_id=brand_id, uid=uid)
    if player is None or not tokens.check_token(player, token):
        return None
    return PlayerRef.of(player)


def password_reset_confirm(
    *, brand_id: int, uid: str, token: str, new_password: str, address: str
) -> PlayerRef:
    """Set the new password if the link's token holds; every session of the player ends.
    ``PlayerError``: ``invalid_link`` (unknown, used, expired), ``weak_password``,
    ``too_many_attempts``."""
    _throttle(address=address, brand_id=brand_id, key=f"reset-link:{uid}"[:200])
    player = _player_of(brand_id=brand_id, uid=uid)
    if player is None or not tokens.check_token(player, token):
        raise PlayerError("invalid_link", "this link is no longer valid: ask for a new one")
    try:
        validate_password(new_password, user=player)
    except ValidationError as exc:
        raise PlayerError("weak_password", " ".join(exc.messages), field="new_password") from None
    using = shard_map.alias_for(player.pk)
    with transaction.atomic(using=using):
        # Only over the hash the token was made with: a link works once.
        updated = (
            Player.objects.using(using)
            .filter(pk=player.pk, brand_id=brand_id, is_active=True, password=player.password)
            .update(password=make_password(new_password))
        )
    if not updated:
        raise PlayerError("invalid_link", "this link is no longer valid: ask for a new one")
    sessions_end(player_id=player.pk)
    return PlayerRef.of(player)
