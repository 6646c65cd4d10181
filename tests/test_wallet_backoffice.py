"""The wallet in the backoffices: players' ledgers, house balances and manual adjustments, each
limited to the staff's own brand on a brand's site."""

import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission, User
from django.test import Client
from django_tenants.utils import schema_context

from apps.players.models import DirectoryEntry
from apps.players.services import player_register
from apps.wallet import api
from apps.wallet.models import Account, Operation
from betting.currencies import money
from shards import ids
from shards import map as shard_map
from tests.test_backoffice import STAFF_PASSWORD, staff_client, staff_login
from tests.wallet_helpers import books_balance, history_counts, new_player


def entry_of(player):
    return DirectoryEntry.objects.get(player_id=player.id)


def ledger_url(player):
    return f"/admin/players/directoryentry/{entry_of(player).pk}/wallet/"


def adjust_url(player):
    return ledger_url(player) + "adjust/"


def operations_of(player, **filters):
    return Operation.objects.for_entity(player.id).filter(player_id=player.id, **filters)


def cash_of(brand, player):
    return api.wallet_balance(brand_id=brand.id, player_id=player.id, currency=brand.currency).cash


def log_entries(schema):
    with schema_context(schema):
        return list(LogEntry.objects.select_related("user", "content_type").order_by("id"))


def form_key(client, player):
    page = client.get(adjust_url(player))
    assert page.status_code == 200, page.content.decode()[:500]
    return re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', page.content.decode())[1]


def adjust(client, player, key, **fields):
    data = {"direction": "credit", "amount": "15.00", "reason": "goodwill", **fields}
    return client.post(adjust_url(player), {**data, "idempotency_key": key})


def staff_member(host, schema, username, *permissions):
    """A staff member who is not a superuser, with the named permissions in their schema."""
    with schema_context(schema):
        user = User.objects.create_user(username, password=STAFF_PASSWORD, is_staff=True)
        for name in permissions:
            app_label, codename = name.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    client = Client(HTTP_HOST=host)
    response = staff_login(client, schema, username)
    assert response.status_code == 302, response.content.decode()[:500]
    return client


@pytest.fixture
def wallets(alpha, beta):
    """Two funded players per brand, with a bet each."""
    found = {}
    for brand in (alpha, beta):
        for n in range(2):
            player = new_player(brand, funds=10_000)
            api.wallet_debit(
                brand_id=brand.id,
                player_id=player.id,
                currency=brand.currency,
                amount=1_234,
                product="sportsbook",
                idempotency_key=f"bet:{player.id}",
            )
            found[f"{brand.slug}{n}"] = player
    return found


def test_brand_staff_see_only_their_own_brands_ledgers(wallets, alpha, beta):
    client = staff_client("alpha.localhost", alpha.schema_name)
    own = wallets["alpha0"]
    page = client.get(ledger_url(own))
    assert page.status_code == 200
    text = page.content.decode()
    for op in operations_of(own):
        assert f'data-operation="{op.id}"' in text
    assert "8766" in text and "bet:" in text  # cash after the bet; the idempotency key
    for account in Account.objects.for_entity(own.id).filter(player_id=own.id):
        assert f"<td>{account.id}</td>" in text
    assert "house sportsbook" in text  # the other side of the bet's transfer
    for name in ("beta0", "beta1"):
        foreign = wallets[name]
        response = client.get(ledger_url(foreign))
        assert response.status_code == 404
        for op in operations_of(foreign):
            assert str(op.id) not in response.content.decode()
    # The player's page in the backoffice links to the ledger, with the balance.
    change = client.get(f"/admin/players/directoryentry/{entry_of(own).pk}/change/")
    assert ledger_url(own) in change.content.decode()
    assert "cash 87.66" in change.content.decode()
    # Platform staff see every brand's players.
    platform = staff_client("localhost", "public")
    for player in wallets.values():
        assert platform.get(ledger_url(player)).status_code == 200


def _house_cells(page):
    return {
        (int(brand), product): int(minor)
        for brand, product, minor in re.findall(
            r'data-brand="(\d+)" data-product="(\w+)">.*?class="house-minor">(-?\d+)<',
            page,
            re.DOTALL,
        )
    }


