"""Queries pinned on the hot paths, so a regression in their number fails a test."""

import json
from contextlib import ExitStack

from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.players.models import DirectoryEntry
from shards import map as shard_map


def _capture():
    stack = ExitStack()
    captured = {
        alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
        for alias in ["default", *shard_map.aliases()]
    }
    return stack, captured


def _counts(captured):
    return {alias: len(c.captured_queries) for alias, c in captured.items() if c.captured_queries}


def test_ping_needs_no_query_once_the_host_is_known(alpha):
    client = Client(HTTP_HOST="alpha.localhost")
    client.get("/ping")
    stack, captured = _capture()
    with stack:
        assert client.get("/ping").status_code == 200
    assert _counts(captured) == {}


def test_the_logged_in_players_profile_is_one_query_on_their_shard(alpha):
    client = Client(HTTP_HOST="alpha.localhost")
    body = {"username": "quinn", "email": "q@example.com", "password": "a long passphrase"}
    client.post("/api/v1/players", json.dumps(body), content_type="application/json")
    home = shard_map.alias_for(DirectoryEntry.objects.get(login_name="quinn").player_id)
    stack, captured = _capture()
    with stack:
        assert client.get("/api/v1/me").status_code == 200
    assert _counts(captured) == {home: 1}


def test_registration_queries(alpha):
    client = Client(HTTP_HOST="alpha.localhost")
    client.get("/ping")
    stack, captured = _capture()
    body = {"username": "rita", "email": "r@example.com", "password": "a long passphrase"}
    with stack:
        response = client.post("/api/v1/players", json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    home = shard_map.alias_for(int(response.json()["id"]))
    # global: BEGIN, search_path, directory insert, COMMIT;
    # shard: id allocation, BEGIN, account insert, outbox insert, COMMIT.
    assert _counts(captured) == {"default": 4, home: 5}


def test_a_wallet_debit_is_one_statement_once_its_accounts_are_known(alpha):
    from apps.wallet import api
    from tests.wallet_helpers import new_player

    player = new_player(alpha, funds=1_000)
    home = shard_map.alias_for(player.id)
    api.wallet_debit(
        brand_id=alpha.id,
        player_id=player.id,
        currency="EUR",
        amount=1,
        product="casino",
        idempotency_key="warm",
    )
    stack, captured = _capture()
    with stack:
        api.wallet_debit(
            brand_id=alpha.id,
            player_id=player.id,
            currency="EUR",
            amount=1,
            product="casino",
            idempotency_key="hot",
        )
    assert _counts(captured) == {home: 1}
