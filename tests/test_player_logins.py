"""Logins under attack: windows per address and subnet, the login name's growing delay, and the
429 that comes before any password hashing (counted by a hashing wrapper, not assumed)."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from django.db import connections
from django.test import Client, override_settings

from apps.players.models import DirectoryEntry
from apps.players.services import player_register
from tests import counting_hasher

PASSWORD = "a long enough passphrase"
COUNTING = override_settings(PASSWORD_HASHERS=["tests.counting_hasher.CountingHasher"])


def client_from(address: str, host: str = "alpha.localhost") -> Client:
    return Client(HTTP_HOST=host, REMOTE_ADDR=address)


def login(client: Client, username: str, password: str):
    return client.post(
        "/api/v1/session",
        json.dumps({"username": username, "password": password}),
        content_type="application/json",
    )


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    if response["Content-Type"].startswith("application/json"):
        assert response.json()["error"]["code"] == "too_many_attempts"


@pytest.fixture
def counting():
    with COUNTING:
        yield counting_hasher


@pytest.fixture
def gus(alpha):
    return player_register(brand=alpha, username="gus", email="g@example.com", password=PASSWORD)


def test_a_login_spray_from_one_address_is_refused_before_hashing_and_players_elsewhere_log_in(
    alpha, gus, counting
):
    """300 logins with random names from one address: once the address's window is full every
    answer is 429 with Retry-After and not one more password is hashed; the real player, from
    another network, logs in meanwhile."""
    from django.conf import settings

    window = min(limit for limit, _ in settings.THROTTLE_ADDRESS_WINDOWS)
    sprayer = client_from("198.51.100.7")
    start = counting.hashed()
    answers, hashed_after = [], []
    for _ in range(300):
        answers.append(login(sprayer, f"n{uuid.uuid4().hex[:12]}", "password guess"))
        hashed_after.append(counting.hashed() - start)
    statuses = [a.status_code for a in answers]
    assert statuses[:window] == [401] * window
    assert hashed_after[window - 1] == window  # unknown names cost a hash too (equal timing)
    for answer in answers[window:]:
        assert_throttled(answer)
    assert hashed_after[-1] == window, "no hashing once the window was full"

    before = counting.hashed()
    player = client_from("203.0.113.9")
    response = login(player, "gus", PASSWORD)
    assert response.status_code == 200, response.content
    assert player.get("/api/v1/me").json()["username"] == "gus"
    assert counting.hashed() - before == 1


def test_the_sites_forms_and_the_api_share_the_addresss_window(alpha, gus, counting):
    address = "198.51.100.8"
    window = 10
    with override_settings(THROTTLE_ADDRESS_WINDOWS=[(window, 60)]):
        for n in range(window // 2):
            assert login(client_from(address), f"api{n}", "guess").status_code == 401
        for n in range(window // 2):
            form = client_from(address).post(
                "/account/register/",
                {"username": f"new{n}", "email": f"new{n}@example.com", "password": PASSWORD},
            )
            assert form.status_code == 302
        start = counting.hashed()
        refused_form = client_from(address).post(
            "/account/login/", {"username": "gus", "password": PASSWORD}
        )
        assert_throttled(refused_form)
        assert "try again" in refused_form.content.decode()
        refused_signup = client_from(address).post(
            "/account/register/",
            {"username": "newest", "email": "newest@example.com", "password": PASSWORD},
        )
        assert_throttled(refused_signup)
        refused_api_signup = client_from(address).post(
            "/api/v1/players",
            json.dumps({"username": "newer", "email": "n@example.com", "password": PASSWORD}),
            content_type="application/json",
        )
        assert_throttled(refused_api_signup)
        assert counting.hashed() == start
        assert not DirectoryEntry.objects.filter(login_name__in=["newest", "newer"]).exists()


def test_registration_does_not_reveal_names_faster_than_login(alpha, gus, counting):
    """Probing names through registration (409 for a taken name costs no hashing) draws on the
    same window as logging in."""
    address = "198.51.100.9"
    answers = []
    with override_settings(THROTTLE_ADDRESS_WINDOWS=[(10, 60)]):
        for _ in range(15):
            answers.append(
                client_from(address).post(
                    "/api/v1/players",
                    json.dumps({"username": "gus", "email": "x@example.com", "password": PASSWORD}),
                    content_type="application/json",
                )
            )
    assert [a.status_code for a in answers[:10]] == [409] * 10
    for answer in answers[10:]:
        assert_throttled(answer)


def test_rotating_addresses_inside_one_subnet_hits_the_subnets_window(alpha, counting):
    with override_settings(THROTTLE_ADDRESS_WINDOWS=[(3, 60)], THROTTLE_SUBNET_WINDOWS=[(12, 60)]):
        statuses = []
        for host in range(1, 9):
            for _ in range(3):
                statuses.append(
                    login(
                        client_from(f"198.51.100.{host}"), f"n{uuid.uuid4().hex[:9]}", "x"
                    ).status_code
                )
        assert statuses.count(401) == 12
        assert statuses.count(429) == 12
        start = counting.hashed()
        assert_throttled(login(client_from("198.51.100.200"), "someone", "x"))
        # IPv6: one /64 is one subnet.
        v6 = [login(client_from(f"2001:db8:1:2::{n:x}"), f"v{n}", "x") for n in range(1, 20)]
        assert [r.status_code for r in v6].count(401) == 12
        assert counting.hashed() - start == 12
        # Another network is not affected.
        assert login(client_from("192.0.2.1"), "someone", "x").status_code == 401


def test_wrong_passwords_slow_the_name_down_without_locking_its_owner_out(alpha, gus, counting):
    """From many addresses (a botnet), a name's failures make every next attempt wait longer; the
    owner's first attempt after the delay succeeds, and success forgets the failures."""
    from django.conf import settings

    free = settings.LOGIN_NAME_FREE_FAILURES
    for n in range(free):
        assert login(client_from(f"10.{n}.0.1"), "gus", "wrong guess").status_code == 401
    start = counting.hashed()
    refused = login(client_from("10.99.0.1"), "GUS", PASSWORD)
    assert_throttled(refused)
    assert int(refused["Retry-After"]) <= settings.LOGIN_NAME_DELAY_S
    assert counting.hashed() == start
    # Once the delay has passed, the owner gets in.
    time.sleep(settings.LOGIN_NAME_DELAY_S + 0.2)
    assert login(client_from("10.99.0.1"), "gus", PASSWORD).status_code == 200
    # and the failures are forgotten: the next wrong password is free again.
    assert login(client_from("10.98.0.1"), "gus", "wrong").status_code == 401
    assert login(client_from("10.97.0.1"), "gus", "wrong").status_code == 401


