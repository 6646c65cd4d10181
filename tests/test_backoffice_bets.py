"""Finding bets in the backoffices: a search over every shard (a brand's staff find their brand's
bets only), and a bet's page with its legs by name, prices, liability and ledger postings."""

import re
from contextlib import ExitStack

import pytest
from django.test import Client

from apps.backoffice.bet_search import BetQuery, bet_search
from apps.bets.placement import bet_place
from apps.players.models import DirectoryEntry
from tests.bets_helpers import M2, M, line, open_book, slip
from tests.test_backoffice import staff_client
from tests.test_wallet_backoffice import staff_member
from tests.wallet_helpers import new_player


@pytest.fixture
def bets(clean, alpha, beta):
    """Bets of three alpha players (on both shards, most likely) and one beta player."""
    with open_book():
        placed = {}
        players = {}
        for n, (brand, stake, urn) in enumerate(
            [(alpha, 1_000, M), (alpha, 2_500, M2), (alpha, 1_000, M2), (beta, 1_000, M)]
        ):
            player = new_player(brand, funds=100_000)
            players[n] = player
            placed[n] = bet_place(
                brand_id=brand.id,
                player_id=player.id,
                currency=brand.currency,
                slip=slip(f"k{n}", [(line(urn), "1", "2.10")], stake=stake),
            ).bet
        yield placed, players


def found(response):
    assert response.status_code == 200, response.content.decode()[:800]
    return [int(b) for b in re.findall(r'class="bet" data-bet="(\d+)"', response.content.decode())]


def test_brand_staff_find_their_brands_bets_only_by_each_criterion(bets, alpha):
    placed, players = bets
    staff = staff_client("alpha.localhost", alpha.schema_name)
    search = "/admin/bets/bet/"
    newest_first = sorted((placed[n].id for n in (0, 1, 2)), reverse=True)
    assert found(staff.get(search)) == newest_first
    assert found(staff.get(search, {"bet": placed[1].id})) == [placed[1].id]
    assert found(staff.get(search, {"bet": placed[3].id})) == []  # beta's
    login = DirectoryEntry.objects.get(player_id=players[2].id).login_name
    by_login = staff.get(search, {"player": login})
    assert found(by_login) == [placed[2].id]
    entry = DirectoryEntry.objects.get(player_id=players[2].id)
    assert f'href="/admin/players/directoryentry/{entry.pk}/player/">{login}<' in (
        by_login.content.decode()
    )
    assert found(staff.get(search, {"player": str(players[0].id)})) == [placed[0].id]
    assert found(staff.get(search, {"player": str(players[3].id)})) == []
    event_m2 = placed[1].legs.first().event_id
    assert set(found(staff.get(search, {"event": event_m2}))) == {placed[1].id, placed[2].id}
    assert set(found(staff.get(search, {"market": 1}))) == set(newest_first)
    assert found(staff.get(search, {"market": 18})) == []
    assert set(found(staff.get(search, {"status": "open"}))) == set(newest_first)
    assert found(staff.get(search, {"status": "settled"})) == []
    # Stakes typed in major units: 25.00 EUR is 2,500 cents.
    assert found(staff.get(search, {"stake_min": "25.00"})) == [placed[1].id]
    assert set(found(staff.get(search, {"stake_max": "10"}))) == {placed[0].id, placed[2].id}
    assert found(staff.get(search, {"payout_min": "0.01"})) == []
    placed_at = placed[1].placed_at
    window = {"placed_from": f"{placed_at:%Y-%m-%d %H:%M:%S}"}
    assert placed[1].id in found(staff.get(search, window))
    assert found(staff.get(search, {"placed_to": "2000-01-01 00:00"})) == []
    assert found(staff.get(search, {"settled_from": "2000-01-01 00:00"})) == []


def test_bad_search_input_is_refused_with_a_code(bets, alpha):
    staff = staff_client("alpha.localhost", alpha.schema_name)
    for params, code in (
        ({"stake_min": "10.001"}, "stake_min_too_many_decimals"),
        ({"stake_min": "10,00"}, "stake_min_invalid_amount"),
        ({"bet": "abc"}, "bet_invalid"),
        ({"placed_from": "yesterday"}, "placed_from_invalid"),
        ({"status": "won"}, "status_invalid_choice"),
    ):
        response = staff.get("/admin/bets/bet/", params)
        assert response.status_code == 400
        assert f'data-code="{code}"' in response.content.decode()
        assert 'class="bet"' not in response.content.decode()


