"""Cash-out: priced from current odds less the brand's margin, whole or in part, once per key."""

from __future__ import annotations

import pytest

from apps.bets import cashout
from apps.bets.models import Bet, BetSettings, CashOut
from apps.bets.placement import bet_place
from apps.bets.refusals import BetRefused
from apps.wallet import api as wallet
from shards import map as shard_map
from tests.bets_helpers import ONE_X_TWO, M, line, open_book, slip
from tests.feed_helpers import market, odds_change, replicate
from tests.test_bets_settlement import HOME_WINS, _settle
from tests.wallet_helpers import books_balance, new_player


@pytest.fixture
def book(clean):
    with open_book() as feed:
        yield feed


def _bet(alpha, funds=1_000, stake=1_000, price="2.10"):
    player = new_player(alpha, funds=funds)
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("b", [(line(M), "1", price)], stake=stake),
    ).bet
    return player, bet


def _cash(player, brand):
    return wallet.wallet_balance(
        brand_id=brand.id, player_id=player.id, currency=brand.currency
    ).cash


def _price(feed, ts, home):
    feed.process([odds_change(M, ts, market(1, {**ONE_X_TWO, "1": home}))])
    replicate()


def test_the_offer_follows_the_odds_less_the_margin_and_a_full_cash_out_pays_it(book, alpha):
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, cashout_margin_pct=5)
    player, bet = _bet(alpha)
    _price(book, 2000, "1.50")  # the home side got likelier: the bet is worth more
    offer = cashout.cash_out_offer(player_id=player.id, bet_id=bet.id)
    assert offer.offer == 1_330  # 10.00 x 2.10 / 1.50 = 14.00, less 5% = 13.30
    done = cashout.bet_cash_out(player_id=player.id, bet_id=bet.id, key="c1", seen_offer=1_330)
    again = cashout.bet_cash_out(player_id=player.id, bet_id=bet.id, key="c1", seen_offer=1_330)
    assert done.id == again.id and done.amount == 1_330
    stored = Bet.objects.using(shard_map.alias_for(player.id)).get(pk=bet.id)
    assert (stored.status, stored.payout) == ("cashed_out", 1_330)
    assert _cash(player, alpha) == 1_330
    book.process([_settle(M, 5000, HOME_WINS)])  # a cashed-out bet is not settled again
    replicate()
    assert _cash(player, alpha) == 1_330
    books_balance()


def test_a_partial_cash_out_leaves_the_rest_of_the_stake_running(book, alpha):
    BetSettings.objects.create(brand_id=alpha.id, currency=alpha.currency, cashout_margin_pct=0)
    player, bet = _bet(alpha)
    _price(book, 2000, "2.10")  # unchanged: the offer is the stake
    done = cashout.bet_cash_out(
        player_id=player.id, bet_id=bet.id, key="half", seen_offer=1_000, amount=400
    )
    assert (done.amount, done.unit_stake_after) == (400, 600)
    stored = Bet.objects.using(shard_map.alias_for(player.id)).get(pk=bet.id)
    assert (stored.status, stored.stake, stored.potential_payout) == ("open", 600, 1_260)
    book.process([_settle(M, 5000, HOME_WINS)])
    replicate()
    assert _cash(player, alpha) == 400 + 1_260  # the rest was settled at 6.00 x 2.10
    books_balance()


def test_cash_out_is_refused_while_suspended_or_when_the_price_moved(book, alpha):
    player, bet = _bet(alpha)
    offer = cashout.cash_out_offer(player_id=player.id, bet_id=bet.id).offer
    _price(book, 2000, "3.00")
    with pytest.raises(BetRefused) as moved:
        cashout.bet_cash_out(
            player_id=player.id, bet_id=bet.id, key="c", seen_offer=offer, tolerance=10
        )
    assert moved.value.code == "price_moved" and moved.value.detail["offer"] < offer
    book.process([f'<bet_stop product="1" event_id="{M}" timestamp="3000"/>'.encode()])
    replicate()
    with pytest.raises(BetRefused) as suspended:
        cashout.cash_out_offer(player_id=player.id, bet_id=bet.id)
    assert suspended.value.code == "leg_suspended"
    assert not CashOut.objects.using(shard_map.alias_for(player.id)).exists()
    assert _cash(player, alpha) == 0
    books_balance()


def test_my_bets_page_lists_bets_with_their_offer_and_cashes_out(book, alpha):
    from django.test import Client

    from apps.catalog.models import Market
    from apps.players.models import DirectoryEntry
    from tests.test_players import register_on_site

    client = Client(HTTP_HOST="alpha.localhost")
    assert register_on_site(client, "dora").status_code == 302
    player_id = DirectoryEntry.objects.get(login_name="dora").player_id
    wallet.wallet_credit(
        brand_id=alpha.id,
        player_id=player_id,
        currency=alpha.currency,
        amount=1_000,
        product="payments",
        idempotency_key="fund",
    )
    bet = bet_place(
        brand_id=alpha.id,
        player_id=player_id,
        currency=alpha.currency,
        slip=slip("page", [(line(M), "1", "2.10")], stake=1_000),
    ).bet
    page = client.get("/account/bets/").content.decode()
    assert "Single" in page and "Cash out 9.50" in page  # 10.00 less the default 5%
    event_id = Market.objects.get(pk=line(M)).event_id
    assert 'id="slip"' in client.get(f"/sports/events/{event_id}/").content.decode()
    answer = client.post(f"/account/bets/{bet.id}/cashout", {"offer": "950", "key": "k"})
    assert answer.status_code == 302
    settled = client.get("/account/bets/?list=settled").content.decode()
    assert "Cashed out" in settled and "paid 9.50" in settled
    balance = wallet.wallet_balance(brand_id=alpha.id, player_id=player_id, currency=alpha.currency)
    assert balance.cash == 950
