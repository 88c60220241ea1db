"""Profiling helpers for unit 02: time, profile, attribute, and export one run.

Every helper runs the real tool (``timeit``, ``cProfile``/``pstats``, ``line_profiler``,
``memory_profiler``, ``tracemalloc``, ``pyinstrument``) on a function you pass in, and
returns small frozen dataclasses with units in their names, so a notebook can print,
plot and compare them. Times are in seconds (``_s``), memory in bytes or MiB.

Sections:

* timing: repeated runs after warm-up, with the median and the spread;
* cProfile: one profiled call, a sorted function table, callers/callees, and an icicle
  chart built from the profile's call graph;
* the Pareto view: each function's share of the run and the cumulative share, and
  Amdahl's law for what speeding up a share can buy;
* line_profiler: line-by-line timings printed to a string (nbclient drops ``%lprun``'s
  pager output), and per-line hit counts;
* memory: tracemalloc (peak vs retained, top allocation sites) and memory_profiler (RSS);
* the cost of measuring: each tool's overhead as a ratio to the plain run;
* a Chrome trace event file of one run, for chrome://tracing or https://ui.perfetto.dev.
"""

from __future__ import annotations

import cProfile
import io
import json
import linecache
import math
import os
import pstats
import statistics
import sys
import time
import timeit
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from matplotlib.axes import Axes

__all__ = [
    "FunctionStat",
    "IcicleBox",
    "LineProfileRun",
    "LineStat",
    "MemoryRun",
    "Overhead",
    "ParetoRow",
    "ProfileRun",
    "TimingStats",
    "TraceRun",
    "amdahl_limit",
    "amdahl_speedup",
    "callees_of",
    "callers_of",
    "find_function",
    "function_label",
    "function_table",
    "icicle_boxes",
    "line_profile",
    "memory_line_profile",
    "pareto_table",
    "plot_icicle",
    "plot_pareto",
    "plot_timeline",
    "profile_call",
    "profiler_overhead",
    "rss_peak_mib",
    "sampling_profile",
    "stats_text",
    "time_repeats_s",
    "top_function",
    "trace_events",
    "trace_memory",
    "write_chrome_trace",
]

SortKey = Literal["tottime", "cumtime", "calls"]
StatsKey = tuple[str, int, str]


def _check_callable(fn: Any) -> None:
    if not callable(fn):
        raise TypeError(f"expected a function to run, got {type(fn).__name__}")


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimingStats:
    """Per-call times of repeated runs (seconds), after warm-up."""

    samples_s: tuple[float, ...]
    warmup: int

    @property
    def median_s(self) -> float:
        return statistics.median(self.samples_s)

    @property
    def min_s(self) -> float:
        return min(self.samples_s)

    @property
    def max_s(self) -> float:
        return max(self.samples_s)

    @property
    def spread(self) -> float:
        """Slowest run / fastest run: 1.0 means perfectly repeatable."""
        return self.max_s / max(self.min_s, 1e-12)


def time_repeats_s(
    fn: Callable[..., Any],
    *args: Any,
    repeats: int = 7,
    number: int = 1,
    warmup: int = 1,
    **kwargs: Any,
) -> TimingStats:
    """Time ``fn(*args, **kwargs)`` with :mod:`timeit`: `warmup` untimed calls, then
    `repeats` timings of `number` calls each, reported per call (seconds)."""
    _check_callable(fn)
    if repeats < 1 or number < 1 or warmup < 0:
        raise ValueError(
            f"need repeats >= 1, number >= 1, warmup >= 0; got {repeats}, {number}, {warmup}"
        )
    timer = timeit.Timer(lambda: fn(*args, **kwargs))
    if warmup:
        timer.timeit(warmup)
    totals = timer.repeat(repeat=repeats, number=number)
    return TimingStats(tuple(t / number for t in totals), warmup)


# --------------------------------------------------------------------------------------------
# cProfile and pstats
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileRun:
    """One call of a function under cProfile: its result, the stats and the wall time."""

    result: Any
    stats: pstats.Stats
    wall_s: float

    @property
    def total_s(self) -> float:
        """Time the profiler attributed to functions (the sum of all tottimes)."""
        return float(self.stats.total_tt)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FunctionStat:
    """One row of a pstats table. ``total_calls`` counts recursive calls too (the first
    number of pstats' "ncalls" column when it shows two); ``primitive_calls`` does not."""

    key: StatsKey
    function: str
    label: str
    total_calls: int
    primitive_calls: int
    tottime_s: float
    cumtime_s: float

    @property
    def ncalls_text(self) -> str:
        """The "ncalls" column as pstats prints it: "12/3" for recursion, else "12"."""
        if self.total_calls == self.primitive_calls:
            return str(self.total_calls)
        return f"{self.total_calls}/{self.primitive_calls}"


