"""Tests for the cache trade-off panel of unit 05 (tradeoffs.widgets.endpoint)."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest

from tradeoffs import prices
from tradeoffs.caching import ttl_hit_ratio, zipf_probabilities
from tradeoffs.widgets.endpoint import (
    CACHE_NODE,
    DB_INSTANCE,
    endpoint_panel,
    endpoint_tradeoff,
    plot_endpoint_tradeoff,
)


def _hit(ttl_s: float, rps: float, n_users: int, skew: float) -> float:
    return ttl_hit_ratio(zipf_probabilities(n_users, skew), rps, ttl_s)


def test_ttl_hit_ratio_matches_the_single_key_formula_and_grows_with_ttl() -> None:
    # One key at 2 req/s, TTL 10 s: lam*T / (1 + lam*T) = 20/21.
    assert _hit(10, 2, 1, 1.0) == pytest.approx(20 / 21)
    assert _hit(0, 100, 1000, 1.0) == 0
    ratios = [_hit(t, 300, 100_000, 1.0) for t in (1, 10, 60, 600)]
    assert ratios == sorted(ratios) and ratios[-1] < 1
    assert _hit(60, 300, 100_000, 1.2) > _hit(60, 300, 100_000, 0.6)
    assert endpoint_tradeoff(ttl_s=60).hit_ratio == _hit(60, 300, 100_000, 1.0)
    with pytest.raises(ValueError):
        _hit(-1, 1, 1, 1)


def test_costs_come_from_the_price_book() -> None:
    point = endpoint_tradeoff(ttl_s=60, rps=300)
    node = prices.CACHE_NODES[CACHE_NODE].cost_usd_per_hour
    db = prices.DATABASES[DB_INSTANCE].cost_usd_per_hour
    assert point.cache_cost_usd == pytest.approx(2 * node * prices.HOURS_PER_MONTH)  # + replica
    assert point.monthly_cost_usd == pytest.approx(
        (2 * node + point.db_instances * db) * prices.HOURS_PER_MONTH
    )
    alone = endpoint_tradeoff(ttl_s=60, rps=300, cache_replicas=0)
    assert alone.cache_cost_usd == pytest.approx(node * prices.HOURS_PER_MONTH)
    busy = endpoint_tradeoff(ttl_s=60, rps=3_000)
    # A cold cache sends every request to the database: the fleet that survives it is the
    # one without a cache.
    assert busy.cold_db_instances == endpoint_tradeoff(ttl_s=0, rps=3_000).db_instances
    assert busy.cold_db_instances > busy.db_instances
    assert busy.cold_safe_monthly_cost_usd > busy.monthly_cost_usd


def test_tradeoff_cache_frees_database_capacity_at_high_traffic() -> None:
    low_none = endpoint_tradeoff(ttl_s=0, rps=300)
    low_cache = endpoint_tradeoff(ttl_s=60, rps=300)
    assert low_cache.monthly_cost_usd > low_none.monthly_cost_usd  # cache only adds cost
    high_none = endpoint_tradeoff(ttl_s=0, rps=3_000)
    high_cache = endpoint_tradeoff(ttl_s=60, rps=3_000)
    assert high_cache.db_instances < high_none.db_instances
    assert high_cache.monthly_cost_usd < high_none.monthly_cost_usd
    assert high_cache.db_qps < high_none.db_qps
    assert high_cache.max_staleness_s == 60 and high_none.max_staleness_s == 0
    assert endpoint_tradeoff(seed=1) == endpoint_tradeoff(seed=1)


def test_small_pool_saturates_and_round_trip_moves_latency() -> None:
    ok = endpoint_tradeoff(ttl_s=0, pool_size=10)
    starved = endpoint_tradeoff(ttl_s=0, pool_size=2)
    assert starved.pool_utilisation > 1 and starved.p99_ms > 100 * ok.p99_ms
    slow = endpoint_tradeoff(ttl_s=0, round_trip_ms=10)
    assert slow.p50_ms > ok.p50_ms + 20
    with pytest.raises(ValueError):
        endpoint_tradeoff(pool_size=0)


def test_plot_and_panel_build_headless() -> None:
    fig, axes = plt.subplots(1, 2)
    plot_endpoint_tradeoff(endpoint_tradeoff(), (axes[0], axes[1]))
    plt.close(fig)
    panel = endpoint_panel()
    assert isinstance(panel, widgets.VBox)
    sliders = panel.children[:-1]
    assert [w.description for w in sliders] == [
        "cache TTL (s)",
        "popularity skew",
        "DB round trip (ms)",
        "pool size",
        "traffic (req/s)",
    ]
    sliders[3].value = 1  # redraws without raising
    plt.close("all")
