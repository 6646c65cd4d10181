"""Session lifetimes (players per brand, staff shorter) and the events that end a player's other
sessions: a new password, a new e-mail address, being blocked."""

from __future__ import annotations

import json
from importlib import import_module

import pytest
import redis
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import User
from django.contrib.sessions.backends.cache import KEY_PREFIX
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django_tenants.utils import schema_context

from apps.brands.models import Brand
from apps.brands.selectors import forget_hosts
from apps.players.models import DirectoryEntry, Player
from apps.players.services import player_register
from apps.players.sessions import SESSION_CLOCK
from tests.test_backoffice import staff_login

PASSWORD = "a long enough passphrase"
NEW_PASSWORD = "another long passphrase"
STAFF_PASSWORD = "staff passphrase 123"


def store(key: str):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)


def ttl(key: str) -> int:
    return redis.Redis.from_url(settings.REDIS_URL).ttl(cache.make_key(KEY_PREFIX + key))


def age(client: Client, *, at: int = 0, seen: int = 0) -> None:
    """Move the session's clock back: logged in ``at`` seconds ago, last seen ``seen`` ago."""
    session = store(client.cookies[settings.SESSION_COOKIE_NAME].value)
    clock = dict(session[SESSION_CLOCK])
    clock["at"] -= at
    clock["seen"] -= seen
    session[SESSION_CLOCK] = clock
    session.save()