def profile_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> ProfileRun:
    """Run ``fn(*args, **kwargs)`` once under :class:`cProfile.Profile`."""
    _check_callable(fn)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    result = profiler.runcall(fn, *args, **kwargs)
    wall_s = time.perf_counter() - start
    return ProfileRun(result, pstats.Stats(profiler, stream=sys.stdout), wall_s)


def function_label(key: StatsKey) -> str:
    """A short name for a pstats key: ``module.function`` for Python code (the file's
    stem), the built-in's own description (``<built-in method ...>``) otherwise."""
    filename, _, name = key
    if filename == "~":
        return name
    path = Path(filename)
    module = path.parent.name if path.stem == "__init__" else path.stem
    return f"{module}.{name}"


def _raw(stats: pstats.Stats) -> dict[StatsKey, tuple[Any, ...]]:
    return stats.stats  # type: ignore[attr-defined]


def _row(key: StatsKey, value: tuple[Any, ...]) -> FunctionStat:
    cc, nc, tt, ct = value[:4]
    return FunctionStat(key, key[2], function_label(key), int(nc), int(cc), float(tt), float(ct))


_PROFILER_NOISE = "of '_lsprof.Profiler' objects"


def function_table(
    stats: pstats.Stats, sort: SortKey = "tottime", limit: int | None = None
) -> list[FunctionStat]:
    """Every profiled function (the profiler's own ``disable`` left out), largest first by
    `sort`: "tottime" (time in the function itself), "cumtime" (including what it called)
    or "calls" (total calls). Ties keep a stable order by label."""
    if sort not in ("tottime", "cumtime", "calls"):
        raise ValueError(f"sort must be 'tottime', 'cumtime' or 'calls', got {sort!r}")
    rows = [_row(k, v) for k, v in _raw(stats).items() if _PROFILER_NOISE not in k[2]]
    attr = {"tottime": "tottime_s", "cumtime": "cumtime_s", "calls": "total_calls"}[sort]
    rows.sort(key=lambda r: r.label)
    rows.sort(key=lambda r: getattr(r, attr), reverse=True)
    return rows[:limit] if limit is not None else rows


def top_function(stats: pstats.Stats, by: SortKey = "tottime") -> FunctionStat:
    """The first row of :func:`function_table` sorted `by`."""
    rows = function_table(stats, by, limit=1)
    if not rows:
        raise ValueError("the profile holds no functions")
    return rows[0]


def find_function(stats: pstats.Stats, name: str) -> FunctionStat:
    """The row whose function name or label is `name` (e.g. "dedupe_orders" or
    "slow.dedupe_orders"); ValueError when none or several match."""
    hits = [_row(k, v) for k, v in _raw(stats).items() if name in (k[2], function_label(k))]
    if len(hits) != 1:
        found = "no function" if not hits else f"{len(hits)} functions"
        raise ValueError(f"{found} named {name!r} in the profile")
    return hits[0]


def callers_of(stats: pstats.Stats, name: str) -> list[tuple[str, int, float]]:
    """Who called function `name`: (caller label, calls, cumulative seconds spent in
    `name` on behalf of that caller), largest time first."""
    target = find_function(stats, name)
    callers = _raw(stats)[target.key][4]
    rows = [(function_label(k), int(v[1]), float(v[3])) for k, v in callers.items()]
    return sorted(rows, key=lambda r: r[2], reverse=True)


def callees_of(stats: pstats.Stats, name: str) -> list[tuple[str, int, float]]:
    """What function `name` called: (callee label, calls, cumulative seconds of the callee
    on behalf of `name`), largest time first."""
    target = find_function(stats, name)
    rows = []
    for key, value in _raw(stats).items():
        edge = value[4].get(target.key)
        if edge is not None:
            rows.append((function_label(key), int(edge[1]), float(edge[3])))
    return sorted(rows, key=lambda r: r[2], reverse=True)


def stats_text(stats: pstats.Stats, sort: SortKey = "tottime", limit: int = 10) -> str:
    """pstats' own table (``print_stats``) as a string, paths shortened to file names."""
    if sort not in ("tottime", "cumtime", "calls"):
        raise ValueError(f"sort must be 'tottime', 'cumtime' or 'calls', got {sort!r}")
    buffer = io.StringIO()
    copy = pstats.Stats(stream=buffer)
    copy.add(stats)
    copy.strip_dirs().sort_stats({"cumtime": "cumulative"}.get(sort, sort)).print_stats(limit)
    return buffer.getvalue().strip("\n")


