"""Redis per role: the ACL users of ``docker/redis/users.sh`` on a private redis-server confine
each role to the installation's keys and channels and refuse dangerous commands, the platform's
cache (and so its sessions) works as such a user, and through a Sentinel to the primary."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
import redis

from betting.stack.services import ROOT
from tests.private_services import PrivateRedis

PREFIX = "acl-test"
ROLES = ("web", "sockets", "live-odds", "worker", "relay", "beat", "provider")


def _passwords() -> dict[str, str]:
    return {role: secrets.token_hex(12) for role in (*ROLES, "replica", "sentinel")}


def _users(passwords: dict[str, str]) -> str:
    env = {
        **os.environ,
        "REDIS_PREFIX": PREFIX,
        **{f"REDIS_PASSWORD_{r.upper().replace('-', '_')}": p for r, p in passwords.items()},
    }
    done = subprocess.run(
        ["sh", str(ROOT / "docker" / "redis" / "users.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def passwords():
    return _passwords()


@pytest.fixture
def primary(tmp_path, passwords):
    server = PrivateRedis(tmp_path / "primary", config=_users(passwords))
    yield server
    server.stop()


def _as(server: PrivateRedis, role: str, password: str) -> redis.Redis:
    return redis.Redis(port=server.port, username=role, password=password, socket_timeout=5)


def _cache_roundtrip(env: dict[str, str]) -> str:
    """In a real process configured by ``env``: a session saved and read back through the
    platform's cache."""
    code = (
        "import django; django.setup()\n"
        "from django.contrib.sessions.backends.cache import SessionStore\n"
        "s = SessionStore(); s['player'] = 42; s.create(); s.save()\n"
        "print(s.session_key, SessionStore(session_key=s.session_key)['player'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "REDIS_PREFIX": PREFIX, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.split()[0]


def test_a_role_reaches_only_its_prefix_and_no_dangerous_command(primary, passwords):
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=primary.port).set(f"{PREFIX}:x", 1)  # the default user is off
    with pytest.raises(redis.AuthenticationError):
        _as(primary, "web", "wrong").ping()
    web = _as(primary, "web", passwords["web"])
    web.set(f"{PREFIX}:session:1", "mine")
    assert web.get(f"{PREFIX}:session:1") == b"mine"
    web.publish(f"{PREFIX}:ws:player.1", "hint")
    for command in (
        ("FLUSHALL",),
        ("FLUSHDB",),
        ("CONFIG", "SET", "appendonly", "no"),
        ("KEYS", "*"),
        ("DEBUG", "SLEEP", "0"),
        ("ACL", "LIST"),
        ("SET", "other:session:1", "forged"),
        ("GET", "other:session:1"),
        ("PUBLISH", "other:ws", "x"),
    ):
        with pytest.raises(redis.exceptions.NoPermissionError):
            web.execute_command(*command)
    probe = _as(primary, "probe", "")
    assert probe.ping()
    with pytest.raises(redis.exceptions.NoPermissionError):
        probe.get(f"{PREFIX}:session:1")
    # Nothing was flushed or forged: the web role's key stands alone.
    replica = _as(primary, "replica", passwords["replica"])
    with pytest.raises(redis.exceptions.NoPermissionError):
        replica.get(f"{PREFIX}:session:1")
    assert web.get(f"{PREFIX}:session:1") == b"mine"
    with pytest.raises(redis.exceptions.NoPermissionError):
        web.exists("other:session:1")


def test_the_platform_cache_and_sessions_work_as_a_role(primary, passwords):
    url = f"redis://web:{passwords['web']}@127.0.0.1:{primary.port}/0"
    key = _cache_roundtrip({"REDIS_URL": url})
    assert any(key in k.decode() for k in _as(primary, "web", passwords["web"]).scan_iter())


def test_the_platform_cache_reaches_the_primary_through_a_sentinel(tmp_path, primary, passwords):
    sentinel = PrivateRedis(
        tmp_path / "sentinel",
        sentinel=True,
        config=(
            f"sentinel monitor betting 127.0.0.1 {primary.port} 1\n"
            "sentinel auth-user betting sentinel\n"
            f"sentinel auth-pass betting {passwords['sentinel']}\n"
        ),
    )
    try:
        probe = redis.Redis(port=sentinel.port, socket_timeout=5, decode_responses=True)
        assert probe.sentinel_get_master_addr_by_name("betting") == ("127.0.0.1", primary.port)
        # REDIS_URL's host is not used: the sentinels name the primary.
        key = _cache_roundtrip(
            {
                "REDIS_URL": f"redis://web:{passwords['web']}@unused.invalid:1/0",
                "REDIS_SENTINELS": f"127.0.0.1:{sentinel.port}",
                "REDIS_SENTINEL_MASTER": "betting",
            }
        )
    finally:
        sentinel.stop()
    keys = [k.decode() for k in _as(primary, "web", passwords["web"]).scan_iter()]
    assert any(key in k and k.startswith(f"{PREFIX}:") for k in keys), keys
