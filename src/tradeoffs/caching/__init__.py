"""Caches and what they buy: hit ratios, staleness, stampedes and cost, for unit 03.

One idea a module:

* :mod:`.clocks`: :class:`FakeClock`, a clock you advance by hand, so TTL behaviour is exact;
* :mod:`.backends`: one cache contract, two backends: :class:`LocalCache` (cachetools'
  LRU/TTL caches in process, bounded, thread-safe) and :class:`RedisCache` (the same
  interface on a real Redis server); the endpoint lab caches its responses in either;
* :mod:`.aside`: :class:`CacheAside`, the cache-aside pattern over any backend, with
  invalidate-on-write or write-through, request coalescing (single flight), and leases
  (a store that an invalidation overtook is refused);
* :mod:`.workloads`: the bounded Zipf law and seeded request traces (:func:`request_trace`);
* :mod:`.simulation`: :func:`simulate_cache` replays a trace through a TTL/LRU cache with
  writes at the origin and counts hits, misses and stale answers;
* :mod:`.analytic`: :func:`che_hit_ratio` (Che's approximation for LRU) and
  :func:`ttl_hit_ratio` estimate the same without simulating;
* :mod:`.stampede`: :func:`run_stampede` (threads behind a barrier, origin calls counted)
  and probabilistic early expiration (:func:`xfetch_should_refresh`, :func:`simulate_expiry`);
* :mod:`.measured`: serialization (:func:`serialization_cost`) and backend round trips
  (:func:`time_backend_us`), timed on this machine;
* :mod:`.edge`: a CDN in front of an origin (:func:`edge_model`);
* :mod:`.economics`: cache economics (:func:`break_even_hit_ratio`) and a whole
  configuration simulated and priced (:func:`evaluate_config`).

Prices come from the price book, :mod:`tradeoffs.prices`. Starting or finding a Redis
server (:func:`open_redis`) is :mod:`tradeoffs.servers`' job; its names are re-exported
here because the lessons reach Redis through this package.

Units are in the names: ``ttl_s``, ``latency_ms``, ``cost_usd_per_hour``, ``object_kb``.
"""

from tradeoffs.caching.analytic import (
    che_characteristic_time,
    che_hit_ratio,
    ttl_hit_ratio,
    ttl_stale_fraction,
)
from tradeoffs.caching.aside import CacheAside, CacheStats, WritePolicy
from tradeoffs.caching.backends import (
    LEASE_TTL_S,
    MISS,
    CacheBackend,
    LeasingBackend,
    LocalCache,
    RedisCache,
    Serializer,
)
from tradeoffs.caching.clocks import FakeClock
from tradeoffs.caching.economics import (
    MEMORY_OVERHEAD,
    CacheScenario,
    ConfigEvaluation,
    break_even_hit_ratio,
    cache_net_saving_usd_per_month,
    cheapest_node,
    evaluate_config,
    origin_cost_usd_per_million,
)
from tradeoffs.caching.edge import EdgeEstimate, edge_model
from tradeoffs.caching.measured import serialization_cost, time_backend_us
from tradeoffs.caching.simulation import (
    SimulationResult,
    StalenessRow,
    request_latencies_ms,
    simulate_cache,
    simulate_ttl_staleness,
    ttl_staleness_study,
)
from tradeoffs.caching.stampede import (
    ExpiryRun,
    StampedeResult,
    run_stampede,
    simulate_expiry,
    xfetch_should_refresh,
)
from tradeoffs.caching.workloads import Trace, product_record, request_trace, zipf_probabilities
from tradeoffs.servers import (
    REDIS_URL_ENV,
    RedisHandle,
    RedisUnavailable,
    free_port,
    open_redis,
    start_redis_server,
)

__all__ = [
    "LEASE_TTL_S",
    "MEMORY_OVERHEAD",
    "MISS",
    "REDIS_URL_ENV",
    "CacheAside",
    "CacheBackend",
    "CacheScenario",
    "CacheStats",
    "ConfigEvaluation",
    "EdgeEstimate",
    "ExpiryRun",
    "FakeClock",
    "LeasingBackend",
    "LocalCache",
    "RedisCache",
    "RedisHandle",
    "RedisUnavailable",
    "Serializer",
    "SimulationResult",
    "StalenessRow",
    "StampedeResult",
    "Trace",
    "WritePolicy",
    "break_even_hit_ratio",
    "cache_net_saving_usd_per_month",
    "che_characteristic_time",
    "che_hit_ratio",
    "cheapest_node",
    "edge_model",
    "evaluate_config",
    "free_port",
    "open_redis",
    "product_record",
    "origin_cost_usd_per_million",
    "request_latencies_ms",
    "request_trace",
    "run_stampede",
    "serialization_cost",
    "simulate_cache",
    "simulate_ttl_staleness",
    "simulate_expiry",
    "start_redis_server",
    "time_backend_us",
    "ttl_hit_ratio",
    "ttl_staleness_study",
    "ttl_stale_fraction",
    "xfetch_should_refresh",
    "zipf_probabilities",
]
