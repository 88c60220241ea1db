"""Memory: tracemalloc (peak vs retained, top allocation sites) and memory_profiler (RSS,
line by line)."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradeoffs._validate import function

__all__ = ["MemoryRun", "memory_line_profile", "rss_peak_mib", "trace_memory"]


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
    function(fn)
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

    function(fn)
    baseline = float(memory_usage(-1, interval=interval_s, timeout=interval_s)[0])
    peak = memory_usage((fn, args, kwargs), interval=interval_s, max_usage=True)
    return float(peak), baseline


def memory_line_profile(fn: Callable[..., Any], *args: Any, functions: Iterable[Any] = ()) -> str:
    """memory_profiler's line-by-line report (what ``%mprun`` shows) for `functions`
    (default `fn`) during ``fn(*args)``, as text. RSS-based: increments are in MiB."""
    from memory_profiler import LineProfiler, show_results

    function(fn)
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
