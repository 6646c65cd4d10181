"""``make run``'s stack, started for real: every role up, the demo brand served, Ctrl-C stops all;
and a missing service reported in one line."""

import json
import os
import signal
import subprocess
import sys

import pytest

from betting.stack.roles import Role
from betting.stack.services import ROOT
from tests import live, processes


def _stack(port):
    role = Role("stack", [sys.executable, "-m", "betting.stack", "run", "--port", str(port)])
    return processes.start(
        role, env={"ADMIN_PASSWORD": "stack test passphrase", "LOG_LEVEL": "INFO"}
    )


def test_the_stack_serves_the_demo_brand_and_stops_on_ctrl_c(clean):
    port = live.free_port()
    stack = _stack(port)
    try:
        for pool in ("shard0@", "shard1@", "global@"):
            stack.wait_for(f"{pool}", timeout=120)
        processes.wait_until(
            lambda: stack.output().count(" ready.") >= 3, timeout=120, message="pools ready"
        )

        def web_up() -> bool:  # granian's workers import Django after the pools may be ready
            # The probe listener starts inside a worker as it loads the application, which can
            # be before granian accepts on the public port: wait for both.
            try:
                return (
                    live.http_get(port + 3, "/healthz", timeout=1)[0] == 200
                    and live.http_get(port, "/", host="nobody.localhost", timeout=2)[0] == 404
                )
            except OSError:
                return False

        processes.wait_until(web_up, timeout=60, message="web answering")
        # The probes answer on the internal listener (port + 3) only; the public port says 404.
        status, body = live.http_get(port + 3, "/readyz")
        assert status == 200, body
        assert json.loads(body)["status"] == "ready"
        checks = json.loads(body)["checks"]
        assert {"global_db", "shard_0", "shard_1", "redis", "broker"} <= set(checks)
        assert all(c["status"] == "up" for c in checks.values())
        status, home = live.http_get(port, "/", host="demo.localhost")
        assert status == 200 and "Demo Sportsbook" in home
        assert live.http_get(port, "/admin/login/", host="demo.localhost")[0] == 200
        assert live.http_get(port, "/admin/login/", host="localhost")[0] == 200
        assert live.http_get(port, "/", host="nobody.localhost")[0] == 404
        assert live.http_get(port, "/readyz", host="demo.localhost")[0] == 404
        # The players' sockets beside web (port + 2), where pages open them; probes on port + 4.
        assert live.http_get(port + 4, "/healthz")[0] == 200
        # The simulated feed runs from the first start: events with odds on the sportsbook.
        processes.wait_until(
            lambda: "/sports/events/" in live.http_get(port, "/sports/", host="demo.localhost")[1],
            timeout=90,
            interval=1,
            message="events on the demo sportsbook",
        )
    finally:
        os.killpg(stack.proc.pid, signal.SIGINT)
        stack.proc.wait(60)
    out = stack.output()
    assert stack.proc.returncode == 0, out[-3000:]
    lines = out.splitlines()
    roles_seen = (
        "web",
        "live-odds",
        "sockets",
        "shard-0",
        "shard-1",
        "global",
        "relay",
        "beat",
        "feed-simulator",
        "provider-uof",
        "video-simulator",
        "provider-video",
    )
    for role in roles_seen:
        assert any(line.startswith(role) for line in lines), f"{role} never started"
    assert f"http://demo.localhost:{port}/" in out
    with pytest.raises(OSError):
        live.http_get(port + 3, "/healthz", timeout=2)


@pytest.mark.parametrize(
    ("variable", "url", "named"),
    [
        ("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/betting", "PostgreSQL (DATABASE_URL)"),
        ("REDIS_URL", "redis://127.0.0.1:1/0", "Redis (REDIS_URL)"),
        ("BROKER_URL", "amqp://guest:guest@127.0.0.1:1//", "message broker (BROKER_URL)"),
    ],
)
def test_a_missing_service_is_named_in_one_line(variable, url, named):
    result = subprocess.run(
        [sys.executable, "-m", "betting.stack", "run", "--port", "1"],
        cwd=ROOT,
        env={**os.environ, variable: url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: {named} at 127.0.0.1:1 is unreachable")
