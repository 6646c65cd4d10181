"""The HTTP entry point (granian, ``roles.web``): the site, the API and the admin; the probes
and metrics on the internal listener (``PROBE_PORT``, ``apps.ops.listener``) of each worker.

Django's synchronous stack runs each request on one thread from start to end, without the thread
hops of the ASGI path. Static files are served by Django's staticfiles handler, as in
``betting.asgi``. The players' websockets are served by ``betting.asgi`` (the sockets role).

Once the application and its URLs are loaded, the objects that live as long as the process
(modules, classes, settings, the URL resolver: about 120,000 of them) are moved out of the
garbage collector's reach (``gc.freeze``). A full collection otherwise walks them all, and
stops every thread of the worker while it does: 60-80 ms every few thousand requests, measured
in one process placing bets, against about 10 ms with them frozen.
"""

import gc
import os

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betting.settings")
application = StaticFilesHandler(get_wsgi_application())

from apps.ops.listener import probes_serve_configured  # noqa: E402 (needs Django set up)

probes_serve_configured()
get_resolver().url_patterns  # noqa: B018 (imports every view now, before the freeze)
gc.collect()
gc.freeze()
