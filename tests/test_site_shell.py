"""The brand site's shell: every page in the brand's look (title, colour, logo, sports menu), the
home page's and the sports page's events with their main market's prices as price buttons, local
times, the way back after logging in, the error pages, the video shown only when it can play, and
the queries each page costs."""

from __future__ import annotations

import base64
import datetime
import re
from contextlib import ExitStack

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.brands.models import Brand
from apps.catalog.models import Event, Market
from apps.site.models import SiteSettings
from betting import ttl_cache
from shards import map as shard_map
from tests.bets_helpers import LIVE, M2, ONE_X_TWO, M, open_book
from tests.feed_helpers import market, odds_change
from tests.test_backoffice import staff_client
from tests.test_players import PASSWORD, register_on_site

# A 1x1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
LOOKS = {"alpha": ("Alpha Bets", "#123456"), "beta": ("Beta Odds", "#abcdef")}


@pytest.fixture
def book(alpha, beta):
    """Both brands with their own look; M live (1:0), M2 starting tomorrow; both with a 1x1."""
    for brand in (alpha, beta):
        title, colour = LOOKS[brand.slug]
        with schema_context(brand.schema_name):
            SiteSettings.objects.create(title=title, primary_colour=colour)
    with open_book() as feed:
        Event.objects.filter(urn=M2).update(start_time=timezone.now() + datetime.timedelta(days=1))
        feed.process([odds_change(M, 2000, market(1, ONE_X_TWO), status=LIVE)])
        Event.objects.filter(urn=M).update(home_score=1)
        ttl_cache.clear_all()
        yield feed
    ttl_cache.clear_all()


def _client(brand, *, player: str | None = None) -> Client:
    client = Client(HTTP_HOST=f"{brand.slug}.localhost")
    if player:
        assert register_on_site(client, player).status_code == 302
    return client


def _event(urn):
    return Event.objects.get(urn=urn)


def _assert_look(page: str, brand) -> None:
    title, colour = LOOKS[brand.slug]
    other_title, other_colour = next(v for k, v in LOOKS.items() if k != brand.slug)
    assert f"--brand: {colour};" in page and title in page
    assert other_colour not in page and other_title not in page
    assert "/static/site/site.css" in page
    assert 'aria-label="Sports"' in page and "Football" in page  # the sports menu
    assert 'style="' not in page  # CSP: no style attributes


PAGES = ["/", "/sports/", "/sports/?when=live", "/account/login/", "/account/register/"]


@pytest.mark.parametrize("who", ["anonymous", "player"])
def test_every_page_wears_its_brands_look(book, alpha, beta, who):
    for brand in (alpha, beta):
        client = _client(brand, player=f"{brand.slug}p" if who == "player" else None)
        paths = [*PAGES, f"/sports/events/{_event(M).id}/"]
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            _assert_look(response.content.decode(), brand)
        missing = client.get("/no/such/page/")
        assert missing.status_code == 404
        _assert_look(missing.content.decode(), brand)
        assert "Page not found" in missing.content.decode()
        page = client.get("/").content.decode()
        assert ("Log out" in page) == (who == "player")


def test_the_platforms_domain_and_unknown_hosts_stay_plain(book):
    unknown = Client(HTTP_HOST="nowhere.localhost").get("/")
    assert unknown.status_code == 404
    assert (
        "Site not found" in unknown.content.decode() and "--brand" not in unknown.content.decode()
    )


def test_the_forbidden_page_wears_the_brands_look(book, alpha, beta):
    from betting.urls import brand as brand_urls

    for brand in (alpha, beta):
        request = RequestFactory().get("/admin/x/", HTTP_HOST=f"{brand.slug}.localhost")
        request.tenant = Brand.objects.get(pk=brand.id)
        with schema_context(brand.schema_name):
            response = brand_urls.handler403(request, PermissionDenied())
        assert response.status_code == 403
        page = response.content.decode()
        assert "Not allowed" in page
        _assert_look(page, brand)


