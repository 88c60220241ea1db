"""Service level indicators as ratios of good events to valid events.

An SLI is chosen from what users feel: "share of requests answered without a server error"
(availability), "share of requests answered within 300 ms" (latency). Both are counts, so
they add up across instances and across time, which a mean or a percentile does not.
Client errors (a 404 for an unknown user, a 422 for a malformed id) are usually not
*valid* events for an availability SLI: the service did its job.

Windows: a **rolling** window (the last 30 days, re-evaluated every minute) is what alerts
and dashboards use; a **calendar** window (this month) resets on the 1st, which is how
budget policies and reports are often stated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradeoffs._validate import count, positive

__all__ = [
    "availability_counts",
    "calendar_ratio",
    "latency_counts",
    "ratio",
    "rolling_ratio",
    "window_sums",
]


def ratio(good: float, valid: float) -> float:
    """``good / valid``; 1.0 when nothing valid happened (no event, no failure)."""
    if good < 0 or valid < 0 or good > valid:
        raise ValueError(f"need 0 <= good <= valid, got good={good}, valid={valid}")
    return 1.0 if valid == 0 else good / valid


def latency_counts(
    latencies_ms: ArrayLike, threshold_ms: float, statuses: Sequence[int] | None = None
) -> tuple[int, int]:
    """(good, valid) for a latency SLI: valid are requests that were not client errors
    (4xx) when ``statuses`` are given; good are valid ones at or under ``threshold_ms``
    with a non-5xx status."""
    lat = np.asarray(latencies_ms, dtype=np.float64)
    positive(threshold_ms, "threshold_ms")
    if statuses is None:
        return int(np.sum(lat <= threshold_ms)), int(lat.size)
    st = np.asarray(statuses)
    if st.shape != lat.shape:
        raise ValueError("latencies_ms and statuses must have the same length")
    valid = (st < 400) | (st >= 500)
    good = valid & (st < 500) & (lat <= threshold_ms)
    return int(good.sum()), int(valid.sum())


def availability_counts(statuses: dict[int, int] | dict[str, int]) -> tuple[int, int]:
    """(good, valid) for an availability SLI from counts by HTTP status: valid = not 4xx,
    good = valid and not 5xx."""
    good = valid = 0
    for status, n in statuses.items():
        code = int(status)
        if 400 <= code < 500:
            continue
        valid += n
        if code < 500:
            good += n
    return good, valid


def window_sums(per_minute: ArrayLike, window_min: int) -> NDArray[np.float64]:
    """For each minute t, the sum of ``per_minute`` over minutes ``t - window_min + 1 .. t``
    (the minutes that exist: early windows are shorter)."""
    x = np.asarray(per_minute, dtype=np.float64)
    w = count(window_min, "window_min")
    c = np.concatenate(([0.0], np.cumsum(x)))
    idx = np.arange(1, x.size + 1)
    return c[idx] - c[np.maximum(idx - w, 0)]


def rolling_ratio(
    good_per_min: ArrayLike, valid_per_min: ArrayLike, window_min: int
) -> NDArray[np.float64]:
    """The SLI over a rolling window ending at each minute (1.0 where nothing was valid)."""
    g, v = window_sums(good_per_min, window_min), window_sums(valid_per_min, window_min)
    out = np.ones_like(v)
    np.divide(g, v, out=out, where=v > 0)
    return out


def calendar_ratio(
    good_per_min: ArrayLike, valid_per_min: ArrayLike, period_min: int
) -> NDArray[np.float64]:
    """The SLI since the start of the current calendar period (periods of ``period_min``
    minutes from minute 0), at each minute: it resets at every period boundary."""
    g = np.asarray(good_per_min, dtype=np.float64)
    v = np.asarray(valid_per_min, dtype=np.float64)
    p = count(period_min, "period_min")
    out = np.ones_like(v)
    for start in range(0, v.size, p):
        cg, cv = np.cumsum(g[start : start + p]), np.cumsum(v[start : start + p])
        part = np.ones_like(cv)
        np.divide(cg, cv, out=part, where=cv > 0)
        out[start : start + p] = part
    return out
