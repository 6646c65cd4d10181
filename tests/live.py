"""Real web processes for tests that talk HTTP or websockets over loopback: web (granian, HTTP),
sockets (daphne, the player's websocket) and the live-odds gateway (event pages' sockets)."""

from __future__ import annotations

import contextlib
import socket
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from websockets.sync.client import ClientConnection, connect

from betting.stack import roles
from tests import processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(port: int, path: str, host: str = "localhost", timeout: float = 10):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@contextlib.contextmanager
def _serving(
    role: roles.Role, port: int, probe_port: int, env: dict[str, str] | None = None
) -> Iterator[processes.Running]:
    """Start ``role`` and wait until its internal listener answers ``/healthz`` and its public
    port accepts connections (the server binds it after loading the application)."""
    proc = processes.start(role, env=env)
    try:

        def up() -> bool:
            if proc.proc.poll() is not None:
                raise RuntimeError(f"{role.name} exited early:\n{proc.output()[-3000:]}")
            try:
                if http_get(probe_port, "/healthz", timeout=1)[0] != 200:
                    return False
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                return False
            return True

        processes.wait_until(up, timeout=60, message=f"{role.name} on {port} and {probe_port}")
        yield proc
    finally:
        proc.stop()


@dataclass(frozen=True)
class Serving:
    port: int  # the public port
    probe_port: int  # the internal listener (probes, metrics)
    process: processes.Running


@contextlib.contextmanager
def web_process(
    *, workers: int = 1, threads: int | None = None, env: dict[str, str] | None = None
) -> Iterator[Serving]:
    """The web role with its ports and process, and ``env`` on top of this run's."""
    port, probe_port = free_port(), free_port()
    role = roles.web(port=port, workers=workers, threads=threads, probe_port=probe_port)
    with _serving(role, port, probe_port, env) as proc:
        yield Serving(port, probe_port, proc)


@contextlib.contextmanager
def web_server(*, workers: int = 1, threads: int | None = None) -> Iterator[int]:
    """The web role (granian: all HTTP) on a free port. One worker process unless asked: tests
    share the machine's cores, and some count what one process holds (database connections)."""
    with web_process(workers=workers, threads=threads) as serving:
        yield serving.port


@contextlib.contextmanager
def sockets_server() -> Iterator[int]:
    """The sockets role (daphne: the player's websocket, /ws/player/) on a free port."""
    port, probe_port = free_port(), free_port()
    with _serving(roles.sockets(port=port, probe_port=probe_port), port, probe_port):
        yield port


def websocket(
    port: int,
    host: str,
    cookie: str | None = None,
    path: str = "/ws/player/",
    origin: str | None = None,
) -> ClientConnection:
    """A websocket to ``host`` (on loopback), as a browser's page would open it when ``origin``
    is given (its Origin header)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    headers = {"Cookie": f"sessionid={cookie}"} if cookie else None
    return connect(
        f"ws://{host}:{port}{path}",
        sock=sock,
        additional_headers=headers,
        origin=origin,
        proxy=None,
        open_timeout=10,
    )


def csrf_token(port: int, host: str) -> str:
    """A CSRF token (and its cookie value) from the API, for unsafe requests from outside."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/session", headers={"Host": host}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "csrftoken":
                return rest.split(";", 1)[0]
    raise RuntimeError("no CSRF cookie from /api/v1/session")


@contextlib.contextmanager
def gateway_server() -> Iterator[int]:
    """The live-odds gateway (event pages' sockets) on a free port."""
    port = free_port()
    proc = processes.start(roles.live_gateway(port=port))
    try:
        proc.wait_for(roles.GATEWAY_READY, timeout=60)
        yield port
    finally:
        proc.stop()
