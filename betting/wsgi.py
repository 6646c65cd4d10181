"""The HTTP entry point (granian, ``roles.web``): the site, the API, the admin and the probes.

Django's synchronous stack runs each request on one thread from start to end, without the thread
hops of the ASGI path. Static files are served by Django's staticfiles handler, as in
``betting.asgi``. The players' websockets are served by ``betting.asgi`` (the sockets role).
"""

import os

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betting.settings")
application = StaticFilesHandler(get_wsgi_application())
