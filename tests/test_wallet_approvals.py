"""Staff adjustments under role limits and four eyes: above a role's limit refused, above its
approval threshold held until a second staff member approves, then posted exactly once."""

import threading

from django.contrib.auth.models import Group, Permission, User
from django.db import connections
from django.test import override_settings
from django_tenants.utils import schema_context

from apps.backoffice.staff.models import AdjustmentRequest, RoleLimit
from apps.backoffice.staff.services import APPROVED_KEY_PREFIX, adjustment_approve
from apps.wallet import api
from tests.test_backoffice import staff_client
from tests.test_wallet_backoffice import (
    adjust,
    cash_of,
    form_key,
    log_entries,
    operations_of,
    staff_member,
)
from tests.wallet_helpers import books_balance, history_counts, new_player

CASHIER = ("players.view_directoryentry", "wallet.view_account", "wallet.add_operation")
APPROVER = ("staff.view_adjustmentrequest", "staff.approve_adjustmentrequest")
REQUESTS = "/admin/staff/adjustmentrequest/"


def cashiers_role(schema, *, adjust_limit, approval_above, members):
    with schema_context(schema):
        group = Group.objects.create(name="cashiers")
        for name in CASHIER:
            app_label, codename = name.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        RoleLimit.objects.create(
            group=group, adjust_limit=adjust_limit, approval_above=approval_above
        )
        for user in members:
            user.groups.add(group)


def member(alpha, username, *permissions):
    client = staff_member("alpha.localhost", alpha.schema_name, username, *permissions)
    with schema_context(alpha.schema_name):
        return client, User.objects.get(username=username)


def requests(schema):
    with schema_context(schema):
        return list(AdjustmentRequest.objects.order_by("pk"))


def act(client, action, pending):
    return client.post(REQUESTS, {"action": action, "_selected_action": [str(pending.pk)]})


def test_an_adjustment_above_the_roles_limit_is_refused_and_writes_nothing(alpha):
    player = new_player(alpha, funds=10_000)
    client, cashier = member(alpha, "cashier")
    cashiers_role(alpha.schema_name, adjust_limit=5_000, approval_above=1_000, members=[cashier])
    before, cash = history_counts(), cash_of(alpha, player)
    for direction in ("credit", "debit"):
        response = adjust(
            client, player, form_key(client, player), amount="50.01", direction=direction
        )
        assert response.status_code == 403
        assert "over_staff_limit" in response.content.decode()
    assert history_counts() == before and cash_of(alpha, player) == cash
    assert requests(alpha.schema_name) == [] and log_entries(alpha.schema_name) == []
    # Within the threshold it is posted at once, as before.
    assert adjust(client, player, form_key(client, player), amount="10.00").status_code == 302
    assert cash_of(alpha, player) == cash + 1_000


def test_above_the_threshold_an_adjustment_waits_for_another_staff_members_approval(alpha):
    player = new_player(alpha, funds=10_000)
    requester, cashier = member(alpha, "cashier", *APPROVER)
    cashiers_role(alpha.schema_name, adjust_limit=50_000, approval_above=1_000, members=[cashier])
    before, cash = history_counts(), cash_of(alpha, player)
    key = form_key(requester, player)
    response = adjust(requester, player, key, amount="30.00", reason="void market refund")
    assert response.status_code == 302
    assert "waits for another staff member" in requester.get(response["Location"]).content.decode()
    # The same form again makes no second request.
    assert (
        adjust(requester, player, key, amount="30.00", reason="void market refund").status_code
        == 302
    )
    (pending,) = requests(alpha.schema_name)
    assert (pending.status, pending.amount, pending.direction) == ("pending", 3_000, "credit")
    # Nothing is posted while it waits.
    assert history_counts() == before and cash_of(alpha, player) == cash
    # The requester cannot approve it, even with the permission.
    act(requester, "approve", pending)
    (still,) = requests(alpha.schema_name)
    assert still.status == "pending" and still.decided_by_id is None
    assert history_counts() == before and cash_of(alpha, player) == cash
    # Nor can a staff member without the approval permission.
    clerk, _ = member(alpha, "clerk", "staff.view_adjustmentrequest")
    act(clerk, "approve", pending)
    assert requests(alpha.schema_name)[0].status == "pending"
    assert history_counts() == before
    # A second staff member with the permission approves: posted once, naming both.
    supervisor, boss = member(alpha, "supervisor", *APPROVER)
    assert act(supervisor, "approve", pending).status_code == 302
    (approved,) = requests(alpha.schema_name)
    assert (approved.status, approved.decided_by_id) == ("approved", boss.pk)
    assert cash_of(alpha, player) == cash + 3_000
    (op,) = operations_of(player, kind="adjust")
    assert op.id == approved.operation_id
    assert op.details == {
        "direction": "credit",
        "reason": "void market refund",
        "staff": "brand_alpha:cashier",
        "approved_by": "brand_alpha:supervisor",
    }
    # Approving again posts nothing more.
    act(supervisor, "approve", pending)
    assert cash_of(alpha, player) == cash + 3_000
    assert len(operations_of(player, kind="adjust")) == 1
    books_balance()


