"""Bet settings, limits per sport and market and risk groups in the backoffices: typed in major
units, validated, audited, scoped to the brand, and in force at placement."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.bets.models import BetLimit, BetSettings, PlayerRisk, RiskGroup
from apps.catalog.models import CatalogAudit, Sport
from shards import map as shard_map
from tests.feed_helpers import replicate
from tests.staff_roles_helpers import role_client
from tests.test_backoffice import staff_client
from tests.wallet_helpers import new_player

SETTINGS_FORM = {
    "min_stake": "0.50",
    "max_stake": "250.00",
    "max_payout": "10000.00",
    "cashout_margin_pct": "5",
    "max_lines": "500",
    "max_line_liability": "50000.00",
}


@pytest.fixture
def trader(alpha):
    return role_client("alpha.localhost", alpha.schema_name, "brand trader")


def test_a_trader_sets_the_brands_settings_in_major_units_and_it_is_audited(trader, alpha):
    response = trader.post("/admin/bets/betsettings/add/", SETTINGS_FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    row = BetSettings.objects.get(brand_id=alpha.id)
    assert (row.currency, row.min_stake, row.max_stake, row.max_payout) == (
        "EUR",
        50,
        25_000,
        1_000_000,
    )
    page = trader.get(f"/admin/bets/betsettings/{row.pk}/change/").content.decode()
    assert 'value="250.00"' in page  # shown as typed, not in cents
    response = trader.post(
        f"/admin/bets/betsettings/{row.pk}/change/", {**SETTINGS_FORM, "max_stake": "300.00"}
    )
    assert response.status_code == 302
    audit = CatalogAudit.objects.filter(brand_id=alpha.id).order_by("at")
    assert [a.action for a in audit] == ["add bet settings", "change bet settings"]
    last = audit.last()
    assert last.actor == "alpha:brand_trader"
    assert last.before["max_stake"] == 25_000 and last.after["max_stake"] == 30_000


@pytest.mark.parametrize(
    ("field", "typed"),
    [("max_stake", "0.10"), ("min_stake", "1e3"), ("max_stake", "1.234"), ("min_stake", "")],
)
def test_bad_settings_are_refused_and_nothing_is_written(trader, alpha, field, typed):
    response = trader.post("/admin/bets/betsettings/add/", {**SETTINGS_FORM, field: typed})
    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert not BetSettings.objects.exists()
    assert not CatalogAudit.objects.exists()


def test_a_limit_per_sport_is_typed_in_major_units_and_refuses_an_empty_one(trader, alpha):
    soccer = Sport.objects.get(urn="sr:sport:1")
    empty = trader.post("/admin/bets/betlimit/add/", {"sport": soccer.pk})
    assert empty.status_code == 200 and "set at least one" in empty.content.decode()
    nothing = trader.post("/admin/bets/betlimit/add/", {"max_stake": "5.00"})
    assert nothing.status_code == 200 and "name a sport" in nothing.content.decode()
    assert not BetLimit.objects.exists()
    response = trader.post(
        "/admin/bets/betlimit/add/", {"sport": soccer.pk, "market": 1, "max_stake": "5.00"}
    )
    assert response.status_code == 302
    row = BetLimit.objects.get()
    assert (row.brand_id, row.currency, row.max_stake, row.min_stake) == (
        alpha.id,
        "EUR",
        500,
        None,
    )
    twice = trader.post(
        "/admin/bets/betlimit/add/", {"sport": soccer.pk, "market": 1, "max_stake": "6"}
    )
    assert twice.status_code == 200 and BetLimit.objects.count() == 1
    assert CatalogAudit.objects.get().action == "add limit per sport and market"


def test_a_brand_sees_and_changes_only_its_own_rows(trader, alpha, beta):
    theirs = BetSettings.objects.create(brand_id=beta.id, currency="GBP", max_stake=1_000)
    assert "GBP" not in trader.get("/admin/bets/betsettings/").content.decode()
    response = trader.post(
        f"/admin/bets/betsettings/{theirs.pk}/change/", {**SETTINGS_FORM, "max_stake": "1.00"}
    )
    assert response.status_code == 302  # the admin sends it away: no such row here
    theirs.refresh_from_db()
    assert theirs.max_stake == 1_000
    # A brand's form has no brand or currency to type: posted ones are ignored.
    trader.post("/admin/bets/betsettings/add/", {**SETTINGS_FORM, "brand_id": beta.id})
    assert BetSettings.objects.get(currency="EUR").brand_id == alpha.id


def test_the_platform_sets_a_brands_settings_in_that_brands_currency(alpha, beta):
    admin = staff_client("localhost", "public")
    response = admin.post(
        "/admin/bets/betsettings/add/",
        {
            **SETTINGS_FORM,
            "min_stake": "1",
            "max_stake": "250",
            "max_payout": "100000",
            "max_line_liability": "900000",
            "brand_id": beta.id,
            "currency": "JPY",
        },
    )
    assert response.status_code == 302, response.context_data["adminform"].form.errors
    row = BetSettings.objects.get(brand_id=beta.id)
    assert (row.currency, row.max_stake, row.min_stake) == ("JPY", 250, 1)  # yen have no decimals


def test_a_risk_groups_figures_reach_its_members_on_the_shards_and_are_audited(trader, alpha, beta):
    player = new_player(alpha, funds=0)
    other = new_player(beta, funds=0)
    for p in (player, other):
        PlayerRisk.objects.using(shard_map.alias_for(p.id)).create(player_id=p.id, group="sharp")
    response = trader.post(
        "/admin/bets/riskgroup/add/",
        {"name": "sharp", "stake_factor": "0.25", "max_stake": "20.00"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    group = RiskGroup.objects.get()
    assert (group.brand_id, group.stake_factor, group.max_stake) == (
        alpha.id,
        Decimal("0.25"),
        2_000,
    )
    replicate()
    mine = PlayerRisk.objects.using(shard_map.alias_for(player.id)).get(player_id=player.id)
    assert (mine.stake_factor, mine.max_stake) == (Decimal("0.25"), 2_000)
    theirs = PlayerRisk.objects.using(shard_map.alias_for(other.id)).get(player_id=other.id)
    assert (theirs.stake_factor, theirs.max_stake) == (Decimal(1), None)  # another brand's
    bad = trader.post("/admin/bets/riskgroup/add/", {"name": "sharp", "stake_factor": "0"})
    assert bad.status_code == 200 and RiskGroup.objects.count() == 1
    trader.post(f"/admin/bets/riskgroup/{group.pk}/delete/", {"post": "yes"})
    assert not RiskGroup.objects.exists()
    replicate()
    mine.refresh_from_db()
    assert (mine.stake_factor, mine.max_stake) == (Decimal(1), None)
    assert [a.action for a in CatalogAudit.objects.order_by("at")] == [
        "add risk group",
        "delete risk group",
    ]
