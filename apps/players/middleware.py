"""Attach the logged-in player (loaded lazily from their shard) to the request."""

from apps.players.sessions import player_from_session


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