# --------------------------------------------------------------------------------------------
# Icicle (flame) chart from the call graph
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IcicleBox:
    """One box of an icicle chart: a function at `depth` below the root, spanning
    [start_s, start_s + width_s) of the root's cumulative time."""

    label: str
    depth: int
    start_s: float
    width_s: float


def icicle_boxes(
    stats: pstats.Stats,
    root: str | None = None,
    max_depth: int = 8,
    min_share: float = 0.002,
) -> list[IcicleBox]:
    """Lay out an icicle chart (a flame graph drawn top-down) from a cProfile call graph.

    The root is the function named `root`, or the one with the largest cumulative time.
    Each child's width is the cumulative time it spent on behalf of its parent (pstats
    keeps that per caller-callee edge), scaled to the parent's box where the parent was
    itself called from several places. cProfile keeps one level of call context only, so
    deeper boxes are an estimate; recursive calls are folded into their first box.
    Boxes narrower than `min_share` of the root are dropped.
    """
    if max_depth < 1 or not 0 <= min_share < 1:
        raise ValueError("need max_depth >= 1 and 0 <= min_share < 1")
    raw = _raw(stats)
    top = find_function(stats, root) if root is not None else top_function(stats, "cumtime")
    children: dict[StatsKey, list[tuple[StatsKey, float]]] = {}
    for key, value in raw.items():
        for caller, edge in value[4].items():
            children.setdefault(caller, []).append((key, float(edge[3])))
    boxes: list[IcicleBox] = []
    root_s = top.cumtime_s
    if root_s <= 0:
        return [IcicleBox(top.label, 0, 0.0, 0.0)]

    def walk(
        key: StatsKey, depth: int, start_s: float, width_s: float, path: set[StatsKey]
    ) -> None:
        boxes.append(IcicleBox(function_label(key), depth, start_s, width_s))
        if depth + 1 >= max_depth:
            return
        own_cum_s = float(raw[key][3])
        scale = width_s / own_cum_s if own_cum_s > 0 else 0.0
        offset = start_s
        for child, edge_s in sorted(children.get(key, []), key=lambda c: -c[1]):
            if child in path or _PROFILER_NOISE in child[2]:
                continue
            child_w = min(edge_s * scale, start_s + width_s - offset)
            if child_w < min_share * root_s:
                continue
            walk(child, depth + 1, offset, child_w, path | {child})
            offset += child_w

    walk(top.key, 0, 0.0, root_s, {top.key})
    return boxes


def plot_icicle(boxes: Sequence[IcicleBox], ax: Axes, title: str = "") -> None:
    """Draw :func:`icicle_boxes` top-down; the root spans the whole width (in ms)."""
    if not boxes:
        raise ValueError("no boxes to draw")
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("YlOrRd")
    labels = sorted({b.label for b in boxes})
    total_ms = max(b.start_s + b.width_s for b in boxes) * 1000
    for box in boxes:
        color = cmap(0.2 + 0.6 * (labels.index(box.label) / max(len(labels) - 1, 1)))
        ax.barh(
            -box.depth,
            box.width_s * 1000,
            left=box.start_s * 1000,
            height=0.9,
            color=color,
            edgecolor="white",
            linewidth=0.5,
        )
        if box.width_s * 1000 > 0.06 * total_ms:
            ax.text(
                (box.start_s + box.width_s / 2) * 1000,
                -box.depth,
                box.label,
                ha="center",
                va="center",
                fontsize="small",
                clip_on=True,
            )
    depth = max(b.depth for b in boxes)
    ax.set_yticks([-d for d in range(depth + 1)], [f"depth {d}" for d in range(depth + 1)])
    ax.set_xlim(0, total_ms)
    ax.set_xlabel("cumulative time (ms)")
    ax.set_title(title or "Icicle chart: each box is a function, width = time inside it")


# --------------------------------------------------------------------------------------------
# Pareto and Amdahl
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParetoRow:
    """One function's own time, its share of the run, and the cumulative share so far."""

    label: str
    time_s: float
    share: float
    cumulative_share: float


