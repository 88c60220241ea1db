"""What concurrency does to the endpoint's cache, made to happen on purpose.

:func:`invalidation_race` runs the race that "commit, then delete" leaves open, on the
real service (uvicorn, httpx, the in-process cache), deterministically: a reader misses on
a user and loads the old row; the cache's store is held back at a gate while a writer's
``PATCH`` commits the new email and invalidates the entry; then the reader's store goes
through. Without leases the old page is stored *after* the invalidation and served for a
whole TTL; with leases (the lab's default) the store is refused.

:func:`stampede` sends many concurrent requests for one user whose page is not cached (a
cold cache, or just after an invalidation or an expiry) and counts the database loads,
with and without single flight.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tradeoffs.labs.endpoint.app import AppConfig, create_app
from tradeoffs.labs.endpoint.schema import User
from tradeoffs.labs.endpoint.server import serve

__all__ = ["RaceResult", "StampedeRun", "invalidation_race", "stampede"]


class _HeldStore:
    """A backend whose first store waits at a gate: ``arrived`` is set when a store is
    waiting, ``release`` lets it through. Everything else is the wrapped backend's."""

    def __init__(self, backend: Any, timeout_s: float) -> None:
        self.backend = backend
        self.timeout_s = timeout_s
        self.arrived = threading.Event()
        self.release = threading.Event()
        self._held = False
        self._lock = threading.Lock()

    def _wait(self) -> None:
        with self._lock:
            first, self._held = not self._held, True
        if first:
            self.arrived.set()
            if not self.release.wait(self.timeout_s):
                raise TimeoutError("the held store was never released")

    def get(self, key: str) -> Any:
        return self.backend.get(key)

    def set(self, key: str, value: Any) -> None:
        self._wait()
        self.backend.set(key, value)

    def set_if_leased(self, key: str, value: Any, token: str) -> bool:
        self._wait()
        return bool(self.backend.set_if_leased(key, value, token))

    def lease(self, key: str) -> str:
        return str(self.backend.lease(key))

    def delete(self, key: str) -> None:
        self.backend.delete(key)

    def clear(self) -> object:
        return self.backend.clear()


def _email(engine: Engine, user_id: int) -> str | None:
    with Session(engine) as session:
        return session.scalar(select(User.email).where(User.id == int(user_id)))


@dataclass(frozen=True)
class RaceResult:
    """The emails seen in one run of the race: what the database holds after the write,
    what the racing reader got, and what the next read served."""

    leases: bool
    old_email: str
    new_email: str
    racing_reader_got: str
    next_read_got: str
    db_email: str
    refused_stores: int

    @property
    def stale(self) -> bool:
        """True if the read after the write served the email from before it."""
        return self.next_read_got != self.db_email


def invalidation_race(
    engine: Engine,
    user_id: int,
    *,
    leases: bool,
    new_email: str | None = None,
    ttl_s: float = 60.0,
    timeout_s: float = 10.0,
) -> RaceResult:
    """Make the invalidation race happen once on a fresh service over ``engine`` (the
    optimised handler, an in-process cache with ``leases`` on or off); see the module
    docstring. ``user_id`` must exist; the run changes their email (to ``new_email``)."""
    app = create_app(
        engine,
        AppConfig(
            mode="optimized",
            cache="memory",
            cache_ttl_s=ttl_s,
            cache_leases=leases,
            cache_coalesce=False,
        ),
    )
    state = app.state.lab
    race = _HeldStore(state.cache.backend, timeout_s)
    state.cache.backend = race
    path = f"/users/{int(user_id)}"
    old_email = _email(engine, user_id)
    if old_email is None:
        raise ValueError(f"there is no user {user_id}")
    email = new_email or f"changed-{int(user_id)}-{'lease' if leases else 'no-lease'}@x.org"
    got: dict[str, Any] = {}
    try:
        with serve(app) as server:

            def reader() -> None:
                with httpx.Client(base_url=server.url, timeout=timeout_s) as client:
                    got["body"] = client.get(path).json()

            thread = threading.Thread(target=reader, name="racing-reader")
            thread.start()  # it misses, reads the old row, and its store waits
            if not race.arrived.wait(timeout_s):
                raise TimeoutError("the racing reader never reached the cache")
            with httpx.Client(base_url=server.url, timeout=timeout_s) as writer:
                changed = writer.patch(path, json={"email": email})  # commit, then invalidate
                if changed.status_code != 200:
                    raise RuntimeError(f"PATCH {path} returned {changed.status_code}")
                race.release.set()  # the reader's late store goes through (or is refused)
                thread.join(timeout_s)
                after = writer.get(path).json()
    finally:
        race.release.set()
        state.close()
    return RaceResult(
        leases=leases,
        old_email=old_email,
        new_email=email,
        racing_reader_got=str(got.get("body", {}).get("email")),
        next_read_got=str(after["email"]),
        db_email=str(_email(engine, user_id)),
        refused_stores=int(state.cache.stats.refused),
    )


@dataclass(frozen=True)
class StampedeRun:
    """``clients`` concurrent requests for one uncached page: how many database loads they
    caused, how many waited for another's load, and whether all got the same page."""

    coalesce: bool
    clients: int
    loads: int
    coalesced: int
    statements: int
    all_same: bool


def stampede(
    engine: Engine, user_id: int, *, coalesce: bool, clients: int = 32, timeout_s: float = 30.0
) -> StampedeRun:
    """Send ``clients`` concurrent ``GET /users/{user_id}`` to a fresh service with an empty
    in-process cache (single flight on or off), released together behind a barrier."""
    app = create_app(engine, AppConfig(mode="optimized", cache="memory", cache_coalesce=coalesce))
    state = app.state.lab
    barrier = threading.Barrier(clients)
    try:
        with serve(app, thread_pool_size=max(40, clients)) as server:

            def one(_: int) -> bytes:
                with httpx.Client(base_url=server.url, timeout=timeout_s) as client:
                    client.get("/healthz")  # connect first, so the barrier releases requests
                    barrier.wait(timeout_s)
                    return client.get(f"/users/{int(user_id)}").content

            with ThreadPoolExecutor(clients) as pool:
                bodies = list(pool.map(one, range(clients)))
            snap = state.snapshot()
    finally:
        state.close()
    return StampedeRun(
        coalesce=coalesce,
        clients=clients,
        loads=int(snap["cache"]["loads"]),
        coalesced=int(snap["cache"]["coalesced"]),
        statements=int(sum(snap["queries_per_request"])),
        all_same=len(set(bodies)) == 1,
    )
