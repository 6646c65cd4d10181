"""My bets and the wallet as a player reads them: names, results and the settlement's arithmetic,
statuses in words, open/settled lists by page, cash-out (whole and part) from the page with its
refusals, the held amount, the history in words with links to bets, who may see what, and the
queries each page costs."""

from __future__ import annotations

import re
from contextlib import ExitStack
from html import unescape

import pytest
from django.db import connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from apps.bets import bet_settings
from apps.bets import live as live_bets
from apps.bets.models import Bet, BetSettings, CashOut
from apps.bets.placement import bet_place
from apps.catalog.models import Event
from apps.wallet import api as wallet
from betting import ttl_cache
from shards import map as shard_map
from tests.bets_helpers import LIVE, M2, ONE_X_TWO, M, line, open_book, slip
from tests.feed_helpers import market, odds_change, replicate
from tests.test_bets_settlement import HOME_WINS, _settle
from tests.test_wallet_player import logged_in
from tests.wallet_helpers import books_balance, new_player


@pytest.fixture
def book(clean):
    with open_book() as feed:
        Event.objects.filter(urn=M).update(home_name="Arsenal", away_name="Chelsea")
        Event.objects.filter(urn=M2).update(home_name="Leeds", away_name="Everton")
        yield feed


def _place(brand, player, key, legs, **kw):
    return bet_place(
        brand_id=brand.id,
        player_id=player.id,
        currency=brand.currency,
        slip=slip(key, legs, **kw),
    ).bet


def _cash(player, brand):
    return wallet.wallet_balance(
        brand_id=brand.id, player_id=player.id, currency=brand.currency
    ).cash


def _text(response) -> str:
    """The page's text without tags and with spaces squeezed: what a player reads (with "x" for
    the multiplication sign, which the sums are written with)."""
    html = response.content.decode()
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).replace("\u00d7", "x").split())


def _bet_row(player, bet_id):
    return Bet.objects.using(shard_map.alias_for(player.id)).get(pk=bet_id)


def _cash_outs(player):
    return CashOut.objects.using(shard_map.alias_for(player.id)).count()


# -- names, results, arithmetic, statuses ------------------------------------------------------


def test_my_bets_names_events_markets_and_outcomes_as_the_brands_pages_do(book, alpha):
    player = new_player(alpha, funds=10_000)
    _place(alpha, player, "total", [(line(M, 18, "total=2.5"), "12", "1.90")])
    _place(
        alpha,
        player,
        "double",
        [(line(M), "1", "2.10"), (line(M2), "2", "3.30")],
        kind="multiple",
    )
    page = _text(logged_in(alpha, player).get("/account/bets/"))
    assert "Double" in page and "Single" in page
    assert "Arsenal @ 2.10 · 1x2 · Arsenal v Chelsea" in page
    assert "draw @ 3.30 · 1x2 · Leeds v Everton" in page
    assert "over 2.5 @ 1.90 · Total 2.5 · Arsenal v Chelsea" in page
    assert "market 1" not in page and "outcome" not in page.lower().replace("outcomes", "")
    assert page.count("Accepted") == 2
    assert "if every leg wins: 69.30 EUR" in page  # 10.00 x 2.10 x 3.30
    assert "10.00 x 2.10 x 3.30 = 69.30" in page


