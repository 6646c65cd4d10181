"""The benchmark scenarios by name, in the order ``python -m bench all`` runs them."""

from __future__ import annotations

from collections.abc import Callable

from bench.scenarios import bets, feed, http, site, wallet

Scenario = Callable[..., dict]  # run(*, quick: bool) -> the scenario's figures

SCENARIOS: dict[str, Scenario] = {
    "http": http.run,
    "wallet": wallet.run,
    "feed": feed.run,
    "bets": bets.run,
    "site": site.run,
}
