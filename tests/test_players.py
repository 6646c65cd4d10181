"""Player accounts on the shards: the site's pages and the public API."""

import itertools
import json

import pytest
from django.test import Client

from apps.outbox.models import ShardOutbox
from apps.players.models import DirectoryEntry, Player
from shards import ids
from shards import map as shard_map

PASSWORD = "a long enough passphrase"


_networks = itertools.count(1)


def site(brand):
    """A visitor of the brand's site, each from an address of its own network (the attempt
    windows per address are tested in test_player_logins)."""
    n = next(_networks)
    return Client(HTTP_HOST=f"{brand.slug}.localhost", REMOTE_ADDR=f"10.{n // 250}.{n % 250}.1")


def register_on_site(client, username, password=PASSWORD):
    return client.post(
        "/account/register/",
        {"username": username, "email": f"{username}@example.com", "password": password},
    )


def api_post(client, path, payload):
    return client.post(path, json.dumps(payload), content_type="application/json")


def test_players_of_two_brands_land_on_the_shards_their_ids_encode(alpha, beta):
    placed = {}
    for brand in (alpha, beta):
        for n in range(12):
            client = site(brand)
            response = register_on_site(client, f"{brand.slug}_player{n}")
            assert response.status_code == 302, response.content
            entry = DirectoryEntry.objects.get(
                brand_id=brand.id, login_name=f"{brand.slug}_player{n}"
            )
            placed[entry.player_id] = brand.id
            assert entry.shard == ids.shard_of(entry.player_id)
    assert {ids.shard_of(pid) for pid in placed} == {0, 1}, "both shards should get players"
    for player_id, brand_id in placed.items():
        home = shard_map.alias_for(player_id)
        for alias in shard_map.aliases():
            found = Player.objects.using(alias).filter(pk=player_id, brand_id=brand_id).exists()
            assert found == (alias == home)
        assert ShardOutbox.objects.using(home).filter(payload__player_id=player_id).count() == 1


def test_the_same_username_may_exist_once_per_brand(alpha, beta):
    assert register_on_site(site(alpha), "sam").status_code == 302
    assert register_on_site(site(beta), "sam").status_code == 302
    again = register_on_site(site(alpha), "SAM")
    assert again.status_code == 400
    assert "taken" in again.content.decode()
    assert DirectoryEntry.objects.filter(login_name="sam").count() == 2


def test_register_then_log_out_and_in_and_edit_the_profile(alpha):
    client = site(alpha)
    register_on_site(client, "carol")
    assert "Welcome back, carol" in client.get("/").content.decode()
    client.post("/account/logout/")
    assert "Welcome back" not in client.get("/").content.decode()
    wrong = client.post("/account/login/", {"username": "carol", "password": "wrong password!"})
    assert wrong.status_code == 400
    assert (
        client.post("/account/login/", {"username": "Carol", "password": PASSWORD}).status_code
        == 302
    )
    response = client.post(
        "/account/profile/",
        {"display_name": "Carol C", "email": "carol@example.org", "current_password": PASSWORD},
    )
    assert response.status_code == 302
    player = Player.objects.for_entity(
        DirectoryEntry.objects.get(login_name="carol").player_id
    ).get(login_name="carol")
    assert (player.display_name, player.email) == ("Carol C", "carol@example.org")
    assert player.last_login is not None


def test_a_session_of_one_brand_is_not_valid_on_another(alpha, beta):
    client = site(alpha)
    register_on_site(client, "dave")
    cookie = client.cookies["sessionid"].value
    other = site(beta)
    other.cookies["sessionid"] = cookie
    assert other.get("/api/v1/me").status_code == 401


