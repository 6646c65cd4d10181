"""A brand's bet settings in a currency (stakes, payouts, cash-out margin) and a sport's in-play
delay: read from the global tier, kept per process for ``SETTINGS_TTL_S``."""

from __future__ import annotations

import time

from apps.bets.models import BetSettings
from apps.catalog.models import Sport

SETTINGS_TTL_S = 30.0

_settings: dict[tuple[int, str], tuple[float, BetSettings]] = {}
_delays: dict[int, tuple[float, int]] = {}


def bet_settings_for(*, brand_id: int, currency: str) -> BetSettings:
    now = time.monotonic()
    hit = _settings.get((brand_id, currency))
    if hit is None or now - hit[0] > SETTINGS_TTL_S:
        row = BetSettings.objects.filter(brand_id=brand_id, currency=currency).first()
        hit = (now, row or BetSettings(brand_id=brand_id, currency=currency))
        _settings[(brand_id, currency)] = hit
    return hit[1]


def in_play_delay(*, sport_id: int) -> int:
    now = time.monotonic()
    hit = _delays.get(sport_id)
    if hit is None or now - hit[0] > SETTINGS_TTL_S:
        delay = Sport.objects.filter(pk=sport_id).values_list("in_play_delay_s", flat=True).first()
        hit = (now, 5 if delay is None else delay)
        _delays[sport_id] = hit
    return hit[1]


def forget_settings() -> None:
    _settings.clear()
    _delays.clear()
