"""Bets live on the player's shard, beside the player's wallet: placing one is one transaction.

A bet is a slip the player sent once (``slip_key``, unique per player): its kind (single,
multiple, system), its stake, and its legs with the odds taken. The stake is held in the ledger
in the transaction that creates the bet. Bet settings (limits per brand and currency) are global.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Func, Q

from shards.models import GlobalModel, ShardModel

KINDS = [("single", "single"), ("multiple", "multiple"), ("system", "system")]
STATUSES = [
    ("pending", "waiting for its in-play delay"),
    ("open", "accepted, not settled"),
    ("settled", "settled"),
    ("refused", "refused"),
    ("cashed_out", "cashed out"),
]
ODDS_POLICIES = [
    ("any", "accept any change"),
    ("higher", "accept higher odds"),
    ("none", "accept no change"),
]


class Bet(ShardModel):
    shard_key = "player_id"

    id = models.BigIntegerField(primary_key=True, db_default=Func(function="platform_next_id"))
    player_id = models.BigIntegerField()
    brand_id = models.IntegerField()
    currency = models.CharField(max_length=3)
    slip_key = models.CharField(max_length=100, help_text="the player's idempotency key")
    slip_print = models.CharField(max_length=64, help_text="fingerprint of the slip as sent")
    kind = models.CharField(max_length=10, choices=KINDS)
    system = models.CharField(max_length=20, blank=True, help_text="e.g. doubles, yankee")
    lines = models.IntegerField(default=1)
    unit_stake = models.BigIntegerField()
    stake = models.BigIntegerField(help_text="unit stake x lines, minor units")
    potential_payout = models.BigIntegerField()
    odds_policy = models.CharField(max_length=6, choices=ODDS_POLICIES, default="none")
    live = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=STATUSES)
    refusal = models.CharField(max_length=40, blank=True)
    reservation_id = models.BigIntegerField(null=True, blank=True)
    payout = models.BigIntegerField(default=0, help_text="paid by the current settlement")
    owed = models.BigIntegerField(
        default=0, help_text="a reversed payout the player's cash could not cover: netted next"
    )
    postings = models.IntegerField(
        default=0, help_text="payouts and reversals so far: each one's key has its number"
    )
    staked = models.BigIntegerField(
        default=0, help_text="the stake at placement (a partial cash-out lowers only stake)"
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["player_id", "slip_key"], name="bet_slip_once"),
            models.CheckConstraint(
                condition=Q(stake__gt=0, unit_stake__gt=0, lines__gt=0), name="bet_stake_positive"
            ),
        ]
        indexes = [models.Index(fields=["player_id", "-placed_at"], name="bet_player_recent")]

    def __str__(self) -> str:
        return f"bet {self.id}"


LEG_STATUSES = [
    ("open", "open"),
    ("won", "won"),
    ("lost", "lost"),
    ("void", "void"),
    ("half_won", "half won"),
    ("half_lost", "half lost"),
]


class BetLeg(ShardModel):
    shard_key = "player_id"

    id = models.BigAutoField(primary_key=True)
    # No index of its own: the unique (bet, position) index below serves every lookup by bet,
    # and one index fewer is one insert fewer per leg placed.
    bet = models.ForeignKey(Bet, on_delete=models.CASCADE, related_name="legs", db_index=False)
    player_id = models.BigIntegerField()
    position = models.SmallIntegerField()
    event_id = models.BigIntegerField()
    market = models.BigIntegerField(help_text="the catalog's market line id")
    market_id = models.IntegerField()
    specifiers = models.CharField(max_length=200, blank=True)
    outcome_id = models.CharField(max_length=60)
    odds = models.DecimalField(max_digits=9, decimal_places=3)
    status = models.CharField(max_length=10, choices=LEG_STATUSES, default="open")
    void_factor = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    dead_heat_factor = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    result_ts = models.BigIntegerField(null=True, blank=True, help_text="the result applied")
    cancelled = models.BooleanField(default=False, help_text="void by the feed's bet_cancel")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bet", "position"], name="bet_leg_position_once"),
            models.CheckConstraint(condition=Q(odds__gte=1), name="bet_leg_odds_at_least_one"),
        ]
        indexes = [
            models.Index(
                fields=["event_id", "market_id", "specifiers", "outcome_id"], name="bet_leg_line"
            )
        ]


CASH_OUT_STATUSES = [
    ("pending", "waiting for its in-play delay"),
    ("paid", "paid"),
    ("refused", "refused after its delay"),
]


class CashOut(ShardModel):
    """A cash-out of a bet, whole or part, applied once per key. One asked of a bet with a leg
    in play is ``pending`` until its sport's in-play delay is over, then paid or refused."""

    shard_key = "player_id"

    id = models.BigAutoField(primary_key=True)
    bet = models.ForeignKey(Bet, on_delete=models.CASCADE, related_name="cash_outs")
    player_id = models.BigIntegerField()
    key = models.CharField(max_length=100)
    status = models.CharField(max_length=8, choices=CASH_OUT_STATUSES, default="paid")
    amount = models.BigIntegerField(help_text="paid to the player, minor units")
    unit_stake_before = models.BigIntegerField()
    unit_stake_after = models.BigIntegerField()
    seen_offer = models.BigIntegerField(null=True, blank=True, help_text="the offer the player saw")
    tolerance = models.BigIntegerField(default=0, help_text="how far the offer may have moved")
    requested = models.BigIntegerField(
        null=True, blank=True, help_text="a partial cash-out's amount (none: the whole offer)"
    )
    refusal = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bet", "key"], name="cash_out_once"),
            models.CheckConstraint(
                condition=Q(amount__gt=0) | ~Q(status="paid"), name="cash_out_positive"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(status="pending"), name="cash_out_pending"
            )
        ]


