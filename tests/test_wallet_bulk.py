"""wallet_credit_many: many credits in one statement, each exactly as wallet_credit posts it."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction

from apps.wallet import api, ledger
from apps.wallet.errors import InvalidRequest
from shards import map as shard_map
from tests.wallet_helpers import books_balance, history_counts, new_player, stake_without_waiting


def _many(brand, using):
    return {
        "brand_id": brand.id,
        "currency": brand.currency,
        "product": "sportsbook",
        "using": using,
    }


def test_credits_apply_once_and_match_single_credits(alpha):
    players = [new_player(alpha) for _ in range(12)]
    using = shard_map.alias_for(players[0].id)
    mine = [p for p in players if shard_map.alias_for(p.id) == using]
    api.wallet_credit(
        brand_id=alpha.id,
        player_id=mine[0].id,
        currency=alpha.currency,
        amount=500,
        product="sportsbook",
        idempotency_key="pay-0",
    )
    credits = [
        api.Credit(player_id=p.id, amount=500 + i, idempotency_key=f"pay-{i}")
        for i, p in enumerate(mine)
    ]
    credits[0] = api.Credit(player_id=mine[0].id, amount=500, idempotency_key="pay-0")
    with transaction.atomic(using=using):
        applied = api.wallet_credit_many(**_many(alpha, using), credits=credits)
    assert applied == len(mine) - 1  # the first was posted already: a replay
    before = history_counts()
    with transaction.atomic(using=using):
        again = api.wallet_credit_many(**_many(alpha, using), credits=credits)
    assert again == 0 and history_counts() == before
    for i, p in enumerate(mine):
        balance = api.wallet_balance(brand_id=alpha.id, player_id=p.id, currency=alpha.currency)
        assert balance.cash == (500 if i == 0 else 500 + i)
    # The same key through the single-credit path: the original operation, not a new one.
    replay = api.wallet_credit(
        brand_id=alpha.id,
        player_id=mine[1].id,
        currency=alpha.currency,
        amount=501,
        product="sportsbook",
        idempotency_key="pay-1",
    )
    assert replay.replayed
    books_balance()


def test_a_player_of_another_shard_is_refused_and_nothing_is_posted(alpha):
    players = [new_player(alpha) for _ in range(8)]
    aliases = {shard_map.alias_for(p.id) for p in players}
    assert aliases == {"shard_0", "shard_1"}
    other = next(p for p in players if shard_map.alias_for(p.id) == "shard_1")
    before = history_counts()
    with pytest.raises(InvalidRequest), transaction.atomic(using="shard_0"):
        api.wallet_credit_many(**_many(alpha, "shard_0"), credits=[api.Credit(other.id, 100, "x")])
    assert history_counts() == before


def _pay(brand, using, winner):
    api.wallet_credit_many(**_many(brand, using), credits=[api.Credit(winner.id, 700, "won")])


def _take_back(brand, using, winner):
    api.wallet_credit(
        brand_id=brand.id,
        player_id=winner.id,
        currency=brand.currency,
        amount=1_400,
        product="payments",
        idempotency_key="funds",
    )
    api.wallet_debit(
        brand_id=brand.id,
        player_id=winner.id,
        currency=brand.currency,
        amount=700,
        product="sportsbook",
        idempotency_key="unpay",
        bulk=True,
    )


@pytest.mark.parametrize("posting", [_pay, _take_back], ids=["payouts", "reversals"])
def test_a_settlements_open_transaction_does_not_hold_up_a_stake(alpha, posting):
    """A market's payouts (and a rollback's reversals of them) go through the house's bulk
    stripes: while a settlement's transaction is open, a bet's stake from a player of the same
    house stripe (a single posting, which credits the house) goes through at once instead of
    waiting for the settlement's commit."""
    by_key: dict[tuple[str, int], list] = {}
    while True:  # two players of one shard on one house stripe
        player = new_player(alpha)
        key = (shard_map.alias_for(player.id), player.id % ledger.HOUSE_STRIPES)
        by_key.setdefault(key, []).append(player)
        if len(by_key[key]) == 2:
            break
    using = key[0]
    winner, punter = by_key[key]
    api.wallet_credit(
        brand_id=alpha.id,
        player_id=punter.id,
        currency=alpha.currency,
        amount=1_000,
        product="payments",
        idempotency_key="fund",
    )
    paying, release = threading.Event(), threading.Event()
    failed: list[BaseException] = []

    def settle():
        try:
            with transaction.atomic(using=using):
                posting(alpha, using, winner)
                paying.set()
                release.wait(30)
        except BaseException as exc:  # reported by the test's thread
            failed.append(exc)
            paying.set()
        finally:
            connections.close_all()

    settlement = threading.Thread(target=settle)
    settlement.start()
    try:
        assert paying.wait(30) and not failed
        stake_without_waiting(alpha, punter, 300, "stake")
    finally:
        release.set()
        settlement.join(30)
    assert not failed
    for player in (winner, punter):
        balance = api.wallet_balance(
            brand_id=alpha.id, player_id=player.id, currency=alpha.currency
        )
        assert balance.cash == 700
    books_balance()
