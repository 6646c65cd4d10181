"""Signing outbox events, so a consumer applies only what a platform role published.

The relay signs each event's envelope with ``OUTBOX_SIGNING_KEY``: ``key_id`` names the key and
``signature`` is ``hex(HMAC-SHA256(key, canonical JSON of the envelope without its signature))``
(keys sorted, no spaces), so the event id, topic, audience, brand, origin and payload are all
covered. A consumer accepts the signing key and the earlier keys of ``OUTBOX_VERIFY_KEYS`` (a
rotation in progress); anything else is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_ID = "key_id"
SIGNATURE = "signature"


def signing_key_check() -> None:
    """Refuse to go on without a signing key (the relay and the workers call it at start)."""
    if not settings.OUTBOX_SIGNING_KEY:
        raise ImproperlyConfigured(
            "OUTBOX_SIGNING_KEY is not set: the relay signs outbox events with it and the workers "
            "check them (DEBUG=1 gives a development key)"
        )


def _keys() -> dict[str, str]:
    current = {settings.OUTBOX_SIGNING_KEY_ID: settings.OUTBOX_SIGNING_KEY}
    return {name: key for name, key in {**settings.OUTBOX_VERIFY_KEYS, **current}.items() if key}


def _mac(key: str, envelope: dict[str, Any]) -> str:
    unsigned = {name: value for name, value in envelope.items() if name != SIGNATURE}
    message = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def envelope_sign(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope with the current key's id and its signature."""
    signing_key_check()
    signed = {**envelope, KEY_ID: settings.OUTBOX_SIGNING_KEY_ID}
    signed[SIGNATURE] = _mac(settings.OUTBOX_SIGNING_KEY, signed)
    return signed


def envelope_valid(envelope: Any) -> bool:
    """Whether the envelope was signed by a key the platform holds, and not changed since."""
    if not isinstance(envelope, dict):
        return False
    key = _keys().get(str(envelope.get(KEY_ID, "")))
    signature = envelope.get(SIGNATURE)
    if not key or not isinstance(signature, str):
        return False
    return hmac.compare_digest(_mac(key, envelope), signature)
