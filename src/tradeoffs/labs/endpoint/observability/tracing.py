"""OpenTelemetry traces of the endpoint: a span for the request (FastAPI's
instrumentation), for each cache call, and for each SQL statement (SQLAlchemy's).

:class:`Tracing` owns a tracer provider whose spans go to an in-memory exporter (the
default: the notebook reads them back) or, with ``otlp_endpoint``, to an OpenTelemetry
collector over OTLP/HTTP (Jaeger, Tempo and the vendors' agents accept it), or both.
:meth:`~Tracing.spans` returns finished spans as plain rows for tables and a waterfall.

Two details matter for honest traces here:

- the SQLAlchemy instrumentation's declared range stops before SQLAlchemy 2.1; it works
  with it, so it is installed with ``skip_dep_check=True`` (and the app would run
  untraced, not fail, if a future version broke it);
- the lab models the network round trip to the database by sleeping in a
  ``before_cursor_execute`` listener (:mod:`..db`). Listeners run in the order they were
  added, so :meth:`~Tracing.instrument_engine` adds the tracing listener first and the
  round trip after it: each query's span then includes its round trip, as it would with a
  real remote database.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased
from sqlalchemy.engine import Engine

from tradeoffs.labs.endpoint.db import RoundTrip

__all__ = ["SpanRow", "Tracing", "head_sampler"]


def head_sampler(ratio: float) -> Sampler:
    """Head sampling: keep a trace with probability ``ratio``, decided when it starts
    (before anyone knows whether it will be slow), children following their parent."""
    if not 0 <= ratio <= 1:
        raise ValueError(f"ratio must be in [0, 1], got {ratio!r}")
    return ParentBased(TraceIdRatioBased(ratio))


@dataclass(frozen=True)
class SpanRow:
    """A finished span as plain values; times in ms from the start of its trace's root."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    start_ms: float
    duration_ms: float
    depth: int
    statement: str | None = None


class Tracing:
    """A tracer provider for the lab's service (see the module docstring).

    ``sampler`` defaults to keeping every trace; ``otlp_endpoint`` (e.g.
    ``http://127.0.0.1:4318/v1/traces``) also exports to a collector, in batches.
    Call :meth:`close` (or use ``with``) to remove the instrumentation.
    """

    def __init__(
        self,
        *,
        service_name: str = "shop",
        sampler: Sampler | None = None,
        memory: bool = True,
        otlp_endpoint: str | None = None,
    ) -> None:
        self.provider = TracerProvider(
            resource=Resource.create({"service.name": service_name}), sampler=sampler
        )
        self.exporter: InMemorySpanExporter | None = None
        if memory:
            self.exporter = InMemorySpanExporter()
            self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            self.provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint))
            )
        self.tracer = self.provider.get_tracer("tradeoffs.labs.endpoint")
        self._undo: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ instrumenting

    def instrument_app(self, app: Any) -> None:
        """Trace every request to ``app`` (FastAPI's instrumentation; ``/metrics`` and
        ``/stats`` are left out). Call before the app is served."""
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.provider,
            excluded_urls="/metrics,/stats,/healthz",
            exclude_spans=["receive", "send"],
        )
        self._undo.append(lambda: FastAPIInstrumentor.uninstrument_app(app))

    def instrument_engine(self, engine: Engine, round_trip: RoundTrip | None = None) -> None:
        """Trace every statement ``engine`` runs; then add ``round_trip`` (the modelled
        network) so that it falls inside each statement's span. Make the engine with
        ``round_trip_ms=0`` and pass the model here."""
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        instrumentor = SQLAlchemyInstrumentor()
        instrumentor.instrument(engine=engine, tracer_provider=self.provider, skip_dep_check=True)
        self._undo.append(instrumentor.uninstrument)
        if round_trip is not None:
            round_trip.install(engine)
            engine.round_trip = round_trip  # type: ignore[attr-defined]

    def trace_cache(self, cache: Any) -> None:
        """Wrap the get, set and delete of ``cache``'s backend (an app's
        ``state.lab.cache``, a :class:`~tradeoffs.caching.CacheAside`) in spans named
        ``cache get`` etc., with whether a get hit."""
        from tradeoffs.caching import MISS

        backend = getattr(cache, "backend", cache)
        for op in ("get", "set", "delete"):
            original = getattr(backend, op)

            @functools.wraps(original)
            def traced(*args: Any, _op: str = op, _fn: Any = original, **kwargs: Any) -> Any:
                with self.tracer.start_as_current_span(f"cache {_op}") as span:
                    result = _fn(*args, **kwargs)
                    if _op == "get":
                        span.set_attribute("cache.hit", result is not MISS)
                    return result

            setattr(backend, op, traced)
            self._undo.append(functools.partial(delattr, backend, op))

    # ------------------------------------------------------------------ reading back

    def finished(self) -> tuple[ReadableSpan, ...]:
        if self.exporter is None:
            raise RuntimeError("this Tracing exports by OTLP only (memory=False)")
        self.provider.force_flush()
        return tuple(self.exporter.get_finished_spans())

    def spans(self) -> list[SpanRow]:
        """Every finished span, grouped by trace, in start order, as :class:`SpanRow`."""
        spans = self.finished()
        by_id = {s.context.span_id: s for s in spans}
        roots: dict[int, int] = {}
        for s in spans:
            if s.parent is None or s.parent.span_id not in by_id:
                roots[s.context.trace_id] = min(
                    roots.get(s.context.trace_id, s.start_time or 0), s.start_time or 0
                )

        def depth(s: ReadableSpan) -> int:
            d = 0
            while s.parent is not None and s.parent.span_id in by_id:
                s = by_id[s.parent.span_id]
                d += 1
            return d

        rows = []
        for s in sorted(spans, key=lambda s: (s.context.trace_id, s.start_time or 0)):
            t0 = roots.get(s.context.trace_id, s.start_time or 0)
            statement = (s.attributes or {}).get("db.statement") or (s.attributes or {}).get(
                "db.query.text"
            )
            rows.append(
                SpanRow(
                    trace_id=f"{s.context.trace_id:032x}",
                    span_id=f"{s.context.span_id:016x}",
                    parent_id=None if s.parent is None else f"{s.parent.span_id:016x}",
                    name=s.name,
                    start_ms=((s.start_time or 0) - t0) / 1e6,
                    duration_ms=((s.end_time or 0) - (s.start_time or 0)) / 1e6,
                    depth=depth(s),
                    statement=None if statement is None else str(statement),
                )
            )
        return rows

    def clear(self) -> None:
        if self.exporter is not None:
            self.exporter.clear()

    def close(self) -> None:
        """Remove every instrumentation added, flush and shut the provider down."""
        while self._undo:
            with contextlib.suppress(Exception):
                self._undo.pop()()
        self.provider.shutdown()

    def __enter__(self) -> Tracing:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
