"""The catalog's public API (``/api/v1/sports``, ``competitions``, ``events``, ``events/<id>``):
open to anyone on a brand's domain, each brand's own offer and prices, filters and pages, bad
parameters named, and a pinned number of queries whatever the number of events."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.catalog import offering
from apps.catalog.models import BrandPricing, Event, OfferingRule
from betting import ttl_cache
from tests.bets_helpers import M2, M, line, open_book
from tests.feed_helpers import make_event
from tests.test_api_input import _logged_in
from tests.wallet_helpers import new_player

ALPHA, BETA = "alpha.localhost", "beta.localhost"


@pytest.fixture
def book(clean):
    with open_book() as feed:
        yield feed


def _get(host: str, path: str, client: Client | None = None):
    client = client or Client(HTTP_HOST=host)
    return client.get(path)


def _error(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"] == "application/json"
    error = answer.json()["error"]
    assert error["code"] == code and error["message"] and isinstance(error["details"], dict)
    return error


def test_anyone_reads_sports_competitions_events_and_an_events_markets(book, alpha):
    sports = _get(ALPHA, "/api/v1/sports")
    assert sports.status_code == 200
    assert "sr:sport:1" in [s["urn"] for s in sports.json()["sports"]]
    competitions = _get(ALPHA, "/api/v1/competitions").json()
    assert {c["urn"] for c in competitions["competitions"]} == {
        "sr:tournament:4000",
        "sr:tournament:4001",
    }
    assert competitions["next_offset"] is None
    events = _get(ALPHA, "/api/v1/events").json()["events"]
    assert [e["urn"] for e in events] == [M, M2]
    first = events[0]
    assert first["home"] == "Home" and first["status"] == "not started" and not first["live"]
    assert first["competition"]["name"] == "Tournament"

    event = _get(ALPHA, f"/api/v1/events/{first['id']}").json()
    assert event["urn"] == M and event["suspended"] is False
    markets = {m["id"]: m for m in event["markets"]}
    one_x_two = markets[line(M)]
    assert one_x_two["name"] == "1x2" and one_x_two["status"] == "active" and one_x_two["open"]
    assert [(o["id"], o["name"], o["odds"], o["active"]) for o in one_x_two["outcomes"]] == [
        ("1", "Home", "2.10", True),
        ("2", "draw", "3.30", True),
        ("3", "Away", "3.60", True),
    ]
    total = markets[line(M, 18, "total=2.5")]
    assert total["specifiers"] == "total=2.5" and "2.5" in total["name"]


def test_a_logged_in_player_reads_the_same_catalog(book, alpha):
    client = _logged_in(new_player(alpha))
    assert client.get("/api/v1/events").json() == _get(ALPHA, "/api/v1/events").json()


def test_each_brand_sees_its_own_prices_and_offer(book, alpha, beta):
    BrandPricing.objects.create(brand_id=alpha.id, margin_pct=Decimal("5"))
    OfferingRule.objects.create(brand_id=beta.id, level="event", target=M2, action="hide")
    OfferingRule.objects.create(brand_id=beta.id, level="event", target=M, action="suspend")
    ttl_cache.clear_all()
    event_id = Event.objects.get(urn=M).id
    hidden_id = Event.objects.get(urn=M2).id

    alpha_odds = _get(ALPHA, f"/api/v1/events/{event_id}").json()["markets"][0]["outcomes"]
    assert [o["odds"] for o in alpha_odds] == ["2.00", "3.14", "3.42"]  # 2.10 / 1.05, down
    assert [e["urn"] for e in _get(ALPHA, "/api/v1/events").json()["events"]] == [M, M2]

    beta_event = _get(BETA, f"/api/v1/events/{event_id}").json()
    assert [o["odds"] for o in beta_event["markets"][0]["outcomes"]] == ["2.10", "3.30", "3.60"]
    assert beta_event["suspended"] is True
    assert not any(m["open"] for m in beta_event["markets"])
    assert [e["urn"] for e in _get(BETA, "/api/v1/events").json()["events"]] == [M]
    _error(_get(BETA, f"/api/v1/events/{hidden_id}"), 404, "not_found")


def test_a_hidden_sport_takes_its_competitions_and_events_with_it(book, beta):
    OfferingRule.objects.create(brand_id=beta.id, level="sport", target="sr:sport:1", action="hide")
    ttl_cache.clear_all()
    assert "sr:sport:1" not in [s["urn"] for s in _get(BETA, "/api/v1/sports").json()["sports"]]
    assert _get(BETA, "/api/v1/competitions").json()["competitions"] == []
    assert _get(BETA, "/api/v1/events").json()["events"] == []


def _shift(urn: str, **changes) -> Event:
    Event.objects.filter(urn=urn).update(**changes)
    return Event.objects.get(urn=urn)


def test_events_are_filtered_by_live_upcoming_sport_competition_and_start(book, alpha):
    now = timezone.now()
    make_event("sr:match:4100", "sr:sport:2")
    later = _shift("sr:match:4100", start_time=now + datetime.timedelta(days=1))
    playing = _shift(M, live=True, status=1, start_time=now - datetime.timedelta(minutes=30))
    ended = _shift(M2, status=3, start_time=now - datetime.timedelta(hours=3))

    def urns(query: str) -> list[str]:
        answer = _get(ALPHA, f"/api/v1/events?{query}")
        assert answer.status_code == 200, answer.content
        return [e["urn"] for e in answer.json()["events"]]

    assert urns("") == [playing.urn, later.urn]  # an ended event is not listed
    assert ended.urn not in urns("live=false")
    assert urns("live=true") == [playing.urn]
    assert urns("live=false") == [later.urn]
    assert urns("upcoming=true") == [later.urn]
    assert urns("upcoming=false") == [playing.urn]
    assert urns(f"sport={later.sport_id}") == [later.urn]
    assert urns(f"competition={playing.tournament_id}") == [playing.urn]
    after = (now - datetime.timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert urns(f"starts_after={after}") == [later.urn]
    assert urns(f"starts_before={after}") == [playing.urn]


def test_events_come_in_pages(book, alpha):
    first = _get(ALPHA, "/api/v1/events?limit=1").json()
    assert [e["urn"] for e in first["events"]] == [M] and first["next_offset"] == 1
    second = _get(ALPHA, "/api/v1/events?limit=1&offset=1").json()
    assert [e["urn"] for e in second["events"]] == [M2] and second["next_offset"] is None
    competitions = _get(ALPHA, "/api/v1/competitions?limit=1").json()
    assert len(competitions["competitions"]) == 1 and competitions["next_offset"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=\u0661", "limit"),
        ("offset=-1", "offset"),
        ("offset=10001", "offset"),
        ("sport=abc", "sport"),
        ("competition=0", "competition"),
        ("live=maybe", "live"),
        ("starts_after=yesterday", "starts_after"),
        ("colour=red", "colour"),
    ],
)
def test_a_bad_parameter_is_named_in_the_error(alpha, query, field):
    error = _error(_get(ALPHA, f"/api/v1/events?{query}"), 400, "invalid_request")
    assert field in error["details"]["fields"], error


def test_an_unknown_event_and_the_platforms_domain_are_not_found(book, alpha):
    _error(_get(ALPHA, "/api/v1/events/999999999"), 404, "not_found")
    _error(_get(ALPHA, f"/api/v1/events/{2**63}"), 404, "not_found")
    for path in ("/api/v1/sports", "/api/v1/events"):
        assert _get("localhost", path).status_code == 404


def test_the_catalog_takes_no_writes(book, alpha):
    client = Client(HTTP_HOST=ALPHA)
    for path in ("/api/v1/sports", "/api/v1/events", f"/api/v1/events/{line(M)}"):
        for method in ("post", "put", "patch", "delete"):
            answer = getattr(client, method)(path, "{}", content_type="application/json")
            _error(answer, 405, "method_not_allowed")
    assert Event.objects.count() == 2


def _queries(path: str) -> int:
    client = Client(HTTP_HOST=ALPHA)
    client.get(path)  # the host is known, the event's odds are cached
    offering._offers.clear()  # the brand's offer is read in the request, every time
    with CaptureQueriesContext(connections["default"]) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def test_the_catalogs_queries_are_pinned_whatever_the_number_of_events(book, alpha):
    # The brand's schema on the connection, its offer (pricing, rules), one query for the page.
    assert _queries("/api/v1/sports") == 4
    assert _queries("/api/v1/competitions") == 4
    assert _queries("/api/v1/events") == 4
    for n in range(10):
        make_event(f"sr:match:{4200 + n}")
    assert _queries("/api/v1/events") == 4
    # The event, then the markets' names (the odds come from the odds cache).
    assert _queries(f"/api/v1/events/{Event.objects.get(urn=M).id}") == 5
