"""The browser tests' harness: the real stack on loopback, Debian's Chromium driven by Playwright,
and screenshots.

Nothing is downloaded: Playwright (the pip package) drives the system's Chromium at
``/usr/bin/chromium``, which the project's set-up installs (``make browser-deps``, part of
``make test``). Without it the browser tests fail with the command that installs it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from betting.stack import roles
from betting.stack.services import ROOT
from tests import live, processes

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
INSTALL = "apt-get install -y --no-install-recommends chromium"
# Flags for a headless, quiet browser that talks to nothing but the stack on loopback. Brand hosts
# (*.localhost) resolve to loopback. Playwright gives every launch a fresh --user-data-dir (a new
# temporary profile) and refuses one passed here.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
]
WIDE, PHONE = 1280, 390  # the two widths pages are looked at (and screenshotted)
HEIGHT = {WIDE: 900, PHONE: 844}
SHOTS = ROOT / "var" / "browser"
FAILURES = SHOTS / "failures"


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, with the command that fixes it; None if they can."""
    if not CHROMIUM.exists():
        return (
            f"the browser tests need Debian's Chromium at {CHROMIUM}: run `make browser-deps` "
            f"(as root) or `sudo {INSTALL}`"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "the browser tests need Playwright for Python (requirements-dev.txt): run "
            "`PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 .venv/bin/pip install -r requirements-dev.txt`"
            " (never `playwright install`: the tests use the system's Chromium)"
        )
    return None


@dataclass
class Stack:
    """The platform's processes for one browser run, and the addresses pages are opened at."""

    web: int
    sockets: int
    gateway: int
    running: list[processes.Running] = field(default_factory=list)

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.web}{path}"

    def player_sockets(self) -> int:
        """How many player sockets the sockets role has accepted so far (its access log)."""
        sockets = next(p for p in self.running if p.role.name == "sockets")
        return sockets.output().count('"WSCONNECT /ws/player/"')

    @contextlib.contextmanager
    def new_player_socket(self, timeout: float = 30) -> Iterator[None]:
        """Around opening a page: until the page's player socket is accepted (a push sent from
        then on reaches it)."""
        before = self.player_sockets()
        yield
        processes.wait_until(
            lambda: self.player_sockets() > before,
            timeout=timeout,
            message="the page's player socket accepted by the sockets role",
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.role.name} (exit {p.proc.poll()})\n{p.output()[-4000:]}" for p in self.running
        )


def _stack_env(gateway: int, sockets: int) -> dict[str, str]:
    return {
        # Pages open their sockets on the page's host at these ports (as `make run` does).
        "LIVE_ODDS_PORT": str(gateway),
        "PLAYER_SOCKET_PORT": str(sockets),
        # Plain HTTP on loopback: cookies without the Secure flag; the brands' hosts and the
        # platform's (localhost).
        "SECURE_COOKIES": "0",
        "ALLOWED_HOSTS": "localhost,.localhost,127.0.0.1",
    }


@contextlib.contextmanager
def stack_running(shard_count: int) -> Iterator[Stack]:
    """web (granian), sockets (daphne), the live-odds gateway, each shard's pool, the global
    worker and the outbox relay, on free loopback ports, with this test run's databases, Redis
    prefix and queue namespace (inherited from the test process). All start at once; each is
    waited for before the stack is handed over."""
    web, web_probe = live.free_port(), live.free_port()
    sockets, sockets_probe = live.free_port(), live.free_port()
    gateway = live.free_port()
    env = _stack_env(gateway, sockets)
    stack = Stack(web=web, sockets=sockets, gateway=gateway)
    probed = [
        (roles.web(port=web, workers=1, threads=4, probe_port=web_probe), web, web_probe),
        (roles.sockets(port=sockets, probe_port=sockets_probe), sockets, sockets_probe),
    ]
    waited = [
        (roles.live_gateway(port=gateway), roles.GATEWAY_READY),
        *((roles.shard_pool(k, concurrency=1), processes.WORKER_READY) for k in range(shard_count)),
        (roles.global_worker(concurrency=1), processes.WORKER_READY),
        (roles.relay(), processes.RELAY_READY),
    ]
    try:
        for role, *_ in probed:
            stack.running.append(processes.start(role, env=env))
        for role, _ in waited:
            stack.running.append(processes.start(role, env=env))
        for proc, (_, port, probe) in zip(stack.running, probed, strict=False):
            processes.wait_until(
                lambda proc=proc, port=port, probe=probe: _serving(proc, port, probe),
                timeout=90,
                message=f"{proc.role.name} on {port}:\n{proc.output()[-3000:]}",
            )
        for proc, (_, ready) in zip(stack.running[len(probed) :], waited, strict=True):
            proc.wait_for(ready, timeout=90)
        yield stack
    finally:
        for proc in reversed(stack.running):
            proc.stop()


