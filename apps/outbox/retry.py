"""How long a consumer keeps trying an event before parking it in the dead-letter table.

The delays double from ``first_s`` up to ``max_s`` and go on at ``max_s`` until their sum
reaches ``for_s``:  d_n = min(max_s, first_s * 2**n),  retries = the least N with
sum(d_0 .. d_{N-1}) >= for_s. With the defaults (1 s, 300 s, 6 hours): 1, 2, 4, ... 256, then
300 s, 80 retries in all, so a database down for an hour (or five) loses nothing.
"""

from __future__ import annotations


def retry_delays(*, first_s: float, max_s: float, for_s: float) -> list[float]:
    """The delay before each retry, in order."""
    if not 0 < first_s <= max_s:
        raise ValueError("0 < first_s <= max_s")
    delays: list[float] = []
    total = 0.0
    while total < for_s:
        delay = min(max_s, first_s * 2 ** len(delays))
        delays.append(delay)
        total += delay
    return delays
