"""Cache backends with one contract: ``get`` (the value, or :data:`MISS`), ``set`` and
``delete`` by string key, with the TTL fixed per cache; and leases against stale sets.

:class:`LocalCache` is cachetools' LRU/TTL cache in process (bounded by ``maxsize``,
thread-safe); :class:`RedisCache` is the same interface on a real Redis server (bounded
by Redis' own ``maxmemory``). Unit 03 teaches with both; the endpoint lab (unit 05)
caches its responses in either.

**Leases** (Nishtala et al., *Scaling Memcache at Facebook*, NSDI 2013) close the race of
cache-aside with invalidation: a reader misses, reads the old row, a writer commits and
deletes the key, and the reader then stores the old row, which lives for a whole TTL. With
a lease, the reader asks for a token at its miss (``lease(key)``), before it reads the
origin, and stores with ``set_if_leased(key, value, token)``; ``delete(key)`` also revokes
the key's lease, so a store that a delete overtook is refused (it returns False) and the
next reader loads fresh data. Both backends implement it: in process under the cache's
lock, in Redis with a token key and a Lua script (one round trip, atomic).
"""

from __future__ import annotations

import json
import pickle
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol

import cachetools

from tradeoffs._validate import count as _count
from tradeoffs._validate import one_of
from tradeoffs._validate import positive as _positive

__all__ = [
    "LEASE_TTL_S",
    "MISS",
    "SERIALIZERS",
    "CacheBackend",
    "LeasingBackend",
    "LocalCache",
    "RedisCache",
    "Serializer",
    "codec",
]

LEASE_TTL_S = 10.0
"""How long a lease stays valid: a reader that crashed after its miss holds nothing for
longer (the paper's memcache uses 10 s as well)."""


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


class LeasingBackend(CacheBackend, Protocol):
    """A backend with leases (see the module docstring): ``lease(key)`` gives a token,
    ``set_if_leased`` stores only while that token is the key's live lease, and
    ``delete`` revokes it."""

    def lease(self, key: str) -> str: ...

    def set_if_leased(self, key: str, value: Any, token: str) -> bool: ...


def _token() -> str:
    return secrets.token_hex(8)


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
        self._leases: cachetools.TTLCache[str, str] = cachetools.TTLCache(
            maxsize=self.maxsize, ttl=LEASE_TTL_S, timer=clock
        )
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            return self._cache.get(key, MISS)

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._cache[key] = value

    def delete(self, key: str) -> None:
        """Remove the entry and revoke its lease, if any."""
        with self._lock:
            self._cache.pop(key, None)
            self._leases.pop(key, None)

    def lease(self, key: str) -> str:
        """A new lease token for ``key`` (the latest lease replaces an earlier one)."""
        token = _token()
        with self._lock:
            self._leases[key] = token
        return token

    def set_if_leased(self, key: str, value: Any, token: str) -> bool:
        """Store ``value`` if ``token`` is still ``key``'s lease (then the lease is used
        up); False, and nothing stored, if a delete or a newer lease came in between."""
        with self._lock:
            if self._leases.get(key) != token:
                return False
            del self._leases[key]
            self._cache[key] = value
            return True

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._leases.clear()

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
    ``maxmemory-policy``, not by a count. ``round_trips`` counts commands sent. A lease
    is a token stored under ``prefix + "~lease~" + key`` for :data:`LEASE_TTL_S`; the
    conditional store is one Lua script. Only unpickle data from a Redis you trust:
    unpickling runs code that the bytes name, so anyone who can write to the cache can
    run code in every reader (``serializer="json"`` cannot).
    """

    _SET_IF_LEASED = """
    if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
    redis.call('DEL', KEYS[2])
    if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2])
    else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
    return 1
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
        self._set_if_leased: Any = None

    def _lease_key(self, key: str) -> str:
        return f"{self.prefix}~lease~{key}"

    def _px(self) -> int | None:
        return None if self.ttl_s is None else max(1, round(self.ttl_s * 1000))

    def _sent(self, n: int = 1) -> None:
        with self._lock:
            self.round_trips += n

    def get(self, key: str) -> Any:
        self._sent()
        raw = self.client.get(self.prefix + key)
        return MISS if raw is None else self._loads(raw)

    def set(self, key: str, value: Any) -> None:
        self._sent()
        self.client.set(self.prefix + key, self._dumps(value), px=self._px())

    def delete(self, key: str) -> None:
        """Remove the entry and revoke its lease (one ``DEL`` of both keys)."""
        self._sent()
        self.client.delete(self.prefix + key, self._lease_key(key))

    def lease(self, key: str) -> str:
        """A new lease token for ``key`` (``SET ... PX``; it replaces an earlier one)."""
        token = _token()
        self._sent()
        self.client.set(self._lease_key(key), token, px=round(LEASE_TTL_S * 1000))
        return token

    def set_if_leased(self, key: str, value: Any, token: str) -> bool:
        """Store ``value`` if ``token`` is still the key's lease, atomically (a Lua script:
        one round trip); False if a delete or a newer lease came in between."""
        if self._set_if_leased is None:
            self._set_if_leased = self.client.register_script(self._SET_IF_LEASED)
        self._sent()
        px = self._px()
        done = self._set_if_leased(
            keys=[self.prefix + key, self._lease_key(key)],
            args=[token, self._dumps(value), "" if px is None else str(px)],
        )
        return bool(done)

    def clear(self) -> int:
        """Delete every key under this cache's prefix; returns how many there were."""
        keys = list(self.client.scan_iter(match=self.prefix + "*", count=1000))
        self._sent(1 + len(keys) // 1000)
        return int(self.client.delete(*keys)) if keys else 0

    def __repr__(self) -> str:
        return f"RedisCache(prefix={self.prefix!r}, ttl_s={self.ttl_s})"
