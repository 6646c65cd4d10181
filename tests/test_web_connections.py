"""A real web process keeps a bounded number of database connections under concurrent load."""

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

from tests import live


def _connections_to(database: str) -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database])
        return cursor.fetchone()[0]


def test_concurrent_requests_share_a_bounded_pool_of_connections(alpha, monkeypatch):
    pool_max = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    # 60 registrations from one address: what is measured here is the pool, not the throttle.
    monkeypatch.setenv("THROTTLE_EXEMPT_NETWORKS", "127.0.0.0/8")
    before = _connections_to(settings.DATABASES["default"]["NAME"])
    with live.web_server() as port:
        token = live.csrf_token(port, "alpha.localhost")

        def register(n: int) -> int:
            body = {
                "username": f"pool{n}",
                "email": f"p{n}@example.com",
                "password": "a long passphrase",
            }
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/players",
                data=json.dumps(body).encode(),
                headers={
                    "Host": "alpha.localhost",
                    "Content-Type": "application/json",
                    "Cookie": f"csrftoken={token}",
                    "X-CSRFToken": token,
                },
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status

        with ThreadPoolExecutor(max_workers=8) as executor:
            statuses = list(executor.map(register, range(60)))
        opened = _connections_to(settings.DATABASES["default"]["NAME"]) - before
    assert statuses == [201] * 60
    assert opened <= pool_max, f"the web process holds {opened} connections (pool of {pool_max})"
