"""The Celery application of the queuing tier (configuration lives in betting.settings.queues)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betting.settings")

app = Celery("betting")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
