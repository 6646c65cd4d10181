"""The headers every page answers with: a content security policy the site's own pages pass
(every inline script and style carries the response's nonce, no inline handler or style
attribute), the sockets the pages open allowed, frame-ancestors decided per brand, HSTS on
HTTPS, and the referrer policy."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client, override_settings

from apps.brands.models import Brand
from apps.brands.selectors import forget_hosts
from apps.catalog.models import Event
from tests.bets_helpers import M, open_book
from tests.test_backoffice import staff_client
from tests.test_players import register_on_site, site


class _Inline(HTMLParser):
    """Every inline <script>/<style> and every attribute a CSP without 'unsafe-inline' blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[tuple[str, str | None]] = []  # (tag, nonce)
        self.blocked: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        # A data block (<script type="application/json">) is never run: no nonce needed.
        data_block = (found.get("type") or "text/javascript") not in {"text/javascript", "module"}
        if tag == "style" or (tag == "script" and "src" not in found and not data_block):
            self.inline.append((tag, found.get("nonce")))
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.blocked.append(f"<{tag} {name}=...>")
            if name in {"href", "src", "action"} and (value or "").lower().startswith(
                "javascript:"
            ):
                self.blocked.append(f"<{tag} {name}=javascript:...>")


def _directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.wsgi_request.path}"
    policy = {}
    for part in header.split(";"):
        name, *values = part.split()
        policy[name] = values
    return policy


def _passes_its_own_policy(response) -> int:
    """Assert the page's inline code all carries the header's nonce; how many inline blocks."""
    policy = _directives(response)
    nonces = {
        kind: {v[len("'nonce-") : -1] for v in policy.get(kind, []) if v.startswith("'nonce-")}
        for kind in ("script-src", "style-src")
    }
    assert "'unsafe-inline'" not in policy.get("script-src", [])
    assert "'unsafe-inline'" not in policy.get("style-src", [])
    parser = _Inline()
    parser.feed(response.content.decode())
    assert parser.blocked == [], response.wsgi_request.path
    for tag, nonce in parser.inline:
        assert nonce and nonce in nonces[f"{tag}-src"], (response.wsgi_request.path, tag, nonce)
    return len(parser.inline)


def test_every_site_page_passes_its_content_security_policy(alpha):
    with open_book():
        event = Event.objects.get(urn=M)
        visitor = site(alpha)
        inline = 0
        for path in [
            "/",
            "/sports/",
            f"/sports/events/{event.id}/",
            "/account/login/",
            "/account/register/",
            "/account/password/reset/",
            "/account/password/reset/sent/",
            "/no-such-page/",
            "/admin/login/",
        ]:
            response = visitor.get(path)
            assert response.status_code in {200, 404}, path
            inline += _passes_its_own_policy(response)
        player = site(alpha)
        assert register_on_site(player, "csp").status_code == 302
        for path in [
            "/",
            "/sports/",
            f"/sports/events/{event.id}/",
            "/account/profile/",
            "/account/password/",
            "/account/wallet/",
            "/account/bets/",
        ]:
            response = player.get(path)
            assert response.status_code == 200, path
            inline += _passes_its_own_policy(response)
        staff = staff_client("alpha.localhost", alpha.schema_name)
        for path in ["/admin/", "/admin/site/sitesettings/add/"]:
            inline += _passes_its_own_policy(staff.get(path))
    assert inline > 0  # the pages do have inline code: it was all checked
    for host in ("localhost", "nobody.localhost"):  # the platform's page and an unknown host
        _passes_its_own_policy(Client(HTTP_HOST=host).get("/"))


def test_each_response_has_a_fresh_nonce(alpha):
    first, second = (_directives(site(alpha).get("/"))["script-src"] for _ in range(2))
    assert first != second


def test_the_policy_allows_the_pages_sockets_and_nothing_inline(alpha):
    with override_settings(LIVE_ODDS_PORT="8101", PLAYER_SOCKET_PORT="8102"):
        plain = _directives(site(alpha).get("/"))
        secure = _directives(site(alpha).get("/", secure=True))
    assert {"ws://alpha.localhost:8101", "ws://alpha.localhost:8102"} <= set(plain["connect-src"])
    assert {"wss://alpha.localhost:8101", "wss://alpha.localhost:8102"} <= set(
        secure["connect-src"]
    )
    assert not any(s.startswith("ws://") for s in secure["connect-src"])
    with override_settings(LIVE_ODDS_PORT="", PLAYER_SOCKET_PORT=""):
        same = _directives(site(alpha).get("/", secure=True))
    assert "wss://alpha.localhost" in same["connect-src"]
    assert plain["object-src"] == ["'none'"]
    assert plain["base-uri"] == ["'none'"]
    assert plain["default-src"] == ["'self'"]


def _frame_ancestors(brand, origins):
    connection.set_schema_to_public()  # a request leaves the connection on its brand's schema
    row = Brand.objects.get(pk=brand.id)
    row.frame_ancestors = origins
    row.full_clean()
    row.save()
    forget_hosts()


def test_frame_ancestors_are_decided_per_brand(alpha, beta):
    _frame_ancestors(alpha, ["https://operator.example", "https://casino.example:8443"])
    try:
        embedded = site(alpha).get("/")
        assert _directives(embedded)["frame-ancestors"] == [
            "'self'",
            "https://operator.example",
            "https://casino.example:8443",
        ]
        # X-Frame-Options cannot name a list: left out where the CSP allows other origins.
        assert "X-Frame-Options" not in embedded.headers
        # The brand's backoffice is never framed by the operator's page.
        admin = site(alpha).get("/admin/login/")
        assert _directives(admin)["frame-ancestors"] == ["'self'"]
        assert admin.headers["X-Frame-Options"] == "SAMEORIGIN"
        own = site(beta).get("/")
        assert _directives(own)["frame-ancestors"] == ["'self'"]
        assert own.headers["X-Frame-Options"] == "SAMEORIGIN"
    finally:
        _frame_ancestors(alpha, [])


@pytest.mark.parametrize(
    "origin",
    [
        "http://operator.example",
        "https://operator.example/path",
        "https://operator.example; script-src *",
        "https://operator.example 'unsafe-inline'",
        "*",
        "https://*.example",
        "'self'",
        "https://",
    ],
)
def test_a_frame_ancestor_must_be_an_https_origin(alpha, origin):
    row = Brand.objects.get(pk=alpha.id)
    row.frame_ancestors = [origin]
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert "frame_ancestors" in refused.value.message_dict
    assert Brand.objects.get(pk=alpha.id).frame_ancestors == []


def test_hsts_on_https_only(alpha):
    secure = site(alpha).get("/", secure=True)
    assert re.fullmatch(r"max-age=31536000", secure.headers["Strict-Transport-Security"])
    assert "Strict-Transport-Security" not in site(alpha).get("/").headers


def test_referrer_policy(alpha):
    assert site(alpha).get("/").headers["Referrer-Policy"] == "same-origin"
