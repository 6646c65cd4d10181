"""The API's one error shape (``{"error": {"code", "message", "details"}}``) for every error,
DRF's own included; its rate limits (per address, per player; 429 with Retry-After); its
OpenAPI 3 schema (``/api/schema/``, valid, every route and code in it) and its docs page under
the strict content security policy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client, override_settings
from openapi_spec_validator import validate

from apps.api.errors import ERROR_CODES
from apps.bets.models import Bet
from shards import map as shard_map
from tests.bets_helpers import M, line, open_book
from tests.test_api_input import ENDPOINTS, _logged_in
from tests.wallet_helpers import new_player

HOST = "alpha.localhost"
PLAYER_ONLY = [
    ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"),
    ("post", "/api/v1/me/password"),
    ("get", "/api/v1/wallet"),
    ("get", "/api/v1/wallet/transactions"),
    ("get", "/api/v1/bets"),
    ("post", "/api/v1/bets"),
    ("get", "/api/v1/bets/1/cashout"),
    ("post", "/api/v1/bets/1/cashout"),
]


def _error(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"].startswith("application/json"), answer["Content-Type"]
    body = answer.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    error = body["error"]
    assert error["code"] == code, error
    assert error["code"] in ERROR_CODES
    assert error["message"][0].isupper() and error["message"].endswith((".", "!", "?"))
    assert isinstance(error["details"], dict)
    return error


@pytest.mark.parametrize(("method", "path"), PLAYER_ONLY)
def test_player_only_endpoints_refuse_anonymous_clients_in_the_error_shape(alpha, method, path):
    client = Client(HTTP_HOST=HOST)
    answer = client.generic(method.upper(), path, b"{}", content_type="application/json")
    _error(answer, 401, "not_authenticated")


def test_drfs_own_errors_have_the_shape(alpha):
    client = Client(HTTP_HOST=HOST)
    _error(client.get("/api/v1/events/12345678"), 404, "not_found")
    _error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    _error(client.get("/api/nothing/here"), 404, "not_found")
    strict = Client(HTTP_HOST=HOST, enforce_csrf_checks=True)
    _error(strict.post("/api/v1/bets/-1/cashout", "{}", "application/json"), 404, "not_found")
    answer = client.delete("/api/v1/sports")
    _error(answer, 405, "method_not_allowed")
    assert answer["Allow"] == "GET, HEAD, OPTIONS"
    _error(
        client.post("/api/v1/players", "a=b", content_type="text/plain"),
        415,
        "unsupported_media_type",
    )
    _error(client.get("/api/v1/sports", HTTP_ACCEPT="text/html"), 406, "not_acceptable")
    _error(
        client.post("/api/v1/players", "{", content_type="application/json"),
        400,
        "malformed_request",
    )
    invalid = _error(
        client.post("/api/v1/players", "{}", content_type="application/json"),
        400,
        "invalid_request",
    )
    assert {"username", "email", "password"} <= set(invalid["details"]["fields"])
    denied = _error(
        strict.post("/api/v1/players", "{}", content_type="application/json"),
        403,
        "permission_denied",
    )
    assert "CSRF" in denied["message"]


def test_a_refusal_names_its_leg_and_figures_with_a_sentence_for_the_player(alpha):
    with open_book():
        player = new_player(alpha, funds=10_000)
        slip = {
            "idempotency_key": "moved",
            "kind": "single",
            "stake": 100,
            "legs": [{"market": line(M), "outcome": "1", "odds": "2.00"}],
        }
        answer = _logged_in(player).post(
            "/api/v1/bets", json.dumps(slip), content_type="application/json"
        )
        error = _error(answer, 422, "odds_changed")
        assert error == {
            "code": "odds_changed",
            "message": ERROR_CODES["odds_changed"],
            "details": {"leg": 0, "selection": {"market": line(M), "outcome": "1"}, "odds": "2.10"},
        }


def test_every_code_the_platform_raises_is_in_the_table():
    raised = set()
    pattern = re.compile(r'(?:BetRefused|PlayerError|ApiError|PlainError)\(\s*"([a-z_]+)"')
    for source in Path("apps").rglob("*.py"):
        raised |= set(pattern.findall(source.read_text()))
    assert raised, "the scan found nothing"
    assert raised <= set(ERROR_CODES), raised - set(ERROR_CODES)


# -- rate limits -----------------------------------------------------------------------------


def _throttled(answer) -> dict:
    error = _error(answer, 429, "throttled")
    assert int(answer["Retry-After"]) >= 1
    assert error["details"]["retry_after"] == int(answer["Retry-After"])
    return error


@override_settings(API_RATE_ADDRESS=(3, 86_400))
def test_an_address_beyond_its_limit_is_refused_with_retry_after(alpha):
    client = Client(HTTP_HOST=HOST, REMOTE_ADDR="198.51.100.7")
    for _ in range(3):
        assert client.get("/api/v1/sports").status_code == 200
    _throttled(client.get("/api/v1/sports"))
    _throttled(client.get("/api/v1/session"))
    # Another address is not affected.
    assert (
        Client(HTTP_HOST=HOST, REMOTE_ADDR="198.51.100.8").get("/api/v1/sports").status_code == 200
    )


@override_settings(API_RATE_PLAYER=(2, 86_400))
def test_a_player_beyond_their_limit_is_refused_and_places_no_bet(alpha):
    with open_book():
        player, other = new_player(alpha, funds=10_000), new_player(alpha, funds=10_000)
        client = _logged_in(player)
        assert client.get("/api/v1/me").status_code == 200
        assert client.get("/api/v1/wallet").status_code == 200
        _throttled(client.get("/api/v1/me"))
        slip = {
            "idempotency_key": "late",
            "kind": "single",
            "stake": 100,
            "legs": [{"market": line(M), "outcome": "1", "odds": "2.10"}],
        }
        _throttled(client.post("/api/v1/bets", json.dumps(slip), content_type="application/json"))
        assert not Bet.objects.using(shard_map.alias_for(player.id)).exists()
        # The same address, another player: within their own limit.
        assert _logged_in(other).get("/api/v1/me").status_code == 200


@override_settings(
    API_RATE_ADDRESS=(1, 86_400),
    API_RATE_PLAYER=(1, 86_400),
    THROTTLE_EXEMPT_NETWORKS=["127.0.0.0/8"],
)
def test_exempt_networks_are_not_limited(alpha):
    client = _logged_in(new_player(alpha))
    for _ in range(4):
        assert client.get("/api/v1/me").status_code == 200
        assert client.get("/api/v1/sports").status_code == 200


# -- the schema and its docs page ------------------------------------------------------------


def _schema() -> dict:
    answer = Client(HTTP_HOST=HOST).get("/api/schema/?format=json")
    assert answer.status_code == 200, answer.content[:500]
    return json.loads(answer.content)


def test_the_schema_is_valid_openapi_3_and_describes_every_route_and_error(alpha):
    schema = _schema()
    validate(schema)  # raises on anything that is not valid OpenAPI
    assert schema["openapi"].startswith("3.")
    documented = {
        (path, method)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    # Every route and method of the URL map (the bets route's plain view answers every
    # method; it takes GET and POST).
    routed = {
        (re.sub(r"\{\w+\}", "{x}", p), m)
        for p, m in ENDPOINTS
        if not (p == "/api/v1/bets" and m in {"put", "patch", "delete"})
    }
    assert routed <= {(re.sub(r"\{\w+\}", "{x}", p), m) for p, m in documented}
    for path in ("/api/v1/sports", "/api/v1/competitions", "/api/v1/events"):
        assert path in schema["paths"]
    assert "/api/v1/events/{event_id}" in schema["paths"]
    assert schema["components"]["schemas"]["ErrorCode"]["enum"] == list(ERROR_CODES)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "patch", "delete"}:
                continue
            for status in ("400", "404", "429"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (path, method)
            anonymous = "catalog" in operation.get("tags", []) or operation["operationId"] in {
                "players_create",
                "session_retrieve",
                "session_create",
                "session_destroy",
            }
            assert anonymous or "401" in operation["responses"], (path, method)


def test_the_docs_page_runs_under_the_strict_csp_from_the_sites_own_files(alpha):
    client = Client(HTTP_HOST=HOST)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    html = page.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="' in attrs for attrs in scripts)  # nothing inline runs
    for style in re.findall(r"<style([^>]*)>", html):
        assert f'nonce="{nonce}"' in style
    assert "http://" not in html and "https://" not in html  # no CDN
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in s for s in sources)
    for source in sources:
        answer = client.get(source.replace("&amp;", "&"))
        assert answer.status_code == 200, source
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"/api/schema/" in script.content
