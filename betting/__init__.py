"""The project package: settings, URL maps, the ASGI entry point and the Celery app."""

from betting.celery import app as celery_app

__all__ = ["celery_app"]
