"""The brand dashboard: the shards' changes to brands' daily figures (stakes, bets, payouts,
open liability) folded once each into the global ``BrandDay``; the figures after real
placements, cash-outs and settlements; the pages, for each kind of visitor."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.backoffice.dashboard import brand_dashboard, brands_summary
from apps.backoffice.models import BrandDay
from apps.bets import cashout, turnover
from apps.bets.models import BetSettings, TurnoverChange
from apps.bets.placement import bet_place
from apps.bets.refusals import BetRefused
from apps.brands.models import Brand
from apps.outbox.models import ShardOutbox
from apps.outbox.services import OutboxEvent, event_apply_once
from shards import map as shard_map
from tests.bets_helpers import M2, M, line, open_book, slip
from tests.feed_helpers import market, odds_change, replicate
from tests.test_backoffice import STAFF_PASSWORD, staff_client, staff_login
from tests.test_bets_settlement import HOME_WINS, _settle
from tests.test_players import register_on_site, site
from tests.wallet_helpers import new_player


@pytest.fixture
def book(clean):
    with open_book() as feed:
        yield feed


def _events() -> list[OutboxEvent]:
    """Each shard's turnover announcement (as its pool sends every few seconds), taken from the
    shard's outbox as the relay would."""
    events = []
    for alias in shard_map.aliases():
        turnover.turnover_announce(using=alias)
        rows = list(ShardOutbox.objects.using(alias).filter(topic=turnover.TOPIC).order_by("id"))
        events += [
            OutboxEvent(r.event_id, r.topic, r.audience, r.brand_id, alias, r.payload) for r in rows
        ]
        ShardOutbox.objects.using(alias).filter(id__in=[r.id for r in rows]).delete()
    return events


def _fold() -> int:
    return sum(event_apply_once(event=e, using=shard_map.GLOBAL_ALIAS) for e in _events())


def _today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def _day(brand) -> tuple[int, int, int, int]:
    row = BrandDay.objects.get(brand_id=brand.id, day=_today(), product="sportsbook")
    return (row.stakes, row.bets, row.payouts, row.liability_change)


def _place(brand, player, key, legs, stake):
    return bet_place(
        brand_id=brand.id,
        player_id=player.id,
        currency=brand.currency,
        slip=slip(key, legs, stake=stake),
    ).bet


def test_figures_follow_placements_cash_outs_and_settlements(book, alpha, beta):
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, cashout_margin_pct=0)
    ann, abe = new_player(alpha, funds=5_000), new_player(alpha, funds=5_000)
    bob = new_player(beta, funds=5_000)
    _place(alpha, ann, "home", [(line(M), "1", "2.10")], 1_000)  # wins 21.00
    _place(alpha, abe, "away", [(line(M), "3", "3.60")], 500)  # loses
    other = _place(alpha, abe, "other", [(line(M2), "1", "2.10")], 1_000)  # 4.00 cashed out
    _place(beta, bob, "gbp", [(line(M2), "1", "2.10")], 700)
    with pytest.raises(BetRefused):  # more than the player has: refused, counts nowhere
        _place(alpha, ann, "broke", [(line(M2), "1", "2.10")], 9_000)
    assert _fold() >= 1
    # Accepted: 25.00 staked on three bets, each open for its potential payout.
    assert _day(alpha) == (2_500, 3, 0, 2_100 + 1_800 + 2_100)
    assert _day(beta) == (700, 1, 0, 1_470)

    book.process([odds_change(M2, 2000, market(1, {"1": "2.10", "2": "3.30", "3": "3.60"}))])
    replicate()
    paid = cashout.bet_cash_out(
        player_id=abe.id, bet_id=other.id, key="part", seen_offer=1_000, amount=400
    )
    assert (paid.amount, paid.unit_stake_after) == (400, 600)
    book.process([_settle(M, 5000, HOME_WINS)])
    replicate()
    _fold()
    # Paid 21.00 and the 4.00 cash-out; open: the rest of the cashed-out bet (6.00 x 2.10).
    assert _day(alpha) == (2_500, 3, 2_500, 1_260)
    assert _day(beta) == (700, 1, 0, 1_470)

    board = brand_dashboard(brand_id=alpha.id, brand_name="Alpha", currency=alpha.currency)
    sportsbook = board.products[0]
    assert (sportsbook.product, sportsbook.today.turnover, sportsbook.today.bets) == (
        "sportsbook",
        "25.00",
        3,
    )
    assert (sportsbook.today.payouts, sportsbook.today.ggr, sportsbook.liability) == (
        "25.00",
        "0.00",
        "12.60",
    )
    assert sportsbook.month == sportsbook.today
    assert not TurnoverChange.objects.using("shard_0").exists()
    assert not TurnoverChange.objects.using("shard_1").exists()


def test_folding_is_idempotent_on_replay(book, alpha):
    ann = new_player(alpha, funds=5_000)
    _place(alpha, ann, "one", [(line(M), "1", "2.10")], 1_000)
    events = _events()
    assert len(events) == 1
    assert event_apply_once(event=events[0], using=shard_map.GLOBAL_ALIAS) is True
    before = _day(alpha)
    # The relay republished it, the broker redelivered it: nothing changes.
    assert event_apply_once(event=events[0], using=shard_map.GLOBAL_ALIAS) is False
    assert event_apply_once(event=events[0], using=shard_map.GLOBAL_ALIAS) is False
    assert _day(alpha) == before == (1_000, 1, 0, 2_100)
    assert _events() == []  # each change is sent once