def logged_in(alpha, username="gus", address="203.0.113.5") -> Client:
    client = Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR=address)
    response = client.post(
        "/api/v1/session",
        json.dumps({"username": username, "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return client


def me(client: Client) -> int:
    return client.get("/api/v1/me").status_code


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def gus(alpha):
    return player_register(brand=alpha, username="gus", email="g@example.com", password=PASSWORD)


def test_a_player_session_is_kept_no_longer_than_the_idle_limit(alpha, gus):
    client = logged_in(alpha)
    remaining = ttl(session_key(client))
    assert 29 * 60 < remaining <= 30 * 60


def test_an_idle_player_session_is_logged_out(alpha, gus):
    client = logged_in(alpha)
    key = session_key(client)
    age(client, seen=25 * 60)
    assert me(client) == 200  # still within the limit: the request moves the idle clock
    assert 29 * 60 < ttl(key) <= 30 * 60
    age(client, seen=30 * 60 + 1)
    assert me(client) == 401
    assert not store(key).exists(key)


def test_an_active_player_session_ends_after_twelve_hours(alpha, gus):
    client = logged_in(alpha)
    age(client, at=11 * 3600)
    assert me(client) == 200
    age(client, at=3600)
    assert me(client) == 401


def test_a_brand_sets_its_session_limits_within_the_regulators_bounds(alpha, gus):
    brand = Brand.objects.get(pk=alpha.id)
    for absolute, idle in ((13 * 60, 30), (12 * 60, 31), (60, 61), (12 * 60, 2)):
        brand.session_absolute_minutes, brand.session_idle_minutes = absolute, idle
        with pytest.raises(ValidationError):
            brand.full_clean()
    brand.session_absolute_minutes, brand.session_idle_minutes = 60, 10
    brand.full_clean()
    brand.save()
    forget_hosts()
    try:
        client = logged_in(alpha)
        assert 9 * 60 < ttl(session_key(client)) <= 10 * 60
        age(client, seen=10 * 60 + 1)
        assert me(client) == 401
        client = logged_in(alpha)
        age(client, at=60 * 60 + 1)
        assert me(client) == 401
    finally:
        Brand.objects.filter(pk=alpha.id).update(
            session_absolute_minutes=12 * 60, session_idle_minutes=30
        )
        forget_hosts()


def staff(alpha) -> Client:
    with schema_context(alpha.schema_name):
        User.objects.create_superuser("boss", "boss@example.com", STAFF_PASSWORD)
    client = Client(HTTP_HOST="alpha.localhost")
    response = staff_login(client, alpha.schema_name, "boss")
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def test_staff_sessions_are_shorter(alpha):
    client = staff(alpha)
    assert client.get("/admin/").status_code == 200
    assert ttl(session_key(client)) <= 15 * 60
    age(client, seen=15 * 60 + 1)
    assert client.get("/admin/").status_code == 302  # to the login page
    client = staff_again(alpha)
    age(client, at=4 * 3600 + 1)
    assert client.get("/admin/").status_code == 302


def staff_again(alpha) -> Client:
    client = Client(HTTP_HOST="alpha.localhost")
    staff_login(client, alpha.schema_name, "boss")
    assert client.get("/admin/").status_code == 200
    return client


def stored(login_name: str = "gus") -> Player:
    entry = DirectoryEntry.objects.get(login_name=login_name)
    return Player.objects.for_entity(entry.player_id).get(pk=entry.player_id)


def api(client: Client, method: str, path: str, payload: dict):
    client.get("/api/v1/session")
    return getattr(client, method)(
        path,
        json.dumps(payload),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )


def test_changing_the_password_needs_the_current_one_and_ends_the_other_sessions(alpha, gus):
    phone, laptop = logged_in(alpha), logged_in(alpha, address="203.0.113.6")
    phone.handler.enforce_csrf_checks = True
    wrong = api(
        phone,
        "post",
        "/api/v1/me/password",
        {"current_password": "not it at all", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "wrong_password"
    assert check_password(PASSWORD, stored().password)
    assert me(laptop) == 200
    weak = api(
        phone, "post", "/api/v1/me/password", {"current_password": PASSWORD, "new_password": "1"}
    )
    assert weak.status_code == 400 and weak.json()["error"]["code"] == "weak_password"
    changed = api(
        phone,
        "post",
        "/api/v1/me/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 200, changed.content
    assert check_password(NEW_PASSWORD, stored().password)
    assert me(phone) == 200
    assert me(laptop) == 401
    assert (
        Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR="203.0.113.7")
        .post(
            "/api/v1/session",
            json.dumps({"username": "gus", "password": NEW_PASSWORD}),
            content_type="application/json",
        )
        .status_code
        == 200
    )


def test_the_sites_password_page_needs_the_current_password(alpha, gus):
    site, other = logged_in(alpha), logged_in(alpha, address="203.0.113.6")
    assert site.get("/account/password/").status_code == 200
    wrong = site.post(
        "/account/password/",
        {"current_password": "not it at all", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    assert check_password(PASSWORD, stored().password)
    ok = site.post(
        "/account/password/", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert ok.status_code == 302
    assert check_password(NEW_PASSWORD, stored().password)
    assert me(site) == 200 and me(other) == 401


def test_changing_the_email_needs_the_current_password_and_ends_the_other_sessions(alpha, gus):
    phone, laptop = logged_in(alpha), logged_in(alpha, address="203.0.113.6")
    missing = phone.patch(
        "/api/v1/me", json.dumps({"email": "new@example.com"}), content_type="application/json"
    )
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "current_password_required"
    wrong = phone.patch(
        "/api/v1/me",
        json.dumps({"email": "new@example.com", "current_password": "not it"}),
        content_type="application/json",
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "wrong_password"
    assert stored().email == "g@example.com"
    assert me(laptop) == 200
    # The display name alone needs no password and ends nothing.
    renamed = phone.patch(
        "/api/v1/me", json.dumps({"display_name": "G"}), content_type="application/json"
    )
    assert renamed.status_code == 200 and me(laptop) == 200
    changed = phone.patch(
        "/api/v1/me",
        json.dumps({"email": "new@example.com", "current_password": PASSWORD}),
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["email"] == "new@example.com"
    assert me(phone) == 200 and me(laptop) == 401

    site = logged_in(alpha, address="203.0.113.8")
    refused = site.post("/account/profile/", {"display_name": "G", "email": "x@example.com"})
    assert refused.status_code == 400
    assert stored().email == "new@example.com"
    ok = site.post(
        "/account/profile/",
        {"display_name": "G", "email": "x@example.com", "current_password": PASSWORD},
    )
    assert ok.status_code == 302 and stored().email == "x@example.com"
    assert me(phone) == 401 and me(site) == 200


def test_blocking_a_player_ends_every_session_at_once(alpha, gus):
    phone, laptop = logged_in(alpha), logged_in(alpha, address="203.0.113.6")
    keys = [session_key(phone), session_key(laptop)]
    boss = staff(alpha)
    entry = DirectoryEntry.objects.get(login_name="gus")
    page = f"/admin/players/directoryentry/{entry.pk}/player/"
    response = boss.post(page + "block/", {"block-reason": "account takeover suspected"})
    assert response.status_code == 302
    assert stored().is_active is False
    for key in keys:
        assert not store(key).exists(key)
    assert me(phone) == 401 and me(laptop) == 401
    assert "Welcome back" not in phone.get("/").content.decode()
    relogin = Client(HTTP_HOST="alpha.localhost", REMOTE_ADDR="203.0.113.9").post(
        "/api/v1/session",
        json.dumps({"username": "gus", "password": PASSWORD}),
        content_type="application/json",
    )
    assert relogin.status_code == 401
    boss.post(page + "unblock/", {"unblock-reason": "the player proved who they are"})
    assert stored().is_active is True
    assert logged_in(alpha, address="203.0.113.10")
