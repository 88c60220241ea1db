"""The cache-aside pattern over any backend: read through, invalidate-on-write or
write-through, request coalescing (single flight) against stampedes, and leases against
stale sets."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tradeoffs._validate import function, one_of
from tradeoffs.caching._counts import HitRatio
from tradeoffs.caching.backends import MISS, CacheBackend

__all__ = ["CacheAside", "CacheStats", "WritePolicy"]


@dataclass
class CacheStats(HitRatio):
    """Counts of one :class:`CacheAside`: lookups that hit, missed, loaded from the origin,
    or waited for another caller's load (coalesced), and loaded values that were not
    stored because an invalidation overtook them (refused: a lease at work)."""

    hits: int = 0
    misses: int = 0
    loads: int = 0
    coalesced: int = 0
    refused: int = 0


class _Flight:
    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


WritePolicy = Literal["invalidate", "write-through"]


class CacheAside:
    """Cache-aside over ``backend``: look in the cache, on a miss call ``load(key)`` (the
    origin) and store the result.

    ``write(key, value)`` calls ``save(key, value)`` on the origin, then either deletes the
    cached entry (``write_policy="invalidate"``, the next read reloads) or stores the new
    value in the cache (``"write-through"``). With ``coalesce=True``, concurrent misses on one
    key share a single origin call (single flight): the first caller loads, the others wait
    for its result; different keys still load in parallel. ``cache_none=False`` returns a
    None from the origin (e.g. an unknown id) without caching it.

    With ``leases=True`` (the backend must have ``lease`` and ``set_if_leased``, as both of
    the course's backends do) a miss takes a lease before it calls ``load``, and the value
    is stored only if no ``invalidate`` (or ``write``) of the key came in between: a reader
    that read the origin just before a write committed cannot put the old value back after
    the write's invalidation (see :mod:`.backends`). Without leases that race leaves a
    stale entry for a whole TTL, whatever the order of commit and invalidation.
    Thread-safe.
    """

    def __init__(
        self,
        backend: CacheBackend,
        load: Callable[[str], Any],
        save: Callable[[str, Any], None] | None = None,
        *,
        write_policy: WritePolicy = "invalidate",
        coalesce: bool = False,
        cache_none: bool = True,
        leases: bool = False,
    ) -> None:
        one_of(write_policy, ("invalidate", "write-through"), "write_policy")
        function(load, "load (key -> value)")
        self.backend = backend
        self.load = load
        self.save = save
        self.write_policy = write_policy
        self.coalesce = bool(coalesce)
        self.cache_none = bool(cache_none)
        self.leases = bool(leases)
        if self.leases and not (
            callable(getattr(backend, "lease", None))
            and callable(getattr(backend, "set_if_leased", None))
        ):
            raise TypeError(
                f"leases=True needs a backend with lease() and set_if_leased(); "
                f"{type(backend).__name__} has none"
            )
        self.stats = CacheStats()
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    def get(self, key: str) -> Any:
        """The value for ``key``, from the cache when it is there, else from the origin."""
        value = self.backend.get(key)
        if value is not MISS:
            self._count("hits")
            return value
        self._count("misses")
        if not self.coalesce:
            return self._load_and_store(key)
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
            else:
                self.stats.coalesced += 1
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value
        try:
            # Another caller may have finished loading between our miss and our flight.
            value = self.backend.get(key)
            flight.value = self._load_and_store(key) if value is MISS else value
            return flight.value
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()

    def _load_and_store(self, key: str) -> Any:
        # The lease is taken before the origin is read: an invalidation after this point
        # revokes it, whatever the origin returned.
        token = self.backend.lease(key) if self.leases else None  # type: ignore[attr-defined]
        self._count("loads")
        value = self.load(key)
        if value is not None or self.cache_none:
            if token is None:
                self.backend.set(key, value)
            elif not self.backend.set_if_leased(key, value, token):  # type: ignore[attr-defined]
                self._count("refused")
        return value

    def clear(self) -> None:
        """Drop every cached entry (the backend's ``clear``); the counts are kept."""
        self.backend.clear()

    def invalidate(self, key: str) -> None:
        """Drop the cached entry for ``key`` (after the origin changed it elsewhere), so the
        next read loads fresh data."""
        self.backend.delete(key)

    def write(self, key: str, value: Any) -> None:
        """Write ``value`` to the origin, then invalidate or update the cached entry."""
        if self.save is None:
            raise TypeError("this CacheAside has no save function: pass save=... to write")
        self.save(key, value)
        if self.write_policy == "invalidate":
            self.invalidate(key)
        else:
            self.backend.set(key, value)
