"""cProfile and pstats: one profiled call, a sorted function table, callers and callees."""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tradeoffs._validate import function, one_of

__all__ = [
    "FunctionStat",
    "ProfileRun",
    "callees_of",
    "callers_of",
    "find_function",
    "function_label",
    "function_table",
    "profile_call",
    "stats_text",
    "top_function",
]

SortKey = Literal["tottime", "cumtime", "calls"]
SORT_KEYS: tuple[SortKey, ...] = ("tottime", "cumtime", "calls")
StatsKey = tuple[str, int, str]


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
    function(fn)
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


def raw_stats(stats: pstats.Stats) -> dict[StatsKey, tuple[Any, ...]]:
    return stats.stats  # type: ignore[attr-defined]


def _row(key: StatsKey, value: tuple[Any, ...]) -> FunctionStat:
    cc, nc, tt, ct = value[:4]
    return FunctionStat(key, key[2], function_label(key), int(nc), int(cc), float(tt), float(ct))


PROFILER_NOISE = "of '_lsprof.Profiler' objects"


def function_table(
    stats: pstats.Stats, sort: SortKey = "tottime", limit: int | None = None
) -> list[FunctionStat]:
    """Every profiled function (the profiler's own ``disable`` left out), largest first by
    `sort`: "tottime" (time in the function itself), "cumtime" (including what it called)
    or "calls" (total calls). Ties keep a stable order by label."""
    one_of(sort, SORT_KEYS, "sort")
    rows = [_row(k, v) for k, v in raw_stats(stats).items() if PROFILER_NOISE not in k[2]]
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
    hits = [_row(k, v) for k, v in raw_stats(stats).items() if name in (k[2], function_label(k))]
    if len(hits) != 1:
        found = "no function" if not hits else f"{len(hits)} functions"
        raise ValueError(f"{found} named {name!r} in the profile")
    return hits[0]


def callers_of(stats: pstats.Stats, name: str) -> list[tuple[str, int, float]]:
    """Who called function `name`: (caller label, calls, cumulative seconds spent in
    `name` on behalf of that caller), largest time first."""
    target = find_function(stats, name)
    callers = raw_stats(stats)[target.key][4]
    rows = [(function_label(k), int(v[1]), float(v[3])) for k, v in callers.items()]
    return sorted(rows, key=lambda r: r[2], reverse=True)


def callees_of(stats: pstats.Stats, name: str) -> list[tuple[str, int, float]]:
    """What function `name` called: (callee label, calls, cumulative seconds of the callee
    on behalf of `name`), largest time first."""
    target = find_function(stats, name)
    rows = []
    for key, value in raw_stats(stats).items():
        edge = value[4].get(target.key)
        if edge is not None:
            rows.append((function_label(key), int(edge[1]), float(edge[3])))
    return sorted(rows, key=lambda r: r[2], reverse=True)


def stats_text(stats: pstats.Stats, sort: SortKey = "tottime", limit: int = 10) -> str:
    """pstats' own table (``print_stats``) as a string, paths shortened to file names."""
    one_of(sort, SORT_KEYS, "sort")
    buffer = io.StringIO()
    copy = pstats.Stats(stream=buffer)
    copy.add(stats)
    copy.strip_dirs().sort_stats({"cumtime": "cumulative"}.get(sort, sort)).print_stats(limit)
    return buffer.getvalue().strip("\n")
