"""The wallet under real concurrency and real crashes: separate processes, SIGKILL."""

import os
import random
import subprocess
import sys
import time

from apps.wallet import api
from apps.wallet.models import Operation
from betting.stack.services import ROOT
from tests import processes
from tests.wallet_helpers import books_balance, new_player

WORKER = [sys.executable, "-m", "tests.wallet_worker"]
NO_POOL = {"DB_POOL_MAX": "0"}  # 50 processes at once: one connection each, no idle pools


def _spawn(*args):
    return subprocess.Popen(
        [*WORKER, *map(str, args)],
        cwd=ROOT,
        env={**os.environ, **NO_POOL},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def test_fifty_processes_race_for_ten_debits(alpha, tmp_path):
    player = new_player(alpha, funds=100)
    go = tmp_path / "go"
    racers = [_spawn("race", alpha.id, player.id, 10, f"race-{n}", go) for n in range(50)]
    try:
        for racer in racers:
            line = racer.stdout.readline().strip()
            assert line == "ready", line + racer.stdout.read()
        go.touch()
        outcomes = [racer.communicate(timeout=120)[0].strip() for racer in racers]
    finally:
        for racer in racers:
            if racer.poll() is None:
                racer.kill()
    assert outcomes.count("applied") == 10, outcomes
    assert outcomes.count("insufficient_funds") == 40, outcomes
    balance = api.wallet_balance(brand_id=alpha.id, player_id=player.id, currency="EUR")
    assert (balance.cash, balance.reserved) == (0, 0)
    debits = Operation.objects.for_entity(player.id).filter(player_id=player.id, kind="debit")
    assert debits.count() == 10
    books_balance()


def test_a_worker_killed_mid_stream_and_restarted_applies_every_transfer_once(alpha):
    player = new_player(alpha, funds=1_000_000)
    count, prefix = 400, f"crash-{player.id}"
    rng = random.Random(7)
    kills = 0
    while True:
        argv = [*WORKER, "stream", str(alpha.id), str(player.id), str(count), prefix]
        worker = processes.start(processes.Role("wallet", argv), env=NO_POOL)
        if kills < 4:
            # Once it is posting, kill it after a random moment: mid-transaction or between.
            processes.wait_until(lambda w=worker: w.lines or w.proc.poll() is not None)
            time.sleep(rng.uniform(0.0, 0.2))
            if worker.proc.poll() is None:
                worker.kill()
                kills += 1
                continue
        assert worker.proc.wait(120) == 0, worker.output()
        break
    assert kills >= 1, "the worker finished before it could be killed; the test proved nothing"
    ops = Operation.objects.for_entity(player.id).filter(idempotency_key__startswith=f"{prefix}-")
    assert ops.count() == count
    expected = 1_000_000 + sum((100 + i) if i % 2 == 0 else -(100 + i) for i in range(count))
    balance = api.wallet_balance(brand_id=alpha.id, player_id=player.id, currency="EUR")
    assert balance.cash == expected
    books_balance()
