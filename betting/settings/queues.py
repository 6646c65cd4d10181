"""The queuing tier: Celery on BROKER_URL (RabbitMQ in production; Redis when none is given).

Queues: ``global`` and one ``shard.<k>`` per shard, each bound to the ``tasks`` exchange for
direct routing and to the ``events`` topic exchange for outbox events addressed to its tier.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from betting.env import env_int, env_list, env_str
from betting.settings.base import DEBUG
from betting.settings.databases import SHARD_COUNT
from betting.settings.limits import REDIS_CLIENT_OPTIONS
from betting.settings.services import (
    REDIS_PREFIX,
    REDIS_SENTINEL_MASTER,
    REDIS_SENTINEL_PASSWORD,
    REDIS_SENTINELS,
    REDIS_URL,
)
from shards import queues


def _redis_broker() -> tuple[str, dict]:
    """Redis as the broker (no BROKER_URL): REDIS_URL, or through its sentinels."""
    options: dict = {"global_keyprefix": f"{REDIS_PREFIX}:q:"}
    if not REDIS_SENTINELS:
        return REDIS_URL, options
    parts = urlsplit(REDIS_URL)
    login = parts.netloc.rpartition("@")[0]
    login = f"{login}@" if login else ""
    url = ";".join(f"sentinel://{login}{host}:{port}{parts.path}" for host, port in REDIS_SENTINELS)
    options["master_name"] = REDIS_SENTINEL_MASTER
    if REDIS_SENTINEL_PASSWORD:
        options["sentinel_kwargs"] = {"password": REDIS_SENTINEL_PASSWORD}
    return url, options


BROKER_URL = env_str("BROKER_URL") or _redis_broker()[0]
BROKER_IS_AMQP = BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://"))

CELERY_BROKER_URL = BROKER_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"confirm_publish": True} if BROKER_IS_AMQP else {**_redis_broker()[1], **REDIS_CLIENT_OPTIONS}
)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("CELERY_PREFETCH", 4)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = queues.broker_name(queues.GLOBAL)
CELERY_TASK_ROUTES = ("shards.queues.route_task",)
CELERY_TASK_QUEUES = queues.declare(SHARD_COUNT)
CELERY_TASK_DEFAULT_EXCHANGE = queues.TASKS.name
CELERY_TASK_DEFAULT_ROUTING_KEY = queues.GLOBAL
# Workers' remote control (``<namespace>celery.pidbox``) and events exchanges, namespaced too: a
# broadcast from one installation never reaches another's workers.
CELERY_CONTROL_EXCHANGE = queues.broker_name("celery")
CELERY_EVENT_EXCHANGE = queues.broker_name("celeryev")
# Celery's consumer without its native delayed delivery (shards/consumer.py says why).
CELERY_WORKER_CONSUMER = "shards.consumer:PlatformConsumer"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
LIABILITY_ANNOUNCE_S = float(env_int("LIABILITY_ANNOUNCE_MS", 2000)) / 1000

# Outbox events are signed by the relay (HMAC-SHA256, ``apps.outbox.signing``) and verified by
# every consumer: one key signs (OUTBOX_SIGNING_KEY, known by OUTBOX_SIGNING_KEY_ID); earlier keys
# still accepted during a rotation are listed as ``id:key`` in OUTBOX_VERIFY_KEYS. Only the relay
# and the workers need it, and they refuse to start without it (DEBUG gives a development key).
OUTBOX_SIGNING_KEY = env_str("OUTBOX_SIGNING_KEY") or (
    "development-only-outbox-key" if DEBUG else ""
)
OUTBOX_SIGNING_KEY_ID = env_str("OUTBOX_SIGNING_KEY_ID", "1")
OUTBOX_VERIFY_KEYS = dict(entry.partition(":")[::2] for entry in env_list("OUTBOX_VERIFY_KEYS", []))
if any(not key_id or not key for key_id, key in OUTBOX_VERIFY_KEYS.items()):
    raise ImproperlyConfigured("OUTBOX_VERIFY_KEYS lists id:key pairs, separated by commas")
# A consumer that cannot apply an event retries it with a growing delay (from FIRST to MAX
# between attempts) for RETRY_FOR seconds, then parks it in the dead-letter table. A waiting retry
# is held by the worker unacknowledged, so MAX stays well under RabbitMQ's consumer_timeout
# (30 minutes by default).
OUTBOX_RETRY_FIRST_S = env_int("OUTBOX_RETRY_FIRST_MS", 1000) / 1000
OUTBOX_RETRY_MAX_S = env_int("OUTBOX_RETRY_MAX_MS", 300_000) / 1000
OUTBOX_RETRY_FOR_S = env_int("OUTBOX_RETRY_FOR_S", 6 * 3600)
if not 0 < OUTBOX_RETRY_FIRST_S <= OUTBOX_RETRY_MAX_S <= 1200 or OUTBOX_RETRY_FOR_S < 0:
    raise ImproperlyConfigured(
        "OUTBOX_RETRY_FIRST_MS <= OUTBOX_RETRY_MAX_MS <= 1200000, OUTBOX_RETRY_FOR_S >= 0"
    )


def _each_shard(name: str, task: str, seconds: float) -> dict[str, dict]:
    """A beat entry per shard: ``task`` every ``seconds`` with that shard's number."""
    return {
        f"{name}-shard-{shard}": {"task": task, "schedule": seconds, "kwargs": {"shard": shard}}
        for shard in range(SHARD_COUNT)
    }


CELERY_BEAT_SCHEDULE = {
    "directory-repair": {"task": "players.directory_repair", "schedule": 3600.0},
    **_each_shard("expire-reservations", "wallet.expire_reservations", 15.0),
    # Each shard tells the global risk view what changed on its liability (one event of deltas,
    # not one per bet).
    **_each_shard("liability-announce", "bets.announce_liability", LIABILITY_ANNOUNCE_S),
    # Settlement runs whose worker died before paying every bet (settlement.settlement_run_pay).
    **_each_shard("settlement-sweep", "bets.sweep_settlements", 30.0),
    **_each_shard("pending-bets-sweep", "bets.sweep_pending", 30.0),
    **_each_shard("external-wallet-sweep", "wallet.external_sweep", 15.0),
}