def test_api_register_login_profile_logout(alpha):
    client = Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True)
    signup = {"username": "erin", "email": "erin@example.com", "password": PASSWORD}
    # Without the CSRF token even an anonymous registration is refused (login CSRF), and
    # nothing is written.
    refused = api_post(client, "/api/v1/players", signup)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert not DirectoryEntry.objects.filter(login_name="erin").exists()
    state = client.get("/api/v1/session")
    assert state.json() == {"authenticated": False, "player": None}
    token = client.cookies["csrftoken"].value
    created = client.post(
        "/api/v1/players",
        json.dumps(signup),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert created.status_code == 201
    body = created.json()
    assert ids.shard_of(int(body["id"])) in (0, 1)
    assert body["username"] == "erin"
    assert client.get("/api/v1/session").json()["authenticated"] is True
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["id"] == body["id"]
    token = client.cookies["csrftoken"].value  # rotated at login
    assert (
        client.patch(
            "/api/v1/me", json.dumps({"display_name": "E"}), content_type="application/json"
        ).status_code
        == 403
    )
    changed = client.patch(
        "/api/v1/me",
        json.dumps({"display_name": "Erin E"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert changed.status_code == 200 and changed.json()["display_name"] == "Erin E"
    assert client.delete("/api/v1/session", HTTP_X_CSRFTOKEN=token).status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    login = client.post(
        "/api/v1/session",
        json.dumps({"username": "erin", "password": PASSWORD}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert login.status_code == 200


def test_api_takes_json_only(alpha):
    response = site(alpha).post("/api/v1/players", {"username": "formpost"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert not DirectoryEntry.objects.filter(login_name="formpost").exists()


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (
            {"username": "ab", "email": "x@example.com", "password": PASSWORD},
            400,
            "invalid_username",
        ),
        (
            {"username": "bad name", "email": "x@example.com", "password": PASSWORD},
            400,
            "invalid_username",
        ),
        (
            {"username": "frank", "email": "not-an-email", "password": PASSWORD},
            400,
            "invalid_email",
        ),
        ({"username": "frank", "email": "x@example.com", "password": "123"}, 400, "weak_password"),
        ({"username": "frank"}, 400, "invalid_request"),
        (
            {"username": "taken", "email": "x@example.com", "password": PASSWORD},
            409,
            "username_taken",
        ),
    ],
)
def test_api_register_refuses_bad_input_and_writes_nothing(alpha, payload, status, code):
    client = site(alpha)
    api_post(
        client,
        "/api/v1/players",
        {"username": "taken", "email": "t@example.com", "password": PASSWORD},
    )
    before = (
        DirectoryEntry.objects.count(),
        sum(Player.objects.using(a).count() for a in shard_map.aliases()),
    )
    response = api_post(site(alpha), "/api/v1/players", payload)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    after = (
        DirectoryEntry.objects.count(),
        sum(Player.objects.using(a).count() for a in shard_map.aliases()),
    )
    assert after == before
    outbox = sum(ShardOutbox.objects.using(a).count() for a in shard_map.aliases())
    assert outbox == 1  # only the first, valid registration


def test_api_malformed_json_gets_a_clear_error(alpha):
    response = site(alpha).post("/api/v1/players", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_api_login_with_wrong_credentials(alpha):
    response = api_post(
        site(alpha), "/api/v1/session", {"username": "nobody", "password": "whatever"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_player_api_is_not_served_on_the_platform_domain(clean):
    response = api_post(Client(HTTP_HOST="localhost"), "/api/v1/players", {})
    assert response.status_code == 404


def test_repeated_failed_logins_are_slowed_down_without_hashing(alpha, monkeypatch):
    from django.conf import settings

    from apps.players import services

    api_post(
        site(alpha),
        "/api/v1/players",
        {"username": "gus", "email": "g@example.com", "password": PASSWORD},
    )
    client = site(alpha)
    for _ in range(settings.LOGIN_NAME_FREE_FAILURES):
        wrong = api_post(client, "/api/v1/session", {"username": "gus", "password": "nope nope"})
        assert wrong.status_code == 401
    hashed = []
    monkeypatch.setattr(services, "check_password", lambda *a: hashed.append(a) or True)
    blocked = api_post(client, "/api/v1/session", {"username": "GUS", "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_attempts"
    assert 1 <= int(blocked["Retry-After"]) <= settings.LOGIN_NAME_DELAY_S
    assert hashed == []  # refused before any password check
    assert client.get("/api/v1/me").status_code == 401
    other = api_post(site(alpha), "/api/v1/session", {"username": "someone", "password": "x"})
    assert other.status_code == 401  # other login names are not affected
