"""What a learner saw wrong in the lessons' plots stays fixed: no label clipped at the edge
(unit 00), the tail panel's legend off the band it explains and thousands separators in
its readouts (unit 01), intervals that shrink with n (unit 01), and a word of explanation
where a small cache with a long TTL shows almost no staleness (unit 03)."""

from __future__ import annotations

from itertools import pairwise

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from tradeoffs.widgets.caching import (
    cache_tradeoff_panel,
    cache_tradeoff_summary,
    plot_cache_tradeoff,
)
from tradeoffs.widgets.metrics import (
    p99_intervals_by_size,
    plot_tail_latency,
    tail_latency_panel,
    tail_latency_summary,
)
from tradeoffs.widgets.triangle import make_latency_dataset, tradeoff_frontier, triangle_figure


def _bbox_inside(inner, outer, slack: float = 1.0) -> bool:
    return (
        inner.x0 >= outer.x0 - slack
        and inner.x1 <= outer.x1 + slack
        and inner.y0 >= outer.y0 - slack
        and inner.y1 <= outer.y1 + slack
    )


def test_frontier_labels_stay_inside_the_plot() -> None:
    points = tradeoff_frontier(make_latency_dataset(100_000, seed=1), (0.01, 0.1, 1.0), repeats=2)
    for chosen in (0, len(points) - 1):
        fig = triangle_figure(points, chosen)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        ax = fig.axes[0]
        labels = [t for t in ax.texts if t.get_text().endswith("%")]
        assert len(labels) == len(points)
        for label in labels:
            assert _bbox_inside(
                label.get_window_extent(renderer), ax.get_window_extent(renderer)
            ), f"label {label.get_text()!r} is clipped at the plot's edge"
        plt.close(fig)


def test_tail_legend_sits_beside_the_plot_not_on_the_band() -> None:
    fig, ax = plt.subplots(figsize=(9, 4))
    plot_tail_latency(tail_latency_summary(n_samples=2_000, n_boot=100), ax)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    legend = ax.get_legend()
    assert legend is not None
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    plt.close(fig)


def test_readouts_use_thousands_separators() -> None:
    labels = []
    for panel in (tail_latency_panel(), cache_tradeoff_panel()):
        for child in panel.children:
            options = getattr(child, "options", None)
            if options and isinstance(options[0], tuple):
                labels += [label for label, _ in options]
    assert "10,000" in labels and "2,000" in labels
    assert not [x for x in labels if x.isdigit() and int(x) >= 1000]


def test_p99_interval_narrows_as_n_grows() -> None:
    rows = p99_intervals_by_size([100, 300, 1_000, 3_000], draws=9)
    widths = [high - low for _, low, high in rows]
    assert all(b < a for a, b in pairwise(widths)), widths
    assert all(low <= est <= high for est, low, high in rows)


@pytest.mark.parametrize(
    ("cache_size", "ttl_s", "explained"), [(250, 600, True), (5_000, 10, False)]
)
def test_little_staleness_at_a_small_cache_and_long_ttl_is_explained(
    cache_size: int, ttl_s: float, explained: bool
) -> None:
    summary = cache_tradeoff_summary(cache_size, ttl_s)
    fig = plt.figure(figsize=(11, 7))
    plot_cache_tradeoff(summary, fig)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    said = any("Few stale answers despite" in t for t in texts)
    assert said == explained, texts
    if explained:
        assert summary.eviction_s is not None and summary.eviction_s < ttl_s
        assert np.isfinite(summary.eviction_s)
    plt.close(fig)
