"""The cost of measuring: a sampling profiler (pyinstrument), and each tool's overhead as
a ratio to the plain run, measured in one run."""

from __future__ import annotations

import cProfile
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tradeoffs._validate import count, function
from tradeoffs.profiling.memory import trace_memory
from tradeoffs.profiling.timing import time_calls

__all__ = ["OVERHEAD_TOOLS", "Overhead", "profiler_overhead", "sampling_profile"]


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

    function(fn)
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
    function(fn)
    rounds = count(repeats, "repeats")
    names = ["plain", *tools]
    runners = [_under(name, fn, args) for name in names]
    times: list[list[float]] = [[] for _ in names]
    for run in runners:
        run()
    for _ in range(rounds):
        for run, bucket in zip(runners, times, strict=True):
            bucket.append(float(time_calls(lambda _i: run(), 1).wall_s[0]))  # noqa: B023
    plain_s = statistics.median(times[0])
    return [
        Overhead(name, statistics.median(t), statistics.median(t) / plain_s)
        for name, t in zip(names, times, strict=True)
    ]
