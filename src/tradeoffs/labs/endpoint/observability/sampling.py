"""What trace sampling does to tail-latency estimates.

**Head sampling** decides at the start of a request, with probability ``rate``, whether
to keep its trace: cheap, but at 1% a p99 estimated from the kept traces rests on a
handful of samples, and most slow requests' traces are gone when someone needs them.
**Tail-based sampling** decides when the trace is complete (in a collector that buffers
spans): keep every trace slower than a threshold (or with an error) plus ``base_rate`` of
the rest, each kept trace weighted by 1 / its keep probability, so that percentiles from
the kept traces stay unbiased and every slow trace is there to read.

Latency SLOs are computed from metrics (every request counted in a histogram), not from
sampled traces; traces answer "why was this request slow".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradeoffs.metrics import percentile

__all__ = ["SamplingStudy", "head_sample", "sampling_study", "tail_sample", "weighted_percentile"]


def head_sample(
    latencies_ms: ArrayLike, rate: float, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(kept latencies, their weights): each kept with probability ``rate``, weight 1/rate."""
    lat = np.asarray(latencies_ms, dtype=np.float64)
    if not 0 < rate <= 1:
        raise ValueError(f"rate must be in (0, 1], got {rate!r}")
    keep = rng.random(lat.size) < rate
    return lat[keep], np.full(int(keep.sum()), 1.0 / rate)


def tail_sample(
    latencies_ms: ArrayLike, threshold_ms: float, base_rate: float, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(kept, weights): every latency above ``threshold_ms`` (weight 1), and the others
    with probability ``base_rate`` (weight 1/base_rate)."""
    lat = np.asarray(latencies_ms, dtype=np.float64)
    if not 0 < base_rate <= 1:
        raise ValueError(f"base_rate must be in (0, 1], got {base_rate!r}")
    slow = lat > threshold_ms
    keep = slow | (rng.random(lat.size) < base_rate)
    weights = np.where(slow, 1.0, 1.0 / base_rate)[keep]
    return lat[keep], weights


def weighted_percentile(values: ArrayLike, weights: ArrayLike, q: float) -> float:
    """The smallest value whose cumulative weight reaches ``q`` percent of the total
    (nearest-rank with weights; equal weights give :func:`tradeoffs.metrics.percentile`)."""
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if v.size == 0:
        return float("nan")
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    k = int(np.searchsorted(cum, q / 100.0 * cum[-1] * (1 - 1e-12), side="left"))
    return float(v[order][min(k, v.size - 1)])


@dataclass(frozen=True)
class SamplingStudy:
    """Spread of p99 estimates over repeated sampling, and how many slow traces were kept."""

    true_p99_ms: float
    head_p99_ms: NDArray[np.float64]
    tail_p99_ms: NDArray[np.float64]
    head_kept: float
    tail_kept: float
    head_slow_kept: float
    tail_slow_kept: float
    slow: int


def sampling_study(
    latencies_ms: ArrayLike,
    *,
    head_rate: float = 0.01,
    tail_threshold_ms: float | None = None,
    tail_base_rate: float = 0.01,
    repeats: int = 200,
    seed: int = 0,
) -> SamplingStudy:
    """Estimate the p99 ``repeats`` times under head sampling at ``head_rate`` and under
    tail-based sampling (every trace above ``tail_threshold_ms``, default the true p95,
    plus ``tail_base_rate`` of the rest); also count the kept traces above the true p99."""
    lat = np.asarray(latencies_ms, dtype=np.float64)
    if lat.size < 100:
        raise ValueError("give at least 100 latencies")
    rng = np.random.default_rng(seed)
    true_p99 = percentile(lat, 99)
    threshold = percentile(lat, 95) if tail_threshold_ms is None else tail_threshold_ms
    slow = int(np.sum(lat > true_p99))
    head, tail = np.empty(repeats), np.empty(repeats)
    counts = np.zeros((repeats, 4))
    for i in range(repeats):
        hv, hw = head_sample(lat, head_rate, rng)
        tv, tw = tail_sample(lat, threshold, tail_base_rate, rng)
        head[i] = weighted_percentile(hv, hw, 99)
        tail[i] = weighted_percentile(tv, tw, 99)
        counts[i] = (hv.size, tv.size, np.sum(hv > true_p99), np.sum(tv > true_p99))
    mean = counts.mean(axis=0)
    return SamplingStudy(true_p99, head, tail, mean[0], mean[1], mean[2], mean[3], slow)
