"""Staff roles: groups made by a migration in every schema, their permissions synced from
``apps/backoffice/roles.py``; through HTTP, each role sees and changes only what it should."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from apps.backoffice.models import PlayerAudit
from apps.backoffice.roles import BRAND_ROLES, ROLES, roles_sync
from apps.backoffice.sites import brand_site, platform_site
from apps.bets.models import BetLimit, BetSettings, PlayerRisk, RiskGroup
from apps.brands.services import brand_create
from apps.players.models import DirectoryEntry
from apps.players.services import player_get
from tests.staff_roles_helpers import role_client
from tests.test_backoffice import STAFF_PASSWORD, staff_login
from tests.wallet_helpers import new_player

# Every screen of a brand's backoffice, and the roles that may open it. A screen added to the
# brand backoffice fails test_every_brand_screen_is_in_the_table until it is placed here.
ADMIN, SUPPORT, TRADER = BRAND_ROLES
BRAND_SCREENS = {
    "auth/user": {ADMIN},
    "auth/group": {ADMIN},
    "otp_totp/totpdevice": {ADMIN},
    "axes/accessattempt": {ADMIN},
    "axes/accesslog": {ADMIN},
    "axes/accessfailurelog": {ADMIN},
    "staff/rolelimit": {ADMIN},
    "staff/adjustmentrequest": {ADMIN, SUPPORT},
    "players/directoryentry": {ADMIN, SUPPORT, TRADER},
    "bets/bet": {ADMIN, SUPPORT, TRADER},
    "backoffice/brandstats": {ADMIN, SUPPORT},
    "wallet/account": {ADMIN, SUPPORT},
    "catalog/catalogaudit": {ADMIN, SUPPORT, TRADER},
    "catalog/brandpricing": {ADMIN, TRADER},
    "catalog/offeringrule": {ADMIN, TRADER},
    "bets/betsettings": {ADMIN, TRADER},
    "bets/betlimit": {ADMIN, TRADER},
    "bets/riskgroup": {ADMIN, SUPPORT, TRADER},
    "site/sitesettings": {ADMIN},
}
# The screens where a role may add a row (the others refuse the add page: 403, or 404 where
# the screen has no add page at all).
BRAND_ADDS = {
    "auth/user": {ADMIN},
    "otp_totp/totpdevice": {ADMIN},
    "staff/rolelimit": {ADMIN},
    "catalog/offeringrule": {ADMIN, TRADER},
    "bets/betsettings": {ADMIN, TRADER},
    "bets/betlimit": {ADMIN, TRADER},
    "bets/riskgroup": {ADMIN, TRADER},
    "site/sitesettings": {ADMIN},
}


def _screens(site) -> set[str]:
    return {f"{m._meta.app_label}/{m._meta.model_name}" for m in site._registry}


def test_every_brand_screen_is_in_the_table():
    assert _screens(brand_site) == set(BRAND_SCREENS)
    assert set(BRAND_ADDS) <= set(BRAND_SCREENS)


def test_a_new_brands_schema_has_the_roles_groups_with_their_permissions(clean):
    brand = brand_create(slug="gamma", name="Gamma", domains=["gamma.localhost"], currency="EUR")
    with schema_context(brand.schema_name):
        groups = {g.name: g for g in Group.objects.prefetch_related("permissions__content_type")}
        assert set(groups) == set(BRAND_ROLES)  # no platform admin in a brand's schema
        for role in BRAND_ROLES:
            held = {
                f"{p.content_type.app_label}.{p.codename}" for p in groups[role].permissions.all()
            }
            assert held == set(ROLES[role]) & held  # nothing beyond the list
            assert held >= {"catalog.view_catalogaudit"} or role == SUPPORT
        trader = {p.codename for p in groups[TRADER].permissions.all()}
        assert {"change_betlimit", "change_riskgroup", "change_offeringrule"} <= trader
        assert "block_player" not in trader
        support = {p.codename for p in groups[SUPPORT].permissions.all()}
        assert {"block_player", "add_playernote"} <= support
        assert "change_betsettings" not in support and "close_player" not in support


def test_the_sync_sets_a_groups_permissions_back_to_its_list(alpha):
    with schema_context(alpha.schema_name):
        (support,) = [g for g in roles_sync() if g.name == SUPPORT]
        extra = Group.objects.get(name=TRADER).permissions.get(codename="change_betlimit")
        support.permissions.add(extra)  # a permission added by hand
        roles_sync()
        assert not support.permissions.filter(pk=extra.pk).exists()


@pytest.mark.parametrize("role", BRAND_ROLES)
def test_each_brand_role_opens_only_its_screens(alpha, role):
    client = role_client("alpha.localhost", alpha.schema_name, role)
    index = client.get("/admin/").content.decode()
    assert 'id="dashboard-title"' in index  # every brand role reads the brand's figures
    for screen, roles in BRAND_SCREENS.items():
        listing = client.get(f"/admin/{screen}/")
        assert listing.status_code == (200 if role in roles else 403), (screen, role)
        assert (f'href="/admin/{screen}/"' in index) == (role in roles), (screen, role)
        added = client.get(f"/admin/{screen}/add/").status_code
        if role in BRAND_ADDS.get(screen, ()):
            assert added == 200, (screen, role)
        else:
            assert added in (403, 404), (screen, role)


def test_staff_without_a_role_see_no_screen_and_no_figures(alpha):
    with schema_context(alpha.schema_name):
        User.objects.create_user("nobody", "", STAFF_PASSWORD, is_staff=True)
    from django.test import Client

    client = Client(HTTP_HOST="alpha.localhost")
    assert staff_login(client, alpha.schema_name, "nobody").status_code == 302
    index = client.get("/admin/").content.decode()
    assert 'id="dashboard-title"' not in index
    for screen in BRAND_SCREENS:
        assert client.get(f"/admin/{screen}/").status_code == 403, screen


def _act(client, player, action, **fields):
    entry = DirectoryEntry.objects.get(player_id=player.id)
    return client.post(
        f"/admin/players/directoryentry/{entry.pk}/player/{action}/",
        {f"{action}-{k}": v for k, v in fields.items()},
    )


def test_support_blocks_a_player_and_a_trader_cannot_nor_support_close(alpha):
    player = new_player(alpha)
    trader = role_client("alpha.localhost", alpha.schema_name, TRADER)
    assert _act(trader, player, "block", reason="no").status_code == 403
    assert player_get(brand_id=alpha.id, player_id=player.id) is not None  # still active
    support = role_client("alpha.localhost", alpha.schema_name, SUPPORT)
    assert _act(support, player, "close", reason="no").status_code == 403
    assert _act(support, player, "block", reason="chargeback").status_code == 302
    assert player_get(brand_id=alpha.id, player_id=player.id) is None  # blocked
    assert PlayerAudit.objects.get(player_id=player.id).action == "block"


def test_a_trader_assigns_a_risk_group_and_support_cannot(alpha):
    player = new_player(alpha)
    RiskGroup.objects.create(brand_id=alpha.id, name="sharp", stake_factor="0.5")
    risk = {"group": "sharp", "reason": "wins a lot"}  # one of the brand's groups
    support = role_client("alpha.localhost", alpha.schema_name, SUPPORT)
    assert _act(support, player, "risk", **risk).status_code == 403
    assert not PlayerRisk.objects.for_entity(player.id).filter(player_id=player.id).exists()
    trader = role_client("alpha.localhost", alpha.schema_name, TRADER)
    assert _act(trader, player, "risk", **risk).status_code == 302
    assert PlayerRisk.objects.for_entity(player.id).get(player_id=player.id).group == "sharp"


def test_a_trader_sets_limits_and_support_cannot(alpha):
    form = {"market": 1, "max_stake": "5.00"}
    support = role_client("alpha.localhost", alpha.schema_name, SUPPORT)
    assert support.post("/admin/bets/betlimit/add/", form).status_code == 403
    settings_form = {"min_stake": "1", "max_stake": "2", "max_payout": "3", "max_lines": "1"}
    assert support.post("/admin/bets/betsettings/add/", settings_form).status_code == 403
    assert not BetLimit.objects.exists() and not BetSettings.objects.exists()
    trader = role_client("alpha.localhost", alpha.schema_name, TRADER)
    assert trader.post("/admin/bets/betlimit/add/", form).status_code == 302
    assert BetLimit.objects.get().max_stake == 500


def test_a_brand_role_cannot_open_another_brands_backoffice(alpha, beta):
    role_client("alpha.localhost", alpha.schema_name, ADMIN, username="alex")
    from django.test import Client

    other = Client(HTTP_HOST="beta.localhost")
    assert (
        other.post("/admin/login/", {"username": "alex", "password": STAFF_PASSWORD}).status_code
        == 200
    )
    assert other.get("/admin/bets/betsettings/").status_code == 302  # to the login page


# The platform's backoffice: the brand screens (every brand's rows) and its own.
PLATFORM_SCREENS = {
    **{screen: roles for screen, roles in BRAND_SCREENS.items() if screen != "site/sitesettings"},
    "bets/liability": {ADMIN, TRADER},  # the risk view
    "catalog/event": {ADMIN, TRADER},  # the desk's suspensions
    "catalog/market": {ADMIN, TRADER},
    "catalog/result": set(),
    "catalog/sport": set(),
    "catalog/marketdescription": set(),
    "providers/provider": set(),
    "brands/brand": set(),
}


def test_every_platform_screen_is_in_the_table():
    assert _screens(platform_site) == set(PLATFORM_SCREENS)


@pytest.mark.parametrize("role", ["platform admin", *BRAND_ROLES])
def test_each_role_opens_only_its_screens_on_the_platform(clean, role):
    client = role_client("localhost", "public", role)
    for screen, roles in PLATFORM_SCREENS.items():
        allowed = role == "platform admin" or role in roles
        assert client.get(f"/admin/{screen}/").status_code == (200 if allowed else 403), (
            screen,
            role,
        )


def test_only_a_trader_suspends_an_event_on_the_platform(clean):
    from tests.feed_helpers import make_event

    event = make_event("sr:match:4100")
    suspend = {"action": "suspend_selected", "_selected_action": [event.pk]}
    support = role_client("localhost", "public", SUPPORT)
    assert support.post("/admin/catalog/event/", suspend).status_code == 403
    event.refresh_from_db()
    assert event.suspended is False
    trader = role_client("localhost", "public", TRADER)
    assert trader.post("/admin/catalog/event/", suspend).status_code == 302
    event.refresh_from_db()
    assert event.suspended is True


def test_create_staff_takes_a_role(alpha, monkeypatch):
    monkeypatch.setenv("NEW_STAFF_PASSWORD", STAFF_PASSWORD)
    with schema_context(alpha.schema_name):
        roles_sync()
    args = ["--brand", "alpha", "--password-env", "NEW_STAFF_PASSWORD"]
    call_command("create_staff", *args, "--username", "sue", "--role", SUPPORT)
    with pytest.raises(CommandError, match="no role"):
        call_command("create_staff", *args, "--username", "pat", "--role", "platform admin")
    with schema_context(alpha.schema_name):
        sue = User.objects.get(username="sue")
        assert sue.is_staff and not sue.is_superuser
        assert [g.name for g in sue.groups.all()] == [SUPPORT]
        assert not User.objects.filter(username="pat").exists()
    from django.test import Client

    client = Client(HTTP_HOST="alpha.localhost")
    assert staff_login(client, alpha.schema_name, "sue").status_code == 302
    assert client.get("/admin/players/directoryentry/").status_code == 200
    assert client.get("/admin/bets/betsettings/").status_code == 403
