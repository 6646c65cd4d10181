"""My bets in a real browser against the real stack: legs named as the brand's pages name them,
the cash-out offer following the odds without a reload, part of a bet cashed out with an amount
typed in euros, and the rest settled while the page is open."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.bets.placement import bet_place
from apps.players.models import DirectoryEntry
from apps.wallet import api as wallet
from tests.bets_helpers import slip
from tests.browser import book as book_module
from tests.browser import site
from tests.browser.book import AWAY, DRAW, HOME, Book

HOST = "alpha.localhost"


@pytest.fixture
def book(stack, monkeypatch):
    # Matches of this test's own: the journeys settle theirs, and the stack's data is shared.
    monkeypatch.setattr(
        book_module,
        "FIXTURES",
        [
            ("sr:match:92001", "Arsenal", "Chelsea"),
            ("sr:match:92002", "Liverpool", "Everton"),
            ("sr:match:92003", "Leeds", "Fulham"),
        ],
    )
    opened = Book()
    yield opened
    opened.close()


def test_my_bets_follows_the_offer_cashes_out_part_and_shows_the_settlement(
    people, stack, book, alpha
):
    arsenal, liverpool, _leeds = book.lines
    player = people("player")
    page = player.page
    site.register(page, stack, HOST, "mona")
    player_id = DirectoryEntry.objects.get(brand_id=alpha.id, login_name="mona").player_id
    wallet.wallet_credit(
        brand_id=alpha.id,
        player_id=player_id,
        currency=alpha.currency,
        amount=5_000,
        product="payments",
        idempotency_key=f"fund:{player_id}",
    )
    placed = {
        name: bet_place(
            brand_id=alpha.id,
            player_id=player_id,
            currency=alpha.currency,
            slip=slip(name, [(match.line, HOME, "2.10")], stake=1_000),
        ).bet
        for name, match in (("arsenal", arsenal), ("liverpool", liverpool))
    }

    with stack.new_player_socket():
        page.goto(stack.url(HOST, "/account/bets/"))
    card = page.locator(f'[data-bet="{placed["arsenal"].id}"]')
    expect(card).to_contain_text("Arsenal @ 2.10 · 1x2 · Arsenal v Chelsea")
    expect(card.locator('[data-role="offer-line"]')).to_contain_text("9.50 EUR")  # less 5%

    # The home win gets likelier: the offer on the open page follows (10.00 x 2.10 / 1.50 = 14.00,
    # less 5% = 13.30).
    book.odds(arsenal.event, {HOME: "1.50", DRAW: "3.80", AWAY: "5.00"})
    expect(card.locator('[data-role="offer-line"]')).to_contain_text("13.30 EUR", timeout=20_000)
    expect(card.get_by_role("button", name=site.re_cash_out())).to_contain_text("13.30")

    # 3.30 of it cashed out; a quarter of the stake is retired (ceil(10.00 x 3.30 / 13.30) =
    # 2.49), 7.51 runs on.
    card.get_by_label("Cash out part of it (EUR)").fill("3.30")
    with stack.new_player_socket():
        card.get_by_role("button", name="Cash out this amount").click()
    expect(page.locator("main")).to_contain_text(
        "Cashed out for 3.30 EUR. The rest of the bet runs on."
    )
    card = page.locator(f'[data-bet="{placed["arsenal"].id}"]')
    expect(card).to_contain_text("Accepted, partly cashed out")
    expect(card).to_contain_text("Stake 7.51 EUR")
    player.shot("site-my-bets-partial")

    # The match is settled while the page is open: the card says so without a reload.
    book.settle(arsenal.event, HOME)
    expect(card.locator('[data-role="status"]')).to_contain_text(
        "Settled: returned 15.77 EUR", timeout=30_000
    )
    expect(card).to_contain_text("How the return is worked out: the lines returned 15.77 EUR")
    expect(page.locator(f'[data-bet="{placed["liverpool"].id}"]')).to_contain_text("Accepted")
    player.shot("site-my-bets-settled")
