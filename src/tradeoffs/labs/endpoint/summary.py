"""Latency percentiles with a confidence interval: what a load test's table reports.

A p99 from a few hundred samples is little more than the second-largest sample; the
bootstrap interval (:func:`tradeoffs.metrics.bootstrap_ci`, nearest-rank) says how far
to trust it. :func:`summarize` is used for client-side response times (what the load
generator saw) and server-side service times (what the app's middleware measured) alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tradeoffs.metrics import bootstrap_ci, percentiles

__all__ = ["LatencySummary", "percentile_over_time", "summarize"]


@dataclass(frozen=True)
class LatencySummary:
    """Nearest-rank p50/p95/p99 of ``n`` samples (ms) and the p99's confidence interval."""

    n: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    p99_low_ms: float
    p99_high_ms: float

    def p99_text(self) -> str:
        """The p99 with its interval, e.g. ``'41.2 [38.0, 47.9]'``."""
        if self.n == 0:
            return "n/a"
        return f"{self.p99_ms:.1f} [{self.p99_low_ms:.1f}, {self.p99_high_ms:.1f}]"


def summarize(
    samples_ms: Sequence[float] | np.ndarray, *, confidence: float = 0.95, seed: int = 0
) -> LatencySummary:
    """Percentiles of ``samples_ms`` and a seeded bootstrap interval for the p99.

    No samples gives n = 0 and NaNs (a stage in which nothing succeeded).
    """
    arr = np.asarray(samples_ms, dtype=np.float64)
    if arr.size == 0:
        nan = math.nan
        return LatencySummary(0, nan, nan, nan, nan, nan)
    pct = percentiles(arr, (50, 95, 99))
    low, high = bootstrap_ci(arr, 99, confidence=confidence, seed=seed)
    return LatencySummary(int(arr.size), pct[50.0], pct[95.0], pct[99.0], low, high)


def percentile_over_time(
    finished_s: Sequence[float] | np.ndarray,
    samples_ms: Sequence[float] | np.ndarray,
    *,
    window_s: float = 1.0,
    q: float = 99.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nearest-rank ``q``-th percentile of the samples that completed in each window of
    ``window_s`` seconds: (window starts in s, percentiles in ms, samples per window).
    Windows with no sample are left out."""
    t = np.asarray(finished_s, dtype=np.float64)
    x = np.asarray(samples_ms, dtype=np.float64)
    if t.shape != x.shape:
        raise ValueError(f"{t.size} completion times for {x.size} samples")
    if window_s <= 0:
        raise ValueError(f"window_s must be > 0, got {window_s}")
    if t.size == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
    bins = np.floor((t - t.min()) / window_s).astype(np.int64)
    starts, values, counts = [], [], []
    for b in np.unique(bins):
        chosen = x[bins == b]
        starts.append(b * window_s)
        values.append(percentiles(chosen, (q,))[float(q)])
        counts.append(chosen.size)
    return np.asarray(starts), np.asarray(values), np.asarray(counts, dtype=np.int64)
