"""The player's websocket on a real sockets process (daphne), with the channel layer on Redis."""

import json

import pytest
from django.db import transaction
from django.test import Client, override_settings
from websockets.exceptions import InvalidStatus

from apps.players.models import DirectoryEntry
from apps.realtime.notify import player_notify
from shards import map as shard_map
from tests import live
from tests.test_players import register_on_site


@pytest.fixture(scope="module")
def sockets(platform):
    with live.sockets_server() as port:
        yield port


def _login(brand, username):
    client = Client(HTTP_HOST=f"{brand.slug}.localhost")
    assert register_on_site(client, username).status_code == 302
    entry = DirectoryEntry.objects.get(brand_id=brand.id, login_name=username)
    return entry.player_id, client.cookies["sessionid"].value


def _quiet(sock, seconds=0.5):
    """True when nothing arrives on ``sock`` for ``seconds``."""
    try:
        sock.recv(timeout=seconds)
    except TimeoutError:
        return True
    return False


def test_a_message_after_commit_reaches_the_right_player_only(sockets, alpha, beta):
    alice_id, alice_cookie = _login(alpha, "alice")
    bob_id, bob_cookie = _login(alpha, "bob")
    carol_id, carol_cookie = _login(beta, "carol")
    with (
        live.websocket(sockets, "alpha.localhost", alice_cookie) as alice,
        live.websocket(sockets, "alpha.localhost", bob_cookie) as bob,
        live.websocket(sockets, "beta.localhost", carol_cookie) as carol,
    ):
        by_name = {"alice": alice, "bob": bob, "carol": carol}
        for name, player_id in (("alice", alice_id), ("bob", bob_id), ("carol", carol_id)):
            hello = json.loads(by_name[name].recv(timeout=10))
            assert hello == {"type": "hello", "player_id": str(player_id)}
        using = shard_map.alias_for(alice_id)
        with transaction.atomic(using=using):
            player_notify(using=using, brand_id=alpha.id, player_id=alice_id, message={"n": 1})
            assert _quiet(by_name["alice"], 0.5), "sent before the commit"
        assert json.loads(by_name["alice"].recv(timeout=10)) == {"n": 1}
        assert _quiet(by_name["bob"]) and _quiet(by_name["carol"])

        with pytest.raises(RuntimeError), transaction.atomic(using=using):
            player_notify(using=using, brand_id=alpha.id, player_id=alice_id, message={"n": 2})
            raise RuntimeError("rolled back")
        assert _quiet(by_name["alice"])

        # The same player id under another brand's group name reaches nobody of this brand.
        player_notify(using=using, brand_id=beta.id, player_id=alice_id, message={"n": 3})
        assert _quiet(by_name["alice"]) and _quiet(by_name["carol"])


def _refused(port, host, cookie=None):
    with pytest.raises(InvalidStatus) as refused:
        live.websocket(port, host, cookie).__enter__()
    return refused.value.response.status_code


def test_a_socket_without_a_player_session_is_refused(sockets, alpha):
    assert _refused(sockets, "alpha.localhost") == 403


def test_a_session_of_another_brand_is_refused(sockets, alpha, beta):
    _, carol_cookie = _login(beta, "carol2")
    assert _refused(sockets, "alpha.localhost", carol_cookie) == 403


def test_an_unknown_host_is_refused(sockets, clean):
    assert _refused(sockets, "nowhere.localhost") == 403


def test_a_wallet_posting_pushes_the_new_balance_after_commit(sockets, alpha):
    from apps.wallet import api
    from apps.wallet.errors import InsufficientFunds

    player_id, cookie = _login(alpha, "dana")
    with live.websocket(sockets, "alpha.localhost", cookie) as sock:
        assert json.loads(sock.recv(timeout=10))["type"] == "hello"
        api.wallet_credit(
            brand_id=alpha.id,
            player_id=player_id,
            currency="EUR",
            amount=1_250,
            product="payments",
            idempotency_key="push-1",
        )
        pushed = json.loads(sock.recv(timeout=10))
        assert pushed["type"] == "balance"
        assert (pushed["cash"], pushed["available"], pushed["currency"]) == (1_250, 1_250, "EUR")
        with pytest.raises(InsufficientFunds):
            api.wallet_debit(
                brand_id=alpha.id,
                player_id=player_id,
                currency="EUR",
                amount=5_000,
                product="casino",
                idempotency_key="push-2",
            )
        assert _quiet(sock), "a refused debit must not push anything"


def test_after_logout_the_socket_gets_nothing_more(sockets, alpha):
    from django.test import Client
    from websockets.exceptions import ConnectionClosed

    from apps.wallet import api

    client = Client(HTTP_HOST="alpha.localhost")
    assert register_on_site(client, "erin2").status_code == 302
    player_id = DirectoryEntry.objects.get(login_name="erin2").player_id
    with live.websocket(sockets, "alpha.localhost", client.cookies["sessionid"].value) as sock:
        assert json.loads(sock.recv(timeout=10))["type"] == "hello"
        client.post("/account/logout/")
        api.wallet_credit(
            brand_id=alpha.id,
            player_id=player_id,
            currency="EUR",
            amount=10,
            product="payments",
            idempotency_key="after-logout",
        )
        with pytest.raises(ConnectionClosed):
            sock.recv(timeout=10)


def test_pages_open_the_players_socket_where_the_sockets_role_listens(alpha):
    client = Client(HTTP_HOST="alpha.localhost")
    assert register_on_site(client, "fay").status_code == 302
    with override_settings(PLAYER_SOCKET_PORT="8002"):
        page = client.get("/").content.decode()
    assert 'var port = "8002";' in page and "/ws/player/" in page
    # Unset: the page's own host and port (a proxy routes /ws/player/ to the sockets role).
    assert 'var port = "";' in client.get("/").content.decode()
