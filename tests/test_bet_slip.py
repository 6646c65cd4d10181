"""The bet slip on every page of a brand's site: its settings, its price buttons, and its
script's arithmetic and parsing, run by Node.js against the server's own Python (the potential
return of every shape the slip offers, on many random slips, to the minor unit)."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from apps.bets import arithmetic
from apps.catalog.models import Market
from betting import currencies
from tests.bets_helpers import M, line, open_book
from tests.test_players import register_on_site

NODE = shutil.which("node")
SLIP_JS = Path(__file__).resolve().parent.parent / "apps/bets/static/bets/slip.js"
needs_node = pytest.mark.skipif(NODE is None, reason="the slip's script is run by Node.js")


def run_slip(calls: list[str]) -> list:
    """The values of ``calls`` (JavaScript expressions over ``BetSlip``) after the slip's own
    script, run by Node.js (BigInts answered as strings)."""
    program = (
        SLIP_JS.read_text()
        + "\nconst out = ["
        + ", ".join(calls)
        + "];\nconsole.log(JSON.stringify(out, (k, v) => typeof v === 'bigint' ? String(v) : v));\n"
    )
    done = subprocess.run(
        [NODE, "-"], input=program, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout)


def _config(page: str) -> dict:
    match = re.search(
        r'<script id="slip-config" type="application/json">(.*?)</script>', page, re.S
    )
    assert match, "no bet slip on the page"
    return json.loads(match.group(1))


# -- the arithmetic, against apps/bets/arithmetic.py ---------------------------------------------


def _random_odds(rng: random.Random) -> str:
    places = rng.choice([0, 1, 2, 2, 2, 3, 3])
    whole = rng.choice([1, 1, 2, 3, 5, 12, 101])
    fraction = rng.randrange(10**places) if places else 0
    if whole == 1 and fraction == 0:
        fraction = 1 if places else 0
        whole = whole if places else 2
    return f"{whole}.{fraction:0{places}d}" if places else str(whole)


@needs_node
def test_the_slips_potential_return_is_the_servers_on_random_slips():
    rng = random.Random(12)
    cases = []
    for _ in range(600):
        n = rng.choice([1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10])
        odds = [_random_odds(rng) for _ in range(n)]
        stake = rng.choice([1, 7, 100, 250, 999, 12_345, rng.randrange(1, 10**9), 10**12])
        cases.append((n, odds, stake))
    calls = [
        f"BetSlip.betsOffered({n}).map((b) => [b.kind, b.system, b.lines, "
        f"BetSlip.potentialReturn(b.kind === 'system' ? b.system : b.kind, {stake}, "
        f"{json.dumps(odds)})])"
        for n, odds, stake in cases
    ]
    answers = run_slip(calls)
    compared = 0
    for (n, odds, stake), offered in zip(cases, answers, strict=True):
        assert offered, f"no bet offered for {n} selections"
        for kind, system, lines, potential in offered:
            name = system if kind == "system" else kind
            if kind == "single":  # one single per selection, each on its own leg
                legs = [odds[0]]
                expected_lines = 1
                js = potential if n == 1 else None
            else:
                legs = odds
                expected_lines = arithmetic.line_count(name, n)
                js = potential
            assert lines == expected_lines, (name, n)
            if js is None:
                continue
            bet = arithmetic.Bet(
                system=name,
                unit_stake=stake,
                legs=tuple(arithmetic.Leg(odds=Decimal(o)) for o in legs),
            )
            assert int(js) == arithmetic.potential_payout(bet), (name, odds, stake)
            compared += 1
    assert compared > 2_000


@needs_node
def test_the_slip_offers_every_shape_the_server_takes_and_no_other():
    answers = run_slip([f"BetSlip.betsOffered({n}).map((b) => b.id)" for n in range(1, 11)])
    for n, ids in enumerate(answers, start=1):
        shapes = [i for i in ids if i != "singles"]
        assert ids[0] == "singles"
        assert ("multiple" in shapes) == (n >= 2)
        folds = [s for s in shapes if s in ("doubles", "trebles") or s.endswith("_folds")]
        assert len(folds) == max(n - 2, 0)  # 2-folds to (n-1)-folds
        named = {s for s in shapes if s not in folds and s != "multiple"}
        assert named == {name for name, shape in arithmetic._NAMED.items() if shape.legs == n}
        for shape in shapes:  # every one a shape the server takes over n legs
            assert arithmetic.line_count(shape, n) >= 1


@needs_node
def test_a_stake_per_bet_splits_into_equal_lines_or_is_refused():
    answers = run_slip(
        [
            "BetSlip.unitStake(4400, 11, true)",
            "BetSlip.unitStake(4401, 11, true)",
            "BetSlip.unitStake(4401, 11, false)",
        ]
    )
    assert answers == [400, None, 4401]


# -- parsing what the player typed and what the server answered -----------------------------------


@needs_node
def test_the_slips_money_parsing_is_the_servers_on_random_input():
    rng = random.Random(7)
    alphabet = "0123456789.,-+ e\u0661²"
    typed = ["12.34", "0.01", "1000", "1.234", ".5", "5.", "", " 7 ", "1e3", "0x10"]
    typed += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 8))) for _ in range(300)]
    typed += [str(rng.randrange(10**9)) + "." + str(rng.randrange(10**4)) for _ in range(100)]
    for currency in ("JPY", "EUR", "KWD"):
        exponent = currencies.exponent(currency)
        answers = run_slip([f"BetSlip.slipMinor({json.dumps(t)}, {exponent})" for t in typed])
        for text, js in zip(typed, answers, strict=True):
            try:
                server = currencies.parse_amount(text, currency)
            except currencies.AmountInvalid:
                server = None
            assert js == server, (text, currency)
        amounts = [0, 1, 9, 10, 1234, 10**12 + 5]
        shown = run_slip([f"BetSlip.slipMajor({a}, {exponent})" for a in amounts])
        assert shown == [currencies.money(a, currency) for a in amounts]


@needs_node
def test_odds_are_compared_exactly_and_refusals_are_put_in_words():
    answers = run_slip(
        [
            "BetSlip.oddsCompare('2.10', '2.1')",
            "BetSlip.oddsCompare('2.10', '2.64')",
            "BetSlip.oddsCompare('2.64', '2.639')",
            "BetSlip.oddsParts('0.99')",
            "BetSlip.oddsParts('2,10')",
            "BetSlip.refusalText('odds_changed', {leg: 0, odds: '2.64'}, 'EUR')",
            "BetSlip.refusalText('stake_too_high', {max_stake: 4000, limit: '40.00', "
            "currency: 'EUR'}, 'EUR')",
            "BetSlip.refusalText('stake_too_low', {limit: '1.00'}, 'GBP')",
            "BetSlip.refusalText('wager_limit', {left: 500, limit: '5.00', currency: 'EUR'})",
            "BetSlip.refusalText('market_suspended', {leg: 1})",
            "BetSlip.refusalText('something_new', {})",
            # Both error shapes: details (the API's) and the older leg/detail.
            "BetSlip.apiError({error: {code: 'odds_changed', message: 'm', "
            "details: {leg: 1, odds: '3.3'}}})",
            "BetSlip.apiError({error: {code: 'odds_changed', leg: 2, detail: {odds: '3.3'}}})",
        ]
    )
    assert answers[:5] == [0, 1, -1, None, None]
    assert answers[5] == "The odds changed: now 2.64."
    assert answers[6] == "The stake is above the maximum (maximum 40.00 EUR)."
    assert answers[7] == "The stake is below the minimum (minimum 1.00 GBP)."
    assert answers[8] == "This stake is over your wager limit (left 5.00 EUR)."
    assert answers[9] == "This market is suspended."
    assert answers[10] == "Not accepted (something_new)."
    assert answers[11]["details"] == {"leg": 1, "odds": "3.3"}
    assert answers[12]["code"] == "odds_changed"
    assert answers[12]["details"] == {"leg": 2, "odds": "3.3"}


@needs_node
def test_every_refusal_a_player_can_meet_has_words():
    codes = re.findall(r"^\| `([a-z_]+)`", (SLIP_JS.parents[4] / "docs/bets.md").read_text(), re.M)
    codes += ["market_suspended", "market_settled", "producer_down", "event_closed"]
    codes += ["not_offered", "outcome_inactive", "loss_limit", "expired"]
    assert len(codes) > 15
    known = run_slip(["Object.keys(BetSlip.REASONS)"])[0]
    assert set(codes) <= set(known)


# -- on every page --------------------------------------------------------------------------------


@pytest.fixture
def book(clean):
    with open_book() as feed:
        yield feed


def _slip_on(page: str) -> None:
    assert '<aside id="slip"' in page
    assert "data-slip-place>Place bet</button>" in page
    assert 'id="slip-notices"' in page
    assert re.search(r'<script src="/static/bets/slip\.js" nonce="[^"]+" defer>', page)
    assert '<link rel="stylesheet" href="/static/bets/slip.css">' in page


def test_the_slip_is_on_every_page_of_a_brands_site(book, alpha, beta):
    event_id = Market.objects.get(pk=line(M)).event_id
    visitor = Client(HTTP_HOST="alpha.localhost")
    for path in ("/", "/sports/", f"/sports/events/{event_id}/", "/account/login/"):
        answer = visitor.get(path)
        assert answer.status_code == 200, path
        page = answer.content.decode()
        _slip_on(page)
        assert _config(page) == {
            "brand": alpha.slug,
            "currency": "EUR",
            "exponent": 2,
            "step": "0.01",
            "loggedIn": False,
            "loginUrl": "/account/login/",
            "liveOddsPort": _config(page)["liveOddsPort"],
        }

    player = Client(HTTP_HOST="beta.localhost")
    assert register_on_site(player, "slipper").status_code == 302
    for path in ("/", "/sports/", "/account/bets/", "/account/wallet/", "/account/profile/"):
        answer = player.get(path)
        assert answer.status_code == 200, path
        page = answer.content.decode()
        _slip_on(page)
        config = _config(page)
        assert (config["brand"], config["currency"], config["loggedIn"]) == (
            beta.slug,
            "GBP",
            True,
        )


def test_the_platforms_own_domain_has_no_slip(clean):
    page = Client(HTTP_HOST="localhost").get("/").content.decode()
    assert 'id="slip"' not in page and "slip.js" not in page


def test_the_slips_files_are_served(clean):
    visitor = Client(HTTP_HOST="alpha.localhost")
    for name in ("slip.js", "slip.css"):
        answer = visitor.get(f"/static/bets/{name}")
        assert answer.status_code == 200, name
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        assert body == (SLIP_JS.parent / name).read_bytes()


def test_the_event_pages_prices_are_the_slips_buttons(book, alpha):
    event_id = Market.objects.get(pk=line(M)).event_id
    page = Client(HTTP_HOST="alpha.localhost").get(f"/sports/events/{event_id}/").content.decode()
    buttons = re.findall(r'<button type="button" class="price"(.*?)>([^<]*)</button>', page, re.S)
    assert buttons
    found = {}
    for attributes, text in buttons:
        data = dict(re.findall(r'data-([\w-]+)="([^"]*)"', attributes))
        assert set(data) >= {
            "event",
            "market",
            "outcome",
            "odds",
            "event-name",
            "market-name",
            "outcome-name",
            "live",
            "status",
        }
        assert data["event"] == str(event_id) and data["odds"] == text.strip()
        found[(int(data["market"]), data["outcome"])] = data
    home = found[(line(M), "1")]
    assert (home["odds"], home["status"], home["live"]) == ("2.10", "active", "0")
    assert " v " in home["event-name"] and home["market-name"] and home["outcome-name"]
