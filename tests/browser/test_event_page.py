"""The event page in a real browser: a price pushed while the page fetches its markets again is not
undone by the fetched markets, which the server drew before that price."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests import live, processes
from tests.browser import site
from tests.browser.book import AWAY, DRAW, HOME, Book

HOST = "alpha.localhost"


@pytest.fixture
def book(stack):
    opened = Book([("sr:match:95001", "Brentford", "Fulham")])
    yield opened
    opened.close()


def test_a_price_pushed_during_the_markets_fetch_stays_on_the_page(people, stack, book):
    brentford = book.lines[0]
    visitor = people("visitor")
    page = visitor.page
    held = []  # the page's fetch of its markets, answered by the server, not yet delivered

    def hold(route):
        if held:  # only the first fetch is held back
            route.continue_()
            return
        # The server's answer now (fetched over loopback with the brand's host, as the page would).
        url = urlsplit(route.request.url)
        held.append((route, live.http_get(url.port, url.path, host=HOST)))

    markets = f"**/sports/events/{brentford.event.id}/markets"
    page.route(markets, hold)
    page.goto(stack.url(HOST, f"/sports/events/{brentford.event.id}/"))
    # The socket's first message makes the page fetch its markets; the server answers with the
    # prices of now (2.10), and the answer is kept from the page for a moment.
    processes.wait_until(
        lambda: page.wait_for_timeout(20) or held, timeout=30, message="the markets fetched"
    )
    home = site.price(page, brentford.line, HOME)
    expect(home).to_have_text("2.10")

    # A new price arrives over the socket while that answer is on its way.
    book.odds(brentford.event, {HOME: "2.40", DRAW: "3.20", AWAY: "3.10"})
    expect(home).to_have_text("2.40")

    # The older answer arrives and is swapped in: the newer price stays.
    page.evaluate("document.getElementById('markets').dataset.swapped = 'no'")
    route, (status, body) = held[0]
    assert status == 200
    route.fulfill(status=status, body=body, content_type="text/html; charset=utf-8")
    expect(page.locator("#markets:not([data-swapped])")).to_have_count(1)
    expect(site.price(page, brentford.line, HOME)).to_have_text("2.40")
    expect(site.price(page, brentford.line, HOME)).to_have_attribute(
        "aria-label", "Brentford at 2.40"
    )
    expect(site.price(page, brentford.line, AWAY)).to_have_text("3.10")