def test_an_approval_interrupted_after_the_posting_posts_once_when_repeated(alpha):
    """The posting and the request's row are in different databases: a process stopped between
    them leaves the request pending, and approving it again finds the posting by its key."""
    player = new_player(alpha, funds=10_000)
    requester, cashier = member(alpha, "cashier")
    cashiers_role(alpha.schema_name, adjust_limit=50_000, approval_above=1_000, members=[cashier])
    assert adjust(requester, player, form_key(requester, player), amount="25.00").status_code == 302
    (pending,) = requests(alpha.schema_name)
    api.wallet_adjust(
        brand_id=alpha.id,
        player_id=player.id,
        currency="EUR",
        amount=2_500,
        direction="credit",
        reason="goodwill",
        staff="brand_alpha:cashier",
        approved_by="brand_alpha:supervisor",
        idempotency_key=f"{APPROVED_KEY_PREFIX}{alpha.schema_name}:{pending.pk}",
    )
    cash = cash_of(alpha, player)
    supervisor, _ = member(alpha, "supervisor", *APPROVER)
    act(supervisor, "approve", pending)
    (approved,) = requests(alpha.schema_name)
    assert approved.status == "approved"
    assert cash_of(alpha, player) == cash
    assert len(operations_of(player, kind="adjust")) == 1


def test_two_approvals_at_once_post_once(alpha):
    player = new_player(alpha, funds=10_000)
    requester, cashier = member(alpha, "cashier")
    cashiers_role(alpha.schema_name, adjust_limit=50_000, approval_above=1_000, members=[cashier])
    assert adjust(requester, player, form_key(requester, player), amount="40.00").status_code == 302
    (pending,) = requests(alpha.schema_name)
    _, first = member(alpha, "first", *APPROVER)
    _, second = member(alpha, "second", *APPROVER)
    cash = cash_of(alpha, player)
    results, barrier = [], threading.Barrier(2)

    def approve(user):
        try:
            with schema_context(alpha.schema_name):
                barrier.wait()
                results.append(
                    adjustment_approve(request_id=pending.pk, user=user, schema=alpha.schema_name)
                )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2
    assert sorted(result is None for _, result in results) == [False, True]
    assert cash_of(alpha, player) == cash + 4_000
    assert len(operations_of(player, kind="adjust")) == 1


def test_superusers_are_held_by_the_default_threshold_and_others_by_the_default_limit(alpha):
    player = new_player(alpha, funds=10_000)
    with override_settings(STAFF_ADJUST_LIMIT=20_000, STAFF_APPROVAL_ABOVE=5_000):
        boss = staff_client("alpha.localhost", alpha.schema_name)
        before = history_counts()
        assert adjust(boss, player, form_key(boss, player), amount="9000.00").status_code == 302
        assert history_counts() == before
        assert [r.amount for r in requests(alpha.schema_name)] == [900_000]
        cashier, _ = member(alpha, "cashier", *CASHIER)
        refused = adjust(cashier, player, form_key(cashier, player), amount="200.01")
        assert refused.status_code == 403 and history_counts() == before
        # An approver may not approve more than they may adjust themselves.
        supervisor, _ = member(alpha, "supervisor", *APPROVER)
        act(supervisor, "approve", requests(alpha.schema_name)[0])
        assert requests(alpha.schema_name)[0].status == "pending"
        assert history_counts() == before
