"""Figures and the trade-off panel of unit 06 (the fraud model under a latency budget).

The numbers come from :mod:`tradeoffs.labs.fraud`; this module only draws them.
:func:`fraud_panel` puts sliders (review cost, fraud loss share, daily volume,
threshold, escalation band) over :func:`tradeoffs.labs.fraud.tradeoff.fraud_tradeoff`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from tradeoffs.labs.fraud.costs import CostModel, expected_cost
from tradeoffs.labs.fraud.latency import LatencyStats
from tradeoffs.labs.fraud.simulate import SCENARIOS, Transactions
from tradeoffs.labs.fraud.study import MatrixRow, pareto_front
from tradeoffs.labs.fraud.tradeoff import TierPoint, TradeoffData, fraud_tradeoff

__all__ = [
    "fraud_panel",
    "plot_days",
    "plot_latency",
    "plot_pareto",
    "plot_threshold_costs",
    "plot_tradeoff",
]

_COLORS = ("0.6", "tab:orange", "tab:red", "tab:purple")


def plot_days(tx: Transactions, ax: Axes) -> None:
    """Frauds per day, stacked by scenario, with the day's fraud rate on a second axis."""
    days = np.arange(tx.config.n_days)
    bottom = np.zeros(days.size)
    for code in range(1, len(SCENARIOS)):
        counts = np.bincount(tx.day[tx.scenario == code], minlength=days.size)[: days.size]
        ax.bar(days, counts, bottom=bottom, color=_COLORS[code], label=SCENARIOS[code], width=1)
        bottom += counts
    ax.set_xlabel("day")
    ax.set_ylabel("frauds per day")
    ax.legend(loc="upper left", fontsize="small")
    rate = ax.twinx()
    total = np.bincount(tx.day, minlength=days.size)[: days.size]
    rate.plot(days, bottom / np.maximum(total, 1), color="k", lw=1, label="fraud rate")
    rate.set_ylabel("fraud rate")
    rate.yaxis.set_major_formatter(lambda v, _: f"{v:.1%}")
    ax.set_title(f"{len(tx):,} transactions, fraud rate {tx.fraud_rate:.2%}")


def plot_threshold_costs(
    scores: Mapping[str, ArrayLike],
    y: ArrayLike,
    amounts: ArrayLike,
    costs: CostModel,
    ax: Axes,
    best: Mapping[str, float] | None = None,
) -> None:
    """Cost per 1,000 transactions against the threshold, one line per model; the
    default 0.5 and each model's chosen threshold marked."""
    grid = np.geomspace(1e-3, 0.99, 120)
    for name, s in scores.items():
        line = [expected_cost(s, y, amounts, t, 0.0, costs).per_1000_usd for t in grid]
        (drawn,) = ax.plot(grid, line, label=name)
        if best and name in best:
            c = expected_cost(s, y, amounts, best[name], 0.0, costs).per_1000_usd
            ax.plot([best[name]], [c], "o", color=drawn.get_color())
    ax.axvline(0.5, color="k", ls=":", lw=1)
    ax.annotate("default 0.5", (0.5, ax.get_ylim()[1]), ha="right", va="top", fontsize="small")
    ax.set_xscale("log")
    ax.set_xlabel("threshold (flag if score >= threshold)")
    ax.set_ylabel("expected cost, USD per 1,000 transactions")
    ax.legend(fontsize="small")


