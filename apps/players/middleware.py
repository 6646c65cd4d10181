"""Session limits, and the logged-in player (loaded lazily from their shard) on the request."""

from apps.players.sessions import player_from_session, session_enforce


class SessionLimitMiddleware:
    """End a logged-in session (player or staff) past its absolute or idle limit, before
    anything reads who is logged in: between SessionMiddleware and AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session_enforce(request)
        return self.get_response(request)


class PlayerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        brand_id = tenant.pk if tenant is not None and not tenant.is_platform else None
        cache: dict = {}

        def current():
            if "player" not in cache:
                cache["player"] = player_from_session(request.session, brand_id)
            return cache["player"]

        request.get_player = current
        return self.get_response(request)