DEFAULT_MAX_LINES = 1_000  # a Goliath has 247 lines, trebles over 20 legs 1,140
MAX_LINES_CEILING = 10_000  # what any brand may allow: each line is priced on every read


class BetSettings(GlobalModel):
    """A brand's limits in one currency (a brand without a row uses the defaults)."""

    brand_id = models.IntegerField()
    currency = models.CharField(max_length=3)
    min_stake = models.BigIntegerField(default=10, help_text="minor units, per line")
    max_stake = models.BigIntegerField(default=100_000_00, help_text="minor units, per bet")
    max_payout = models.BigIntegerField(default=1_000_000_00, help_text="minor units, per bet")
    allow_same_event = models.BooleanField(
        default=False, help_text="a multiple may hold two legs of one event"
    )
    cashout_margin_pct = models.DecimalField(
        max_digits=4, decimal_places=2, default=5, help_text="kept from a bet's fair value"
    )
    max_lines = models.IntegerField(
        default=DEFAULT_MAX_LINES,
        help_text="lines a system bet may have (its combinations: 10-folds over 20 legs are "
        f"184,756), at most {MAX_LINES_CEILING:,}",
    )
    max_line_liability = models.BigIntegerField(
        default=5_000_000_00,
        help_text="per outcome of a market line, all shards together: each shard may take its "
        "share (this / the number of shards) without asking the others",
    )

    class Meta:
        verbose_name_plural = "bet settings"
        constraints = [
            models.UniqueConstraint(fields=["brand_id", "currency"], name="bet_settings_once"),
            models.CheckConstraint(
                condition=Q(min_stake__gt=0) & Q(max_stake__gte=models.F("min_stake")),
                name="bet_settings_sane",
            ),
            models.CheckConstraint(
                condition=Q(max_lines__gte=1, max_lines__lte=MAX_LINES_CEILING),
                name="bet_settings_max_lines",
            ),
        ]


class LineLiability(ShardModel):
    """This shard's liability on an outcome of a market line: what it pays if that outcome wins
    (for multiples, the whole potential payout counts on each leg: the worst case). Checked
    against this shard's quota of the line's limit in the placement's transaction; the ``sent_``
    figures are what the global tier has been told (``risk.liability_announce``)."""

    market = models.BigIntegerField(help_text="the catalog's market line id")
    outcome_id = models.CharField(max_length=60)
    stakes = models.BigIntegerField(default=0)
    liability = models.BigIntegerField(default=0)
    bets = models.IntegerField(default=0, db_default=0)
    sent_stakes = models.BigIntegerField(
        default=0, db_default=0, help_text="as last announced to the global tier"
    )
    sent_liability = models.BigIntegerField(default=0, db_default=0)
    sent_bets = models.IntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["market", "outcome_id"], name="line_liability_once")
        ]


class PlayerRisk(ShardModel):
    """A player's risk group (their maximum stake is the brand's times the group's factor) and
    the operator's own stake limit for them."""

    shard_key = "player_id"

    player_id = models.BigIntegerField(unique=True)
    group = models.CharField(max_length=30, default="standard")
    stake_factor = models.DecimalField(max_digits=5, decimal_places=2, default=1)
    max_stake = models.BigIntegerField(
        null=True, blank=True, help_text="the operator's limit per bet for this player"
    )


LIMIT_KINDS = [("wager", "wager limit"), ("loss", "loss limit")]
LIMIT_PERIODS = [("day", "day"), ("week", "week"), ("month", "month")]


class PlayerLimit(ShardModel):
    """A responsible-gambling limit the player set: at most ``amount`` staked (wager) or lost
    (stakes less payouts) over the current day, week or month."""

    shard_key = "player_id"

    player_id = models.BigIntegerField()
    kind = models.CharField(max_length=5, choices=LIMIT_KINDS)
    period = models.CharField(max_length=5, choices=LIMIT_PERIODS)
    amount = models.BigIntegerField()
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["player_id", "kind", "period"], name="player_limit_once"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="player_limit_not_negative"),
        ]


class SettlementRun(ShardModel):
    """Bets a result touched, to be paid in short transactions after the result's own commits:
    written in that transaction (with the legs' update), deleted once every bet is paid. One
    left behind (its worker died) is taken up by the sweep (``bets.sweep_settlements``)."""

    bet_ids = ArrayField(models.BigIntegerField())
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)