def test_a_rolled_back_placement_records_nothing(book, alpha):
    ann = new_player(alpha, funds=100)
    with pytest.raises(BetRefused):
        _place(alpha, ann, "too much", [(line(M), "1", "2.10")], 1_000)
    assert _events() == []
    assert not BrandDay.objects.exists()


def test_thirty_days_and_open_liability_from_older_days(alpha, beta):
    today = _today()
    rows = [
        (today, 1_000, 2, 300, 500),
        (today - dt.timedelta(days=29), 2_000, 1, 2_500, 100),  # the window's first day
        (today - dt.timedelta(days=30), 9_000, 9, 0, 700),  # before it: liability only
    ]
    for day, stakes, bets, payouts, liability in rows:
        BrandDay.objects.create(
            brand_id=alpha.id,
            day=day,
            stakes=stakes,
            bets=bets,
            payouts=payouts,
            liability_change=liability,
        )
    BrandDay.objects.create(brand_id=beta.id, day=today, stakes=77, bets=1, liability_change=5)
    board = brand_dashboard(brand_id=alpha.id, brand_name="Alpha", currency="EUR")
    sportsbook = board.products[0]
    assert (sportsbook.today.turnover, sportsbook.today.ggr) == ("10.00", "7.00")
    assert (sportsbook.month.turnover, sportsbook.month.bets, sportsbook.month.ggr) == (
        "30.00",
        3,
        "2.00",
    )
    assert sportsbook.liability == "13.00"
    assert len(sportsbook.days) == 30 and sportsbook.days[0].liability == 800
    turnover_chart, ggr_chart = sportsbook.charts[0], sportsbook.charts[1]
    assert len(turnover_chart.bars) == 30
    assert ggr_chart.bars[0].negative and not ggr_chart.bars[-1].negative
    assert ggr_chart.bars[0].title.endswith(": -5.00 EUR")
    summary = {
        s.brand_id: s
        for s in brands_summary(brands=list(Brand.objects.filter(id__in=[alpha.id, beta.id])))
    }
    assert (summary[alpha.id].month.turnover, summary[alpha.id].liability) == ("30.00", "13.00")
    assert (summary[beta.id].today.turnover, summary[beta.id].currency) == ("0.77", "GBP")


def _figures(alpha, beta) -> None:
    today = _today()
    BrandDay.objects.create(brand_id=alpha.id, day=today, stakes=123_400, bets=7)
    BrandDay.objects.create(brand_id=beta.id, day=today, stakes=56_700, bets=3)


def test_brand_staff_see_their_own_brands_dashboard_only(alpha, beta):
    _figures(alpha, beta)
    page = staff_client("alpha.localhost", alpha.schema_name).get("/admin/").content.decode()
    assert "1234.00" in page and "56700" not in page and "567.00" not in page
    assert "<svg" in page and "<title" in page and "Open liability" in page
    assert " style=" not in page.split('id="content-main"')[1]  # CSP: no style attributes
    page = staff_client("beta.localhost", beta.schema_name).get("/admin/").content.decode()
    assert "567.00" in page and "1234.00" not in page
    # The platform's per-brand page is not on a brand's domain.
    client = Client(HTTP_HOST="alpha.localhost")
    with schema_context(alpha.schema_name):
        User.objects.create_user("other", password=STAFF_PASSWORD, is_staff=True)
    staff_login(client, alpha.schema_name, "other")
    assert client.get(f"/admin/dashboard/{beta.id}/").status_code == 404


def test_staff_without_the_permission_see_no_figures(alpha, beta):
    _figures(alpha, beta)
    with schema_context(alpha.schema_name):
        clerk = User.objects.create_user("clerk", password=STAFF_PASSWORD, is_staff=True)
    client = Client(HTTP_HOST="alpha.localhost")
    assert staff_login(client, alpha.schema_name, "clerk").status_code == 302
    page = client.get("/admin/").content.decode()
    assert "1234.00" not in page and "dashboard-title" not in page
    with schema_context(alpha.schema_name):
        clerk.user_permissions.add(Permission.objects.get(codename="view_brandday"))
    page = client.get("/admin/").content.decode()
    assert "1234.00" in page and "dashboard-title" in page


def test_platform_staff_see_every_brand_and_each_dashboard(alpha, beta):
    _figures(alpha, beta)
    client = staff_client("localhost", "public")
    page = client.get("/admin/").content.decode()
    assert "1234.00" in page and "567.00" in page
    assert f"/admin/dashboard/{beta.id}/" in page
    page = client.get(f"/admin/dashboard/{beta.id}/").content.decode()
    assert "567.00" in page and "1234.00" not in page and "<svg" in page
    assert client.get("/admin/dashboard/999999/").status_code == 404
    with schema_context("public"):
        User.objects.create_user("clerk", password=STAFF_PASSWORD, is_staff=True)
    clerk = Client(HTTP_HOST="localhost")
    staff_login(clerk, "public", "clerk")
    assert clerk.get(f"/admin/dashboard/{beta.id}/").status_code == 404
    assert "567.00" not in clerk.get("/admin/").content.decode()


def test_visitors_and_players_get_no_dashboard(alpha, beta):
    _figures(alpha, beta)
    anonymous = Client(HTTP_HOST="localhost")
    response = anonymous.get(f"/admin/dashboard/{alpha.id}/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = Client(HTTP_HOST="alpha.localhost").get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    player = site(alpha)
    assert register_on_site(player, "punter").status_code == 302
    response = player.get("/admin/")
    assert response.status_code == 302 and "1234.00" not in response.content.decode()
    assert not re.search(r"dashboard-title", response.content.decode())
