"""Cache economics: what a node costs, what its hits save, and a whole configuration of
unit 03's product-catalogue scenario simulated and priced per month.

Prices come from the price book: cache nodes from :data:`tradeoffs.prices.CACHE_NODES`,
origin machines from :data:`tradeoffs.prices.INSTANCES`, months of
:data:`tradeoffs.prices.HOURS_PER_MONTH` hours.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import cachetools
import numpy as np
from numpy.typing import NDArray

from tradeoffs import prices
from tradeoffs._validate import count as _count
from tradeoffs._validate import fraction as _fraction
from tradeoffs._validate import non_negative as _non_negative
from tradeoffs._validate import positive as _positive
from tradeoffs.caching.simulation import request_latencies_ms, simulate_cache
from tradeoffs.caching.workloads import Trace, request_trace
from tradeoffs.metrics import cost_per_million_usd, instances_needed, percentiles
from tradeoffs.prices import HOURS_PER_MONTH, CacheNodePrice

__all__ = [
    "MEMORY_OVERHEAD",
    "CacheScenario",
    "ConfigEvaluation",
    "break_even_hit_ratio",
    "cache_net_saving_usd_per_month",
    "cheapest_node",
    "evaluate_config",
    "origin_cost_usd_per_million",
]


#: Memory a cache needs per byte of payload (keys, headers, allocator slack), a rule of thumb.
MEMORY_OVERHEAD = 1.3


def cheapest_node(memory_gib: float) -> CacheNodePrice:
    """The cheapest node in :data:`tradeoffs.prices.CACHE_NODES` with at least
    ``memory_gib`` usable."""
    need = _non_negative(memory_gib, "memory_gib")
    fits = [p for p in prices.CACHE_NODES.values() if p.memory_gib >= need]
    if not fits:
        biggest = max(p.memory_gib for p in prices.CACHE_NODES.values())
        raise ValueError(f"no cache node holds {need:.1f} GiB (largest: {biggest} GiB); shard it")
    return min(fits, key=lambda p: p.cost_usd_per_hour)


def break_even_hit_ratio(
    node_cost_usd_per_hour: float, requests_per_s: float, origin_cost_usd_per_million: float
) -> float:
    """The hit ratio at which a cache node's price equals the origin work it saves.

    Each hit saves one origin request; hits per hour = rate * h * 3600. Above the returned
    ratio the node pays for itself; a value above 1 means it never does at this rate.
    """
    node = _non_negative(node_cost_usd_per_hour, "node_cost_usd_per_hour")
    rate = _positive(requests_per_s, "requests_per_s")
    origin = _positive(origin_cost_usd_per_million, "origin_cost_usd_per_million")
    return node / (rate * 3600.0 * origin / 1e6)


def cache_net_saving_usd_per_month(
    hit_ratio: float,
    requests_per_s: float,
    origin_cost_usd_per_million: float,
    node_cost_usd_per_hour: float,
) -> float:
    """Origin cost saved by the hits minus the node's price, per 730-hour month (USD)."""
    h = _fraction(hit_ratio, "hit_ratio")
    rate = _non_negative(requests_per_s, "requests_per_s")
    origin = _non_negative(origin_cost_usd_per_million, "origin_cost_usd_per_million")
    node = _non_negative(node_cost_usd_per_hour, "node_cost_usd_per_hour")
    return (rate * h * origin / 1e6 * 3600.0 - node) * HOURS_PER_MONTH


@dataclass(frozen=True)
class CacheScenario:
    """A product-catalogue API in front of a database, the running example of unit 03.

    ``n_keys`` products requested at ``rate_per_s`` with Zipf ``skew``; each cached value is
    ``item_kb``; a hit takes about ``hit_ms``, a miss about ``miss_ms``; the origin changes a
    product on average every ``write_interval_s``. The origin runs on ``origin_instance``
    machines from :data:`tradeoffs.prices.INSTANCES`, each serving ``origin_capacity_rps``
    reads at up to ``origin_target_utilisation``.
    """

    n_keys: int = 5_000
    skew: float = 0.9
    rate_per_s: float = 400.0
    n_requests: int = 120_000
    item_kb: float = 500.0
    hit_ms: float = 1.0
    miss_ms: float = 40.0
    write_interval_s: float = 3600.0
    origin_instance: str = "general.large"
    origin_capacity_rps: float = 50.0
    origin_target_utilisation: float = 0.7
    seed: int = 0

    def trace(self) -> Trace:
        return _cached_trace(self.n_requests, self.n_keys, self.skew, self.rate_per_s, self.seed)


