"""Money as people type and read it: in the currency's major unit, with the currency's own
number of decimals (none for JPY, three for KWD), turned into exact minor units. End to end on a
zero-decimal and a three-decimal brand: the bet slip's conversion (the page's own JavaScript, run
by Node.js on the exponent the page gives it), the API's stake, the pages that show it, and the
backoffice's adjustment form."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from apps.bets.models import Bet
from apps.brands.selectors import BrandRef
from apps.brands.services import brand_create
from apps.catalog.models import Market
from apps.players.models import DirectoryEntry
from apps.wallet import api as wallet
from betting import currencies
from shards import map as shard_map
from tests.bets_helpers import M, line, open_book
from tests.test_backoffice import staff_client
from tests.test_players import register_on_site
from tests.wallet_helpers import history_counts

NODE = shutil.which("node")


# -- parsing what a person typed ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("12.34", "EUR", 1234),
        ("12.3", "EUR", 1230),
        ("12", "EUR", 1200),
        (" 0.01 ", "EUR", 1),
        ("1000", "JPY", 1000),
        ("1.234", "KWD", 1234),
        ("1.5", "KWD", 1500),
        ("0.001", "BHD", 1),
        ("999999999999", "EUR", 99999999999900),
    ],
)
def test_a_typed_amount_is_exact_minor_units(typed, currency, minor):
    assert currencies.parse_amount(typed, currency) == minor


@pytest.mark.parametrize(
    ("typed", "currency", "code"),
    [
        ("1.5", "JPY", "too_many_decimals"),
        ("1.2345", "KWD", "too_many_decimals"),
        ("0.001", "EUR", "too_many_decimals"),
        ("-1", "EUR", "invalid_amount"),
        ("+1", "EUR", "invalid_amount"),
        ("1e3", "EUR", "invalid_amount"),
        ("1E3", "JPY", "invalid_amount"),
        ("1,000", "JPY", "invalid_amount"),
        ("1,50", "EUR", "invalid_amount"),
        ("\u0661\u0660", "JPY", "invalid_amount"),  # Arabic-Indic digits
        ("²", "JPY", "invalid_amount"),
        ("", "EUR", "invalid_amount"),
        (".5", "EUR", "invalid_amount"),
        ("NaN", "EUR", "invalid_amount"),
        ("Infinity", "EUR", "invalid_amount"),
    ],
)
def test_a_typed_amount_that_is_not_money_in_the_currency_is_refused(typed, currency, code):
    with pytest.raises(currencies.AmountInvalid) as refused:
        currencies.parse_amount(typed, currency)
    assert refused.value.code == code


# -- end to end on a JPY and a KWD brand -------------------------------------------------------


@pytest.fixture
def money_brands(clean):
    made = {}
    for slug, currency in (("yen", "JPY"), ("dinar", "KWD")):
        brand = brand_create(
            slug=slug, name=f"{currency} Bets", domains=[f"{slug}.localhost"], currency=currency
        )
        made[currency] = BrandRef.of(brand)
    with open_book():
        yield made


SLIP_JS = Path(__file__).resolve().parent.parent / "apps/bets/static/bets/slip.js"


def _slip_script(page: str) -> str:
    """The bet slip's script the page loads (a static file), as Node.js runs it."""
    assert "/static/bets/slip.js" in page, "the page does not load the bet slip's script"
    return SLIP_JS.read_text()


def _slip_config(page: str) -> dict:
    match = re.search(
        r'<script id="slip-config" type="application/json">(.*?)</script>', page, re.S
    )
    assert match, "the page has no bet slip settings"
    return json.loads(match.group(1))


def _run_js(script: str, calls: list[str]) -> list:
    """The values of ``calls`` (JavaScript expressions) after ``script``, run by Node.js."""
    program = script + "\nconsole.log(JSON.stringify([" + ", ".join(calls) + "]));\n"
    done = subprocess.run(
        [NODE, "-e", program], capture_output=True, text=True, timeout=30, check=True
    )
    return json.loads(done.stdout)