def _concurrently(requests: list) -> list:
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(i: int, call) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_thirty_concurrent_wrong_passwords_are_checked_at_most_the_limit(alpha, gus, counting):
    """The attempt is counted before the hash, atomically: 30 wrong passwords sent at once from
    30 addresses get exactly the name's free failures checked, the rest 429."""
    from django.conf import settings

    free = settings.LOGIN_NAME_FREE_FAILURES
    start = counting.hashed()
    with override_settings(LOGIN_NAME_DELAY_S=60):
        answers = _concurrently(
            [
                (lambda n=n: login(client_from(f"10.{n}.1.1"), "gus", "wrong password"))
                for n in range(30)
            ]
        )
    assert counting.hashed() - start == free
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * free + [429] * (30 - free)


def test_thirty_concurrent_logins_from_one_address_are_checked_at_most_its_window(alpha, counting):
    start = counting.hashed()
    with override_settings(THROTTLE_ADDRESS_WINDOWS=[(10, 60)]):
        answers = _concurrently(
            [
                (lambda n=n: login(client_from("198.51.100.30"), f"spray{n}", "guess"))
                for n in range(30)
            ]
        )
    assert counting.hashed() - start == 10
    assert sorted(a.status_code for a in answers) == [401] * 10 + [429] * 20


def test_the_client_address_comes_from_the_trusted_proxys_header_only(alpha, counting):
    """Behind one proxy the client is the last X-Forwarded-For entry (the one the proxy wrote);
    entries the client wrote itself change nothing. Without a trusted proxy the header is
    ignored."""
    with override_settings(THROTTLE_ADDRESS_WINDOWS=[(2, 60)], TRUSTED_PROXY_COUNT=1):
        proxy = "10.0.0.2"
        for n in range(2):
            spoofed = Client(
                HTTP_HOST="alpha.localhost",
                REMOTE_ADDR=proxy,
                HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.40",
            )
            assert login(spoofed, f"spoofed{n}", "x").status_code == 401
        again = Client(
            HTTP_HOST="alpha.localhost",
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="192.0.2.77, 198.51.100.40",
        )
        assert_throttled(login(again, "again", "x"))
        other = Client(
            HTTP_HOST="alpha.localhost", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.41"
        )
        assert login(other, "other", "x").status_code == 401
    with override_settings(THROTTLE_ADDRESS_WINDOWS=[(2, 60)], TRUSTED_PROXY_COUNT=0):
        for n in range(2):
            direct = Client(
                HTTP_HOST="alpha.localhost",
                REMOTE_ADDR="198.51.100.50",
                HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
            )
            assert login(direct, f"direct{n}", "x").status_code == 401
        assert_throttled(login(direct, "direct", "x"))