def _serving(proc: processes.Running, port: int, probe: int) -> bool:
    if proc.proc.poll() is not None:
        raise RuntimeError(f"{proc.role.name} exited early:\n{proc.output()[-3000:]}")
    try:
        if live.http_get(probe, "/healthz", timeout=1)[0] != 200:
            return False
        with contextlib.closing(live.socket.create_connection(("127.0.0.1", port), timeout=1)):
            return True
    except OSError:
        return False


class Actor:
    """One person at a browser: their own context (cookies, storage), one page, its console."""

    def __init__(self, browser, name: str, width: int = WIDE) -> None:
        self.name = name
        self.context = browser.new_context(viewport={"width": width, "height": HEIGHT[width]})
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on(
            "requestfailed",
            lambda r: self.console.append(f"requestfailed: {r.method} {r.url} {r.failure}"),
        )
        # Requests under way (a page's script fetching a part to swap in).
        self.inflight: set = set()
        self.page.on(
            "request",
            lambda r: self.inflight.add(r) if r.resource_type != "websocket" else None,
        )
        self.page.on("requestfinished", lambda r: self.inflight.discard(r))
        self.page.on("requestfailed", lambda r: self.inflight.discard(r))
        # The page's websockets ([address, messages received]), since it last navigated.
        self.sockets: list[list] = []
        self.page.on("websocket", self._socket_opened)
        self.page.on(
            "framenavigated",
            lambda frame: self.sockets.clear() if frame == self.page.main_frame else None,
        )

    def _socket_opened(self, socket) -> None:
        self.console.append(f"websocket: {socket.url}")
        entry = [socket.url, 0]
        self.sockets.append(entry)

        def received(_payload) -> None:
            entry[1] += 1

        socket.on("framereceived", received)
        socket.on("close", lambda _s: self.console.append(f"closed: {entry[0]}"))

    def wait_for_socket(self, path: str, timeout: float = 30) -> None:
        """Until the page has a websocket whose address contains ``path``, every such socket has
        received a message and no request of the page is under way (the event page fetches its
        markets again on a socket's first message, and swaps them in when they arrive): a
        change from now on reaches the page and stays."""

        def live() -> bool:
            self.page.wait_for_timeout(20)  # lets the browser's events in
            mine = [n for url, n in self.sockets if path in url]
            return bool(mine) and all(mine) and not self.inflight

        message = f"a message on the page's {path} sockets; {self.sockets}, {self.inflight}"
        processes.wait_until(live, timeout=timeout, message=message)
        self.page.wait_for_timeout(100)  # a fetch started by the last message
        processes.wait_until(lambda: not self.inflight, timeout=timeout, message=message)

    def shot(
        self, name: str, *, widths: tuple[int, ...] = (WIDE, PHONE), open_slip: bool = False
    ) -> list[Path]:
        """Screenshots of the page as it is, at each width (full page), under var/browser/.
        ``open_slip``: where the slip is a drawer (phones), opened for the picture, then shut."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        before = self.page.viewport_size
        paths = []
        for width in widths:
            self.page.set_viewport_size({"width": width, "height": HEIGHT.get(width, 900)})
            toggle = self.page.locator("[data-slip-toggle]")
            opened = (
                open_slip
                and toggle.count() == 1
                and toggle.is_visible()
                and toggle.get_attribute("aria-expanded") == "false"
            )
            if opened:
                toggle.click()
            path = SHOTS / f"{name}-{width}.png"
            self.page.screenshot(path=str(path), full_page=True)
            paths.append(path)
            if opened:
                toggle.click()
        self.page.set_viewport_size(before)
        return paths

    def save_failure(self, test: str) -> list[Path]:
        """The page's screenshot and console log under var/browser/failures/."""
        FAILURES.mkdir(parents=True, exist_ok=True)
        stem = FAILURES / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', test)}-{self.name}"
        saved = []
        with contextlib.suppress(Exception):
            self.page.screenshot(path=f"{stem}.png", full_page=True)
            saved.append(Path(f"{stem}.png"))
        log = [f"url: {self.page.url}", *self.console]
        Path(f"{stem}.console.log").write_text("\n".join(log) + "\n")
        saved.append(Path(f"{stem}.console.log"))
        return saved

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()


def clear_failures() -> None:
    shutil.rmtree(FAILURES, ignore_errors=True)
