"""The cache trade-off panel of unit 05: TTL, popularity skew, round trip and pool size
against p95/p99 latency, database load, monthly cost and staleness.

:func:`ttl_hit_ratio` and :func:`endpoint_tradeoff` are the pure computation (seeded,
unit-tested); :func:`plot_endpoint_tradeoff` draws a summary; :func:`endpoint_panel` wires
them to sliders. The latency numbers come from a small simulation, not a measurement:
Poisson arrivals, hits served from the cache, misses queueing for one of ``pool_size``
database connections (an M/G/c queue).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from tradeoffs.metrics import percentiles

__all__ = [
    "HOURS_PER_MONTH",
    "PRICE_TABLE",
    "EndpointTradeoff",
    "endpoint_panel",
    "endpoint_tradeoff",
    "plot_endpoint_tradeoff",
    "ttl_hit_ratio",
]

HOURS_PER_MONTH = 730
# Illustrative on-demand list prices (USD per hour) of the order cloud providers charge for
# a small managed cache node and a managed PostgreSQL instance; check your provider's.
PRICE_TABLE: dict[str, float] = {
    "cache_node_usd_per_hour": 0.068,  # ~6 GB managed Redis node
    "db_instance_usd_per_hour": 0.36,  # 2 vCPU / 16 GB managed PostgreSQL
}
DB_CAPACITY_QPS = 3_000.0  # simple reads one such instance serves at full load
DB_TARGET_UTILISATION = 0.6


def ttl_hit_ratio(ttl_s: float, rps: float, n_users: int, skew: float) -> float:
    """Expected hit ratio of a TTL cache (no invalidations) under Zipf(``skew``) popularity.

    With Poisson requests at rate ``lam`` for a key, an entry loaded on a miss serves
    every request in the next ``ttl_s`` seconds, so the key's hit ratio is
    ``lam*T / (1 + lam*T)``; the result averages that over the keys, weighted by traffic.
    """
    if ttl_s < 0 or rps <= 0 or n_users < 1 or skew < 0:
        raise ValueError("need ttl_s >= 0, rps > 0, n_users >= 1 and skew >= 0")
    weights = 1.0 / np.arange(1, n_users + 1) ** skew
    p = weights / weights.sum()
    lam_t = rps * p * ttl_s
    return float(np.sum(p * lam_t / (1.0 + lam_t)))


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
) -> EndpointTradeoff:
    """Simulate the optimised endpoint with a response cache (``ttl_s=0``: no cache).

    Each miss holds one of ``pool_size`` connections for ``queries_per_miss`` round trips
    (``round_trip_ms`` each, plus exponential jitter of mean 1 ms) and ``cpu_ms``; the
    database fleet is sized to serve the misses' queries at 60% of DB_CAPACITY_QPS each.
    A pool too small for the miss rate saturates: latency then grows with the run length.
    """
    if pool_size < 1 or round_trip_ms < 0 or rps <= 0 or n_requests < 100:
        raise ValueError("need pool_size >= 1, round_trip_ms >= 0, rps > 0, n_requests >= 100")
    hit = ttl_hit_ratio(ttl_s, rps, n_users, skew) if ttl_s > 0 else 0.0
    rng = np.random.default_rng(seed)
    arrivals_ms = np.cumsum(rng.exponential(1000.0 / rps, n_requests))
    is_hit = rng.random(n_requests) < hit
    jitter = rng.exponential(1.0, (n_requests, queries_per_miss)).sum(axis=1)
    service_ms = queries_per_miss * round_trip_ms + jitter + cpu_ms
    free_at = [0.0] * pool_size  # when each connection is next free (ms)
    latency_ms = np.empty(n_requests)
    for i in range(n_requests):
        if is_hit[i]:
            latency_ms[i] = cache_hit_ms
            continue
        start = max(arrivals_ms[i], heapq.heappop(free_at))
        done = start + service_ms[i]
        heapq.heappush(free_at, done)
        latency_ms[i] = done - arrivals_ms[i]
    pct = percentiles(latency_ms, (50, 95, 99))
    miss_rps = rps * (1 - hit)
    db_qps = miss_rps * queries_per_miss
    utilisation = miss_rps * float(service_ms.mean()) / 1000 / pool_size
    instances = max(1, math.ceil(db_qps / (DB_CAPACITY_QPS * DB_TARGET_UTILISATION)))
    cache_cost = PRICE_TABLE["cache_node_usd_per_hour"] * HOURS_PER_MONTH if ttl_s > 0 else 0.0
    db_cost = instances * PRICE_TABLE["db_instance_usd_per_hour"] * HOURS_PER_MONTH
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
    ax2.bar(["database", "cache"], [db, point.cache_cost_usd], color=["0.5", "tab:green"])
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
    style = {"description_width": "150px"}
    layout = widgets.Layout(width="520px")

    def slider(cls: type, **kw: object) -> widgets.Widget:
        return cls(style=style, layout=layout, continuous_update=False, **kw)

    controls = {
        "ttl_s": slider(
            widgets.FloatSlider, value=60, min=0, max=600, step=10, description="cache TTL (s)"
        ),
        "skew": slider(
            widgets.FloatSlider, value=1.0, min=0, max=1.5, step=0.05, description="popularity skew"
        ),
        "round_trip_ms": slider(
            widgets.FloatSlider, value=3, min=0, max=20, step=0.5, description="DB round trip (ms)"
        ),
        "pool_size": slider(widgets.IntSlider, value=10, min=1, max=40, description="pool size"),
        "rps": slider(
            widgets.FloatSlider, value=300, min=50, max=2000, step=50, description="traffic (req/s)"
        ),
    }
    out = widgets.interactive_output(_draw, controls)
    return widgets.VBox([*controls.values(), out])
