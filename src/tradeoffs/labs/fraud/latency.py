"""Latency measured the way a scoring service calls a model: one row, warm, one thread.

A service scores each transaction as it arrives: one feature row per call, on a model
already loaded and warmed up, and (in a process serving many requests at once) with one
thread per call, so BLAS or OpenMP pools do not fight each other. :func:`measure_calls`
times calls like that: after ``warmup`` untimed calls, each call's wall time
(``perf_counter_ns``) and its thread's CPU time (``thread_time_ns``), inside
``threadpool_limits(1)``. Wall time gives the latency percentiles; CPU time prices the
compute (a busy machine stretches wall time, not CPU time).

:func:`interleaved_latency` times several scorers on the same rows in one run, in a
rotating order per row, so that noise from other work on the machine falls on all of
them alike: ratios between them are what to trust, not absolute numbers.

Batch throughput (:func:`batch_throughput`) is what an offline job sees, and it is not
a per-request latency: scoring 10,000 rows at once spreads one call's overhead over
10,000 rows. :func:`overhead_split` fits ``time(batch) = per_call + batch * per_row``
over a few batch sizes, which says where one-row time goes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from tradeoffs.metrics import bootstrap_ci, percentiles

__all__ = [
    "LatencyStats",
    "OverheadSplit",
    "Scorer",
    "batch_throughput",
    "interleaved_latency",
    "lean_scorer",
    "measure_calls",
    "overhead_split",
    "profile_one_call",
    "sklearn_scorer",
]


@dataclass(frozen=True)
class Scorer:
    """One way to score: ``one(row)`` for a 1-D feature row, ``many(X)`` for a matrix."""

    name: str
    one: Callable[[NDArray[np.float64]], float]
    many: Callable[[NDArray[np.float64]], NDArray[np.float64]]


def sklearn_scorer(name: str, model: Any) -> Scorer:
    """Score with ``model.predict_proba``: a one-row call passes a 1 x n matrix."""

    def one(x: NDArray[np.float64]) -> float:
        return float(model.predict_proba(x.reshape(1, -1))[0, 1])

    def many(X: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.ascontiguousarray(model.predict_proba(X)[:, 1])

    return Scorer(name, one, many)


def lean_scorer(name: str, lean: Any) -> Scorer:
    """Score with a lean path's ``predict_one`` / ``predict`` (see :mod:`.models`)."""
    return Scorer(name, lean.predict_one, lean.predict)


@dataclass(frozen=True)
class LatencyStats:
    """Per-call wall times and CPU times (ms) of one scorer."""

    name: str
    wall_ms: NDArray[np.float64] = field(repr=False)
    cpu_ms: NDArray[np.float64] = field(repr=False)

    @property
    def n(self) -> int:
        return int(self.wall_ms.size)

    @property
    def p50_ms(self) -> float:
        return percentiles(self.wall_ms, (50,))[50.0]

    @property
    def p99_ms(self) -> float:
        return percentiles(self.wall_ms, (99,))[99.0]

    @property
    def mean_ms(self) -> float:
        return float(self.wall_ms.mean())

    @property
    def cpu_ms_per_call(self) -> float:
        """Mean CPU time of a call: what the compute bill is made of."""
        return float(self.cpu_ms.mean())

    def p99_interval_ms(self, confidence: float = 0.95) -> tuple[float, float]:
        """Bootstrap confidence interval of the p99 (nearest-rank), ms."""
        return bootstrap_ci(self.wall_ms, 99, confidence=confidence)

    def summary(self) -> dict[str, float]:
        lo, hi = self.p99_interval_ms()
        return {
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "p99_low_ms": lo,
            "p99_high_ms": hi,
            "mean_ms": self.mean_ms,
            "cpu_ms": self.cpu_ms_per_call,
        }


def _rows(X: NDArray[np.float64], n_calls: int) -> list[NDArray[np.float64]]:
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty 2-D matrix, got shape {X.shape}")
    if n_calls < 1:
        raise ValueError(f"n_calls must be >= 1, got {n_calls}")
    return [X[i % X.shape[0]] for i in range(n_calls)]


