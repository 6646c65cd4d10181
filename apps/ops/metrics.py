"""Prometheus metrics of the web tier, and the outbox's dead letters (read at each scrape)."""

import logging

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from apps.outbox.services import dead_letter_counts

log = logging.getLogger(__name__)

REQUESTS = Counter("betting_http_requests_total", "HTTP requests served", ["method", "status"])
LATENCY = Histogram(
    "betting_http_request_seconds",
    "Time to serve an HTTP request",
    ["method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


class DeadLetters(Collector):
    """``betting_outbox_dead_letters{reason}``: events parked in the outbox's dead-letter table
    (``retries_exhausted``: to replay; ``invalid_signature``: refused, nobody of the platform
    wrote them). Counted in the global database when scraped, so every web process agrees."""

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "betting_outbox_dead_letters",
            "Outbox events parked in the dead-letter table",
            labels=["reason"],
        )

    def describe(self):
        # Without it the registry would collect (query the database) when registering.
        return [self._family()]

    def collect(self):
        try:
            counts = dead_letter_counts()
        except Exception as exc:  # the global database is down: /readyz says so
            log.warning("dead letters not counted: %s", type(exc).__name__)
            return
        family = self._family()
        for reason, count in sorted(counts.items()):
            family.add_metric([reason], count)
        yield family


REGISTRY.register(DeadLetters())
