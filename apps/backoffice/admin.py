"""What the platform's and the brands' backoffices show.

The brand backoffice filters every list by the brand the request's host resolved to, so a brand's
staff never see another brand's players or figures.
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.html import format_html
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.backoffice import catalog_admin, limits_admin
from apps.backoffice.bets_admin import BetAdmin
from apps.backoffice.brand_creation_admin import BrandCreationViews
from apps.backoffice.models import BrandStats
from apps.backoffice.player_admin import PlayerPageMixin
from apps.backoffice.sites import brand_site, platform_site
from apps.backoffice.staff.models import AdjustmentRequest, RoleLimit
from apps.backoffice.wallet_admin import (
    AdjustmentRequestAdmin,
    HouseBalanceAdmin,
    PlayerWalletMixin,
)
from apps.bets.models import Bet
from apps.brands.models import Brand, Domain
from apps.players.models import DirectoryEntry
from apps.players.services import player_account
from apps.wallet.api import Account


class RoleLimitAdmin(admin.ModelAdmin):
    list_display = ["group", "adjust_limit", "approval_above"]


# Each site shows its own schema's staff, their TOTP devices, their login attempts and failures
# (a lock-out is lifted by deleting its attempt), roles' limits and adjustment requests.
for site in (platform_site, brand_site):
    site.register(User, UserAdmin)
    site.register(Group, GroupAdmin)
    site.register(TOTPDevice, TOTPDeviceAdmin)
    site.register(AccessAttempt, AccessAttemptAdmin)
    site.register(AccessLog, AccessLogAdmin)
    site.register(AccessFailureLog, AccessFailureLogAdmin)
    site.register(RoleLimit, RoleLimitAdmin)
    site.register(AdjustmentRequest, AdjustmentRequestAdmin)


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Brand, site=platform_site)
class BrandAdmin(BrandCreationViews, admin.ModelAdmin):
    list_display = ["name", "slug", "schema_name", "currency", "mode", "is_active", "players"]
    list_filter = ["mode", "currency", "is_active"]
    search_fields = ["name", "slug"]
    readonly_fields = ["schema_name", "slug", "created_at"]
    exclude = ["wallet_secret"]  # a secret is set from the environment, never shown
    inlines = [DomainInline]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(schema_name="public").select_related("stats")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.currency_locked():
            fields.append("currency")  # the players' wallets are in it (Brand.clean says so too)
        return fields

    # Adding a brand is the creation form (BrandCreationViews.add_view): a background task
    # creates its schema, domain and first staff member, as manage.py create_brand does.

    def get_urls(self):
        return self.creation_urls() + super().get_urls()

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="players")
    def players(self, brand: Brand) -> int:
        stats = getattr(brand, "stats", None)
        return stats.player_count if stats else 0


class BrandScoped:
    """Limit a brand backoffice's lists and objects to the request's brand."""

    brand_field = "brand"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.tenant.is_platform:
            return qs
        return qs.filter(**{self.brand_field: request.tenant.pk})


class DirectoryEntryAdmin(PlayerPageMixin, PlayerWalletMixin, BrandScoped, admin.ModelAdmin):
    """The players: the list, and each player's page (``PlayerPageMixin``: status, actions,
    limits, notes, bets) with its wallet pages (``PlayerWalletMixin``)."""

    list_display = ["login_name", "player_id", "shard", "brand", "created_at", "page"]
    search_fields = ["login_name", "=player_id"]
    list_filter = ["shard"]
    readonly_fields = ["brand", "login_name", "player_id", "shard", "created_at", "account"]

    @admin.display(description="player's page")
    def page(self, entry: DirectoryEntry) -> str:
        return format_html('<a href="{}">open</a>', self._player_url(entry))

    def get_list_filter(self, request):
        return ["brand", "shard"] if request.tenant.is_platform else ["shard"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="account (from the player's shard)")
    def account(self, entry: DirectoryEntry) -> str:
        player = player_account(brand_id=entry.brand_id, player_id=entry.player_id)
        if player is None:
            return "not found on its shard"
        return format_html(
            '{} &lt;{}&gt;, display name {}, joined {}, {} (<a href="{}">the player\'s page</a>)',
            player.username,
            player.email,
            player.display_name or "-",
            f"{player.date_joined:%Y-%m-%d %H:%M}",
            player.status,
            self._player_url(entry),
        )


class BrandStatsAdmin(BrandScoped, admin.ModelAdmin):
    list_display = ["brand", "player_count", "updated_at"]
    readonly_fields = ["brand", "player_count", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for site in (platform_site, brand_site):
    site.register(DirectoryEntry, DirectoryEntryAdmin)
    site.register(BrandStats, BrandStatsAdmin)
    site.register(Account, HouseBalanceAdmin)
    site.register(Bet, BetAdmin)

catalog_admin.register(platform_site, brand_site)
limits_admin.register(platform_site, brand_site)
