"""Staff roles: each is a Django group of the schema's staff with the permissions listed here.

A data migration (``staff.0002_roles``) creates the groups in every schema (the platform's four in
the public schema, the three brand roles in each brand's); after every ``migrate`` the groups'
permissions are set to these lists exactly (``roles_sync``, on ``post_migrate``), so a
permission added here reaches every schema at the next deployment, and one added by hand in the
admin is taken away again. ``"*"`` stands for every permission there is.

- platform admin: everything, every brand (the platform's staff only);
- brand admin: everything of the brand (its staff, players, wallets, offering, limits);
- brand support: reads (players, wallets, bets, audit), notes, blocks;
- brand trader: the offering (margins, offering rules), limits (bet settings, limits per sport
  and market, risk groups) and the risk view.

Give a staff member a role with ``manage.py create_staff --role "brand support"``, or in the
backoffice (the staff member's groups).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.models import Q

EVERYTHING = "*"
PLATFORM_ADMIN = "platform admin"
BRAND_ADMIN = "brand admin"
BRAND_SUPPORT = "brand support"
BRAND_TRADER = "brand trader"

_READS = [
    "players.view_directoryentry",
    "wallet.view_account",
    "backoffice.view_brandstats",
    "backoffice.view_brandday",  # the dashboard's figures
    "catalog.view_catalogaudit",
    "staff.view_adjustmentrequest",
    "bets.view_bet",  # bet search and a bet's page
    "backoffice.view_playernote",
    "backoffice.view_playeraudit",
]
_OFFERING = [
    "catalog.view_brandpricing",
    "catalog.change_brandpricing",
    "catalog.view_offeringrule",
    "catalog.add_offeringrule",
    "catalog.change_offeringrule",
    "catalog.delete_offeringrule",
    "catalog.view_catalogaudit",
    # The platform's desk: suspending and reopening events and market lines for every brand.
    "catalog.view_event",
    "catalog.change_event",
    "catalog.view_market",
    "catalog.change_market",
]
_LIMITS = [
    "bets.view_betsettings",
    "bets.add_betsettings",
    "bets.change_betsettings",
    "bets.view_betlimit",
    "bets.add_betlimit",
    "bets.change_betlimit",
    "bets.delete_betlimit",
    "bets.view_riskgroup",
    "bets.add_riskgroup",
    "bets.change_riskgroup",
    "bets.delete_riskgroup",
]
_RISK_VIEW = [
    "bets.view_liability",
    "backoffice.view_brandday",
    "bets.view_bet",
    "players.view_directoryentry",  # a player's page, to set their limits and risk group
    "backoffice.change_player_limits",
    "backoffice.change_player_risk",
]
_STAFF = [
    f"{app}.{verb}_{model}"
    for app, model in (
        ("auth", "user"),
        ("otp_totp", "totpdevice"),
        ("staff", "rolelimit"),
    )
    for verb in ("view", "add", "change", "delete")
] + [
    "auth.view_group",
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "axes.view_accesslog",
    "axes.view_accessfailurelog",
]

ROLES: dict[str, list[str]] = {
    PLATFORM_ADMIN: [EVERYTHING],
    BRAND_ADMIN: sorted(
        {
            *_READS,
            *_OFFERING,
            *_LIMITS,
            *_STAFF,
            *_RISK_VIEW,
            "backoffice.add_playernote",
            "backoffice.block_player",
            "backoffice.close_player",
            "wallet.add_operation",  # adjustments
            "staff.approve_adjustmentrequest",
            "site.view_sitesettings",  # the brand's look
            "site.add_sitesettings",
            "site.change_sitesettings",
        }
    ),
    BRAND_SUPPORT: sorted(
        {*_READS, "backoffice.add_playernote", "backoffice.block_player", "bets.view_riskgroup"}
    ),
    BRAND_TRADER: sorted({*_OFFERING, *_LIMITS, *_RISK_VIEW}),
}

# The platform admin acts on every brand: the role exists in the platform's schema only.
BRAND_ROLES = [BRAND_ADMIN, BRAND_SUPPORT, BRAND_TRADER]


def roles_here(schema: str) -> list[str]:
    """The roles of a schema's staff: all four on the platform, the brand roles on a brand."""
    return list(ROLES) if schema == "public" else BRAND_ROLES


def role_permissions(role: str) -> list[Permission]:
    """The role's permissions that exist in the schema in use (a codename no model declares yet
    is skipped: its app may not be migrated)."""
    names = ROLES[role]
    if EVERYTHING in names:
        return list(Permission.objects.all())
    wanted = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(wanted))


def roles_sync() -> list[Group]:
    """Create the schema's role groups if missing and set each one's permissions to its list."""
    groups = []
    for role in roles_here(connection.schema_name):
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(role_permissions(role))
        groups.append(group)
    return groups


def role_group(role: str) -> Group:
    """The group of ``role`` in the schema in use (``KeyError`` for no such role there)."""
    if role not in roles_here(connection.schema_name):
        raise KeyError(role)
    group = Group.objects.filter(name=role).first()
    return group or next(g for g in roles_sync() if g.name == role)
