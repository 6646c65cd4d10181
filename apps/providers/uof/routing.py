"""UOF routing keys: ``priority.prematch.live.message_type.sport_id.urn_prefix:type.event_id.node``.

For example ``hi.pre.-.odds_change.1.sr:match.1234.-`` or ``-.-.-.alive.-.-.-.-``; ``-`` marks an
empty part. System messages (alive, snapshot_complete, product_down) carry no event.
"""

from __future__ import annotations

from dataclasses import dataclass

EXCHANGE = "unifiedfeed"
SYSTEM_MESSAGES = frozenset({"alive", "snapshot_complete", "product_down"})
EVENT_MESSAGES = frozenset(
    {
        "odds_change",
        "bet_stop",
        "bet_settlement",
        "bet_cancel",
        "rollback_bet_settlement",
        "rollback_bet_cancel",
        "fixture_change",
    }
)
# Bindings a consumer always needs (system messages), and everything.
SYSTEM_BINDING = "-.-.-.#"
ALL_BINDING = "#"


class BadRoutingKey(ValueError):
    pass


@dataclass(frozen=True)
class RoutingKey:
    priority: str | None  # "hi" / "lo"
    prematch: bool
    live: bool
    message_type: str
    sport_id: int | None
    event_urn: str | None  # "sr:match:1234"
    node_id: str | None

    def render(self) -> str:
        prefix, _, kind = (self.event_urn or "").rpartition(":")
        urn_type = prefix if self.event_urn else "-"
        event = kind if self.event_urn else "-"
        return ".".join(
            [
                self.priority or "-",
                "pre" if self.prematch else "-",
                "live" if self.live else "-",
                self.message_type,
                str(self.sport_id) if self.sport_id is not None else "-",
                urn_type,
                event,
                self.node_id or "-",
            ]
        )


def parse_routing_key(key: str) -> RoutingKey:
    parts = key.split(".")
    if len(parts) != 8:
        raise BadRoutingKey(f"a UOF routing key has 8 parts, not {len(parts)}: {key!r}")
    priority, pre, live, message_type, sport, urn_type, event, node = parts
    if message_type not in SYSTEM_MESSAGES | EVENT_MESSAGES:
        raise BadRoutingKey(f"unknown message type {message_type!r}")
    if sport != "-" and not sport.isdigit():
        raise BadRoutingKey(f"sport id {sport!r} is not a number")
    event_urn = f"{urn_type}:{event}" if urn_type != "-" and event != "-" else None
    return RoutingKey(
        priority=None if priority == "-" else priority,
        prematch=pre == "pre",
        live=live == "live",
        message_type=message_type,
        sport_id=int(sport) if sport != "-" else None,
        event_urn=event_urn,
        node_id=None if node == "-" else node,
    )
