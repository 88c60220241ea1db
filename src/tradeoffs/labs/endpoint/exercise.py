"""Fixtures for the graded cells of unit 05 (the slow endpoint).

The tests give the learner's handler a database it can use but does not own:
`ExerciseDatabase` is a fresh seeded SQLite file held by the test (in the grader's harness,
that is the grader's process), and `remote_session(db.serve)` builds, in the learner's
process, a SQLAlchemy session whose every statement is sent to `db.serve` and run there.
So the statements are counted, and the modelled network round trip is slept, on the test's
side: nothing the learner's code does to its own process changes either. The expected
JSON and the query plans come from the test's own connection. Results are plain values.

The exercise's endpoint is the product page (``baseline_product_json``), which the lesson
does not optimise; its database has a skewed product popularity (bestsellers, rarely sold
and unsold products). The cache part is driven by :func:`replay_cache_trace` (TTL rules on
a fake clock) and the ``lease_*`` drivers, which make the invalidation race happen inside a
load, deterministically.

In a learner's own kernel the same cells work unchanged: `checks.inside` then builds the
session in the kernel, and `db.serve` is an ordinary method call.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tradeoffs.caching import FakeClock
from tradeoffs.labs.endpoint.db import explain, make_engine, sqlite_url
from tradeoffs.labs.endpoint.handlers import (
    baseline_product_json,
    baseline_user_json,
    optimized_user_json,
)
from tradeoffs.labs.endpoint.handlers import recent_orders_stmt as _recent_orders_stmt
from tradeoffs.labs.endpoint.handlers import recent_sales_stmt as _recent_sales_stmt
from tradeoffs.labs.endpoint.schema import User
from tradeoffs.labs.endpoint.seed import SeedSummary, seed_database

__all__ = [
    "EXERCISE_PRODUCTS",
    "EXERCISE_USERS",
    "ExerciseDatabase",
    "ReferenceCache",
    "cache_trace",
    "exercise_database",
    "lease_failed_load",
    "lease_none_is_a_value",
    "lease_other_keys",
    "lease_overtaken_store",
    "plan_uses_index",
    "plan_searches",
    "remote_engine",
    "remote_session",
    "replay_cache_trace",
    "serve_page",
    "serve_user",
    "write_path",
]

EXERCISE_USERS = 300
EXERCISE_PRODUCTS = 400
PRODUCT_SKEW = 1.0


def exercise_database(
    path: str | Path, n_users: int = EXERCISE_USERS, seed: int = 5
) -> SeedSummary:
    """Create (or refill) the exercise's small seeded SQLite database at ``path``: users as
    in the lesson, fewer products, and a skewed product popularity."""
    engine = make_engine(sqlite_url(path), round_trip_ms=0)
    try:
        return seed_database(
            engine, n_users, n_products=EXERCISE_PRODUCTS, product_skew=PRODUCT_SKEW, seed=seed
        )
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the test's side


class ExerciseDatabase:
    """A fresh seeded database that the test holds and serves to the learner's session.

    `serve(op, ...)` is the only way in (see `remote_session`); it counts statements in
    `statements` and sleeps `round_trip_ms` before each, as a database on another machine
    would cost. `expected_json(user_id)` and `plan(sql)` use the test's own connection.
    """

    def __init__(self, seed: int = 5, n_users: int = EXERCISE_USERS, round_trip_ms: float = 0.0):
        self._dir = tempfile.TemporaryDirectory(prefix="tradeoffs-exercise-db-")
        self.path = Path(self._dir.name) / "shop.db"
        self.summary = exercise_database(self.path, n_users=n_users, seed=seed)
        self.round_trip_ms = float(round_trip_ms)
        self.statements = 0
        self._ids = itertools.count(1)
        self._conns: dict[int, sqlite3.Connection] = {}
        self._lock = threading.Lock()

    # -------------------------------------------------------------- serving

    def serve(self, op: str, conn_id: int = 0, sql: str = "", params: Any = None) -> Any:
        """One DB-API operation from a remote session: connect, execute, executemany,
        commit, rollback, close. Results are plain: rows as lists of tuples."""
        if op == "connect":
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            with self._lock:
                cid = next(self._ids)
                self._conns[cid] = conn
            return cid
        found = self._conns.get(conn_id)
        if found is None:
            return {"error": ["ProgrammingError", "the connection is closed"]}
        conn = found
        try:
            if op in ("execute", "executemany"):
                if type(sql) is not str:
                    return {"error": ["ProgrammingError", "SQL must be a string"]}
                with self._lock:
                    self.statements += 1
                if self.round_trip_ms > 0:
                    time.sleep(self.round_trip_ms / 1000)
                cursor = conn.cursor()
                if op == "execute":
                    cursor.execute(sql, tuple(params or ()))
                else:
                    cursor.executemany(sql, [tuple(p) for p in params or ()])
                rows = cursor.fetchall() if cursor.description else []
                description = [list(d[:1]) + [None] * 6 for d in cursor.description or ()]
                return {
                    "rows": [tuple(r) for r in rows],
                    "description": description,
                    "rowcount": cursor.rowcount,
                    "lastrowid": cursor.lastrowid,
                }
            if op == "commit":
                conn.commit()
            elif op == "rollback":
                conn.rollback()
            elif op == "close":
                conn.close()
                with self._lock:
                    self._conns.pop(conn_id, None)
            else:
                return {"error": ["ProgrammingError", f"unknown operation {op!r}"]}
            return {}
        except sqlite3.Error as exc:
            return {"error": [type(exc).__name__, str(exc)]}

    # -------------------------------------------------------------- the test's own view

    def probe_user_ids(self, *extra: int) -> list[int]:
        """Users worth serving: one with no orders, a light one, two heavy ones, `extra`."""
        s = self.summary
        return [s.empty_user_id, s.light_user_id, *s.heavy_user_ids[:2], *extra]

    def probe_product_ids(self, *extra: int) -> list[int]:
        """Products worth serving: the two bestsellers, a rarely sold one, an unsold one
        (when the seed has one), and `extra` (e.g. an unknown id)."""
        s = self.summary
        found = [*s.bestseller_product_ids[:2], s.rare_product_id, s.unsold_product_id]
        return [p for p in found if p is not None] + list(extra)

    def expected_product_json(self, product_id: int) -> Any:
        """What the baseline product page returns for `product_id`, as plain values."""
        engine = self._engine()
        try:
            with Session(engine) as session:
                return json.loads(json.dumps(baseline_product_json(session, product_id)))
        finally:
            engine.dispose()

    def recent_sales_plan(self, product_id: int) -> list[str]:
        """SQLite's plan for the recent-sales query of `product_id`, on the test's connection."""
        engine = self._engine()
        try:
            return explain(engine, _recent_sales_stmt(product_id))
        finally:
            engine.dispose()

    def _engine(self) -> Engine:
        return make_engine(sqlite_url(self.path), round_trip_ms=0)

    def expected_json(self, user_id: int) -> Any:
        """What the baseline handler returns for `user_id`, as JSON-ready plain values."""
        engine = self._engine()
        try:
            with Session(engine) as session:
                return json.loads(json.dumps(baseline_user_json(session, user_id)))
        finally:
            engine.dispose()

    def recent_orders_plan(self, user_id: int) -> list[str]:
        """SQLite's plan for the recent-orders query of `user_id`, on the test's connection."""
        engine = self._engine()
        try:
            return explain(engine, _recent_orders_stmt(user_id))
        finally:
            engine.dispose()

    def email(self, user_id: int) -> str | None:
        engine = self._engine()
        try:
            with Session(engine) as session:
                return session.scalar(select(User.email).where(User.id == user_id))
        finally:
            engine.dispose()

    def close(self) -> None:
        for conn in list(self._conns.values()):
            conn.close()
        self._conns.clear()
        self._dir.cleanup()

    def __enter__(self) -> ExerciseDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def plan_searches(plan: list[str], table: str) -> bool:
    """True if a SQLite plan finds the rows of ``table`` by an index (SEARCH ... USING
    INDEX, not a SCAN) and needs no separate sort (no TEMP B-TREE)."""
    text = " | ".join(plan).upper()
    return (
        f"SEARCH {table.upper()} USING" in text
        and "INDEX" in text
        and "TEMP B-TREE" not in text
        and f"SCAN {table.upper()}" not in text
    )


def plan_uses_index(plan: list[str]) -> bool:
    """True if a SQLite plan finds the orders by an index and needs no separate sort."""
    return plan_searches(plan, "orders")


# ---------------------------------------------------------------- the learner's side


class _RemoteError(Exception):
    pass


class _Module:
    """What SQLAlchemy's SQLite dialect needs of a DB-API module, served remotely."""

    paramstyle = "qmark"
    sqlite_version_info = sqlite3.sqlite_version_info
    sqlite_version = sqlite3.sqlite_version
    version_info = (2, 6, 0)
    Binary = bytes
    Error = type("Error", (_RemoteError,), {})
    Warning = type("Warning", (Exception,), {})
    InterfaceError = type("InterfaceError", (Error,), {})
    DatabaseError = type("DatabaseError", (Error,), {})
    DataError = type("DataError", (DatabaseError,), {})
    OperationalError = type("OperationalError", (DatabaseError,), {})
    IntegrityError = type("IntegrityError", (DatabaseError,), {})
    InternalError = type("InternalError", (DatabaseError,), {})
    ProgrammingError = type("ProgrammingError", (DatabaseError,), {})
    NotSupportedError = type("NotSupportedError", (DatabaseError,), {})
    PARSE_DECLTYPES = sqlite3.PARSE_DECLTYPES
    PARSE_COLNAMES = sqlite3.PARSE_COLNAMES

    def __init__(self, serve: Callable[..., Any]) -> None:
        self.serve = serve

    def connect(self, *args: Any, **kwargs: Any) -> _Connection:
        return _Connection(self, self.serve("connect"))

    def raise_for(self, reply: Any) -> Any:
        if type(reply) is dict and reply.get("error"):
            kind, message = reply["error"]
            raise getattr(self, str(kind), self.DatabaseError)(message)
        return reply