def plot_latency(stats: Mapping[str, LatencyStats], ax: Axes) -> None:
    """Empirical CDFs of one-row call latency (log scale), p99 marked."""
    for name, s in stats.items():
        x = np.sort(s.wall_ms)
        (line,) = ax.plot(x, np.arange(1, x.size + 1) / x.size, label=f"{name}")
        ax.plot([s.p99_ms], [0.99], "o", color=line.get_color(), ms=4)
    ax.axhline(0.99, color="k", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("latency of one call (ms, log scale)")
    ax.set_ylabel("share of calls at most this fast")
    ax.legend(fontsize="small")


def plot_pareto(rows: Sequence[MatrixRow], ax: Axes) -> None:
    """Cost per 1,000 against p99, one point per option; the Pareto front joined."""
    pts = [(r.cost_per_1000_usd, r.p99_ms) for r in rows]
    front = pareto_front(pts)
    for r, on in zip(rows, front, strict=True):
        ax.plot(r.p99_ms, r.cost_per_1000_usd, "o", color="tab:blue" if on else "0.6")
        ax.annotate(r.option, (r.p99_ms, r.cost_per_1000_usd), fontsize="x-small",
                    xytext=(3, 3), textcoords="offset points")  # fmt: skip
    fx = sorted((t, c) for (c, t), on in zip(pts, front, strict=True) if on)
    if fx:
        ax.plot([t for t, _ in fx], [c for _, c in fx], "-", color="tab:blue", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("p99 of one call (ms, log scale)")
    ax.set_ylabel("expected cost, USD per 1,000 transactions")
    ax.set_title("cost against tail latency (blue: Pareto front)")


def plot_tradeoff(points: Mapping[str, TierPoint], axes: tuple[Axes, Axes]) -> None:
    """Daily cost (left) and latency p50/p99 (right) of each tier at one setting."""
    ax1, ax2 = axes
    names = list(points)
    costs = [points[n].daily_cost_usd for n in names]
    bars = ax1.bar(names, costs, color=["tab:green", "tab:red", "tab:blue"][: len(names)])
    ax1.bar_label(bars, labels=[f"${c:,.0f}" for c in costs], fontsize="small")
    ax1.set_ylabel("expected cost per day (USD)")
    esc = points.get("cascade")
    if esc is not None:
        ax1.set_title(f"cascade escalates {esc.escalation:.2%} of transactions")
    x = np.arange(len(names))
    for k, (q, color) in enumerate(((50, "tab:blue"), (99, "tab:red"))):
        vals = [getattr(points[n], f"p{q}_ms") for n in names]
        ax2.bar(x + (k - 0.5) * 0.4, vals, 0.4, color=color, label=f"p{q}")
    ax2.set_xticks(x, names)
    ax2.set_yscale("log")
    ax2.set_ylabel("one-row latency (ms, log scale)")
    ax2.legend(fontsize="small")


def fraud_panel(data: TradeoffData, costs: CostModel | None = None) -> widgets.VBox:
    """Sliders for review cost, fraud loss share, daily volume, threshold and band."""
    style = {"description_width": "170px"}
    layout = widgets.Layout(width="560px")

    def slider(cls: type, **kw: object) -> widgets.Widget:
        return cls(style=style, layout=layout, continuous_update=False, **kw)

    controls = {
        "review_usd": slider(
            widgets.FloatSlider, value=4, min=0, max=40, step=0.5, description="review cost ($)"
        ),
        "loss_share": slider(
            widgets.FloatSlider, value=1, min=0, max=1, step=0.05, description="fraud loss share"
        ),
        "daily_volume": slider(
            widgets.IntSlider,
            value=1_000_000,
            min=10_000,
            max=20_000_000,
            step=10_000,
            description="transactions per day",
        ),
        "threshold": slider(
            widgets.FloatLogSlider,
            value=0.1,
            base=10,
            min=-3,
            max=0,
            step=0.05,
            description="threshold",
            readout_format=".3f",
        ),
        "band": slider(
            widgets.FloatRangeSlider,
            value=(0.05, 0.2),
            min=0,
            max=1,
            step=0.005,
            description="escalation band",
            readout_format=".3f",
        ),
    }

    def draw(review_usd: float, loss_share: float, daily_volume: int, threshold: float,
             band: tuple[float, float]) -> None:  # fmt: skip
        points = fraud_tradeoff(data, review_usd, loss_share, daily_volume, threshold, band, costs)
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        plot_tradeoff(points, (axes[0], axes[1]))
        fig.tight_layout()

    out = widgets.interactive_output(draw, controls)
    return widgets.VBox([*controls.values(), out])
