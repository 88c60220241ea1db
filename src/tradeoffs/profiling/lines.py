"""line_profiler: line-by-line timings returned as text (nbclient drops ``%lprun``'s pager
output) and per-line hit counts."""

from __future__ import annotations

import io
import linecache
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tradeoffs._validate import function

__all__ = ["LineProfileRun", "LineStat", "line_profile"]


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

    function(fn)
    targets = list(functions) or [fn]
    profiler = LineProfiler()
    for target in targets:
        function(target)
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
