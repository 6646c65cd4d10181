"""The ASGI entry point (daphne, the sockets role): the players' websockets through Channels.

HTTP goes to the web role (granian, ``betting.wsgi``); this process answers its probes on the
internal listener (``PROBE_PORT``, ``apps.ops.listener``). Event pages' live-odds sockets are
served by the live-odds gateway (``apps.realtime.gateway``).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betting.settings")
django_http = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from apps.ops.listener import probes_serve_configured  # noqa: E402
from apps.realtime.middleware import BrandPlayerStack  # noqa: E402
from apps.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": ASGIStaticFilesHandler(django_http),
        "websocket": BrandPlayerStack(URLRouter(websocket_urlpatterns)),
    }
)

probes_serve_configured()
