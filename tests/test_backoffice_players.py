"""A player's page in the backoffices: profile, balance, bets, limits, risk group, notes, and the
actions block, unblock and close (with a reason, audited, immediate), each behind its
permission; another brand's staff cannot open the player."""

import json
import re
from decimal import Decimal

import pytest
from django.test import Client

from apps.backoffice.models import PlayerAudit, PlayerNote
from apps.bets.models import PlayerLimit, PlayerRisk
from apps.bets.placement import bet_place
from apps.bets.refusals import BetRefused
from apps.players.models import DirectoryEntry, Player
from apps.players.services import player_register
from apps.wallet import api
from tests import live
from tests.bets_helpers import M, line, open_book, slip
from tests.test_backoffice import staff_client
from tests.test_players import register_on_site
from tests.test_wallet_backoffice import staff_member
from tests.wallet_helpers import new_player

SUPPORT = (
    "players.view_directoryentry",
    "backoffice.view_playernote",
    "backoffice.add_playernote",
    "backoffice.view_playeraudit",
    "backoffice.block_player",
)
TRADER = (
    "players.view_directoryentry",
    "backoffice.change_player_limits",
    "backoffice.change_player_risk",
)


def page_url(player):
    entry = DirectoryEntry.objects.get(player_id=player.id)
    return f"/admin/players/directoryentry/{entry.pk}/player/"


def act(client, player, action, **fields):
    return client.post(
        page_url(player) + f"{action}/", {f"{action}-{k}": v for k, v in fields.items()}
    )


def stored(player):
    return Player.objects.for_entity(player.id).get(pk=player.id)


def audits(player, **filters):
    return list(PlayerAudit.objects.filter(player_id=player.id, **filters))


def code_of(response):
    return re.search(r'id="error" data-code="([a-z_]+)"', response.content.decode())[1]


@pytest.fixture
def book(clean):
    with open_book() as feed:
        yield feed


def test_the_players_page_shows_the_player_whole(book, alpha):
    player = new_player(alpha, funds=10_000)
    placed = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("p1", [(line(M), "1", "2.10")], stake=1_250),
    )
    PlayerLimit.objects.for_entity(player.id).create(
        player_id=player.id, kind="wager", period="day", amount=50_000
    )
    boss = staff_client("alpha.localhost", alpha.schema_name)
    page = boss.get(page_url(player))
    assert page.status_code == 200
    text = page.content.decode()
    assert player.username in text and 'data-status="active"' in text
    assert "Cash 87.50 EUR" in text  # 100.00 less the stake of 12.50
    # The open bet's stake is held for it, as the player's own wallet page says.
    assert "held for open bets 12.50 EUR" in text
    # The ledger names what each posting was for, in the words the player's history uses.
    assert f"Stake on bet #{placed.bet.id}" in text
    assert f">{placed.bet.id}</a>" in text and "12.50 EUR" in text
    assert "500.00 EUR" in text  # the wager limit, in major units
    assert 'id="player-block"' in text and 'id="player-close"' in text
    assert 'id="player-unblock"' not in text  # an active player is not unblocked
    # The players' list links to the page.
    assert page_url(player) in boss.get("/admin/players/directoryentry/").content.decode()


def test_block_unblock_and_close_are_immediate_audited_and_need_a_reason(book, alpha):
    player = new_player(alpha, funds=10_000)
    site = Client(HTTP_HOST="alpha.localhost")
    site.post(
        "/api/v1/session",
        json.dumps({"username": player.username, "password": "a long passphrase"}),
        content_type="application/json",
    )
    assert site.get("/api/v1/me").status_code == 200
    boss = staff_client("alpha.localhost", alpha.schema_name)

    refused = act(boss, player, "block", reason="   ")
    assert refused.status_code == 400 and code_of(refused) == "reason_required"
    assert stored(player).status == "active" and audits(player) == []

    done = act(boss, player, "block", reason="chargeback under review")
    assert done.status_code == 302
    assert stored(player).status == "blocked"
    assert site.get("/api/v1/me").status_code == 401  # the session ended
    (entry,) = audits(player)
    assert (entry.action, entry.reason, entry.staff) == (
        "block",
        "chargeback under review",
        f"{alpha.schema_name}:boss",
    )
    assert entry.details == {"before": "active", "after": "blocked"} and entry.created_at
    with pytest.raises(BetRefused) as bet:
        bet_place(
            brand_id=alpha.id,
            player_id=player.id,
            currency=alpha.currency,
            slip=slip("b1", [(line(M), "1", "2.10")]),
        )
    assert bet.value.code == "account_closed"
    again = act(boss, player, "block", reason="twice")
    assert again.status_code == 409 and code_of(again) == "not_active"
    assert len(audits(player)) == 1

    assert act(boss, player, "unblock", reason="cleared").status_code == 302
    assert stored(player).status == "active"
    placed = bet_place(
        brand_id=alpha.id,
        player_id=player.id,
        currency=alpha.currency,
        slip=slip("b2", [(line(M), "1", "2.10")]),
    )
    assert placed.bet.status == "open"

    assert act(boss, player, "close", reason="asked to close").status_code == 302
    assert stored(player).status == "closed" and stored(player).closed_at is not None
    reopen = act(boss, player, "unblock", reason="try to reopen")
    assert reopen.status_code == 409 and code_of(reopen) == "not_blocked"
    assert stored(player).status == "closed"
    assert [a.action for a in audits(player)] == ["close", "unblock", "block"]
    with pytest.raises(BetRefused):
        bet_place(
            brand_id=alpha.id,
            player_id=player.id,
            currency=alpha.currency,
            slip=slip("b3", [(line(M), "1", "2.10")]),
        )
    page = boss.get(page_url(player)).content.decode()
    assert 'data-status="closed"' in page and "asked to close" in page
    assert 'id="player-unblock"' not in page and 'id="player-close"' not in page


