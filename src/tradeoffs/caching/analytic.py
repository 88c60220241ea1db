"""Hit ratios estimated analytically: Che's approximation for LRU, and a TTL cache under
Poisson requests."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from tradeoffs._validate import non_negative as _non_negative
from tradeoffs._validate import positive as _positive

__all__ = ["che_characteristic_time", "che_hit_ratio", "ttl_hit_ratio", "ttl_stale_fraction"]


def che_characteristic_time(probabilities: ArrayLike, cache_size: float) -> float:
    """Che's characteristic time T_C of an LRU cache of ``cache_size`` entries: the root of
    sum_i (1 - exp(-p_i T)) = C, found by bisection (T in units of requests).

    Returns ``math.inf`` when the cache holds every key.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 1 or p.size == 0 or np.any(p < 0) or not math.isclose(p.sum(), 1.0, rel_tol=1e-6):
        raise ValueError(
            "probabilities must be a non-empty 1-D array of non-negatives summing to 1"
        )
    c = _non_negative(cache_size, "cache_size")
    positive = p[p > 0]
    if c >= positive.size:
        return math.inf
    if c == 0:
        return 0.0

    def occupancy(t: float) -> float:
        return float(np.sum(-np.expm1(-positive * t)))

    lo, hi = 0.0, 1.0
    while occupancy(hi) < c:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if occupancy(mid) < c:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return 0.5 * (lo + hi)


def che_hit_ratio(probabilities: ArrayLike, cache_size: float) -> float:
    """Hit ratio of an LRU cache of ``cache_size`` entries under independent requests with
    key popularities ``probabilities`` (Che's approximation): sum_i p_i (1 - exp(-p_i T_C))."""
    p = np.asarray(probabilities, dtype=np.float64)
    t = che_characteristic_time(p, cache_size)
    if math.isinf(t):
        return 1.0
    return float(np.sum(p * -np.expm1(-p * t)))


def ttl_hit_ratio(probabilities: ArrayLike, rate_per_s: float, ttl_s: float) -> float:
    """Hit ratio of an unbounded TTL cache (entries expire ``ttl_s`` after they are filled)
    under Poisson requests at ``rate_per_s`` with key popularities ``probabilities``.

    A key requested at rate λ is filled by a miss and then serves λ·T hits on average before
    it expires, so its hit ratio is λT / (1 + λT).
    """
    p = np.asarray(probabilities, dtype=np.float64)
    rate = _positive(rate_per_s, "rate_per_s")
    ttl = _non_negative(ttl_s, "ttl_s")
    lam_t = p * rate * ttl
    return float(np.sum(p * lam_t / (1.0 + lam_t)))


def ttl_stale_fraction(
    probabilities: ArrayLike, rate_per_s: float, ttl_s: float, write_interval_s: float
) -> float:
    """Steady-state share of requests answered stale by an unbounded TTL cache, with
    Poisson requests at ``rate_per_s`` (key popularities ``probabilities``) and each key
    changed at the origin at Poisson times, on average once per ``write_interval_s``.

    A miss fills the entry; the λT hits of its TTL window T follow, and the hit at time t
    after the fill is stale if the origin changed since, with probability 1 - e^(-μt) for a
    change rate μ. So a key's window holds λ(T - (1 - e^(-μT))/μ) stale hits among 1 + λT
    requests; the share is their ratio, weighted by each key's share of the requests.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    rate = _positive(rate_per_s, "rate_per_s")
    ttl = _non_negative(ttl_s, "ttl_s")
    mu = 1.0 / _positive(write_interval_s, "write_interval_s")
    lam = p * rate
    stale_hits = lam * (ttl - (1.0 - np.exp(-mu * ttl)) / mu)
    return float(np.sum(p * stale_hits / (1.0 + lam * ttl)))