class Liability(GlobalModel):
    """Every shard's liability on an outcome, summed in the global tier (the risk view)."""

    market = models.BigIntegerField(help_text="the catalog's market line id")
    event_id = models.BigIntegerField()
    market_id = models.IntegerField()
    specifiers = models.CharField(max_length=200, blank=True)
    outcome_id = models.CharField(max_length=60)
    stakes = models.BigIntegerField(default=0)
    liability = models.BigIntegerField(default=0)
    bets = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "liabilities"
        constraints = [
            models.UniqueConstraint(fields=["market", "outcome_id"], name="liability_once")
        ]
        indexes = [models.Index(fields=["-liability"], name="liability_biggest")]

    def __str__(self) -> str:
        return f"market {self.market_id} {self.specifiers} outcome {self.outcome_id}".strip()


class TurnoverChange(ShardModel):
    """What a brand's figures of a day changed by on this shard: written by the triggers of
    ``bets_turnover.sql`` as bets are accepted, settled, cashed out or refused (one row per
    brand and day a statement touched), sent to the global tier and deleted by
    ``turnover.turnover_announce``. Append-only, so placements never wait for each other on a
    brand's counter row."""

    brand_id = models.IntegerField()
    day = models.DateField(help_text="UTC day the change happened")
    product = models.CharField(max_length=20, default="sportsbook")
    stakes = models.BigIntegerField(default=0, help_text="stakes accepted, minor units")
    bets = models.IntegerField(default=0, help_text="bets accepted")
    payouts = models.BigIntegerField(default=0, help_text="settlement payouts and cash-outs")
    liability = models.BigIntegerField(
        default=0, help_text="change of the potential payouts of open bets"
    )


class BetLimit(GlobalModel):
    """A brand's own limits on one sport, one market type, or one market type of one sport, in
    one currency: tighter than its bet settings there. A bet is held to every limit that applies
    to any of its legs, and to the brand's settings: the tightest of each figure wins. An empty
    figure leaves the others' in force."""

    brand_id = models.IntegerField()
    currency = models.CharField(max_length=3)
    sport = models.ForeignKey(
        "catalog.Sport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="empty: every sport",
    )
    market = models.ForeignKey(
        "catalog.MarketDescription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="the market type (e.g. 1 = 1x2); empty: every market of the sport",
    )
    min_stake = models.BigIntegerField(null=True, blank=True, help_text="minor units, per line")
    max_stake = models.BigIntegerField(null=True, blank=True, help_text="minor units, per bet")
    max_payout = models.BigIntegerField(null=True, blank=True, help_text="minor units, per bet")

    class Meta:
        verbose_name = "limit per sport and market"
        verbose_name_plural = "limits per sport and market"
        constraints = [
            models.UniqueConstraint(
                fields=["brand_id", "currency", "sport", "market"],
                name="bet_limit_once",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(sport__isnull=False) | Q(market__isnull=False),
                name="bet_limit_names_a_sport_or_market",
            ),
            models.CheckConstraint(
                condition=Q(min_stake__isnull=False)
                | Q(max_stake__isnull=False)
                | Q(max_payout__isnull=False),
                name="bet_limit_sets_a_figure",
            ),
            models.CheckConstraint(
                condition=(Q(min_stake__isnull=True) | Q(min_stake__gt=0))
                & (Q(max_stake__isnull=True) | Q(max_stake__gt=0))
                & (Q(max_payout__isnull=True) | Q(max_payout__gt=0)),
                name="bet_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(min_stake__isnull=True)
                | Q(max_stake__isnull=True)
                | Q(max_stake__gte=models.F("min_stake")),
                name="bet_limit_sane",
            ),
        ]

    def __str__(self) -> str:
        return self.scope()

    def scope(self) -> str:
        """What the limit applies to, as a refusal names it: "Soccer", "market 1x2", "Soccer,
        market 1x2"."""
        parts = []
        if self.sport_id is not None:
            parts.append(self.sport.name)
        if self.market_id is not None:
            parts.append(f"market {self.market.name}")
        return ", ".join(parts)


class RiskGroup(GlobalModel):
    """A brand's named risk group: its players' maximum stake is the brand's times the group's
    factor, and no more than the group's own maximum. The players' rows on the shards
    (``PlayerRisk``) carry the figures placement reads; a change reaches them through the
    outbox (``bets.risk_group``)."""

    brand_id = models.IntegerField()
    name = models.CharField(max_length=30)
    stake_factor = models.DecimalField(
        max_digits=5, decimal_places=2, default=1, help_text="e.g. 0.25 for a quarter"
    )
    max_stake = models.BigIntegerField(
        null=True, blank=True, help_text="minor units, per bet; empty: no limit of the group's"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["brand_id", "name"], name="risk_group_once"),
            models.CheckConstraint(
                condition=Q(stake_factor__gt=0, stake_factor__lte=100),
                name="risk_group_factor_range",
            ),
            models.CheckConstraint(
                condition=Q(max_stake__isnull=True) | Q(max_stake__gt=0),
                name="risk_group_max_stake_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name
