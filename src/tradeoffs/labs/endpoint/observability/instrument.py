"""Prometheus metrics for the endpoint service, with ``prometheus_client``.

:func:`instrument_app` adds, to an app made by :func:`..app.create_app` (before it is
served), a middleware that records every request in

- ``http_requests_total{route, method, code}``: a counter by route template and status;
- ``http_request_duration_seconds{route}``: a histogram of service time (seconds) with the
  bucket edges given, whose ``_bucket{le=...}`` series count requests at or under each edge;

and a ``GET /metrics`` route that serves them in Prometheus's text format. Each app gets
its own registry, so several instances in one process (the lesson runs two) keep their
own series, as separate processes would.

Bucket edges decide what a histogram can answer exactly: "share of requests under
300 ms" is an exact count only if 0.3 is an edge (:data:`SLO_BUCKETS_S` has 0.1 and 0.3);
``prometheus_client``'s defaults (:data:`DEFAULT_BUCKETS_S`) are in the library.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "DEFAULT_BUCKETS_S",
    "DURATION_METRIC",
    "REQUESTS_METRIC",
    "SLO_BUCKETS_S",
    "Instrumentation",
    "instrument_app",
]

DEFAULT_BUCKETS_S: tuple[float, ...] = tuple(Histogram.DEFAULT_BUCKETS)
"""prometheus_client's default bucket edges (seconds), +Inf included."""

SLO_BUCKETS_S: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0, math.inf,
)  # fmt: skip
"""Edges at the lessons' latency thresholds (100 and 300 ms), narrow where the p99 lives."""

REQUESTS_METRIC = "http_requests_total"
DURATION_METRIC = "http_request_duration_seconds"


@dataclass
class Instrumentation:
    """The app's registry and metrics (read them with ``registry.get_sample_value``)."""

    registry: CollectorRegistry
    requests: Counter
    duration: Histogram
    buckets_s: tuple[float, ...]

    def exposition(self) -> bytes:
        """The current metrics in Prometheus's text format (what ``/metrics`` serves)."""
        return generate_latest(self.registry)


def _route_of(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def instrument_app(app: Any, buckets_s: Sequence[float] = SLO_BUCKETS_S) -> Instrumentation:
    """Add the metrics middleware and ``GET /metrics`` to ``app``; return the metrics.

    Requests to ``/metrics`` itself are not recorded. Call this before the app is served.
    """
    edges = tuple(float(b) for b in buckets_s)
    if not edges or any(b <= a for a, b in zip(edges, edges[1:], strict=False)) or edges[0] <= 0:
        raise ValueError(f"buckets_s must be positive and strictly increasing, got {buckets_s}")
    registry = CollectorRegistry(auto_describe=True)
    requests = Counter(
        REQUESTS_METRIC,
        "HTTP requests by route template, method and status code",
        ("route", "method", "code"),
        registry=registry,
    )
    duration = Histogram(
        DURATION_METRIC,
        "Service time of HTTP requests in the app (seconds)",
        ("route",),
        buckets=edges,
        registry=registry,
    )
    inst = Instrumentation(registry, requests, duration, edges)

    async def metrics_middleware(request: Request, call_next: Any) -> Any:
        if request.url.path == "/metrics":
            return await call_next(request)
        started = time.perf_counter()
        response = await call_next(request)
        elapsed = time.perf_counter() - started
        route = _route_of(request)
        requests.labels(route, request.method, str(response.status_code)).inc()
        duration.labels(route).observe(elapsed)
        return response

    async def metrics_endpoint(_request: Request) -> Response:
        return Response(inst.exposition(), media_type=CONTENT_TYPE_LATEST)

    app.middleware("http")(metrics_middleware)
    app.add_route("/metrics", metrics_endpoint, methods=["GET"])
    return inst
