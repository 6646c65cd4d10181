"""Bets in the backoffices: a search over every shard, and a bet's page (legs by name, prices,
status, liability, cash-outs and its postings in the ledger).

Both need ``bets.view_bet``. A brand's staff find and open their brand's bets only (another
brand's bet is a 404); the platform's staff, every brand's. Amounts are typed in major units of
the currency searched (the brand's; on the platform's site, the one chosen in the form).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from apps.backoffice.bet_search import PAGE, STATUSES, BetQuery, bet_get, bet_search, players_named
from apps.brands.models import Brand
from apps.players.models import DirectoryEntry
from betting import currencies
from betting.currencies import money, signed_money
from shards import ids

SEARCH_TEMPLATE = "admin/backoffice/bet_search.html"
AMOUNTS = ("stake_min", "stake_max", "payout_min", "payout_max")


class BetSearchForm(forms.Form):
    bet = forms.CharField(required=False, label="Bet id", max_length=20)
    player = forms.CharField(required=False, label="Player (id or username)", max_length=30)
    event = forms.IntegerField(required=False, min_value=1, label="Event id")
    market = forms.IntegerField(required=False, min_value=1, label="Market id (e.g. 1 for 1x2)")
    status = forms.ChoiceField(required=False, choices=[("", "any"), *[(s, s) for s in STATUSES]])
    placed_from = forms.DateTimeField(required=False, help_text="UTC, e.g. 2026-12-03 14:00")
    placed_to = forms.DateTimeField(required=False)
    settled_from = forms.DateTimeField(required=False)
    settled_to = forms.DateTimeField(required=False)
    currency = forms.ChoiceField(required=False, choices=[("", "any")])
    stake_min = forms.CharField(required=False, max_length=40, label="Stake from")
    stake_max = forms.CharField(required=False, max_length=40, label="Stake to")
    payout_min = forms.CharField(required=False, max_length=40, label="Payout from")
    payout_max = forms.CharField(required=False, max_length=40, label="Payout to")
    before = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, currencies_searched: list[str], fixed_currency: str | None, **kw):
        super().__init__(*args, **kw)
        self.fixed_currency = fixed_currency
        if fixed_currency:
            del self.fields["currency"]
        else:
            self.fields["currency"].choices = [("", "any"), *[(c, c) for c in currencies_searched]]

    def clean_bet(self) -> int | None:
        text = self.cleaned_data["bet"].strip()
        if not text:
            return None
        try:
            return ids.parse(text)
        except ids.InvalidId:
            raise forms.ValidationError("a bet id is a number", code="invalid") from None

    def clean(self):
        data = super().clean()
        currency = self.fixed_currency or data.get("currency")
        typed = [name for name in AMOUNTS if data.get(name)]
        if typed and not currency:
            raise forms.ValidationError(
                "choose the currency the amounts are in", code="currency_required"
            )
        for name in typed:
            try:
                data[name] = currencies.parse_amount(data[name], currency)
            except currencies.AmountInvalid as exc:
                self.add_error(name, forms.ValidationError(str(exc), code=exc.code))
        for name in AMOUNTS:
            if not isinstance(data.get(name), int):
                data[name] = None
        data["currency"] = currency
        return data


def _form_code(form: forms.Form) -> str:
    for name, errors in form.errors.as_data().items():
        code = errors[0].code or "invalid"
        return code if name == "__all__" else f"{name}_{code}"
    return "invalid"


class BetAdmin(admin.ModelAdmin):
    """The bet search as the bets' list, and a bet's page as its change page (read only)."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.changelist_view), name="{}_{}_changelist".format(*info)),
            path("<int:bet_id>/", wrap(self.bet_view), name="{}_{}_change".format(*info)),
        ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _brand_id(self, request: HttpRequest) -> int | None:
        return None if request.tenant.is_platform else request.tenant.pk

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        brand_id = self._brand_id(request)
        if brand_id is None:
            searched = sorted(
                set(Brand.objects.exclude(schema_name="public").values_list("currency", flat=True))
            )
            fixed = None
        else:
            searched, fixed = [request.tenant.currency], request.tenant.currency
        form = BetSearchForm(request.GET, currencies_searched=searched, fixed_currency=fixed)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Find bets",
            "form": form,
            "all_brands": brand_id is None,
        }
        if not form.is_valid():
            context["error_code"] = _form_code(form)
            return TemplateResponse(request, SEARCH_TEMPLATE, context, status=400)
        data = form.cleaned_data
        currency = data["currency"]
        player_ids = None
        if data["player"].strip():
            player_ids = players_named(brand_id=brand_id, text=data["player"])
        query = BetQuery(
            bet_id=data["bet"],
            player_ids=player_ids,
            event_id=data["event"],
            market_id=data["market"],
            status=data["status"],
            placed_from=data["placed_from"],
            placed_to=data["placed_to"],
            settled_from=data["settled_from"],
            settled_to=data["settled_to"],
            currency=currency or "",
            **{name: {currency: data[name]} for name in AMOUNTS if data[name] is not None},
        )
        page = bet_search(brand_id=brand_id, query=query, before=data["before"], limit=PAGE)
        entries = {
            player_id: (login, entry_pk)
            for player_id, login, entry_pk in DirectoryEntry.objects.filter(
                player_id__in={b.player_id for b in page.bets}
            ).values_list("player_id", "login_name", "pk")
        }
        brands = dict(Brand.objects.values_list("pk", "name")) if brand_id is None else {}
        params = request.GET.copy()
        params.pop("before", None)
        if page.next:
            params["before"] = str(page.next)
        context.update(
            searched=True,
            bets=[
                {
                    "bet": bet,
                    "login": entries.get(bet.player_id, ("", None))[0],
                    "player_url": self._player_url(entries.get(bet.player_id, ("", None))[1]),
                    "brand": brands.get(bet.brand_id, ""),
                    "stake": money(bet.staked, bet.currency),
                    "payout": money(bet.payout, bet.currency),
                    "potential": money(bet.potential_payout, bet.currency),
                    "url": reverse(f"{self.admin_site.name}:bets_bet_change", args=[bet.pk]),
                }
                for bet in page.bets
            ],
            next_url=f"?{params.urlencode()}" if page.next else "",
        )
        return TemplateResponse(request, SEARCH_TEMPLATE, context)

    def _player_url(self, entry_pk: int | None) -> str:
        if entry_pk is None:
            return ""
        return reverse(f"{self.admin_site.name}:players_directoryentry_player", args=[entry_pk])

    def bet_view(self, request: HttpRequest, bet_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        shown = bet_get(brand_id=self._brand_id(request), bet_id=bet_id)
        if shown is None:
            raise Http404("no such bet")
        bet = shown.bet
        entry = DirectoryEntry.objects.filter(player_id=bet.player_id).first()
        player_url = self._player_url(entry.pk if entry else None)
        cur = bet.currency
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Bet {bet.pk}",
            "bet": bet,
            "entry": entry,
            "player_url": player_url,
            "figures": {
                "stake": money(bet.stake, cur),
                "staked": money(bet.staked, cur),
                "unit_stake": money(bet.unit_stake, cur),
                "potential": money(bet.potential_payout, cur),
                "payout": money(bet.payout, cur),
                "owed": money(bet.owed, cur),
                "liability": money(shown.liability, cur),
            },
            "legs": [
                {
                    "shown": leg,
                    "line_liability": money(leg.line_liability, cur)
                    if leg.line_liability is not None
                    else "",
                }
                for leg in shown.legs
            ],
            "cash_outs": [
                {"row": row, "amount": money(row.amount, cur)} for row in shown.cash_outs
            ],
            "postings": [
                {
                    "item": item,
                    "requested": money(item.operation_amount, item.currency),
                    "change": signed_money(item.amount, item.currency),
                }
                for item in shown.postings
            ],
        }
        return TemplateResponse(request, "admin/backoffice/bet.html", context)
