"""Starting real platform processes (worker pools, relay, the whole stack) from tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

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
