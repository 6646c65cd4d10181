"""The operator wallet protocol (external wallet mode), both sides of it.

The platform POSTs JSON to ``<wallet_url>/debit``, ``/credit`` and ``/rollback``. Every call
carries ``transaction_id``, the platform's id and the operator's idempotency key (same id, same
answer), a ``reason`` (bet, settle, rollback, ...) and, for a rollback,
``reference_transaction_id``. The answer is ``{"status": "ok", "balance": n}`` or
``{"status": "error", "code": "..."}``. ``GET /transactions`` lists what the operator recorded,
for reconciliation.

Both directions are signed with a secret shared per brand, chosen by its key id:

* a request carries ``X-Key-Id``, ``X-Timestamp`` (Unix seconds), ``X-Nonce`` (random, used once)
  and ``X-Signature = hex(HMAC-SHA256(secret, "request\\n" METHOD "\\n" path "\\n" timestamp
  "\\n" nonce "\\n" body))``. The operator refuses a request whose timestamp is more than
  ``REPLAY_WINDOW_S`` away from its clock, or whose nonce it has seen within the window (a
  replay), or whose key id it does not hold;
* an answer carries ``X-Key-Id``, ``X-Timestamp`` and ``X-Signature = hex(HMAC-SHA256(secret,
  "answer\\n" status "\\n" METHOD "\\n" path "\\n" timestamp "\\n" request nonce "\\n" body))``.
  The request's nonce binds the answer to the one request it answers, so an answer recorded
  earlier cannot be played back for another call. An answer that is unsigned, signed wrongly,
  out of the window or bound to another request is no answer at all (``OperatorUnavailable``): a
  debit is then rolled back and a credit retried, never taken as applied or refused.

The key id lets an operator hold two keys at once while a brand moves to a new secret. The
secret never appears in a ``repr``, a log line or an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SIGNATURE_HEADER = "X-Signature"
KEY_ID_HEADER = "X-Key-Id"
TIMESTAMP_HEADER = "X-Timestamp"
NONCE_HEADER = "X-Nonce"
TIMEOUT_S = 2.0
REPLAY_WINDOW_S = 300


@dataclass(frozen=True)
class SigningKey:
    """One shared secret and the id both sides know it by; the secret stays out of ``repr``."""

    key_id: str
    secret: str = field(repr=False)


def _mac(secret: str, *parts: str, body: bytes) -> str:
    message = "\n".join(parts).encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def request_signature(
    secret: str, *, method: str, path: str, timestamp: str, nonce: str, body: bytes
) -> str:
    return _mac(secret, "request", method.upper(), path, timestamp, nonce, body=body)


def answer_signature(
    secret: str,
    *,
    status: int,
    method: str,
    path: str,
    timestamp: str,
    request_nonce: str,
    body: bytes,
) -> str:
    return _mac(
        secret, "answer", str(status), method.upper(), path, timestamp, request_nonce, body=body
    )


def request_headers(key: SigningKey, *, method: str, path: str, body: bytes) -> dict[str, str]:
    """The headers that sign a request (a fresh nonce and the current time)."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    return {
        KEY_ID_HEADER: key.key_id,
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: request_signature(
            key.secret, method=method, path=path, timestamp=timestamp, nonce=nonce, body=body
        ),
    }


def answer_headers(
    key: SigningKey, *, status: int, method: str, path: str, request_nonce: str, body: bytes
) -> dict[str, str]:
    """The headers that sign an answer to the request that carried ``request_nonce``."""
    timestamp = str(int(time.time()))
    return {
        KEY_ID_HEADER: key.key_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: answer_signature(
            key.secret,
            status=status,
            method=method,
            path=path,
            timestamp=timestamp,
            request_nonce=request_nonce,
            body=body,
        ),
    }


def _fresh(timestamp: str, window_s: int) -> bool:
    try:
        return abs(time.time() - int(timestamp)) <= window_s
    except ValueError:
        return False