def pareto_table(stats: pstats.Stats) -> list[ParetoRow]:
    """Functions by own time (tottime), largest first, with shares of the total profiled
    time; the last row's cumulative share is 1."""
    rows = function_table(stats, "tottime")
    total_s = sum(r.tottime_s for r in rows)
    if total_s <= 0:
        raise ValueError("the profile recorded no time")
    out, running = [], 0.0
    for r in rows:
        running += r.tottime_s
        out.append(ParetoRow(r.label, r.tottime_s, r.tottime_s / total_s, running / total_s))
    return out


def plot_pareto(rows: Sequence[ParetoRow], ax: Axes, top: int = 10) -> None:
    """Bars of each function's share (top `top`, the rest pooled) and the cumulative line,
    with the 80% mark."""
    if not rows:
        raise ValueError("no rows to draw")
    shown = list(rows[:top])
    labels = [r.label for r in shown]
    shares = [r.share * 100 for r in shown]
    if len(rows) > top:
        labels.append(f"{len(rows) - top} others")
        shares.append(sum(r.share for r in rows[top:]) * 100)
    cumulative = [sum(shares[: i + 1]) for i in range(len(shares))]
    x = list(range(len(labels)))
    ax.bar(x, shares, color="tab:blue", alpha=0.8, label="share of run time")
    ax.plot(x, cumulative, "o-", color="tab:red", label="cumulative share")
    ax.axhline(80, color="0.5", ls=":", lw=1, label="80%")
    ax.set_xticks(x, labels, rotation=35, ha="right", fontsize="small")
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of profiled time (tottime)")
    ax.legend(loc="center right", fontsize="small")


def amdahl_speedup(fraction: float, factor: float) -> float:
    """Overall speed-up when a part taking `fraction` (0..1) of the run becomes `factor`
    times faster: 1 / ((1 - fraction) + fraction / factor). `factor` may be math.inf."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be within [0, 1], got {fraction}")
    if not factor > 0:
        raise ValueError(f"factor must be positive, got {factor}")
    rest = 1 - fraction + (0.0 if math.isinf(factor) else fraction / factor)
    return math.inf if rest == 0 else 1 / rest


def amdahl_limit(fraction: float) -> float:
    """The most a speed-up of a part taking `fraction` of the run can buy: 1 / (1 - f)."""
    return amdahl_speedup(fraction, math.inf)


# --------------------------------------------------------------------------------------------
# line_profiler
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineStat:
    """One source line under line_profiler: hits and total time (seconds) on it."""

    lineno: int
    hits: int
    time_s: float
    source: str


@dataclass(frozen=True)
class LineProfileRun:
    """A call under line_profiler: the result, the printed report, and per-line stats."""

    result: Any
    text: str
    lines: dict[str, list[LineStat]] = field(repr=False)

    def hottest(self, function: str) -> LineStat:
        """The line of `function` with the most time."""
        if function not in self.lines:
            raise ValueError(f"{function!r} was not profiled; got {sorted(self.lines)}")
        return max(self.lines[function], key=lambda s: s.time_s)


def line_profile(
    fn: Callable[..., Any],
    *args: Any,
    functions: Iterable[Callable[..., Any]] = (),
    **kwargs: Any,
) -> LineProfileRun:
    """Run ``fn(*args, **kwargs)`` with line_profiler timing every line of `functions`
    (default: `fn` itself). The report is what ``%lprun`` shows, in milliseconds, but
    returned as text so a notebook can print it to stdout."""
    from line_profiler import LineProfiler

    _check_callable(fn)
    targets = list(functions) or [fn]
    profiler = LineProfiler()
    for target in targets:
        _check_callable(target)
        profiler.add_function(target)
    result = profiler.runcall(fn, *args, **kwargs)
    buffer = io.StringIO()
    profiler.print_stats(stream=buffer, output_unit=1e-3, stripzeros=True)
    stats = profiler.get_stats()
    lines: dict[str, list[LineStat]] = {}
    for (filename, _, name), timings in stats.timings.items():
        if timings:
            lines[name] = [
                LineStat(
                    lineno,
                    int(hits),
                    float(t) * stats.unit,
                    linecache.getline(filename, lineno).strip(),
                )
                for lineno, hits, t in timings
            ]
    return LineProfileRun(result, buffer.getvalue().strip("\n"), lines)


# --------------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemoryRun:
    """A call under tracemalloc (bytes): the highest traced total during the call (peak),
    what the call left allocated (retained: usually its result), and the largest
    allocation sites still alive at the end, as ("file:line", bytes, blocks)."""

    result: Any
    peak_bytes: int
    retained_bytes: int
    top_sites: list[tuple[str, int, int]]


def trace_memory(fn: Callable[..., Any], *args: Any, top: int = 5, **kwargs: Any) -> MemoryRun:
    """Run ``fn(*args, **kwargs)`` under :mod:`tracemalloc` (started and stopped here;
    RuntimeError if it is already tracing). Only Python allocations made during the call
    count; the arguments were allocated before it."""
    _check_callable(fn)
    if tracemalloc.is_tracing():
        raise RuntimeError("tracemalloc is already tracing; stop it first")
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        before = tracemalloc.take_snapshot()
        tracemalloc.reset_peak()
        result = fn(*args, **kwargs)
        current, peak = tracemalloc.get_traced_memory()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    own = [tracemalloc.Filter(False, tracemalloc.__file__)]
    after, before = after.filter_traces(own), before.filter_traces(own)
    sites = []
    for diff in after.compare_to(before, "lineno")[:top]:
        frame = diff.traceback[0]
        sites.append(
            (f"{Path(frame.filename).name}:{frame.lineno}", diff.size_diff, diff.count_diff)
        )
    return MemoryRun(result, peak - base, current - base, sites)


def rss_peak_mib(
    fn: Callable[..., Any], *args: Any, interval_s: float = 0.005, **kwargs: Any
) -> tuple[float, float]:
    """(peak resident memory during the call, resident memory just before it), in MiB,
    sampled every `interval_s` by memory_profiler (what ``%memit`` reports). RSS counts
    everything the process holds, including memory the allocator keeps after frees."""
    from memory_profiler import memory_usage

    _check_callable(fn)
    baseline = float(memory_usage(-1, interval=interval_s, timeout=interval_s)[0])
    peak = memory_usage((fn, args, kwargs), interval=interval_s, max_usage=True)
    return float(peak), baseline


def memory_line_profile(fn: Callable[..., Any], *args: Any, functions: Iterable[Any] = ()) -> str:
    """memory_profiler's line-by-line report (what ``%mprun`` shows) for `functions`
    (default `fn`) during ``fn(*args)``, as text. RSS-based: increments are in MiB."""
    from memory_profiler import LineProfiler, show_results

    _check_callable(fn)
    profiler = LineProfiler()
    for target in list(functions) or [fn]:
        profiler.add_function(target)
    profiler.enable_by_count()
    try:
        fn(*args)
    finally:
        profiler.disable_by_count()
    buffer = io.StringIO()
    show_results(profiler, stream=buffer)
    return buffer.getvalue().strip("\n")


# --------------------------------------------------------------------------------------------
# The cost of measuring
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overhead:
    """Median time of a run under a tool, and its ratio to the plain run's median."""

    tool: str
    median_s: float
    ratio: float