# Scenarios' traces and evaluations are memoised, bounded (least recently used dropped):
# the panel asks for the same few configurations again and again.
@cachetools.cached(cachetools.LRUCache(maxsize=16), lock=threading.Lock())
def _cached_trace(n: int, n_keys: int, skew: float, rate: float, seed: int) -> Trace:
    return request_trace(n, n_keys, skew, rate, seed)


@dataclass(frozen=True)
class ConfigEvaluation:
    """One cache configuration run against a :class:`CacheScenario`: what users see
    (hit ratio, latency percentiles, stale answers) and what it costs per month."""

    cache_size: int
    ttl_s: float | None
    hit_ratio: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    stale_fraction: float
    max_staleness_s: float
    origin_rps: float
    origin_instances: int
    node: str | None
    cache_cost_usd_per_month: float
    origin_cost_usd_per_month: float
    latencies_ms: NDArray[np.float64] = field(repr=False, compare=False)
    staleness_s: NDArray[np.float64] = field(repr=False, compare=False)

    @property
    def monthly_cost_usd(self) -> float:
        return self.cache_cost_usd_per_month + self.origin_cost_usd_per_month


def evaluate_config(
    cache_size: int, ttl_s: float | None, scenario: CacheScenario | None = None
) -> ConfigEvaluation:
    """Simulate ``scenario`` (default :class:`CacheScenario`) with an LRU cache of
    ``cache_size`` entries and TTL ``ttl_s`` (None: no expiry), and price it.

    Latency: :func:`request_latencies_ms` over the simulated hits and misses; p50/p90/p99
    are nearest-rank. Cost per 730-hour month: the cheapest node of the price book
    holding ``cache_size * item_kb`` (times :data:`MEMORY_OVERHEAD`), plus the origin
    machines needed for the miss rate at the target utilisation (at least one). Results
    are memoised per (size, TTL, scenario), so asking twice costs nothing.
    """
    sc = scenario or CacheScenario()
    size = _count(cache_size, "cache_size", minimum=0)
    return _evaluate(size, None if ttl_s is None else float(ttl_s), sc)


@cachetools.cached(cachetools.LRUCache(maxsize=512), lock=threading.Lock())
def _evaluate(cache_size: int, ttl_s: float | None, sc: CacheScenario) -> ConfigEvaluation:
    sim = simulate_cache(
        sc.trace(), cache_size, ttl_s, write_interval_s=sc.write_interval_s, seed=sc.seed
    )
    lat = request_latencies_ms(sim.hit, sc.hit_ms, sc.miss_ms, seed=sc.seed)
    pct = percentiles(lat, (50, 90, 99))
    origin_rps = sc.rate_per_s * (1.0 - sim.hit_ratio)
    instances = max(
        1, instances_needed(origin_rps, sc.origin_capacity_rps, sc.origin_target_utilisation)
    )
    origin_cost = (
        instances * prices.INSTANCES[sc.origin_instance].cost_usd_per_hour * HOURS_PER_MONTH
    )
    node = None
    cache_cost = 0.0
    if cache_size > 0:
        price = cheapest_node(cache_size * sc.item_kb * MEMORY_OVERHEAD / 2**20)
        node, cache_cost = price.name, price.cost_usd_per_hour * HOURS_PER_MONTH
    return ConfigEvaluation(
        cache_size=int(cache_size),
        ttl_s=None if ttl_s is None else float(ttl_s),
        hit_ratio=sim.hit_ratio,
        p50_ms=pct[50.0],
        p90_ms=pct[90.0],
        p99_ms=pct[99.0],
        stale_fraction=sim.stale_fraction,
        max_staleness_s=sim.max_staleness_s,
        origin_rps=origin_rps,
        origin_instances=instances,
        node=node,
        cache_cost_usd_per_month=cache_cost,
        origin_cost_usd_per_month=origin_cost,
        latencies_ms=lat,
        staleness_s=sim.staleness_s,
    )


def origin_cost_usd_per_million(scenario: CacheScenario | None = None) -> float:
    """What one million origin reads cost in ``scenario`` (at its target utilisation)."""
    sc = scenario or CacheScenario()
    price = prices.INSTANCES[sc.origin_instance].cost_usd_per_hour
    return cost_per_million_usd(price, sc.origin_capacity_rps, sc.origin_target_utilisation)