def test_platform_staff_search_every_brand_and_choose_the_currency_of_amounts(bets):
    placed, _ = bets
    platform = staff_client("localhost", "public")
    everything = found(platform.get("/admin/bets/bet/"))
    assert everything == sorted((b.id for b in placed.values()), reverse=True)
    ambiguous = platform.get("/admin/bets/bet/", {"stake_min": "10.00"})
    assert ambiguous.status_code == 400 and 'data-code="currency_required"' in (
        ambiguous.content.decode()
    )
    gbp = found(platform.get("/admin/bets/bet/", {"currency": "GBP", "stake_min": "10.00"}))
    assert gbp == [placed[3].id]


def test_a_search_merges_the_shards_newest_first_a_page_at_a_time(bets, alpha):
    placed, _ = bets
    ours = sorted((placed[n].id for n in (0, 1, 2)), reverse=True)
    first = bet_search(brand_id=alpha.id, query=BetQuery(), limit=2)
    assert [b.id for b in first.bets] == ours[:2] and first.next == ours[1]
    second = bet_search(brand_id=alpha.id, query=BetQuery(), before=first.next, limit=2)
    assert [b.id for b in second.bets] == ours[2:] and second.next is None
    # Through HTTP: the next page's link carries the cursor and the criteria.
    staff = staff_client("alpha.localhost", alpha.schema_name)
    assert found(staff.get("/admin/bets/bet/", {"before": ours[0]})) == ours[1:]


def test_a_bets_page_shows_its_legs_by_name_and_its_postings(bets, alpha, beta):
    placed, players = bets
    bet = placed[1]
    staff = staff_client("alpha.localhost", alpha.schema_name)
    page = staff.get(f"/admin/bets/bet/{bet.id}/")
    assert page.status_code == 200
    text = page.content.decode()
    leg = bet.legs.get()
    assert f"({leg.event_id})" in text and " v " in text  # the event by its competitors' names
    assert "2.10" in text and 'id="bet-status">open<' in text
    assert "25.00 EUR as placed" in text
    assert "27.50 EUR" in text  # liability: 52.50 potential payout less the 25.00 stake
    assert f"bet:{bet.id}:stake" in text and "-25.00" in text  # the stake's posting
    entry = DirectoryEntry.objects.get(player_id=players[1].id)
    assert f"/admin/players/directoryentry/{entry.pk}/player/" in text
    # Another brand's bet is not found; nor is a bet id of no bet.
    assert staff.get(f"/admin/bets/bet/{placed[3].id}/").status_code == 404
    assert staff.get(f"/admin/bets/bet/{players[0].id}/").status_code == 404  # a player's id
    assert staff.get("/admin/bets/bet/99999999999999999999999/").status_code == 404
    beta_staff = staff_client("beta.localhost", beta.schema_name)
    assert beta_staff.get(f"/admin/bets/bet/{bet.id}/").status_code == 404
    assert beta_staff.get(f"/admin/bets/bet/{placed[3].id}/").status_code == 200


def test_finding_bets_needs_the_view_permission(bets, alpha):
    placed, _ = bets
    nobody = staff_member("alpha.localhost", alpha.schema_name, "ned")
    assert nobody.get("/admin/bets/bet/").status_code == 403
    assert nobody.get(f"/admin/bets/bet/{placed[0].id}/").status_code == 403
    reader = staff_member("alpha.localhost", alpha.schema_name, "rita", "bets.view_bet")
    assert reader.get("/admin/bets/bet/").status_code == 200
    assert reader.get(f"/admin/bets/bet/{placed[0].id}/").status_code == 200
    anonymous = Client(HTTP_HOST="alpha.localhost")
    response = anonymous.get(f"/admin/bets/bet/{placed[0].id}/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_a_search_asks_each_shard_once_and_a_bet_id_only_its_own(bets, alpha):
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from shards import map as shard_map

    placed, _ = bets

    def shard_queries(query):
        with ExitStack() as stack:
            captured = {
                alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
                for alias in shard_map.aliases()
            }
            bet_search(brand_id=alpha.id, query=query)
        return {alias: len(c.captured_queries) for alias, c in captured.items()}

    assert shard_queries(BetQuery(event_id=1, status="open")) == dict.fromkeys(
        shard_map.aliases(), 1
    )
    own = shard_map.alias_for(placed[0].id)
    assert shard_queries(BetQuery(bet_id=placed[0].id)) == {
        alias: int(alias == own) for alias in shard_map.aliases()
    }
