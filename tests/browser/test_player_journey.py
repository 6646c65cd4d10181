"""A new player's evening, in a real browser against the real stack: registration, funds from
an operator's adjustment (backoffice, TOTP), a price moving live in the slip, a single, a
multiple across two matches and a Trixie, a settlement arriving while the wallet page is open,
a cash-out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser import site
from tests.browser.book import AWAY, DRAW, HOME, Book

HOST = "alpha.localhost"
# Matches of this journey's own: it moves a price and settles a match.
MATCHES = [
    ("sr:match:93001", "Arsenal", "Chelsea"),
    ("sr:match:93002", "Liverpool", "Everton"),
    ("sr:match:93003", "Leeds", "Fulham"),
]


@pytest.fixture
def book(stack):
    opened = Book(MATCHES)
    yield opened
    opened.close()


def test_a_new_player_is_funded_bets_and_is_paid(people, stack, book, alpha):
    arsenal, liverpool, leeds = book.lines
    player = people("player")
    page = player.page
    slip = page.locator("#slip")

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

    # On the match's page the player picks the home win; its price moves while in the slip.
    page.goto(stack.url(HOST, f"/sports/events/{arsenal.event.id}/"))
    expect(page.get_by_role("heading", name=arsenal.name)).to_be_visible()
    home = site.price(page, arsenal.line, HOME)
    expect(home).to_have_text("2.10")
    home.click()
    expect(home).to_have_attribute("aria-pressed", "true")
    expect(site.in_slip(page, arsenal.line, HOME)).to_contain_text("Arsenal")
    expect(site.slip_odds(page, arsenal.line, HOME)).to_contain_text("2.10")
    player.wait_for_socket(f"/ws/events/{arsenal.event.id}/")
    book.odds(arsenal.event, {HOME: "2.40", DRAW: "3.20", AWAY: "3.10"})
    expect(site.slip_odds(page, arsenal.line, HOME)).to_contain_text("2.40")
    expect(site.slip_odds(page, arsenal.line, HOME)).to_have_class(site.re_class("up"))
    expect(home).to_have_text("2.40")
    player.shot("site-slip-odds-moved", open_slip=True)

    # A single on it at the new price, 10.00 EUR.
    site.stake(page, f"single:{arsenal.line}:{HOME}").fill("10.00")
    expect(page.locator("#slip-return")).to_have_text("24.00 EUR")
    slip.get_by_role("button", name="Place bet").click()
    expect(page.locator("#slip-bulletin .accepted")).to_contain_text("placed, stake 10.00 EUR")
    player.shot("site-slip-single-placed", open_slip=True)
    site.empty_slip(page)

    # A multiple across two matches: the selection made on the first match's page is still in
    # the slip on the second's.
    home.click()
    page.goto(stack.url(HOST, f"/sports/events/{liverpool.event.id}/"))
    expect(page.get_by_role("heading", name=liverpool.name)).to_be_visible()
    expect(site.in_slip(page, arsenal.line, HOME)).to_be_visible()
    site.price(page, liverpool.line, DRAW).click()
    expect(page.locator("[data-slip-count]").first).to_have_text("2")
    site.stake(page, "multiple").fill("2.00")
    expect(page.locator("#slip-return")).to_have_text("15.84 EUR")  # 2.00 x 2.40 x 3.30
    slip.get_by_role("button", name="Place bet").click()
    multiple = page.locator("#slip-bulletin .accepted")
    expect(multiple).to_contain_text("placed, stake 2.00 EUR")
    multiple_id = multiple.get_attribute("data-slip-bet-id")
    player.shot("site-slip-multiple-placed", open_slip=True)
    site.empty_slip(page)

    # A Trixie on the three matches, 1.00 a line: four lines, 4.00 EUR.
    for line, outcome in ((arsenal, HOME), (liverpool, DRAW), (leeds, AWAY)):
        page.goto(stack.url(HOST, f"/sports/events/{line.event.id}/"))
        site.price(page, line.line, outcome).click()
    expect(page.locator("[data-slip-count]").first).to_have_text("3")
    site.stake(page, "trixie").fill("1.00")
    expect(page.locator("#slip-total")).to_have_text("4.00 EUR")
    # 2.40x3.30 + 2.40x3.60 + 3.30x3.60 + 2.40x3.30x3.60 (28.512, rounded down per line)
    expect(page.locator("#slip-return")).to_have_text("56.95 EUR")
    player.shot("site-slip-trixie", open_slip=True)
    slip.get_by_role("button", name="Place bet").click()
    expect(page.locator("#slip-bulletin .accepted")).to_contain_text("placed, stake 4.00 EUR")
    site.empty_slip(page)

    # The wallet page is open when the first match is settled: Arsenal won, so the single
    # (10.00 at 2.40) pays 24.00 and the balance moves from 84.00 without a reload.
    with stack.new_player_socket():
        page.goto(stack.url(HOST, "/account/wallet/"))
    expect(page.locator('[data-balance="available"]')).to_have_text("84.00")
    book.settle(arsenal.event, HOME)
    expect(page.locator('[data-balance="available"]')).to_have_text("108.00", timeout=30_000)
    expect(page.locator("#wallet-activity")).to_be_visible()
    player.shot("site-wallet-settled")

    # My bets: the multiple, its first leg won, shows a cash-out offer; the player takes 1.00
    # EUR of it and the rest of the bet runs on.
    page.goto(stack.url(HOST, "/account/bets/"))
    card = page.locator(f'[data-bet="{multiple_id}"]')
    expect(card).to_contain_text("Arsenal v Chelsea")
    expect(card).to_contain_text("Liverpool v Everton")
    offer = site.amount_in(card.locator('[data-role="offer"]').inner_text())
    assert Decimal("1.00") < offer < Decimal("15.84")
    expect(card.get_by_role("button", name=site.re_cash_out())).to_contain_text(
        f"{site.money(offer)} EUR"
    )
    player.shot("site-my-bets-open")
    card.get_by_label(site.re_cash_out_part()).fill("1.00")
    card.get_by_role("button", name="Cash out this amount").click()
    expect(page.locator("main")).to_contain_text(
        "Cashed out for 1.00 EUR. The rest of the bet runs on."
    )
    card = page.locator(f'[data-bet="{multiple_id}"]')
    expect(card).to_contain_text("partly cashed out")
    expect(card.get_by_role("button", name="Cash out this amount")).to_be_visible()
    player.shot("site-my-bets-part-cashed-out")
    page.goto(stack.url(HOST, "/account/wallet/"))
    expect(page.locator('[data-balance="available"]')).to_have_text("109.00")

    # The player goes on: a selection and a stake in the slip on the third match's page, left
    # open while an operator looks at the partly cashed-out bet.
    with stack.new_player_socket():
        page.goto(stack.url(HOST, f"/sports/events/{leeds.event.id}/"))
    site.price(page, leeds.line, HOME).click()
    site.stake(page, f"single:{leeds.line}:{HOME}").fill("1.00")
    expect(page.locator("#slip-return")).to_have_text("2.10 EUR")
    bets_before = site.bets_of(alpha, "nina")

    # The operator finds the bet by its id in the backoffice's bet search and opens it: still
    # open, with its cash-out.
    office.goto(stack.url(HOST, "/admin/bets/bet/"))
    office.get_by_label("Bet id").fill(multiple_id)
    office.get_by_role("button", name="Search").click()
    found = office.locator(f'#bet-results tr[data-bet="{multiple_id}"]')
    expect(found).to_contain_text("nina")
    expect(office.locator("#bet-results tbody tr")).to_have_count(1)
    operator.shot("backoffice-bet-search")
    found.get_by_role("link", name=multiple_id).click()
    expect(office.locator("#bet-status")).to_have_text("open")
    expect(office.locator("#content-main")).to_contain_text("1.00 EUR")
    expect(office.locator("#content-main")).to_contain_text("Arsenal v Chelsea")
    expect(office.locator("#content-main")).to_contain_text("Liverpool v Everton")
    operator.shot("backoffice-bet")

    # From the bet to its player, and the player is blocked, with a reason.
    office.get_by_role("link", name="nina").first.click()
    expect(office.locator("#player-status")).to_have_text("active")
    operator.shot("backoffice-player")
    block = office.locator("#player-block")
    block.get_by_label("Reason").fill("suspected account sharing")
    block.get_by_role("button", name="Block the player").click()
    expect(office.locator("#player-status")).to_have_text("blocked")

    # The player's open page stops taking bets at once: the slip says so without a reload,
    # pressing Place bet sends nothing, and no bet is made.
    expect(page.locator("#slip-status")).to_have_text("This account takes no bets now.")
    slip.get_by_role("button", name="Place bet").click()
    expect(page.locator("#slip-status")).to_have_text("This account takes no bets now.")
    player.shot("site-slip-blocked", open_slip=True)
    assert site.bets_of(alpha, "nina") == bets_before
    # Their session has ended: the next page is a visitor's.
    page.reload()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
