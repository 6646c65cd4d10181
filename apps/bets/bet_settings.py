"""A brand's bet settings in a currency (stakes, payouts, lines, cash-out margin), its limits
per sport and market, and a sport's in-play delay: read from the global tier, kept per process
for ``SETTINGS_TTL_S`` (a change in the backoffice is in force everywhere within that time).

A bet is held to the brand's settings and to every limit of a sport or market type one of its
legs is in; of each figure the tightest wins (the highest minimum stake, the lowest maximum
stake and payout), and a refusal names the limit it came from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from apps.bets.models import BetLimit, BetSettings
from apps.bets.refusals import BetRefused
from apps.catalog.models import Sport
from betting.ttl_cache import TtlCache

SETTINGS_TTL_S = 30.0

_settings: TtlCache[BetSettings] = TtlCache("bet settings", ttl_s=SETTINGS_TTL_S)
_delays: TtlCache[int] = TtlCache("in-play delays", ttl_s=SETTINGS_TTL_S)
_limits: TtlCache[tuple[SportMarketLimit, ...]] = TtlCache(
    "limits per sport and market", ttl_s=SETTINGS_TTL_S
)


@dataclass(frozen=True)
class SportMarketLimit:
    """A ``BetLimit`` as placement reads it (``None``: every sport, every market, no figure)."""

    sport_id: int | None
    market_id: int | None
    min_stake: int | None
    max_stake: int | None
    max_payout: int | None
    scope: str  # how a refusal names it: "Soccer", "market 1x2", "Soccer, market 1x2"

    def applies(self, *, sport_id: int, market_id: int) -> bool:
        return self.sport_id in (None, sport_id) and self.market_id in (None, market_id)


@dataclass(frozen=True)
class Figure:
    """One figure in force for a bet and where it comes from ("" for the brand's settings)."""

    amount: int
    scope: str = ""


@dataclass(frozen=True)
class BetLimits:
    min_stake: Figure
    max_stake: Figure
    max_payout: Figure


def bet_settings_for(*, brand_id: int, currency: str) -> BetSettings:
    found = _settings.get((brand_id, currency))
    if found is None:
        row = BetSettings.objects.filter(brand_id=brand_id, currency=currency).first()
        found = row or BetSettings(brand_id=brand_id, currency=currency)
        _settings.put((brand_id, currency), found)
    return found


def sport_market_limits(*, brand_id: int, currency: str) -> tuple[SportMarketLimit, ...]:
    found = _limits.get((brand_id, currency))
    if found is None:
        rows = BetLimit.objects.filter(brand_id=brand_id, currency=currency).select_related(
            "sport", "market"
        )
        found = tuple(
            SportMarketLimit(
                sport_id=row.sport_id,
                market_id=row.market_id,
                min_stake=row.min_stake,
                max_stake=row.max_stake,
                max_payout=row.max_payout,
                scope=row.scope(),
            )
            for row in rows
        )
        _limits.put((brand_id, currency), found)
    return found


def bet_limits(
    *,
    settings: BetSettings,
    limits: Iterable[SportMarketLimit],
    legs: Iterable[tuple[int, int]],
) -> BetLimits:
    """The figures a bet of these legs ((sport id, market type id) each) is held to: the
    tightest of the brand's settings and the limits that apply to any leg."""
    legs = list(legs)
    min_stake = Figure(settings.min_stake)
    max_stake = Figure(settings.max_stake)
    max_payout = Figure(settings.max_payout)
    for limit in limits:
        if not any(limit.applies(sport_id=s, market_id=m) for s, m in legs):
            continue
        if limit.min_stake is not None and limit.min_stake > min_stake.amount:
            min_stake = Figure(limit.min_stake, limit.scope)
        if limit.max_stake is not None and limit.max_stake < max_stake.amount:
            max_stake = Figure(limit.max_stake, limit.scope)
        if limit.max_payout is not None and limit.max_payout < max_payout.amount:
            max_payout = Figure(limit.max_payout, limit.scope)
    return BetLimits(min_stake=min_stake, max_stake=max_stake, max_payout=max_payout)


def in_play_delay(*, sport_id: int) -> int:
    delay = _delays.get(sport_id)
    if delay is None:
        delay = Sport.objects.filter(pk=sport_id).values_list("in_play_delay_s", flat=True).first()
        delay = 5 if delay is None else delay
        _delays.put(sport_id, delay)
    return delay


def lines_check(*, lines: int, settings: BetSettings) -> None:
    """Refuse (``too_many_lines``) a bet of more lines than the brand takes. Each line is priced
    at placement, for every cash-out offer and at settlement, so a 10-folds over 20 legs
    (184,756 lines) would cost seconds of a web process each time: it is refused on its count,
    before any line is listed."""
    if lines > settings.max_lines:
        raise BetRefused(
            "too_many_lines",
            f"a bet has at most {settings.max_lines:,} lines",
            lines=lines,
            max_lines=settings.max_lines,
        )
