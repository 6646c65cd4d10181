"""The sports catalog (global) and each shard's replica of what bets need.

The global catalog is written by the provider adapters; every change bet validation or settlement
needs is replicated through the outbox to every shard, where ``Replica*`` rows hold it. Market
lines are identified by event + market id + canonical specifiers; their outcomes live in the
line's row (a JSON list), so a feed update is one row write per line, not one per outcome.

Provider timestamps (ms) guard every write: an older message never overwrites newer state.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.catalog.naming import BadSpecifiers, canonical_specifiers
from shards.models import GlobalModel, ShardModel

# Market status, as the feed defines it.
ACTIVE, INACTIVE, SUSPENDED, HANDED_OVER, SETTLED, CANCELLED = 1, 0, -1, -2, -3, -4
MARKET_STATUS = [
    (ACTIVE, "active"),
    (INACTIVE, "inactive"),
    (SUSPENDED, "suspended"),
    (HANDED_OVER, "handed over"),
    (SETTLED, "settled"),
    (CANCELLED, "cancelled"),
]
EVENT_STATUS = [
    (0, "not started"),
    (1, "live"),
    (2, "suspended"),
    (3, "ended"),
    (4, "closed"),
    (5, "cancelled"),
    (6, "delayed"),
    (7, "interrupted"),
    (8, "postponed"),
    (9, "abandoned"),
]


class Sport(GlobalModel):
    urn = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    position = models.SmallIntegerField(default=100)
    in_play_delay_s = models.PositiveSmallIntegerField(
        default=5, help_text="seconds a live bet waits before acceptance"
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Category(GlobalModel):
    urn = models.CharField(max_length=50, unique=True)
    sport = models.ForeignKey(Sport, on_delete=models.PROTECT, related_name="categories")
    name = models.CharField(max_length=100)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tournament(GlobalModel):
    urn = models.CharField(max_length=50, unique=True)
    sport = models.ForeignKey(Sport, on_delete=models.PROTECT, related_name="tournaments")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="tournaments")
    name = models.CharField(max_length=150)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Event(GlobalModel):
    urn = models.CharField(max_length=60, unique=True)
    provider = models.CharField(max_length=30, default="uof")
    sport = models.ForeignKey(Sport, on_delete=models.PROTECT, related_name="events")
    tournament = models.ForeignKey(
        Tournament, on_delete=models.PROTECT, related_name="events", null=True, blank=True
    )
    home_name = models.CharField(max_length=100)
    away_name = models.CharField(max_length=100)
    start_time = models.DateTimeField(null=True, blank=True)
    status = models.SmallIntegerField(choices=EVENT_STATUS, default=0)
    live = models.BooleanField(default=False)
    home_score = models.IntegerField(null=True, blank=True)
    away_score = models.IntegerField(null=True, blank=True)
    match_status = models.IntegerField(null=True, blank=True)
    match_time = models.CharField(max_length=20, blank=True)
    status_ts = models.BigIntegerField(default=0, help_text="provider ms of the applied status")
    fixture_ts = models.BigIntegerField(default=0)
    suspended = models.BooleanField(default=False, help_text="suspended by the trading desk")
    video = models.JSONField(null=True, blank=True, help_text="stream metadata, when offered")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_time", "id"]
        indexes = [models.Index(fields=["sport", "start_time"], name="event_sport_start")]

    def __str__(self) -> str:
        return f"{self.home_name} v {self.away_name}"


class MarketDescription(GlobalModel):
    """How a market id is named: templates over the line's specifiers and the competitors."""

    market_id = models.IntegerField(primary_key=True)
    name = models.CharField(max_length=200)
    outcomes = models.JSONField(default=dict, help_text="outcome id -> name template")
    groups = models.JSONField(default=list, help_text="bet-stop groups the market belongs to")
    sports = models.JSONField(default=list)

    class Meta:
        ordering = ["market_id"]

    def __str__(self) -> str:
        return f"{self.market_id} {self.name}"


class Market(GlobalModel):
    """One market line of an event, with its outcomes and current odds."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="markets")
    market_id = models.IntegerField()
    specifiers = models.CharField(max_length=200, blank=True)
    status = models.SmallIntegerField(choices=MARKET_STATUS, default=ACTIVE)
    producer = models.SmallIntegerField()
    ts = models.BigIntegerField(help_text="provider ms of the applied state")
    favourite = models.BooleanField(default=False)
    outcomes = models.JSONField(default=list, help_text='[{"id", "odds", "active"}]')
    handed_over_by = models.SmallIntegerField(
        null=True, blank=True, help_text="the producer that handed the line over: not heard again"
    )
    suspended = models.BooleanField(default=False, help_text="suspended by the trading desk")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "market_id", "specifiers"], name="market_line_identity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.market_id} {self.specifiers}".strip()


RESULT_KINDS = [
    ("settle", "settlement"),
    ("rollback_settle", "settlement rolled back"),
    ("cancel", "cancel"),
    ("rollback_cancel", "cancel rolled back"),
]


class Result(GlobalModel):
    """A settlement, cancel or rollback of one market line, as received: recorded once."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="results")
    market_id = models.IntegerField()
    specifiers = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=RESULT_KINDS)
    producer = models.SmallIntegerField()
    ts = models.BigIntegerField()
    certainty = models.SmallIntegerField(null=True, blank=True)
    outcomes = models.JSONField(default=list, help_text='[{"id", "result", "void", "dead_heat"}]')
    void_reason = models.IntegerField(null=True, blank=True)
    start_time = models.BigIntegerField(null=True, blank=True, help_text="cancel window, ms")
    end_time = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "market_id", "specifiers", "kind", "ts"], name="result_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.market_id} {self.specifiers}".strip()


