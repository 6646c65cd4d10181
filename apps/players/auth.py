"""DRF authentication by the player's session (CSRF enforced, as for Django's own sessions)."""

from rest_framework.authentication import CSRFCheck
from rest_framework.exceptions import PermissionDenied


class PlayerSessionAuthentication:
    def authenticate(self, request):
        get_player = getattr(request._request, "get_player", None)
        player = get_player() if get_player else None
        if player is None:
            return None
        self._enforce_csrf(request)
        return (player, None)

    def authenticate_header(self, request):
        return "Session"

    @staticmethod
    def _enforce_csrf(request):
        check = CSRFCheck(lambda req: None)
        check.process_request(request)
        reason = check.process_view(request, None, (), {})
        if reason:
            raise PermissionDenied(f"CSRF Failed: {reason}")
