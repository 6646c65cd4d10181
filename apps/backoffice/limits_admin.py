"""Bet settings, limits per sport and market, and risk groups in the backoffices: amounts typed
and shown in the currency's major unit, validated, and every change audited (who, when, before,
after: the offering's audit, ``CatalogAudit``). The platform sets any brand's rows; a brand's
backoffice sees and sets its own only (brand and currency are the brand's)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction

from apps.bets.models import BetLimit, BetSettings, RiskGroup
from apps.bets.risk_groups import risk_group_delete, risk_group_save
from apps.brands.models import Brand
from apps.catalog import desk
from betting import currencies
from betting.forms import AmountField
from shards.map import GLOBAL_ALIAS


class MinorAmountField(AmountField):
    """An ``AmountField`` that shows a stored amount (minor units) in the major unit."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and self.currency:
            return currencies.money(value, self.currency)
        return value


def _plain(obj, fields: list[str]) -> dict[str, Any]:
    """The audited figures of a row, as JSON."""
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = str(value) if isinstance(value, Decimal) else value
    return out


class BrandMoneyForm(forms.ModelForm):
    """A form whose amount fields are in the row's currency: its own, else the brand's (the
    brand's backoffice: its own brand; the platform's: the brand typed in)."""

    amount_fields: tuple[str, ...] = ()
    request = None  # set by the admin's get_form

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        tenant = self.request.tenant
        if not tenant.is_platform:
            self.instance.brand_id = tenant.pk
            if hasattr(self.instance, "currency"):
                self.instance.currency = tenant.currency
        currency = self._currency()
        for name in self.amount_fields:
            field = self.fields.get(name)
            if isinstance(field, AmountField):
                field.set_currency(currency)

    def _currency(self) -> str:
        typed = (self.data.get("currency") or "").strip().upper() if self.is_bound else ""
        if currencies.is_supported(typed):
            return typed
        if getattr(self.instance, "currency", ""):
            return self.instance.currency
        brand_id = self.data.get("brand_id") if self.is_bound else None
        brand_id = brand_id or self.instance.brand_id
        brand = Brand.objects.filter(pk=brand_id).first() if str(brand_id or "").isdigit() else None
        return brand.currency if brand else self.request.tenant.currency

    def clean(self):
        cleaned = super().clean()
        brand_id = cleaned.get("brand_id", self.instance.brand_id)
        if (
            brand_id is not None
            and not Brand.objects.filter(pk=brand_id).exclude(schema_name="public").exists()
        ):
            self.add_error(None, forms.ValidationError("no such brand", code="unknown_brand"))
        currency = cleaned.get("currency")
        if currency is not None and not currencies.is_supported(currency):
            self.add_error("currency", forms.ValidationError("unknown currency", code="currency"))
        return cleaned


class BetSettingsForm(BrandMoneyForm):
    amount_fields = ("min_stake", "max_stake", "max_payout", "max_line_liability")
    min_stake = MinorAmountField(help_text="per line")
    max_stake = MinorAmountField(help_text="per bet")
    max_payout = MinorAmountField(help_text="per bet")
    max_line_liability = MinorAmountField(help_text="per outcome of a market line")

    class Meta:
        model = BetSettings
        fields = [
            "brand_id",
            "currency",
            "min_stake",
            "max_stake",
            "max_payout",
            "allow_same_event",
            "cashout_margin_pct",
            "max_lines",
            "max_line_liability",
        ]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_stake"), cleaned.get("max_stake")
        if low is not None and high is not None and high < low:
            self.add_error("max_stake", "the maximum stake is below the minimum stake")
        brand_id = cleaned.get("brand_id", self.instance.brand_id)
        currency = cleaned.get("currency", self.instance.currency)
        taken = BetSettings.objects.filter(brand_id=brand_id, currency=currency)
        if taken.exclude(pk=self.instance.pk).exists():
            self.add_error(None, f"the brand has settings in {currency} already: change those")
        return cleaned


