"""The wallet's operations, worked through to the minor unit, and its refusals."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connections, transaction

from apps.wallet import api, errors
from apps.wallet.models import Account, Reservation, Transfer
from shards import ids
from shards import map as shard_map
from tests.wallet_helpers import books_balance, history_counts, new_player


def _call(fn, brand, player, **kwargs):
    return fn(brand_id=brand.id, player_id=player.id, currency=brand.currency, **kwargs)


def test_credit_and_debit_move_money_between_player_and_house(alpha):
    player = new_player(alpha, funds=10_000)
    result = _call(
        api.wallet_debit, alpha, player, amount=2_550, product="sportsbook", idempotency_key="bet-1"
    )
    assert (result.balance.cash, result.balance.reserved, result.replayed) == (7_450, 0, False)
    assert ids.shard_of(result.operation_id) == player.shard
    credit = _call(
        api.wallet_credit,
        alpha,
        player,
        amount=5_100,
        product="sportsbook",
        idempotency_key="win-1",
    )
    assert credit.balance.cash == 12_550
    house = Account.objects.for_entity(player.id).filter(
        kind="house", product="sportsbook", brand_id=alpha.id
    )
    assert sum(a.balance for a in house) == 2_550 - 5_100
    books_balance()


def test_same_key_same_data_returns_the_original_operation(alpha):
    player = new_player(alpha, funds=1_000)
    first = _call(
        api.wallet_debit, alpha, player, amount=300, product="casino", idempotency_key="round-9"
    )
    before = history_counts()
    again = _call(
        api.wallet_debit, alpha, player, amount=300, product="casino", idempotency_key="round-9"
    )
    assert again.replayed and again.operation_id == first.operation_id
    assert again.balance.cash == 700
    assert history_counts() == before


def test_same_key_other_data_is_refused_and_writes_nothing(alpha):
    player = new_player(alpha, funds=1_000)
    _call(api.wallet_debit, alpha, player, amount=300, product="casino", idempotency_key="r-1")
    before = history_counts()
    with pytest.raises(errors.IdempotencyKeyReused):
        _call(api.wallet_debit, alpha, player, amount=301, product="casino", idempotency_key="r-1")
    with pytest.raises(errors.IdempotencyKeyReused):
        _call(api.wallet_credit, alpha, player, amount=300, product="casino", idempotency_key="r-1")
    assert history_counts() == before
    assert api.wallet_balance(brand_id=alpha.id, player_id=player.id, currency="EUR").cash == 700


def test_a_debit_beyond_the_balance_is_refused_by_the_database(alpha):
    player = new_player(alpha, funds=500)
    before = history_counts()
    with pytest.raises(errors.InsufficientFunds):
        _call(api.wallet_debit, alpha, player, amount=501, product="casino", idempotency_key="x")
    assert history_counts() == before
    cash = Account.objects.for_entity(player.id).get(player_id=player.id, kind="cash")
    with (
        pytest.raises(IntegrityError, match="wallet_player_balance_not_negative"),
        transaction.atomic(using=shard_map.alias_for(player.id)),
    ):
        Account.objects.for_entity(player.id).filter(pk=cash.pk).update(balance=-1)
    books_balance()


def test_reserve_then_commit_part_releases_the_rest(alpha):
    player = new_player(alpha, funds=10_000)
    held = _call(
        api.wallet_reserve,
        alpha,
        player,
        amount=4_000,
        product="sportsbook",
        idempotency_key="slip-1",
    )
    assert (held.balance.cash, held.balance.reserved) == (6_000, 4_000)
    assert held.reservation_id == held.operation_id
    done = _call(
        api.wallet_commit,
        alpha,
        player,
        reservation_id=held.reservation_id,
        amount=2_500,
        idempotency_key="slip-1:accept",
    )
    assert (done.balance.cash, done.balance.reserved) == (7_500, 0)
    reservation = Reservation.objects.for_entity(player.id).get(pk=held.reservation_id)
    assert (reservation.status, reservation.committed_amount) == ("committed", 2_500)
    with pytest.raises(errors.ReservationClosed):
        _call(
            api.wallet_void,
            alpha,
            player,
            reservation_id=held.reservation_id,
            idempotency_key="slip-1:void",
        )
    books_balance()


def test_void_returns_the_whole_reservation_once(alpha):
    player = new_player(alpha, funds=1_000)
    held = _call(
        api.wallet_reserve, alpha, player, amount=1_000, product="casino", idempotency_key="h"
    )
    voided = _call(
        api.wallet_void, alpha, player, reservation_id=held.reservation_id, idempotency_key="h:void"
    )
    assert (voided.balance.cash, voided.balance.reserved) == (1_000, 0)
    again = _call(
        api.wallet_void, alpha, player, reservation_id=held.reservation_id, idempotency_key="h:void"
    )
    assert again.replayed
    with pytest.raises(errors.ReservationClosed):
        _call(
            api.wallet_commit,
            alpha,
            player,
            reservation_id=held.reservation_id,
            amount=1,
            idempotency_key="h:commit",
        )
    books_balance()


def test_commit_more_than_reserved_or_unknown_reservation_is_refused(alpha):
    player = new_player(alpha, funds=1_000)
    held = _call(
        api.wallet_reserve, alpha, player, amount=100, product="casino", idempotency_key="c"
    )
    before = history_counts()
    with pytest.raises(errors.InvalidAmount):
        _call(
            api.wallet_commit,
            alpha,
            player,
            reservation_id=held.reservation_id,
            amount=101,
            idempotency_key="c:1",
        )
    with pytest.raises(errors.UnknownReservation):
        _call(
            api.wallet_commit,
            alpha,
            player,
            reservation_id=held.reservation_id + 1,
            amount=1,
            idempotency_key="c:2",
        )
    other = new_player(alpha, funds=0)
    with pytest.raises(errors.UnknownReservation):
        _call(
            api.wallet_void, alpha, other, reservation_id=held.reservation_id, idempotency_key="c:3"
        )
    assert history_counts()[0] == before[0] + 0  # the refused operations left no record
    books_balance()


def test_transfer_between_cash_and_bonus(alpha):
    player = new_player(alpha, funds=1_000)
    moved = _call(
        api.wallet_transfer,
        alpha,
        player,
        amount=400,
        source="cash",
        target="bonus",
        idempotency_key="t",
    )
    assert (moved.balance.cash, moved.balance.bonus) == (600, 400)
    with pytest.raises(errors.InsufficientFunds):
        _call(
            api.wallet_transfer,
            alpha,
            player,
            amount=401,
            source="bonus",
            target="cash",
            idempotency_key="t2",
        )
    with pytest.raises(errors.InvalidRequest):
        _call(
            api.wallet_transfer,
            alpha,
            player,
            amount=1,
            source="cash",
            target="reserved",
            idempotency_key="t3",
        )
    books_balance()


def test_adjustment_needs_a_reason_and_records_the_staff(alpha):
    player = new_player(alpha)
    with pytest.raises(errors.InvalidRequest):
        _call(
            api.wallet_adjust,
            alpha,
            player,
            amount=100,
            direction="credit",
            reason=" ",
            staff="ops",
            idempotency_key="a",
        )
    done = _call(
        api.wallet_adjust,
        alpha,
        player,
        amount=100,
        direction="credit",
        reason="goodwill",
        staff="ops@alpha",
        idempotency_key="a",
    )
    assert done.balance.cash == 100
    transfer = Transfer.objects.for_entity(player.id).get(operation_id=done.operation_id)
    assert transfer.operation.details == {
        "direction": "credit",
        "reason": "goodwill",
        "staff": "ops@alpha",
    }


@pytest.mark.parametrize(
    ("amount", "currency", "error"),
    [
        (0, "EUR", errors.InvalidAmount),
        (-5, "EUR", errors.InvalidAmount),
        (1.5, "EUR", errors.InvalidAmount),
        ("10", "EUR", errors.InvalidAmount),
        (True, "EUR", errors.InvalidAmount),
        (10**16, "EUR", errors.AmountOverflow),
        (10, "XXX", errors.UnknownCurrency),
        (10, "GBP", errors.CurrencyNotAllowed),
        (10, None, errors.UnknownCurrency),
    ],
)
def test_bad_input_gets_a_clear_error_and_writes_nothing(alpha, amount, currency, error):
    player = new_player(alpha, funds=1_000)
    before = history_counts()
    with pytest.raises(error) as raised:
        api.wallet_debit(
            brand_id=alpha.id,
            player_id=player.id,
            currency=currency,
            amount=amount,
            product="casino",
            idempotency_key="bad",
        )
    assert raised.value.code == error.code
    assert history_counts() == before


def test_unknown_player_and_player_of_another_brand_are_refused(alpha, beta):
    theirs = new_player(beta)
    before = history_counts()
    accounts_before = sum(Account.objects.using(a).count() for a in shard_map.aliases())
    for player_id in (
        theirs.id,
        ids.compose(millis=ids.ID_EPOCH_MS + 5, shard=0, sequence=9),
        "not-an-id",
        0,
    ):
        with pytest.raises(errors.UnknownPlayer):
            api.wallet_credit(
                brand_id=alpha.id,
                player_id=player_id,
                currency="EUR",
                amount=1,
                product="casino",
                idempotency_key=f"u{player_id}",
            )
    assert history_counts() == before
    assert sum(Account.objects.using(a).count() for a in shard_map.aliases()) == accounts_before


def test_a_balance_beyond_64_bits_is_refused_and_writes_nothing(alpha):
    player = new_player(alpha, funds=1)
    cash = Account.objects.for_entity(player.id).filter(player_id=player.id, kind="cash")
    cash.update(balance=2**63 - 10)  # out of band, to reach the limit without 9,000 credits
    before = history_counts()
    with pytest.raises(errors.AmountOverflow):
        _call(
            api.wallet_credit, alpha, player, amount=100, product="payments", idempotency_key="big"
        )
    assert history_counts() == before
    assert cash.get().balance == 2**63 - 10
    cash.update(balance=1)
    books_balance()


def test_history_is_immutable(alpha):
    player = new_player(alpha, funds=100)
    using = shard_map.alias_for(player.id)
    for sql in (
        "UPDATE wallet_transfer SET amount = 1",
        "DELETE FROM wallet_transfer",
        "UPDATE wallet_operation SET amount = 1",
    ):
        with (
            pytest.raises(IntegrityError, match="immutable"),
            transaction.atomic(using=using),
            connections[using].cursor() as cursor,
        ):
            cursor.execute(sql)


def test_ledger_check_finds_a_tampered_balance(alpha, capsys):
    player = new_player(alpha, funds=100)
    call_command("ledger_check")
    assert "all 2 shard ledgers balance" in capsys.readouterr().out
    Account.objects.for_entity(player.id).filter(player_id=player.id, kind="cash").update(
        balance=150
    )
    with pytest.raises(CommandError, match="do not balance"):
        call_command("ledger_check")
    out = capsys.readouterr().out
    assert "account balance differs from the sum of its transfers" in out
    assert "balances do not sum to zero" in out
    with pytest.raises(CommandError, match="does not exist"):
        call_command("ledger_check", "--shard", "7")


def test_reservation_time_out_must_be_sensible(alpha):
    player = new_player(alpha, funds=100)
    with pytest.raises(errors.InvalidRequest):
        _call(
            api.wallet_reserve,
            alpha,
            player,
            amount=1,
            product="casino",
            idempotency_key="ttl",
            ttl=dt.timedelta(days=30),
        )


def test_an_expired_reservation_is_voided_by_the_shards_pool_schedule(alpha):
    from apps.wallet.tasks import reservations_expire

    player = new_player(alpha, funds=1_000)
    held = _call(
        api.wallet_reserve,
        alpha,
        player,
        amount=600,
        product="sportsbook",
        idempotency_key="exp",
        ttl=dt.timedelta(seconds=1),
    )
    kept = _call(
        api.wallet_reserve, alpha, player, amount=100, product="sportsbook", idempotency_key="keep"
    )
    Reservation.objects.for_entity(player.id).filter(pk=held.reservation_id).update(
        expires_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    assert reservations_expire(shard=player.shard) == 1
    assert reservations_expire(shard=player.shard) == 0
    balance = api.wallet_balance(brand_id=alpha.id, player_id=player.id, currency="EUR")
    assert (balance.cash, balance.reserved) == (900, 100)
    statuses = dict(Reservation.objects.for_entity(player.id).values_list("id", "status"))
    assert statuses == {held.reservation_id: "voided", kept.reservation_id: "open"}
    books_balance()


def test_the_expiry_task_is_routed_to_its_shards_pool():
    from apps.wallet.tasks import expire_reservations
    from shards import queues

    route = queues.route_task(
        "wallet.expire_reservations", (), {"shard": 1}, {}, expire_reservations
    )
    assert route["routing_key"] == "shard.1"