class RequestRefused(Exception):
    """A request that the verifying side refuses; ``code`` is the protocol's error code, ``key``
    the key its id named, if the verifying side holds it (to sign the refusal with)."""

    def __init__(self, code: str, key: SigningKey | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.key = key


def request_verify(
    keys: Mapping[str, str],
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    nonce_first_use: Callable[[str, int], bool],
    window_s: int = REPLAY_WINDOW_S,
) -> SigningKey:
    """Check a request's signature, time and nonce (the operator's side); its key, or
    RequestRefused with ``unknown_key``, ``invalid_signature``, ``stale_request`` or
    ``replayed_request``. ``keys`` maps key ids to secrets (two during a rotation);
    ``nonce_first_use(nonce, ttl_s)`` records a nonce and says whether it was new (Redis
    ``SET NX EX`` on the operator's side). The nonce is recorded only once the signature holds,
    so nobody can burn another caller's nonces."""
    key_id = headers.get(KEY_ID_HEADER) or ""
    secret = keys.get(key_id)
    if not secret:
        raise RequestRefused("unknown_key")
    key = SigningKey(key_id, secret)
    timestamp = headers.get(TIMESTAMP_HEADER) or ""
    nonce = headers.get(NONCE_HEADER) or ""
    expected = request_signature(
        secret, method=method, path=path, timestamp=timestamp, nonce=nonce, body=body
    )
    if not nonce or not hmac.compare_digest(expected, headers.get(SIGNATURE_HEADER) or ""):
        raise RequestRefused("invalid_signature", key)
    if not _fresh(timestamp, window_s):
        raise RequestRefused("stale_request", key)
    if not nonce_first_use(f"{key_id}:{nonce}", 2 * window_s):
        raise RequestRefused("replayed_request", key)
    return key


def answer_valid(
    key: SigningKey,
    *,
    status: int,
    method: str,
    path: str,
    request_nonce: str,
    headers: Mapping[str, str],
    body: bytes,
    window_s: int = REPLAY_WINDOW_S,
) -> bool:
    """Whether an answer was signed by the operator for the request that carried
    ``request_nonce`` (the platform's side), within the replay window."""
    timestamp = headers.get(TIMESTAMP_HEADER) or ""
    if headers.get(KEY_ID_HEADER) != key.key_id or not _fresh(timestamp, window_s):
        return False
    expected = answer_signature(
        key.secret,
        status=status,
        method=method,
        path=path,
        timestamp=timestamp,
        request_nonce=request_nonce,
        body=body,
    )
    return hmac.compare_digest(expected, headers.get(SIGNATURE_HEADER) or "")


class OperatorUnavailable(Exception):
    """No usable answer: a time-out, a network error, a 5xx, a malformed body, or an answer
    without a valid signature."""


@dataclass(frozen=True)
class Answer:
    ok: bool
    code: str = ""
    balance: int | None = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: the signed request is for one path of one host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _exchange(
    url: str, key: SigningKey, *, method: str, body: bytes, timeout: float
) -> tuple[int, bytes]:
    """Send a signed request; the status and body of an answer whose signature holds."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise OperatorUnavailable("the operator wallet URL must be http or https")
    path = parts.path or "/"
    headers = request_headers(key, method=method, path=path, body=body)
    if body:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, data=body if method == "POST" else None, method=method, headers=headers
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, raw, answer = response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        if exc.code >= 500:
            raise OperatorUnavailable(f"HTTP {exc.code}") from None
        try:
            status, raw, answer = exc.code, exc.read(), exc.headers
        except OSError:
            raise OperatorUnavailable(f"HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:  # time-outs, refused connections
        raise OperatorUnavailable(f"{type(exc).__name__}: {exc}"[:200]) from None
    if not answer_valid(
        key,
        status=status,
        method=method,
        path=path,
        request_nonce=headers[NONCE_HEADER],
        headers=answer,
        body=raw,
    ):
        raise OperatorUnavailable(f"HTTP {status}: the answer's signature is missing or invalid")
    return status, raw


def call(
    url: str, key: SigningKey, action: str, payload: dict[str, Any], timeout: float = TIMEOUT_S
) -> Answer:
    body = json.dumps(payload, sort_keys=True).encode()
    _, raw = _exchange(
        f"{url.rstrip('/')}/{action}", key, method="POST", body=body, timeout=timeout
    )
    try:
        data = json.loads(raw)
    except ValueError:
        raise OperatorUnavailable("malformed answer") from None
    if not isinstance(data, dict) or data.get("status") not in {"ok", "error"}:
        raise OperatorUnavailable("malformed answer")
    if data["status"] == "ok":
        balance = data.get("balance")
        return Answer(ok=True, balance=balance if isinstance(balance, int) else None)
    return Answer(ok=False, code=str(data.get("code", "error"))[:60])


def transactions(url: str, key: SigningKey, timeout: float = 10.0) -> list[dict[str, Any]]:
    _, raw = _exchange(
        f"{url.rstrip('/')}/transactions", key, method="GET", body=b"", timeout=timeout
    )
    try:
        return json.loads(raw)["transactions"]
    except (ValueError, KeyError, TypeError) as exc:
        raise OperatorUnavailable(f"{type(exc).__name__}: malformed listing") from None
