"""Figures of load tests (unit 04 and 05): latency per stage, the capacity curve and its
knee, and closed- vs open-loop latency over a run. They draw what
:mod:`tradeoffs.labs.endpoint.load` and :mod:`tradeoffs.labs.endpoint.capacity` measured."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from tradeoffs.labs.endpoint.capacity import CapacityRun
from tradeoffs.labs.endpoint.load import StageResult
from tradeoffs.labs.endpoint.summary import percentile_over_time

__all__ = ["plot_capacity", "plot_latency_spectrum", "plot_over_time", "plot_stages"]


def plot_stages(results: Sequence[StageResult], ax: Axes) -> None:
    """Per stage, grouped bars of the client's response-time p50/p95/p99 for each load
    generator that ran it (closed loop hatched), on a log axis, with the p99's 95% interval
    as an error bar and the server's service-time p99 as a black tick."""
    names: list[str] = []
    for r in results:
        if r.stage.name not in names:
            names.append(r.stage.name)
    gens = sorted({r.generator for r in results}, key=lambda g: g != "locust")
    width = 0.8 / (3 * len(gens))
    colors = {50: "tab:blue", 95: "tab:orange", 99: "tab:red"}
    loop = {"locust": "closed loop (Locust)", "k6": "open loop (k6)"}
    for r in results:
        x0 = names.index(r.stage.name) - 0.4
        g = gens.index(r.generator)
        for k, q in enumerate((50, 95, 99)):
            x = x0 + (3 * g + k + 0.5) * width
            value = getattr(r.client, f"p{q}_ms")
            label = f"p{q}, {loop.get(r.generator, r.generator)}"
            ax.bar(
                x,
                value,
                width,
                color=colors[q],
                hatch="//" if r.generator == "locust" else None,
                edgecolor="white",
                label=label if r is _first(results, r.generator) else None,
            )
            if q == 99:
                err = [[value - r.client.p99_low_ms], [r.client.p99_high_ms - value]]
                ax.errorbar(x, value, yerr=err, fmt="none", color="black", capsize=2, lw=1)
                ax.plot(
                    x,
                    r.server.p99_ms,
                    "_",
                    color="black",
                    ms=9,
                    mew=2,
                    label="service time p99 (server)" if r is results[0] else None,
                )
                ax.annotate(
                    f"{value:,.0f}",
                    (x, r.client.p99_high_ms),
                    textcoords="offset points",
                    xytext=(0, 2),
                    ha="center",
                    fontsize="xx-small",
                )
    ax.set_xticks(range(len(names)), names)
    ax.set_yscale("log")
    ax.set_ylabel("response time at the client (ms, log scale)")
    ax.set_title("GET /users/{id} per stage under the same offered load (error bars: p99's 95% CI)")
    ax.legend(fontsize="x-small", ncol=2)


def _first(results: Sequence[StageResult], generator: str) -> StageResult | None:
    return next((r for r in results if r.generator == generator), None)


def plot_over_time(
    runs: dict[str, StageResult], ax: Axes, *, window_s: float = 1.0, q: float = 99.0
) -> None:
    """The client-side ``q``-th percentile per window of ``window_s`` seconds, one line per
    open-loop run (those have completion times), e.g. a cold cache against a warm one."""
    for label, r in runs.items():
        starts, values, _ = percentile_over_time(
            r.client_finished_s, r.client_latencies_ms, window_s=window_s, q=q
        )
        ax.plot(starts + window_s / 2, values, "o-", ms=3, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("time into the run (s)")
    ax.set_ylabel(f"p{q:g} of each {window_s:g} s window (ms, log)")
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
