"""``python -m bench <scenario>|all [--quick]``: run benchmark scenarios, print and save figures."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import signal
import sys
import time
import traceback

from bench.scenarios import SCENARIOS
from bench.stack import RESULTS, log


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def run(name: str, quick: bool) -> dict:
    log(f"scenario {name}{' (quick)' if quick else ''}")
    started = time.monotonic()
    date = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    host = machine()
    figures = SCENARIOS[name](quick=quick)
    host["loadavg_1m_end"] = round(os.getloadavg()[0], 2)  # others' work on a shared machine
    result = {
        "scenario": name,
        **figures,
        "quick": quick,
        "seconds": round(time.monotonic() - started, 1),
        "machine": host,
        "date": date,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    log(f"scenario {name} done in {result['seconds']}s; figures in var/bench/{name}.json")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("scenario", choices=[*SCENARIOS, "all"])
    parser.add_argument("--quick", action="store_true", help="short steps, for a smoke run")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so every scenario stops the processes it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    failed = []
    for name in SCENARIOS if args.scenario == "all" else [args.scenario]:
        try:
            result = run(name, args.quick)
        except Exception:
            traceback.print_exc()
            log(f"scenario {name} FAILED")
            failed.append(name)
            continue
        print(json.dumps(result), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
