"""The cache trade-off panel of unit 05: TTL, popularity skew, round trip and pool size
against p95/p99 latency, database load, monthly cost and staleness.

:func:`endpoint_tradeoff` is the pure computation (seeded, unit-tested);
:func:`plot_endpoint_tradeoff` draws a summary; :func:`endpoint_panel` wires them to
sliders. The latency numbers come from a small simulation, not a measurement: Poisson
arrivals, hits served from the cache (hit ratio from :func:`tradeoffs.caching.ttl_hit_ratio`
under the course's Zipf law), misses queueing first come, first served for one of
``pool_size`` database connections (:func:`tradeoffs.metrics.fcfs_queue`, an M/G/c queue).
Prices come from the price book: a cache node of :data:`tradeoffs.prices.CACHE_NODES` and
database instances of :data:`tradeoffs.prices.DATABASES`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from tradeoffs import prices
from tradeoffs._validate import count, non_negative, positive
from tradeoffs.caching import ttl_hit_ratio, zipf_probabilities
from tradeoffs.metrics import fcfs_queue, percentiles
from tradeoffs.widgets._panel import figure_panel, slider

__all__ = [
    "CACHE_NODE",
    "DB_INSTANCE",
    "EndpointTradeoff",
    "endpoint_panel",
    "endpoint_tradeoff",
    "plot_endpoint_tradeoff",
]

CACHE_NODE = "cache.medium"
"""The managed Redis node the cached endpoint runs on (a key of the price book's nodes)."""
DB_INSTANCE = "db.large"
"""The managed PostgreSQL instance type (2 vCPU / 16 GB) of the database fleet."""
DB_TARGET_UTILISATION = 0.6


@dataclass(frozen=True)
class EndpointTradeoff:
    """One point of the trade-off (latencies in ms, load in queries/s, cost in USD/month)."""

    hit_ratio: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    db_qps: float
    pool_utilisation: float
    db_instances: int
    monthly_cost_usd: float
    cache_cost_usd: float
    max_staleness_s: float
    cold_db_instances: int
    cold_safe_monthly_cost_usd: float


def endpoint_tradeoff(
    ttl_s: float = 60.0,
    skew: float = 1.0,
    round_trip_ms: float = 3.0,
    pool_size: int = 10,
    *,
    rps: float = 300.0,
    n_users: int = 100_000,
    queries_per_miss: int = 4,
    cpu_ms: float = 3.0,
    cache_hit_ms: float = 1.0,
    n_requests: int = 20_000,
    seed: int = 0,
    cache_node: str = CACHE_NODE,
    db_instance: str = DB_INSTANCE,
    cache_replicas: int = 1,
) -> EndpointTradeoff:
    """Simulate the optimised endpoint with a response cache (``ttl_s=0``: no cache).

    Each miss holds one of ``pool_size`` connections for ``queries_per_miss`` round trips
    (``round_trip_ms`` each, plus exponential jitter of mean 1 ms) and ``cpu_ms``; the
    database fleet (``db_instance`` machines) is sized to serve the misses' queries at 60%
    of each one's capacity; a cache (``cache_node``, plus ``cache_replicas`` replicas of
    it for failover) is paid for whenever ``ttl_s > 0``. A pool too small for the miss
    rate saturates: latency then grows with the run length.

    What the warm-cache sizing leaves out: when the cache is cold (a restart, a failover to
    an empty replica, a flush) every request misses. ``cold_db_instances`` is the fleet that
    absorbs that at the same 60%, and ``cold_safe_monthly_cost_usd`` the bill with it: the
    price of a cache whose failure does not take the database down with it.
    """
    count(pool_size, "pool_size")
    count(cache_replicas, "cache_replicas", minimum=0)
    non_negative(round_trip_ms, "round_trip_ms")
    positive(rps, "rps")
    count(n_requests, "n_requests", minimum=100)
    node, db = prices.CACHE_NODES[cache_node], prices.DATABASES[db_instance]
    hit = ttl_hit_ratio(zipf_probabilities(n_users, skew), rps, ttl_s) if ttl_s > 0 else 0.0
    rng = np.random.default_rng(seed)
    arrivals_ms = np.cumsum(rng.exponential(1000.0 / rps, n_requests))
    is_hit = rng.random(n_requests) < hit
    jitter = rng.exponential(1.0, (n_requests, queries_per_miss)).sum(axis=1)
    service_ms = queries_per_miss * round_trip_ms + jitter + cpu_ms
    # Hits never touch the pool: the misses alone queue for its connections.
    miss = ~is_hit
    pool = fcfs_queue(arrivals_ms[miss] / 1000, service_ms[miss] / 1000, pool_size)
    latency_ms = np.full(n_requests, float(cache_hit_ms))
    latency_ms[miss] = pool.latency_ms
    pct = percentiles(latency_ms, (50, 95, 99))
    miss_rps = rps * (1 - hit)
    db_qps = miss_rps * queries_per_miss
    utilisation = miss_rps * float(service_ms.mean()) / 1000 / pool_size
    per_instance_qps = db.capacity_qps * DB_TARGET_UTILISATION
    instances = max(1, math.ceil(db_qps / per_instance_qps))
    cold = max(1, math.ceil(rps * queries_per_miss / per_instance_qps))
    nodes = 1 + cache_replicas if ttl_s > 0 else 0
    cache_cost = nodes * node.cost_usd_per_hour * prices.HOURS_PER_MONTH
    db_cost = instances * db.cost_usd_per_hour * prices.HOURS_PER_MONTH
    return EndpointTradeoff(
        hit_ratio=hit,
        p50_ms=pct[50.0],
        p95_ms=pct[95.0],
        p99_ms=pct[99.0],
        db_qps=db_qps,
        pool_utilisation=utilisation,
        db_instances=instances,
        monthly_cost_usd=db_cost + cache_cost,
        cache_cost_usd=cache_cost,
        max_staleness_s=float(ttl_s),
        cold_db_instances=cold,
        cold_safe_monthly_cost_usd=cold * db.cost_usd_per_hour * prices.HOURS_PER_MONTH
        + cache_cost,
    )


def plot_endpoint_tradeoff(point: EndpointTradeoff, axes: tuple[Axes, Axes]) -> None:
    """Latency percentiles (left) and the monthly bill split (right) for one point."""
    ax1, ax2 = axes
    values = [point.p50_ms, point.p95_ms, point.p99_ms]
    bars = ax1.bar(["p50", "p95", "p99"], values, color=["tab:blue", "tab:orange", "tab:red"])
    ax1.bar_label(bars, labels=[f"{v:,.1f}" for v in values], fontsize="small")
    ax1.set_yscale("log")
    ax1.set_ylabel("latency (ms, log scale)")
    sat = " (pool saturated!)" if point.pool_utilisation >= 1 else ""
    ax1.set_title(
        f"hit ratio {point.hit_ratio:.0%}, pool busy {min(point.pool_utilisation, 9.99):.0%}{sat}"
    )
    db = point.monthly_cost_usd - point.cache_cost_usd
    cold_db = point.cold_safe_monthly_cost_usd - point.cache_cost_usd
    ax2.bar(
        ["database\n(warm cache)", "cache\n(+ replica)", "database sized\nfor a cold cache"],
        [db, point.cache_cost_usd, cold_db],
        color=["0.5", "tab:green", "0.8"],
    )
    ax2.set_ylabel("USD per month")
    ax2.set_title(
        f"${point.monthly_cost_usd:,.0f}/month, {point.db_qps:,.0f} DB queries/s, "
        f"stale up to {point.max_staleness_s:g} s"
    )


def _draw(ttl_s: float, skew: float, round_trip_ms: float, pool_size: int, rps: float) -> None:
    point = endpoint_tradeoff(ttl_s, skew, round_trip_ms, pool_size, rps=rps)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    plot_endpoint_tradeoff(point, (axes[0], axes[1]))
    fig.tight_layout()


def endpoint_panel() -> widgets.VBox:
    """Sliders for TTL, popularity skew, round trip, pool size and traffic above the plots."""
    controls = {
        "ttl_s": slider(widgets.FloatSlider, "cache TTL (s)", 60, 0, 600, step=10),
        "skew": slider(widgets.FloatSlider, "popularity skew", 1.0, 0, 1.5, step=0.05),
        "round_trip_ms": slider(widgets.FloatSlider, "DB round trip (ms)", 3, 0, 20, step=0.5),
        "pool_size": slider(widgets.IntSlider, "pool size", 10, 1, 40),
        "rps": slider(widgets.FloatSlider, "traffic (req/s)", 300, 50, 2000, step=50),
    }
    return figure_panel(_draw, controls)
