"""The event envelope that travels from an outbox, through the broker, to a consumer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

DELIVER = "outbox.deliver"  # the task every relayed event arrives as


@dataclass(frozen=True)
class OutboxEvent:
    event_id: uuid.UUID
    topic: str
    audience: str
    brand_id: int | None
    origin: str
    payload: dict[str, Any]

    def envelope(self) -> dict[str, Any]:
        return {
            "event_id": str(self.event_id),
            "topic": self.topic,
            "audience": self.audience,
            "brand_id": self.brand_id,
            "origin": self.origin,
            "payload": self.payload,
        }

    @classmethod
    def from_envelope(cls, data: dict[str, Any]) -> OutboxEvent:
        return cls(
            event_id=uuid.UUID(str(data["event_id"])),
            topic=str(data["topic"]),
            audience=str(data["audience"]),
            brand_id=data.get("brand_id"),
            origin=str(data.get("origin", "")),
            payload=dict(data.get("payload") or {}),
        )
