"""Scenario ``http``: the empty Django view's rate ladder, then player registration."""

from __future__ import annotations

import hashlib
import secrets
import time
import urllib.request
from dataclasses import asdict
from typing import Any

from django.contrib.auth.hashers import PBKDF2PasswordHasher

from bench import loadgen
from bench.stack import BRAND, Process, environment, free_port, log, processes, setup, wait_healthy
from betting.stack import roles

LADDER = [100, 150, 200, 250, 300, 350, 400, 500, 600, 800, 1000, 1250, 1600, 2000, 2500, 3200]
QUICK_LADDER = [100, 200, 300, 400, 600, 1000, 1600, 2500]
# Past its listed steps the ladder keeps climbing by a quarter a step until a step cannot keep up:
# a baseline that stops while still holding is only a floor, and every ratio against it would be
# inflated. The ceiling only bounds the run's length on a machine far faster than this one.
GROWTH = 1.25
CEILING = 100_000


def rates(listed: list[int]):
    """The offered rates: the listed steps, then growing by ``GROWTH`` up to ``CEILING``."""
    yield from listed
    rate = listed[-1]
    while rate * GROWTH <= CEILING:
        rate = int(round(rate * GROWTH, -1))
        yield rate


MIN_RATIO = 0.95  # a step holds when at least 95% of the offered rate completes OK ...
MAX_P99_MS = 100.0  # ... and its p99 latency is at most 100 ms
CONNECTIONS = 16
# This shared VM's disk stalls fsync (and so every commit) for up to a second now and then, and
# one stall decides a step's p99 at the low rates. So a step that fails is run once more; and a
# step that kept up with the rate but not with the p99 limit does not end the ladder: a higher
# step may still hold. The ladder ends at the first step that cannot keep up with its rate
# (twice): the server is saturated.
STEP_RETRIES = 1


def kept_up(result: loadgen.Result) -> bool:
    return result.achieved_rps >= MIN_RATIO * result.offered_rps


REGISTER_RATE = 3.0  # per second: below the web role's hashing ceiling (~1 / hash time)
PASSWORD = "a long enough passphrase"
HOST = BRAND["domain"]

METHOD = (
    "open loop at fixed arrival rates (wrk2 method), latency from each request's scheduled "
    f"time; a /ping step holds if >= {MIN_RATIO:.0%} of offered and p99 <= "
    f"{MAX_P99_MS:g} ms (a failed step runs once more; the ladder ends at the first step that "
    "cannot keep up with its rate: past the listed steps it climbs by 25% a step until one "
    "fails, empty_view_rps = the highest step held); the web role "
    f"(granian, WSGI, a worker per core), {CONNECTIONS} keep-alive "
    "connections, the generator "
    "on the same machine"
)


def _step(
    web: Process,
    port: int,
    rate: float,
    duration: float,
    make_request: loadgen.RequestFactory,
    **options: Any,
) -> tuple[loadgen.Result, dict]:
    """One load step: its result, and its figures with the web process's CPU use (in cores, and
    per OK reply)."""
    cpu0, t0 = web.cpu_seconds(), time.monotonic()
    result = loadgen.run(port, rate=rate, duration=duration, make_request=make_request, **options)
    cpu = web.cpu_seconds() - cpu0
    server_cpu = cpu / (time.monotonic() - t0)
    server_ms = cpu * 1000 / max(result.ok, 1)
    web.check()
    log(f"  {result.summary()}, server cpu {server_cpu:.2f} ({server_ms:.2f} ms/reply)")
    return result, {
        **asdict(result),
        "server_cpu": round(server_cpu, 2),
        "server_ms": round(server_ms, 2),
    }


