"""wallet_credit_many: many credits in one statement, each exactly as wallet_credit posts it."""

from __future__ import annotations

import pytest
from django.db import transaction

from apps.wallet import api
from apps.wallet.errors import InvalidRequest
from shards import map as shard_map
from tests.wallet_helpers import books_balance, history_counts, new_player


def _many(brand, using):
    return {"brand_id": brand.id, "currency": brand.currency, "product": "sportsbook",
            "using": using}  # fmt: skip


def test_credits_apply_once_and_match_single_credits(alpha):
    players = [new_player(alpha) for _ in range(12)]
    using = shard_map.alias_for(players[0].id)
    mine = [p for p in players if shard_map.alias_for(p.id) == using]
    api.wallet_credit(brand_id=alpha.id, player_id=mine[0].id, currency=alpha.currency,
                      amount=500, product="sportsbook", idempotency_key="pay-0")  # fmt: skip
    credits = [api.Credit(player_id=p.id, amount=500 + i, idempotency_key=f"pay-{i}")
               for i, p in enumerate(mine)]  # fmt: skip
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
        brand_id=alpha.id, player_id=mine[1].id, currency=alpha.currency, amount=501,
        product="sportsbook", idempotency_key="pay-1",
    )  # fmt: skip
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