def test_house_balances_sum_the_stripes_of_every_shard_per_brand(alpha, beta):
    shards_used, stakes = set(), 0
    n = 0
    while shards_used != {0, 1} or n < 6:  # players on both shards, several stripes
        player = player_register(
            brand=alpha, username=f"house{n}", email="h@example.com", password="a long passphrase"
        )
        shards_used.add(ids.shard_of(player.id))
        api.wallet_credit(
            brand_id=alpha.id,
            player_id=player.id,
            currency="EUR",
            amount=5_000,
            product="payments",
            idempotency_key=f"dep:{player.id}",
        )
        api.wallet_debit(
            brand_id=alpha.id,
            player_id=player.id,
            currency="EUR",
            amount=100 + n,
            product="casino",
            idempotency_key=f"spin:{player.id}",
        )
        stakes += 100 + n
        n += 1
    rival = new_player(beta, funds=777)
    api.wallet_debit(
        brand_id=beta.id,
        player_id=rival.id,
        currency="GBP",
        amount=77,
        product="casino",
        idempotency_key="spin",
    )

    brand_page = staff_client("alpha.localhost", alpha.schema_name).get("/admin/wallet/account/")
    assert brand_page.status_code == 200
    assert _house_cells(brand_page.content.decode()) == {
        (alpha.id, "casino"): stakes,
        (alpha.id, "payments"): -5_000 * n,
    }
    platform_page = staff_client("localhost", "public").get("/admin/wallet/account/")
    assert _house_cells(platform_page.content.decode()) == {
        (alpha.id, "casino"): stakes,
        (alpha.id, "payments"): -5_000 * n,
        (beta.id, "casino"): 77,
        (beta.id, "payments"): -777,
    }
    assert "Alpha Bets" in platform_page.content.decode()
    # Staff without the accounts' view permission do not see them.
    nobody = staff_member("alpha.localhost", alpha.schema_name, "clerk")
    assert nobody.get("/admin/wallet/account/").status_code == 403


def test_an_adjustment_without_a_reason_is_refused_and_writes_nothing(wallets, alpha):
    client = staff_client("alpha.localhost", alpha.schema_name)
    player = wallets["alpha0"]
    key = form_key(client, player)
    before, cash, logged = history_counts(), cash_of(alpha, player), len(log_entries("brand_alpha"))
    for reason in ("", "   "):
        response = adjust(client, player, key, reason=reason)
        assert response.status_code == 400
        assert "This field is required" in response.content.decode()
    assert history_counts() == before
    assert cash_of(alpha, player) == cash
    assert len(log_entries(alpha.schema_name)) == logged


def test_an_adjustment_applies_once_on_a_double_submit_and_names_the_staff(wallets, alpha):
    client = staff_client("alpha.localhost", alpha.schema_name)
    player = wallets["alpha1"]
    cash = cash_of(alpha, player)
    key = form_key(client, player)
    first = adjust(client, player, key, reason="  compensation for a void market  ")
    assert first.status_code == 302 and first["Location"] == ledger_url(player)
    again = adjust(client, player, key, reason="  compensation for a void market  ")
    assert again.status_code == 302
    notice = client.get(again["Location"]).content.decode()
    assert "already submitted" in notice
    assert cash_of(alpha, player) == cash + 1_500
    (op,) = operations_of(player, kind="adjust")
    assert op.details == {
        "direction": "credit",
        "reason": "compensation for a void market",
        "staff": "brand_alpha:boss",
    }
    assert (op.amount, op.product, op.currency) == (1_500, "adjustments", "EUR")
    assert op.idempotency_key.endswith(key)
    (log,) = log_entries(alpha.schema_name)
    assert (log.user.username, log.action_flag) == ("boss", CHANGE)
    assert log.content_type.model_class() is DirectoryEntry
    assert log.object_id == str(entry_of(player).pk)
    assert str(op.id) in log.change_message and "compensation" in log.change_message
    assert f'data-operation="{op.id}"' in notice  # the ledger shows it
    books_balance()


def test_a_debit_beyond_the_balance_shows_the_wallets_refusal(wallets, alpha):
    client = staff_client("alpha.localhost", alpha.schema_name)
    player = wallets["alpha0"]
    before, cash = history_counts(), cash_of(alpha, player)
    response = adjust(
        client, player, form_key(client, player), direction="debit", amount=money(cash + 1, "EUR")
    )
    assert response.status_code == 409
    assert "insufficient_funds" in response.content.decode()
    assert history_counts() == before and cash_of(alpha, player) == cash
    assert log_entries(alpha.schema_name) == []
    # The same form, corrected, then goes through (nothing was recorded under its key).
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', response.content.decode())[1]
    assert (
        adjust(client, player, key, direction="debit", amount=money(cash, "EUR")).status_code == 302
    )
    assert cash_of(alpha, player) == 0


