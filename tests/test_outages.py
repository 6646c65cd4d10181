"""A service that does not answer fails a request fast and clearly (503 and a code), and the
platform recovers by itself when it answers again; each role's time limits reach PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from http.cookies import SimpleCookie

import psycopg
import pytest
from django.conf import settings

from betting.stack.services import ROOT
from tests import live, processes

CLIENT_TIMEOUT_S = 10  # far above the limits under test: an answer must come before it


def _request(port: int, path: str, *, body: dict | None = None, cookies: dict | None = None):
    """(status, headers, JSON body) of one request to alpha's site, with the client's timeout."""
    headers = {"Host": "alpha.localhost", "Content-Type": "application/json"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if "csrftoken" in cookies:
            headers["X-CSRFToken"] = cookies["csrftoken"]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers=headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT_S) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, json.loads(exc.read() or b"null")


def _registered(port: int) -> dict:
    """The cookies of a player registered (and so logged in) on alpha through the API."""
    token = live.csrf_token(port, "alpha.localhost")
    body = {"username": "frozen", "email": "f@example.com", "password": "a long passphrase"}
    status, headers, answer = _request(
        port, "/api/v1/players", body=body, cookies={"csrftoken": token}
    )
    assert status == 201, answer
    cookies = {"csrftoken": token}
    for header in headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie(header)
        cookies.update({name: morsel.value for name, morsel in cookie.items()})
    assert "sessionid" in cookies
    return cookies


def test_a_web_request_answers_503_while_redis_is_frozen_and_recovers_after(alpha):
    with processes.private_redis() as (redis_port, redis_proc):
        env = {"REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "REDIS_SOCKET_TIMEOUT_S": "1"}
        with live.web_process(env=env) as web:
            cookies = _registered(web.port)
            status, _, answer = _request(web.port, "/api/v1/session", cookies=cookies)
            assert (status, answer["authenticated"]) == (200, True)
            keys = processes.redis_stat(redis_port, "keyspace_hits")
            assert keys > 0  # the session was read from this Redis

            os.kill(redis_proc.pid, signal.SIGSTOP)  # accepts connections, answers nothing
            try:
                started = time.monotonic()
                status, headers, answer = _request(web.port, "/api/v1/session", cookies=cookies)
                waited = time.monotonic() - started
            finally:
                os.kill(redis_proc.pid, signal.SIGCONT)
            assert status == 503, answer
            assert answer["error"]["code"] == "redis_unavailable"
            assert headers["Retry-After"] == "5"
            assert waited < CLIENT_TIMEOUT_S

            # Redis answers again: the same web process serves the same session.
            status, _, answer = _request(web.port, "/api/v1/session", cookies=cookies)
            assert (status, answer["authenticated"]) == (200, True), answer
            assert web.process.proc.poll() is None


def _global_db() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    params = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"]}
    params.update({"host": db["HOST"], "port": db["PORT"]})
    return psycopg.connect(**{k: v for k, v in params.items() if v}, connect_timeout=5)


@pytest.mark.parametrize(
    ("limits", "code"),
    [
        ({"DB_STATEMENT_TIMEOUT_MS": "1000", "DB_LOCK_TIMEOUT_MS": "0"}, "database_timeout"),
        ({"DB_STATEMENT_TIMEOUT_MS": "0", "DB_LOCK_TIMEOUT_MS": "500"}, "database_busy"),
    ],
)
def test_a_web_request_stuck_behind_a_lock_is_cancelled_and_answers_503(clean, limits, code):
    """A table locked by a long transaction (a migration, an operator's session): the web role's
    statement or lock limit cancels the request's query and the client gets a code."""
    with live.web_process(env=limits) as web:
        holder = _global_db()
        try:
            holder.execute("LOCK TABLE brands_domain IN ACCESS EXCLUSIVE MODE")
            # The process has not looked up alpha's host yet: its first request reads the table.
            started = time.monotonic()
            status, headers, answer = _request(web.port, "/api/v1/session")
            waited = time.monotonic() - started
        finally:
            holder.rollback()
            holder.close()
        assert status == 503, answer
        assert answer["error"]["code"] == code
        assert headers["Retry-After"] == "5"
        assert waited < CLIENT_TIMEOUT_S
        # The lock gone, the same process serves the site.
        assert _request(web.port, "/api/v1/session")[0] == 200


_SHOW_LIMITS = """
import django
django.setup()
from django.db import connections
with connections["default"].cursor() as cursor:
    shown = []
    for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"):
        cursor.execute("SELECT current_setting(%s)", [name])
        shown.append(cursor.fetchone()[0])
print(" ".join(shown))
"""


def _in_role(role: str, code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PROCESS_ROLE": role},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("web", "5s 2s 10s"),
        ("sockets", "5s 2s 10s"),
        ("relay", "30s 10s 1min"),
        ("worker", "5min 30s 5min"),
        ("migrate", "0 1min 0"),
    ],
)
def test_each_role_connects_with_its_own_time_limits(platform, role, shown):
    result = _in_role(role, _SHOW_LIMITS)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == shown.split()


def test_a_web_role_statement_longer_than_its_limit_is_cancelled(platform):
    code = (
        "import django, time\n"
        "django.setup()\n"
        "from django.db import OperationalError, connections\n"
        "started = time.monotonic()\n"
        "try:\n"
        "    with connections['default'].cursor() as cursor:\n"
        "        cursor.execute('SELECT pg_sleep(30)')\n"
        "except OperationalError as exc:\n"
        "    print(type(exc.__cause__).__name__, round(time.monotonic() - started))\n"
    )
    result = _in_role("web", code, timeout=25)
    assert result.returncode == 0, result.stderr[-2000:]
    name, seconds = result.stdout.split()
    assert name == "QueryCanceled"
    assert int(seconds) < 25


def test_an_unknown_role_is_refused_at_start():
    result = _in_role("webb", "import django; django.setup()")
    assert result.returncode != 0
    assert "PROCESS_ROLE must be one of" in result.stderr
