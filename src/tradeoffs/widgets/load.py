"""Figures of load tests (unit 04 and 05): latency per stage, the capacity curve and its
knee, and closed- vs open-loop latency over a run. They draw what
:mod:`tradeoffs.labs.endpoint.load` and :mod:`tradeoffs.labs.endpoint.capacity` measured."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from tradeoffs.labs.endpoint.capacity import CapacityRun
from tradeoffs.labs.endpoint.load import StageResult

__all__ = ["plot_capacity", "plot_latency_spectrum", "plot_stages"]


def plot_stages(results: Sequence[StageResult], ax: Axes) -> None:
    """Grouped bars of the server-side p50/p95/p99 per stage, on a log axis, with the
    client-side p99's confidence interval as an error bar over the p99 bar."""
    names = [r.stage.name for r in results]
    x = np.arange(len(results))
    for k, (q, color) in enumerate(((50, "tab:blue"), (95, "tab:orange"), (99, "tab:red"))):
        values = [getattr(r.server, f"p{q}_ms") for r in results]
        bars = ax.bar(x + (k - 1) * 0.27, values, 0.27, label=f"service time p{q}", color=color)
        ax.bar_label(
            bars,
            labels=[f"{v:,.0f}" if v >= 10 else f"{v:.1f}" for v in values],
            fontsize="x-small",
            padding=1,
        )
    p99 = np.array([r.client.p99_ms for r in results])
    err = np.array(
        [
            [r.client.p99_ms - r.client.p99_low_ms, r.client.p99_high_ms - r.client.p99_ms]
            for r in results
        ]
    ).T
    ax.errorbar(
        x + 0.27,
        p99,
        yerr=err,
        fmt="D",
        color="black",
        ms=4,
        capsize=3,
        label="response time p99 (client), 95% CI",
    )
    ax.set_xticks(x, names)
    ax.set_yscale("log")
    ax.set_ylabel("latency (ms, log scale)")
    ax.set_title("GET /users/{id}: latency percentiles per stage under the same load")
    ax.legend(fontsize="small")


def plot_capacity(run: CapacityRun, ax: Axes) -> None:
    """Client p99 (with its interval) and server p99 against the offered rate, the target
    as a line, and the knee marked."""
    rates = np.array([s.offered_rps for s in run.steps], dtype=float)
    p99 = np.array([s.client.p99_ms for s in run.steps])
    low = np.array([s.client.p99_low_ms for s in run.steps])
    high = np.array([s.client.p99_high_ms for s in run.steps])
    ax.fill_between(rates, low, high, color="tab:red", alpha=0.2, label="95% CI of the p99")
    ax.plot(rates, p99, "o-", color="tab:red", label="response time p99 (client)")
    ax.plot(
        rates,
        [s.server.p99_ms for s in run.steps],
        "s--",
        color="tab:blue",
        label="service time p99 (server)",
    )
    ax.plot(
        rates, [s.client.p50_ms for s in run.steps], ".:", color="0.4", label="response time p50"
    )
    ax.axhline(run.target_p99_ms, color="black", lw=1, label=f"target p99 {run.target_p99_ms:g} ms")
    if run.knee_rps is not None:
        ax.axvline(run.knee_rps, color="tab:green", lw=1.5, label=f"knee: {run.knee_rps:g} req/s")
    ax.set_yscale("log")
    ax.set_xlabel("offered rate (requests/s, open loop)")
    ax.set_ylabel("latency (ms, log scale)")
    ax.set_title("Stepping the offered rate until the p99 breaks")
    ax.legend(fontsize="small")


def plot_latency_spectrum(results: Sequence[StageResult], ax: Axes) -> None:
    """The percentile spectrum (p50 to p99.9) of each result's client-side samples."""
    qs = np.array([50, 75, 90, 95, 99, 99.5, 99.9])
    for r in results:
        if r.client_latencies_ms.size:
            values = np.percentile(r.client_latencies_ms, qs, method="inverted_cdf")
            offered = "max" if r.offered_rps is None else f"{r.offered_rps:g}/s"
            ax.plot(
                range(qs.size), values, "o-", label=f"{r.generator} ({offered}): {r.stage.name}"
            )
    ax.set_xticks(range(qs.size), [f"p{q:g}" for q in qs])
    ax.set_yscale("log")
    ax.set_ylabel("response time (ms, log scale)")
    ax.legend(fontsize="small")