def test_a_page_staff_may_not_open_answers_403_in_the_brands_look(book, alpha, beta):
    from django.contrib.auth.models import User

    from tests.test_backoffice import STAFF_PASSWORD, staff_login

    for brand in (alpha, beta):
        with schema_context(brand.schema_name):
            User.objects.create_user("norole", "", STAFF_PASSWORD, is_staff=True)
        client = Client(HTTP_HOST=f"{brand.slug}.localhost")
        assert staff_login(client, brand.schema_name, "norole").status_code == 302
        refused = client.get("/admin/site/sitesettings/")
        assert refused.status_code == 403
        assert "Not allowed" in refused.content.decode()
        _assert_look(refused.content.decode(), brand)


def test_the_server_error_page_queries_nothing_and_uses_the_cached_look(book, alpha):
    from betting.urls import brand as brand_urls

    request = RequestFactory().get("/", HTTP_HOST="alpha.localhost")
    request.tenant = Brand.objects.get(pk=alpha.id)
    with ExitStack() as stack:
        captured = [
            stack.enter_context(CaptureQueriesContext(connections[a]))
            for a in ["default", *shard_map.aliases()]
        ]
        cold = brand_urls.handler500(request)
    assert not any(c.captured_queries for c in captured)
    assert cold.status_code == 500
    assert "Something went wrong" in cold.content.decode()
    assert "#123456" not in cold.content.decode()  # not cached yet: the plain look
    _client(alpha).get("/")  # the look is now cached in this process
    with ExitStack() as stack:
        captured = [
            stack.enter_context(CaptureQueriesContext(connections[a]))
            for a in ["default", *shard_map.aliases()]
        ]
        warm = brand_urls.handler500(request)
    assert not any(c.captured_queries for c in captured)
    assert "--brand: #123456;" in warm.content.decode() and "Alpha Bets" in warm.content.decode()


def _prices(page: str) -> list[dict[str, str]]:
    return [
        dict(re.findall(r'(data-[\w-]+)="([^"]*)"', tag))
        for tag in re.findall(r'<button type="button" class="price"[^>]*>', page)
    ]


def test_the_home_page_shows_live_and_upcoming_events_with_main_market_prices(book, alpha):
    page = _client(alpha).get("/").content.decode()
    live_part, upcoming_part = page.split('id="upcoming"')
    assert "Live now" in live_part and f'data-watch-event="{_event(M).id}"' in live_part
    assert f'data-watch-event="{_event(M2).id}"' in upcoming_part
    prices = _prices(page)
    line = Market.objects.get(event__urn=M, market_id=1)
    home = next(p for p in prices if p["data-market"] == str(line.id) and p["data-outcome"] == "1")
    assert home == {
        "data-event": str(line.event_id),
        "data-market": str(line.id),
        "data-outcome": "1",
        "data-odds": "2.10",
        "data-event-name": "Home v Away",
        "data-market-name": "1x2",
        "data-outcome-name": "Home",
        "data-live": "1",
        "data-status": "active",
    }
    assert {p["data-live"] for p in prices if p["data-event"] == str(_event(M2).id)} == {"0"}
    assert len(prices) == 6  # three outcomes of each event's 1x2
    # The live event's score moves on the page: its elements are marked for the script.
    assert f'data-score-for="{line.event_id}">1:0<' in page


def test_the_sports_page_filters_live_and_upcoming_and_refuses_unknown_filters(book, alpha):
    client = _client(alpha)
    live_id, upcoming_id = _event(M).id, _event(M2).id
    every = client.get("/sports/").content.decode()
    assert f'data-watch-event="{live_id}"' in every and f'data-watch-event="{upcoming_id}"' in every
    assert "Tournament" in every  # grouped by competition
    live = client.get("/sports/?when=live").content.decode()
    assert (
        f'data-watch-event="{live_id}"' in live and f'data-watch-event="{upcoming_id}"' not in live
    )
    later = client.get("/sports/?when=upcoming").content.decode()
    assert (
        f'data-watch-event="{live_id}"' not in later
        and f'data-watch-event="{upcoming_id}"' in later
    )
    sport = _event(M).sport_id
    assert f'data-watch-event="{live_id}"' in client.get(f"/sports/?sport={sport}").content.decode()
    for bad, code in (("?when=yesterday", "invalid_filter"), ("?sport=x", "unknown_sport")):
        response = client.get("/sports/" + bad)
        assert response.status_code == 400
        assert f'data-code="{code}"' in response.content.decode()
        assert "data-watch-event" not in response.content.decode()


