"""A Chrome trace event file of one run, for chrome://tracing or https://ui.perfetto.dev
(drawn in a notebook by :func:`tradeoffs.widgets.profiling.plot_timeline`)."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradeoffs._validate import count, function

__all__ = ["TraceRun", "trace_events", "write_chrome_trace"]


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
    # Hand-written rather than viztracer: the lesson reads the events in process (names,
    # depths, the cost of a Python-level hook per call) and this is the whole recorder;
    # viztracer (a C tracer) writes its own files and would add a compiled dependency
    # for what forty lines of sys.setprofile show plainly.
    function(fn)
    count(max_events, "max_events")
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
