"""Percentiles, nearest-rank and interpolated, and their bootstrap confidence interval.

Percentiles are given as ``q`` in [0, 100], like numpy's ``np.percentile`` (PromQL's
``histogram_quantile`` takes q / 100). Nearest-rank is the course's definition wherever a
p99 is shown: it is always a value that was actually observed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradeoffs._validate import one_of, percentile_q, whole
from tradeoffs._validate import samples as as_samples

__all__ = ["METHODS", "PercentileMethod", "bootstrap_ci", "percentile", "percentiles"]

PercentileMethod = Literal["nearest-rank", "linear"]
METHODS: tuple[PercentileMethod, ...] = ("nearest-rank", "linear")


def _check_method(method: str) -> None:
    one_of(method, METHODS, "method")


def _nearest_rank(q: float, n: int) -> int:
    """1-based nearest rank ceil(q/100 * n), computed exactly (no float round-off at 99.9)."""
    rank = math.ceil(Fraction(repr(q)) * n / 100)
    return max(rank, 1)


def percentile(samples: ArrayLike, q: float, method: PercentileMethod = "nearest-rank") -> float:
    """The q-th percentile of ``samples`` (same unit as the samples).

    ``method="nearest-rank"`` returns the ceil(q/100 * n)-th smallest sample (1-based; q=0
    gives the minimum): always a value that was actually observed. It equals numpy's
    ``method="inverted_cdf"``. ``method="linear"`` is numpy's default, which interpolates
    between the two neighbouring samples and can return a value nobody observed.
    """
    arr = as_samples(samples)
    qf = percentile_q(q)
    if method == "nearest-rank":
        k = _nearest_rank(qf, arr.size) - 1
        return float(np.partition(arr, k)[k])
    if method == "linear":
        return float(np.percentile(arr, qf, method="linear"))
    _check_method(method)
    raise AssertionError(method)


def percentiles(
    samples: ArrayLike,
    qs: Iterable[float] = (50, 95, 99),
    method: PercentileMethod = "nearest-rank",
) -> dict[float, float]:
    """Several percentiles at once: ``{q: value}`` in the unit of the samples."""
    arr = as_samples(samples)
    qs = list(qs)
    if not qs:
        raise ValueError("qs is empty: ask for at least one percentile")
    _check_method(method)
    sorted_arr = np.sort(arr)
    out: dict[float, float] = {}
    for q in qs:
        qf = percentile_q(q)
        if method == "nearest-rank":
            out[float(q)] = float(sorted_arr[_nearest_rank(qf, arr.size) - 1])
        else:
            out[float(q)] = float(np.percentile(sorted_arr, qf, method="linear"))
    return out


def bootstrap_ci(
    samples: ArrayLike,
    q: float,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    method: PercentileMethod = "nearest-rank",
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval (low, high) for the q-th percentile.

    Resamples ``samples`` with replacement ``n_boot`` times, computes the percentile of each
    resample and returns the central ``confidence`` range of those values (same unit as the
    samples). Seeded, so the same call gives the same interval.
    """
    arr = as_samples(samples)
    qf = percentile_q(q)
    n_boot = whole(n_boot, "n_boot", minimum=10)
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    _check_method(method)
    rng = np.random.default_rng(seed)
    sorted_arr = np.sort(arr)
    n = arr.size
    if method == "nearest-rank":
        stats = _bootstrap_order_statistic(sorted_arr, _nearest_rank(qf, n), int(n_boot), rng)
    else:
        stats = _bootstrap_by_resampling(sorted_arr, qf, int(n_boot), rng)
    alpha = (1.0 - float(confidence)) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return float(low), float(high)


def _bootstrap_order_statistic(
    sorted_arr: NDArray[np.float64], rank: int, n_boot: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    # The rank-th smallest of n uniform indices is floor(n * U_(rank)) and the rank-th order
    # statistic of n uniforms is Beta(rank, n - rank + 1): one draw per resample instead of n.
    n = sorted_arr.size
    u = rng.beta(rank, n - rank + 1, size=n_boot)
    idx = np.minimum((u * n).astype(np.int64), n - 1)
    return sorted_arr[idx]


def _bootstrap_by_resampling(
    sorted_arr: NDArray[np.float64], q: float, n_boot: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    n = sorted_arr.size
    chunk = max(1, 2_000_000 // n)
    out = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        stop = min(start + chunk, n_boot)
        resamples = sorted_arr[rng.integers(0, n, size=(stop - start, n))]
        out[start:stop] = np.percentile(resamples, q, axis=1, method="linear")
    return out
