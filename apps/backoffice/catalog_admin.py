"""The provider manager and the content manager, in the platform's backoffice (and each brand's
own offering in its backoffice)."""

from __future__ import annotations

import datetime

from django.contrib import admin, messages
from django.db import models
from django.utils import timezone

from apps.bets.models import Liability
from apps.catalog import desk
from apps.catalog.models import (
    BrandPricing,
    CatalogAudit,
    Event,
    Market,
    MarketDescription,
    OfferingRule,
    Result,
    Sport,
)
from apps.providers.models import CONNECTION_FIELDS, Producer, Provider

LIVE_S = 5


def _actor(request) -> str:
    return f"{request.tenant.slug}:{request.user.get_username()}"


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProducerInline(admin.TabularInline):
    model = Producer
    extra = 0
    fields = [
        "producer_id",
        "name",
        "api_name",
        "enabled",
        "state",
        "reason",
        "last_alive_at",
        "last_processed_ts",
        "recovery_request_id",
        "changed_at",
    ]
    readonly_fields = [
        "state",
        "reason",
        "last_alive_at",
        "last_processed_ts",
        "recovery_request_id",
        "changed_at",
    ]


# What the adapter writes about its provider (read-only in the manager).
LIVE_STATUS = [
    "running",
    "heartbeat_at",
    "last_message_at",
    "lag_ms",
    "messages",
    "malformed",
    "unknown_event",
    "unknown_market",
    "disabled_sport",
]


class ProviderAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "enabled",
        "status",
        "last_message_at",
        "lag_ms",
        "messages",
        "malformed",
        "unknown_event",
        "unknown_market",
        "disabled_sport",
        "producers",
    ]
    list_filter = ["kind", "enabled"]
    inlines = [ProducerInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = LIVE_STATUS
    fieldsets = [
        (None, {"fields": ["name", "kind", "enabled", "content", "enabled_sports"]}),
        (
            "Connection",
            {
                "fields": [
                    "exchange",
                    "bindings",
                    "broker_url_env",
                    "api_url",
                    "token_env",
                    "node_id",
                ]
            },
        ),
        ("Live status", {"fields": LIVE_STATUS}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Where the provider's token and broker credentials go: platform superusers only.
        fields = list(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else [*fields, *CONNECTION_FIELDS]

    def save_model(self, request, obj, form, change):
        before = Provider.objects.filter(pk=obj.pk).values(*CONNECTION_FIELDS).first() or {}
        super().save_model(request, obj, form, change)
        moved = [
            f"{name} {before.get(name, '')!r} -> {getattr(obj, name)!r}"
            for name in CONNECTION_FIELDS
            if before.get(name, "") != getattr(obj, name)
        ]
        if moved:
            # Names and URLs, never a secret's value: the record holds none.
            self.log_change(request, obj, "Connection changed: " + "; ".join(moved))

    @admin.display(description="status")
    def status(self, provider: Provider) -> str:
        fresh = (
            provider.heartbeat_at
            and timezone.now() - provider.heartbeat_at < datetime.timedelta(seconds=LIVE_S)
        )
        return "up" if provider.running and fresh else "down"

    @admin.display(description="producers")
    def producers(self, provider: Provider) -> str:
        return ", ".join(f"{p.name}: {p.state}" for p in provider.producers.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("producers")


class SportAdmin(admin.ModelAdmin):
    list_display = ["name", "urn", "position", "in_play_delay_s"]
    list_editable = ["position", "in_play_delay_s"]

    def save_model(self, request, obj, form, change):
        before = {k: form.initial.get(k) for k in form.changed_data}
        super().save_model(request, obj, form, change)
        desk.audit_offering(
            actor=_actor(request),
            brand_id=None,
            action="change sport",
            target=obj.urn,
            before=before,
            after={k: form.cleaned_data.get(k) for k in form.changed_data},
        )


@admin.action(description="Suspend for every brand")
def suspend_selected(modeladmin, request, queryset):
    count = _desk(modeladmin, request, queryset, suspended=True)
    messages.success(request, f"Suspended {count}.")


@admin.action(description="Reopen for every brand")
def unsuspend_selected(modeladmin, request, queryset):
    count = _desk(modeladmin, request, queryset, suspended=False)
    messages.success(request, f"Reopened {count}.")


def _desk(modeladmin, request, queryset, *, suspended: bool) -> int:
    rows = list(queryset)
    if queryset.model is Event:
        return desk.suspend(actor=_actor(request), suspended=suspended, events=rows)
    return desk.suspend(actor=_actor(request), suspended=suspended, markets=rows)


class EventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "urn",
        "__str__",
        "sport",
        "tournament",
        "start_time",
        "status",
        "live",
        "score",
        "match_time",
        "suspended",
        "has_video",
    ]
    list_filter = ["live", "status", "suspended", "sport"]
    search_fields = ["urn", "home_name", "away_name"]
    list_select_related = ["sport", "tournament"]
    actions = [suspend_selected, unsuspend_selected]

    def has_change_permission(self, request, obj=None):
        # The fields stay read-only; "change" is the desk's suspend and reopen actions, for
        # staff with the model's change permission (the trader and admin roles).
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.display(description="score")
    def score(self, event: Event) -> str:
        if event.home_score is None:
            return ""
        return f"{event.home_score}:{event.away_score}"

    @admin.display(boolean=True, description="video")
    def has_video(self, event: Event) -> bool:
        return bool(event.video)


class MarketAdmin(EventAdmin):
    list_display = ["event", "market_id", "specifiers", "status", "producer", "ts", "suspended"]
    list_filter = ["status", "suspended", "producer"]
    search_fields = ["=event__urn", "=market_id"]
    list_select_related = ["event"]


class ResultAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "event",
        "market_id",
        "specifiers",
        "kind",
        "certainty",
        "ts",
        "start_time",
        "end_time",
        "received_at",
    ]
    list_filter = ["kind", "certainty"]
    search_fields = ["=event__urn"]
    list_select_related = ["event"]


class MarketDescriptionAdmin(admin.ModelAdmin):
    list_display = ["market_id", "name", "groups"]
    search_fields = ["=market_id", "name"]


class CatalogAuditAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["at", "actor", "brand_id", "action", "target", "before", "after"]
    list_filter = ["action"]
    search_fields = ["target", "actor"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.tenant.is_platform else qs.filter(brand_id=request.tenant.pk)


class BrandOwned:
    """The platform sees and sets every brand's rows; a brand's backoffice only its own."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.tenant.is_platform else qs.filter(brand_id=request.tenant.pk)

    def get_exclude(self, request, obj=None):
        return [] if request.tenant.is_platform else ["brand_id", "created_by"]

    def save_model(self, request, obj, form, change):
        if not request.tenant.is_platform:
            obj.brand_id = request.tenant.pk
        before = None
        if change:
            before = (
                desk.rule_to_dict(type(obj).objects.get(pk=obj.pk))
                if isinstance(obj, OfferingRule)
                else {"margin_pct": str(form.initial.get("margin_pct"))}
            )
        if isinstance(obj, OfferingRule) and not change:
            obj.created_by = _actor(request)
        super().save_model(request, obj, form, change)
        after = (
            desk.rule_to_dict(obj)
            if isinstance(obj, OfferingRule)
            else {"margin_pct": str(obj.margin_pct)}
        )
        desk.audit_offering(
            actor=_actor(request),
            brand_id=obj.brand_id,
            action=("change " if change else "add ") + obj._meta.verbose_name,
            target=str(obj),
            before=before,
            after=after,
        )

    def delete_model(self, request, obj):
        before = desk.rule_to_dict(obj) if isinstance(obj, OfferingRule) else None
        super().delete_model(request, obj)
        desk.audit_offering(
            actor=_actor(request),
            brand_id=obj.brand_id,
            action="delete " + obj._meta.verbose_name,
            target=str(obj),
            before=before,
            after=None,
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class BrandPricingAdmin(BrandOwned, admin.ModelAdmin):
    list_display = ["brand_id", "margin_pct"]


class OfferingRuleAdmin(BrandOwned, admin.ModelAdmin):
    list_display = [
        "brand_id",
        "level",
        "target",
        "market_id",
        "specifiers",
        "outcome_id",
        "action",
        "odds",
        "note",
        "created_by",
        "created_at",
    ]
    list_filter = ["level", "action"]
    search_fields = ["target", "note"]


class LiabilityAdmin(ReadOnly, admin.ModelAdmin):
    """The risk view: every shard's liability per outcome, biggest first."""

    list_display = [
        "event_link",
        "market_id",
        "specifiers",
        "outcome_id",
        "liability_minor",
        "stakes_minor",
        "bets",
        "updated_at",
    ]
    ordering = ["-liability"]
    search_fields = ["=event_id", "=market_id"]
    actions = ["suspend_markets"]

    @admin.display(description="event", ordering="event_id")
    def event_link(self, row: Liability) -> str:
        event = Event.objects.filter(pk=row.event_id).first()
        return f"{event} ({event.urn})" if event else str(row.event_id)

    # A line's liability sums every brand's bets, whatever their currency: shown as the minor
    # units it counts, not divided as if every currency had cents.
    @admin.display(description="liability (minor units)", ordering="liability")
    def liability_minor(self, row: Liability) -> str:
        return f"{row.liability:,}"

    @admin.display(description="stakes (minor units)", ordering="stakes")
    def stakes_minor(self, row: Liability) -> str:
        return f"{row.stakes:,}"

    @admin.action(description="Suspend these market lines for every brand")
    def suspend_markets(self, request, queryset):
        lines = list(Market.objects.filter(pk__in=queryset.values_list("market", flat=True)))
        count = desk.suspend(actor=_actor(request), suspended=True, markets=lines)
        messages.success(request, f"Suspended {count} market lines.")


def register(platform_site, brand_site) -> None:
    platform_site.register(Liability, LiabilityAdmin)
    platform_site.register(Provider, ProviderAdmin)
    platform_site.register(Sport, SportAdmin)
    platform_site.register(Event, EventAdmin)
    platform_site.register(Market, MarketAdmin)
    platform_site.register(Result, ResultAdmin)
    platform_site.register(MarketDescription, MarketDescriptionAdmin)
    for site in (platform_site, brand_site):
        site.register(CatalogAudit, CatalogAuditAdmin)
        site.register(BrandPricing, BrandPricingAdmin)
        site.register(OfferingRule, OfferingRuleAdmin)
