"""Figures of unit 04's observability: a dashboard drawn from PromQL range queries, a
trace waterfall, trace sampling, and the billing export as Cost Explorer shows it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes

from tradeoffs.labs.endpoint.observability.sampling import SamplingStudy
from tradeoffs.labs.endpoint.observability.tracing import SpanRow

__all__ = ["plot_cost_explorer", "plot_panel", "plot_sampling", "plot_waterfall"]

Series = Sequence[tuple[Mapping[str, str], Sequence[float], Sequence[float]]]


def plot_panel(
    ax: Axes,
    title: str,
    series: Mapping[str, Series],
    t0: float,
    *,
    unit: str = "",
    log: bool = False,
) -> None:
    """One dashboard panel: every series of each query (legend: the query's name and the
    series' labels), against seconds since ``t0``."""
    for name, result in series.items():
        for labels, times, values in result:
            tag = ",".join(f"{k}={v}" for k, v in labels.items() if k not in ("job", "instance"))
            ax.plot(np.asarray(times) - t0, values, label=f"{name} {tag}".strip())
    if log:
        ax.set_yscale("log")
    ax.set_title(title, fontsize="small")
    ax.set_ylabel(unit)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="x-small")
    else:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", color="0.5")


def plot_waterfall(
    rows: Sequence[SpanRow], ax: Axes, *, max_rows: int = 40, title: str = ""
) -> None:
    """A trace as a waterfall: one bar per span, start to end, children indented. Beyond
    ``max_rows`` spans the rest are summarised in the title."""
    shown = list(rows)[:max_rows]
    for i, r in enumerate(shown):
        color = (
            "tab:blue"
            if r.depth == 0
            else ("tab:green" if r.name.startswith("cache") else "tab:orange")
        )
        ax.barh(i, max(r.duration_ms, 0.05), left=r.start_ms, color=color, height=0.8)
    ax.set_yticks(
        range(len(shown)), ["  " * r.depth + r.name[:28] for r in shown], fontsize="x-small"
    )
    ax.invert_yaxis()
    ax.set_xlabel("ms since the request started")
    more = f" (first {max_rows} of {len(rows)} spans)" if len(rows) > max_rows else ""
    ax.set_title(title + more, fontsize="small")


def plot_sampling(study: SamplingStudy, ax: Axes, head_rate: float, tail_label: str) -> None:
    """Distributions of the p99 estimated from head-sampled and tail-sampled traces."""
    ax.hist(study.head_p99_ms, bins=30, alpha=0.6, label=f"head sampling {head_rate:.0%}")
    ax.hist(study.tail_p99_ms, bins=30, alpha=0.6, label=tail_label)
    ax.axvline(study.true_p99_ms, color="black", lw=1.5, label="p99 of every request")
    ax.set_xlabel("estimated p99 (ms)")
    ax.set_ylabel("repeats")
    ax.legend(fontsize="x-small")


def plot_cost_explorer(
    by_service: Mapping[str, float],
    daily: Mapping[str, Mapping[str, float]],
    axes: tuple[Axes, Axes],
) -> None:
    """Cost by service (bars) and the daily cost stacked by service, as Cost Explorer."""
    ax1, ax2 = axes
    names = list(by_service)
    ax1.barh(names, [by_service[n] for n in names], color="tab:blue")
    ax1.invert_yaxis()
    ax1.set_xlabel("USD this month")
    ax1.set_title("Cost by service", fontsize="small")
    days = list(daily)
    bottom = np.zeros(len(days))
    for name in names:
        values = np.array([daily[d].get(name, 0.0) for d in days])
        ax2.bar(range(len(days)), values, bottom=bottom, label=name)
        bottom += values
    ax2.set_xticks(range(0, len(days), 5), [days[i][5:] for i in range(0, len(days), 5)])
    ax2.set_ylabel("USD per day")
    ax2.set_title("Daily cost by service", fontsize="small")
    ax2.legend(fontsize="x-small", ncol=2)
