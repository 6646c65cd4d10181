"""Logs (JSON lines by default), Sentry error tracking when SENTRY_DSN is set."""

from betting.env import env_int, env_str

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "json")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "betting.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        },
    },
    "filters": {
        "routine": {"()": "betting.logging.RoutineAtDebug", "show": LOG_LEVEL == "DEBUG"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # One line per task or event handled: DEBUG (betting.logging.RoutineAtDebug).
        "celery.app.trace": {"filters": ["routine"]},
        "celery.worker.strategy": {"filters": ["routine"]},
        "celery.beat": {"filters": ["routine"]},
        "django.db.backends": {"level": "INFO"},
        "daphne": {"level": "WARNING"},
    },
}

SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0") or 0),
        send_default_pii=False,
    )

# The internal listener of /healthz, /readyz and /metrics (apps.ops.listener), in the web and
# sockets processes; 0: none. The public port answers 404 to these paths. In Kubernetes the
# kubelet and Prometheus reach it on the pod's address (PROBE_HOST=0.0.0.0); no Service routes
# to it.
PROBE_PORT = env_int("PROBE_PORT", 0)
PROBE_HOST = env_str("PROBE_HOST", "127.0.0.1")
# How long a readiness answer is reused: a flood of /readyz opens no more connections than one.
READINESS_CACHE_S = float(env_str("READINESS_CACHE_S", "1"))
