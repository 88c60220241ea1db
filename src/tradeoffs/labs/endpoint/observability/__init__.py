"""Observability of the endpoint lab (unit 04): metrics, a real Prometheus, traces.

Modules: :mod:`.instrument` (prometheus_client metrics and ``/metrics`` for the app),
:mod:`.prometheus` (a real Prometheus server on loopback and PromQL over its HTTP API),
:mod:`.tracing` (OpenTelemetry spans for requests, cache calls and SQL statements;
in-memory or OTLP export), :mod:`.sampling` (head vs tail-based sampling of traces),
:mod:`.grafana` (a Grafana dashboard built from the course's PromQL).
"""

from tradeoffs.labs.endpoint.observability.instrument import (
    DEFAULT_BUCKETS_S,
    SLO_BUCKETS_S,
    Instrumentation,
    instrument_app,
)
from tradeoffs.labs.endpoint.observability.prometheus import (
    PrometheusServer,
    PrometheusUnavailable,
    prometheus_binary,
    promtool_binary,
)
from tradeoffs.labs.endpoint.observability.tracing import SpanRow, Tracing, head_sampler

__all__ = [
    "DEFAULT_BUCKETS_S",
    "SLO_BUCKETS_S",
    "Instrumentation",
    "PrometheusServer",
    "PrometheusUnavailable",
    "SpanRow",
    "Tracing",
    "head_sampler",
    "instrument_app",
    "prometheus_binary",
    "promtool_binary",
]
