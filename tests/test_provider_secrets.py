"""A provider record cannot send the platform's secrets anywhere: its token and broker URL come
only from PROVIDER_TOKEN_/PROVIDER_BROKER_URL_ variables, only platform superusers change where
they go (and that is logged), and a call carrying the token follows no redirect."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from apps.providers.models import Producer, Provider
from apps.providers.uof.fixtures_api import FixtureApiError, fetch_fixture
from apps.providers.video.adapter import VideoAdapter
from tests.feed_helpers import adapter, provider
from tests.test_backoffice import staff_client
from tests.test_wallet_backoffice import staff_member

TOKEN = "provider-token-value"


class Recorder:
    """A loopback HTTP server that records each request's path and headers, and answers with
    ``status`` (and ``location``, for a redirect)."""

    def __init__(self, status: int = 200, location: str = "", body: bytes = b"{}") -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                recorder.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(status)
                if location:
                    self.send_header("Location", location + self.path)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._answer()

            def do_POST(self):
                self._answer()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def values(self) -> list[str]:
        return [value for _, headers in self.seen for value in headers.values()]


@pytest.fixture
def redirect_pair():
    """``elsewhere`` (any host the answer names) and ``provider_api``, which answers 302 to it."""
    elsewhere = Recorder()
    provider_api = Recorder(status=302, location=elsewhere.url)
    yield provider_api, elsewhere
    provider_api.close()
    elsewhere.close()


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("token_env", "SECRET_KEY"),
        ("token_env", "DATABASE_URL"),
        ("token_env", "PROVIDER_TOKEN_"),
        ("token_env", "provider_token_uof"),
        ("token_env", "PROVIDER_BROKER_URL_UOF"),
        ("broker_url_env", "REDIS_URL"),
        ("broker_url_env", "PROVIDER_TOKEN_UOF"),
    ],
)
def test_a_provider_names_only_its_own_variables(clean, field, name):
    row = Provider(name="uof", kind="uof", **{field: name})
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert field in refused.value.message_dict
    option = "--" + field.replace("_", "-")
    with pytest.raises(CommandError, match="invalid"):
        call_command("configure_provider", "uof", "--kind", "uof", option, name)
    assert not Provider.objects.exists()
    Provider(name="uof", kind="uof", token_env="PROVIDER_TOKEN_UOF_2").full_clean()
    Provider(name="uof", kind="uof", broker_url_env="PROVIDER_BROKER_URL_UOF").full_clean()


def test_a_record_written_around_the_model_gets_no_secret_sent(clean, monkeypatch):
    api = Recorder(body=b'{"generated_at": 0, "streams": []}')
    try:
        row = provider(name="video", kind="video", api_url=api.url)
        Provider.objects.filter(pk=row.pk).update(token_env="SECRET_KEY")
        row.refresh_from_db()
        VideoAdapter(row, timeout=2).poll_once()
        row = provider(name="uof", api_url=api.url)
        Provider.objects.filter(pk=row.pk).update(token_env="SECRET_KEY")
        row.refresh_from_db()
        Producer.objects.create(provider=row, producer_id=1, name="LO", api_name="liveodds")
        feed = adapter(row)
        feed.producers.start()
        feed.process([b'<alive product="1" timestamp="1" subscribed="1"/>'])
        assert {path.split("?")[0] for path, _ in api.seen} == {
            "/v1/streams",
            "/v1/liveodds/recovery/initiate_request",
        }
        assert settings.SECRET_KEY not in api.values()
        assert not any(h in headers for _, headers in api.seen for h in ("x-access-token",))
    finally:
        api.close()


def test_calls_carrying_the_token_follow_no_redirect(clean, monkeypatch, redirect_pair):
    provider_api, elsewhere = redirect_pair
    monkeypatch.setenv("PROVIDER_TOKEN_TEST", TOKEN)
    # The fixture API.
    with pytest.raises(FixtureApiError, match="302"):
        fetch_fixture(provider_api.url, "sr:match:1", provider="uof", token=TOKEN)
    # The video listing.
    row = provider(name="video", kind="video", api_url=provider_api.url)
    row.token_env = "PROVIDER_TOKEN_TEST"
    row.save()
    assert VideoAdapter(row, timeout=2).poll_once().outcome == "unavailable"
    # The UOF recovery request.
    uof = provider(name="uof", api_url=provider_api.url, token_env="PROVIDER_TOKEN_TEST")
    Producer.objects.create(provider=uof, producer_id=1, name="LO", api_name="liveodds")
    feed = adapter(uof)
    feed.producers.start()
    feed.process([b'<alive product="1" timestamp="1" subscribed="1"/>'])
    producer = Producer.objects.get(provider=uof, producer_id=1)
    assert producer.state == "down" and "recovery request failed" in producer.reason
    # The provider's own API got the token, three times; the place it pointed to, nothing.
    assert provider_api.values().count(TOKEN) == 3
    assert elsewhere.seen == []


def _provider_form(row: Provider, **changes) -> dict:
    form = {
        "name": row.name,
        "kind": row.kind,
        "enabled": "on",
        "content": "",
        "enabled_sports": "[]",
        "exchange": row.exchange,
        "bindings": "[]",
        "broker_url_env": row.broker_url_env,
        "api_url": row.api_url,
        "token_env": row.token_env,
        "node_id": "",
        "producers-TOTAL_FORMS": "0",
        "producers-INITIAL_FORMS": "0",
        "producers-MIN_NUM_FORMS": "0",
        "producers-MAX_NUM_FORMS": "1000",
    }
    return {**form, **changes}


def test_only_platform_superusers_change_where_a_providers_secrets_go(clean):
    row = provider(api_url="https://api.provider.example", token_env="PROVIDER_TOKEN_UOF")
    page = f"/admin/providers/provider/{row.pk}/change/"
    manager = staff_member(
        "localhost", "public", "manager", "providers.view_provider", "providers.change_provider"
    )
    text = manager.get(page).content.decode()
    assert 'name="exchange"' in text  # the manager edits the rest
    for field in ("token_env", "api_url", "broker_url_env"):
        assert f'name="{field}"' not in text
    outside = "https://collector.example"
    response = manager.post(
        page,
        _provider_form(row, token_env="SECRET_KEY", api_url=outside, exchange="other"),
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.token_env, row.api_url, row.exchange) == (
        "PROVIDER_TOKEN_UOF",
        "https://api.provider.example",
        "other",
    )
    # A superuser may change them, to allowed names only; each change is logged with its values.
    root = staff_client("localhost", "public")
    refused = root.post(page, _provider_form(row, token_env="SECRET_KEY"))
    assert refused.status_code == 200 and "PROVIDER_TOKEN_" in refused.content.decode()
    row.refresh_from_db()
    assert row.token_env == "PROVIDER_TOKEN_UOF"
    moved = root.post(
        page,
        _provider_form(row, token_env="PROVIDER_TOKEN_UOF_NEW", api_url="https://api2.example"),
    )
    assert moved.status_code == 302
    row.refresh_from_db()
    assert (row.token_env, row.api_url) == ("PROVIDER_TOKEN_UOF_NEW", "https://api2.example")
    with schema_context("public"):
        messages = [
            (e.user.username, e.change_message)
            for e in LogEntry.objects.filter(object_id=str(row.pk)).order_by("id")
        ]
    assert (
        "boss",
        "Connection changed: api_url 'https://api.provider.example' -> 'https://api2.example'; "
        "token_env 'PROVIDER_TOKEN_UOF' -> 'PROVIDER_TOKEN_UOF_NEW'",
    ) in messages
    assert not any("Connection changed" in m for u, m in messages if u == "manager")
