"""Limits per sport and market: placement holds a bet to the tightest limit that applies to any
of its legs and to the brand's settings, and the refusal names the limit it came from."""

from __future__ import annotations

import pytest

from apps.bets.models import Bet, BetLimit, BetSettings
from apps.bets.placement import bet_place
from apps.bets.refusals import BetRefused
from apps.catalog.models import Sport
from betting import ttl_cache
from shards import map as shard_map
from tests.bets_helpers import M2, M, line, open_book, slip
from tests.wallet_helpers import new_player


@pytest.fixture
def book(clean):
    with open_book() as feed:
        yield feed


def _limit(brand, **fields):
    row = BetLimit.objects.create(brand_id=brand.id, currency=brand.currency, **fields)
    ttl_cache.clear_all()  # as the settings' few seconds would
    return row


def _place(brand, player, key, legs, stake, kind="single"):
    return bet_place(
        brand_id=brand.id,
        player_id=player.id,
        currency=brand.currency,
        slip=slip(key, legs, stake=stake, kind=kind),
    ).bet


def _bets(player):
    return Bet.objects.using(shard_map.alias_for(player.id)).filter(player_id=player.id)


def test_a_sports_maximum_stake_is_tighter_than_the_brands(book, alpha):
    soccer = Sport.objects.get(urn="sr:sport:1")
    _limit(alpha, sport=soccer, max_stake=500)
    player = new_player(alpha, funds=5_000)
    with pytest.raises(BetRefused) as refused:
        _place(alpha, player, "big", [(line(M), "1", "2.10")], 501)
    assert refused.value.code == "stake_too_high"
    assert refused.value.detail == {"max_stake": 500, "applies_to": soccer.name}
    assert soccer.name in str(refused.value)
    assert not _bets(player).exists()
    assert _place(alpha, player, "ok", [(line(M), "1", "2.10")], 500).stake == 500


def test_a_market_types_limit_applies_only_to_that_market(book, alpha):
    _limit(alpha, market_id=18, max_stake=300)  # totals
    player = new_player(alpha, funds=5_000)
    with pytest.raises(BetRefused) as refused:
        _place(alpha, player, "total", [(line(M, 18, "total=2.5"), "12", "1.90")], 400)
    assert refused.value.detail["applies_to"].startswith("market ")
    assert not _bets(player).exists()
    _place(alpha, player, "1x2", [(line(M), "1", "2.10")], 400)  # the 1x2 is not held to it


def test_the_tightest_of_the_brands_and_every_applying_limit_wins(book, alpha):
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, max_payout=10_000)
    soccer = Sport.objects.get(urn="sr:sport:1")
    _limit(alpha, sport=soccer, max_payout=20_000, min_stake=50)  # looser payout, higher minimum
    _limit(alpha, sport=soccer, market_id=1, max_payout=3_000)
    player = new_player(alpha, funds=50_000)
    legs = [(line(M), "1", "2.10"), (line(M2), "1", "2.10")]
    with pytest.raises(BetRefused) as refused:
        _place(alpha, player, "low", legs, 40, kind="multiple")
    assert refused.value.code == "stake_too_low"
    assert refused.value.detail == {"min_stake": 50, "applies_to": soccer.name}
    with pytest.raises(BetRefused) as refused:
        _place(alpha, player, "high", legs, 700, kind="multiple")  # pays 30.87 > 30.00
    assert refused.value.code == "payout_too_high"
    assert refused.value.detail == {"max_payout": 3_000, "applies_to": f"{soccer.name}, market 1x2"}
    assert not _bets(player).exists()
    assert _place(alpha, player, "ok", legs, 600, kind="multiple").potential_payout == 2_646


def test_another_brands_or_currencys_limit_does_not_apply(book, alpha, beta):
    soccer = Sport.objects.get(urn="sr:sport:1")
    _limit(beta, sport=soccer, max_stake=100)
    BetLimit.objects.create(brand_id=alpha.id, currency="USD", sport=soccer, max_stake=100)
    ttl_cache.clear_all()
    player = new_player(alpha, funds=5_000)
    assert _place(alpha, player, "ok", [(line(M), "1", "2.10")], 1_000).stake == 1_000
