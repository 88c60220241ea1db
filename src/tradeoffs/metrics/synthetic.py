"""Synthetic latency logs: a seeded log-normal body with a slow path, one host or a fleet."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tradeoffs._validate import fraction, positive, whole

__all__ = ["fleet_latencies_ms", "mixture_latencies_ms"]


def mixture_latencies_ms(
    n: int,
    tail_fraction: float = 0.02,
    seed: int = 0,
    body_median_ms: float = 45.0,
    tail_median_ms: float = 1200.0,
    body_sigma: float = 0.35,
    tail_sigma: float = 0.5,
) -> NDArray[np.float64]:
    """A seeded latency log in ms: a log-normal body plus a slow path taken by a fraction.

    Each request takes the fast path (log-normal, median ``body_median_ms``) or, with
    probability ``tail_fraction``, the slow path (log-normal, median ``tail_median_ms``), as
    a service does when a cache miss or a lock wait sends some requests somewhere slow.
    """
    n = whole(n, "n")
    tail_fraction = fraction(tail_fraction, "tail_fraction")
    positive(body_median_ms, "body_median_ms")
    positive(tail_median_ms, "tail_median_ms")
    rng = np.random.default_rng(seed)
    body = rng.lognormal(math.log(body_median_ms), body_sigma, size=int(n))
    tail = rng.lognormal(math.log(tail_median_ms), tail_sigma, size=int(n))
    slow = rng.random(int(n)) < float(tail_fraction)
    return np.where(slow, tail, body)


def fleet_latencies_ms(
    requests_per_host: Sequence[int] = (30_000, 30_000, 30_000, 10_000),
    tail_fraction_per_host: Sequence[float] = (0.002, 0.002, 0.002, 0.2),
    seed: int = 0,
) -> list[NDArray[np.float64]]:
    """Per-host latency logs (ms) for a fleet; by default one host of four is unhealthy."""
    if len(requests_per_host) != len(tail_fraction_per_host):
        raise ValueError(
            f"requests_per_host has {len(requests_per_host)} hosts but tail_fraction_per_host "
            f"has {len(tail_fraction_per_host)}"
        )
    if not requests_per_host:
        raise ValueError("a fleet needs at least one host")
    return [
        mixture_latencies_ms(n, tail_fraction=f, seed=seed * 1000 + i)
        for i, (n, f) in enumerate(zip(requests_per_host, tail_fraction_per_host, strict=True))
    ]
