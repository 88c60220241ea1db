"""Workloads: bounded Zipf popularity and seeded request traces over it.

:func:`zipf_probabilities` is the course's one Zipf law: the caches of unit 03, the
endpoint panel and the endpoint lab's load traces all draw their popularity from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tradeoffs._validate import count as _count
from tradeoffs._validate import non_negative as _non_negative
from tradeoffs._validate import positive as _positive

__all__ = ["Trace", "product_record", "request_trace", "zipf_probabilities"]

_WORDS = (
    "solid",
    "quick",
    "quiet",
    "heavy",
    "light",
    "bright",
    "warm",
    "sturdy",
    "compact",
    "loud",
    "smooth",
    "fragile",
    "pricey",
    "cheap",
    "elegant",
    "bulky",
    "reliable",
    "flimsy",
    "great",
    "poor",
    "fast",
    "slow",
    "easy",
    "hard",
    "clean",
    "noisy",
    "fine",
    "broke",
    "works",
    "returned",
    "again",
    "daily",
    "coffee",
    "milk",
    "steam",
    "grinder",
    "cup",
    "taste",
    "crema",
    "handle",
    "lid",
    "water",
    "tank",
    "filter",
    "button",
    "screen",
    "box",
    "manual",
    "delivery",
    "support",
    "replaced",
    "month",
    "week",
)


def zipf_probabilities(n_keys: int, skew: float) -> NDArray[np.float64]:
    """Popularity of each of ``n_keys`` keys under a bounded Zipf law: p(rank r) ∝ 1/r^skew.

    Key 0 is the most popular. ``skew = 0`` is uniform; web and CDN traces typically show
    0.6 to 1.0. Returns probabilities summing to 1.
    """
    n = _count(n_keys, "n_keys")
    s = _non_negative(skew, "skew")
    weights = np.arange(1, n + 1, dtype=np.float64) ** -s
    return weights / weights.sum()


@dataclass(frozen=True)
class Trace:
    """A request trace: arrival times (s, increasing) and the key (an int) each asks for."""

    times_s: NDArray[np.float64]
    keys: NDArray[np.int64]
    n_keys: int
    skew: float

    def __len__(self) -> int:
        return int(self.keys.size)

    @property
    def duration_s(self) -> float:
        return float(self.times_s[-1]) if self.times_s.size else 0.0

    @property
    def rate_per_s(self) -> float:
        return len(self) / self.duration_s if self.duration_s > 0 else 0.0


def request_trace(
    n_requests: int,
    n_keys: int,
    skew: float = 0.9,
    rate_per_s: float = 100.0,
    seed: int = 0,
) -> Trace:
    """A seeded trace of ``n_requests`` independent requests (Poisson arrivals at
    ``rate_per_s``) over ``n_keys`` keys with bounded-Zipf popularity ``skew`` (0: uniform)."""
    n = _count(n_requests, "n_requests")
    rate = _positive(rate_per_s, "rate_per_s")
    probs = zipf_probabilities(n_keys, skew)
    rng = np.random.default_rng(seed)
    keys = rng.choice(probs.size, size=n, p=probs).astype(np.int64)
    times = np.cumsum(rng.exponential(1.0 / rate, size=n))
    return Trace(times_s=times, keys=keys, n_keys=int(n_keys), skew=float(skew))


def product_record(product_id: int, *, n_reviews: int = 20, seed: int = 0) -> dict[str, object]:
    """A seeded, realistic product page to cache: a name, price, stock, tags and
    ``n_reviews`` reviews whose texts, dates and authors all differ (as real ones do), so
    that serialization sizes are not flattered by repeated strings."""
    rng = np.random.default_rng([int(product_id), int(seed)])
    words = np.array(_WORDS)

    def text(n: int) -> str:
        return " ".join(words[rng.integers(0, words.size, n)].tolist())

    return {
        "id": int(product_id),
        "name": text(3).title(),
        "price_usd": round(float(rng.uniform(5, 900)), 2),
        "stock": int(rng.integers(0, 500)),
        "tags": sorted(set(words[rng.integers(0, words.size, 8)].tolist())),
        "reviews": [
            {
                "user_id": int(rng.integers(1, 10**6)),
                "stars": int(rng.integers(1, 6)),
                "date": f"2025-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}",
                "text": text(int(rng.integers(8, 40))),
            }
            for _ in range(int(n_reviews))
        ],
    }
