"""Cache backends with one contract: ``get`` (the value, or :data:`MISS`), ``set`` and
``delete`` by string key, with the TTL fixed per cache.

:class:`LocalCache` is cachetools' LRU/TTL cache in process (bounded by ``maxsize``,
thread-safe); :class:`RedisCache` is the same interface on a real Redis server (bounded
by Redis' own ``maxmemory``). Unit 03 teaches with both; the endpoint lab (unit 05)
caches its responses in either.
"""

from __future__ import annotations

import json
import pickle
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol

import cachetools

from tradeoffs._validate import count as _count
from tradeoffs._validate import one_of
from tradeoffs._validate import positive as _positive

__all__ = ["MISS", "SERIALIZERS", "CacheBackend", "LocalCache", "RedisCache", "Serializer", "codec"]


class _Miss:
    """The sentinel a backend returns for an absent or expired key (None is a valid value)."""

    _instance: _Miss | None = None

    def __new__(cls) -> _Miss:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISS"

    def __bool__(self) -> bool:
        return False


MISS: Any = _Miss()


class CacheBackend(Protocol):
    """What :class:`CacheAside` needs from a cache: get (or MISS), set and delete by key,
    and clear it all."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...

    def delete(self, key: str) -> None: ...

    def clear(self) -> object: ...


class LocalCache:
    """An in-process cache built on cachetools: LRU when ``ttl_s`` is None, else TTL+LRU.

    ``maxsize`` bounds the number of entries (least recently used evicted first; expired
    entries are dropped before anything live is evicted). An entry stored at time t is fresh
    while ``clock() < t + ttl_s``; reads do not extend it. ``clock`` returns seconds
    (default ``time.monotonic``; pass a :class:`FakeClock` for exact tests). All operations
    hold a lock, so threads may share one instance.
    """

    def __init__(
        self,
        maxsize: int,
        ttl_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.maxsize = _count(maxsize, "maxsize")
        self.ttl_s = None if ttl_s is None else _positive(ttl_s, "ttl_s")
        self._cache: cachetools.Cache[str, Any]
        if self.ttl_s is None:
            self._cache = cachetools.LRUCache(maxsize=self.maxsize)
        else:
            self._cache = cachetools.TTLCache(maxsize=self.maxsize, ttl=self.ttl_s, timer=clock)
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            return self._cache.get(key, MISS)

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._cache[key] = value

    def delete(self, key: str) -> None:
        with self._lock:
            self._cache.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)

    def __repr__(self) -> str:
        return f"LocalCache(maxsize={self.maxsize}, ttl_s={self.ttl_s})"


Serializer = Literal["pickle", "json", "bytes"]
SERIALIZERS: tuple[Serializer, ...] = ("pickle", "json", "bytes")


def _raw_bytes(value: Any) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError(f"serializer='bytes' stores bytes, got {type(value).__name__}")
    return value


def codec(serializer: Serializer) -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    """(dumps, loads) for ``serializer``: "pickle", "json", or "bytes" (values are already
    bytes, e.g. a rendered response body, and are stored as they are)."""
    one_of(serializer, SERIALIZERS, "serializer")
    if serializer == "pickle":
        return (lambda v: pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)), pickle.loads
    if serializer == "json":
        return (lambda v: json.dumps(v, separators=(",", ":")).encode()), json.loads
    return _raw_bytes, bytes


class RedisCache:
    """The :class:`LocalCache` interface on a real Redis server.

    Values are serialized (pickle by default, JSON, or ``"bytes"`` for values that are
    bytes already) and stored under ``prefix + key``
    with ``SET ... PX ttl`` when ``ttl_s`` is given; Redis evicts by its own
    ``maxmemory-policy``, not by a count. ``round_trips`` counts commands sent. Only
    unpickle data from a Redis you trust.
    """

    def __init__(
        self,
        client: Any,
        ttl_s: float | None = None,
        prefix: str = "tradeoffs:",
        serializer: Serializer = "pickle",
    ) -> None:
        self.client = client
        self.ttl_s = None if ttl_s is None else _positive(ttl_s, "ttl_s")
        self.prefix = str(prefix)
        self._dumps, self._loads = codec(serializer)
        self.round_trips = 0
        self._lock = threading.Lock()

    def _sent(self, n: int = 1) -> None:
        with self._lock:
            self.round_trips += n

    def get(self, key: str) -> Any:
        self._sent()
        raw = self.client.get(self.prefix + key)
        return MISS if raw is None else self._loads(raw)

    def set(self, key: str, value: Any) -> None:
        self._sent()
        px = None if self.ttl_s is None else max(1, round(self.ttl_s * 1000))
        self.client.set(self.prefix + key, self._dumps(value), px=px)

    def delete(self, key: str) -> None:
        self._sent()
        self.client.delete(self.prefix + key)

    def clear(self) -> int:
        """Delete every key under this cache's prefix; returns how many there were."""
        keys = list(self.client.scan_iter(match=self.prefix + "*", count=1000))
        self._sent(1 + len(keys) // 1000)
        return int(self.client.delete(*keys)) if keys else 0

    def __repr__(self) -> str:
        return f"RedisCache(prefix={self.prefix!r}, ttl_s={self.ttl_s})"