def test_brand_staff_cannot_adjust_another_brands_player(wallets, alpha, beta):
    client = staff_client("alpha.localhost", alpha.schema_name)
    foreign = wallets["beta0"]
    key = form_key(client, wallets["alpha0"])
    before, cash = history_counts(), cash_of(beta, foreign)
    assert client.get(adjust_url(foreign)).status_code == 404
    assert adjust(client, foreign, key).status_code == 404
    assert history_counts() == before and cash_of(beta, foreign) == cash
    assert log_entries(alpha.schema_name) == [] and log_entries(beta.schema_name) == []


def test_wallets_and_adjustments_need_their_permissions(wallets, alpha):
    player = wallets["alpha0"]
    entry_page = f"/admin/players/directoryentry/{entry_of(player).pk}/change/"
    clerk = staff_member(
        "alpha.localhost", alpha.schema_name, "clerk", "players.view_directoryentry"
    )
    assert clerk.get(entry_page).status_code == 200
    assert ledger_url(player) not in clerk.get(entry_page).content.decode()
    assert clerk.get(ledger_url(player)).status_code == 403
    viewer = staff_member(
        "alpha.localhost",
        alpha.schema_name,
        "viewer",
        "players.view_directoryentry",
        "wallet.view_account",
    )
    assert ledger_url(player) in viewer.get(entry_page).content.decode()
    assert viewer.get(ledger_url(player)).status_code == 200
    assert "Adjust the balance" not in viewer.get(ledger_url(player)).content.decode()
    assert viewer.get(adjust_url(player)).status_code == 403
    before = history_counts()
    assert adjust(viewer, player, "7d4e3c2a-0000-4000-8000-000000000000").status_code == 403
    assert history_counts() == before
    cashier = staff_member(
        "alpha.localhost",
        alpha.schema_name,
        "cashier",
        "players.view_directoryentry",
        "wallet.view_account",
        "wallet.add_operation",
    )
    assert "Adjust the balance" in cashier.get(ledger_url(player)).content.decode()
    cash = cash_of(alpha, player)
    assert adjust(cashier, player, form_key(cashier, player), amount="0.25").status_code == 302
    assert cash_of(alpha, player) == cash + 25
    (op,) = operations_of(player, kind="adjust")
    assert op.details["staff"] == "brand_alpha:cashier"
    (log,) = log_entries(alpha.schema_name)
    assert log.user.username == "cashier"


def test_a_used_form_resubmitted_with_other_values_changes_nothing(wallets, alpha):
    client = staff_client("alpha.localhost", alpha.schema_name)
    player = wallets["alpha0"]
    key = form_key(client, player)
    assert adjust(client, player, key, amount="1.00").status_code == 302
    before, cash = history_counts(), cash_of(alpha, player)
    response = adjust(client, player, key, amount="2.00")
    assert response.status_code == 409
    assert "already submitted with other values" in response.content.decode()
    assert history_counts() == before and cash_of(alpha, player) == cash
    assert len(log_entries(alpha.schema_name)) == 1
    fresh = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', response.content.decode())
    assert fresh[1] != key


def test_the_ledger_pages_through_older_operations(alpha):
    player = new_player(alpha, funds=100_000)
    for n in range(55):
        api.wallet_debit(
            brand_id=alpha.id,
            player_id=player.id,
            currency="EUR",
            amount=10,
            product="casino",
            idempotency_key=f"s{n}",
        )
    client = staff_client("alpha.localhost", alpha.schema_name)
    first = client.get(ledger_url(player)).content.decode()
    assert first.count('class="operation"') == 50
    older = re.search(r'href="([^"]+\?before=\d+)" rel="next"', first)[1]
    rest = client.get(older).content.decode()
    assert rest.count('class="operation"') == 6
    assert client.get(ledger_url(player) + "?before=x").status_code == 400
    assert shard_map.alias_for(player.id) in shard_map.aliases()
