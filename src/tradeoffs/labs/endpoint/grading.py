"""Trusted helpers for the graded cells of unit 05 (the slow endpoint).

Each check builds its own fresh SQLite database and engine, installs its own query
counter, and is meant to run in a fresh process through
:func:`tradeoffs.checks.run_isolated`, so nothing the learner patched in the
kernel (the counter, the clock, the baseline) takes part. Results come back as plain
values (JSON-ready dicts, ints, strings).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tradeoffs.caching import FakeClock
from tradeoffs.labs.endpoint.db import QueryLog, explain, make_engine, sqlite_url
from tradeoffs.labs.endpoint.handlers import (
    baseline_user_json,
    optimized_user_json,
    recent_orders_stmt,
)
from tradeoffs.labs.endpoint.schema import User
from tradeoffs.labs.endpoint.seed import SeedSummary, seed_database

__all__ = [
    "EXERCISE_USERS",
    "ReferenceCache",
    "cache_trace",
    "check_handler",
    "check_index",
    "check_invalidation",
    "exercise_database",
    "replay_cache_trace",
    "time_handler",
]

EXERCISE_USERS = 300
_ENGINES: dict[tuple[str, float], Engine] = {}


def exercise_database(
    path: str | Path, n_users: int = EXERCISE_USERS, seed: int = 5
) -> SeedSummary:
    """Create (or refill) the exercise's small seeded SQLite database at ``path``."""
    return seed_database(make_engine(sqlite_url(path), round_trip_ms=0), n_users, seed=seed)


def _plain_json(value: Any, what: str) -> Any:
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} returned something that is not JSON-ready: {exc}") from exc


def check_handler(
    handler: Callable[[Session, int], Any], extra_ids: tuple[int, ...] = (), seed: int = 5
) -> dict[str, Any]:
    """Run ``handler`` and the baseline on a fresh seeded database.

    For the empty, a light and the first two heavy users (plus ``extra_ids``), each in a
    fresh session with statements counted: returns ``{"ids": [...], "got": [...],
    "want": [...], "queries": [...], "baseline_queries": [...]}``.
    """
    with tempfile.TemporaryDirectory(prefix="tradeoffs-grade-") as tmp:
        summary = exercise_database(Path(tmp) / "shop.db", seed=seed)
        engine = make_engine(sqlite_url(Path(tmp) / "shop.db"), round_trip_ms=0)
        ids = [
            summary.empty_user_id,
            summary.light_user_id,
            *summary.heavy_user_ids[:2],
            *extra_ids,
        ]
        out: dict[str, Any] = {"ids": ids, "got": [], "want": [], "queries": []}
        out["baseline_queries"] = []
        with QueryLog(engine) as log:
            for uid in ids:
                for fn, key, qkey in (
                    (handler, "got", "queries"),
                    (baseline_user_json, "want", "baseline_queries"),
                ):
                    log.reset()
                    with Session(engine) as session:
                        value = fn(session, uid)
                    out[key].append(_plain_json(value, f"handler(session, {uid})"))
                    out[qkey].append(log.total)
        engine.dispose()
    return out


def check_index(add_index: Callable[[Engine], Any], seed: int = 5) -> dict[str, Any]:
    """Call ``add_index(engine)`` on a fresh database without the index, then return the
    query plan of the recent-orders query, before and after, and the index names."""
    from sqlalchemy import inspect

    with tempfile.TemporaryDirectory(prefix="tradeoffs-grade-") as tmp:
        summary = exercise_database(Path(tmp) / "shop.db", seed=seed)
        engine = make_engine(sqlite_url(Path(tmp) / "shop.db"), round_trip_ms=0)
        stmt = recent_orders_stmt(summary.heavy_user_ids[0])
        before = explain(engine, stmt)
        add_index(engine)
        engine.dispose()
        engine = make_engine(sqlite_url(Path(tmp) / "shop.db"), round_trip_ms=0)
        after = explain(engine, stmt)
        indexes = [ix["name"] for ix in inspect(engine).get_indexes("orders")]
        engine.dispose()
    return {"before": before, "after": after, "indexes": indexes}


def plan_uses_index(plan: list[str]) -> bool:
    """True if a SQLite plan finds the orders by an index and needs no separate sort."""
    text = " | ".join(plan).upper()
    return "SEARCH ORDERS USING" in text and "INDEX" in text and "TEMP B-TREE" not in text


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


def check_invalidation(
    update_email: Callable[..., Any],
    cache_class: Callable[..., Any] = ReferenceCache,
    seed: int = 5,
) -> dict[str, Any]:
    """The write path, end to end, on a fresh database and a fake clock.

    Reads user A and user B through the cache (two misses), reads A again (a hit), then
    calls ``update_email(session, cache, A, new)`` with a cache whose ``invalidate``
    immediately lets a concurrent reader in (it re-reads A in another session): if the
    learner invalidates before committing, that reader caches the old email. Returns what
    the next reads of A and B served, what the database holds, and the number of loads.
    """
    with tempfile.TemporaryDirectory(prefix="tradeoffs-grade-") as tmp:
        summary = exercise_database(Path(tmp) / "shop.db", seed=seed)
        engine = make_engine(sqlite_url(Path(tmp) / "shop.db"), round_trip_ms=0)
        a, b = summary.light_user_id, summary.heavy_user_ids[0]
        new_email = f"changed-{a}@example.org"
        clock = FakeClock(100.0)
        loads: list[int] = []

        def load(uid: int) -> Callable[[], Any]:
            def _load() -> Any:
                loads.append(uid)
                with Session(engine) as s:
                    return optimized_user_json(s, uid)

            return _load

        class RacingCache(cache_class):  # type: ignore[misc, valid-type]
            racing = True

            def invalidate(self, user_id: int) -> None:
                super().invalidate(user_id)
                if self.racing:  # a concurrent request arrives right after the delete
                    self.racing = False
                    self.get_or_load(user_id, load(user_id))

        cache = RacingCache(ttl_s=60.0, clock=clock)
        cache.get_or_load(a, load(a))
        cache.get_or_load(b, load(b))
        clock.advance(1)
        cache.get_or_load(a, load(a))
        with Session(engine) as session:
            update_email(session, cache, a, new_email)
        clock.advance(1)
        served_a = cache.get_or_load(a, load(a))
        served_b = cache.get_or_load(b, load(b))
        with Session(engine) as s:
            db_email = s.scalar(select(User.email).where(User.id == a))
        engine.dispose()
    return {
        "new_email": new_email,
        "db_email": db_email,
        "served_email": served_a["email"] if isinstance(served_a, dict) else None,
        "loads": loads,
        "a": a,
        "b": b,
        "b_served_id": served_b["id"] if isinstance(served_b, dict) else None,
    }


def time_handler(
    handler: Callable[[Session, int], Any], db_path: str, user_id: int, round_trip_ms: float = 1.0
) -> None:
    """Serve ``user_id`` once with ``handler`` on the database at ``db_path``, with a
    modelled round trip (an engine per process and setting, reused across calls)."""
    key = (str(db_path), float(round_trip_ms))
    if key not in _ENGINES:
        _ENGINES[key] = make_engine(sqlite_url(db_path), round_trip_ms=round_trip_ms, jitter_ms=0)
    with Session(_ENGINES[key]) as session:
        json.dumps(handler(session, user_id))