@pytest.mark.skipif(NODE is None, reason="the bet slip's script is run by Node.js")
@pytest.mark.parametrize(
    ("currency", "typed", "minor", "shown", "refused"),
    [
        ("JPY", "1000", 1000, "1000", ["1.5", "1,000", "1e3", "-5", "\u0661"]),
        ("KWD", "1.234", 1234, "1.234", ["1.2345", "1,234", "0x10", ""]),
    ],
)
def test_the_bet_slip_stakes_what_the_player_typed_in_the_brands_currency(
    money_brands, currency, typed, minor, shown, refused
):
    brand = money_brands[currency]
    client = Client(HTTP_HOST=f"{brand.slug}.localhost")
    assert register_on_site(client, f"punter{currency.lower()}").status_code == 302
    player_id = DirectoryEntry.objects.get(brand_id=brand.id).player_id
    wallet.wallet_credit(
        brand_id=brand.id,
        player_id=player_id,
        currency=currency,
        amount=100_000,
        product="payments",
        idempotency_key="fund",
    )
    event_id = Market.objects.get(pk=line(M)).event_id
    page = client.get(f"/sports/events/{event_id}/").content.decode()

    # The page gives the slip its currency's exponent; the slip's own script converts with it.
    config = _slip_config(page)
    exponent = currencies.exponent(currency)
    assert (config["currency"], config["exponent"]) == (currency, exponent)
    assert config["step"] == currencies.step(currency)
    script = _slip_script(page)
    assert "100" not in script  # no cents hidden in a constant
    answers = _run_js(
        script,
        [f"BetSlip.slipMinor({json.dumps(typed)}, {config['exponent']})"]
        + [f"BetSlip.slipMinor({json.dumps(bad)}, {config['exponent']})" for bad in refused]
        + [f"BetSlip.slipMajor({minor}, {config['exponent']})"],
    )
    assert answers[0] == minor
    assert answers[1:-1] == [None] * len(refused)
    assert answers[-1] == shown

    # What the slip posts (its body, the stake converted by its script) is the bet placed.
    body = {
        "idempotency_key": "typed",
        "kind": "single",
        "stake": answers[0],
        "odds_policy": "none",
        "legs": [{"market": line(M), "outcome": "1", "odds": "2.10"}],
    }
    answer = client.post("/api/v1/bets", json.dumps(body), content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["stake"] == minor
    bet = Bet.objects.using(shard_map.alias_for(player_id)).get()
    assert (bet.stake, bet.currency) == (minor, currency)
    cash = wallet.wallet_balance(brand_id=brand.id, player_id=player_id, currency=currency).cash
    assert cash == 100_000 - minor

    # And the pages show it in the currency's major unit.
    mine = client.get("/account/bets/").content.decode()
    assert f"Stake {shown} {currency}" in mine
    payout = currencies.money(minor * 21 // 10, currency)
    assert f"potential payout {payout} {currency}" in mine
    balance = client.get("/account/wallet/").content.decode()
    assert f'data-balance="cash">{currencies.money(100_000 - minor, currency)}<' in balance


def test_a_staff_adjustment_is_typed_in_the_currencys_major_unit(money_brands):
    from tests.test_wallet_backoffice import adjust, adjust_url, form_key
    from tests.wallet_helpers import new_player

    for currency, typed, minor, too_fine in (
        ("JPY", "1000", 1000, "1000.5"),
        ("KWD", "1.5", 1500, "1.2345"),
    ):
        brand = money_brands[currency]
        player = new_player(brand)
        staff = staff_client(f"{brand.slug}.localhost", brand.schema_name)
        form = staff.get(adjust_url(player)).content.decode()
        assert f'data-exponent="{currencies.exponent(currency)}"' in form
        before = history_counts()
        refused = adjust(staff, player, form_key(staff, player), amount=too_fine)
        assert refused.status_code == 400
        assert "decimal places" in refused.content.decode()
        assert history_counts() == before
        done = adjust(staff, player, form_key(staff, player), amount=typed)
        assert done.status_code == 302, done.content.decode()[:800]
        balance = wallet.wallet_balance(brand_id=brand.id, player_id=player.id, currency=currency)
        assert balance.cash == minor
        ledger = staff.get(adjust_url(player).removesuffix("adjust/")).content.decode()
        assert f"{currencies.money(minor, currency)} {currency}" in ledger


def test_the_risk_view_shows_minor_units_and_never_divides_by_a_hundred(clean):
    from apps.bets.models import Liability

    Liability.objects.create(
        market=1, event_id=1, market_id=1, outcome_id="1", stakes=1000, liability=2100, bets=1
    )
    staff = staff_client("localhost", "public")
    page = staff.get("/admin/bets/liability/").content.decode()
    assert "Liability (minor units)" in page
    assert ">2,100<" in page and ">1,000<" in page
    assert "21.00" not in page and "10.00" not in page