class _Cursor:
    arraysize = 1

    def __init__(self, conn: _Connection) -> None:
        self.connection = conn
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: Any = None
        self._rows: list[tuple[Any, ...]] = []

    def _take(self, reply: Any) -> None:
        reply = self.connection.module.raise_for(reply)
        self._rows = [tuple(r) for r in reply.get("rows", [])]
        self.description = [tuple(d) for d in reply.get("description", [])] or None
        self.rowcount = reply.get("rowcount", -1)
        self.lastrowid = reply.get("lastrowid")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        self._take(self.connection.call("execute", sql, list(params or ())))
        return self

    def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> _Cursor:
        self._take(self.connection.call("executemany", sql, [list(p) for p in seq]))
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        size = size or self.arraysize
        out, self._rows = self._rows[:size], self._rows[size:]
        return out

    def fetchall(self) -> list[tuple[Any, ...]]:
        out, self._rows = self._rows, []
        return out

    def close(self) -> None:
        self._rows = []

    def __iter__(self) -> Any:
        return iter(self.fetchall())


class _Connection:
    isolation_level = ""
    in_transaction = False

    def __init__(self, module: _Module, conn_id: int) -> None:
        self.module = module
        self.conn_id = conn_id

    def call(self, op: str, sql: str = "", params: Any = None) -> Any:
        return self.module.serve(op, self.conn_id, sql, params)

    def cursor(self) -> _Cursor:
        return _Cursor(self)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        return self.cursor().execute(sql, params)

    def commit(self) -> None:
        self.module.raise_for(self.call("commit"))

    def rollback(self) -> None:
        self.module.raise_for(self.call("rollback"))

    def close(self) -> None:
        self.call("close")

    def create_function(self, *args: Any, **kwargs: Any) -> None:
        """SQL functions would run on the serving side; none is needed here."""


