"""The wallet in the backoffices: a player's ledger, manual adjustments, the house balances.

A player's ledger and the adjustment form hang off the player (directory entry) admin, so they
find the player through its queryset: on a brand's site that is limited to the brand's own
players, and another brand's player is a 404. Seeing wallets (a player's ledger, the house
balances) needs the ``wallet.view_account`` permission and adjusting ``wallet.add_operation`` as
well (superusers have both); each applied adjustment is recorded on the operation (staff and
reason, by the wallet) and in the admin's log (LogEntry) of the site it was made on.

An adjustment goes through the staff controls (``apps.backoffice.staff``): above the staff
member's role limit it is refused, above their approval threshold it waits as an adjustment
request until another staff member approves it (the requests' page, actions "approve" and
"reject"), and only then is it posted.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from apps.backoffice.staff.models import AdjustmentRequest
from apps.backoffice.staff.services import (
    APPROVE_PERMISSION,
    AdjustmentRefused,
    adjustment_approve,
    adjustment_reject,
    adjustment_submit,
)
from apps.brands.models import Brand
from apps.players.models import DirectoryEntry
from apps.wallet import api
from apps.wallet.api import IdempotencyKeyReused, WalletError
from betting.currencies import money, signed_money
from betting.forms import AmountField

VIEW_PERMISSION = "wallet.view_account"
ADJUST_PERMISSION = "wallet.add_operation"
LEDGER_PAGE = 50


class AdjustmentForm(forms.Form):
    direction = forms.ChoiceField(
        choices=[("credit", "Credit: pay the player"), ("debit", "Debit: take from the player")],
        widget=forms.RadioSelect,
    )
    # Typed in the brand currency's major unit ("15.00" EUR, "1000" JPY, "1.5" KWD).
    amount = AmountField(max_minor=api.MAX_AMOUNT)
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="recorded with the operation and in the admin log",
    )
    # One key per form shown: submitting the same form twice applies the adjustment once.
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


class PlayerWalletMixin:
    """For the player (directory entry) admin: the wallet ledger and adjustment pages."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/wallet/",
                wrap(self.wallet_view),
                name="{}_{}_wallet".format(*info),
            ),
            path(
                "<int:object_id>/wallet/adjust/",
                wrap(self.wallet_adjust_view),
                name="{}_{}_wallet_adjust".format(*info),
            ),
            *super().get_urls(),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "wallet"] if self.can_see_wallet(request) else fields

    @admin.display(description="wallet")
    def wallet(self, entry: DirectoryEntry) -> str:
        balance = api.player_balance(
            brand_id=entry.brand_id, player_id=entry.player_id, currency=entry.brand.currency
        )
        return format_html(
            '<a href="{}">ledger and adjustments</a>: cash {}, bonus {}, held {} {}',
            self._url("wallet", entry),
            money(balance.cash, balance.currency),
            money(balance.bonus, balance.currency),
            money(balance.reserved, balance.currency),
            balance.currency,
        )

    def _url(self, view: str, entry: DirectoryEntry) -> str:
        name = f"{self.opts.app_label}_{self.opts.model_name}_{view}"
        return reverse(f"{self.admin_site.name}:{name}", args=[entry.pk])

    def _entry(self, request: HttpRequest, object_id: int) -> DirectoryEntry:
        """The player, found through this site's (brand-scoped) queryset, or a 404."""
        entry = self.get_object(request, str(object_id))
        if entry is None:
            raise Http404("no such player")
        if not request.tenant.is_platform and entry.brand_id != request.tenant.pk:
            raise Http404("no such player")  # the queryset already ensures it; never rely on one
        if not (self.has_view_permission(request, entry) and self.can_see_wallet(request)):
            raise PermissionDenied
        return entry

    def can_see_wallet(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and user.is_staff and user.has_perm(VIEW_PERMISSION)

    def can_adjust(self, request: HttpRequest) -> bool:
        return self.can_see_wallet(request) and request.user.has_perm(ADJUST_PERMISSION)

    def _context(self, request: HttpRequest, entry: DirectoryEntry, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "entry": entry,
            "brand": entry.brand,
            "change_url": reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[entry.pk],
            ),
            "wallet_url": self._url("wallet", entry),
            "adjust_url": self._url("wallet_adjust", entry),
            "can_adjust": self.can_adjust(request),
        }

    def wallet_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        entry = self._entry(request, object_id)
        try:
            before = api.parse_cursor(request.GET.get("before"))
        except api.InvalidCursor:
            return HttpResponseBadRequest("before must be an operation id")
        ledger = api.ledger_page(
            brand_id=entry.brand_id, player_id=entry.player_id, before=before, limit=LEDGER_PAGE
        )
        context = self._context(request, entry, f"Wallet of {entry.login_name}")
        context.update(
            accounts=[
                {"account": a, "balance": money(a.balance, a.currency)} for a in ledger.accounts
            ],
            operations=[
                {
                    "item": item,
                    "requested": money(item.operation_amount, item.currency),
                    "change": signed_money(item.amount, item.currency),
                    "cash_after": money(item.cash_after, item.currency),
                    "transfers": [
                        {
                            "row": t,
                            "amount": money(t.amount, t.currency),
                            "debit_after": money(t.debit_balance_after, t.currency),
                            "credit_after": money(t.credit_balance_after, t.currency),
                        }
                        for t in transfers
                    ],
                }
                for item, transfers in ledger.operations
            ],
            next=ledger.next,
            first_page=before is None,
        )
        return TemplateResponse(request, "wallet/admin/ledger.html", context)

    def wallet_adjust_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        entry = self._entry(request, object_id)
        if not self.can_adjust(request):
            raise PermissionDenied
        currency = entry.brand.currency
        form = AdjustmentForm(request.POST or None, initial={"idempotency_key": uuid.uuid4()})
        form.fields["amount"].set_currency(currency)
        status = 200
        if request.method == "POST":
            status = 400
            if form.is_valid():
                data = form.cleaned_data
                try:
                    submitted = adjustment_submit(
                        user=request.user,
                        schema=request.tenant.schema_name,
                        brand_id=entry.brand_id,
                        player_id=entry.player_id,
                        login_name=entry.login_name,
                        currency=currency,
                        amount=data["amount"],
                        direction=data["direction"],
                        reason=data["reason"],
                        form_key=data["idempotency_key"],
                    )
                except AdjustmentRefused as exc:
                    form.add_error(None, f"Refused: {exc} ({exc.code}); nothing was changed.")
                    status = exc.http_status
                except IdempotencyKeyReused as exc:
                    # This form already made an adjustment, with other values: nothing changed
                    # now. It gets a new key, so that submitting it again makes a new one.
                    form.add_error(
                        None,
                        "This form was already submitted with other values and that adjustment "
                        "was applied (see the ledger); nothing was changed now. Submit again to "
                        f"make a new adjustment ({exc.code}).",
                    )
                    form.data = form.data.copy()
                    form.data["idempotency_key"] = str(uuid.uuid4())
                    status = exc.http_status
                except WalletError as exc:
                    form.add_error(None, f"The wallet refused the adjustment: {exc} ({exc.code}).")
                    status = exc.http_status
                else:
                    if submitted.pending is not None:
                        self._requested(request, entry, submitted.pending, submitted.replayed)
                    else:
                        self._adjusted(request, entry, submitted.result, data)
                    return redirect(self._url("wallet", entry))
        context = self._context(request, entry, f"Adjust the wallet of {entry.login_name}")
        balance = api.player_balance(
            brand_id=entry.brand_id, player_id=entry.player_id, currency=currency
        )
        context.update(form=form, currency=currency, cash=money(balance.cash, currency))
        return TemplateResponse(request, "wallet/admin/adjust.html", context, status=status)

    def _requested(self, request, entry, pending: AdjustmentRequest, replayed: bool) -> None:
        if replayed:
            messages.warning(
                request,
                f"This adjustment form was already submitted: request {pending.pk} is "
                f"{pending.status}, and no other was made.",
            )
            return
        self.log_change(
            request,
            entry,
            f"Wallet adjustment requested (waits for approval): {pending.direction} "
            f"{money(pending.amount, pending.currency)} {pending.currency} "
            f"({pending.amount} minor units), request {pending.pk}; "
            f"reason: {pending.reason}",
        )
        messages.warning(
            request,
            f"Above your approval threshold: adjustment request {pending.pk} waits for another "
            "staff member's approval; nothing was posted yet.",
        )

    def _adjusted(self, request, entry, result: api.WalletResult, data: dict) -> None:
        figure = f"{money(result.amount, result.currency)} {result.currency}"
        if result.replayed:
            messages.warning(
                request,
                f"This adjustment form was already submitted: operation {result.operation_id} "
                "was applied once and not again.",
            )
            return
        self.log_change(
            request,
            entry,
            f"Wallet adjustment: {data['direction']} {figure} ({result.amount} minor units), "
            f"operation {result.operation_id}; reason: {data['reason']}",
        )
        messages.success(
            request,
            f"Adjusted: {data['direction']} of {figure} (operation {result.operation_id}); "
            f"cash is now {money(result.balance.cash, result.currency)} {result.currency}.",
        )


