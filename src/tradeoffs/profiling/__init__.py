"""Profiling helpers for unit 02: time, profile, attribute, and export one run.

Every helper runs the real tool (``timeit``, ``cProfile``/``pstats``, ``line_profiler``,
``memory_profiler``, ``tracemalloc``, ``pyinstrument``) on a function you pass in, and
returns small frozen dataclasses with units in their names, so a notebook can print,
plot and compare them. Times are in seconds (``_s``), memory in bytes or MiB. One idea a
module:

* :mod:`.timing`: repeated runs after warm-up, and each call timed alone (wall and CPU);
* :mod:`.cprofile`: one profiled call, a sorted function table, callers/callees;
* :mod:`.icicle`: an icicle chart laid out from the profile's call graph;
* :mod:`.pareto`: each function's share of the run, and Amdahl's law;
* :mod:`.lines`: line_profiler, returned as text and per-line stats;
* :mod:`.memory`: tracemalloc (peak vs retained, top sites) and memory_profiler (RSS);
* :mod:`.overhead`: a sampling profiler, and each tool's overhead as a ratio;
* :mod:`.external`: memray (every allocation, the peak and who held it) and py-spy
  (sampling from outside the process), where they are installed;
* :mod:`.trace`: a Chrome trace event file of one run.

Figures of these results (icicle, Pareto, timeline) live in :mod:`tradeoffs.widgets.profiling`:
this package never imports matplotlib.
"""

from tradeoffs.profiling.cprofile import (
    FunctionStat,
    ProfileRun,
    callees_of,
    callers_of,
    find_function,
    function_label,
    function_table,
    profile_call,
    stats_text,
    top_function,
)
from tradeoffs.profiling.external import (
    MemrayRun,
    MemraySite,
    SpyRun,
    ToolUnavailable,
    memray_peak,
    py_spy_record,
)
from tradeoffs.profiling.icicle import IcicleBox, icicle_boxes
from tradeoffs.profiling.lines import LineProfileRun, LineStat, line_profile
from tradeoffs.profiling.memory import MemoryRun, memory_line_profile, rss_peak_mib, trace_memory
from tradeoffs.profiling.overhead import (
    OVERHEAD_TOOLS,
    Overhead,
    profiler_overhead,
    sampling_profile,
)
from tradeoffs.profiling.pareto import ParetoRow, amdahl_limit, amdahl_speedup, pareto_table
from tradeoffs.profiling.timing import (
    CallTimes,
    TimingStats,
    time_calls,
    time_calls_ms,
    time_repeats_s,
)
from tradeoffs.profiling.trace import TraceRun, trace_events, write_chrome_trace

__all__ = [
    "OVERHEAD_TOOLS",
    "CallTimes",
    "FunctionStat",
    "IcicleBox",
    "LineProfileRun",
    "LineStat",
    "MemoryRun",
    "MemrayRun",
    "MemraySite",
    "Overhead",
    "ParetoRow",
    "ProfileRun",
    "SpyRun",
    "TimingStats",
    "ToolUnavailable",
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
    "memray_peak",
    "pareto_table",
    "profile_call",
    "profiler_overhead",
    "py_spy_record",
    "rss_peak_mib",
    "sampling_profile",
    "stats_text",
    "time_calls",
    "time_calls_ms",
    "time_repeats_s",
    "top_function",
    "trace_events",
    "trace_memory",
    "write_chrome_trace",
]
