"""WSGI entry point (for tools that want one; the platform serves through betting.asgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betting.settings")
application = get_wsgi_application()