class CatalogAudit(GlobalModel):
    """Who changed what in the catalog or a brand's offering, and how."""

    at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150)
    brand_id = models.IntegerField(null=True, blank=True, help_text="empty: platform-wide")
    action = models.CharField(max_length=40)
    target = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.action} {self.target}"


class ReplicaEvent(ShardModel):
    """A shard's copy of an event: what validating and settling a bet needs."""

    id = models.BigIntegerField(primary_key=True, help_text="the catalog event id")
    urn = models.CharField(max_length=60)
    provider = models.CharField(
        max_length=30,
        blank=True,
        default="",
        db_default="",
        help_text="the provider whose event it is; empty: not known yet (any provider's producer"
        " of a line's number closes it)",
    )
    sport_id = models.IntegerField()
    status = models.SmallIntegerField(default=0)
    live = models.BooleanField(default=False)
    start_time = models.DateTimeField(null=True, blank=True)
    fixture_ts = models.BigIntegerField(default=0)
    ts = models.BigIntegerField(default=0)


class ReplicaMarket(ShardModel):
    """A shard's copy of a market line, with its odds and status."""

    id = models.BigIntegerField(primary_key=True, help_text="the catalog market id")
    event_id = models.BigIntegerField()
    market_id = models.IntegerField()
    specifiers = models.CharField(max_length=200, blank=True)
    status = models.SmallIntegerField()
    producer = models.SmallIntegerField()
    ts = models.BigIntegerField()
    outcomes = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "market_id", "specifiers"], name="replica_line_identity"
            )
        ]


class ReplicaDesk(ShardModel):
    """The trading desk's suspension of an event or a line (catalog id), with its version: kept
    apart from the replicated rows so it holds even when it arrives before them."""

    kind = models.CharField(max_length=6, choices=[("event", "event"), ("market", "market")])
    target_id = models.BigIntegerField()
    suspended = models.BooleanField()
    version = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "target_id"], name="replica_desk_once")
        ]


class ReplicaProducer(ShardModel):
    """Whether a provider's producer is up: its markets take no bets while it is down."""

    provider = models.CharField(max_length=30)
    producer = models.SmallIntegerField()
    down = models.BooleanField(default=True)
    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "producer"], name="replica_producer_once")
        ]


class ReplicaResult(ShardModel):
    """A shard's copy of a settlement, cancel or rollback; settling bets starts from these."""

    id = models.BigIntegerField(primary_key=True, help_text="the catalog result id")
    event_id = models.BigIntegerField()
    market_id = models.IntegerField()
    specifiers = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20)
    ts = models.BigIntegerField()
    certainty = models.SmallIntegerField(null=True)
    outcomes = models.JSONField(default=list)
    start_time = models.BigIntegerField(null=True)
    end_time = models.BigIntegerField(null=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["event_id", "market_id"], name="replica_result_market")]


class BrandPricing(GlobalModel):
    """A brand's margin on top of the feed's prices (kept with the catalog so the platform's
    trading desk can set every brand's, and the brand's own admin sees its row only)."""

    brand_id = models.IntegerField(unique=True)
    margin_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(50)],
        help_text="extra margin in percent: odds are divided by 1 + margin/100 (0: feed prices)",
    )

    class Meta:
        verbose_name = "brand margin"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(margin_pct__gte=0, margin_pct__lte=50),
                name="brand_margin_between_0_and_50",
            )
        ]

    def __str__(self) -> str:
        return f"brand {self.brand_id}: {self.margin_pct}%"


RULE_LEVELS = [
    ("sport", "sport"),
    ("tournament", "tournament"),
    ("event", "event"),
    ("market", "market line"),
    ("outcome", "outcome"),
]
RULE_ACTIONS = [
    ("hide", "not offered"),
    ("suspend", "suspended"),
    ("odds", "odds override"),
]


class OfferingRule(GlobalModel):
    """One exception to what a brand offers: a sport, tournament, event or market not offered
    or suspended, or an outcome's odds overridden. ``brand_id`` empty: every brand."""

    brand_id = models.IntegerField(null=True, blank=True, db_index=True)
    level = models.CharField(max_length=12, choices=RULE_LEVELS)
    target = models.CharField(
        max_length=60, help_text="the sport, tournament or event URN (sr:sport:1, sr:match:1)"
    )
    market_id = models.IntegerField(null=True, blank=True)
    specifiers = models.CharField(max_length=200, blank=True)
    outcome_id = models.CharField(max_length=60, blank=True)
    action = models.CharField(max_length=10, choices=RULE_ACTIONS)
    odds = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["brand_id", "level", "target"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(action="odds") | models.Q(odds__gte=1.01, level="outcome"),
                name="offering_override_is_outcome_odds",
            )
        ]

    def clean(self) -> None:
        try:
            canonical_specifiers(self.specifiers)
        except BadSpecifiers:
            raise ValidationError({"specifiers": "k=v pairs separated by |"}) from None

    def save(self, *args, **kwargs) -> None:
        # Lines are matched by canonical specifiers (sorted k=v), as the feed's are.
        self.specifiers = canonical_specifiers(self.specifiers)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        parts = [self.get_action_display(), self.target]
        if self.market_id is not None:
            parts.append(f"market {self.market_id} {self.specifiers}".strip())
        if self.outcome_id:
            parts.append(f"outcome {self.outcome_id}")
        return " ".join(parts)
