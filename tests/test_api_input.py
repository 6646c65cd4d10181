"""What the public API does with input that is not what it asks for: every JSON body is read by
one reader (``apps.api.body``) that answers 400 for anything it cannot parse, integers are ASCII
digits within bigint, strings carry no control characters, and no input makes a 5xx. The last is
a property-based fuzz test over every JSON endpoint in the brand URL map, so a new endpoint is
covered without being named here."""

from __future__ import annotations

import json
import re
from importlib import import_module

import pytest
from django.conf import settings
from django.http import HttpRequest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.bets.models import Bet
from apps.bets.placement import bet_place
from apps.players.services import player_get
from apps.players.sessions import session_login
from apps.wallet.models import Operation
from shards import map as shard_map
from tests import setup
from tests.bets_helpers import M, line, open_book, slip
from tests.wallet_helpers import history_counts, new_player

HOST = "alpha.localhost"


def _rows() -> tuple[int, int, tuple[int, int]]:
    """Bets, wallet operations and (operations, transfers) across the shards."""
    bets = sum(Bet.objects.using(a).count() for a in shard_map.aliases())
    operations = sum(Operation.objects.using(a).count() for a in shard_map.aliases())
    return bets, operations, history_counts()


def _logged_in(player) -> Client:
    """A client whose session is the player's, made as the site's login makes one."""
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    session_login(request, player_get(brand_id=player.brand_id, player_id=player.id))
    request.session.save()
    client = Client(HTTP_HOST=HOST)
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return client


def _post(client: Client, path: str, body: bytes | str, method: str = "post"):
    return client.generic(method.upper(), path, body, content_type="application/json")


@pytest.fixture
def book(clean):
    with open_book() as feed:
        yield feed


def _slip(**changes) -> dict:
    good = {
        "idempotency_key": "slip-1",
        "kind": "single",
        "stake": 100,
        "legs": [{"market": line(M), "outcome": "1", "odds": "2.10"}],
    }
    good.update(changes)
    return good


# -- the cases of the finding, each the example of a class ----------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"stake": "²"},  # a superscript: str.isdigit() says yes, int() says no
        {"stake": "\u0661\u0660\u0660"},  # Arabic-Indic digits: int() reads them as 100
        {"stake": "\U0001d7cf\U0001d7ce\U0001d7ce"},  # mathematical bold digits
        {"stake": " 100"},
        {"stake": "+100"},
        {"stake": "1_000"},
        {"stake": 10**40},
        {"stake": "9" * 5000},  # beyond Python's int-from-string limit
        {"legs": [{"market": "²", "outcome": "1", "odds": "2.10"}]},
        {"legs": [{"market": "\u0663", "outcome": "1", "odds": "2.10"}]},
        {"legs": [{"market": 2**63, "outcome": "1", "odds": "2.10"}]},
        {"legs": [{"market": 1, "outcome": "1", "odds": "\u0662.\u0661\u0660"}]},
        {"legs": [{"market": 1, "outcome": "1", "odds": "2.1e0"}]},
    ],
)
def test_a_slip_with_an_integer_that_is_not_ascii_digits_is_refused_and_writes_nothing(
    book, alpha, changes
):
    player = new_player(alpha, funds=10_000)
    before = _rows()
    answer = _post(_logged_in(player), "/api/v1/bets", json.dumps(_slip(**changes)))
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    field = next(iter(changes))
    assert field in error["details"]["fields"], error
    assert _rows() == before


@pytest.mark.parametrize(
    "changes",
    [
        {"idempotency_key": "slip\x00one"},
        {"idempotency_key": "slip\x1bone"},
        {"idempotency_key": "slip\x7f"},
        {"idempotency_key": "slip\x85"},
        {"idempotency_key": "slip\ud800"},  # a lone surrogate: not text PostgreSQL can store
        {"legs": [{"market": 1, "outcome": "1\x00", "odds": "2.10"}]},
        {"kind": "single\x00"},
        {"extra\x00": "x"},  # in a key too
    ],
)
def test_a_control_character_anywhere_in_a_body_is_refused_at_the_edge(book, alpha, changes):
    player = new_player(alpha, funds=10_000)
    before = _rows()
    answer = _post(_logged_in(player), "/api/v1/bets", json.dumps(_slip(**changes)))
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["code"] == "invalid_characters"
    assert _rows() == before