class HouseBalanceAdmin(admin.ModelAdmin):
    """The wallet's accounts, seen as the house balances per brand, product and currency (the
    stripes of every shard summed). Player accounts are seen on each player's ledger."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name="{}_{}_changelist".format(*info),
            )
        ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        brand_id = None if request.tenant.is_platform else request.tenant.pk
        balances = api.house_balances(brand_id=brand_id)
        names = dict(
            Brand.objects.filter(pk__in={b.brand_id for b in balances}).values_list("pk", "name")
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "House balances",
            "all_brands": brand_id is None,
            "balances": [
                {
                    "row": b,
                    "brand": names.get(b.brand_id, f"brand {b.brand_id}"),
                    "balance": money(b.balance, b.currency),
                }
                for b in balances
            ],
            **(extra_context or {}),
        }
        return TemplateResponse(request, "wallet/admin/house_balances.html", context)


class AdjustmentRequestAdmin(admin.ModelAdmin):
    """Adjustments waiting for a second staff member: approve (posts it) or reject."""

    list_display = [
        "pk",
        "login_name",
        "direction",
        "figure",
        "reason",
        "requested_by",
        "requested_at",
        "status",
        "decided_by",
        "operation_id",
    ]
    list_filter = ["status", "direction"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm(APPROVE_PERMISSION)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requested_by", "decided_by")

    @admin.display(description="amount")
    def figure(self, pending: AdjustmentRequest) -> str:
        return f"{money(pending.amount, pending.currency)} {pending.currency}"

    @admin.action(description="Approve and post the selected adjustments", permissions=["approve"])
    def approve(self, request, queryset) -> None:
        for pending in queryset.order_by("pk"):
            try:
                approved, result = adjustment_approve(
                    request_id=pending.pk, user=request.user, schema=request.tenant.schema_name
                )
            except (AdjustmentRefused, WalletError) as exc:
                messages.error(request, f"Request {pending.pk}: {exc} ({exc.code}).")
                continue
            if result is None:
                messages.info(request, f"Request {pending.pk} was already approved.")
                continue
            self.log_change(
                request,
                approved,
                f"Approved: operation {result.operation_id} posted "
                f"({approved.direction} {money(approved.amount, approved.currency)} "
                f"{approved.currency}, {approved.amount} minor units)",
            )
            messages.success(
                request, f"Request {pending.pk} approved: operation {result.operation_id}."
            )

    @admin.action(description="Reject the selected adjustments", permissions=["approve"])
    def reject(self, request, queryset) -> None:
        for pending in queryset.order_by("pk"):
            try:
                rejected = adjustment_reject(request_id=pending.pk, user=request.user)
            except AdjustmentRefused as exc:
                messages.error(request, f"Request {pending.pk}: {exc} ({exc.code}).")
                continue
            self.log_change(request, rejected, "Rejected: nothing posted")
            messages.success(request, f"Request {pending.pk} rejected.")
