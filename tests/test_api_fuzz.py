"""The schema-driven fuzz run: schemathesis generates requests from the API's own OpenAPI schema
(``/api/schema/``) for every operation, anonymous and as a logged-in player, and sends them to a
real web server (the web role, granian) on a brand's domain. No answer may be a server error, and
every answer must be what the schema says: a documented status code, its content type and a body
that validates against its schema (the error shape included). Bounded: a fixed number of
examples per operation, derandomised, so the run takes the same time and finds the same things
every time."""

from __future__ import annotations

import json
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.wallet import api as wallet
from tests import live, setup
from tests.bets_helpers import open_book

HOST = "alpha.localhost"
EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _register(port: int) -> dict[str, str]:
    """A new player's session over HTTP: the headers that send it (cookies and CSRF token)."""
    token = live.csrf_token(port, HOST)
    body = json.dumps(
        {"username": "fuzzer", "email": "fuzz@example.com", "password": "a long passphrase"}
    ).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/players",
        data=body,
        method="POST",
        headers={
            "Host": HOST,
            "Content-Type": "application/json",
            "Cookie": f"csrftoken={token}",
            "X-CSRFToken": token,
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        player = json.loads(response.read())
        cookies = [h.split(";", 1)[0] for h in response.headers.get_all("Set-Cookie") or []]
    session = next(c.split("=", 1)[1] for c in cookies if c.startswith("sessionid="))
    wallet.wallet_credit(
        brand_id=_alpha_id(),
        player_id=int(player["id"]),
        currency="EUR",
        amount=100_000,
        product="payments",
        idempotency_key="fuzz-funds",
    )
    return {"Cookie": f"sessionid={session}; csrftoken={token}", "X-CSRFToken": token}


def _alpha_id() -> int:
    from apps.brands.models import Brand

    return Brand.objects.get(slug="alpha").id


@pytest.fixture(scope="module")
def fuzz_server(platform):
    setup.platform_reset(platform)
    with open_book(), live.web_process(env={"THROTTLE_EXEMPT_NETWORKS": "127.0.0.0/8"}) as web:
        yield web.port, _register(web.port)
    setup.platform_reset(platform)


def _fuzz(operation, base_url: str, player_headers: dict, failures: list, statuses: list) -> None:
    """Send ``EXAMPLES`` generated requests of one operation, anonymous or as the player, and
    check each answer against the schema; failures are collected, not raised."""
    # Logging out would end the session the later operations use: only anonymously.
    may_log_in = operation.label != "DELETE /api/v1/session"

    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), logged_in=st.booleans())
    def fuzz(case, logged_in: bool) -> None:
        headers = {"Host": HOST}
        if logged_in and may_log_in:
            headers.update(player_headers)
        who = "player" if logged_in and may_log_in else "anonymous"
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            statuses.append((operation.label, who, response.status_code))
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # collected, then reported together
            failures.append(f"{operation.label} ({who}): {str(exc)[:1200]}")

    fuzz()


@pytest.mark.timeout(300)
def test_the_api_answers_every_generated_request_as_its_schema_says(fuzz_server):
    port, player_headers = fuzz_server
    base_url = f"http://127.0.0.1:{port}"
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/", headers={"Host": HOST})
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17, [op.label for op in operations]
    failures: list[str] = []
    statuses: list[tuple[str, str, int]] = []
    for operation in operations:
        _fuzz(operation, base_url, player_headers, failures, statuses)
    assert not failures, "\n\n".join(failures[:20])
    # The run reached every operation, and beyond the validation: answers the player gets.
    assert {label for label, _, _ in statuses} == {op.label for op in operations}
    assert {(label, status) for label, who, status in statuses if who == "player"} >= {
        ("GET /api/v1/me", 200),
        ("GET /api/v1/wallet", 200),
        ("GET /api/v1/bets", 200),
    }
    assert any(label == "GET /api/v1/events/{event_id}" and s == 200 for label, _, s in statuses)
