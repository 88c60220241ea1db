"""The iron triangle, measured: latency vs cost vs accuracy of a sampled p99.

The example is small and real. A service has logged one million request
latencies; a dashboard wants their p99. Computing it exactly reads every row.
Computing it on a random sample of a fraction ``f`` of the rows reads fewer
rows, so it answers sooner and burns fewer CPU-seconds, but the answer is off
by a sampling error that grows as ``f`` shrinks.

:func:`measure_tradeoff` measures one point for real on this machine: the wall
time of the computation (median of a few runs), its CPU time priced per
vCPU-hour from the price book (:data:`tradeoffs.prices.VCPU_HOUR_USD`), and the
error of the sampled p99 against the exact one. Every p99 here is nearest-rank
(:func:`tradeoffs.metrics.percentile`), the definition unit 01 teaches.
:func:`tradeoff_frontier` measures a series of fractions; :func:`iron_triangle_panel`
lets a learner move along them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import ipywidgets as widgets
import numpy as np
from hdrh.histogram import HdrHistogram
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from tradeoffs._validate import count, non_negative, percentile_q, share, whole
from tradeoffs._validate import samples as as_samples
from tradeoffs.metrics import percentile as nearest_rank_percentile
from tradeoffs.prices import VCPU_HOUR_USD
from tradeoffs.profiling import time_calls

__all__ = [
    "DEFAULT_FRACTIONS",
    "HistogramPoint",
    "StrategyRow",
    "TradeoffPoint",
    "compare_strategies",
    "cost_usd_per_million_queries",
    "format_strategies",
    "format_table",
    "iron_triangle_panel",
    "make_latency_dataset",
    "measure_histogram",
    "measure_tradeoff",
    "tradeoff_frontier",
    "triangle_figure",
]

#: Fractions of the dataset the frontier is measured at, from 0.1% to all of it.
DEFAULT_FRACTIONS: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)

_SECONDS_PER_HOUR = 3600.0
_QUERIES_PER_COST_UNIT = 1_000_000


def make_latency_dataset(n_rows: int = 1_000_000, seed: int = 0) -> np.ndarray:
    """Simulate ``n_rows`` request latencies in milliseconds, in arrival order.

    Most requests take the fast path (log-normal, median 40 ms); 2% take a slow
    path (a cache miss: log-normal, median 400 ms), which is what a p99 sees.

    Returns a 1-D float64 array of latencies in ms. Same ``seed``, same array.
    """
    n_rows = whole(n_rows, "n_rows")
    rng = np.random.default_rng(seed)
    latency_ms = rng.lognormal(mean=math.log(40.0), sigma=0.5, size=n_rows)
    slow = rng.random(n_rows) < 0.02
    latency_ms[slow] = rng.lognormal(mean=math.log(400.0), sigma=0.6, size=int(slow.sum()))
    return latency_ms


def cost_usd_per_million_queries(cpu_s_per_query: float, price_usd_per_vcpu_hour: float) -> float:
    """Price the CPU time of one query, scaled to a million queries.

    ``cpu_s_per_query`` CPU-seconds per query times ``price_usd_per_vcpu_hour``
    USD per vCPU-hour; returns USD per 1,000,000 queries.
    """
    non_negative(cpu_s_per_query, "cpu_s_per_query")
    non_negative(price_usd_per_vcpu_hour, "price_usd_per_vcpu_hour")
    vcpu_hours = cpu_s_per_query * _QUERIES_PER_COST_UNIT / _SECONDS_PER_HOUR
    return vcpu_hours * price_usd_per_vcpu_hour


@dataclass(frozen=True)
class TradeoffPoint:
    """One measured point of the trade-off: a sample fraction and what it cost and bought.

    Attributes:
        fraction: share of the dataset read, in (0, 1].
        sample_rows: number of rows read per query.
        latency_ms: wall time of one query in ms (median over the repeats).
        cpu_s: CPU time of one query in seconds (median over the repeats).
        price_usd_per_vcpu_hour: the price ``cost_usd_per_million_queries`` uses.
        cost_usd_per_million_queries: ``cpu_s`` priced per vCPU-hour, for 1e6 queries.
        estimate_ms: the p99 computed on the first timed sample, in ms.
        exact_ms: the p99 computed on every row, in ms.
        error_pct: root-mean-square relative error of the estimate over
            ``error_samples`` random samples, in percent of ``exact_ms``.
        error_samples: how many random samples ``error_pct`` averages over.
    """

    fraction: float
    sample_rows: int
    latency_ms: float
    cpu_s: float
    price_usd_per_vcpu_hour: float
    cost_usd_per_million_queries: float
    estimate_ms: float
    exact_ms: float
    error_pct: float
    error_samples: int

    def with_price(self, price_usd_per_vcpu_hour: float) -> TradeoffPoint:
        """Return this point re-priced at ``price_usd_per_vcpu_hour``, without re-measuring."""
        cost = cost_usd_per_million_queries(self.cpu_s, price_usd_per_vcpu_hour)
        return replace(
            self,
            price_usd_per_vcpu_hour=price_usd_per_vcpu_hour,
            cost_usd_per_million_queries=cost,
        )


def _check_fraction(fraction: float, n_rows: int) -> int:
    share(fraction, "fraction")
    sample_rows = max(1, round(fraction * n_rows))
    if sample_rows < 100:
        raise ValueError(
            f"fraction={fraction} of {n_rows} rows is {sample_rows} rows; a p99 needs at "
            "least 100 rows: use a larger fraction or a larger dataset"
        )
    return sample_rows


def measure_tradeoff(
    latencies_ms: np.ndarray,
    fraction: float,
    *,
    percentile: float = 99.0,
    repeats: int = 5,
    error_samples: int = 100,
    price_usd_per_vcpu_hour: float = VCPU_HOUR_USD["on-demand VM"],
    seed: int = 0,
) -> TradeoffPoint:
    """Measure latency, cost and error of estimating a percentile from a sample.

    A sample is ``round(fraction * len(latencies_ms))`` rows drawn at random
    positions (uniformly, with replacement, as a bootstrap draws them; never a
    contiguous window, which real logs would fill with one period's traffic). Each
    of ``repeats`` timed runs draws its positions, gathers the rows and computes
    their nearest-rank ``percentile`` (:func:`tradeoffs.metrics.percentile`), timed
    by :func:`tradeoffs.profiling.time_calls` (wall and CPU time) after one untimed
    warm-up run; latency and CPU time are the medians. The error is the RMS
    relative error, against the percentile of all rows, of the estimates from up
    to ``error_samples`` samples (fewer for large fractions, so that at most four
    times the dataset is read per point; never fewer than 8). ``fraction=1``
    reads every row and returns the exact answer with ``error_pct == 0``.

    Returns a :class:`TradeoffPoint` (times in ms and s, cost in USD per million
    queries, error in percent). Raises ``ValueError`` for a fraction outside
    (0, 1], a sample under 100 rows, ``repeats < 1``, ``error_samples < 1`` or a
    negative price.
    """
    data = as_samples(latencies_ms, "latencies_ms")
    n_rows = int(data.size)
    sample_rows = _check_fraction(fraction, n_rows)
    count(repeats, "repeats")
    count(error_samples, "error_samples")
    percentile_q(percentile, "percentile")
    non_negative(price_usd_per_vcpu_hour, "price_usd_per_vcpu_hour")

    full = sample_rows == n_rows

    def p_of(draw_seed: int) -> float:
        if full:
            return nearest_rank_percentile(data, percentile)
        rows = np.random.default_rng([seed, draw_seed]).integers(0, n_rows, size=sample_rows)
        return nearest_rank_percentile(data[rows], percentile)

    exact_ms = nearest_rank_percentile(data, percentile)
    times = time_calls(p_of, repeats, warmup=1)

    # At fraction 1 every query reads the whole dataset: one run says it all.
    n_error = 1 if full else max(8, min(error_samples, 4 * n_rows // sample_rows))
    error_estimates_ms = [p_of(repeats + i) for i in range(n_error)]
    relative = (np.asarray(error_estimates_ms) - exact_ms) / exact_ms
    error_pct = float(np.sqrt(np.mean(relative**2)) * 100.0)
    median_cpu_s = times.median_cpu_s
    return TradeoffPoint(
        fraction=float(fraction),
        sample_rows=sample_rows,
        latency_ms=times.median_wall_s * 1e3,
        cpu_s=median_cpu_s,
        price_usd_per_vcpu_hour=price_usd_per_vcpu_hour,
        cost_usd_per_million_queries=cost_usd_per_million_queries(
            median_cpu_s, price_usd_per_vcpu_hour
        ),
        estimate_ms=p_of(0),
        exact_ms=exact_ms,
        error_pct=error_pct,
        error_samples=n_error,
    )


def tradeoff_frontier(
    latencies_ms: np.ndarray,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    *,
    percentile: float = 99.0,
    repeats: int = 5,
    error_samples: int = 100,
    price_usd_per_vcpu_hour: float = VCPU_HOUR_USD["on-demand VM"],
    seed: int = 0,
) -> list[TradeoffPoint]:
    """Measure :func:`measure_tradeoff` at each fraction, in increasing order of fraction.

    Returns one :class:`TradeoffPoint` per distinct fraction, sorted by fraction.
    Reads at most about ``repeats + 4`` times the dataset per fraction; the
    defaults take about half a second on one million rows on a laptop.
    """
    if len(fractions) == 0:
        raise ValueError("fractions must not be empty")
    return [
        measure_tradeoff(
            latencies_ms,
            fraction,
            percentile=percentile,
            repeats=repeats,
            error_samples=error_samples,
            price_usd_per_vcpu_hour=price_usd_per_vcpu_hour,
            seed=seed,
        )
        for fraction in sorted(set(fractions))
    ]


def _fraction_label(fraction: float) -> str:
    pct = fraction * 100.0
    return f"{pct:g}%"


def format_table(points: Sequence[TradeoffPoint]) -> str:
    """Return a plain-text table of points: fraction, rows, latency, CPU, cost, estimate, error."""
    header = (
        f"{'sample':>7} {'rows':>9} {'latency_ms':>10} {'cpu_ms':>8} "
        f"{'cost_usd/1M':>11} {'p99_ms':>7} {'error_pct':>9}"
    )
    lines = [header]
    for p in points:
        lines.append(
            f"{_fraction_label(p.fraction):>7} {p.sample_rows:>9,} {p.latency_ms:>10.3f} "
            f"{p.cpu_s * 1e3:>8.3f} {p.cost_usd_per_million_queries:>11.4f} "
            f"{p.estimate_ms:>7.1f} {p.error_pct:>9.2f}"
        )
    return "\n".join(lines)


def triangle_figure(points: Sequence[TradeoffPoint], chosen: int) -> Figure:
    """Draw the frontier (latency vs error) and the chosen point's three corners as bars.

    ``points`` come from :func:`tradeoff_frontier`; ``chosen`` indexes the point to
    highlight. The bars show the chosen point's latency, cost and error, each as a
    percentage of the largest value of that quantity on the frontier, labelled
    with the measured value and its unit. Returns a matplotlib ``Figure`` built
    without pyplot (no global state, no backend needed).
    """
    if not points:
        raise ValueError("points must not be empty")
    if not 0 <= chosen < len(points):
        raise ValueError(f"chosen must index points (0..{len(points) - 1}), got {chosen}")
    pick = points[chosen]

    fig = Figure(figsize=(10.0, 3.8), layout="constrained")
    ax_front, ax_bars = fig.subplots(1, 2, width_ratios=(1.25, 1.0))

    latency = [p.latency_ms for p in points]
    error = [p.error_pct for p in points]
    ax_front.plot(latency, error, "o-", color="0.55", markersize=5, zorder=1)
    rightmost = max(latency)
    for p in points:
        # The slowest point's label goes to its left, so the plot's edge never clips it.
        last = p.latency_ms == rightmost
        ax_front.annotate(
            _fraction_label(p.fraction),
            (p.latency_ms, p.error_pct),
            textcoords="offset points",
            xytext=(-9 if last else (9 if p is pick else 4), 7 if p is pick else 5),
            ha="right" if last else "left",
            fontsize=7,
            color="0.35",
        )
    ax_front.scatter(
        [pick.latency_ms], [pick.error_pct], s=140, color="tab:red", zorder=2, label="chosen"
    )
    ax_front.set_xscale("log")
    ax_front.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    ax_front.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax_front.xaxis.set_minor_formatter(NullFormatter())  # minor labels overlap on a log axis
    ax_front.margins(x=0.08)
    ax_front.set_xlabel("latency per query (ms, median, log scale)")
    ax_front.set_ylabel("p99 error (% RMS over samples)")
    ax_front.set_title("Reading less: faster and cheaper, less accurate", fontsize=10)
    ax_front.grid(True, which="both", alpha=0.3)
    ax_front.set_ylim(bottom=-0.05 * max(max(error), 1e-9), top=1.15 * max(max(error), 1e-9))

    names = ("latency", "cost", "error")
    values = (pick.latency_ms, pick.cost_usd_per_million_queries, pick.error_pct)
    worst = (
        max(latency),
        max(p.cost_usd_per_million_queries for p in points),
        max(error),
    )
    shares_pct = [100.0 * v / w if w > 0 else 0.0 for v, w in zip(values, worst, strict=True)]
    labels = (
        f"{pick.latency_ms:.3g} ms per query",
        f"{pick.cost_usd_per_million_queries:.3g} USD per 1M queries",
        f"{pick.error_pct:.3g}% error",
    )
    colors = ("tab:blue", "tab:orange", "tab:green")
    y = np.arange(len(names))[::-1]
    ax_bars.barh(y, shares_pct, color=colors, height=0.6)
    for yi, share_pct, text in zip(y, shares_pct, labels, strict=True):
        ax_bars.text(share_pct + 2.0, yi, text, va="center", fontsize=8)
    ax_bars.set_yticks(y, names)
    ax_bars.set_xlim(0, 185)
    ax_bars.set_xticks([0, 25, 50, 75, 100])
    ax_bars.set_xlabel("% of the worst value on the frontier")
    ax_bars.set_title(
        f"Chosen: {_fraction_label(pick.fraction)} sample ({pick.sample_rows:,} rows)",
        fontsize=10,
    )
    ax_bars.grid(True, axis="x", alpha=0.3)
    return fig


def _figure_png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def iron_triangle_panel(
    points: Sequence[TradeoffPoint] | None = None,
    *,
    n_rows: int = 1_000_000,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    initial_fraction: float = 0.01,
    repeats: int = 5,
    seed: int = 0,
) -> widgets.VBox:
    """Build the iron-triangle panel: a slider moves along a measured frontier.

    ``points`` is a frontier from :func:`tradeoff_frontier`; without it, the panel
    simulates ``n_rows`` latencies (:func:`make_latency_dataset`) and measures the
    p99 frontier at ``fractions`` itself. Returns an ``ipywidgets.VBox`` with a
    slider for the sample fraction, a price-tier dropdown
    (:data:`VCPU_HOUR_USD`, which re-prices the measured CPU time) and
    the figure of :func:`triangle_figure`, redrawn on each change.
    ``initial_fraction`` selects the nearest measured fraction.
    """
    if points is None:
        latencies_ms = make_latency_dataset(n_rows, seed=seed)
        points = tradeoff_frontier(latencies_ms, fractions, repeats=repeats, seed=seed)
    measured = sorted(points, key=lambda p: p.fraction)
    if not measured:
        raise ValueError("points must not be empty")
    start = min(range(len(measured)), key=lambda i: abs(measured[i].fraction - initial_fraction))

    slider = widgets.SelectionSlider(
        options=[(_fraction_label(p.fraction), i) for i, p in enumerate(measured)],
        value=start,
        description="sample",
        continuous_update=False,
        layout=widgets.Layout(width="380px"),
    )
    tier = widgets.Dropdown(
        options=[(f"{name} ({price} USD/vCPU-h)", name) for name, price in VCPU_HOUR_USD.items()],
        value="on-demand VM",
        description="price",
        layout=widgets.Layout(width="380px"),
    )
    image = widgets.Image(format="png", layout=widgets.Layout(max_width="1000px"))
    readout = widgets.HTML()

    def redraw(_change: object = None) -> None:
        price = VCPU_HOUR_USD[str(tier.value)]
        priced = [p.with_price(price) for p in measured]
        index = int(slider.value)
        pick = priced[index]
        image.value = _figure_png(triangle_figure(priced, index))
        readout.value = (
            f"<b>{_fraction_label(pick.fraction)}</b> sample ({pick.sample_rows:,} rows): "
            f"p99 = {pick.estimate_ms:.1f} ms (exact {pick.exact_ms:.1f} ms, "
            f"error {pick.error_pct:.2f}%), latency {pick.latency_ms:.3f} ms per query, "
            f"cost {pick.cost_usd_per_million_queries:.4f} USD per million queries"
        )

    slider.observe(redraw, names="value")
    tier.observe(redraw, names="value")
    redraw()

    title = widgets.HTML(
        "<b>Iron triangle</b>: the p99 of request latencies computed on a random sample "
        "(measured on this machine)"
    )
    return widgets.VBox([title, widgets.HBox([slider, tier]), readout, image])


# A third way to answer: keep a histogram as the requests complete, and read the p99 off it.
_HDR_LOWEST_US, _HDR_HIGHEST_US = 1, 60_000_000


@dataclass(frozen=True)
class HistogramPoint:
    """The p99 answered from an HdrHistogram that recorded every request as it completed.

    Attributes:
        significant_digits: the histogram's precision (2: buckets about 1% wide).
        ingest_cpu_s_per_row: CPU time of one ``record_value`` call, in seconds (measured
            over every row, one call per row, as a service records each request).
        latency_ms: wall time of one query (``get_value_at_percentile``), median, in ms.
        query_cpu_s: CPU time of one query, median, in seconds.
        estimate_ms, exact_ms, error_pct: the histogram's p99, the exact one, and the
            relative error in percent (bucket resolution, the same on every run).
        memory_bytes: the histogram's counts (raw rows are not kept).
    """

    significant_digits: int
    ingest_cpu_s_per_row: float
    latency_ms: float
    query_cpu_s: float
    estimate_ms: float
    exact_ms: float
    error_pct: float
    memory_bytes: int


def measure_histogram(
    latencies_ms: np.ndarray,
    *,
    significant_digits: int = 2,
    percentile: float = 99.0,
    repeats: int = 5,
) -> HistogramPoint:
    """Record every latency into an HdrHistogram (µs, 1 µs to 60 s, one call per row),
    timing the recording's CPU time, then time ``repeats`` queries of its ``percentile``
    (after a warm-up) and compare the answer with the exact nearest-rank one."""
    data = as_samples(latencies_ms, "latencies_ms")
    count(repeats, "repeats")
    percentile_q(percentile, "percentile")
    digits = count(significant_digits, "significant_digits")
    if not 1 <= digits <= 5:
        raise ValueError(f"significant_digits must be 1 to 5, got {significant_digits}")
    values_us = np.clip(np.rint(data * 1000.0), _HDR_LOWEST_US, _HDR_HIGHEST_US)
    values = values_us.astype(np.int64).tolist()
    hist = HdrHistogram(_HDR_LOWEST_US, _HDR_HIGHEST_US, digits)

    def record(_i: int) -> None:
        for value in values:
            hist.record_value(value)

    ingest = time_calls(record, 1)
    queries = time_calls(lambda _i: hist.get_value_at_percentile(percentile), repeats, warmup=1)
    exact_ms = nearest_rank_percentile(data, percentile)
    estimate_ms = hist.get_value_at_percentile(percentile) / 1000.0
    return HistogramPoint(
        significant_digits=digits,
        ingest_cpu_s_per_row=float(ingest.cpu_s[0]) / max(1, len(values)),
        latency_ms=queries.median_wall_s * 1e3,
        query_cpu_s=queries.median_cpu_s,
        estimate_ms=estimate_ms,
        exact_ms=exact_ms,
        error_pct=abs(estimate_ms - exact_ms) / exact_ms * 100.0,
        memory_bytes=int(hist.counts_len * hist.word_size),
    )


@dataclass(frozen=True)
class StrategyRow:
    """One way to answer the p99 question, with its three corners (and its memory)."""

    strategy: str
    latency_ms: float
    cpu_ms_per_answer: float
    cost_usd_per_million_queries: float
    error_pct: float
    memory_bytes: int


def compare_strategies(
    scan: TradeoffPoint,
    sample: TradeoffPoint,
    histogram: HistogramPoint,
    *,
    rows_per_query: int,
    price_usd_per_vcpu_hour: float = VCPU_HOUR_USD["on-demand VM"],
) -> list[StrategyRow]:
    """The full scan, a sample and a histogram kept at ingest, side by side, when
    ``rows_per_query`` new requests are logged between two questions.

    The scan and the sample pay their CPU when asked (and keep every raw row, 8 bytes
    each); the histogram pays ``rows_per_query`` recordings per answer whether or not
    anyone asks, plus a short query, and keeps only its counts. Latency is what the asker
    waits for; cost is all the CPU an answer needs, priced per vCPU-hour."""
    if scan.fraction != 1.0:
        raise ValueError(f"scan must be the full-scan point (fraction 1), got {scan.fraction}")
    rows = whole(rows_per_query, "rows_per_query")
    non_negative(price_usd_per_vcpu_hour, "price_usd_per_vcpu_hour")
    hist_cpu_s = histogram.query_cpu_s + rows * histogram.ingest_cpu_s_per_row
    raw_bytes = scan.sample_rows * 8
    out = []
    for name, latency_ms, cpu_s, error_pct, memory in (
        ("full scan", scan.latency_ms, scan.cpu_s, scan.error_pct, raw_bytes),
        (
            f"{_fraction_label(sample.fraction)} sample",
            sample.latency_ms,
            sample.cpu_s,
            sample.error_pct,
            raw_bytes,
        ),
        (
            f"histogram ({histogram.significant_digits} digits)",
            histogram.latency_ms,
            hist_cpu_s,
            histogram.error_pct,
            histogram.memory_bytes,
        ),
    ):
        out.append(
            StrategyRow(
                strategy=name,
                latency_ms=latency_ms,
                cpu_ms_per_answer=cpu_s * 1e3,
                cost_usd_per_million_queries=cost_usd_per_million_queries(
                    cpu_s, price_usd_per_vcpu_hour
                ),
                error_pct=error_pct,
                memory_bytes=memory,
            )
        )
    return out


def format_strategies(rows: Sequence[StrategyRow]) -> str:
    """A plain-text table of :func:`compare_strategies`' rows."""
    lines = [
        f"{'strategy':>22} {'latency_ms':>10} {'cpu_ms/answer':>13} {'cost_usd/1M':>11} "
        f"{'error_pct':>9} {'memory':>9}"
    ]
    for r in rows:
        memory = (
            f"{r.memory_bytes / 2**20:.1f} MiB"
            if r.memory_bytes >= 2**20
            else f"{r.memory_bytes / 1024:.0f} KiB"
        )
        lines.append(
            f"{r.strategy:>22} {r.latency_ms:>10.3f} {r.cpu_ms_per_answer:>13.3f} "
            f"{r.cost_usd_per_million_queries:>11.4f} {r.error_pct:>9.2f} {memory:>9}"
        )
    return "\n".join(lines)