def _ladder(
    web: Process,
    port: int,
    quick: bool,
    *,
    name: str = "GET /ping",
    make_request: loadgen.RequestFactory | None = None,
    key: str = "empty_view",
    listed: tuple[list[int], list[int]] = (LADDER, QUICK_LADDER),
    step_s: tuple[float, float] = (5, 2),
) -> dict:
    """The rate ladder of one request (``/ping`` unless told): its figures under ``key``_...
    ``listed``: the full and quick runs' listed steps; ``step_s``: their steps' seconds."""
    make_request = make_request or loadgen.request("GET", "/ping", host=HOST)
    seconds = step_s[1] if quick else step_s[0]
    steps_listed = listed[1] if quick else listed[0]
    log(f"{name}: warm-up")
    _step(web, port, steps_listed[0], 1 if quick else 2, make_request, connections=CONNECTIONS)
    steps: list[dict] = []
    held: dict | None = None
    failed: dict | None = None
    for rate in rates(steps_listed):
        for attempt in range(1 + STEP_RETRIES):
            log(f"{name} at {rate}/s" + (" (again)" if attempt else ""))
            result, step = _step(web, port, rate, seconds, make_request, connections=CONNECTIONS)
            steps.append(step)
            if result.held(min_ratio=MIN_RATIO, max_p99_ms=MAX_P99_MS):
                break
        if result.held(min_ratio=MIN_RATIO, max_p99_ms=MAX_P99_MS):
            held = step
        elif not kept_up(result):
            failed = step
            break
    return {
        # A floor, not the rate, if no step failed (only past CEILING): then the ratios are too.
        f"{key}_rps": held["offered_rps"] if held else 0,
        f"{key}_ceiling_reached": failed is None,
        f"{key}_achieved_rps": held["achieved_rps"] if held else 0,
        f"{key}_p50_ms": held["p50_ms"] if held else None,
        f"{key}_p99_ms": held["p99_ms"] if held else None,
        f"{key}_p999_ms": held["p999_ms"] if held else None,
        f"{key}_server_cpu": held["server_cpu"] if held else None,
        f"{key}_server_ms": held["server_ms"] if held else None,
        f"{key}_failed": _brief(failed) if failed else None,
        f"{key}_steps": [_brief(s) for s in steps],
    }


def _brief(step: dict) -> dict:
    keys = ("offered_rps", "achieved_rps", "p50_ms", "p99_ms", "p999_ms", "max_ms", "errors")
    return {k: step[k] for k in (*keys, "server_cpu", "server_ms", "client_cpu", "statuses")}


def _hash_ms() -> float:
    """What one password hash costs here: Django's default PBKDF2, measured in this process."""
    start = time.perf_counter()
    hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), b"bench-salt", PBKDF2PasswordHasher.iterations)
    return round((time.perf_counter() - start) * 1000, 1)


def _csrf_token(port: int) -> str:
    """The API refuses unsafe requests without a CSRF token: fetch one, as a client would."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/session", headers={"Host": HOST}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "csrftoken":
                return rest.split(";", 1)[0]
    raise RuntimeError("no CSRF cookie from /api/v1/session")


def _registration(web: Process, port: int, quick: bool, rate: float = REGISTER_RATE) -> dict:
    run_id = f"b{secrets.token_hex(4)}"
    token = _csrf_token(port)
    csrf = {"Cookie": f"csrftoken={token}", "X-CSRFToken": token}

    def register(index: int) -> bytes:
        name = f"{run_id}_{index}"
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        return loadgen.http_request("POST", "/api/v1/players", host=HOST, body=body, headers=csrf)

    def warm(index: int) -> bytes:
        return register(1_000_000 + index)

    options: dict[str, Any] = {"connections": 8, "timeout": 5.0, "ok_statuses": (201,)}
    log("POST /api/v1/players: warm-up")
    _step(web, port, 1, 2, warm, **options)
    log(f"POST /api/v1/players at {rate:g}/s")
    _, step = _step(web, port, rate, 4 if quick else 10, register, **options)
    return {
        "register_rate": rate,
        "register_rps": step["achieved_rps"],
        "register_p50_ms": step["p50_ms"],
        "register_p99_ms": step["p99_ms"],
        "register_errors": step["errors"],
        "register_statuses": step["statuses"],
        "register_server_cpu": step["server_cpu"],
        "register_server_ms": step["server_ms"],
        "register_hash_ms": _hash_ms(),
    }


def run(*, quick: bool = False) -> dict:
    env = environment()
    setup(env)
    port = free_port()
    with processes("http", [roles.web(port=port, probe_port=free_port())], env) as (web,):
        wait_healthy(port, web)
        log(f"web (granian, WSGI) up on 127.0.0.1:{port}")
        figures = _ladder(web, port, quick)
        figures |= _registration(web, port, quick)
    return {"method": METHOD, **figures}
