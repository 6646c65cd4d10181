"""External wallet mode against the reference operator wallet, run as a real process that fails
and stalls on a share of calls; the shard pools retry rollbacks and credits until acknowledged."""

import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models.functions import Now
from django.test import override_settings

from apps.brands.models import Brand
from apps.brands.selectors import BrandRef
from apps.brands.services import brand_create
from apps.wallet import api, errors, external, operator_protocol, tasks
from apps.wallet.models import ExternalCall
from betting import ttl_cache
from betting.stack import roles
from shards import map as shard_map
from simulators.operator_wallet import OperatorWalletState
from tests import live, processes
from tests.wallet_helpers import books_balance, history_counts, new_player

SECRET = "operator-shared-secret-for-tests"


def _external_brand(url: str, secret: str = SECRET) -> BrandRef:
    with override_settings(DEBUG=True):  # the simulator speaks plain HTTP on loopback
        brand = brand_create(
            slug="gamma",
            name="Gamma B2B",
            domains=["gamma.localhost"],
            currency="EUR",
            mode="b2b",
            wallet_url=url,
            wallet_secret=secret,
        )
    ttl_cache.clear_all()
    return BrandRef.of(Brand.objects.get(pk=brand.pk))


def _simulator(port: int, *args: str):
    role = roles.Role(
        "operator",
        [roles._python(), "manage.py", "operator_wallet_simulator", "--port", str(port), *args],
    )
    return processes.running(role, ready="listening", env={"OPERATOR_WALLET_SECRET": SECRET})


def _calls():
    return [
        call for using in shard_map.aliases() for call in ExternalCall.objects.using(using).all()
    ]


def test_unreliable_operator_wallet_ends_applied_or_rolled_back_on_both_sides(clean, capsys):
    port = live.free_port()
    rng = random.Random(42)
    outcomes = {"applied": 0, "refused": 0, "unavailable": 0}
    with (
        _simulator(
            port,
            "--fail-rate",
            "0.15",
            "--stall-rate",
            "0.1",
            "--stall-seconds",
            "2.5",
            "--seed",
            "3",
        ),
        processes.running(roles.shard_pool(0), ready=processes.WORKER_READY),
        processes.running(roles.shard_pool(1), ready=processes.WORKER_READY),
    ):
        brand = _external_brand(f"http://127.0.0.1:{port}")
        players = [new_player(brand) for _ in range(6)]
        for n in range(50):
            player = rng.choice(players)
            operation = api.wallet_debit if rng.random() < 0.6 else api.wallet_credit
            amount = rng.choice([100, 250, 1_000, 400_000])
            try:
                operation(
                    brand_id=brand.id,
                    player_id=player.id,
                    currency="EUR",
                    amount=amount,
                    product="casino",
                    idempotency_key=f"ext-{n}",
                )
                outcomes["applied"] += 1
            except errors.ExternalWalletRefused:
                outcomes["refused"] += 1
            except errors.ExternalWalletUnavailable:
                outcomes["unavailable"] += 1
        processes.wait_until(
            lambda: all(c.status in {"applied", "refused", "rolled_back"} for c in _calls()),
            timeout=120,
            message="every external call settled",
        )
        call_command("wallet_reconcile", "--brand", "gamma")
    assert "0 differences" in capsys.readouterr().out
    assert outcomes["unavailable"] > 0, "the simulator never failed: the test proved nothing"
    assert outcomes["applied"] > 0
    statuses = {c.status for c in _calls()}
    assert "rolled_back" in statuses
    books_balance()


def test_a_wrong_secret_moves_nothing_and_the_debit_is_rolled_back(clean):
    """The operator refuses the request and signs its refusal with its own secret, which the
    platform cannot check: no trusted answer, so the debit goes to the rollback path."""
    port = live.free_port()
    with _simulator(port):
        brand = _external_brand(
            f"http://127.0.0.1:{port}", secret="not-the-operators-secret-0123456789"
        )
        player = new_player(brand)
        transfers = history_counts()[1]
        with pytest.raises(errors.ExternalWalletUnavailable):
            api.wallet_debit(
                brand_id=brand.id,
                player_id=player.id,
                currency="EUR",
                amount=10,
                product="casino",
                idempotency_key="sig",
            )
    (call,) = _calls()
    assert call.status == "rolling_back"
    assert "signature" in call.last_error
    assert history_counts()[1] == transfers  # no shadow posting
    books_balance()