def test_results_and_the_settlements_arithmetic_are_shown_leg_by_leg(book, alpha):
    player = new_player(alpha, funds=10_000)
    heat = _place(alpha, player, "heat", [(line(M), "1", "2.10")])
    half = _place(alpha, player, "half", [(line(M, 18, "total=2.5"), "12", "1.90")])
    void = _place(
        alpha, player, "void", [(line(M), "1", "2.10"), (line(M2), "1", "2.10")], kind="multiple"
    )
    book.process(
        [
            _settle(M, 5000, {"1": (1, ' dead_heat_factor="0.5"'), "2": (0, ""), "3": (0, "")}),
            _settle(
                M,
                5001,
                {"12": (1, ' void_factor="0.5"'), "13": (0, ' void_factor="0.5"')},
                market_id=18,
                specifiers="total=2.5",
            ),
            _settle(M2, 5002, {o: (0, ' void_factor="1"') for o in ("1", "2", "3")}),
        ]
    )
    replicate()
    assert _bet_row(player, heat.id).payout == 1_050
    assert _bet_row(player, half.id).payout == 1_450
    assert _bet_row(player, void.id).payout == 1_050  # 10.00 x (0.5 x 2.10) x 1
    client = logged_in(alpha, player)
    page = _text(client.get("/account/bets/?list=settled"))
    assert "dead heat: the winnings are shared (dead-heat factor 0.5)" in page
    assert "return per unit staked: 0.5 x 2.10 = 1.05" in page
    assert "10.00 x 1.05 = 10.50" in page and "Settled: returned 10.50 EUR" in page
    assert "half won: half the stake void (void factor 0.5)" in page
    assert "0.5 + 0.5 x 1.90 = 1.45" in page and "10.00 x 1.45 = 14.50" in page
    assert "void: stake returned on this leg (void factor 1)" in page
    assert "10.00 x 1.05 x 1 = 10.50" in page
    assert "the lines returned 10.50 EUR" in page
    assert _text(client.get("/account/bets/")).count("No open bets") == 1


def test_a_live_bet_reads_pending_then_refused_with_its_reason(book, alpha):
    book.process([odds_change(M, 3000, market(1, ONE_X_TWO), status=LIVE)])
    replicate()
    player = new_player(alpha, funds=5_000)
    bet = _place(alpha, player, "live", [(line(M), "1", "2.10")])
    client = logged_in(alpha, player)
    page = _text(client.get(f"/account/bets/{bet.id}/"))
    assert "Live bet: waiting for the in-play delay, then accepted or refused" in page
    book.process([f'<bet_stop product="1" event_id="{M}" timestamp="4000"/>'.encode()])
    replicate()
    assert live_bets.bet_live_decide(player_id=player.id, bet_id=bet.id) == "refused"
    card = _text(client.get(f"/account/bets/{bet.id}/card"))
    assert "Refused: the market was suspended. Your stake was returned" in card
    assert f"bet #{bet.id}" in _text(client.get("/account/bets/?list=settled"))


# -- lists and pages ---------------------------------------------------------------------------


def test_open_and_settled_lists_page_by_twenty(book, alpha):
    player = new_player(alpha, funds=100_000)
    bets = [_place(alpha, player, f"b{i}", [(line(M2), "1", "2.10")], stake=100) for i in range(22)]
    settled = _place(alpha, player, "s", [(line(M), "1", "2.10")], stake=100)
    book.process([_settle(M, 5000, HOME_WINS)])
    replicate()
    client = logged_in(alpha, player)
    first = client.get("/account/bets/").content.decode()
    shown = re.findall(r'<section class="bet" id="bet-(\d+)"', first)
    assert shown == [str(b.id) for b in reversed(bets)][:20]
    assert 'href="?list=open&amp;page=2" rel="next"' in first
    second = client.get("/account/bets/?list=open&page=2").content.decode()
    assert re.findall(r'<section class="bet" id="bet-(\d+)"', second) == [
        str(bets[1].id),
        str(bets[0].id),
    ]
    assert 'rel="next"' not in second and 'href="?list=open&amp;page=1" rel="prev"' in second
    finished = client.get("/account/bets/?list=settled").content.decode()
    assert re.findall(r'<section class="bet" id="bet-(\d+)"', finished) == [str(settled.id)]
    for bad in ("?page=0", "?page=x", "?page=\uff11", "?list=all", "?page=1001"):
        assert client.get(f"/account/bets/{bad}").status_code == 400


