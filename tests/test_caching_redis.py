"""tradeoffs.caching against a real Redis server.

Where the server comes from: ``$TRADEOFFS_REDIS_URL`` when set (CI starts one; if it cannot
be reached these tests FAIL), else a throwaway ``redis-server`` started here on a free port,
else the tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator

import pytest

from tradeoffs import caching
from tradeoffs.caching import MISS, CacheAside, RedisCache, RedisHandle


@pytest.fixture(scope="module")
def redis_handle() -> Iterator[RedisHandle]:
    if os.environ.get(caching.REDIS_URL_ENV):
        # An unreachable configured server is an error, never a skip.
        handle = caching.open_redis(start_if_missing=False)
    elif shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed; install it to run these tests")
    else:
        handle = caching.start_redis_server()
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def redis_cache(redis_handle: RedisHandle, request: pytest.FixtureRequest) -> Iterator[RedisCache]:
    cache = RedisCache(redis_handle.client, ttl_s=30, prefix=f"test:{request.node.name}:")
    cache.clear()
    cache.round_trips = 0
    yield cache
    cache.clear()


def test_redis_round_trips_values(redis_cache: RedisCache) -> None:
    assert redis_cache.get("absent") is MISS
    redis_cache.set("none", None)
    assert redis_cache.get("none") is None
    value = {"id": 7, "price": 19.99, "tags": ["a", "b"]}
    redis_cache.set("p7", value)
    assert redis_cache.get("p7") == value
    ttl_ms = redis_cache.client.pttl(redis_cache.prefix + "p7")
    assert 0 < ttl_ms <= 30_000
    redis_cache.delete("p7")
    assert redis_cache.get("p7") is MISS
    assert redis_cache.round_trips == 7  # pttl went round the cache


def test_redis_leases_refuse_a_store_a_delete_overtook(redis_cache: RedisCache) -> None:
    token = redis_cache.lease("a")
    assert 0 < redis_cache.client.pttl(redis_cache.prefix + "~lease~a") <= 10_000
    assert redis_cache.set_if_leased("a", {"v": 1}, token)
    assert redis_cache.get("a") == {"v": 1}
    assert 0 < redis_cache.client.pttl(redis_cache.prefix + "a") <= 30_000
    assert not redis_cache.set_if_leased("a", {"v": 2}, token)  # used up
    token = redis_cache.lease("a")
    redis_cache.delete("a")  # the writer's invalidation revokes the reader's lease
    assert not redis_cache.set_if_leased("a", {"v": 3}, token)
    assert redis_cache.get("a") is MISS
    origin = {"k": "old"}
    cache: CacheAside

    def load(key: str) -> str:
        value = origin[key]
        if value == "old":
            origin[key] = "new"
            cache.invalidate(key)
        return value

    cache = CacheAside(redis_cache, load, leases=True)
    assert cache.get("k") == "old" and cache.stats.refused == 1
    assert cache.get("k") == "new" and cache.get("k") == "new" and cache.stats.loads == 2


def test_redis_json_serializer(redis_handle: RedisHandle) -> None:
    cache = RedisCache(redis_handle.client, prefix="test:json:", serializer="json")
    cache.set("k", {"a": [1, 2]})
    assert redis_handle.client.get("test:json:k") == b'{"a":[1,2]}'
    assert cache.get("k") == {"a": [1, 2]}
    assert cache.clear() == 1
    with pytest.raises(ValueError, match="serializer"):
        RedisCache(redis_handle.client, serializer="xml")  # type: ignore[arg-type]


def test_redis_ttl_expires(redis_handle: RedisHandle) -> None:
    cache = RedisCache(redis_handle.client, ttl_s=0.05, prefix="test:ttl:")
    cache.set("k", 1)
    assert cache.get("k") == 1
    assert 0 < redis_handle.client.pttl("test:ttl:k") <= 50
    time.sleep(0.2)  # well past the 50 ms TTL
    assert cache.get("k") is MISS


def test_cache_aside_on_redis(redis_cache: RedisCache) -> None:
    origin = {"a": 1, "b": 2}
    cache = CacheAside(redis_cache, origin.__getitem__, origin.__setitem__)
    assert [cache.get(k) for k in ("a", "b", "a", "a", "b")] == [1, 2, 1, 1, 2]
    assert (cache.stats.hits, cache.stats.misses, cache.stats.loads) == (3, 2, 2)
    cache.write("a", 10)
    assert cache.get("a") == 10 and cache.stats.loads == 3


def test_stampede_on_redis(redis_cache: RedisCache) -> None:
    naive = caching.run_stampede(12, coalesce=False, load_delay_s=0.2, backend=redis_cache)
    redis_cache.clear()
    fixed = caching.run_stampede(12, coalesce=True, load_delay_s=0.2, backend=redis_cache)
    assert naive.origin_calls == 12
    assert fixed.origin_calls == 1 and fixed.all_same_value


def test_redis_round_trip_is_measured(redis_cache: RedisCache) -> None:
    timings = caching.time_backend_us(redis_cache, {"x": list(range(100))}, n=50)
    local = caching.time_backend_us(caching.LocalCache(8), {"x": list(range(100))}, n=50)
    assert timings["get"].shape == (50,)
    # A network round trip plus serialization against a dictionary lookup under a lock.
    assert sorted(timings["get"])[25] > sorted(local["get"])[25]


def test_unreachable_url_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(caching.REDIS_URL_ENV, f"redis://127.0.0.1:{caching.free_port()}/0")
    with pytest.raises(caching.RedisUnavailable, match="not reachable"):
        caching.open_redis(timeout_s=1.0)


def test_open_redis_without_url_starts_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed; install it to run these tests")
    monkeypatch.delenv(caching.REDIS_URL_ENV, raising=False)
    with caching.open_redis() as handle:
        assert handle.process is not None and handle.client.ping()
        assert "started redis-server" in handle.source
    assert handle.process.poll() is not None
