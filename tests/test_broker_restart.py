"""Restarting the broker in the middle of a burst of settlements loses and doubles nothing.

A private RabbitMQ node (never the machine's shared one) carries the events between the real
outbox relay and the real shard pools. It is stopped while the pools are paying the first two
thirds of a burst of results (every connection drops, with tasks in the pools' hands and
messages in the queues), the last third arrives while it is down, and it is started again from
its own data: every bet is then settled exactly once and the books balance.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from apps.bets.models import Bet
from apps.bets.placement import bet_place
from apps.outbox.models import GlobalOutbox
from apps.wallet import api as wallet
from apps.wallet.models import Operation
from betting.stack import roles
from shards import map as shard_map
from shards import queues
from tests import processes
from tests.bets_helpers import ONE_X_TWO, line, slip
from tests.feed_helpers import adapter, make_event, market, odds_change, replicate
from tests.private_services import PrivateRabbit
from tests.wallet_helpers import books_balance, new_player

pytestmark = pytest.mark.skipif(
    not settings.BROKER_IS_AMQP,
    reason="a RabbitMQ restart: the run's broker is Redis (embedded mode, no BROKER_URL)",
)

EVENTS = 24
STAKE = 1_000
HOME_WINS = {"1": (1, ""), "2": (0, ""), "3": (0, "")}


def _result(urn: str) -> bytes:
    outcomes = "".join(f'<outcome id="{o}" result="{r}"/>' for o, (r, _) in HOME_WINS.items())
    return (
        f'<bet_settlement product="1" event_id="{urn}" timestamp="5000" certainty="2">'
        f'<outcomes><market id="1">{outcomes}</market></outcomes></bet_settlement>'
    ).encode()


def _settled() -> int:
    return sum(
        Bet.objects.using(alias).filter(status="settled").count() for alias in shard_map.aliases()
    )


def _burst_book(brand):
    """EVENTS events with a 1x2 line each, replicated; on each a winner (home, 2.10) and a loser
    (away) with STAKE each. Returns the urns and [(player, bet, payout expected)]."""
    feed = adapter()
    urns = [f"sr:match:{7000 + n}" for n in range(EVENTS)]
    for urn in urns:
        make_event(urn)
    feed.process(
        [odds_change(urn, 1000, market(1, ONE_X_TWO)) for urn in urns]
        + [b'<alive product="1" timestamp="1" subscribed="1"/>']
    )
    replicate()
    placed = []
    for n, urn in enumerate(urns):
        for outcome, odds, payout in (("1", "2.10", 2_100), ("3", "3.60", 0)):
            player = new_player(brand, funds=STAKE)
            bet = bet_place(
                brand_id=brand.id,
                player_id=player.id,
                currency=brand.currency,
                slip=slip(f"burst-{n}-{outcome}", [(line(urn), outcome, odds)], stake=STAKE),
            ).bet
            placed.append((player, bet, payout))
    return feed, urns, placed


def test_a_broker_restarted_mid_burst_of_settlements_loses_and_doubles_nothing(
    clean, alpha, tmp_path
):
    feed, urns, placed = _burst_book(alpha)
    node = PrivateRabbit(tmp_path / "rabbit")
    node.start()
    env = {"BROKER_URL": node.url()}
    running = []
    try:
        running = [
            processes.start(roles.shard_pool(0), env=env),
            processes.start(roles.shard_pool(1), env=env),
        ]
        for pool in running:
            pool.wait_for(processes.WORKER_READY)
        relay = processes.start(roles.relay(), env=env)
        running.append(relay)
        relay.wait_for(processes.RELAY_READY)

        # Two thirds of the burst; the node stops as soon as a first bet is paid, with the rest
        # in the relay, the queues and the pools' hands.
        first = EVENTS * 2 // 3
        feed.process([_result(urn) for urn in urns[:first]])
        processes.wait_until(
            lambda: _settled() > 0, timeout=30, interval=0.01, message="a first bet settled"
        )
        node.stop()
        at_loss = _settled()
        # The last third arrives while the broker is down: the relay keeps it.
        feed.process([_result(urn) for urn in urns[first:]])
        assert at_loss < len(placed), "the burst was over before the broker went down"

        node.start()
        try:
            processes.wait_until(
                lambda: _settled() == len(placed) and not GlobalOutbox.objects.exists(),
                timeout=75,
                message=f"every bet settled after the restart ({_settled()}/{len(placed)})",
            )
        except TimeoutError as exc:
            for proc in running:
                (tmp_path / f"{proc.role.name}.log").write_text(proc.output())
            logs = "\n".join(p.output()[-2500:] for p in running)
            raise AssertionError(f"{exc} (logs in {tmp_path})\n{logs}") from exc
        time.sleep(1)  # a redelivered duplicate, if any, has had time to be applied
        types = dict(
            row.split("\t")[:2]
            for row in node.ctl("list_queues", "--no-table-headers", "name", "type").splitlines()
            if "\t" in row
        )
    finally:
        for proc in running:
            proc.stop()
        node.kill()

    for name in (queues.GLOBAL, queues.shard_queue_name(0), queues.shard_queue_name(1)):
        assert types[queues.broker_name(name)] == "quorum", types
    assert all(kind == "classic" for name, kind in types.items() if "pidbox" in name), types
    # No delay queues outside the namespace (Celery's native delayed delivery is left out).
    outside = [n for n in types if not n.startswith(queues.NAMESPACE) and "pidbox" not in n]
    assert outside == [], types
    assert at_loss > 0
    for player, bet, payout in placed:
        using = shard_map.alias_for(player.id)
        row = Bet.objects.using(using).get(pk=bet.id)
        assert (row.status, row.payout) == ("settled", payout)
        pays = Operation.objects.using(using).filter(idempotency_key__startswith=f"bet:{bet.id}:")
        assert pays.filter(idempotency_key__contains=":pay:").count() == (1 if payout else 0)
        cash = wallet.wallet_balance(brand_id=alpha.id, player_id=player.id, currency="EUR").cash
        assert cash == payout  # funded STAKE, staked STAKE, paid once
    books_balance()