def test_a_brand_that_hides_an_event_does_not_list_it(book, alpha, beta):
    from apps.catalog.models import OfferingRule

    OfferingRule.objects.create(brand_id=alpha.id, level="event", target=M2, action="hide")
    ttl_cache.clear_all()
    hidden = str(_event(M2).id)
    for path in ("/", "/sports/"):
        assert f'data-watch-event="{hidden}"' not in _client(alpha).get(path).content.decode()
        assert f'data-watch-event="{hidden}"' in _client(beta).get(path).content.decode()


def test_times_carry_their_datetime_and_say_utc(book, alpha):
    start = _event(M2).start_time
    for path in ("/", "/sports/", f"/sports/events/{_event(M2).id}/"):
        page = _client(alpha).get(path).content.decode()
        assert (
            f'<time data-start-for="{_event(M2).id}" datetime="{start.isoformat()}">' in page
            or (f'<time datetime="{start.isoformat()}">' in page)
        ), path
        assert re.search(r"<time[^>]*>[^<]* UTC</time>", page), path


def test_nothing_is_labelled_live_before_the_event_starts(book, alpha):
    upcoming = _event(M2)
    upcoming.video = {"status": "live", "url": "https://streams.example/s.m3u8", "quality": []}
    upcoming.save()
    with override_settings(VIDEO_STREAM_HOSTS=["streams.example"]):
        page = _client(alpha).get(f"/sports/events/{upcoming.id}/").content.decode()
    assert "<video" not in page and ">LIVE<" not in page
    home = _client(alpha).get("/").content.decode()
    row = home[home.index(f'data-watch-event="{upcoming.id}"') :]
    row = row[: row.index("</li>")]
    assert 'data-live-for="' in row and " hidden>LIVE<" in row  # the label is hidden until live


def test_a_live_streams_player_shows_only_at_a_reachable_address(book, alpha):
    event = _event(M)
    event.video = {"status": "live", "url": "https://streams.example/s.m3u8", "quality": ["720p"]}
    event.save()
    path = f"/sports/events/{event.id}/"
    # Not on a host players can reach (the default, and the video simulator's): no player.
    assert "<video" not in _client(alpha).get(path).content.decode()
    with override_settings(VIDEO_STREAM_HOSTS=["streams.example"]):
        page = _client(alpha).get(path).content.decode()
        assert (
            '<video controls playsinline preload="none" src="https://streams.example/s.m3u8">'
            in page
        )
        event.video = {**event.video, "status": "scheduled"}
        event.save()
        assert "<video" not in _client(alpha).get(path).content.decode()