def test_tabs_and_newlines_are_text_not_control_characters(book, alpha):
    player = new_player(alpha, funds=10_000)
    key = "one\ttwo\r\nthree"
    answer = _post(_logged_in(player), "/api/v1/bets", json.dumps(_slip(idempotency_key=key)))
    assert answer.status_code == 201, answer.content
    assert Bet.objects.using(shard_map.alias_for(player.id)).get().slip_key == key


DEEP = b"[" * 30_000 + b"]" * 30_000  # within the size cap: refused for its depth


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/bets", "post"),
        ("/api/v1/players", "post"),
        ("/api/v1/session", "post"),
        ("/api/v1/me", "patch"),
        ("/api/v1/bets/1/cashout", "post"),
    ],
)
def test_deeply_nested_json_is_a_malformed_request_on_every_endpoint(alpha, path, method):
    player = new_player(alpha, funds=10_000)
    before = _rows()
    for body in (DEEP, b'{"a":' * 40 + b"1" + b"}" * 40):
        answer = _post(_logged_in(player), path, body, method)
        assert answer.status_code == 400, (path, answer.content[:300])
        error = answer.json()["error"]
        assert error["code"] == "malformed_request", error
        assert "deep" in error["message"]
    assert _rows() == before


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1e999}',  # a float that is not finite
        b'{"a": ' + b"9" * 5000 + b"}",  # beyond Python's int-from-string limit
        b"\xff\xfe",
        b'"\\ud800"',
        b"",  # handled as an empty object
    ],
)
def test_every_parse_failure_of_a_drf_endpoint_is_a_400(alpha, body):
    answer = _post(Client(HTTP_HOST=HOST), "/api/v1/players", body)
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["code"] in {
        "malformed_request",
        "invalid_characters",
        "invalid_request",
    }


@override_settings(API_MAX_BODY_BYTES=1_000)
def test_a_body_beyond_the_apis_cap_is_refused_unread(alpha):
    client = _logged_in(new_player(alpha))
    for path in ("/api/v1/bets", "/api/v1/players"):
        answer = _post(client, path, json.dumps({"pad": "x" * 2_000}))
        assert answer.status_code == 413, answer.content
        assert answer.json()["error"]["code"] == "request_too_large"


def test_a_cash_out_offer_is_ascii_digits_within_bigint(book, alpha):
    player = new_player(alpha, funds=10_000)
    client = _logged_in(player)
    before = _rows()
    for offer in ("\u0661\u0660\u0660", "²", 2**63, "9" * 30):
        answer = _post(
            client, "/api/v1/bets/1/cashout", json.dumps({"idempotency_key": "k", "offer": offer})
        )
        assert answer.status_code == 400, (offer, answer.content)
        assert "offer" in answer.json()["error"]["details"]["fields"]
    answer = client.get("/api/v1/wallet/transactions?limit=\u0661\u0660")
    assert answer.status_code == 400 and "limit" in answer.json()["error"]["details"]["fields"]
    assert _rows() == before


# -- the fuzz test: every JSON endpoint, generated bodies, no 5xx ----------------------------


def _api_endpoints() -> list[tuple[str, list[str]]]:
    """Every route of the brand's API (``/api/v1/``), from the URL map itself, with the methods
    its view answers: a new endpoint is fuzzed without being listed here."""
    found: list[tuple[str, list[str]]] = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith("api/v1/"):
                view = getattr(entry.callback, "view_class", None)
                if view is not None:
                    methods = [
                        m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)
                    ]
                else:  # a plain view: every unsafe method, it must refuse what it does not take
                    methods = ["get", "post", "put", "patch", "delete"]
                found.append(("/" + re.sub(r"<int:\w+>", "{id}", route), methods))

    walk(get_resolver("betting.urls.brand").url_patterns, "")
    return found


ENDPOINTS = [(path, method) for path, methods in _api_endpoints() for method in methods]


def test_the_fuzzed_endpoints_are_every_json_endpoint():
    paths = {path for path, _ in ENDPOINTS}
    assert {"/api/v1/bets", "/api/v1/players", "/api/v1/session", "/api/v1/me"} <= paths
    assert "/api/v1/bets/{id}/cashout" in paths
    assert ("/api/v1/bets", "post") in ENDPOINTS and ("/api/v1/me", "patch") in ENDPOINTS


