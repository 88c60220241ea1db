"""The cache trade-off panel of unit 03: cache size, TTL and workload skew against hit ratio,
latency, staleness and monthly cost.

:func:`cache_tradeoff_summary` is the pure computation (a simulation of the unit's
product-catalogue scenario, see :func:`tradeoffs.caching.evaluate_config`, plus Che's
hit-ratio curve); :func:`plot_cache_tradeoff` draws one summary on a figure of four panels;
:func:`cache_tradeoff_panel` wires both to sliders.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from tradeoffs.caching import (
    CacheScenario,
    ConfigEvaluation,
    che_characteristic_time,
    che_hit_ratio,
    evaluate_config,
    zipf_probabilities,
)
from tradeoffs.widgets._panel import choice, figure_panel, slider

__all__ = [
    "CACHE_SIZES",
    "TTLS_S",
    "CacheTradeoff",
    "cache_tradeoff_panel",
    "cache_tradeoff_summary",
    "plot_cache_tradeoff",
]

CACHE_SIZES = (0, 250, 500, 1_000, 2_000, 3_000, 4_000, 5_000)
TTLS_S = (5, 15, 30, 60, 120, 240, 600)


@dataclass(frozen=True)
class CacheTradeoff:
    """One point of the panel: the simulated configuration, and Che's LRU hit-ratio curve
    (no TTL) for the same workload, as (cache sizes, hit ratios)."""

    skew: float
    evaluation: ConfigEvaluation
    curve_sizes: NDArray[np.float64]
    curve_hit_ratio: NDArray[np.float64]
    scenario: CacheScenario
    # Che's characteristic time (s): how long LRU keeps an entry nobody asks for again
    # (None without a cache, or when every key fits).
    eviction_s: float | None = None


def cache_tradeoff_summary(
    cache_size: int, ttl_s: float, skew: float = 0.9, scenario: CacheScenario | None = None
) -> CacheTradeoff:
    """Simulate ``scenario`` (default :class:`~tradeoffs.caching.CacheScenario`) at workload
    ``skew`` with an LRU cache of ``cache_size`` entries and TTL ``ttl_s`` seconds, and
    compute Che's hit-ratio curve over cache sizes for the same popularity."""
    base = scenario or CacheScenario()
    sc = dataclasses.replace(base, skew=float(skew))
    evaluation = evaluate_config(int(cache_size), float(ttl_s), sc)
    probs = zipf_probabilities(sc.n_keys, sc.skew)
    sizes = np.linspace(0, sc.n_keys, 41)
    curve = np.array([che_hit_ratio(probs, s) for s in sizes])
    eviction_s = None
    if 0 < int(cache_size) < sc.n_keys:
        eviction_s = che_characteristic_time(probs, int(cache_size)) / sc.rate_per_s
    return CacheTradeoff(sc.skew, evaluation, sizes, curve, sc, eviction_s)


def plot_cache_tradeoff(summary: CacheTradeoff, fig: Figure) -> None:
    """Four panels on ``fig``: hit ratio vs size, latency distribution, staleness, cost."""
    ev, sc = summary.evaluation, summary.scenario
    ax_hit, ax_lat, ax_stale, ax_cost = fig.subplots(2, 2).ravel()

    ax_hit.plot(
        summary.curve_sizes, summary.curve_hit_ratio, color="0.4", label="LRU, no TTL (Che)"
    )
    ax_hit.plot(
        [ev.cache_size], [ev.hit_ratio], "o", color="tab:red", ms=9, label="this config (simulated)"
    )
    ax_hit.set(
        xlabel="cache size (entries)",
        ylabel="hit ratio",
        ylim=(0, 1.02),
        title=f"Hit ratio {ev.hit_ratio:.1%} (Zipf skew {summary.skew:g})",
    )
    ax_hit.legend(loc="lower right", fontsize="small")

    lat = np.sort(ev.latencies_ms)
    ax_lat.plot(lat, np.arange(1, lat.size + 1) / lat.size, color="tab:blue")
    for value, name, color in ((ev.p50_ms, "p50", "tab:green"), (ev.p99_ms, "p99", "tab:red")):
        ax_lat.axvline(value, color=color, lw=2, label=f"{name} {value:.1f} ms")
    ax_lat.set(
        xscale="log",
        xlabel="latency (ms, log scale)",
        ylabel="share of requests",
        title="Latency users see",
    )
    ax_lat.legend(loc="upper left", fontsize="small")

    ttl = ev.ttl_s or 0.0
    if ev.staleness_s.size:
        ax_stale.hist(ev.staleness_s, bins=30, color="tab:orange", alpha=0.8)
    if ttl:
        ax_stale.axvline(ttl, color="0.3", ls="--", label=f"TTL {ttl:g} s")
        ax_stale.legend(loc="upper right", fontsize="small")
    if ttl and summary.eviction_s is not None and summary.eviction_s < ttl:
        # Reads backwards without a word: a long TTL, yet hardly any stale answers.
        ax_stale.text(
            0.5,
            0.5,
            f"Few stale answers despite the {ttl:g} s TTL:\n"
            f"a {ev.cache_size:,}-entry cache evicts an entry\n"
            f"nobody asks for within ~{summary.eviction_s:.0f} s (LRU),\n"
            "long before it expires or its product changes.\n"
            "A bigger cache keeps entries longer: staleness grows.",
            transform=ax_stale.transAxes,
            ha="center",
            va="center",
            fontsize="small",
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85, "edgecolor": "0.7"},
        )
    ax_stale.set(
        xlabel="how out of date a stale answer was (s)",
        ylabel="stale answers",
        title=f"Stale answers {ev.stale_fraction:.2%}, oldest {ev.max_staleness_s:.0f} s",
    )

    parts = {"cache node": ev.cache_cost_usd_per_month, "origin": ev.origin_cost_usd_per_month}
    ax_cost.bar(list(parts), list(parts.values()), color=["tab:purple", "0.6"])
    ax_cost.set(
        ylabel="USD per month",
        title=f"${ev.monthly_cost_usd:,.0f}/month: {ev.node or 'no cache'}, "
        f"{ev.origin_instances} origin × {sc.origin_instance}",
    )
    ax_cost.margins(y=0.15)
    for i, value in enumerate(parts.values()):
        ax_cost.text(i, value, f"${value:,.0f}", ha="center", va="bottom")
    fig.suptitle(
        f"cache {ev.cache_size:,} entries, TTL {ttl:g} s: hit ratio {ev.hit_ratio:.1%}, "
        f"p50 {ev.p50_ms:.1f} ms, p99 {ev.p99_ms:.0f} ms, ${ev.monthly_cost_usd:,.0f}/month"
    )
    fig.tight_layout()


def _draw(cache_size: int, ttl_s: float, skew: float) -> None:
    summary = cache_tradeoff_summary(cache_size, ttl_s, skew)
    fig = plt.figure(figsize=(11, 7))
    plot_cache_tradeoff(summary, fig)


def cache_tradeoff_panel() -> widgets.VBox:
    """Sliders for cache size, TTL and workload skew above a figure that redraws on every
    change (each change simulates 120,000 requests: a fraction of a second). Display it as a
    cell's last expression."""
    controls = {
        "cache_size": choice("cache size (entries)", [(f"{n:,}", n) for n in CACHE_SIZES], 2_000),
        "ttl_s": choice("TTL (s)", list(TTLS_S), 60),
        "skew": slider(widgets.FloatSlider, "Zipf skew", 0.9, 0.0, 1.2, step=0.1),
    }
    return figure_panel(_draw, controls)
