"""A visitor on the start page, in a real browser: the main market's prices move live there, times
are in the browser's own zone, a price clicked before logging in leads to registration and back to
the same page with the selection in the slip; the same page on a phone-sized screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import site
from tests.browser.book import AWAY, DRAW, HOME, Book
from tests.browser.harness import PHONE

HOST = "alpha.localhost"


@pytest.fixture
def book(stack):
    opened = Book()
    yield opened
    opened.close()


def test_a_visitor_picks_a_price_on_the_start_page_and_comes_back_after_registering(
    people, stack, book
):
    arsenal = book.lines[0]
    visitor = people("visitor")
    page = visitor.page
    page.goto(stack.url(HOST, "/"))
    expect(page.get_by_role("heading", name="Starting soon")).to_be_visible()
    start = page.locator(f'time[data-start-for="{arsenal.event.id}"]')
    expect(start).to_have_attribute("data-local", "1")  # rewritten in the browser's zone
    home = site.price(page, arsenal.line, HOME)
    expect(home).to_have_text("2.10")

    # The start page follows the match's odds.
    visitor.wait_for_socket(f"/ws/events/{arsenal.event.id}/")
    book.odds(arsenal.event, {HOME: "2.25", DRAW: "3.20", AWAY: "3.10"})
    expect(home).to_have_text("2.25")
    expect(home).to_have_class(site.re_class("up"))
    visitor.shot("site-home-visitor", open_slip=False)

    # A visitor's click asks them to log in, remembering the page; they register instead.
    home.click()
    expect(page).to_have_url(re.compile(r"/account/login/\?next=(%2F|/)$"))
    page.get_by_role("link", name="Open one").click()
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill(site.PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(stack.url(HOST, "/"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(site.price(page, arsenal.line, HOME)).to_have_attribute("aria-pressed", "true")
    expect(site.in_slip(page, arsenal.line, HOME)).to_contain_text("Arsenal")

    # The same page on a phone: the menu, the prices and the slip's drawer toggle all there.
    phone = people("phone", width=PHONE)
    phone.page.goto(stack.url(HOST, "/sports/"))
    expect(phone.page.get_by_role("navigation", name="Sports")).to_be_visible()
    expect(site.price(phone.page, arsenal.line, HOME)).to_be_visible()
    expect(phone.page.locator("[data-slip-toggle]")).to_be_visible()
    phone.shot("site-sports-visitor", open_slip=False)
