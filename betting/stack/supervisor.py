"""Run several processes in the foreground; prefix their output; stop them all together.

Ctrl-C (SIGINT) or SIGTERM stops every process (SIGTERM, then SIGKILL after a grace period). If
one process exits on its own, the others are stopped too, so a broken stack is never half up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from betting.stack.roles import Role

GRACE_S = 10.0


class Supervisor:
    def __init__(self, roles: Sequence[Role], *, cwd: str, env: dict[str, str]) -> None:
        self.roles = list(roles)
        self.cwd = cwd
        self.env = env
        self.procs: dict[str, subprocess.Popen] = {}
        self._stopping = threading.Event()
        self._width = max(len(r.name) for r in self.roles)

    def _pump(self, name: str, stream) -> None:
        prefix = f"{name:<{self._width}} | "
        for line in iter(stream.readline, b""):
            sys.stdout.write(prefix + line.decode(errors="replace"))
            sys.stdout.flush()

    def start(self) -> None:
        for role in self.roles:
            proc = subprocess.Popen(  # noqa: S603 (our own role commands)
                role.argv,
                cwd=self.cwd,
                env={**self.env, **role.env},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.procs[role.name] = proc
            threading.Thread(target=self._pump, args=(role.name, proc.stdout), daemon=True).start()

    def wait(self) -> int:
        """Block until a signal or until one process exits; then stop all. The exit status."""
        signal.signal(signal.SIGINT, lambda *_: self._stopping.set())
        signal.signal(signal.SIGTERM, lambda *_: self._stopping.set())
        status = 0
        while not self._stopping.is_set():
            for name, proc in self.procs.items():
                code = proc.poll()
                if code is not None:
                    print(f"{name} exited with status {code}; stopping the stack", flush=True)
                    status = code or 1
                    self._stopping.set()
                    break
            self._stopping.wait(0.5)
        self.stop()
        return status

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_S
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