def test_the_api_lists_and_shows_bets_with_names_by_page(book, alpha):
    player = new_player(alpha, funds=10_000)
    first = _place(alpha, player, "a", [(line(M), "1", "2.10")])
    second = _place(alpha, player, "b", [(line(M2), "3", "3.60")])
    client = logged_in(alpha, player)
    answer = client.get("/api/v1/bets?status=open&limit=1").json()
    assert [b["id"] for b in answer["bets"]] == [str(second.id)]
    assert answer["next_page"] == 2 and answer["page"] == 1
    leg = answer["bets"][0]["legs"][0]
    assert (leg["event_name"], leg["market_name"], leg["outcome_name"]) == (
        "Leeds v Everton",
        "1x2",
        "Everton",
    )
    assert answer["bets"][0]["status_words"] == "Accepted"
    older = client.get("/api/v1/bets?status=open&limit=1&page=2").json()
    assert [b["id"] for b in older["bets"]] == [str(first.id)] and older["next_page"] is None
    one = client.get(f"/api/v1/bets/{first.id}").json()
    assert one["legs"][0]["outcome_name"] == "Arsenal" and one["cash_out_offer"] == 950
    for bad in ("status=all", "page=0", "limit=101", "page=x"):
        response = client.get(f"/api/v1/bets?{bad}")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_request"


# -- cash-out from the page ---------------------------------------------------------------------


def test_a_partial_then_a_full_cash_out_from_the_page(book, alpha):
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, cashout_margin_pct=0)
    player = new_player(alpha, funds=1_000)
    bet = _place(alpha, player, "c", [(line(M), "1", "2.10")])
    client = logged_in(alpha, player)
    page = client.get("/account/bets/").content.decode()
    assert 'name="offer" value="1000"' in page and "Cash out all for 10.00 EUR" in page
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    answer = client.post(
        f"/account/bets/{bet.id}/cashout", {"offer": "1000", "key": key, "amount": "4.00"}
    )
    assert answer.status_code == 302 and answer["Location"] == "/account/bets/"
    stored = _bet_row(player, bet.id)
    assert (stored.status, stored.stake) == ("open", 600)
    assert _cash(player, alpha) == 400
    page = _text(client.get("/account/bets/"))
    assert "Cashed out for 4.00 EUR. The rest of the bet runs on." in page
    assert "Accepted, partly cashed out" in page
    assert "cashed out 4.00 EUR (unit stake 10.00 → 6.00)" in page
    raw = client.get(f"/account/bets/{bet.id}/").content.decode()
    key = re.search(r'name="key" value="([^"]+)"', raw).group(1)
    answer = client.post(
        f"/account/bets/{bet.id}/cashout",
        {"offer": "600", "key": key, "whole": "1", "back": "bet"},
    )
    assert answer["Location"] == f"/account/bets/{bet.id}/"
    assert "Cashed out for 6.00 EUR." in _text(client.get(answer["Location"]))
    assert _bet_row(player, bet.id).status == "cashed_out"
    assert _cash(player, alpha) == 1_000
    books_balance()


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"offer": "1000", "amount": "12.00"}, "the amount must be more than zero and at most"),
        ({"offer": "1000", "amount": "1.234"}, "Not cashed out:"),
        ({"offer": "1000", "amount": "-1"}, "Not cashed out:"),
        ({"offer": "1000"}, "type how much to cash out, or cash out all of it"),
        ({"offer": "1000", "amount": "abc"}, "enter an amount in digits"),
        ({"offer": "x", "whole": "1"}, "the page's offer is damaged"),
        ({"offer": "1200", "whole": "1"}, "the cash-out price moved. The offer is now 10.00 EUR"),
    ],
)
def test_a_refused_cash_out_says_why_and_changes_nothing(book, alpha, form, words):
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, cashout_margin_pct=0)
    player = new_player(alpha, funds=1_000)
    bet = _place(alpha, player, "c", [(line(M), "1", "2.10")])
    client = logged_in(alpha, player)
    answer = client.post(f"/account/bets/{bet.id}/cashout", {"key": "k1", **form})
    assert answer.status_code == 302
    assert words in _text(client.get("/account/bets/"))
    assert _cash_outs(player) == 0 and _cash(player, alpha) == 0
    assert (_bet_row(player, bet.id).status, _bet_row(player, bet.id).stake) == ("open", 1_000)


