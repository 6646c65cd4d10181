"""The provider manager's records: providers, their producers and their live status (global).

A provider is one content integration (an odds feed, a video feed) run by its own adapter process
(``manage.py run_provider <name>``). Connection settings that are not secret live here; secrets
(feed tokens, broker credentials) are named by environment variable, never stored. Only names
with the providers' own prefixes can be named (``PROVIDER_TOKEN_…``, ``PROVIDER_BROKER_URL_…``):
a record cannot point an adapter at the platform's own secrets (``SECRET_KEY``,
``DATABASE_URL``) and send them to the provider's API.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models

from shards.models import GlobalModel

KINDS = [("uof", "Unified Odds Feed"), ("video", "Video streams")]
TOKEN_ENV_PREFIX = "PROVIDER_TOKEN_"  # noqa: S105  (a name's prefix, not a secret)
BROKER_URL_ENV_PREFIX = "PROVIDER_BROKER_URL_"
# The settings that decide where a provider's secrets go: editable by platform superusers only.
CONNECTION_FIELDS = ("api_url", "token_env", "broker_url_env")


def env_name_allowed(name: str, prefix: str) -> bool:
    return re.fullmatch(rf"{re.escape(prefix)}[A-Z0-9_]+", name) is not None


class EnvNameValidator:
    """An environment variable's name that starts with ``prefix`` (upper case, digits, _)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, value: str) -> None:
        if value and not env_name_allowed(value, self.prefix):
            raise ValidationError(
                f"must be an environment variable named {self.prefix}… "
                "(upper-case letters, digits and _)",
                code="env_name_not_allowed",
            )

    def deconstruct(self):
        return ("apps.providers.models.EnvNameValidator", (self.prefix,), {})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EnvNameValidator) and other.prefix == self.prefix


class Provider(GlobalModel):
    name = models.SlugField(max_length=30, unique=True)
    kind = models.CharField(max_length=10, choices=KINDS, default="uof")
    enabled = models.BooleanField(default=True)
    broker_url_env = models.CharField(
        max_length=60,
        blank=True,
        validators=[EnvNameValidator(BROKER_URL_ENV_PREFIX)],
        help_text=f"environment variable holding the feed's AMQP URL, {BROKER_URL_ENV_PREFIX}… "
        "(empty: the platform broker)",
    )
    exchange = models.CharField(max_length=100, default="unifiedfeed")
    bindings = models.JSONField(
        default=list, blank=True, help_text="routing-key patterns (empty: every message)"
    )
    api_url = models.URLField(blank=True, help_text="the provider's API (recovery, fixtures)")
    token_env = models.CharField(
        max_length=60,
        blank=True,
        validators=[EnvNameValidator(TOKEN_ENV_PREFIX)],
        help_text=f"environment variable holding the API token, {TOKEN_ENV_PREFIX}…",
    )
    node_id = models.CharField(max_length=20, blank=True)
    enabled_sports = models.JSONField(
        default=list,
        blank=True,
        help_text='sport URNs taken from the feed (empty: all), "sr:sport:1"',
    )
    content = models.CharField(
        max_length=200, blank=True, help_text="what the provider offers, for the operator"
    )
    # Live status, written by the adapter about once a second.
    running = models.BooleanField(default=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    lag_ms = models.BigIntegerField(
        null=True, blank=True, help_text="now minus the message's timestamp"
    )
    messages = models.BigIntegerField(default=0)
    malformed = models.BigIntegerField(default=0)
    unknown_event = models.BigIntegerField(default=0)
    unknown_market = models.BigIntegerField(default=0)
    disabled_sport = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def queue_name(self) -> str:
        return f"provider.{self.name}"


STATES = [("up", "up"), ("down", "down"), ("recovering", "recovering")]


class Producer(GlobalModel):
    """A producer of a provider (UOF: 1 live odds, 3 prematch); its markets close while down."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="producers")
    producer_id = models.SmallIntegerField()
    name = models.CharField(max_length=50)
    api_name = models.CharField(max_length=30, help_text="its path in the recovery API")
    enabled = models.BooleanField(default=True)
    state = models.CharField(max_length=12, choices=STATES, default="down")
    reason = models.CharField(max_length=100, blank=True)
    last_alive_at = models.DateTimeField(null=True, blank=True)
    last_processed_ts = models.BigIntegerField(
        default=0, help_text="provider ms of the newest message applied (recovery starts after)"
    )
    recover_after_ts = models.BigIntegerField(
        default=0, help_text="provider ms of the last message applied before it went down"
    )
    recovery_request_id = models.BigIntegerField(null=True, blank=True)
    recovery_started_at = models.DateTimeField(null=True, blank=True)
    recovery_window_min = models.IntegerField(default=180)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "producer_id"], name="producer_once")
        ]
        ordering = ["provider", "producer_id"]

    def __str__(self) -> str:
        return f"{self.provider.name}/{self.name}"
