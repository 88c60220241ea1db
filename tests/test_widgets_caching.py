"""Tests for the cache trade-off panel of unit 03 (tradeoffs.widgets.caching)."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest

from tradeoffs.caching import CacheScenario, che_hit_ratio, evaluate_config, zipf_probabilities
from tradeoffs.widgets.caching import (
    cache_tradeoff_panel,
    cache_tradeoff_summary,
    plot_cache_tradeoff,
)

SMALL = CacheScenario(n_keys=1_000, n_requests=20_000)


def test_summary_is_the_simulated_evaluation_plus_che_curve() -> None:
    s = cache_tradeoff_summary(300, 60, skew=0.8, scenario=SMALL)
    assert s.skew == 0.8 and s.scenario.skew == 0.8
    assert s.evaluation is evaluate_config(300, 60.0, s.scenario)
    assert s.curve_hit_ratio[0] == 0.0 and s.curve_hit_ratio[-1] == 1.0
    assert s.curve_hit_ratio[3] == pytest.approx(
        che_hit_ratio(zipf_probabilities(1_000, 0.8), s.curve_sizes[3])
    )


def test_sliders_move_the_numbers_the_right_way() -> None:
    small = cache_tradeoff_summary(100, 60, scenario=SMALL).evaluation
    big = cache_tradeoff_summary(800, 60, scenario=SMALL).evaluation
    assert big.hit_ratio > small.hit_ratio
    short = cache_tradeoff_summary(800, 5, scenario=SMALL).evaluation
    assert short.hit_ratio < big.hit_ratio and short.max_staleness_s <= 5
    flat = cache_tradeoff_summary(800, 60, skew=0.0, scenario=SMALL).evaluation
    assert flat.hit_ratio < big.hit_ratio


def test_plot_and_panel_build_headless() -> None:
    fig = plt.figure()
    plot_cache_tradeoff(cache_tradeoff_summary(300, 60, scenario=SMALL), fig)
    assert len(fig.axes) == 4
    plt.close(fig)
    fig = plt.figure()
    plot_cache_tradeoff(cache_tradeoff_summary(0, 60, scenario=SMALL), fig)  # no cache at all
    plt.close(fig)
    panel = cache_tradeoff_panel()
    assert isinstance(panel, widgets.VBox)
    sliders = panel.children[:-1]
    assert [w.description for w in sliders] == ["cache size (entries)", "TTL (s)", "Zipf skew"]
    assert isinstance(panel.children[-1], widgets.Output)
    sliders[1].value = 120  # redraws without raising
    plt.close("all")
