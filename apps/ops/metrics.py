"""Prometheus metrics of the web tier."""

from prometheus_client import Counter, Histogram

REQUESTS = Counter("betting_http_requests_total", "HTTP requests served", ["method", "status"])
LATENCY = Histogram(
    "betting_http_request_seconds",
    "Time to serve an HTTP request",
    ["method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
