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

__all__ = ["LatencySummary", "summarize"]


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
