"""The cascade: a fast model decides the clear cases, a slow one the uncertain band.

With the fast model's score ``f`` and an escalation band ``(low, high)``:

- ``f < low``: let the transaction through (the fast model is sure enough);
- ``f >= high``: flag it for review;
- ``low <= f < high``: **escalate**: score it with the slow model and flag it when the
  slow score is at least ``slow_threshold``.

An empty band (``low == high``) is the fast model alone at threshold ``high``. The
cascade's latency is the fast call for every transaction plus the slow call for the
escalated ones, so its **mean** drops in proportion to the escalation rate, but its
**p99** only drops when fewer than 1% of transactions are escalated: otherwise the
99th percentile is itself a slow-path latency.

:func:`cascade_flags` computes decisions from precomputed scores (for costs);
:class:`Cascade` decides one transaction at a time, as the service does (for latency);
:func:`choose_band` finds the cheapest band on labelled data under a cap on the
escalation rate, in one pass over the sorted fast scores.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradeoffs.labs.fraud.costs import CostModel
from tradeoffs.labs.fraud.latency import Scorer

__all__ = ["Cascade", "cascade_flags", "check_band", "choose_band", "combined_latency_ms"]


def check_band(band: object) -> tuple[float, float]:
    """``band`` as a (low, high) pair of floats with low <= high; a clear error otherwise."""
    try:
        pair: Any = band
        first, second = pair
        low, high = float(first), float(second)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the band must be a pair (low, high) of numbers, got {band!r}") from exc
    if math.isnan(low) or math.isnan(high) or low > high:
        raise ValueError(f"the band must have low <= high (no NaN), got ({low}, {high})")
    return low, high


def cascade_flags(
    fast_scores: ArrayLike,
    slow_scores: ArrayLike,
    band: tuple[float, float],
    slow_threshold: float,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(flags, escalated) for each transaction, from both models' scores."""
    low, high = check_band(band)
    f = np.asarray(fast_scores, dtype=np.float64)
    s = np.asarray(slow_scores, dtype=np.float64)
    if f.shape != s.shape:
        raise ValueError(f"fast {f.shape} and slow {s.shape} scores must match")
    escalated = (f >= low) & (f < high)
    flags = np.where(escalated, s >= slow_threshold, f >= high)
    return flags, escalated


@dataclass(frozen=True)
class Cascade:
    """Two scorers and the band between them (see the module docstring)."""

    fast: Scorer
    slow: Scorer
    band: tuple[float, float]
    slow_threshold: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "band", check_band(self.band))

    def decide(self, x: NDArray[np.float64]) -> tuple[bool, bool]:
        """(flag, escalated) for one feature row, calling the slow model only if needed."""
        low, high = self.band
        f = self.fast.one(x)
        if f < low:
            return False, False
        if f >= high:
            return True, False
        return self.slow.one(x) >= self.slow_threshold, True


def choose_band(
    fast_scores: ArrayLike,
    slow_scores: ArrayLike,
    y: ArrayLike,
    amounts: ArrayLike,
    slow_threshold: float,
    costs: CostModel,
    max_escalation: float = 0.01,
) -> tuple[tuple[float, float], float]:
    """The band (low, high) with the lowest decision cost on these labelled transactions
    among those that escalate at most ``max_escalation`` of them; returns (band, cost USD).

    Band edges are taken at fast scores, so "escalate positions i..j-1 of the sorted
    scores" is every candidate; the empty band (fast model alone) is one of them.
    """
    f = np.asarray(fast_scores, dtype=np.float64)
    s = np.asarray(slow_scores, dtype=np.float64)
    y_arr = np.asarray(y).astype(bool)
    a = np.asarray(amounts, dtype=np.float64)
    if not f.size == s.size == y_arr.size == a.size or f.size == 0:
        raise ValueError("scores, labels and amounts must be non-empty and of one length")
    if not 0 <= max_escalation <= 1:
        raise ValueError(f"max_escalation must be in [0, 1], got {max_escalation}")
    order = np.argsort(f, kind="stable")
    fs, ys, am, ss = f[order], y_arr[order], a[order], s[order]
    cost_flag = costs.review_usd + costs.friction_usd * (~ys)
    cost_pass = costs.loss_share * am * ys
    cost_slow = np.where(ss >= slow_threshold, cost_flag, cost_pass)
    n = f.size
    cp = np.concatenate(([0.0], np.cumsum(cost_pass)))
    cf = np.concatenate(([0.0], np.cumsum(cost_flag)))
    cs = np.concatenate(([0.0], np.cumsum(cost_slow)))
    # Positions where a new score starts (ties stay on one side of an edge), and the end.
    edges = np.concatenate(([0], np.flatnonzero(np.diff(fs) != 0) + 1, [n]))
    cap = int(math.floor(max_escalation * n + 1e-9))
    # total(i, j) = g[i] + h[j] for a band over positions i..j-1; for each j, the best i
    # is the minimum of g over the edges within `cap` positions: a sliding-window minimum.
    g = (cp - cs)[edges].tolist()
    h = (cs + cf[n] - cf)[edges].tolist()
    pos = edges.tolist()
    window: deque[int] = deque()  # edge indices, g increasing
    best_cost, best = math.inf, (0, 0)
    for k in range(len(pos)):
        while window and g[window[-1]] >= g[k]:
            window.pop()
        window.append(k)
        while pos[k] - pos[window[0]] > cap:
            window.popleft()
        i = window[0]
        total = g[i] + h[k]
        if total < best_cost - 1e-9:
            best_cost, best = total, (pos[i], pos[k])

    def edge(at: int) -> float:
        return math.inf if at >= n else float(fs[at])

    lo_pos, hi_pos = best
    band = (edge(lo_pos), edge(hi_pos)) if lo_pos < hi_pos else (edge(hi_pos), edge(hi_pos))
    return band, best_cost


def combined_latency_ms(
    fast_ms: ArrayLike, slow_ms: ArrayLike, escalated: ArrayLike, seed: int = 0
) -> NDArray[np.float64]:
    """A cascade's per-transaction latency built from measured samples: a fast call for
    each transaction plus a slow call for each escalated one (samples drawn at random
    from the two measured sets). A model of the measurement, not a measurement."""
    fast = np.asarray(fast_ms, dtype=np.float64)
    slow = np.asarray(slow_ms, dtype=np.float64)
    esc = np.asarray(escalated, dtype=bool)
    if fast.size == 0 or slow.size == 0:
        raise ValueError("need at least one fast and one slow sample")
    rng = np.random.default_rng(seed)
    out = fast[rng.integers(0, fast.size, esc.size)]
    out = out + np.where(esc, slow[rng.integers(0, slow.size, esc.size)], 0.0)
    return out