def test_a_suspended_market_offers_no_cash_out_and_refuses_one(book, alpha):
    player = new_player(alpha, funds=1_000)
    bet = _place(alpha, player, "c", [(line(M), "1", "2.10")])
    book.process([f'<bet_stop product="1" event_id="{M}" timestamp="3000"/>'.encode()])
    replicate()
    client = logged_in(alpha, player)
    assert "No cash-out offer right now" in _text(client.get("/account/bets/"))
    offer = client.get(f"/api/v1/bets/{bet.id}/cashout")
    assert offer.json()["error"]["code"] == "leg_suspended"
    client.post(f"/account/bets/{bet.id}/cashout", {"key": "k", "offer": "950", "whole": "1"})
    assert "a selection's market takes no bets right now" in _text(client.get("/account/bets/"))
    assert _cash_outs(player) == 0


# -- who may see what ---------------------------------------------------------------------------


def test_another_players_bet_is_a_404_everywhere(book, alpha):
    owner, other = new_player(alpha, funds=1_000), new_player(alpha)
    bet = _place(alpha, owner, "mine", [(line(M), "1", "2.10")])
    client = logged_in(alpha, other)
    for path in (f"/account/bets/{bet.id}/", f"/account/bets/{bet.id}/card"):
        assert client.get(path).status_code == 404
    posted = client.post(
        f"/account/bets/{bet.id}/cashout", {"key": "k", "offer": "950", "whole": "1"}
    )
    assert posted.status_code == 404
    assert _cash_outs(owner) == 0 and _bet_row(owner, bet.id).status == "open"
    api = client.get(f"/api/v1/bets/{bet.id}")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/bets").json()["bets"] == []
    assert str(bet.id) not in client.get("/account/bets/").content.decode()


def test_a_visitor_is_sent_to_log_in_and_the_api_answers_401(book, alpha):
    owner = new_player(alpha, funds=1_000)
    bet = _place(alpha, owner, "mine", [(line(M), "1", "2.10")])
    visitor = Client(HTTP_HOST="alpha.localhost")
    for path in ("/account/bets/", f"/account/bets/{bet.id}/", "/account/wallet/"):
        answer = visitor.get(path)
        assert answer.status_code == 302
        assert answer["Location"].startswith("/account/login/")
    posted = visitor.post(
        f"/account/bets/{bet.id}/cashout", {"key": "k", "offer": "950", "whole": "1"}
    )
    assert posted.status_code in (302, 403) and _cash_outs(owner) == 0
    assert visitor.get(f"/account/bets/{bet.id}/card").status_code == 401
    assert visitor.get("/account/wallet/summary").status_code == 401
    for path in ("/api/v1/bets", f"/api/v1/bets/{bet.id}"):
        assert visitor.get(path).status_code == 401


def test_another_brands_host_never_shows_a_players_bets(book, alpha, beta):
    owner = new_player(alpha, funds=1_000)
    bet = _place(alpha, owner, "mine", [(line(M), "1", "2.10")])
    client = logged_in(alpha, owner)
    client.defaults["HTTP_HOST"] = "beta.localhost"  # the same browser, on the other brand
    assert client.get("/account/bets/").status_code == 302
    assert client.get(f"/account/bets/{bet.id}/").status_code == 302
    assert client.get(f"/api/v1/bets/{bet.id}").status_code == 401
    beta_player = new_player(beta)
    theirs = logged_in(beta, beta_player)
    assert theirs.get(f"/account/bets/{bet.id}/").status_code == 404
    assert theirs.get(f"/api/v1/bets/{bet.id}").status_code == 404
    platform = Client(HTTP_HOST="localhost")
    assert platform.get("/account/bets/").status_code == 404


