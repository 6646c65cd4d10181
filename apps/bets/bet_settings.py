"""A brand's bet settings in a currency (stakes, payouts, lines, cash-out margin) and a sport's
in-play delay: read from the global tier, kept per process for ``SETTINGS_TTL_S``."""

from __future__ import annotations

from apps.bets.models import BetSettings
from apps.bets.refusals import BetRefused
from apps.catalog.models import Sport
from betting.ttl_cache import TtlCache

SETTINGS_TTL_S = 30.0

_settings: TtlCache[BetSettings] = TtlCache("bet settings", ttl_s=SETTINGS_TTL_S)
_delays: TtlCache[int] = TtlCache("in-play delays", ttl_s=SETTINGS_TTL_S)


def bet_settings_for(*, brand_id: int, currency: str) -> BetSettings:
    found = _settings.get((brand_id, currency))
    if found is None:
        row = BetSettings.objects.filter(brand_id=brand_id, currency=currency).first()
        found = row or BetSettings(brand_id=brand_id, currency=currency)
        _settings.put((brand_id, currency), found)
    return found


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
