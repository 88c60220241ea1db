"""Tests for the tail-latency panel of unit 01 (tradeoffs.widgets.metrics)."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest

from tradeoffs.metrics import bootstrap_ci, percentile
from tradeoffs.widgets.metrics import (
    plot_tail_latency,
    tail_latency_panel,
    tail_latency_summary,
)


def test_summary_numbers_match_the_metrics_functions() -> None:
    s = tail_latency_summary(tail_fraction=0.02, n_samples=5_000, seed=3, n_boot=200)
    assert s.samples_ms.shape == (5_000,)
    assert s.mean_ms == pytest.approx(float(s.samples_ms.mean()))
    assert s.p50_ms == percentile(s.samples_ms, 50)
    assert s.p99_ms == percentile(s.samples_ms, 99)
    assert s.p99_ci_ms == bootstrap_ci(s.samples_ms, 99, n_boot=200, seed=3)
    assert s.p99_ci_ms[0] <= s.p99_ms <= s.p99_ci_ms[1]


def test_slow_path_moves_p99_far_more_than_mean() -> None:
    none = tail_latency_summary(tail_fraction=0.0, n_samples=20_000, n_boot=100)
    some = tail_latency_summary(tail_fraction=0.02, n_samples=20_000, n_boot=100)
    assert some.mean_ms / none.mean_ms < 2  # the dashboard average barely moves...
    assert some.p99_ms / none.p99_ms > 5  # ...while the p99 jumps by an order of magnitude


def test_more_samples_narrow_the_p99_interval() -> None:
    small = tail_latency_summary(n_samples=1_000, n_boot=300)
    big = tail_latency_summary(n_samples=100_000, n_boot=300)
    assert big.p99_ci_width_ms < small.p99_ci_width_ms / 3


def test_summary_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="tail_fraction"):
        tail_latency_summary(tail_fraction=1.5)
    with pytest.raises(ValueError, match="n must be"):
        tail_latency_summary(n_samples=0)


def test_plot_and_panel_build_headless() -> None:
    fig, ax = plt.subplots()
    plot_tail_latency(tail_latency_summary(n_samples=1_000, n_boot=100), ax)
    assert len(ax.lines) == 3
    plt.close(fig)
    panel = tail_latency_panel()
    assert isinstance(panel, widgets.VBox)
    sliders = panel.children[:-1]
    assert [w.description for w in sliders] == [
        "slow-path share",
        "slow-path median (ms)",
        "sample size",
        "seed",
    ]
    assert isinstance(panel.children[-1], widgets.Output)
    sliders[0].value = 0.05  # redraws without raising
    plt.close("all")