def test_replays_answer_as_the_first_time(clean):
    port = live.free_port()
    with _simulator(port):
        brand = _external_brand(f"http://127.0.0.1:{port}")
        player = new_player(brand)
        first = api.wallet_debit(
            brand_id=brand.id,
            player_id=player.id,
            currency="EUR",
            amount=300,
            product="casino",
            idempotency_key="r",
        )
        again = api.wallet_debit(
            brand_id=brand.id,
            player_id=player.id,
            currency="EUR",
            amount=300,
            product="casino",
            idempotency_key="r",
        )
        assert again.replayed and again.operation_id == first.operation_id
        assert first.balance.cash == 1_000_000 - 300
        with pytest.raises(errors.InvalidRequest):
            api.wallet_reserve(
                brand_id=brand.id,
                player_id=player.id,
                currency="EUR",
                amount=1,
                product="casino",
                idempotency_key="res",
            )
    assert len(_calls()) == 1


def test_the_simulator_refuses_a_debit_that_arrives_after_its_rollback():
    state = OperatorWalletState(start_balance=100)
    assert (
        state.apply(
            "rollback",
            {
                "transaction_id": "9-rb",
                "player_id": "p",
                "amount": 5,
                "reference_transaction_id": "9",
            },
        )["status"]
        == "ok"
    )
    late = state.apply("debit", {"transaction_id": "9", "player_id": "p", "amount": 5})
    assert late == {"status": "error", "code": "transaction_rolled_back"}
    assert state.balances["p"] == 100


class _Crash(BaseException):
    """The process dies right after the operator's wallet answered (not an error it handles)."""


def test_the_sweep_recovers_calls_a_crash_left_pending_and_leaves_fresh_ones(clean, monkeypatch):
    port = live.free_port()
    with (
        _simulator(port),
        processes.running(roles.shard_pool(0), ready=processes.WORKER_READY),
        processes.running(roles.shard_pool(1), ready=processes.WORKER_READY),
    ):
        brand = _external_brand(f"http://127.0.0.1:{port}")
        player = new_player(brand)
        answered = operator_protocol.call

        def answered_then_crash(*args, **kwargs):
            answered(*args, **kwargs)
            raise _Crash

        monkeypatch.setattr(operator_protocol, "call", answered_then_crash)
        stuck_then_fresh = [api.wallet_debit, api.wallet_credit, api.wallet_debit]
        for n, operation in enumerate(stuck_then_fresh):
            with pytest.raises(_Crash):
                operation(
                    brand_id=brand.id,
                    player_id=player.id,
                    currency="EUR",
                    amount=700,
                    product="casino",
                    idempotency_key=f"crash-{n}",
                )
        monkeypatch.undo()
        using = shard_map.alias_for(player.id)
        calls = list(ExternalCall.objects.using(using).order_by("id"))
        assert [(c.kind, c.status) for c in calls] == [
            ("debit", "pending"),
            ("credit", "pending"),
            ("debit", "pending"),
        ]
        stuck, fresh = [calls[0].id, calls[1].id], calls[2].id
        ExternalCall.objects.using(using).filter(id__in=stuck).update(
            updated_at=Now() - timedelta(seconds=external.STALE_PENDING_S + 5)
        )

        swept = [tasks.external_sweep(shard=shard) for shard in range(shard_map.shard_count())]

        assert sum(swept) == 2
        processes.wait_until(
            lambda: (
                {c.id: c.status for c in _calls() if c.id in stuck}
                == {stuck[0]: "rolled_back", stuck[1]: "applied"}
            ),
            timeout=60,
            message="the stuck debit rolled back and the stuck credit delivered",
        )
    assert ExternalCall.objects.using(using).get(id=fresh).status == "pending"
    books_balance()