def remote_engine(serve: Callable[..., Any]) -> Engine:
    """A SQLAlchemy engine (SQLite dialect) whose connections are served by `serve`: every
    statement runs, and is counted, where `serve` lives."""
    module = _Module(serve)
    engine = create_engine(
        "sqlite://", module=module, creator=module.connect, pool_reset_on_return=None
    )
    with engine.connect():  # the dialect's first-connect queries, before anyone counts
        pass
    return engine


def remote_session(serve: Callable[..., Any]) -> Session:
    """A session on `remote_engine(serve)`."""
    return Session(remote_engine(serve))


def serve_page(
    handler: Callable[[Session, int], Any], serve: Callable[..., Any], page_id: int
) -> None:
    """One request: a fresh remote session, `handler(session, page_id)`, the JSON encoded."""
    with remote_session(serve) as session:
        json.dumps(handler(session, page_id))


serve_user = serve_page  # the name the user page's tests knew it by


def write_path(
    change_email: Callable[..., Any],
    db: ExerciseDatabase,
    session: Any,
    cache_class: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """The write path, end to end, on a fake clock, with the learner's `change_email` and a
    `session` on `db` (made in the learner's process: `checks.inside(remote_session, db.serve)`).

    Reads user A and user B through a cache (two misses), reads A again (a hit), then
    calls `change_email(session, cache, A, new)` with a cache whose `invalidate` lets a
    concurrent reader in at that very moment (it re-reads A on its own connection): if the
    email is invalidated before it is committed, that reader caches the old email. Returns
    what the next reads of A and B served, what the database holds, and the loads made.
    """
    cache_class = cache_class or ReferenceCache
    a, b = db.summary.light_user_id, db.summary.heavy_user_ids[0]
    new_email = f"changed-{a}@example.org"
    clock = FakeClock(100.0)
    loads: list[int] = []
    engine = make_engine(sqlite_url(db.path), round_trip_ms=0)

    def load(uid: int) -> Callable[[], Any]:
        def _load() -> Any:
            loads.append(uid)
            with Session(engine) as s:
                return json.loads(json.dumps(optimized_user_json(s, uid)))

        return _load

    class RacingCache(cache_class):  # type: ignore[misc, valid-type]
        racing = True

        def invalidate(self, user_id: int) -> None:
            super().invalidate(user_id)
            if self.racing:  # a concurrent request arrives right after the delete
                self.racing = False
                self.get_or_load(user_id, load(user_id))

    cache = RacingCache(ttl_s=60.0, clock=clock)
    try:
        cache.get_or_load(a, load(a))
        cache.get_or_load(b, load(b))
        clock.advance(1)
        cache.get_or_load(a, load(a))
        change_email(session, cache, a, new_email)
        clock.advance(1)
        served_a = cache.get_or_load(a, load(a))
        served_b = cache.get_or_load(b, load(b))
    finally:
        engine.dispose()
    return {
        "new_email": new_email,
        "db_email": db.email(a),
        "served_email": served_a["email"] if isinstance(served_a, dict) else None,
        "loads": loads,
        "a": a,
        "b": b,
        "b_served_id": served_b["id"] if isinstance(served_b, dict) else None,
    }


# ---------------------------------------------------------------- the cache part


def cache_trace(
    n: int = 400, n_keys: int = 12, seed: int = 0, max_gap_s: int = 6
) -> list[tuple[float, int]]:
    """A seeded trace of reads: (time in s, user id), times in whole seconds so that some
    reads fall exactly on an entry's expiry time."""
    rng = np.random.default_rng(seed)
    times = np.cumsum(rng.integers(0, max_gap_s + 1, n))
    keys = rng.integers(1, n_keys + 1, n)
    return [(float(t), int(k)) for t, k in zip(times, keys, strict=True)]


class ReferenceCache:
    """The cache-aside semantics the exercise asks for (used to compute expected counts).

    ``get_or_load(user_id, load)`` returns the entry if ``clock() < stored_at + ttl_s``,
    else calls ``load()``, stores the result with the current time and returns it.
    ``invalidate(user_id)`` drops the entry.
    """

    def __init__(self, ttl_s: float, clock: Callable[[], float]) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._data: dict[int, tuple[float, Any]] = {}

    def get_or_load(self, user_id: int, load: Callable[[], Any]) -> Any:
        entry = self._data.get(user_id)
        now = self.clock()
        if entry is not None and now < entry[0] + self.ttl_s:
            return entry[1]
        value = load()
        self._data[user_id] = (now, value)
        return value

    def invalidate(self, user_id: int) -> None:
        self._data.pop(user_id, None)


def replay_cache_trace(
    cache_class: Callable[..., Any], trace: list[tuple[float, int]], ttl_s: float
) -> dict[str, Any]:
    """Replay ``trace`` through ``cache_class(ttl_s=..., clock=...)`` on a fake clock.

    Every load returns a fresh version stamp, so a value served from the cache can be
    told from a loaded one. Returns the number of loads (misses), of hits, and the
    versions each read returned.
    """
    clock = FakeClock()
    cache = cache_class(ttl_s=ttl_s, clock=clock)
    loads = 0
    served: list[int] = []

    def loader(user_id: int) -> Callable[[], dict[str, int]]:
        def load() -> dict[str, int]:
            nonlocal loads
            loads += 1
            return {"user_id": user_id, "version": loads}

        return load

    for t, user_id in trace:
        clock.set(t)
        value = cache.get_or_load(user_id, loader(user_id))
        if type(value) is not dict or set(value) != {"user_id", "version"}:
            raise TypeError(f"get_or_load returned {value!r:.60}, not the loaded value")
        if value["user_id"] != user_id:
            raise ValueError(f"get_or_load({user_id}) returned user {value['user_id']}'s data")
        served.append(int(value["version"]))
    return {"misses": loads, "hits": len(trace) - loads, "served": served}


# ---------------------------------------------------------------- the lease part
#
# Each driver takes the learner's class (`cache_class(ttl_s=..., clock=...)` with
# `get_or_load(key, load)` and `invalidate(key)`) and returns what it observed, as plain
# values. A load is a closure here, so in the grader it runs in the harness: the writer's
# invalidation that it makes "happen during the load" is a call back into the learner's
# cache while its get_or_load is still waiting for the load to return.


def _versioned() -> tuple[list[str], Callable[[str], Callable[[], dict[str, Any]]]]:
    loads: list[str] = []

    def loader(key: str) -> Callable[[], dict[str, Any]]:
        def load() -> dict[str, Any]:
            loads.append(key)
            return {"key": key, "version": len(loads)}

        return load

    return loads, loader


def _version(value: Any) -> Any:
    return value.get("version") if isinstance(value, dict) else value


def lease_overtaken_store(cache_class: Callable[..., Any]) -> dict[str, Any]:
    """A read of "a" whose load is overtaken by a write: while the load runs, the writer
    commits and calls `invalidate("a")`. Then "a" is read twice more, a second apart.

    Expected with leases: the first read returns what it loaded (version 1) but does not
    store it, the second loads again (version 2) and stores it, the third is a hit
    (version 2): `served == [1, 2, 2]`, `loads == 2`.
    """
    clock = FakeClock(100.0)
    cache = cache_class(ttl_s=60.0, clock=clock)
    loads, loader = _versioned()

    def overtaken() -> dict[str, Any]:
        value = loader("a")()
        cache.invalidate("a")  # the writer commits and invalidates, mid-load
        return value

    served = [_version(cache.get_or_load("a", overtaken))]
    for _ in range(2):
        clock.advance(1)
        served.append(_version(cache.get_or_load("a", loader("a"))))
    return {"served": served, "loads": len(loads)}


def lease_other_keys(cache_class: Callable[..., Any]) -> dict[str, Any]:
    """Invalidations of *other* keys during a load do not stop its store; invalidating a
    key never stored is fine; an invalidation drops only its own key.

    "a" is loaded while "b" (never stored) is invalidated: "a" must be stored. Then "c" is
    loaded and stored, "a" invalidated: "c" stays, "a" is loaded again.
    Expected: `served == [1, 1, 2, 2, 3]`, `loads == 3`.
    """
    clock = FakeClock(0.0)
    cache = cache_class(ttl_s=30.0, clock=clock)
    loads, loader = _versioned()

    def with_other_write() -> dict[str, Any]:
        value = loader("a")()
        cache.invalidate("b")
        return value

    served = [_version(cache.get_or_load("a", with_other_write))]
    clock.advance(1)
    served.append(_version(cache.get_or_load("a", loader("a"))))  # a hit
    served.append(_version(cache.get_or_load("c", loader("c"))))  # stored
    cache.invalidate("a")
    clock.advance(1)
    served.append(_version(cache.get_or_load("c", loader("c"))))  # still a hit
    served.append(_version(cache.get_or_load("a", loader("a"))))  # loaded again
    return {"served": served, "loads": len(loads)}


def lease_none_is_a_value(cache_class: Callable[..., Any]) -> dict[str, Any]:
    """A load that returns None (a user with nothing to show) is a value like any other:
    it is stored and served until it expires. Expected: `loads == 2` over reads at t = 0,
    5 and 10 with a TTL of 10 s (the third is expired), and every read returned None."""
    clock = FakeClock(0.0)
    cache = cache_class(ttl_s=10.0, clock=clock)
    calls: list[float] = []

    def load() -> None:
        calls.append(clock())
        return None

    served = []
    for t in (0.0, 5.0, 10.0):
        clock.set(t)
        served.append(cache.get_or_load("quiet", load))
    return {"served": served, "loads": len(calls), "load_times": calls}


def lease_failed_load(cache_class: Callable[..., Any]) -> dict[str, Any]:
    """A load that raises stores nothing and the error reaches the caller; the next read
    loads again, and is then stored as usual. Expected: `raised == "LookupError"`,
    `served == [1, 1]`, `loads == 1` (the failed load is not counted)."""
    clock = FakeClock(0.0)
    cache = cache_class(ttl_s=30.0, clock=clock)
    loads, loader = _versioned()

    def failing() -> Any:
        raise LookupError("the database is down")

    raised = None
    try:
        cache.get_or_load("a", failing)
    except Exception as exc:  # whatever the learner's code let through
        raised = type(exc).__name__
    served = [_version(cache.get_or_load("a", loader("a")))]
    clock.advance(1)
    served.append(_version(cache.get_or_load("a", loader("a"))))
    return {"raised": raised, "served": served, "loads": len(loads)}
