"""UOF messages and routing keys: the provider's samples parse; malformed input is refused."""

from decimal import Decimal
from pathlib import Path

import pytest

from apps.catalog.naming import BadSpecifiers, canonical_specifiers
from apps.providers.uof import messages as m
from apps.providers.uof.routing import BadRoutingKey, RoutingKey, parse_routing_key

SAMPLES = Path(__file__).parent / "fixtures" / "uof"


def sample(name: str) -> m.Message:
    return m.parse((SAMPLES / f"{name}.xml").read_bytes())


def test_odds_change_sample():
    message = sample("odds_change")
    assert isinstance(message, m.OddsChange)
    assert (message.product, message.event_id, message.timestamp) == (
        4,
        "sr:match:10927088",
        1487254396715,
    )
    assert message.status.status == 1
    assert (message.status.home_score, message.status.away_score) == (0, 2)
    assert message.status.match_time == "27:33"
    assert len(message.markets) == 42
    totals = {mk.specifiers: mk for mk in message.markets if mk.id == 68}
    assert totals["total=2.5"].outcomes[0] == m.Outcome(
        "13", Decimal("1.5"), Decimal("0.62734"), True
    )
    assert totals["total=1.5"].status == m.MARKET_SETTLED and totals["total=1.5"].outcomes == ()
    inactive = next(o for o in message.markets if o.id == 10).outcomes[2]
    assert (inactive.odds, inactive.active) == (None, False)


def test_bet_settlement_sample():
    message = sample("bet_settlement")
    assert isinstance(message, m.BetSettlement)
    assert message.event_id == "sr:match:9583135"
    first = message.markets[0]
    assert first.key == (213, "gamenr=3|setnr=3")
    assert [(o.id, o.result) for o in first.outcomes] == [("70", 0), ("72", 1)]
    assert all(
        o.void_factor in (0, Decimal("0.5"), 1) for mk in message.markets for o in mk.outcomes
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("alive", m.Alive),
        ("bet_cancel", m.BetCancel),
        ("bet_stop", m.BetStop),
        ("fixture_change", m.FixtureChange),
        ("product_down", m.ProductDown),
        ("rollback_bet_cancel", m.RollbackBetCancel),
        ("rollback_bet_settlement", m.RollbackBetSettlement),
        ("snapshot_completed", m.SnapshotComplete),
    ],
)
def test_every_sample_parses(name, kind):
    message = sample(name)
    assert type(message) is kind
    assert message.product in (1, 4)
    assert message.timestamp > 1_400_000_000_000


def test_details_of_the_small_samples():
    cancel = sample("bet_cancel")
    assert [mk.key for mk in cancel.markets] == [
        (312, "pointnr=45|setnr=4"),
        (313, "pointnr=1|setnr=2"),
        (314, ""),
    ]
    assert cancel.request_id == 1
    assert sample("bet_stop").groups == ("all",)
    assert sample("bet_stop").market_status == m.MARKET_SUSPENDED
    fixture = sample("fixture_change")
    assert (fixture.change_type, fixture.start_time) == (2, 1466436600000)
    assert sample("alive").subscribed is True
    assert sample("snapshot_completed").request_id == 1


def test_specifier_order_does_not_split_a_market_line():
    assert canonical_specifiers("setnr=3|gamenr=4") == canonical_specifiers("gamenr=4|setnr=3")
    with pytest.raises(BadSpecifiers):
        canonical_specifiers("total")
    with pytest.raises(m.MalformedMessage, match="bad specifiers"):
        m.parse(
            b'<odds_change product="1" event_id="sr:match:1" timestamp="1"><odds>'
            b'<market id="18" specifiers="total"/></odds></odds_change>'
        )


@pytest.mark.parametrize(
    "raw",
    [
        b"<odds_change",  # not XML
        b"<odds_change product='1' timestamp='5'/>",  # no event
        b"<odds_change product='x' timestamp='5' event_id='sr:match:1'/>",
        b"<alive timestamp='5'/>",  # no producer
        b"<surprise product='1' timestamp='5' event_id='sr:match:1'/>",
        b"<odds_change product='1' timestamp='5' event_id='sr:match:1'><odds>"
        b"<market id='1'><outcome id='1' odds='0.5'/></market></odds></odds_change>",
        b"<bet_settlement product='1' timestamp='5' event_id='sr:match:1'><outcomes>"
        b"<market id='1'><outcome id='1' result='7'/></market></outcomes></bet_settlement>",
        b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><alive product="1" '
        b'timestamp="5" subscribed="&b;"/>',  # entity expansion is refused
    ],
)
def test_malformed_messages_are_refused(raw):
    with pytest.raises(m.MalformedMessage):
        m.parse(raw)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            "hi.pre.-.odds_change.1.sr:match.1234.-",
            RoutingKey("hi", True, False, "odds_change", 1, "sr:match:1234", None),
        ),
        (
            "lo.-.live.bet_settlement.1.sr:match.1234.-",
            RoutingKey("lo", False, True, "bet_settlement", 1, "sr:match:1234", None),
        ),
        ("-.-.-.alive.-.-.-.-", RoutingKey(None, False, False, "alive", None, None, None)),
        (
            "-.-.-.snapshot_complete.-.-.-.7",
            RoutingKey(None, False, False, "snapshot_complete", None, None, "7"),
        ),
    ],
)
def test_routing_keys_parse_and_render(key, expected):
    parsed = parse_routing_key(key)
    assert parsed == expected
    assert parsed.render() == key


@pytest.mark.parametrize(
    "key", ["a.b", "hi.pre.-.gossip.1.sr:match.1.-", "hi.-.-.odds_change.x.sr:match.1.-"]
)
def test_bad_routing_keys_are_refused(key):
    with pytest.raises(BadRoutingKey):
        parse_routing_key(key)
