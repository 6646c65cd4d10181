"""The operator wallet protocol's signatures, both ways, and a brand's wallet settings.

The operator (its simulator, a real process) refuses unsigned, tampered, stale and replayed
requests, and accepts two keys during a rotation. The platform refuses answers that someone on the
path altered, stripped or played back: the call then ends in the uncertain state (a debit is
rolled back, a credit retried), never applied or refused on the strength of a forged answer.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings

from apps.brands.models import Brand
from apps.brands.selectors import BrandRef
from apps.brands.services import BrandError, brand_create
from apps.wallet import api, brand_config, errors
from apps.wallet import operator_protocol as protocol
from apps.wallet.models import ExternalCall
from betting import ttl_cache
from betting.stack import roles
from shards import map as shard_map
from tests import live, processes
from tests.wallet_helpers import books_balance, history_counts, new_player

SECRET = "operator-shared-secret-for-tests"
NEXT_SECRET = "the-operators-next-secret-after-rotation"


def _simulator(port: int, keys: dict[str, str] | None = None):
    keys = keys or {"1": SECRET}
    env = {f"OPERATOR_KEY_{key_id}": secret for key_id, secret in keys.items()}
    args = [arg for key_id in keys for arg in ("--key", f"{key_id}=OPERATOR_KEY_{key_id}")]
    role = roles.Role(
        "operator",
        [roles._python(), "manage.py", "operator_wallet_simulator", "--port", str(port), *args],
    )
    return processes.running(role, ready="listening", env=env)


def _send(port: int, method: str, path: str, body: bytes, headers: dict[str, str]):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), {k.title(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def _debit_body(tx_id: str, amount: int) -> bytes:
    return json.dumps(
        {"transaction_id": tx_id, "player_id": "p1", "amount": amount, "currency": "EUR"},
        sort_keys=True,
    ).encode()


def _listing(port: int, key: protocol.SigningKey) -> list[dict]:
    return protocol.transactions(f"http://127.0.0.1:{port}", key)


def test_the_operator_refuses_unsigned_tampered_stale_and_replayed_requests(clean):
    key = protocol.SigningKey("1", SECRET)
    port = live.free_port()
    with _simulator(port):
        body = _debit_body("t1", 5)
        signed = protocol.request_headers(key, method="POST", path="/debit", body=body)

        status, raw, headers = _send(port, "POST", "/debit", body, signed)
        assert (status, json.loads(raw)) == (200, {"status": "ok", "balance": 1_000_000 - 5})
        assert protocol.answer_valid(
            key,
            status=200,
            method="POST",
            path="/debit",
            request_nonce=signed[protocol.NONCE_HEADER],
            headers=headers,
            body=raw,
        )

        refusals = {
            "replayed": _send(port, "POST", "/debit", body, signed),
            "unsigned": _send(port, "POST", "/debit", _debit_body("t2", 5), {}),
            "tampered": _send(
                port,
                "POST",
                "/debit",
                _debit_body("t3", 900),
                protocol.request_headers(
                    key, method="POST", path="/debit", body=_debit_body("t3", 5)
                ),
            ),
            "other path": _send(
                port,
                "POST",
                "/credit",
                _debit_body("t4", 5),
                protocol.request_headers(
                    key, method="POST", path="/debit", body=_debit_body("t4", 5)
                ),
            ),
        }
        old, nonce = str(int(time.time()) - protocol.REPLAY_WINDOW_S - 60), "0" * 32
        stale_body = _debit_body("t5", 5)
        refusals["stale"] = _send(
            port,
            "POST",
            "/debit",
            stale_body,
            {
                protocol.KEY_ID_HEADER: "1",
                protocol.TIMESTAMP_HEADER: old,
                protocol.NONCE_HEADER: nonce,
                protocol.SIGNATURE_HEADER: protocol.request_signature(
                    SECRET,
                    method="POST",
                    path="/debit",
                    timestamp=old,
                    nonce=nonce,
                    body=stale_body,
                ),
            },
        )
        codes = {name: (s, json.loads(raw)["code"]) for name, (s, raw, _) in refusals.items()}
        assert codes == {
            "replayed": (401, "replayed_request"),
            "unsigned": (401, "unknown_key"),
            "tampered": (401, "invalid_signature"),
            "other path": (401, "invalid_signature"),
            "stale": (401, "stale_request"),
        }
        assert [t["transaction_id"] for t in _listing(port, key)] == ["t1"]

    # The nonces are remembered in Redis, not in the process: a restarted operator still
    # refuses the replay.
    port = live.free_port()
    with _simulator(port):
        status, raw, _ = _send(port, "POST", "/debit", body, signed)
        assert (status, json.loads(raw)["code"]) == (401, "replayed_request")
        assert _listing(port, key) == []


def test_the_operator_accepts_both_keys_during_a_rotation_and_signs_with_the_callers(clean):
    port = live.free_port()
    with _simulator(port, {"1": SECRET, "2": NEXT_SECRET}):
        url = f"http://127.0.0.1:{port}"
        for key_id, secret in (("1", SECRET), ("2", NEXT_SECRET)):
            answer = protocol.call(
                url,
                protocol.SigningKey(key_id, secret),
                "credit",
                {"transaction_id": f"k{key_id}", "player_id": "p", "amount": 1},
            )
            assert answer.ok
        # A secret under the other key's id is refused, and its refusal cannot be trusted either.
        with pytest.raises(protocol.OperatorUnavailable, match="signature"):
            protocol.call(
                url,
                protocol.SigningKey("2", SECRET),
                "credit",
                {"transaction_id": "mixed", "player_id": "p", "amount": 1},
            )
        unknown = protocol.request_headers(
            protocol.SigningKey("3", SECRET), method="GET", path="/transactions", body=b""
        )
        status, raw, headers = _send(port, "GET", "/transactions", b"", unknown)
        assert (status, json.loads(raw)["code"]) == (401, "unknown_key")
        assert protocol.SIGNATURE_HEADER not in headers  # no key to sign the refusal with
        assert sorted(
            t["transaction_id"] for t in _listing(port, protocol.SigningKey("2", NEXT_SECRET))
        ) == [
            "k1",
            "k2",
        ]


class _Middle:
    """Someone on the path between the platform and the operator's wallet: passes requests on,
    and hands back answers as they came (``pass``), altered (``tamper``), without their
    signature headers (``strip``), or the first answer it saw, played back (``replay``)."""

    def __init__(self, target: int) -> None:
        self.mode = "pass"
        self.recorded: tuple[int, dict[str, str], bytes] | None = None
        middle = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if middle.mode == "replay" and middle.recorded is not None:
                    status, headers, raw = middle.recorded
                else:
                    forward = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    status, raw, headers = _send(target, self.command, self.path, body, forward)
                    if middle.mode == "replay":
                        middle.recorded = (status, headers, raw)
                if middle.mode == "tamper":
                    raw = json.dumps({"status": "ok", "balance": 123}).encode()
                if middle.mode == "strip":
                    headers = {k: v for k, v in headers.items() if not k.startswith("X-")}
                self.send_response(status)
                for name, value in headers.items():
                    if name.startswith("X-") or name == "Content-Type":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                self._relay()

            def do_POST(self) -> None:
                self._relay()

        self.port = live.free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True

    @contextlib.contextmanager
    def running(self):
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def _external_brand(url: str, secret: str = SECRET) -> BrandRef:
    with override_settings(DEBUG=True):  # the simulator speaks plain HTTP on loopback
        brand = brand_create(
            slug="gamma",
            name="Gamma B2B",
            domains=["gamma.localhost"],
            currency="EUR",
            mode="b2b",
            wallet_url=url,
            wallet_secret=secret,
        )
    ttl_cache.clear_all()
    return BrandRef.of(Brand.objects.get(pk=brand.pk))


def _calls(player_id: int) -> list[tuple[str, int, str]]:
    using = shard_map.alias_for(player_id)
    return [(c.kind, c.amount, c.status) for c in ExternalCall.objects.using(using).order_by("id")]


def _move(operation, brand, player, amount: int, key: str):
    return operation(
        brand_id=brand.id,
        player_id=player.id,
        currency="EUR",
        amount=amount,
        product="casino",
        idempotency_key=key,
    )


def test_forged_answers_are_never_taken_as_applied_and_end_uncertain(clean, capsys):
    port = live.free_port()
    with _simulator(port), _Middle(port).running() as middle:
        brand = _external_brand(f"http://127.0.0.1:{middle.port}")
        player = new_player(brand)
        transfers = history_counts()[1]

        # The operator refuses 2,000,000 (its player holds 1,000,000); the forged answer says ok.
        middle.mode = "tamper"
        with pytest.raises(errors.ExternalWalletUnavailable):
            _move(api.wallet_debit, brand, player, 2_000_000, "tampered-debit")
        middle.mode = "strip"
        with pytest.raises(errors.ExternalWalletUnavailable):
            _move(api.wallet_debit, brand, player, 100, "stripped-debit")
        middle.mode = "replay"
        first = _move(api.wallet_debit, brand, player, 300, "recorded-debit")
        assert not first.replayed
        with pytest.raises(errors.ExternalWalletUnavailable):
            _move(api.wallet_debit, brand, player, 400_000, "replayed-debit")
        middle.mode = "tamper"
        _move(api.wallet_credit, brand, player, 50, "tampered-credit")

        assert _calls(player.id) == [
            ("debit", 2_000_000, "rolling_back"),
            ("debit", 100, "rolling_back"),
            ("debit", 300, "applied"),
            ("debit", 400_000, "rolling_back"),
            ("credit", 50, "pending"),  # posted in the shadow, delivered again until acknowledged
        ]
        assert history_counts()[1] == transfers + 2  # the real debit and the pending credit

        # With the path clean again, the shard pools finish the rollbacks and the credit, and
        # both sides agree.
        middle.mode = "pass"
        with (
            processes.running(roles.shard_pool(0), ready=processes.WORKER_READY),
            processes.running(roles.shard_pool(1), ready=processes.WORKER_READY),
        ):
            processes.wait_until(
                lambda: all(
                    status in {"applied", "rolled_back"} for *_, status in _calls(player.id)
                ),
                timeout=90,
                message="every call settled",
            )
        call_command("wallet_reconcile", "--brand", "gamma")
    assert "0 differences" in capsys.readouterr().out
    assert [status for *_, status in _calls(player.id)] == [
        "rolled_back",
        "rolled_back",
        "applied",
        "rolled_back",
        "applied",
    ]
    books_balance()


def test_the_wallet_secret_stays_out_of_reprs_errors_and_logs(clean, caplog):
    closed = live.free_port()  # nothing listens there: every call fails
    brand = _external_brand(f"http://127.0.0.1:{closed}/wallet")
    record = Brand.objects.get(pk=brand.id)
    config = brand_config.brand_wallet(brand.id)
    shown = [repr(record), str(record), repr(config), repr(config.operator), repr(brand)]
    assert all(SECRET not in text for text in shown), shown

    player = new_player(brand)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(errors.ExternalWalletUnavailable) as refused:
        _move(api.wallet_debit, brand, player, 10, "unreachable-debit")
    _move(api.wallet_credit, brand, player, 10, "unreachable-credit")
    (debit, credit) = ExternalCall.objects.using(shard_map.alias_for(player.id)).order_by("id")
    assert (debit.status, credit.status) == ("rolling_back", "pending")
    assert debit.last_error and credit.last_error
    for text in (str(refused.value), debit.last_error, credit.last_error, caplog.text):
        assert SECRET not in text


@pytest.mark.parametrize(
    ("changes", "debug"),
    [
        ({"wallet_url": "http://operator.example/wallet"}, False),
        ({"wallet_url": "ftp://operator.example/wallet"}, True),
        ({"wallet_url": "https://user:pass@operator.example/wallet"}, False),
        ({"wallet_url": "https://operator.example/wallet?token=1"}, False),
        ({"wallet_secret": "too-short-a-secret"}, False),
        ({"wallet_key_id": "bad key id"}, False),
        ({"wallet_key_id": ""}, False),
        ({"mode": "b2c"}, False),
    ],
)
def test_a_brands_wallet_settings_are_validated_by_the_model(clean, changes, debug):
    """``brand_create`` and every form (the backoffice's) go through ``Brand.full_clean``."""
    good = {
        "mode": "b2b",
        "wallet_url": "https://operator.example/wallet",
        "wallet_secret": SECRET,
        "wallet_key_id": "2026-12",
    }
    before = Brand.objects.count()
    with override_settings(DEBUG=debug), pytest.raises(BrandError) as refused:
        brand_create(
            slug="delta",
            name="Delta",
            domains=["delta.localhost"],
            currency="EUR",
            **{**good, **changes},
        )
    assert refused.value.code == "invalid_wallet"
    assert Brand.objects.count() == before

    brand = brand_create(
        slug="delta", name="Delta", domains=["delta.localhost"], currency="EUR", **good
    )
    for name, value in changes.items():
        setattr(brand, name, value)
    with override_settings(DEBUG=debug), pytest.raises(ValidationError) as invalid:
        brand.full_clean()
    codes = {error.code for found in invalid.value.error_dict.values() for error in found}
    assert codes == {"invalid_wallet"}


def test_plain_http_is_a_development_convenience_only(clean):
    with override_settings(DEBUG=True):
        brand = brand_create(
            slug="delta",
            name="Delta",
            domains=["delta.localhost"],
            currency="EUR",
            mode="b2b",
            wallet_url="http://127.0.0.1:9/wallet",
            wallet_secret=SECRET,
        )
    with override_settings(DEBUG=False), pytest.raises(ValidationError):
        brand.full_clean()
