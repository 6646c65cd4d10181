"""The Celery application of the queuing tier (configuration lives in betting.settings.queues)."""

import os

from celery import Celery
from celery.signals import celeryd_after_setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betting.settings")

app = Celery("betting")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_after_setup.connect
def _refuse_a_miswired_pool(sender, instance, **kwargs) -> None:
    # Imported when a worker starts: this module is imported with the project package, before
    # Django's settings are configured, and shards.tasks needs them (django_tenants, the database).
    from shards.tasks import WrongPool, check_pool_queues

    try:
        check_pool_queues(set(instance.app.amqp.queues.consume_from))
    except WrongPool as exc:
        raise SystemExit(f"refusing to start: {exc}") from None