@pytest.mark.parametrize("form", ["login", "register"])
def test_logging_in_or_registering_comes_back_to_the_page_it_left(book, alpha, form):
    client = _client(alpha)
    back = f"/sports/events/{_event(M).id}/"
    if form == "register":
        response = client.post(
            f"/account/register/?next={back}",
            {"username": "nora", "email": "nora@example.com", "password": PASSWORD},
        )
    else:
        register_on_site(_client(alpha), "nora")
        response = client.post(
            f"/account/login/?next={back}", {"username": "nora", "password": PASSWORD}
        )
    assert response.status_code == 302 and response["Location"] == back
    assert "Log out" in client.get(back).content.decode()


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "http://beta.localhost/", "javascript:alert(1)"],
)
def test_next_refuses_another_site(book, alpha, target):
    register_on_site(_client(alpha), "olga")
    client = _client(alpha)
    response = client.post(
        f"/account/login/?next={target}", {"username": "olga", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_log_in_link_carries_the_page_it_is_on(book, alpha):
    path = f"/sports/events/{_event(M).id}/"
    page = _client(alpha).get(path).content.decode()
    assert f'href="/account/login/?next=/sports/events/{_event(M).id}/"' in page
    page = _client(alpha).get("/sports/?when=live&sport=1").content.decode()
    assert 'href="/account/login/?next=/sports/%3Fwhen%3Dlive%26sport%3D1"' in page


def test_a_logo_uploaded_in_the_brand_admin_shows_on_every_page(book, alpha, beta):
    with schema_context(alpha.schema_name):
        look = SiteSettings.objects.get()
    client = staff_client("alpha.localhost", alpha.schema_name)
    change = f"/admin/site/sitesettings/{look.pk}/change/"
    fields = {"title": "Alpha Bets", "tagline": "", "primary_colour": "#123456"}
    from django.core.files.uploadedfile import SimpleUploadedFile

    refused = client.post(
        change, {**fields, "logo_file": SimpleUploadedFile("x.png", b"<svg onload=alert(1)>")}
    )
    assert refused.status_code == 200 and "must be a PNG" in refused.content.decode()
    big = PNG + b"\0" * (48 * 1024)
    refused = client.post(change, {**fields, "logo_file": SimpleUploadedFile("x.png", big)})
    assert refused.status_code == 200 and "larger than" in refused.content.decode()
    with schema_context(alpha.schema_name):
        assert SiteSettings.objects.get().logo == ""
    saved = client.post(change, {**fields, "logo_file": SimpleUploadedFile("l.png", PNG)})
    assert saved.status_code == 302
    logo = "data:image/png;base64," + base64.b64encode(PNG).decode()
    for path in ("/", "/sports/", "/account/login/", "/no/such/page/"):
        assert (
            f'<img class="logo" src="{logo}" alt="">' in _client(alpha).get(path).content.decode()
        )
        assert 'class="logo"' not in _client(beta).get(path).content.decode()


def test_the_database_refuses_a_logo_that_is_not_an_image_data_uri(alpha):
    from django.db import IntegrityError, transaction

    with schema_context(alpha.schema_name):
        with pytest.raises(IntegrityError), transaction.atomic():
            SiteSettings.objects.create(title="A", logo='javascript:alert(1)"')
        assert not SiteSettings.objects.exists()


# -- queries per page ---------------------------------------------------------------------------


def _counts(client, path):
    with ExitStack() as stack:
        captured = {
            alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in ["default", *shard_map.aliases()]
        }
        assert client.get(path).status_code == 200
    return {alias: len(c.captured_queries) for alias, c in captured.items() if c.captured_queries}


@pytest.mark.parametrize("who", ["anonymous", "player"])
def test_pages_cost_a_pinned_number_of_queries(book, alpha, who):
    client = _client(alpha, player="pia" if who == "player" else None)
    paths = {"home": "/", "sports": "/sports/", "event": f"/sports/events/{_event(M).id}/"}
    # The brand's offer is cached for a few seconds: long enough here that a slow machine does
    # not count its reload.
    with override_settings(OFFER_CACHE_S=600):
        for path in paths.values():
            client.get(path)  # warm: the look, the menu, the offer and the odds cache
        counts = {name: _counts(client, path) for name, path in paths.items()}
    # Each: the brand's search_path; then home: live events + their main lines, upcoming events
    # + their main lines; sports: events + main lines; event: the event, the market names.
    expected = {"home": {"default": 5}, "sports": {"default": 3}, "event": {"default": 3}}
    if who == "player":
        # The player is read from their shard once per page.
        home = next(a for a in shard_map.aliases() if any(a in c for c in counts.values()))
        expected = {k: {**v, home: 1} for k, v in expected.items()}
    assert counts == expected


def test_the_login_and_register_pages_pass_the_way_back_to_each_other(alpha):
    client = _client(alpha)
    login = client.get("/account/login/?next=/sports/").content.decode()
    assert 'href="/account/register/?next=/sports/"' in login
    register = client.get("/account/register/?next=/sports/").content.decode()
    assert 'href="/account/login/?next=/sports/"' in register
