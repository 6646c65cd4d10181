"""A reference operator wallet, speaking the operator wallet protocol, for tests and demos.

It keeps players' balances in memory (a new player starts with ``start_balance``), applies each
transaction id once (same id and data: the same answer; other data: ``duplicate_transaction``),
records a rollback of an unknown transaction and then refuses that transaction, and can be told
to fail (HTTP 500 before applying), to stall (apply, then answer too late) or to be slow.

It verifies every request as an operator must (signature, key id, time window, and each nonce
once, remembered in Redis for twice the window) and signs every answer to a request whose key it
holds. It can hold several keys at once (a rotation in progress).
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.core.cache import cache

from apps.wallet.api import (
    OPERATOR_NONCE_HEADER,
    OperatorRequestRefused,
    OperatorSigningKey,
    operator_answer_headers,
    operator_request_verify,
)


@dataclass
class Behaviour:
    fail_rate: float = 0.0
    stall_rate: float = 0.0
    stall_s: float = 3.0
    slow_s: float = 0.0
    seed: int | None = None


@dataclass
class OperatorWalletState:
    start_balance: int = 1_000_000
    balances: dict[str, int] = field(default_factory=dict)
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    rolled_back_unknown: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def apply(self, action: str, data: dict[str, Any]) -> dict[str, Any]:
        tx_id = str(data.get("transaction_id", ""))
        player = str(data.get("player_id", ""))
        amount = data.get("amount")
        if not tx_id or not player or not isinstance(amount, int) or amount < 0:
            return {"status": "error", "code": "wrong_syntax"}
        with self.lock:
            seen = self.transactions.get(tx_id)
            if seen is not None:
                same = (seen["action"], seen["player"], seen["amount"]) == (action, player, amount)
                return (
                    seen["answer"] if same else {"status": "error", "code": "duplicate_transaction"}
                )
            balance = self.balances.setdefault(player, self.start_balance)
            record = {
                "action": action,
                "player": player,
                "amount": amount,
                "state": "applied",
                "reference": data.get("reference_transaction_id"),
            }
            if action == "debit":
                if tx_id in self.rolled_back_unknown:
                    answer = {"status": "error", "code": "transaction_rolled_back"}
                    record["state"] = "refused"
                elif balance < amount:
                    answer = {"status": "error", "code": "insufficient_funds"}
                    record["state"] = "refused"
                else:
                    self.balances[player] = balance - amount
                    answer = {"status": "ok", "balance": self.balances[player]}
            elif action == "credit":
                self.balances[player] = balance + amount
                answer = {"status": "ok", "balance": self.balances[player]}
            else:  # rollback
                reference = str(data.get("reference_transaction_id", ""))
                original = self.transactions.get(reference)
                if original is None:
                    self.rolled_back_unknown.add(reference)
                elif original["action"] == "debit" and original["state"] == "applied":
                    self.balances[player] = balance + original["amount"]
                    original["state"] = "rolled_back"
                answer = {"status": "ok", "balance": self.balances[player]}
            record["answer"] = answer
            self.transactions[tx_id] = record
            return answer

    def listing(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "transaction_id": tx_id,
                    "action": r["action"],
                    "player_id": r["player"],
                    "amount": r["amount"],
                    "state": r["state"],
                    "reference": r["reference"],
                }
                for tx_id, r in self.transactions.items()
            ]


def nonce_first_use(nonce: str, ttl_s: int) -> bool:
    """Remember a request's nonce (Redis ``SET NX EX``); False when it was seen before."""
    return cache.add(f"operator-wallet:nonce:{nonce}", 1, timeout=ttl_s)


def make_server(
    *,
    port: int,
    keys: dict[str, str],
    behaviour: Behaviour,
    state: OperatorWalletState | None = None,
) -> ThreadingHTTPServer:
    """``keys`` maps key ids to shared secrets: every one of them is accepted."""
    state = state or OperatorWalletState()
    rng = random.Random(behaviour.seed)
    rng_lock = threading.Lock()

    def roll(rate: float) -> bool:
        with rng_lock:
            return rng.random() < rate

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet: tests read the platform's logs
            pass

        def _send(
            self, status: int, body: dict[str, Any], key: OperatorSigningKey | None = None
        ) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            if key is not None:
                signed = operator_answer_headers(
                    key,
                    status=status,
                    method=self.command,
                    path=self.path,
                    request_nonce=self.headers.get(OPERATOR_NONCE_HEADER, ""),
                    body=raw,
                )
                for name, value in signed.items():
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

        def _verified(self, body: bytes) -> OperatorSigningKey | None:
            """The request's key, or None once the refusal is sent (signed when the key id is
            one of ours, so the platform can trust the refusal)."""
            try:
                return operator_request_verify(
                    keys,
                    method=self.command,
                    path=self.path,
                    headers=self.headers,
                    body=body,
                    nonce_first_use=nonce_first_use,
                )
            except OperatorRequestRefused as refused:
                self._send(401, {"status": "error", "code": refused.code}, refused.key)
                return None

        def do_GET(self) -> None:
            if self.path != "/transactions":
                return self._send(404, {"status": "error", "code": "not_found"})
            key = self._verified(b"")
            if key is None:
                return None
            return self._send(200, {"transactions": state.listing()}, key)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            action = self.path.strip("/")
            if action not in {"debit", "credit", "rollback"}:
                return self._send(404, {"status": "error", "code": "not_found"})
            key = self._verified(body)
            if key is None:
                return None
            try:
                data = json.loads(body)
            except ValueError:
                return self._send(400, {"status": "error", "code": "wrong_syntax"}, key)
            if behaviour.slow_s:
                time.sleep(behaviour.slow_s)
            if roll(behaviour.fail_rate):
                return self._send(500, {"status": "error", "code": "unknown"}, key)
            answer = state.apply(action, data)
            if roll(behaviour.stall_rate):
                time.sleep(behaviour.stall_s)  # applied, but the answer comes too late
            return self._send(200, answer, key)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server
