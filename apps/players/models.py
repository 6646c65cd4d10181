"""Player accounts live on their shard; the directory (global) finds them by login name."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Func
from django.db.models.functions import Lower

from shards.models import GlobalModel, ShardModel


class Player(ShardModel):
    """A player's account. The id encodes the shard (allocated by the shard's database)."""

    shard_key = "id"

    id = models.BigIntegerField(primary_key=True, db_default=Func(function="platform_next_id"))
    brand_id = models.IntegerField()
    username = models.CharField(max_length=30)
    login_name = models.CharField(max_length=30, help_text="username, lower-cased")
    email = models.EmailField()
    password = models.CharField(max_length=128)
    display_name = models.CharField(max_length=60, blank=True)
    is_active = models.BooleanField(default=True)
    # A closed account is inactive for good: unblocking does not reopen it.
    closed_at = models.DateTimeField(null=True, blank=True)
    date_joined = models.DateTimeField(auto_now_add=True)
    last_login = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["brand_id", "login_name"], name="player_login_per_brand"
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True) | models.Q(is_active=False),
                name="player_closed_is_inactive",
            ),
        ]
        indexes = [  # a password reset finds accounts by e-mail address
            models.Index(F("brand_id"), Lower("email"), name="player_email_per_brand")
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def status(self) -> str:
        """active, blocked (may be unblocked) or closed (never bets or logs in again)."""
        if self.closed_at is not None:
            return "closed"
        return "active" if self.is_active else "blocked"


class DirectoryEntry(GlobalModel):
    """Maps a brand's login name to the player id (and so the shard) in the global tier."""

    brand = models.ForeignKey("brands.Brand", on_delete=models.PROTECT, related_name="+")
    login_name = models.CharField(max_length=30)
    player_id = models.BigIntegerField(unique=True)
    shard = models.SmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "player"
        verbose_name_plural = "players"
        ordering = ["-player_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "login_name"], name="directory_login_per_brand"
            ),
        ]

    def __str__(self) -> str:
        return self.login_name
