"""Cache-aside for the endpoint's responses: in-process by default, Redis by option.

Both caches store bytes under a string key with a time to live (TTL) and count their
hits and misses. An entry stored at time t is served while ``now < t + ttl_s`` and is a
miss from ``t + ttl_s`` on. :func:`cache_aside` is the read path (look up, on a miss load
from the database and store); the write path deletes the key after the database commit
(invalidation on write), so the next read loads fresh data.

The in-process cache takes a ``clock`` (seconds, monotonic) so that tests can replay a
trace on a :class:`FakeClock`; Redis expires keys on its own clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

# The course's clock and counters (unit 03), so both units' caches read the same way.
from tradeoffs.caching import CacheStats, FakeClock

__all__ = [
    "CacheStats",
    "FakeClock",
    "MemoryCache",
    "RedisCache",
    "ResponseCache",
    "cache_aside",
]


class ResponseCache(Protocol):
    stats: CacheStats

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_s: float) -> None: ...

    def delete(self, key: str) -> None: ...

    def clear(self) -> None: ...


class MemoryCache:
    """A thread-safe in-process TTL cache (a dict of key -> (expires_at, value))."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.stats = CacheStats()
        self._data: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._data.get(key)
            if entry is not None and self.clock() < entry[0]:
                self.stats.hits += 1
                return entry[1]
            if entry is not None:
                del self._data[key]  # expired
            self.stats.misses += 1
            return None

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        with self._lock:
            self._data[key] = (self.clock() + ttl_s, value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class RedisCache:
    """The same interface on a Redis server (``redis://host:port/db``), keys under ``prefix``.

    Redis expires keys itself (``SET key value PX ttl``); hits and misses are counted here,
    on the client side.
    """

    def __init__(self, url: str, *, prefix: str = "tradeoffs:endpoint:") -> None:
        import redis

        self.client: Any = redis.Redis.from_url(url, socket_timeout=5)
        self.client.ping()  # fail now, with the URL in the message, if unreachable
        self.prefix = prefix
        self.stats = CacheStats()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        value = self.client.get(self.prefix + key)
        with self._lock:
            if value is None:
                self.stats.misses += 1
            else:
                self.stats.hits += 1
        return value

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        self.client.set(self.prefix + key, value, px=max(1, round(ttl_s * 1000)))

    def delete(self, key: str) -> None:
        self.client.delete(self.prefix + key)

    def clear(self) -> None:
        keys = list(self.client.scan_iter(match=self.prefix + "*"))
        if keys:
            self.client.delete(*keys)


def cache_aside(
    cache: ResponseCache, key: str, load: Callable[[], bytes | None], ttl_s: float
) -> bytes | None:
    """Read through ``cache``: return the cached value, or ``load()`` it and store it.

    A None from ``load`` (e.g. an unknown user) is returned and not cached.
    """
    value = cache.get(key)
    if value is not None:
        return value
    value = load()
    if value is not None:
        cache.set(key, value, ttl_s)
    return value
