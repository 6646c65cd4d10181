"""Global aggregates per brand, fed from the shards through the outbox."""

from django.db import models

from shards.models import GlobalModel


class BrandStats(GlobalModel):
    brand = models.OneToOneField("brands.Brand", on_delete=models.CASCADE, related_name="stats")
    player_count = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "brand statistics"
        verbose_name_plural = "brand statistics"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(player_count__gte=0), name="brandstats_player_count_gte_0"
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand}: {self.player_count} players"


PRODUCTS = [("sportsbook", "sportsbook"), ("casino", "casino")]


class BrandDay(GlobalModel):
    """A brand's figures of one UTC day and product, summed from every shard's
    ``brand.turnover`` events (folded once each): stakes and bets accepted, payouts (settlements
    and cash-outs), and the change of the open bets' potential payouts that day (their sum over
    every day is the liability open now). GGR is stakes less payouts."""

    brand = models.ForeignKey("brands.Brand", on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    product = models.CharField(max_length=20, choices=PRODUCTS, default="sportsbook")
    stakes = models.BigIntegerField(default=0, help_text="minor units")
    bets = models.BigIntegerField(default=0)
    payouts = models.BigIntegerField(default=0, help_text="minor units")
    liability_change = models.BigIntegerField(
        default=0, help_text="open liability's change that day, minor units"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "brand day"
        constraints = [
            models.UniqueConstraint(fields=["brand", "day", "product"], name="brand_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.day} {self.product}"


class PlayerNote(GlobalModel):
    """A staff member's note on a player, kept globally so that every staff member who may see
    the player (the brand's and the platform's) reads the same notes. Notes are only added."""

    brand_id = models.IntegerField()
    player_id = models.BigIntegerField()
    staff = models.CharField(max_length=200, help_text="schema:username of who wrote it")
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ("add", "view")
        indexes = [models.Index(fields=["player_id", "-created_at"], name="playernote_player")]

    def __str__(self) -> str:
        return f"note on {self.player_id} by {self.staff}"


PLAYER_ACTIONS = [
    ("block", "blocked"),
    ("unblock", "unblocked"),
    ("close", "closed the account"),
    ("limits", "changed a limit"),
    ("risk", "assigned a risk group"),
]


class PlayerAudit(GlobalModel):
    """What staff did to a player: who (``staff``), when, what (``action`` and ``details``, the
    values before and after) and why (``reason``). Written in the same step as the change and
    never edited. Its permissions guard the player page's actions."""

    brand_id = models.IntegerField()
    player_id = models.BigIntegerField()
    staff = models.CharField(max_length=200, help_text="schema:username of who acted")
    action = models.CharField(max_length=10, choices=PLAYER_ACTIONS)
    reason = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        permissions = [
            ("block_player", "Can block and unblock a player"),
            ("close_player", "Can close a player's account"),
            ("change_player_limits", "Can set a player's stake limits"),
            ("change_player_risk", "Can assign a player's risk group"),
        ]
        indexes = [models.Index(fields=["player_id", "-created_at"], name="playeraudit_player")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="playeraudit_reason_given")
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.get_action_display()} {self.player_id}"


BRAND_CREATION_STEPS = ["schema", "migrations", "domain", "staff"]


class BrandCreation(GlobalModel):
    """A brand asked for in the platform's backoffice, created by a task on the global queue
    (``backoffice.brand_creation_run``) through the same service as ``manage.py create_brand``,
    then its first staff member (a brand admin). Its page shows the steps as they pass; a failed
    one can be run again, and running it again redoes only what is missing."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    slug = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    domain = models.CharField(max_length=253)
    currency = models.CharField(max_length=3)
    staff_username = models.CharField(max_length=150)
    staff_email = models.EmailField(blank=True)
    staff_password = models.CharField(max_length=128, help_text="the password's hash, never it")
    requested_by = models.CharField(max_length=200, help_text="schema:username")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    step = models.CharField(max_length=12, blank=True, help_text="the step reached")
    error_code = models.CharField(max_length=40, blank=True)
    error = models.CharField(max_length=500, blank=True)
    brand_id = models.IntegerField(null=True, blank=True)
    # The first staff member's otpauth:// URI, until shown once to whoever asked for the brand.
    otpauth = models.CharField(max_length=500, blank=True)
    otpauth_shown = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"brand {self.slug}: {self.status}"
