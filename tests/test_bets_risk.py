"""Risk: per-line liability quotas on each shard, the global sum, risk groups, the risk view."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.bets import risk
from apps.bets.models import BetSettings, Liability, LineLiability, PlayerRisk
from apps.bets.placement import bet_place
from apps.bets.refusals import BetRefused
from apps.catalog.models import Market, ReplicaDesk, ReplicaMarket
from apps.outbox.models import ShardOutbox
from apps.outbox.services import OutboxEvent, event_apply_once
from shards import map as shard_map
from tests.bets_helpers import M, line, open_book, slip
from tests.feed_helpers import replicate
from tests.test_backoffice import staff_client
from tests.wallet_helpers import new_player


@pytest.fixture
def book(clean):
    with open_book() as feed:
        yield feed


def _deliver_to_global() -> None:
    """Announce each shard's liability (as its pool does every few seconds), then apply the
    shards' outbox events in the global tier, as the global worker would."""
    for alias in shard_map.aliases():
        risk.liability_announce(using=alias)
        rows = list(ShardOutbox.objects.using(alias).order_by("id"))
        for row in rows:
            event_apply_once(
                event=OutboxEvent(
                    row.event_id, row.topic, row.audience, row.brand_id, alias, row.payload
                ),
                using=shard_map.GLOBAL_ALIAS,
            )
        ShardOutbox.objects.using(alias).filter(id__in=[r.id for r in rows]).delete()


def _place(brand, player, key, stake, outcome="1", price="2.10"):
    return bet_place(
        brand_id=brand.id,
        player_id=player.id,
        currency=brand.currency,
        slip=slip(key, [(line(M), outcome, price)], stake=stake),
    ).bet


def test_each_shard_takes_its_quota_of_a_lines_limit_without_asking_the_others(book, alpha):
    # 42.00 of liability per outcome in all; two shards: 21.00 each (a 10.00 bet at 2.10).
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, max_line_liability=4_200)
    players = [new_player(alpha, funds=5_000) for _ in range(8)]
    by_shard: dict[str, list] = {}
    for p in players:
        by_shard.setdefault(shard_map.alias_for(p.id), []).append(p)
    assert set(by_shard) == {"shard_0", "shard_1"}
    for alias, group in by_shard.items():
        first, second = group[0], group[1]
        _place(alpha, first, "a", 1_000)
        with pytest.raises(BetRefused) as refused:
            _place(alpha, second, "b", 100)
        assert refused.value.code == "liability_limit"
        row = LineLiability.objects.using(alias).get(market=line(M), outcome_id="1")
        assert (row.liability, row.stakes) == (2_100, 1_000)
        _place(alpha, second, "c", 600, outcome="2", price="3.30")  # another outcome: fine
    _deliver_to_global()
    total = Liability.objects.get(market=line(M), outcome_id="1")
    assert (total.liability, total.stakes, total.bets) == (4_200, 2_000, 2)


def test_settlement_releases_the_liability_everywhere(book, alpha):
    player = new_player(alpha, funds=5_000)
    _place(alpha, player, "a", 1_000)
    _deliver_to_global()
    exposed = Liability.objects.get(market=line(M), outcome_id="1")
    assert (exposed.liability, exposed.bets) == (2_100, 1)
    book.process(
        [
            b'<bet_settlement product="1" event_id="sr:match:4000" timestamp="5000" certainty="2">'
            b'<outcomes><market id="1"><outcome id="1" result="1"/><outcome id="2" result="0"/>'
            b'<outcome id="3" result="0"/></market></outcomes></bet_settlement>'
        ]
    )
    replicate()
    alias = shard_map.alias_for(player.id)
    row = LineLiability.objects.using(alias).get(market=line(M))
    assert (row.liability, row.stakes, row.bets) == (0, 0, 0)
    _deliver_to_global()
    total = Liability.objects.get(market=line(M), outcome_id="1")
    assert (total.liability, total.bets) == (0, 0)
    # Once the release was announced, the shard keeps no row for the line: the announcements
    # scan the open book, not every outcome ever bet on.
    assert not LineLiability.objects.using(alias).filter(market=line(M)).exists()
    assert risk.liability_announce(using=alias) == 0


def test_a_liability_row_that_came_and_went_between_announcements_is_deleted_unsent(book, alpha):
    """Raised and released before the next announcement (a live bet refused in its delay, a
    quick cash-out): nothing to tell the global tier, and no row left behind."""
    alias = shard_map.aliases()[0]
    LineLiability.objects.using(alias).create(market=line(M), outcome_id="2")  # all at zero
    outbox = ShardOutbox.objects.using(alias).filter(topic=risk.TOPIC)
    assert risk.liability_announce(using=alias) == 0
    assert not outbox.exists()
    assert not LineLiability.objects.using(alias).filter(market=line(M)).exists()