# -- the wallet ---------------------------------------------------------------------------------


def _held(client):
    return client.get("/account/wallet/summary").json()["held"]["text"]


def test_held_for_open_bets_is_what_open_bets_hold(book, alpha):
    book.process([odds_change(M2, 3000, market(1, ONE_X_TWO), status=LIVE)])
    replicate()
    player = new_player(alpha, funds=10_000)
    client = logged_in(alpha, player)
    assert _held(client) == "0.00"
    prematch = _place(alpha, player, "pre", [(line(M), "1", "2.10")], stake=1_000)
    page = _text(client.get("/account/wallet/"))
    assert "Held for open bets 10.00 EUR" in page and "Available: 90.00 EUR" in page
    live = _place(alpha, player, "live", [(line(M2), "1", "2.10")], stake=500)
    assert live.status == "pending"  # its stake is reserved, counted once
    assert _held(client) == "15.00"
    assert live_bets.bet_live_decide(player_id=player.id, bet_id=live.id) == "open"
    assert _held(client) == "15.00"
    book.process([_settle(M, 5000, HOME_WINS)])
    replicate()
    assert _bet_row(player, prematch.id).status == "settled"
    figures = client.get("/account/wallet/summary").json()
    assert figures["held"] == {"minor": 500, "text": "5.00"}
    assert figures["cash"]["minor"] == 10_000 - 1_500 + 2_100


def test_the_history_names_each_posting_with_a_link_to_its_bet(book, alpha):
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, cashout_margin_pct=0)
    player = new_player(alpha, funds=10_000)
    won = _place(alpha, player, "won", [(line(M), "1", "2.10")])
    cashed = _place(alpha, player, "cashed", [(line(M2), "1", "2.10")])
    client = logged_in(alpha, player)
    client.post(f"/account/bets/{cashed.id}/cashout", {"key": "k", "offer": "1000", "whole": "1"})
    book.process([_settle(M, 5000, HOME_WINS)])
    replicate()
    wallet.wallet_adjust(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        amount=250,
        direction="credit",
        reason="goodwill",
        staff="ops",
        idempotency_key="adj-1",
    )
    html = client.get("/account/wallet/").content.decode()
    text = _text(client.get("/account/wallet/"))
    for words, bet in (
        ("Stake on bet #{}", won),
        ("Stake on bet #{}", cashed),
        ("Cash-out of bet #{}", cashed),
        ("Winnings of bet #{}", won),
    ):
        said = words.format(bet.id)
        assert f'<a href="/account/bets/{bet.id}/">{said}</a>' in html
    assert "Adjustment by the operator +2.50" in text and "Deposit +100.00" in text
    assert "reserve" not in text and "commit" not in text


def test_the_history_names_a_live_bets_hold_and_refund(book, alpha):
    book.process([odds_change(M, 3000, market(1, ONE_X_TWO), status=LIVE)])
    replicate()
    player = new_player(alpha, funds=5_000)
    bet = _place(alpha, player, "live", [(line(M), "1", "2.10")])
    book.process([f'<bet_stop product="1" event_id="{M}" timestamp="4000"/>'.encode()])
    replicate()
    live_bets.bet_live_decide(player_id=player.id, bet_id=bet.id)
    text = _text(logged_in(alpha, player).get("/account/wallet/"))
    assert f"Stake held for live bet #{bet.id} during its in-play delay" in text
    assert f"Refund: stake of refused live bet #{bet.id} returned" in text


# -- queries ------------------------------------------------------------------------------------


def _counted(client, path):
    assert client.get(path).status_code == 200  # the per-process caches warm (offers: 5 s)
    stack = ExitStack()
    captured = {
        alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
        for alias in ["default", *shard_map.aliases()]
    }
    with stack:
        assert client.get(path).status_code == 200
    return {alias: len(c.captured_queries) for alias, c in captured.items() if c.captured_queries}


