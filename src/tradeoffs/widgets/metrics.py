"""The tail-latency panel of unit 01: how a slow path moves the mean, p50 and p99.

:func:`tail_latency_summary` is the pure computation (numbers only, unit-tested);
:func:`plot_tail_latency` draws one summary on a matplotlib axis; :func:`tail_latency_panel`
wires both to sliders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from tradeoffs.metrics import bootstrap_ci, mixture_latencies_ms, percentiles
from tradeoffs.widgets._panel import choice, figure_panel, slider

__all__ = [
    "TailLatencySummary",
    "p99_intervals_by_size",
    "plot_tail_latency",
    "tail_latency_panel",
    "tail_latency_summary",
]

SAMPLE_SIZES = (100, 300, 1_000, 3_000, 10_000, 30_000, 100_000)


@dataclass(frozen=True)
class TailLatencySummary:
    """Mean, median and p99 of one latency sample (ms), with a bootstrap interval for p99."""

    n_samples: int
    tail_fraction: float
    mean_ms: float
    p50_ms: float
    p99_ms: float
    p99_ci_ms: tuple[float, float]
    confidence: float
    samples_ms: NDArray[np.float64] = field(repr=False, compare=False)

    @property
    def p99_ci_width_ms(self) -> float:
        return self.p99_ci_ms[1] - self.p99_ci_ms[0]


def tail_latency_summary(
    tail_fraction: float = 0.02,
    n_samples: int = 10_000,
    seed: int = 0,
    tail_median_ms: float = 1200.0,
    body_median_ms: float = 45.0,
    n_boot: int = 500,
    confidence: float = 0.95,
) -> TailLatencySummary:
    """Draw a seeded latency log (see :func:`tradeoffs.metrics.mixture_latencies_ms`) and
    summarise it: mean, nearest-rank p50 and p99 (ms), and the bootstrap confidence interval
    of the p99 (ms) at ``confidence``.
    """
    samples = mixture_latencies_ms(
        n_samples,
        tail_fraction=tail_fraction,
        seed=seed,
        body_median_ms=body_median_ms,
        tail_median_ms=tail_median_ms,
    )
    pct = percentiles(samples, (50, 99))
    ci = bootstrap_ci(samples, 99, n_boot=n_boot, confidence=confidence, seed=seed)
    return TailLatencySummary(
        n_samples=int(n_samples),
        tail_fraction=float(tail_fraction),
        mean_ms=float(samples.mean()),
        p50_ms=pct[50.0],
        p99_ms=pct[99.0],
        p99_ci_ms=ci,
        confidence=float(confidence),
        samples_ms=samples,
    )


def plot_tail_latency(summary: TailLatencySummary, ax: Axes) -> None:
    """Histogram of the sample on a log latency axis, with mean, p50, p99 and the p99 band."""
    data = summary.samples_ms
    bins = np.geomspace(max(data.min(), 1.0), max(data.max(), 10.0) * 1.01, 80)
    ax.hist(data, bins=bins.tolist(), color="0.75", edgecolor="0.55", linewidth=0.3)
    ax.set_xscale("log")
    ax.set_yscale("log")  # so that a 1% slow path is visible next to the fast path
    lo, hi = summary.p99_ci_ms
    ax.axvspan(lo, hi, color="tab:red", alpha=0.15, label=f"p99 {summary.confidence:.0%} CI")
    for value, name, color, style in (
        (summary.p50_ms, "p50", "tab:blue", "-"),
        (summary.mean_ms, "mean", "tab:green", "--"),
        (summary.p99_ms, "p99", "tab:red", "-"),
    ):
        ax.axvline(
            value, color=color, linestyle=style, linewidth=2, label=f"{name} {value:,.0f} ms"
        )
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("requests (log scale)")
    ax.set_title(
        f"n = {summary.n_samples:,}, slow path {summary.tail_fraction:.1%}: "
        f"p99 = {summary.p99_ms:,.0f} ms, CI {lo:,.0f} to {hi:,.0f} ms"
    )
    # Outside the axes: inside, it covered the p99 band it explains.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", borderaxespad=0)


def p99_intervals_by_size(
    sizes: Sequence[int], draws: int = 9, confidence: float = 0.95
) -> list[tuple[float, float, float]]:
    """For each sample size, the median over `draws` independent samples (of the checkout
    log's generator) of the p99 and of its bootstrap interval's ends: (p99, low, high) in
    ms. One sample per size can, by chance, give a wider interval at 300 than at 100; the
    median of several shows the trend the size sets."""
    rows = []
    for n in sizes:
        found = []
        for draw in range(draws):
            sample = mixture_latencies_ms(int(n), seed=1000 * draw + int(n))
            low, high = bootstrap_ci(sample, 99, confidence=confidence, seed=draw)
            found.append((percentiles(sample, [99])[99.0], low, high))
        est, low, high = (float(np.median(col)) for col in zip(*found, strict=True))
        rows.append((est, low, high))
    return rows


def _draw(tail_fraction: float, n_samples: int, tail_median_ms: float, seed: int) -> None:
    summary = tail_latency_summary(
        tail_fraction=tail_fraction, n_samples=n_samples, seed=seed, tail_median_ms=tail_median_ms
    )
    fig, ax = plt.subplots(figsize=(9, 4))
    plot_tail_latency(summary, ax)
    fig.tight_layout()


def tail_latency_panel() -> widgets.VBox:
    """Sliders for the slow-path share, its median, the sample size and the seed, above a
    plot that redraws on every change. Display it as a cell's last expression."""
    controls = {
        "tail_fraction": slider(
            widgets.FloatSlider,
            "slow-path share",
            0.02,
            0.0,
            0.10,
            step=0.005,
            readout_format=".1%",
        ),
        "tail_median_ms": slider(
            widgets.FloatLogSlider,
            "slow-path median (ms)",
            1200.0,
            2,
            4,
            base=10,
            step=0.1,
            readout_format=",.0f",
        ),
        "n_samples": choice("sample size", [(f"{n:,}", n) for n in SAMPLE_SIZES], 10_000),
        "seed": slider(widgets.IntSlider, "seed", 0, 0, 20),
    }
    return figure_panel(_draw, controls)
