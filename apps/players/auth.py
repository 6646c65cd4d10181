"""DRF authentication by the player's session, and CSRF protection for every unsafe request.

Django's CSRF rules apply to the API as to the site, for anonymous requests too: otherwise a
cross-site form could log a visitor into an attacker's account (login CSRF). ``GET
/api/v1/session`` hands a client its CSRF cookie; the API also accepts JSON bodies only.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
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


class PlayerSessionScheme(OpenApiAuthenticationExtension):
    """The API schema's description of ``PlayerSessionAuthentication``: the session cookie that
    logging in (``POST /api/v1/session``) or registering sets."""

    target_class = PlayerSessionAuthentication
    name = "playerSession"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The player's session cookie; unsafe requests also need the CSRF "
            "cookie's token in the X-CSRFToken header (GET /api/v1/session sets the cookie).",
        }