def sampling_profile(
    fn: Callable[..., Any], *args: Any, interval_s: float = 0.001, **kwargs: Any
) -> tuple[Any, str]:
    """Run ``fn(*args, **kwargs)`` under pyinstrument, a sampling profiler that looks at
    the stack every `interval_s`; returns (result, its call-tree report as plain text)."""
    from pyinstrument import Profiler

    _check_callable(fn)
    profiler = Profiler(interval=interval_s, async_mode="disabled")
    profiler.start()
    try:
        result = fn(*args, **kwargs)
    finally:
        profiler.stop()
    return result, profiler.output_text(unicode=False, color=False)


def _under(tool: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> Callable[[], Any]:
    if tool == "plain":
        return lambda: fn(*args)
    if tool == "cProfile":
        return lambda: cProfile.Profile().runcall(fn, *args)
    if tool == "line_profiler":
        from line_profiler import LineProfiler

        def run_lp() -> Any:
            lp = LineProfiler()
            lp.add_function(fn)
            return lp.runcall(fn, *args)

        return run_lp
    if tool == "pyinstrument":
        return lambda: sampling_profile(fn, *args)
    if tool == "tracemalloc":
        return lambda: trace_memory(fn, *args, top=0)
    raise ValueError(f"unknown tool {tool!r}")


OVERHEAD_TOOLS = ("cProfile", "line_profiler", "pyinstrument", "tracemalloc")


def profiler_overhead(
    fn: Callable[..., Any],
    *args: Any,
    tools: Sequence[str] = OVERHEAD_TOOLS,
    repeats: int = 5,
) -> list[Overhead]:
    """How much slower ``fn(*args)`` runs under each tool: runs interleaved round by round
    (plain, then each tool) after one warm-up of each; the ratio is the tool's median over
    the plain median. The first row is the plain run (ratio 1). line_profiler times the
    lines of `fn` only."""
    _check_callable(fn)
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    names = ["plain", *tools]
    runners = [_under(name, fn, args) for name in names]
    times: list[list[float]] = [[] for _ in names]
    for run in runners:
        run()
    for _ in range(repeats):
        for run, bucket in zip(runners, times, strict=True):
            start = time.perf_counter()
            run()
            bucket.append(time.perf_counter() - start)
    plain_s = statistics.median(times[0])
    return [
        Overhead(name, statistics.median(t), statistics.median(t) / plain_s)
        for name, t in zip(names, times, strict=True)
    ]


# --------------------------------------------------------------------------------------------
# Chrome trace event export
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceRun:
    """A call recorded as Chrome trace "complete" events (``ph: "X"``, microseconds)."""

    result: Any
    events: list[dict[str, Any]]
    dropped: int  # calls not recorded once max_events was reached

    def as_json(self) -> dict[str, Any]:
        """The trace file's content (the JSON object format of the trace event spec)."""
        return {"traceEvents": self.events, "displayTimeUnit": "ms"}


def trace_events(
    fn: Callable[..., Any],
    *args: Any,
    max_events: int = 50_000,
    builtins: bool = False,
    **kwargs: Any,
) -> TraceRun:
    """Record every Python call (and C call if `builtins`) during ``fn(*args, **kwargs)``
    with :func:`sys.setprofile`, as Chrome trace "X" events: name, start ``ts`` and
    duration ``dur`` in µs from the start of the call, and ``args.depth`` (0 for `fn`).
    A deterministic tracer: every call pays a Python-level hook, so durations are inflated
    (see :func:`profiler_overhead`); read the shape, not the absolute numbers."""
    _check_callable(fn)
    if max_events < 1:
        raise ValueError(f"max_events must be >= 1, got {max_events}")
    clock = time.perf_counter_ns
    events: list[dict[str, Any]] = []
    stack: list[tuple[str, str, int]] = []
    dropped = 0
    pid = os.getpid()
    start_ns = clock()

    def hook(frame: Any, event: str, arg: Any) -> None:
        nonlocal dropped
        if event == "call":
            code = frame.f_code
            stack.append((f"{Path(code.co_filename).stem}.{code.co_name}", "python", clock()))
        elif event == "c_call" and builtins:
            stack.append((getattr(arg, "__qualname__", str(arg)), "builtin", clock()))
        elif event == "return" or (event in ("c_return", "c_exception") and builtins):
            if not stack:
                return
            name, cat, t0 = stack.pop()
            if len(events) >= max_events:
                dropped += 1
                return
            events.append(
                {
                    "name": name,
                    "cat": cat,
                    "ph": "X",
                    "ts": (t0 - start_ns) / 1000,
                    "dur": (clock() - t0) / 1000,
                    "pid": pid,
                    "tid": 1,
                    "args": {"depth": len(stack)},
                }
            )

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.setprofile(previous)
    events.sort(key=lambda e: (e["ts"], -e["dur"]))
    return TraceRun(result, events, dropped)


def write_chrome_trace(run: TraceRun, path: str | os.PathLike[str]) -> Path:
    """Write the trace as JSON that chrome://tracing and https://ui.perfetto.dev open."""
    out = Path(path)
    out.write_text(json.dumps(run.as_json()))
    return out


def plot_timeline(run: TraceRun, ax: Axes, max_depth: int = 4, min_dur_us: float = 0.0) -> None:
    """Draw the trace as a timeline (flame chart over time): one row per call depth."""
    shown = [e for e in run.events if e["args"]["depth"] < max_depth and e["dur"] >= min_dur_us]
    if not shown:
        raise ValueError("no events to draw")
    import matplotlib.pyplot as plt

    names = sorted({e["name"] for e in shown})
    cmap = plt.get_cmap("tab10")
    drawn: set[str] = set()
    for e in shown:
        color = cmap(names.index(e["name"]) % 10)
        label = e["name"] if e["name"] not in drawn and len(drawn) < 10 else None
        drawn.add(e["name"])
        ax.barh(
            -e["args"]["depth"],
            e["dur"] / 1000,
            left=e["ts"] / 1000,
            height=0.85,
            color=color,
            label=label,
        )
    depth = max(e["args"]["depth"] for e in shown)
    ax.set_yticks([-d for d in range(depth + 1)], [f"depth {d}" for d in range(depth + 1)])
    ax.set_xlabel("time since the call started (ms)")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
