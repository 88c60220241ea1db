"""Timing: repeated runs after warm-up (timeit), and each call timed alone.

:func:`time_calls` is the one per-call timer the course's lessons and modules use:
wall time (``time.perf_counter_ns``) and CPU time (``time.process_time_ns``) of each
call, the CPU clock read outside the wall-clock window so it adds nothing to the wall
time. (The trusted checks' isolated child keeps a timer of its own, so that it imports
nothing a learner's process could have patched.)
"""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tradeoffs._validate import count, function, whole

__all__ = ["CallTimes", "TimingStats", "time_calls", "time_calls_ms", "time_repeats_s"]


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
    gc_enabled: bool = False,
    **kwargs: Any,
) -> TimingStats:
    """Time ``fn(*args, **kwargs)`` with :mod:`timeit`: `warmup` untimed calls, then
    `repeats` timings of `number` calls each, reported per call (seconds).

    timeit switches the cyclic garbage collector off while it times, so that collections
    do not add noise: right for comparing two versions of a small function, but it leaves
    out a cost that allocation-heavy code really pays. ``gc_enabled=True`` keeps the
    collector on (timeit's documented ``gc.enable()`` setup), as it is for your users."""
    function(fn)
    count(repeats, "repeats")
    count(number, "number")
    count(warmup, "warmup", minimum=0)
    timer = timeit.Timer(lambda: fn(*args, **kwargs), "gc.enable()" if gc_enabled else "pass")
    if warmup:
        timer.timeit(warmup)
    totals = timer.repeat(repeat=repeats, number=number)
    return TimingStats(tuple(t / number for t in totals), warmup)


@dataclass(frozen=True)
class CallTimes:
    """Wall and CPU time of each call, in seconds, in call order."""

    wall_s: NDArray[np.float64]
    cpu_s: NDArray[np.float64]

    @property
    def median_wall_s(self) -> float:
        return float(np.median(self.wall_s))

    @property
    def median_cpu_s(self) -> float:
        return float(np.median(self.cpu_s))


def time_calls(fn: Callable[[int], Any], n_calls: int, *, warmup: int = 0) -> CallTimes:
    """Call ``fn(i)`` for i in range(n_calls), one call at a time, after ``warmup`` untimed
    calls (``fn(0)``), and time each call: wall time and CPU time of this process (s)."""
    function(fn)
    n = whole(n_calls, "n_calls")
    wall = np.empty(n)
    cpu = np.empty(n)
    for _ in range(count(warmup, "warmup", minimum=0)):
        fn(0)
    wall_clock, cpu_clock = time.perf_counter_ns, time.process_time_ns
    for i in range(n):
        c0 = cpu_clock()
        t0 = wall_clock()
        fn(i)
        t1 = wall_clock()
        c1 = cpu_clock()
        wall[i] = (t1 - t0) / 1e9
        cpu[i] = (c1 - c0) / 1e9
    return CallTimes(wall, cpu)


def time_calls_ms(fn: Callable[[int], Any], n_calls: int) -> NDArray[np.float64]:
    """Call ``fn(i)`` for i in range(n_calls) and return each call's wall time in ms
    (:func:`time_calls`, timed with ``time.perf_counter_ns`` around each call)."""
    return time_calls(fn, n_calls).wall_s * 1000
