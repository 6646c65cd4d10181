"""A new player's evening, in a real browser against the real stack: registration, funds from
an operator's adjustment (backoffice, TOTP), a price moving live, bets, a settlement arriving
while the wallet page is open, a cash-out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser import site
from tests.browser.book import AWAY, DRAW, HOME, Book

HOST = "alpha.localhost"


@pytest.fixture
def book(stack):
    opened = Book()
    yield opened
    opened.close()


def test_a_new_player_is_funded_bets_and_is_paid(people, stack, book, alpha):
    arsenal = book.lines[0]
    player = people("player")
    page = player.page

    # A visitor opens an account.
    site.register(page, stack, HOST, "nina")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("header")).to_contain_text("nina")
    player.shot("site-home-player")

    # The wallet is empty; the page stays open while an operator credits it.
    with stack.new_player_socket():
        page.goto(stack.url(HOST, "/account/wallet/"))
    expect(page.locator('[data-balance="available"]')).to_have_text("0.00")

    site.staff_member(alpha.schema_name, "olga")
    operator = people("operator")
    office = operator.page
    site.staff_sign_in(office, stack, HOST, alpha.schema_name, "olga")
    expect(office.locator("#user-tools")).to_contain_text("Welcome, olga")
    office.goto(stack.url(HOST, "/admin/players/directoryentry/?q=nina"))
    office.get_by_role("link", name="nina", exact=True).click()
    office.get_by_role("link", name="ledger and adjustments").click()
    office.get_by_role("link", name="Adjust the balance").click()
    office.get_by_label("Credit: pay the player").check()
    office.get_by_label("Amount").fill("100.00")
    office.get_by_label("Reason").fill("welcome credit")
    operator.shot("backoffice-adjustment")
    office.get_by_role("button", name="Apply the adjustment").click()
    expect(office.locator("body")).to_contain_text("100.00")

    # The player's open wallet page shows the new balance without a reload.
    expect(page.locator('[data-balance="available"]')).to_have_text("100.00")
    expect(page.locator("#wallet-activity")).to_be_visible()
    player.shot("site-wallet-funded")

    # On the match's page the home price moves while the player looks at it.
    page.goto(stack.url(HOST, f"/sports/events/{arsenal.event.id}/"))
    expect(page.get_by_role("heading", name=arsenal.name)).to_be_visible()
    before = site.odds_of(page, arsenal.line, HOME)
    assert before, page.content()[:2000]
    player.wait_for_socket(f"/ws/events/{arsenal.event.id}/")
    book.odds(arsenal.event, {HOME: "2.40", DRAW: "3.20", AWAY: "3.10"})
    expect(site.price(page, arsenal.line, HOME)).not_to_contain_text(before)
    after = site.odds_of(page, arsenal.line, HOME)
    assert Decimal(after) > Decimal(before)
    player.shot("site-event-odds-moved")

    # A single on the home win at the new price, 10.00 EUR.
    site.price(page, arsenal.line, HOME).click()
    page.locator("#slip").get_by_label(site.re_stake()).fill("10.00")
    page.locator("#slip").get_by_role("button", name="Place bet").click()
    expect(page.locator("#slip")).to_contain_text("Bet placed")
    expect(page.locator("#slip")).to_contain_text("10.00")
    player.shot("site-slip-placed")

    # A second single, 5.00 EUR on the next match's draw, kept open for a cash-out.
    liverpool = book.lines[1]
    page.goto(stack.url(HOST, f"/sports/events/{liverpool.event.id}/"))
    expect(page.get_by_role("heading", name=liverpool.name)).to_be_visible()
    site.price(page, liverpool.line, DRAW).click()
    page.locator("#slip").get_by_label(site.re_stake()).fill("5.00")
    page.locator("#slip").get_by_role("button", name="Place bet").click()
    expect(page.locator("#slip")).to_contain_text("Bet placed")

    # The wallet page is open when the first match is settled: Arsenal won, 10.00 at the odds
    # taken pays 24.00 and the balance moves from 85.00 without a reload.
    with stack.new_player_socket():
        page.goto(stack.url(HOST, "/account/wallet/"))
    expect(page.locator('[data-balance="available"]')).to_have_text("85.00")
    book.settle(arsenal.event, HOME)
    paid = Decimal("10.00") * Decimal(after)
    expect(page.locator('[data-balance="available"]')).to_have_text(
        site.money(Decimal("85.00") + paid), timeout=30_000
    )
    expect(page.locator("#wallet-activity")).to_be_visible()
    player.shot("site-wallet-settled")

    # My bets: the open bet on the second match is cashed out for the offer shown.
    page.goto(stack.url(HOST, "/account/bets/"))
    button = page.get_by_role("button", name=site.re_cash_out())
    expect(button).to_be_visible()
    offer = site.amount_in(button.inner_text())
    assert Decimal("0") < offer < Decimal("5.00") * Decimal("3.30")
    player.shot("site-my-bets-open")
    button.click()
    expect(page.locator("main")).to_contain_text(f"Cashed out for {site.money(offer)}")
    page.goto(stack.url(HOST, "/account/wallet/"))
    expect(page.locator('[data-balance="available"]')).to_have_text(
        site.money(Decimal("85.00") + paid + offer)
    )
