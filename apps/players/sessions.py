"""The player's login session (kept in Redis with the rest of the session)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.middleware.csrf import rotate_token

from apps.players.services import PlayerRef, player_get

SESSION_PLAYER = "player_id"
SESSION_BRAND = "player_brand_id"


def session_login(request: HttpRequest, player: PlayerRef) -> None:
    """Log the player in: a new session key and a new CSRF token, as Django's own login does."""
    request.session.cycle_key()
    rotate_token(request)
    request.session[SESSION_PLAYER] = player.id
    request.session[SESSION_BRAND] = player.brand_id
    request.get_player = lambda: player  # type: ignore[attr-defined]


def session_logout(request: HttpRequest) -> None:
    request.session.flush()
    request.get_player = lambda: None  # type: ignore[attr-defined]


def player_from_session(session, brand_id: int | None) -> PlayerRef | None:
    """The logged-in player of this brand, or None. Used by HTTP and websocket alike."""
    who = session_player(session, brand_id)
    return player_get(brand_id=who.brand_id, player_id=who.id) if who is not None else None


@dataclass(frozen=True)
class SessionPlayer:
    """Who the session says is logged in, not read from the database: for a service that checks
    the player's row itself, in its own transaction (placing a bet locks it anyway)."""

    id: int
    brand_id: int


def session_player(session, brand_id: int | None) -> SessionPlayer | None:
    """Who the session says is logged in on this brand (no database read), or None."""
    player_id = session.get(SESSION_PLAYER)
    if player_id is None or brand_id is None or session.get(SESSION_BRAND) != brand_id:
        return None
    return SessionPlayer(id=int(player_id), brand_id=brand_id)
