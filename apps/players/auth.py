"""DRF authentication by the player's session, and CSRF protection for every unsafe request.

Django's CSRF rules apply to the API as to the site, for anonymous requests too: otherwise a
cross-site form could log a visitor into an attacker's account (login CSRF). ``GET
/api/v1/session`` hands a client its CSRF cookie; the API also accepts JSON bodies only.
"""

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from apps.api.plain import csrf_failure


def enforce_csrf(request) -> None:
    reason = csrf_failure(request)
    if reason:
        raise PermissionDenied(f"CSRF Failed: {reason}")


class PlayerSessionAuthentication:
    def authenticate(self, request):
        get_player = getattr(request._request, "get_player", None)
        player = get_player() if get_player else None
        if player is None:
            return None
        return (player, None)

    def authenticate_header(self, request):
        return "Session"


class CsrfProtected(BasePermission):
    """Refuse unsafe requests without a valid CSRF token, logged in or not."""

    def has_permission(self, request, view) -> bool:
        enforce_csrf(request._request)
        return True
