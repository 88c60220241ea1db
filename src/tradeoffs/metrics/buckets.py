"""Prometheus-style bucket histograms and PromQL's ``histogram_quantile`` interpolation."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import prometheus_client
from numpy.typing import ArrayLike, NDArray

from tradeoffs._validate import percentile_q
from tradeoffs._validate import samples as as_samples

__all__ = ["PROMETHEUS_DEFAULT_BUCKETS_S", "bucket_counts", "bucket_quantile"]


PROMETHEUS_DEFAULT_BUCKETS_S: tuple[float, ...] = tuple(
    float(b) for b in prometheus_client.Histogram.DEFAULT_BUCKETS if not math.isinf(b)
)
"""The finite default bucket upper bounds (seconds) of Python's ``prometheus_client``
(``Histogram.DEFAULT_BUCKETS``, read from the installed library): 5 ms to 10 s. The Go
client's defaults differ (no 75 ms, 750 ms or 7.5 s edges)."""


def bucket_counts(values: ArrayLike, upper_bounds: Sequence[float]) -> NDArray[np.int64]:
    """Cumulative counts per bucket, Prometheus ``le`` style: values <= each upper bound.

    Returns one count per upper bound; add ``math.inf`` as the last bound to count all.
    """
    arr = np.sort(as_samples(values, "values"))
    bounds = _check_bounds(upper_bounds)
    return np.searchsorted(arr, bounds, side="right").astype(np.int64)


def _check_bounds(upper_bounds: Sequence[float]) -> NDArray[np.float64]:
    bounds = np.asarray(upper_bounds, dtype=np.float64)
    if bounds.ndim != 1 or bounds.size == 0:
        raise ValueError("upper_bounds must be a non-empty one-dimensional sequence")
    if np.any(np.isnan(bounds)) or np.any(np.diff(bounds) <= 0):
        raise ValueError(f"upper_bounds must be strictly increasing, got {list(upper_bounds)}")
    return bounds


def bucket_quantile(
    upper_bounds: Sequence[float],
    counts: ArrayLike,
    q: float,
    cumulative: bool = True,
) -> float:
    """The q-th percentile estimated from bucket counts, as PromQL's ``histogram_quantile``.

    ``upper_bounds`` are the buckets' ``le`` values (any unit; the result is in the same
    unit). ``counts`` are cumulative (Prometheus ``_bucket`` series) unless
    ``cumulative=False``. If the last bound is not ``+Inf`` an ``+Inf`` bucket holding no
    extra observations is assumed. The estimate interpolates linearly inside the bucket where
    the rank falls (the lowest bucket starts at 0); a rank in the ``+Inf`` bucket returns the
    highest finite bound. ``q`` is in [0, 100] (PromQL's phi is q / 100).
    """
    qf = percentile_q(q)
    bounds = _check_bounds(upper_bounds)
    c = np.asarray(counts, dtype=np.float64)
    if c.shape != bounds.shape:
        raise ValueError(
            f"upper_bounds has {bounds.size} buckets but counts has shape {c.shape}: "
            "give one count per bucket"
        )
    if np.any(c < 0) or not np.all(np.isfinite(c)):
        raise ValueError("counts must be finite and non-negative")
    cum = c if cumulative else np.cumsum(c)
    if np.any(np.diff(cum) < 0):
        raise ValueError("cumulative counts must not decrease: did you mean cumulative=False?")
    if not math.isinf(bounds[-1]):
        bounds = np.append(bounds, math.inf)
        cum = np.append(cum, cum[-1])
    total = cum[-1]
    if total == 0:
        raise ValueError("the histogram has no observations")
    rank = qf / 100.0 * total
    # First bucket whose cumulative count reaches the rank (searching all but +Inf).
    b = int(np.searchsorted(cum[:-1], rank, side="left"))
    if b == bounds.size - 1:
        return float(bounds[-2])
    if b == 0 and bounds[0] <= 0:
        return float(bounds[0])
    start = 0.0 if b == 0 else float(bounds[b - 1])
    end = float(bounds[b])
    below = 0.0 if b == 0 else float(cum[b - 1])
    in_bucket = float(cum[b]) - below
    return start + (end - start) * ((rank - below) / in_bucket)