@override_settings(OFFER_CACHE_S=600)
def test_my_bets_and_the_wallet_cost_a_fixed_number_of_queries(book, alpha, monkeypatch):
    # The per-process caches (the brand's offer, its bet settings) kept for the whole test, so
    # that what is counted is the pages' own queries, not a cache that expired on a slow machine.
    monkeypatch.setattr(bet_settings._settings, "_ttl_s", 600)
    ttl_cache.clear_all()
    player = new_player(alpha, funds=100_000)
    home = shard_map.alias_for(player.id)
    client = logged_in(alpha, player)

    def place(n, start):
        for i in range(start, start + n):
            legs = [(line(M), "1", "2.10"), (line(M2), "1", "2.10")]
            _place(alpha, player, f"q{i}", legs, kind="multiple", stake=100)

    place(2, 0)
    few = {
        path: _counted(client, path)
        for path in ("/account/bets/", "/api/v1/bets", "/account/wallet/")
    }
    place(6, 2)
    many = {
        path: _counted(client, path)
        for path in ("/account/bets/", "/api/v1/bets", "/account/wallet/")
    }
    assert few == many
    # My bets: the player, the bets, their legs, their lines now (the cash-out offers), their
    # cash-outs on the shard; the brand's schema, the events and the market descriptions (the
    # names) in the global tier. The API: the same but the cash-outs.
    assert many["/account/bets/"] == {home: 5, "default": 3}
    assert many["/api/v1/bets"] == {home: 4, "default": 3}
    # The wallet: the player, the history, the balance, the open bets' stakes.
    assert many["/account/wallet/"] == {home: 4}
    bet_id = Bet.objects.using(home).filter(player_id=player.id).first().id
    one = _counted(client, f"/account/bets/{bet_id}/")
    assert one == {home: 5, "default": 3}


def test_a_bet_id_beyond_any_id_is_a_404_not_an_error(book, alpha):
    player = new_player(alpha)
    client = logged_in(alpha, player)
    huge = "9" * 25
    for path in (f"/account/bets/{huge}/", f"/account/bets/{huge}/card", f"/api/v1/bets/{huge}"):
        assert client.get(path).status_code == 404
    whole = {"key": "k", "offer": "950", "whole": "1"}
    assert client.post(f"/account/bets/{huge}/cashout", whole).status_code == 404


def test_a_cash_out_in_play_from_the_page_waits_and_its_refusal_is_explained(book, alpha):
    from apps.bets import cashout

    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, cashout_margin_pct=0)
    book.process([odds_change(M, 3000, market(1, ONE_X_TWO), status=LIVE)])
    replicate()
    player = new_player(alpha, funds=1_000)
    bet = _place(alpha, player, "live", [(line(M), "1", "2.10")])
    assert live_bets.bet_live_decide(player_id=player.id, bet_id=bet.id) == "open"
    client = logged_in(alpha, player)
    whole = {"key": "k1", "offer": "1000", "whole": "1", "back": "bet"}
    answer = client.post(f"/account/bets/{bet.id}/cashout", whole)
    page = _text(client.get(answer["Location"]))
    assert "it is decided after the in-play delay" in page
    assert "cash-out of 10.00 EUR asked, decided after the in-play delay" in page
    assert _cash(player, alpha) == 0
    book.process([odds_change(M, 4000, market(1, {**ONE_X_TWO, "1": "3.00"}), status=LIVE)])
    replicate()
    (asked,) = CashOut.objects.using(shard_map.alias_for(player.id)).all()
    assert cashout.cash_out_decide(player_id=player.id, cash_out_id=asked.id) == "refused"
    card = _text(client.get(f"/account/bets/{bet.id}/card"))
    assert "cash-out of 10.00 EUR refused: the cash-out price moved" in card
    assert "Cash-out offer: 7.00 EUR" in card and _cash(player, alpha) == 0