def interleaved_latency(
    calls: Mapping[str, Callable[[NDArray[np.float64]], Any]],
    X: NDArray[np.float64],
    n_calls: int = 2_000,
    warmup: int = 100,
    threads: int | None = 1,
    every: Mapping[str, int] | None = None,
) -> dict[str, LatencyStats]:
    """Time each of ``calls`` on ``n_calls`` rows of ``X`` (cycling), rotating which goes
    first, after ``warmup`` untimed rounds. ``every={"name": k}`` calls that one only on
    every k-th row (a slow call needs fewer samples for its median than a fast one for
    its p99). ``threads=None`` leaves the thread pools alone (to show what they do); 1
    pins them, as a service would."""
    if not calls:
        raise ValueError("calls is empty")
    names = list(calls)
    fns = [calls[n] for n in names]
    step = [max(1, int((every or {}).get(n, 1))) for n in names]
    rows = _rows(X, n_calls)
    wall: list[list[float]] = [[] for _ in names]
    cpu: list[list[float]] = [[] for _ in names]
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    limits = threadpool_limits(threads) if threads is not None else None
    try:
        for i in range(min(warmup, n_calls)):
            for fn in fns:
                fn(rows[i])
        k = len(fns)
        for i, x in enumerate(rows):
            for j in range(k):
                m = (i + j) % k
                if i % step[m]:
                    continue
                c0 = cpu_clock()
                t0 = clock()
                fns[m](x)
                t1 = clock()
                c1 = cpu_clock()
                wall[m].append((t1 - t0) / 1e6)
                cpu[m].append((c1 - c0) / 1e6)
    finally:
        if limits is not None:
            limits.unregister()
    return {
        name: LatencyStats(name, np.array(wall[j]), np.array(cpu[j]))
        for j, name in enumerate(names)
    }


def measure_calls(
    call: Callable[[NDArray[np.float64]], Any],
    X: NDArray[np.float64],
    n_calls: int = 2_000,
    warmup: int = 100,
    name: str = "",
    threads: int | None = 1,
) -> LatencyStats:
    """One scorer's per-call latency (see :func:`interleaved_latency`)."""
    return interleaved_latency({name: call}, X, n_calls, warmup, threads)[name]


def batch_throughput(
    scorer: Scorer, X: NDArray[np.float64], repeats: int = 3, threads: int | None = 1
) -> float:
    """Rows per second when scoring all of ``X`` in one call (best of ``repeats``)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    best = float("inf")
    limits = threadpool_limits(threads) if threads is not None else None
    try:
        scorer.many(X[:10])
        for _ in range(repeats):
            t0 = time.perf_counter()
            scorer.many(X)
            best = min(best, time.perf_counter() - t0)
    finally:
        if limits is not None:
            limits.unregister()
    return X.shape[0] / best


@dataclass(frozen=True)
class OverheadSplit:
    """``time(batch) ~ per_call_ms + batch * per_row_ms``, fitted on a few batch sizes."""

    per_call_ms: float
    per_row_ms: float
    sizes: tuple[int, ...]
    median_ms: tuple[float, ...]

    @property
    def overhead_share_one_row(self) -> float:
        """Share of a one-row call spent in per-call overhead."""
        total = self.per_call_ms + self.per_row_ms
        return self.per_call_ms / total if total > 0 else 0.0


def overhead_split(
    scorer: Scorer,
    X: NDArray[np.float64],
    sizes: Sequence[int] = (1, 10, 100, 1_000),
    repeats: int = 30,
) -> OverheadSplit:
    """Median time of ``scorer.many`` on batches of each size, and a least-squares line."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    if max(sizes) > X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows, fewer than the largest batch {max(sizes)}")
    medians = []
    with threadpool_limits(1):
        for size in sizes:
            batch = X[:size]
            scorer.many(batch)
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter_ns()
                scorer.many(batch)
                times.append((time.perf_counter_ns() - t0) / 1e6)
            medians.append(float(np.median(times)))
    slope, intercept = np.polyfit(np.asarray(sizes, dtype=float), medians, 1)
    return OverheadSplit(max(float(intercept), 0.0), float(slope), tuple(sizes), tuple(medians))


def profile_one_call(scorer: Scorer, x: NDArray[np.float64], calls: int = 50) -> list[Any]:
    """cProfile of ``calls`` one-row calls: the function table, largest own time first."""
    from tradeoffs.profiling import function_table, profile_call

    def many_calls() -> None:
        for _ in range(calls):
            scorer.one(x)

    scorer.one(x)
    with threadpool_limits(1):
        run = profile_call(many_calls)
    return function_table(run.stats, "tottime")
