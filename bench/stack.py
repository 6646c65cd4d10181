"""The benchmark stack: its own database and Redis db, set up, and role processes started."""

from __future__ import annotations

import contextlib
import functools
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from betting.stack.roles import Role
from betting.stack.services import ROOT, VAR, resolve

DATABASE = "betting_bench"
REDIS_DB = 14
SHARD_COUNT = 2
BRAND = {"slug": "bench", "name": "Bench", "domain": "bench.localhost"}
RESULTS = VAR / "bench"

# Only these are inherited from the caller: every platform setting is chosen below, so a
# DEBUG, fast-hashing, Sentry or shard-URL variable left in the shell cannot skew or leak.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "XDG_RUNTIME_DIR", "VIRTUAL_ENV")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _with_path(url: str, path: str) -> str:
    """The same server URL with another database (name for PostgreSQL, number for Redis)."""
    return urlsplit(url)._replace(path=path).geturl()


@functools.cache
def environment() -> dict[str, str]:
    """Resolve the services (embedded ones start here, once) and every Django process's env."""
    services = resolve(database_name=DATABASE)
    redis_url = _with_path(services.redis_url, f"/{REDIS_DB}")
    broker_url = redis_url if services.broker_url == services.redis_url else services.broker_url
    if services.embedded:
        log(f"embedded services: {', '.join(services.embedded)}")
    env = {k: os.environ[k] for k in _INHERITED if k in os.environ}
    env.update(
        DATABASE_URL=_with_path(services.database_url, f"/{DATABASE}"),
        REDIS_URL=redis_url,
        BROKER_URL=broker_url,
        # A fresh key for each benchmark run: served settings refuse a key known to everyone.
        SECRET_KEY=secrets.token_urlsafe(40),
        # The bench brand's and the probes' hosts; plain HTTP on loopback.
        ALLOWED_HOSTS="localhost,.localhost,127.0.0.1",
        SECURE_COOKIES="0",
        OUTBOX_SIGNING_KEY="bench-only-not-a-secret",
        # Every load comes from loopback: the registration benchmark measures a password's hash,
        # not the login windows that would answer it 429 after ten a minute.
        THROTTLE_EXEMPT_NETWORKS="127.0.0.0/8",
        SHARD_COUNT=str(SHARD_COUNT),
        LOG_LEVEL="WARNING",
        LOG_FORMAT="plain",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    """A management command; its output goes to stderr, stdout is kept for the figures."""
    command = [sys.executable, "manage.py", *args]
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=sys.stderr)


def setup(env: dict[str, str]) -> None:
    """Create and migrate the benchmark databases and the bench brand (idempotent)."""
    log(f"migrating {DATABASE} and its {SHARD_COUNT} shards")
    manage(env, "migrate_all", "--create-databases", "-v0")
    manage(
        env,
        "create_brand",
        *("--slug", BRAND["slug"], "--name", BRAND["name"], "--domain", BRAND["domain"]),
        *("--currency", "EUR", "--if-missing"),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """One role process in its own session, its output in ``var/bench/<scenario>-<role>.log``."""

    def __init__(self, role: Role, env: dict[str, str], logfile: Path) -> None:
        self.role = role
        self.logfile = logfile
        with logfile.open("wb") as out:
            self.proc = subprocess.Popen(
                role.argv,
                cwd=ROOT,
                env={**env, **role.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def check(self) -> None:
        if self.proc.poll() is not None:
            tail = self.logfile.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.role.name} exited with {self.proc.returncode}:\n{tail}")

    def cpu_seconds(self) -> float:
        """User + system CPU time the role has used so far: its process and every process of
        its session (a server's workers), and children it has reaped (Linux ``/proc``; 0
        elsewhere)."""
        return sum(self.cpu_by_pid().values())

    def cpu_by_pid(self) -> dict[int, float]:
        """CPU seconds of each live process of the role's session (the role started one of its
        own); the role's own process also counts the children it has reaped."""
        found: dict[int, float] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) != self.proc.pid:
                continue
            ticks = int(fields[11]) + int(fields[12])
            if int(entry.name) == self.proc.pid:
                ticks += int(fields[13]) + int(fields[14])
            found[int(entry.name)] = ticks / os.sysconf("SC_CLK_TCK")
        return found

    def stop(self, grace: float = 10) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


@contextlib.contextmanager
def processes(scenario: str, roles: list[Role], env: dict[str, str]) -> Iterator[list[Process]]:
    """Start the roles; stop every one of them on the way out, whatever happened."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    started: list[Process] = []
    try:
        for role in roles:
            started.append(Process(role, env, RESULTS / f"{scenario}-{role.name}.log"))
        yield started
    finally:
        for proc in reversed(started):
            proc.stop()
        log(f"stopped {', '.join(p.role.name for p in started) or 'nothing'}")


def wait_healthy(port: int, proc: Process, timeout: float = 60) -> None:
    """Block until the role's internal listener answers ``GET /healthz`` with 200 and its public
    ``port`` accepts connections (granian binds it after loading the application)."""
    probe_port = int(proc.role.env["PROBE_PORT"])
    deadline = time.monotonic() + timeout
    while True:
        proc.check()
        conn = http.client.HTTPConnection("127.0.0.1", probe_port, timeout=1)
        with contextlib.suppress(OSError), contextlib.closing(conn):
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", port), timeout=1),
                ):
                    return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{proc.role.name} on port {port} not healthy after {timeout:.0f}s")
        time.sleep(0.1)