class BetLimitForm(BrandMoneyForm):
    amount_fields = ("min_stake", "max_stake", "max_payout")
    min_stake = MinorAmountField(required=False, help_text="per line; empty: the brand's")
    max_stake = MinorAmountField(required=False, help_text="per bet; empty: the brand's")
    max_payout = MinorAmountField(required=False, help_text="per bet; empty: the brand's")

    class Meta:
        model = BetLimit
        fields = ["brand_id", "currency", "sport", "market", "min_stake", "max_stake", "max_payout"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("sport") is None and cleaned.get("market") is None:
            self.add_error(None, "name a sport, a market type, or both")
        figures = [cleaned.get(n) for n in ("min_stake", "max_stake", "max_payout")]
        if all(f is None for f in figures) and not self.errors:
            self.add_error(None, "set at least one of the minimum stake, maximum stake, payout")
        low, high = cleaned.get("min_stake"), cleaned.get("max_stake")
        if low is not None and high is not None and high < low:
            self.add_error("max_stake", "the maximum stake is below the minimum stake")
        taken = BetLimit.objects.filter(
            brand_id=cleaned.get("brand_id", self.instance.brand_id),
            currency=cleaned.get("currency", self.instance.currency),
            sport=cleaned.get("sport"),
            market=cleaned.get("market"),
        )
        if taken.exclude(pk=self.instance.pk).exists():
            self.add_error(None, "a limit for this sport and market exists already: change it")
        return cleaned


class RiskGroupForm(BrandMoneyForm):
    amount_fields = ("max_stake",)
    max_stake = MinorAmountField(required=False, help_text="per bet; empty: no group maximum")
    stake_factor = forms.DecimalField(
        min_value=Decimal("0.01"), max_value=Decimal(100), max_digits=5, decimal_places=2
    )

    class Meta:
        model = RiskGroup
        fields = ["brand_id", "name", "stake_factor", "max_stake"]

    def clean(self):
        cleaned = super().clean()
        taken = RiskGroup.objects.filter(
            brand_id=cleaned.get("brand_id", self.instance.brand_id), name=cleaned.get("name")
        )
        if taken.exclude(pk=self.instance.pk).exists():
            self.add_error("name", "the brand has a risk group of this name")
        return cleaned


def _actor(request) -> str:
    return f"{request.tenant.slug}:{request.user.get_username()}"


class AuditedBrandRows(admin.ModelAdmin):
    """Brand-owned rows: scoped to the brand, amounts in major units, every change audited."""

    audited: list[str] = []

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.tenant.is_platform else qs.filter(brand_id=request.tenant.pk)

    def get_exclude(self, request, obj=None):
        if request.tenant.is_platform:
            return []
        return ["brand_id", "currency"] if "currency" in self.audited_keys() else ["brand_id"]

    def audited_keys(self) -> list[str]:
        return [f.attname for f in self.model._meta.fields if f.name != "id"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def _audit(self, request, obj, action: str, before, after) -> None:
        desk.audit_offering(
            actor=_actor(request),
            brand_id=obj.brand_id,
            action=f"{action} {self.model._meta.verbose_name}",
            target=str(obj),
            before=before,
            after=after,
        )

    def _write(self, obj) -> None:
        obj.save(using=GLOBAL_ALIAS)

    def save_model(self, request, obj, form, change):
        keys = self.audited_keys()
        before = None
        if change:
            before = _plain(type(obj).objects.get(pk=obj.pk), keys)
        with transaction.atomic(using=GLOBAL_ALIAS):
            self._write(obj)
            self._audit(request, obj, "change" if change else "add", before, _plain(obj, keys))

    def delete_model(self, request, obj):
        before = _plain(obj, self.audited_keys())
        with transaction.atomic(using=GLOBAL_ALIAS):
            self._remove(obj)
            self._audit(request, obj, "delete", before, None)

    def _remove(self, obj) -> None:
        obj.delete(using=GLOBAL_ALIAS)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


def _money_column(name: str, description: str):
    @admin.display(description=description, ordering=name)
    def column(self, obj) -> str:
        return currencies.money(getattr(obj, name), obj.currency)

    column.__name__ = f"{name}_major"
    return column


class BetSettingsAdmin(AuditedBrandRows):
    form = BetSettingsForm
    list_display = [
        "brand_id",
        "currency",
        "min_stake_major",
        "max_stake_major",
        "max_payout_major",
        "max_lines",
        "allow_same_event",
    ]
    min_stake_major = _money_column("min_stake", "minimum stake")
    max_stake_major = _money_column("max_stake", "maximum stake")
    max_payout_major = _money_column("max_payout", "maximum payout")

    def has_delete_permission(self, request, obj=None):
        return False  # a brand always has settings: the defaults, when it has no row


class BetLimitAdmin(AuditedBrandRows):
    form = BetLimitForm
    list_display = [
        "brand_id",
        "currency",
        "sport",
        "market",
        "min_stake_major",
        "max_stake_major",
        "max_payout_major",
    ]
    list_select_related = ["sport", "market"]
    list_filter = ["sport"]
    min_stake_major = _money_column("min_stake", "minimum stake")
    max_stake_major = _money_column("max_stake", "maximum stake")
    max_payout_major = _money_column("max_payout", "maximum payout")


class RiskGroupAdmin(AuditedBrandRows):
    form = RiskGroupForm
    list_display = ["brand_id", "name", "stake_factor", "max_stake_shown"]

    @admin.display(description="maximum stake (minor units)", ordering="max_stake")
    def max_stake_shown(self, group: RiskGroup) -> str:
        return "" if group.max_stake is None else f"{group.max_stake:,}"

    def _write(self, obj) -> None:
        risk_group_save(group=obj)

    def _remove(self, obj) -> None:
        risk_group_delete(group=obj)


def register(platform_site, brand_site) -> None:
    for site in (platform_site, brand_site):
        site.register(BetSettings, BetSettingsAdmin)
        site.register(BetLimit, BetLimitAdmin)
        site.register(RiskGroup, RiskGroupAdmin)
