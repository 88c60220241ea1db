"""Cache-aside for the endpoint's responses, on the course's own caches (unit 03).

A response body (bytes) is cached under ``user:{id}`` for the configuration's TTL in one
of :mod:`tradeoffs.caching`'s backends: :class:`~tradeoffs.caching.LocalCache` in process
(bounded: least recently used users are evicted past ``max_entries``) or
:class:`~tradeoffs.caching.RedisCache` on a Redis server (bytes stored as they are,
expired by Redis itself). :class:`~tradeoffs.caching.CacheAside` does the read path
(look up, on a miss load from the database and store; an unknown user is not cached) and
counts hits and misses.

The write path commits, then calls ``invalidate``. That order alone is not enough: a reader
that read the old row just *before* the commit can store it just *after* the delete, and
the stale page then lives for a whole TTL. So the lab's cache takes a **lease** at each
miss, before reading the database, and the delete revokes it: that late store is refused
(``stats.refused``). With ``coalesce`` the misses of concurrent requests for one user share
a single database load (unit 03's single flight), so a cold or just-invalidated heavy page
does not send a herd of identical queries to the database.

This module is only the adapter: which backend, which key, how a key maps to a user.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tradeoffs.caching import CacheAside, CacheBackend, FakeClock, LocalCache, RedisCache
from tradeoffs.servers import connect_redis

__all__ = ["FakeClock", "memory_backend", "redis_backend", "response_cache", "user_key"]

DEFAULT_MAX_ENTRIES = 50_000
"""The in-process cache's bound: more users than the lab seeds, so it never evicts there."""


def user_key(user_id: int) -> str:
    """The cache key of one user's response."""
    return f"user:{int(user_id)}"


def memory_backend(
    ttl_s: float,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    clock: Callable[[], float] = time.monotonic,
) -> LocalCache:
    """An in-process TTL+LRU cache of at most ``max_entries`` responses; an entry stored at
    t is served while ``clock() < t + ttl_s``."""
    return LocalCache(max_entries, ttl_s=ttl_s, clock=clock)


def redis_backend(url: str, ttl_s: float, prefix: str = "tradeoffs:endpoint:") -> RedisCache:
    """Responses on the Redis server at ``url`` (``redis://host:port/db``), keys under
    ``prefix``, expired by Redis (``SET key value PX ttl``)."""
    return RedisCache(connect_redis(url), ttl_s=ttl_s, prefix=prefix, serializer="bytes")


def response_cache(
    backend: CacheBackend,
    load: Callable[[int], bytes | None],
    *,
    leases: bool = True,
    coalesce: bool = True,
) -> CacheAside:
    """Cache-aside over ``backend`` for responses that ``load(user_id)`` renders (None for
    an unknown user, returned and not cached), with leases and single flight (see the
    module docstring; both can be switched off to see what they prevent)."""
    return CacheAside(
        backend,
        lambda key: load(int(key.split(":", 1)[1])),
        cache_none=False,
        leases=leases,
        coalesce=coalesce,
    )