FIELDS = [
    "idempotency_key",
    "kind",
    "system",
    "stake",
    "odds_policy",
    "legs",
    "market",
    "outcome",
    "odds",
    "username",
    "email",
    "password",
    "display_name",
    "offer",
    "tolerance",
    "amount",
]
_text = st.text(alphabet=st.characters(codec=None, categories=None), max_size=30) | st.sampled_from(
    ["²", "\u0661\u0660\u0660", "\x00", "\ud800", "9" * 30, "", " ", "1e5", "-1", "2.10"]
)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**20])
    | st.floats(allow_nan=True, allow_infinity=True)
    | _text
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | _text, inner, max_size=5)
    ),
    max_leaves=12,
)
# Objects with the endpoints' own field names, so the fuzz reaches their validation and not
# only "send a JSON object"; and valid bodies of each endpoint with one field replaced, to reach
# the services behind the validation (placement, cash-out, registration).
_objects = st.dictionaries(st.sampled_from(FIELDS), _values, max_size=6)
_raw = st.sampled_from(
    [b"[" * 5000, b"{" * 5000, b'{"a":' * 2000, b"\xff", b'"\\udc00"', b"1e99999", b"nul"]
)


def _templates(market_id: int) -> list[dict]:
    leg = {"market": market_id, "outcome": "1", "odds": "2.10"}
    return [
        {"idempotency_key": "fuzz", "kind": "single", "stake": 100, "legs": [leg]},
        {"idempotency_key": "fuzz", "kind": "multiple", "stake": 100, "legs": [leg, leg]},
        {"idempotency_key": "fuzz", "offer": 950, "tolerance": 0, "amount": 100},
        {"username": "fuzzer", "email": "f@example.com", "password": "a long passphrase"},
        {"display_name": "Fuzz", "email": "f@example.com"},
    ]


@st.composite
def _bodies(draw, market_id: int) -> bytes:
    choice = draw(st.integers(min_value=0, max_value=3))
    if choice == 0:
        return draw(_raw)
    if choice == 1:
        value = draw(_values)
    elif choice == 2:
        value = draw(_objects)
    else:
        value = draw(st.sampled_from(_templates(market_id)))
        field = draw(st.sampled_from([*value, "market", "outcome", "odds"]))
        if field in value:
            value[field] = draw(_values)
        elif "legs" in value:
            value["legs"] = [{**value["legs"][0], field: draw(_values)}]
    return json.dumps(value, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def fuzz_world(platform):
    setup.platform_reset(platform)
    with open_book():
        player = new_player(platform.alpha, funds=1_000_000)
        bet = bet_place(
            brand_id=player.brand_id,
            player_id=player.id,
            currency=platform.alpha.currency,
            slip=slip("fuzz-open", [(line(M), "1", "2.10")], stake=1_000),
        ).bet
        yield player, line(M), bet.id
    setup.platform_reset(platform)


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("path", "method"), ENDPOINTS, ids=[f"{m} {p}" for p, m in ENDPOINTS])
def test_no_json_body_makes_a_server_error(fuzz_world, path, method):
    player, market_id, bet_id = fuzz_world
    path = path.replace("{id}", str(bet_id))

    @hypothesis_settings(
        max_examples=30,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(body=_bodies(market_id), anonymous=st.booleans())
    def fuzz(body: bytes, anonymous: bool) -> None:
        client = Client(HTTP_HOST=HOST) if anonymous else _logged_in(player)
        client.raise_request_exception = False
        answer = client.generic(method.upper(), path, body, content_type="application/json")
        assert answer.status_code < 500, (method, path, body[:200], answer.content[:300])

    fuzz()


def test_the_sites_cash_out_form_refuses_control_characters_and_other_digits(book, alpha):
    from apps.bets.models import CashOut

    player = new_player(alpha, funds=10_000)
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("form", [(line(M), "1", "2.10")], stake=1_000),
    ).bet
    client = _logged_in(player)
    client.raise_request_exception = False
    before = _rows()
    for form in ({"offer": "950", "key": "k\x00"}, {"offer": "\u0669\u0665\u0660", "key": "k"}):
        answer = client.post(f"/account/bets/{bet.id}/cashout", form)
        assert answer.status_code == 302, answer.status_code
        assert "Not cashed out" in client.get(answer["Location"]).content.decode()
    assert not CashOut.objects.using(shard_map.alias_for(player.id)).exists()
    assert _rows() == before