@pytest.fixture(scope="module")
def sockets(platform):
    with live.sockets_server() as port:
        yield port


def test_blocking_closes_the_players_open_sockets(sockets, alpha):
    from websockets.exceptions import ConnectionClosed

    client = Client(HTTP_HOST="alpha.localhost")
    assert register_on_site(client, "sockblock").status_code == 302
    entry = DirectoryEntry.objects.get(brand_id=alpha.id, login_name="sockblock")
    boss = staff_client("alpha.localhost", alpha.schema_name)
    with live.websocket(sockets, "alpha.localhost", client.cookies["sessionid"].value) as sock:
        assert json.loads(sock.recv(timeout=10))["type"] == "hello"
        response = boss.post(
            f"/admin/players/directoryentry/{entry.pk}/player/block/",
            {"block-reason": "suspicious logins"},
        )
        assert response.status_code == 302
        assert json.loads(sock.recv(timeout=10)) == {"type": "account", "status": "blocked"}
        with pytest.raises(ConnectionClosed) as closed:
            sock.recv(timeout=10)
        assert closed.value.rcvd.code == 4003


def test_limits_are_typed_in_major_units_validated_and_audited(alpha):
    player = new_player(alpha)
    boss = staff_client("alpha.localhost", alpha.schema_name)
    limits = PlayerLimit.objects.for_entity(player.id).filter(player_id=player.id)

    bad = act(boss, player, "limits", kind="loss", period="week", amount="1.234", reason="rg")
    assert bad.status_code == 400 and code_of(bad) == "amount_too_many_decimals"
    no_reason = act(boss, player, "limits", kind="loss", period="week", amount="100.00")
    assert no_reason.status_code == 400 and code_of(no_reason) == "reason_required"
    assert not limits.exists() and audits(player) == []

    done = act(boss, player, "limits", kind="loss", period="week", amount="100.00", reason="rg")
    assert done.status_code == 302
    assert list(limits.values_list("kind", "period", "amount")) == [("loss", "week", 10_000)]
    (entry,) = audits(player, action="limits")
    assert entry.details["before"] is None and entry.details["after"] == 10_000
    assert entry.details["after_shown"] == "100.00 EUR"

    lifted = act(boss, player, "limits", kind="loss", period="week", amount="", reason="lifted")
    assert lifted.status_code == 302
    assert not limits.exists()
    assert audits(player, action="limits")[0].details["before"] == 10_000


def test_a_risk_group_of_the_brand_is_assigned_and_audited(alpha, beta):
    from apps.bets.models import RiskGroup

    RiskGroup.objects.create(brand_id=alpha.id, name="sharp", stake_factor="0.25", max_stake=5_000)
    RiskGroup.objects.create(brand_id=beta.id, name="betas", stake_factor="2")
    player = new_player(alpha)
    boss = staff_client("alpha.localhost", alpha.schema_name)
    page = boss.get(page_url(player)).content.decode()
    assert 'value="sharp"' in page and 'value="betas"' not in page
    risk = PlayerRisk.objects.for_entity(player.id).filter(player_id=player.id)
    for group, code in (("betas", "group_invalid_choice"), ("nope", "group_invalid_choice")):
        bad = act(boss, player, "risk", group=group, reason="x")
        assert bad.status_code == 400 and code_of(bad) == code
    assert act(boss, player, "risk", group="sharp").status_code == 400  # no reason
    assert not risk.exists() and audits(player) == []
    assert act(boss, player, "risk", group="sharp", reason="wins a lot").status_code == 302
    row = risk.get()
    assert (row.group, row.stake_factor, row.max_stake) == ("sharp", Decimal("0.25"), 5_000)
    (entry,) = audits(player, action="risk")
    assert entry.details["before"] is None and entry.details["after"]["group"] == "sharp"
    assert "at most 50.00 EUR per bet" in boss.get(page_url(player)).content.decode()
    assert act(boss, player, "risk", group="standard", reason="calmer").status_code == 302
    row = risk.get()
    assert (row.group, row.stake_factor, row.max_stake) == ("standard", Decimal(1), None)
    assert audits(player, action="risk")[0].details["before"]["group"] == "sharp"


