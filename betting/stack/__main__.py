"""``python -m betting.stack run``: what ``make run`` calls (see the package docstring)."""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys

from betting.stack import roles
from betting.stack.services import ROOT, VAR, ServiceUnavailable, resolve
from betting.stack.supervisor import Supervisor

DEMO_BRAND = {"slug": "demo", "name": "Demo Sportsbook", "domain": "demo.localhost"}


def _persistent_secret(name: str) -> str:
    VAR.mkdir(exist_ok=True)
    path = VAR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(40))
        path.chmod(0o600)
    return path.read_text().strip()


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(port: int) -> int:
    services = resolve()
    env = {**os.environ, **services.env()}
    env.setdefault("SECRET_KEY", _persistent_secret("secret_key"))
    env.setdefault("OUTBOX_SIGNING_KEY", _persistent_secret("outbox_signing_key"))
    env.setdefault("PLATFORM_DOMAIN", "localhost")
    # The demo brand (demo.localhost), the platform (localhost) and brands added on *.localhost,
    # over plain HTTP on this machine: cookies without the Secure flag.
    env.setdefault("ALLOWED_HOSTS", "localhost,.localhost,127.0.0.1")
    env.setdefault("SECURE_COOKIES", "0")
    env.setdefault("LOG_FORMAT", "plain")
    env["LIVE_ODDS_PORT"] = str(port + 1)  # the gateway beside web: pages open sockets there
    env["PLAYER_SOCKET_PORT"] = str(port + 2)  # the sockets role: the player's live channel
    shard_count = int(env.get("SHARD_COUNT", "2"))
    admin_password = env.get("ADMIN_PASSWORD") or _persistent_secret("admin_password")
    _manage(env, "migrate_all", "--create-databases", "-v0")
    _manage(
        env,
        "create_brand",
        "--slug",
        DEMO_BRAND["slug"],
        "--name",
        DEMO_BRAND["name"],
        "--domain",
        DEMO_BRAND["domain"],
        "--currency",
        "EUR",
        "--if-missing",
    )
    for scope, otpauth in (
        ("--platform", "admin_otpauth_platform"),
        (f"--brand={DEMO_BRAND['slug']}", "admin_otpauth_demo"),
    ):
        _manage(
            {**env, "STAFF_PASSWORD": admin_password},
            "create_staff",
            scope,
            "--username",
            "admin",
            "--password-env",
            "STAFF_PASSWORD",
            "--otpauth-file",
            str(VAR / otpauth),
            "--if-missing",
        )
    # The demo's content: simulated odds and video providers, and their adapters.
    feed_api_port, video_port = _free_port(), _free_port()
    _manage(
        env,
        "configure_provider",
        "uof",
        "--kind",
        "uof",
        "--exchange",
        "unifiedfeed",
        "--api-url",
        f"http://127.0.0.1:{feed_api_port}",
        "--producer",
        "1",
        "--producer",
        "3",
    )
    _manage(
        env,
        "configure_provider",
        "video",
        "--kind",
        "video",
        "--api-url",
        f"http://127.0.0.1:{video_port}",
    )
    stack = roles.all_roles(
        shard_count=shard_count,
        port=port,
        schedule=str(VAR / "celerybeat-schedule"),
        feed_api_port=feed_api_port,
        video_port=video_port,
    )
    supervisor = Supervisor(stack, cwd=str(ROOT), env=env)
    supervisor.start()
    embedded = ", ".join(services.embedded) or "none (using the URLs given)"
    print(
        "\n".join(
            [
                "",
                f"  Demo brand site     http://{DEMO_BRAND['domain']}:{port}/",
                f"  Demo brand admin    http://{DEMO_BRAND['domain']}:{port}/admin/",
                f"  Sportsbook          http://{DEMO_BRAND['domain']}:{port}/sports/",
                f"  Platform backoffice http://localhost:{port}/admin/",
                f"  Providers           http://localhost:{port}/admin/providers/provider/",
                f"  Readiness           http://127.0.0.1:{port + 3}/readyz  (internal listener)",
                f"  Staff login         admin / {admin_password}  (var/admin_password), and a TOTP "
                "code: var/admin_otpauth_platform and var/admin_otpauth_demo hold the otpauth:// "
                "URIs for an authenticator app",
                f"  Embedded services   {embedded}",
                f"  Roles               {', '.join(r.name for r in stack)}",
                "  Ctrl-C stops everything.",
                "",
            ]
        ),
        flush=True,
    )
    return supervisor.wait()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m betting.stack")
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="start every role in the foreground")
    run_p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()
    try:
        return run(args.port)
    except ServiceUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(
            f"error: {' '.join(exc.cmd[1:3])} failed with status {exc.returncode}", file=sys.stderr
        )
        return exc.returncode or 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
