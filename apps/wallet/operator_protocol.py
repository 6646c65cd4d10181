"""The operator wallet protocol (external wallet mode), both sides of it.

The platform POSTs JSON to ``<wallet_url>/debit``, ``/credit`` and ``/rollback``, signed with
``X-Signature: hex(HMAC-SHA256(secret, body))``. Every call carries ``transaction_id``, the
platform's id and the operator's idempotency key (same id, same answer), a ``reason`` (bet,
settle, rollback, ...) and, for a rollback, ``reference_transaction_id``. The answer is
``{"status": "ok", "balance": n}`` or ``{"status": "error", "code": "..."}``. ``GET
/transactions`` (signed over the empty body) lists what the operator recorded, for reconciliation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "X-Signature"
TIMEOUT_S = 2.0


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature or "")


class OperatorUnavailable(Exception):
    """No usable answer: a time-out, a network error, a 5xx or a malformed body."""


@dataclass(frozen=True)
class Answer:
    ok: bool
    code: str = ""
    balance: int | None = None


def _open(request: urllib.request.Request, timeout: float):
    """Open an http(s) URL only: the operator's URL is configuration, never another scheme."""
    if urllib.parse.urlsplit(request.full_url).scheme not in {"http", "https"}:
        raise OperatorUnavailable("the operator wallet URL must be http or https")
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (scheme checked)


def call(
    url: str, secret: str, action: str, payload: dict[str, Any], timeout: float = TIMEOUT_S
) -> Answer:
    body = json.dumps(payload, sort_keys=True).encode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked in _open)
        f"{url.rstrip('/')}/{action}",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)},
    )
    try:
        with _open(request, timeout) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code >= 500:
            raise OperatorUnavailable(f"HTTP {exc.code}") from None
        try:
            data = json.loads(exc.read())
        except ValueError:
            raise OperatorUnavailable(f"HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:  # time-outs, refused connections, bad JSON
        raise OperatorUnavailable(f"{type(exc).__name__}: {exc}"[:200]) from None
    if not isinstance(data, dict) or data.get("status") not in {"ok", "error"}:
        raise OperatorUnavailable("malformed answer")
    if data["status"] == "ok":
        balance = data.get("balance")
        return Answer(ok=True, balance=balance if isinstance(balance, int) else None)
    return Answer(ok=False, code=str(data.get("code", "error"))[:60])


def transactions(url: str, secret: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 (scheme checked in _open)
        f"{url.rstrip('/')}/transactions", headers={SIGNATURE_HEADER: sign(secret, b"")}
    )
    try:
        with _open(request, timeout) as response:
            return json.loads(response.read())["transactions"]
    except (OSError, ValueError, KeyError) as exc:
        raise OperatorUnavailable(f"{type(exc).__name__}: {exc}"[:200]) from None
