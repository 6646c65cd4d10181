"""The wallet as the player sees it: the balance and history API and the site's wallet page."""

import itertools
import re
from contextlib import ExitStack

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.wallet import api
from apps.wallet.models import Operation
from shards import map as shard_map
from tests.wallet_helpers import new_player

PASSWORD = "a long passphrase"  # new_player's


def logged_in(brand, player):
    client = Client(HTTP_HOST=f"{brand.slug}.localhost")
    response = client.post("/account/login/", {"username": player.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _call(fn, brand, player, **kwargs):
    return fn(brand_id=brand.id, player_id=player.id, currency=brand.currency, **kwargs)


def busy_player(brand):
    """A player with one operation of each kind; returns the player and the expected history,
    oldest first, as (kind, product, signed cash change, reserved change, cash after)."""
    player = new_player(brand, funds=10_000)
    # Keys are unique per brand: each player's own, so two busy players of a brand can share
    # a shard (which one they land on depends on the names drawn before).
    _call(
        api.wallet_debit,
        brand,
        player,
        amount=2_550,
        product="sportsbook",
        idempotency_key=f"d1-{player.id}",
    )
    _call(
        api.wallet_credit,
        brand,
        player,
        amount=5_100,
        product="sportsbook",
        idempotency_key=f"c1-{player.id}",
    )
    held = _call(
        api.wallet_reserve,
        brand,
        player,
        amount=4_000,
        product="casino",
        idempotency_key=f"r1-{player.id}",
    )
    _call(
        api.wallet_commit,
        brand,
        player,
        reservation_id=held.reservation_id,
        amount=3_000,
        idempotency_key=f"m1-{player.id}",
    )
    whole = _call(
        api.wallet_reserve,
        brand,
        player,
        amount=1_000,
        product="sportsbook",
        idempotency_key=f"r2-{player.id}",
    )
    _call(
        api.wallet_commit,
        brand,
        player,
        reservation_id=whole.reservation_id,
        amount=1_000,
        idempotency_key=f"m2-{player.id}",
    )
    _call(
        api.wallet_transfer,
        brand,
        player,
        amount=500,
        source="cash",
        target="bonus",
        idempotency_key=f"t1-{player.id}",
    )
    _call(
        api.wallet_adjust,
        brand,
        player,
        amount=50,
        direction="debit",
        reason="fee",
        staff="boss",
        idempotency_key=f"a1-{player.id}",
    )
    expected = [
        ("credit", "payments", 10_000, 0, 10_000),
        ("debit", "sportsbook", -2_550, 0, 7_450),
        ("credit", "sportsbook", 5_100, 0, 12_550),
        ("reserve", "casino", -4_000, 4_000, 8_550),
        ("commit", "casino", 1_000, -4_000, 9_550),  # 3 000 taken, 1 000 released
        ("reserve", "sportsbook", -1_000, 1_000, 8_550),
        ("commit", "sportsbook", 0, -1_000, 8_550),  # cash untouched: the balance before it
        ("transfer", "", -500, 0, 8_050),
        ("adjust", "adjustments", -50, 0, 8_000),
    ]
    return player, expected


def all_pages(client, limit):
    items, url, pages = [], f"/api/v1/wallet/transactions?limit={limit}", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        url = (
            f"/api/v1/wallet/transactions?limit={limit}&before={body['next']}"
            if body["next"]
            else None
        )
    return items, pages


def test_the_balance_is_the_players_in_the_brands_currency(alpha, beta):
    player = new_player(alpha, funds=10_000)
    _call(
        api.wallet_reserve,
        alpha,
        player,
        amount=4_000,
        product="sportsbook",
        idempotency_key="slip",
    )
    body = logged_in(alpha, player).get("/api/v1/wallet").json()
    assert body == {
        "currency": "EUR",
        "cash": 6_000,
        "bonus": 0,
        "reserved": 4_000,
        "available": 6_000,
    }
    fresh = new_player(beta)
    assert logged_in(beta, fresh).get("/api/v1/wallet").json() == {
        "currency": "GBP",
        "cash": 0,
        "bonus": 0,
        "reserved": 0,
        "available": 0,
    }


def test_history_newest_first_signed_for_the_player_with_the_cash_after(alpha):
    player, expected = busy_player(alpha)
    client = logged_in(alpha, player)
    items, pages = all_pages(client, limit=4)
    assert pages == 3
    assert [
        (i["kind"], i["product"], i["amount"], i["changes"]["reserved"], i["cash_after"])
        for i in reversed(items)
    ] == expected
    stored = Operation.objects.for_entity(player.id).filter(player_id=player.id).order_by("-id")
    assert [i["id"] for i in items] == [str(op.id) for op in stored]
    assert all(i["currency"] == "EUR" for i in items)
    commit = next(i for i in items if i["kind"] == "commit" and i["product"] == "casino")
    assert commit["operation_amount"] == 3_000 and commit["reservation_id"] is not None
    # Each item's cash after is the previous one's plus its amount.
    oldest_first = list(reversed(items))
    for before, after in itertools.pairwise(oldest_first):
        assert before["cash_after"] + after["amount"] == after["cash_after"]
    assert client.get("/api/v1/wallet").json()["cash"] == items[0]["cash_after"]
    assert all(type(i[k]) is int for i in items for k in ("amount", "cash_after"))
    assert all(type(v) is int for i in items for v in i["changes"].values())
    # The default page is 20; the last page says there is no next one.
    first = client.get("/api/v1/wallet/transactions").json()
    assert len(first["items"]) == len(expected) and first["next"] is None


def test_a_player_never_sees_another_players_operations(alpha, beta):
    mine, _ = busy_player(alpha)
    other, _ = busy_player(alpha)
    foreign, _ = busy_player(beta)
    client = logged_in(alpha, mine)
    items, _ = all_pages(client, limit=100)
    seen = {int(i["id"]) for i in items}
    assert seen == set(
        Operation.objects.for_entity(mine.id).filter(player_id=mine.id).values_list("id", flat=True)
    )
    for stranger in (other, foreign):
        theirs = set(
            Operation.objects.for_entity(stranger.id)
            .filter(player_id=stranger.id)
            .values_list("id", flat=True)
        )
        assert not seen & theirs
        # A cursor taken from someone else's history still pages through one's own only.
        newest = max(theirs)
        page = client.get(f"/api/v1/wallet/transactions?before={newest + 1}").json()
        assert {int(i["id"]) for i in page["items"]} <= seen
    # The player's session does not work on another brand's domain.
    other_brand = Client(HTTP_HOST="beta.localhost")
    other_brand.cookies["sessionid"] = client.cookies["sessionid"].value
    assert other_brand.get("/api/v1/wallet/transactions").status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/wallet", "/api/v1/wallet/transactions"])
def test_unauthenticated_requests_get_401(alpha, path):
    response = Client(HTTP_HOST="alpha.localhost").get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "query",
    [
        "before=abc",
        "before=-5",
        "before=0",
        "before=1e9",
        "before=%2012",
        "before=" + "9" * 30,
        "limit=0",
        "limit=101",
        "limit=ten",
        "limit=2.5",
    ],
)
def test_a_bad_cursor_or_limit_is_refused(alpha, query):
    player = new_player(alpha, funds=100)
    response = logged_in(alpha, player).get(f"/api/v1/wallet/transactions?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_the_history_is_one_query_on_the_players_shard(alpha):
    player, _ = busy_player(alpha)
    client = logged_in(alpha, player)
    home = shard_map.alias_for(player.id)
    stack = ExitStack()
    captured = {
        alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
        for alias in ["default", *shard_map.aliases()]
    }
    with stack:
        assert client.get("/api/v1/wallet/transactions?limit=5").status_code == 200
    counts = {alias: len(c.captured_queries) for alias, c in captured.items() if c}
    assert counts == {home: 2}  # the player (from the session), the page


def test_the_wallet_page_shows_the_balance_and_pages_through_the_history(alpha):
    player = new_player(alpha, funds=10_000)
    for n in range(21):
        _call(
            api.wallet_debit,
            alpha,
            player,
            amount=100 + n,
            product="casino",
            idempotency_key=f"spin-{n}",
        )
    client = logged_in(alpha, player)
    assert 'href="/account/wallet/"' in client.get("/").content.decode()
    response = client.get("/account/wallet/")
    assert response.status_code == 200
    page = response.content.decode()
    cash = 10_000 - sum(100 + n for n in range(21))
    assert f'data-balance="cash">{cash // 100}.{cash % 100:02d}<' in page
    assert 'data-balance="held">0.00<' in page
    assert page.count("<tr data-operation=") == 20
    assert "-1.20" in page  # the newest debit, 120 cents
    older = re.search(r'href="(/account/wallet/\?before=\d+)" rel="next"', page)
    assert older, "a full page links to the older one"
    rest = client.get(older.group(1)).content.decode()
    assert rest.count("<tr data-operation=") == 2  # the 21st debit and the deposit
    assert "100.00" in rest and 'rel="next"' not in rest
    # Pushes from the player's socket update the figures (the page's script, wallet.js).
    assert 'src="/static/wallet/wallet.js"' in page and "wallet/wallet.js" in rest
    assert client.get("/account/wallet/?before=nope").status_code == 400


def test_the_wallet_page_needs_a_login(alpha):
    response = Client(HTTP_HOST="alpha.localhost").get("/account/wallet/")
    assert response.status_code == 302 and response["Location"] == "/account/login/"
