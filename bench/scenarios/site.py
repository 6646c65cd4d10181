"""Scenario ``site``: the player's site and the public catalog API under load, each page's rate
ladder against the ``/ping`` ladder of the same server in the same run.

1. **Set-up** (a Django process, this module's ``main``): the earlier runs' site events are
   closed (so each run sees the same catalog), then ``EVENTS`` football events made as the
   ``bets`` scenario makes its own (``bets._events``: ``apps.catalog.fixtures`` and a 1x2 line
   each through ``FeedBatch``, replicated to the shards): ``LIVE`` of them started 50 minutes ago
   and live with a score, the others starting from 10 minutes on, one every ``SPREAD`` (all
   within the site's two days of "upcoming").
2. **Baseline**: the web role as ``make run`` starts it (``roles.web``: granian, Django's WSGI
   application, one worker process per core); the ``http`` scenario's ``/ping`` ladder.
3. **Pages**, on the same server, one ladder each (``http._ladder`` with lower listed steps), as
   an anonymous visitor (no cookie): ``GET /``, ``GET /sports/``,
   ``GET /api/v1/events?upcoming=true`` and ``GET /api/v1/events/<id>`` (the run's events in
   turn). Loopback is in ``THROTTLE_EXEMPT_NETWORKS`` (``bench.stack``), so the API's limiter
   (``apps.api.throttle``, 600 a minute per address otherwise) counts nothing: every status is
   200, which each step's statuses show.

``BENCH_SITE_PROFILE=1`` adds, after the ladders, each page through Django's test client (no
server) under cProfile: ``var/bench/site-profile-<page>.txt`` (the slowest functions by
cumulative time) and the in-process ms per page.

Run as a Django program:  setup <world.json>  |  profile <world.json> <out.json>
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import urllib.request

from bench import loadgen
from bench.scenarios import bets, http
from bench.stack import RESULTS, environment, free_port, log, processes, setup, wait_healthy
from betting.stack import roles
from betting.stack.services import ROOT

EVENTS = 200
LIVE = 20
SPREAD = dt.timedelta(minutes=15)  # between two upcoming events' starts: 180 in 45 hours
NAME_PREFIX = "Home site"  # the site events' home names: "Home site<hex> <k>"
HOST = http.HOST
# Pages cost far more than /ping: their ladders start lower (and climb by a quarter a step past
# the listed ones, as /ping's does).
LADDER = [2, 4, 6, 8, 10, 15, 20, 30, 40, 50, 60, 80, 100, 125, 160, 200, 250, 320, 400]
QUICK_LADDER = [2, 5, 10, 25, 50, 100, 200]
STEP_S, QUICK_STEP_S = 4.0, 2.0
PROFILE_REQUESTS = 100
_SELF = [
    sys.executable,
    "-c",
    "import sys, bench.scenarios.site as s; sys.exit(s.main(sys.argv[1:]))",
]

METHOD = (
    "the web role (roles.web: granian, Django's WSGI application, one worker process per core); "
    "baseline: the http scenario's /ping ladder; then on the same server, in the same run, one "
    "open-loop ladder per page (wrk2 method, latency from each request's scheduled time, "
    f"{http.CONNECTIONS} keep-alive connections, the generator on the same machine, "
    "{step:g} s a step after a warm-up, an anonymous visitor: no cookie), a step holds if >= "
    f"{http.MIN_RATIO:.0%} of the offered rate gets 200 and p99 <= {http.MAX_P99_MS:g} ms (a "
    "failed step runs once more; the ladder ends at the first step that cannot keep up with its "
    "rate; past the listed steps it climbs by 25% a step); <page>_rps = the highest step held, "
    "<page>_ratio = <page>_rps / empty_view_rps; <page>_kept_up_rps = the highest step with >= "
    f"{http.MIN_RATIO:.0%} of its rate answered 200 whatever its p99; server ms = the web "
    "role's CPU per 200 reply. "
    f"Catalog: {EVENTS} football events with a 1x2 line each ({LIVE} live with a score, the "
    "others starting within two days); GET /api/v1/events/<id> goes through them in turn"
)


def _pages(world: dict) -> list[tuple[str, str, loadgen.RequestFactory]]:
    """(key, name, request factory) of each page measured."""
    html = "text/html,application/xhtml+xml"
    details = [
        loadgen.http_request("GET", f"/api/v1/events/{event_id}", host=HOST)
        for event_id in world["live"] + world["upcoming"]
    ]
    return [
        ("home", "GET /", loadgen.request("GET", "/", host=HOST, accept=html)),
        ("sports", "GET /sports/", loadgen.request("GET", "/sports/", host=HOST, accept=html)),
        (
            "api_events",
            "GET /api/v1/events?upcoming=true",
            loadgen.request("GET", "/api/v1/events?upcoming=true", host=HOST),
        ),
        ("api_event", "GET /api/v1/events/<id>", lambda i: details[i % len(details)]),
    ]


def _check(port: int, world: dict) -> dict:
    """Each page once before the load: 200, and the run's events in it (the catalog is the one
    set up). What each shows, for the record: the run's events' names (each is written several
    times in a page), the API's first page of upcoming events, an event's markets."""

    def get(path: str) -> bytes:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": HOST})
        with urllib.request.urlopen(request, timeout=30) as response:
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status}")
            return response.read()

    run_id = world["run_id"]
    home, sports = get("/").decode(), get("/sports/").decode()
    listed = json.loads(get("/api/v1/events?upcoming=true&limit=100"))
    event = json.loads(get(f"/api/v1/events/{world['upcoming'][0]}"))
    shown = {
        "home_names_of_run": home.count(f"Home {run_id} "),
        "sports_names_of_run": sports.count(f"Home {run_id} "),
        "api_events_page": len(listed["events"]),
        "api_event_markets": len(event["markets"]),
    }
    if not (shown["home_names_of_run"] and shown["sports_names_of_run"]):
        raise RuntimeError(f"the run's events are not on the pages: {shown}")
    if not shown["api_event_markets"]:
        raise RuntimeError(f"event {world['upcoming'][0]} shows no market")
    return shown


def _statuses(steps: list[dict]) -> dict[str, int]:
    total: dict[str, int] = {}
    for step in steps:
        for status, count in step["statuses"].items():
            total[status] = total.get(status, 0) + count
    return dict(sorted(total.items()))


def _kept_up(step: dict) -> bool:
    return step["achieved_rps"] >= http.MIN_RATIO * step["offered_rps"]


def _program(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [*_SELF, *args],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "betting.settings"},
        check=True,
        stdout=sys.stderr,
        timeout=600,
    )


def run(*, quick: bool = False) -> dict:
    env = environment()
    setup(env)
    RESULTS.mkdir(parents=True, exist_ok=True)
    world_file = RESULTS / "site-world.json"
    log(f"set-up: {EVENTS} events with a 1x2 line each, {LIVE} of them live")
    _program(env, "setup", str(world_file))
    world = json.loads(world_file.read_text())
    port = free_port()
    figures: dict = {}
    with processes("site", [roles.web(port=port, probe_port=free_port())], env) as (web,):
        wait_healthy(port, web)
        log(f"web (granian, WSGI) up on 127.0.0.1:{port}")
        shown = _check(port, world)
        log(f"pages checked: {shown}")
        figures |= http._ladder(web, port, quick)
        for key, name, make_request in _pages(world):
            figures |= http._ladder(
                web,
                port,
                quick,
                name=name,
                make_request=make_request,
                key=key,
                listed=(LADDER, QUICK_LADDER),
                step_s=(STEP_S, QUICK_STEP_S),
            )
    empty = figures["empty_view_rps"]
    summary = {}
    for key, name, _ in _pages(world):
        held = figures[f"{key}_rps"]
        ratio = round(held / empty, 3) if empty else None
        figures[f"{key}_ratio"] = ratio
        figures[f"{key}_statuses"] = _statuses(figures[f"{key}_steps"])
        # A page whose one render takes longer than the p99 limit holds no step at all: the
        # highest rate it kept up with (>= 95% answered 200), whatever its p99, says more.
        kept = max(
            (s for s in figures[f"{key}_steps"] if _kept_up(s)),
            key=lambda s: (s["offered_rps"], -s["p99_ms"]),
            default=None,
        )
        figures[f"{key}_kept_up_rps"] = kept["offered_rps"] if kept else 0
        figures[f"{key}_kept_up"] = kept
        summary[key] = {
            "page": name,
            "rps": held,
            "p50_ms": figures[f"{key}_p50_ms"],
            "p99_ms": figures[f"{key}_p99_ms"],
            "server_ms": figures[f"{key}_server_ms"],
            "ratio": ratio,
            "kept_up_rps": figures[f"{key}_kept_up_rps"],
            "kept_up_ratio": round(figures[f"{key}_kept_up_rps"] / empty, 4) if empty else None,
            "kept_up_p50_ms": kept and kept["p50_ms"],
            "kept_up_p99_ms": kept and kept["p99_ms"],
            "kept_up_server_ms": kept and kept["server_ms"],
            "statuses": figures[f"{key}_statuses"],
        }
        log(
            f"{name}: {held}/s held, p50 {figures[f'{key}_p50_ms']} p99 "
            f"{figures[f'{key}_p99_ms']} ms, server {figures[f'{key}_server_ms']} ms/reply, "
            f"ratio to /ping ({empty}/s) {ratio}; kept up with {figures[f'{key}_kept_up_rps']}/s; "
            f"statuses {figures[f'{key}_statuses']}"
        )
    profile = None
    if os.environ.get("BENCH_SITE_PROFILE", "") not in ("", "0"):
        log(f"each page {PROFILE_REQUESTS} times in-process under cProfile")
        _program(env, "profile", str(world_file), str(RESULTS / "site-profile.json"))
        profile = json.loads((RESULTS / "site-profile.json").read_text())
    return {
        "method": METHOD.format(step=QUICK_STEP_S if quick else STEP_S),
        "empty_view_rps": empty,
        "pages": summary,
        "shown": shown,
        "events": EVENTS,
        "live": LIVE,
        "profile": profile,
        **{k: v for k, v in figures.items() if k != "empty_view_rps"},
    }


# --- the Django programs -----------------------------------------------------------------------


def _setup_main(world_file) -> None:
    bets._django()
    from apps.catalog.event_lists import OPEN_STATUSES
    from apps.catalog.models import Event
    from apps.catalog.store import EventState, FeedBatch

    run_id = f"site{secrets.token_hex(4)}"
    earlier = Event.objects.filter(home_name__startswith=NAME_PREFIX, status__in=OPEN_STATUSES)
    batch = FeedBatch()
    ts = bets._now_ms()
    for event_id in earlier.values_list("id", flat=True):
        batch.status(EventState(event_id=event_id, ts=ts, status=4, live=False))  # closed
    closed = len(batch)
    if closed:
        batch.commit()
    print(f"{closed} events of earlier runs closed", flush=True)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    live = bets._events(LIVE, run_id, tag="site", first=0, start=now - dt.timedelta(minutes=50))
    upcoming = bets._events(
        EVENTS - LIVE,
        run_id,
        tag="site",
        first=LIVE,
        start=now + dt.timedelta(minutes=10),
        spread=SPREAD,
    )
    batch = FeedBatch()
    ts = bets._now_ms()
    for k, row in enumerate(live):
        state = EventState(
            event_id=row["event_id"],
            ts=ts,
            status=1,
            live=True,
            home_score=k % 3,
            away_score=k % 2,
            match_status=7 if k % 2 else 6,  # second half, first half
            match_time="50:00",
        )
        batch.status(state)
    batch.commit()
    world = {
        "run_id": run_id,
        "live": [row["event_id"] for row in live],
        "upcoming": [row["event_id"] for row in upcoming],
    }
    world_file.write_text(json.dumps(world))
    bets._checkpoint()


def _profile_main(world_file, out) -> None:
    """Each page through Django's test client under cProfile: ms per page, and the top of each
    profile (cumulative time) in ``site-profile-<page>.txt``."""
    bets._django()
    import cProfile
    import io
    import pstats
    import time

    from django.test import Client

    world = json.loads(world_file.read_text())
    ids = world["live"] + world["upcoming"]
    html, api = Client(HTTP_HOST=HOST, HTTP_ACCEPT="text/html"), Client(HTTP_HOST=HOST)
    pages = {
        "home": (html, lambda i: "/"),
        "sports": (html, lambda i: "/sports/"),
        "api_events": (api, lambda i: "/api/v1/events?upcoming=true"),
        "api_event": (api, lambda i: f"/api/v1/events/{ids[i % len(ids)]}"),
    }
    figures = {}
    for key, (client, path) in pages.items():

        def get(i: int, client=client, path=path) -> None:
            response = client.get(path(i))
            if response.status_code != 200:
                raise RuntimeError(f"{path(i)}: {response.status_code}")

        for i in range(10):  # warm the caches
            get(i)
        start = time.process_time()
        for i in range(PROFILE_REQUESTS):
            get(i)
        plain_ms = (time.process_time() - start) * 1000 / PROFILE_REQUESTS
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(PROFILE_REQUESTS):
            get(i)
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
        (RESULTS / f"site-profile-{key}.txt").write_text(text.getvalue())
        figures[key] = {"cpu_ms": round(plain_ms, 2)}
        print(f"{key}: {plain_ms:.2f} ms CPU a page in-process", flush=True)
    out.write_text(json.dumps(figures))


def main(argv: list[str]) -> int:
    from pathlib import Path

    if argv[:1] == ["setup"]:
        _setup_main(Path(argv[1]))
    elif argv[:1] == ["profile"]:
        _profile_main(Path(argv[1]), Path(argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
