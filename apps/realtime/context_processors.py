"""Template context for the player's live channel, which ``templates/base.html`` opens."""

from django.conf import settings


def player_socket(request):
    """Where pages open the player's socket (``settings.PLAYER_SOCKET_PORT``): a port on the
    page's own host (the sockets role), or empty for the page's own host and port."""
    return {"player_socket_port": settings.PLAYER_SOCKET_PORT}
