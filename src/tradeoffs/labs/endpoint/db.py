"""Engines with a modelled network round trip, query counting and query plans.

SQLite runs inside the Python process and answers a primary-key lookup in a few
microseconds, so a page that issues 400 queries still feels fast and the N+1 problem
stays hidden. A database on another machine costs a network round trip per query
(typically 0.5 to 5 ms inside a cloud region). :func:`make_engine` models that round trip
explicitly: before every statement it sleeps ``round_trip_ms`` plus an exponential jitter
with mean ``jitter_ms``. With PostgreSQL the round trips are real (even on loopback they
cost tens of microseconds), and the model is off unless asked for.

:class:`QueryLog` counts and records the statements an engine executes (SQLAlchemy's
``before_cursor_execute`` event), globally or for the current request only.
:func:`explain` returns the database's query plan for a statement.
"""

from __future__ import annotations

import contextvars
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Select, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

__all__ = [
    "DEFAULT_JITTER_MS",
    "DEFAULT_ROUND_TRIP_MS",
    "QueryLog",
    "RoundTrip",
    "explain",
    "make_engine",
    "sqlite_url",
]

DEFAULT_ROUND_TRIP_MS = 3.0
DEFAULT_JITTER_MS = 1.0


def sqlite_url(path: str | Path) -> str:
    """A SQLAlchemy URL for the SQLite file at ``path``."""
    return f"sqlite:///{Path(path)}"


@dataclass
class RoundTrip:
    """The modelled network round trip: ``round_trip_ms`` plus exponential jitter (mean
    ``jitter_ms``) slept before each statement. Change the fields to change the model live."""

    round_trip_ms: float = DEFAULT_ROUND_TRIP_MS
    jitter_ms: float = DEFAULT_JITTER_MS
    seed: int | None = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.round_trip_ms < 0 or self.jitter_ms < 0:
            raise ValueError(
                f"round_trip_ms and jitter_ms must be >= 0, got {self.round_trip_ms}, "
                f"{self.jitter_ms}"
            )
        self._rng = random.Random(self.seed)

    def delay_ms(self) -> float:
        """One draw of the per-statement delay, in ms."""
        jitter = self._rng.expovariate(1.0 / self.jitter_ms) if self.jitter_ms > 0 else 0.0
        return self.round_trip_ms + jitter

    def install(self, engine: Engine) -> None:
        def _sleep(*_args: Any, **_kwargs: Any) -> None:
            delay = self.delay_ms()
            if delay > 0:
                time.sleep(delay / 1000)

        event.listen(engine, "before_cursor_execute", _sleep)


def make_engine(
    url: str,
    *,
    round_trip_ms: float | None = None,
    jitter_ms: float = DEFAULT_JITTER_MS,
    pool_size: int = 5,
    max_overflow: int = 10,
    seed: int | None = 0,
) -> Engine:
    """An engine for ``url`` (SQLite file or PostgreSQL), with a modelled round trip.

    ``round_trip_ms=None`` means DEFAULT_ROUND_TRIP_MS (3 ms, plus jitter of mean
    ``jitter_ms``) for SQLite, which lives in-process, and no added delay for any other
    database, whose round trips are real; pass 0 to switch the model off. ``pool_size`` and
    ``max_overflow`` size the connection pool (QueuePool) for every backend. The model in use
    is ``engine.round_trip`` (a :class:`RoundTrip`, or None).
    """
    if pool_size < 1 or max_overflow < 0:
        raise ValueError(
            f"pool_size must be >= 1 and max_overflow >= 0, got {pool_size}, {max_overflow}"
        )
    is_sqlite = url.startswith("sqlite")
    if is_sqlite and url in ("sqlite://", "sqlite:///:memory:"):
        raise ValueError(
            "use a SQLite file (sqlite_url(path)): an in-memory database is per connection"
        )
    kwargs: dict[str, Any] = {
        "poolclass": QueuePool,
        "pool_size": pool_size,
        "max_overflow": max_overflow,
    }
    if is_sqlite:
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if is_sqlite:

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    if round_trip_ms is None:
        round_trip_ms = DEFAULT_ROUND_TRIP_MS if is_sqlite else 0.0
    model: RoundTrip | None = None
    if round_trip_ms > 0:
        model = RoundTrip(round_trip_ms, jitter_ms, seed)
        model.install(engine)
    engine.round_trip = model  # type: ignore[attr-defined]
    return engine


_REQUEST_LOG: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "tradeoffs_endpoint_request_log", default=None
)


def _count_for_request(*_args: Any, **_kwargs: Any) -> None:
    current = _REQUEST_LOG.get()
    if current is not None:
        current.append(_args[2])  # the statement's SQL


class QueryLog:
    """Counts (and optionally keeps) every statement an engine executes.

    ``total`` counts all statements since :meth:`reset`; ``statements`` keeps their SQL when
    ``keep=True``. Per request: ``with log.request() as stmts:`` collects the statements run
    in this context (thread pool workers inherit it), for per-request counts in a server.
    """

    def __init__(self, engine: Engine, *, keep: bool = False) -> None:
        self.engine = engine
        self.keep = keep
        self.total = 0
        self.statements: list[str] = []
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._on_execute)
        # Per-request collection: one listener per engine, however many logs watch it.
        if not event.contains(engine, "before_cursor_execute", _count_for_request):
            event.listen(engine, "before_cursor_execute", _count_for_request)

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        with self._lock:
            self.total += 1
            if self.keep:
                self.statements.append(statement)

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.statements.clear()

    def close(self) -> None:
        """Stop listening to the engine."""
        event.remove(self.engine, "before_cursor_execute", self._on_execute)

    @staticmethod
    @contextmanager
    def request() -> Iterator[list[str]]:
        """Collect the statements executed in this context, on any engine that has a
        QueryLog (each statement once)."""
        stmts: list[str] = []
        token = _REQUEST_LOG.set(stmts)
        try:
            yield stmts
        finally:
            _REQUEST_LOG.reset(token)

    def __enter__(self) -> QueryLog:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def explain(engine: Engine, statement: Select[Any]) -> list[str]:
    """The query plan of ``statement``, one line per plan node.

    SQLite: ``EXPLAIN QUERY PLAN`` (e.g. ``SCAN orders`` vs ``SEARCH orders USING INDEX
    ...``); PostgreSQL: ``EXPLAIN`` (e.g. ``Seq Scan on orders`` vs ``Index Scan ...``).
    Bound parameters are inlined, so use literal values (ints, strings) in ``statement``.
    """
    sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()
            return [str(row[-1]) for row in rows]
        rows = conn.exec_driver_sql("EXPLAIN " + sql).all()
        return [str(row[0]) for row in rows]