def test_a_risk_group_scales_the_players_maximum_stake(book, alpha):
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, max_stake=1_000)
    player = new_player(alpha, funds=5_000)
    PlayerRisk.objects.using(shard_map.alias_for(player.id)).create(
        player_id=player.id, group="sharp", stake_factor=Decimal("0.25")
    )
    with pytest.raises(BetRefused) as refused:
        _place(alpha, player, "big", 300)
    assert refused.value.code == "stake_too_high" and refused.value.detail == {"max_stake": 250}
    _place(alpha, player, "ok", 250)


def test_the_risk_view_lists_the_biggest_exposures_and_suspends_a_market(book, alpha):
    player = new_player(alpha, funds=50_000)
    _place(alpha, player, "a", 1_000)
    _place(alpha, player, "b", 5_000, outcome="3", price="3.60")
    _deliver_to_global()
    admin = staff_client("localhost", "public")
    page = admin.get("/admin/bets/liability/").content.decode()
    # Biggest first (5,000 at 3.60), in the minor units every currency sums to.
    assert page.index("18,000") < page.index("2,100")
    ids = [str(r.pk) for r in Liability.objects.all()]
    answer = admin.post(
        "/admin/bets/liability/", {"action": "suspend_markets", "_selected_action": ids}
    )
    assert answer.status_code == 302
    assert Market.objects.get(pk=line(M)).suspended is True
    replicate()
    assert ReplicaDesk.objects.using("shard_0").get(target_id=line(M)).suspended is True


def test_the_operators_own_stake_limit_for_a_player(book, alpha):
    player = new_player(alpha, funds=5_000)
    PlayerRisk.objects.using(shard_map.alias_for(player.id)).create(
        player_id=player.id, max_stake=200
    )
    with pytest.raises(BetRefused) as refused:
        _place(alpha, player, "big", 201)
    assert refused.value.detail == {"max_stake": 200}
    _place(alpha, player, "ok", 200)


@pytest.mark.parametrize("kind", ["wager", "loss"])
def test_a_responsible_gambling_limit_the_player_set_is_kept(book, alpha, kind):
    from apps.bets.models import PlayerLimit

    player = new_player(alpha, funds=5_000)
    PlayerLimit.objects.using(shard_map.alias_for(player.id)).create(
        player_id=player.id, kind=kind, period="day", amount=1_500
    )
    _place(alpha, player, "a", 1_000)
    with pytest.raises(BetRefused) as refused:
        _place(alpha, player, "b", 600)
    assert refused.value.code == f"{kind}_limit"
    assert refused.value.detail == {"period": "day", "left": 500}
    _place(alpha, player, "c", 500)


def test_concurrent_slips_never_pass_a_wager_limit_together(book, alpha):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from apps.bets.models import PlayerLimit

    player = new_player(alpha, funds=50_000)
    PlayerLimit.objects.using(shard_map.alias_for(player.id)).create(
        player_id=player.id, kind="wager", period="day", amount=3_000
    )

    def go(n):
        try:
            return _place(alpha, player, f"c{n}", 1_000).stake
        except BetRefused as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(go, range(10)))
    assert sorted(map(str, answers)) == ["1000"] * 3 + ["wager_limit"] * 7


def test_a_shard_announces_its_liability_as_deltas_once(book, alpha):
    """Bets raise the shard's rows only; the pool's announcement sends what changed since the
    last one as one outbox event, and marks it sent in the same transaction."""
    players = [new_player(alpha, funds=10_000) for _ in range(8)]
    alias = max(
        shard_map.aliases(), key=lambda a: sum(shard_map.alias_for(p.id) == a for p in players)
    )
    mine = [p for p in players if shard_map.alias_for(p.id) == alias][:2]
    for n, player in enumerate(mine):
        _place(alpha, player, f"d{n}", 1_000)
    liability = ShardOutbox.objects.using(alias).filter(topic=risk.TOPIC)
    assert not liability.exists()  # nothing per bet
    assert risk.liability_announce(using=alias) == 1
    (event,) = liability.all()
    event_id = ReplicaMarket.objects.using(alias).get(pk=line(M)).event_id
    assert event.payload["lines"] == [[line(M), event_id, 1, "", "1", 2_000, 4_200, 2]]
    assert risk.liability_announce(using=alias) == 0  # already sent
    assert liability.count() == 1
    _deliver_to_global()
    total = Liability.objects.get(market=line(M), outcome_id="1")
    assert (total.stakes, total.liability, total.bets) == (2_000, 4_200, 2)
