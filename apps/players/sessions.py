"""The player's login session (kept in Redis with the rest of the session), and how long a
logged-in session may last.

A logged-in session ends at the first of: its absolute limit since the login, its idle limit
since the last request. Players' limits are their brand's (``Brand.session_absolute_minutes``,
``Brand.session_idle_minutes``, inside the platform's bounds); staff (the backoffices) have the
shorter ``STAFF_SESSION_*`` limits. The session's clock is kept in the session itself; each
write also gives the session in Redis the expiry that is left, so a session nobody uses is
dropped by Redis on time whether or not a request comes to end it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import SESSION_KEY as STAFF_SESSION_KEY
from django.http import HttpRequest
from django.middleware.csrf import rotate_token

from apps.players.services import PlayerRef, player_get
from apps.players.session_registry import session_register

SESSION_PLAYER = "player_id"
SESSION_BRAND = "player_brand_id"
# {"who": "player:<id>" or "staff:<id>", "at": login time, "seen": last request (epoch seconds)}
SESSION_CLOCK = "session_clock"


@dataclass(frozen=True)
class SessionLimits:
    absolute_s: int
    idle_s: int


def session_limits(*, staff: bool, tenant=None) -> SessionLimits:
    """The limits of a staff session, or of a player's session on ``tenant``'s brand."""
    if staff:
        return SessionLimits(
            settings.STAFF_SESSION_ABSOLUTE_MINUTES * 60, settings.STAFF_SESSION_IDLE_MINUTES * 60
        )
    absolute = settings.PLAYER_SESSION_ABSOLUTE_MAX_MINUTES
    idle = settings.PLAYER_SESSION_IDLE_MAX_MINUTES
    if tenant is not None and not tenant.is_platform:
        # Bounded again here: a brand saved before the bounds were lowered keeps to them too.
        absolute = min(absolute, tenant.session_absolute_minutes)
        idle = min(idle, tenant.session_idle_minutes)
    return SessionLimits(absolute * 60, idle * 60)


def _who(session) -> str | None:
    staff = session.get(STAFF_SESSION_KEY)
    if staff is not None:
        return f"staff:{staff}"
    player = session.get(SESSION_PLAYER)
    return f"player:{player}" if player is not None else None


def _clock_set(session, clock: dict, limits: SessionLimits, now: int) -> None:
    session[SESSION_CLOCK] = clock
    left = clock["at"] + limits.absolute_s - now
    session.set_expiry(max(1, min(limits.idle_s, left)))


def session_enforce(request: HttpRequest) -> None:
    """End the request's logged-in session if it is past its absolute or idle limit, otherwise
    note the activity (at most every ``SESSION_TOUCH_S``)."""
    session = request.session
    who = _who(session)
    if who is None:
        return
    limits = session_limits(staff=who.startswith("staff:"), tenant=getattr(request, "tenant", None))
    now = int(time.time())
    clock = session.get(SESSION_CLOCK)
    if not clock or clock.get("who") != who:
        # A login this code did not see (the backoffice's), or a session older than the clock:
        # its limits start now.
        _clock_set(session, {"who": who, "at": now, "seen": now}, limits, now)
    elif now - clock["at"] >= limits.absolute_s or now - clock["seen"] >= limits.idle_s:
        session.flush()
    elif now - clock["seen"] >= settings.SESSION_TOUCH_S:
        _clock_set(session, {**clock, "seen": now}, limits, now)


def session_login(request: HttpRequest, player: PlayerRef) -> None:
    """Log the player in: a new session key and a new CSRF token, as Django's own login does."""
    session = request.session
    session.cycle_key()
    rotate_token(request)
    session[SESSION_PLAYER] = player.id
    session[SESSION_BRAND] = player.brand_id
    now = int(time.time())
    limits = session_limits(staff=False, tenant=getattr(request, "tenant", None))
    _clock_set(session, {"who": f"player:{player.id}", "at": now, "seen": now}, limits, now)
    session_register(player_id=player.id, session_key=session.session_key)
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
