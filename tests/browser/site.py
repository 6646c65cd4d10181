"""What a person does on the pages, in the words of the pages: the player's site and the
backoffice. Locators follow the site's markup contract (price buttons, the slip) and fall back
to the older event-page markup where a page has not moved to it yet."""

from __future__ import annotations

import re
from decimal import Decimal

from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tests.browser.harness import Stack
from tests.test_backoffice import STAFF_PASSWORD, enrol_totp, totp_code

PASSWORD = "a long passphrase 42"
ODDS = re.compile(r"\d+\.\d{2}")


def register(page, stack: Stack, host: str, username: str) -> None:
    """A visitor opens the brand's site and opens an account through the registration form."""
    page.goto(stack.url(host, "/"))
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()


def price(page, line: int, outcome: str):
    """The clickable price of ``outcome`` on market line ``line``."""
    return page.locator(
        f'.price[data-market="{line}"][data-outcome="{outcome}"], [data-outcome="{line}:{outcome}"]'
    ).first


def odds_of(page, line: int, outcome: str) -> str:
    found = ODDS.search(price(page, line, outcome).inner_text())
    return found.group(0) if found else ""


def money(value: Decimal | str) -> str:
    """A EUR amount as pages write it: two decimals."""
    return f"{Decimal(value):.2f}"


# -- staff ---------------------------------------------------------------------------------------


def staff_member(schema: str, username: str, *, superuser: bool = True) -> None:
    with schema_context(schema):
        if superuser:
            User.objects.create_superuser(username, f"{username}@example.com", STAFF_PASSWORD)
        else:
            User.objects.create_user(username, f"{username}@example.com", STAFF_PASSWORD)
    enrol_totp(schema, username)


def staff_sign_in(page, stack: Stack, host: str, schema: str, username: str) -> None:
    """The backoffice's login: password and the current code of the staff member's TOTP app."""
    with schema_context(schema):
        TOTPDevice.objects.filter(user__username=username).update(last_t=-1)  # a code per login
    page.goto(stack.url(host, "/admin/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.locator('input[name="otp_token"]').fill(str(totp_code(schema, username)))
    page.locator('input[type="submit"], button[type="submit"]').first.click()
    page.wait_for_load_state()


def re_stake():
    """The slip's stake field's label ("Stake", "Stake per line (EUR)")."""
    return re.compile(r"^Stake")


def re_cash_out():
    """My bets' button that cashes out a whole bet ("Cash out all for 4.75 EUR"; the one beside
    it cashes out the amount typed)."""
    return re.compile(r"^Cash out all")


def amount_in(text: str) -> Decimal:
    """The first amount written in ``text`` ("Cash out 4.75 EUR" -> 4.75)."""
    found = re.search(r"\d+(?:\.\d+)?", text.replace(",", ""))
    assert found, text
    return Decimal(found.group(0))


# -- the bet slip (its hooks: docs/site.md, "Bet slip") ---------------------------------------


def in_slip(page, line: int, outcome: str):
    return page.locator(f'[data-slip-selection="{line}:{outcome}"]')


def slip_odds(page, line: int, outcome: str):
    return page.locator(f'[data-slip-odds="{line}:{outcome}"]')


def stake(page, bet: str):
    """The slip's stake field of ``bet`` ("single:<line>:<outcome>", "multiple", "trixie")."""
    return page.locator(f'[data-slip-stake="{bet}"]')


def empty_slip(page) -> None:
    """Remove all: the slip holds nothing."""
    remove = page.locator("#slip").get_by_role("button", name="Remove all")
    if remove.is_visible():
        remove.click()
    expect(page.locator("[data-slip-count]").first).to_have_text("0")


def re_class(name: str):
    return re.compile(rf"(^|\s){name}(\s|$)")


def bets_of(brand, login_name: str) -> int:
    """How many bets the brand's player has, on their shard."""
    from apps.bets.models import Bet
    from apps.players.models import DirectoryEntry
    from shards import map as shard_map

    entry = DirectoryEntry.objects.get(brand_id=brand.id, login_name=login_name)
    using = shard_map.alias_for(entry.player_id)
    return Bet.objects.using(using).filter(player_id=entry.player_id).count()


def re_cash_out_part():
    """My bets' field for the amount of a partial cash-out ("Cash out part of it (EUR)")."""
    return re.compile(r"^Cash out part")
