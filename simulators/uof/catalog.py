"""The market descriptions the simulator may publish (``apps/catalog/data/markets.json``).

Only markets listed there with a fixed set of outcomes are published; variant markets (an empty
outcomes map) and markets of another sport are left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MARKETS_FILE = Path(__file__).resolve().parents[2] / "apps" / "catalog" / "data" / "markets.json"


@dataclass(frozen=True)
class MarketDescription:
    id: int
    name: str
    outcomes: tuple[str, ...]
    groups: tuple[str, ...]
    sports: tuple[str, ...]


@lru_cache(maxsize=4)
def load(path: Path = MARKETS_FILE) -> dict[int, MarketDescription]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        int(m["id"]): MarketDescription(
            id=int(m["id"]),
            name=m.get("name", ""),
            outcomes=tuple(str(o) for o in (m.get("outcomes") or {})),
            groups=tuple(m.get("groups") or ()),
            sports=tuple(m.get("sports") or ()),
        )
        for m in data["markets"]
    }


def publishable(catalog: dict[int, MarketDescription], market_id: int, sport_urn: str) -> bool:
    market = catalog.get(market_id)
    return market is not None and bool(market.outcomes) and sport_urn in market.sports
