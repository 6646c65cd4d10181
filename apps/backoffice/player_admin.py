"""A player's page in the backoffices: profile, status, balance and ledger, bets, limits, risk
group, notes and the audit of what staff did, with the actions (block, unblock, close, set a
limit, assign a risk group, add a note).

The page hangs off the player (directory entry) admin, so the player is found through its
brand-scoped queryset: another brand's player is a 404. Each part and each action needs its own
Django permission (``PERMISSIONS``; superusers have them all); a refused action answers with the
page, status 400 (403 without the permission, 409 when the account is not in a state the action
applies to) and a machine-readable code (``data-code`` on the error), having written nothing.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from apps.backoffice import bet_search
from apps.backoffice.models import PlayerAudit, PlayerNote
from apps.backoffice.player_actions import (
    MAX_NOTE,
    MAX_REASON,
    PlayerActionRefused,
    Staff,
    player_limit_set,
    player_note_add,
    player_risk_assign,
    player_status_change,
)
from apps.backoffice.staff.services import staff_name
from apps.bets.models import LIMIT_KINDS, LIMIT_PERIODS, PlayerLimit, PlayerRisk, RiskGroup
from apps.bets.risk_groups import STANDARD
from apps.players.models import DirectoryEntry
from apps.players.services import player_account
from apps.wallet import api
from betting.currencies import money, signed_money
from betting.forms import AmountField

PERMISSIONS = {
    "view": "players.view_directoryentry",
    "wallet": "wallet.view_account",
    "bets": "bets.view_bet",
    "notes": "backoffice.view_playernote",
    "note": "backoffice.add_playernote",
    "audit": "backoffice.view_playeraudit",
    "block": "backoffice.block_player",
    "unblock": "backoffice.block_player",
    "close": "backoffice.close_player",
    "limits": "backoffice.change_player_limits",
    "risk": "backoffice.change_player_risk",
}
LEDGER_PAGE = 20
BETS_PAGE = 20


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 2, "cols": 50})
    )


class NoteForm(forms.Form):
    text = forms.CharField(max_length=MAX_NOTE, widget=forms.Textarea(attrs={"rows": 3}))


class LimitForm(ReasonForm):
    kind = forms.ChoiceField(choices=LIMIT_KINDS)
    period = forms.ChoiceField(choices=LIMIT_PERIODS)
    amount = AmountField(
        min_minor=0, max_minor=api.MAX_AMOUNT, required=False, label="Amount (empty: remove)"
    )
    field_order = ["kind", "period", "amount", "reason"]


class RiskForm(ReasonForm):
    group = forms.ChoiceField(
        choices=[], help_text="the brand's risk groups (Bets: risk groups), or standard"
    )
    field_order = ["group", "reason"]

    def set_groups(self, brand_id: int) -> None:
        names = RiskGroup.objects.filter(brand_id=brand_id).order_by("name")
        self.fields["group"].choices = [
            (STANDARD, f"{STANDARD}: the brand's maximum stake"),
            *[(g.name, g.name) for g in names],
        ]


FORMS = {
    "block": ReasonForm,
    "unblock": ReasonForm,
    "close": ReasonForm,
    "note": NoteForm,
    "limits": LimitForm,
    "risk": RiskForm,
}


def _form_code(form: forms.Form) -> str:
    """The first error as ``field_code`` (``reason_required``, ``amount_too_many_decimals``)."""
    for name, errors in form.errors.as_data().items():
        code = errors[0].code or "invalid"
        return code if name == "__all__" else f"{name}_{code}"
    return "invalid"


class PlayerPageMixin:
    """For the player (directory entry) admin: the player's page and its actions."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/player/",
                wrap(self.player_view),
                name="{}_{}_player".format(*info),
            ),
            path(
                "<int:object_id>/player/<str:action>/",
                wrap(self.player_action_view),
                name="{}_{}_player_action".format(*info),
            ),
            *super().get_urls(),
        ]

    def may(self, request: HttpRequest, what: str) -> bool:
        user = request.user
        return user.is_active and user.is_staff and user.has_perm(PERMISSIONS[what])

    def _player_entry(self, request: HttpRequest, object_id: int) -> DirectoryEntry:
        """The player, through this site's (brand-scoped) queryset, or a 404."""
        entry = self.get_object(request, str(object_id))
        if entry is None:
            raise Http404("no such player")
        if not request.tenant.is_platform and entry.brand_id != request.tenant.pk:
            raise Http404("no such player")  # the queryset ensures it already; never rely on one
        if not self.may(request, "view"):
            raise PermissionDenied
        return entry

    def player_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        entry = self._player_entry(request, object_id)
        return self._page(request, entry, {})

    def player_action_view(self, request: HttpRequest, object_id: int, action: str) -> HttpResponse:
        if action not in FORMS:
            raise Http404("no such action")
        entry = self._player_entry(request, object_id)
        if not self.may(request, action):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        currency = entry.brand.currency
        form = FORMS[action](request.POST, prefix=action)
        self._prepare(form, entry)
        if not form.is_valid():
            return self._page(request, entry, {action: form}, code=_form_code(form), status=400)
        staff = Staff(name=staff_name(schema=request.tenant.schema_name, user=request.user))
        data = form.cleaned_data
        common = {"staff": staff, "brand_id": entry.brand_id, "player_id": entry.player_id}
        try:
            if action == "note":
                player_note_add(**common, text=data["text"])
                done = "Note added."
            elif action == "limits":
                audit = player_limit_set(
                    **common,
                    currency=currency,
                    kind=data["kind"],
                    period=data["period"],
                    amount=data["amount"],
                    reason=data["reason"],
                )
                after = audit.details["after_shown"] or "none"
                done = f"The {data['kind']} limit per {data['period']} is now {after}."
            elif action == "risk":
                player_risk_assign(
                    **common,
                    currency=currency,
                    group=data["group"],
                    reason=data["reason"],
                )
                done = f"Risk group {data['group']} assigned."
            else:
                audit = player_status_change(**common, action=action, reason=data["reason"])
                done = f"The account is {audit.details['after']} now."
        except PlayerActionRefused as exc:
            form.add_error(None, forms.ValidationError(str(exc), code=exc.code))
            return self._page(request, entry, {action: form}, code=exc.code, status=exc.http_status)
        messages.success(request, done)
        return redirect(self._player_url(entry))

    def _prepare(self, form: forms.Form, entry: DirectoryEntry) -> None:
        """The brand's currency on the amounts, its risk groups on the group's choice."""
        if "amount" in form.fields:
            form.fields["amount"].set_currency(entry.brand.currency)
        if isinstance(form, RiskForm):
            form.set_groups(entry.brand_id)

    def _player_url(self, entry: DirectoryEntry) -> str:
        name = f"{self.opts.app_label}_{self.opts.model_name}_player"
        return reverse(f"{self.admin_site.name}:{name}", args=[entry.pk])

    def _page(
        self,
        request: HttpRequest,
        entry: DirectoryEntry,
        bound: dict[str, forms.Form],
        *,
        code: str = "",
        status: int = 200,
    ) -> HttpResponse:
        account = player_account(brand_id=entry.brand_id, player_id=entry.player_id)
        if account is None:
            raise Http404("the player's account is not on its shard")
        currency = entry.brand.currency
        forms_shown = {}
        for action, form_class in FORMS.items():
            if not self.may(request, action):
                continue
            form = bound.get(action) or form_class(prefix=action)
            self._prepare(form, entry)
            forms_shown[action] = form
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Player {entry.login_name}",
            "entry": entry,
            "brand": entry.brand,
            "account": account,
            "currency": currency,
            "forms": forms_shown,
            "error_code": code,
            "bets": None,  # each part below is shown only with its permission
            "notes": None,
            "audit": None,
            "action_url": self._player_url(entry),
            "change_url": reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[entry.pk],
            ),
            "limits": [
                {"row": row, "amount": money(row.amount, currency)}
                for row in PlayerLimit.objects.for_entity(entry.player_id)
                .filter(player_id=entry.player_id)
                .order_by("kind", "period")
            ],
        }
        risk = PlayerRisk.objects.for_entity(entry.player_id).filter(player_id=entry.player_id)
        risk = context["risk"] = risk.first()
        context["risk_max_stake"] = money(risk.max_stake, currency) if risk else ""
        if self.may(request, "wallet"):
            context.update(self._wallet_context(request, entry, currency))
        if self.may(request, "bets"):
            context.update(self._bets_context(request, entry))
        if self.may(request, "notes"):
            context["notes"] = list(PlayerNote.objects.filter(player_id=entry.player_id)[:100])
        if self.may(request, "audit"):
            context["audit"] = list(PlayerAudit.objects.filter(player_id=entry.player_id)[:100])
        return TemplateResponse(request, "admin/backoffice/player.html", context, status=status)

    def _wallet_context(self, request: HttpRequest, entry: DirectoryEntry, currency: str) -> dict:
        balance = api.player_balance(
            brand_id=entry.brand_id, player_id=entry.player_id, currency=currency
        )
        try:
            before = api.parse_cursor(request.GET.get("ledger_before"))
        except api.InvalidCursor:
            before = None
        history = api.player_history(
            brand_id=entry.brand_id, player_id=entry.player_id, before=before, limit=LEDGER_PAGE
        )
        return {
            "balance": {
                "cash": money(balance.cash, currency),
                "bonus": money(balance.bonus, currency),
                "held": money(
                    api.player_held(
                        brand_id=entry.brand_id,
                        player_id=entry.player_id,
                        currency=currency,
                        reserved=balance.reserved,
                    ),
                    currency,
                ),
            },
            "ledger": [
                {
                    "item": item,
                    "change": signed_money(item.amount, item.currency),
                    "cash_after": money(item.cash_after, item.currency),
                    "words": api.posting_words(
                        kind=item.kind,
                        key=item.idempotency_key,
                        details=item.details,
                        product=item.product,
                    ).words,
                }
                for item in history.items
            ],
            "ledger_next": history.next,
            "ledger_first": before is None,
            "wallet_url": reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_wallet",
                args=[entry.pk],
            ),
        }

    def _bets_context(self, request: HttpRequest, entry: DirectoryEntry) -> dict:
        try:
            before = int(request.GET.get("bets_before") or 0) or None
        except ValueError:
            before = None
        page = bet_search.bet_search(
            brand_id=entry.brand_id,
            query=bet_search.BetQuery(player_ids=(entry.player_id,)),
            before=before,
            limit=BETS_PAGE,
        )
        return {
            "bets": [
                {
                    "bet": bet,
                    "stake": money(bet.staked, bet.currency),
                    "payout": money(bet.payout, bet.currency),
                    "url": reverse(f"{self.admin_site.name}:bets_bet_change", args=[bet.pk]),
                }
                for bet in page.bets
            ],
            "bets_next": page.next,
            "bets_first": before is None,
        }