def test_notes_are_added_and_shown(alpha):
    player = new_player(alpha)
    boss = staff_client("alpha.localhost", alpha.schema_name)
    empty = act(boss, player, "note", text="  ")
    assert empty.status_code == 400 and code_of(empty) == "text_required"
    assert not PlayerNote.objects.filter(player_id=player.id).exists()
    assert act(boss, player, "note", text="Called about a deposit").status_code == 302
    (note,) = PlayerNote.objects.filter(player_id=player.id)
    assert note.staff == f"{alpha.schema_name}:boss"
    assert "Called about a deposit" in boss.get(page_url(player)).content.decode()


def test_each_action_needs_its_permission(alpha):
    player = new_player(alpha)
    support = staff_member("alpha.localhost", alpha.schema_name, "sue", *SUPPORT)
    trader = staff_member("alpha.localhost", alpha.schema_name, "tom", *TRADER)
    nobody = staff_member("alpha.localhost", alpha.schema_name, "ned")
    limits = PlayerLimit.objects.for_entity(player.id).filter(player_id=player.id)

    assert nobody.get(page_url(player)).status_code == 403
    assert act(nobody, player, "note", text="hi").status_code == 403

    page = support.get(page_url(player)).content.decode()
    assert 'id="player-block"' in page and 'id="player-note"' in page
    assert 'id="player-close"' not in page and 'id="player-limits"' not in page
    assert act(support, player, "close", reason="no").status_code == 403
    denied = act(support, player, "limits", kind="wager", period="day", amount="1", reason="x")
    assert denied.status_code == 403
    assert not limits.exists() and stored(player).status == "active"
    assert act(support, player, "risk", group="standard", reason="x").status_code == 403
    assert act(support, player, "note", text="support note").status_code == 302
    assert act(support, player, "block", reason="fraud check").status_code == 302
    assert stored(player).status == "blocked"
    assert act(support, player, "unblock", reason="checked").status_code == 302

    assert act(trader, player, "block", reason="no").status_code == 403
    assert act(trader, player, "note", text="no").status_code == 403
    assert stored(player).status == "active"
    assert PlayerNote.objects.filter(player_id=player.id).count() == 1
    ok = act(trader, player, "limits", kind="wager", period="day", amount="20.00", reason="rg")
    assert ok.status_code == 302 and limits.get().amount == 2_000
    assert act(trader, player, "risk", group="standard", reason="x").status_code == 302
    assert {a.action for a in audits(player)} == {"block", "unblock", "limits", "risk"}


def test_another_brands_staff_and_anonymous_cannot_open_the_player(alpha, beta):
    player = new_player(alpha)
    other = staff_client("beta.localhost", beta.schema_name)
    assert other.get(page_url(player)).status_code == 404
    for action, fields in (
        ("block", {"reason": "x"}),
        ("close", {"reason": "x"}),
        ("note", {"text": "x"}),
        ("limits", {"kind": "wager", "period": "day", "amount": "1", "reason": "x"}),
    ):
        assert act(other, player, action, **fields).status_code == 404
    assert stored(player).status == "active" and audits(player) == []
    assert not PlayerNote.objects.filter(player_id=player.id).exists()
    anonymous = Client(HTTP_HOST="alpha.localhost")
    response = anonymous.get(page_url(player))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    response = act(anonymous, player, "block", reason="x")
    assert response.status_code == 302 and stored(player).status == "active"
    # The platform's staff open any brand's player.
    platform = staff_client("localhost", "public")
    assert platform.get(page_url(player)).status_code == 200


def test_an_operator_typing_100_00_credits_100_00(alpha):
    from tests.test_wallet_backoffice import adjust, form_key

    player = player_register(
        brand=alpha, username="hundred", email="h@example.com", password="a long passphrase"
    )
    boss = staff_client("alpha.localhost", alpha.schema_name)
    comma = adjust(boss, player, form_key(boss, player), amount="100,00")
    assert comma.status_code == 400 and "point for decimals" in comma.content.decode()
    done = adjust(boss, player, form_key(boss, player), amount="100.00")
    assert done.status_code == 302
    cash = api.wallet_balance(brand_id=alpha.id, player_id=player.id, currency="EUR").cash
    assert cash == 10_000
