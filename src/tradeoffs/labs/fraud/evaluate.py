"""Evaluation as the Fraud Detection Handbook does it, with intervals over seeds.

- :func:`average_precision`: the area under the precision-recall curve (scikit-learn's
  ``average_precision_score``), which, unlike accuracy or ROC AUC, is not flattered by
  the 99% of transactions that are legitimate;
- :func:`precision_at_k`: each day, the share of fraud among the ``k`` highest-scored
  transactions, where ``k`` is what the review team can check in a day; averaged over
  the days;
- :func:`card_precision_at_k`: the same per card: each day, a card's score is its
  highest transaction score, and a card counts as caught if it had any fraud that day
  (the handbook's CP@k, without its removal of cards already known compromised);
- :func:`mean_interval` / :func:`paired_interval`: a Student-t confidence interval of a
  mean over seeds, and of the mean difference of two options measured on the same seeds
  (paired: the seed-to-seed swing that both share cancels out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Interval",
    "average_precision",
    "card_precision_at_k",
    "mean_interval",
    "paired_interval",
    "precision_at_k",
]


def average_precision(y: ArrayLike, scores: ArrayLike) -> float:
    """Average precision (area under the precision-recall curve), in [0, 1]."""
    from sklearn.metrics import average_precision_score

    y_arr = np.asarray(y).astype(bool)
    if not y_arr.any():
        raise ValueError("average precision needs at least one fraud among the labels")
    return float(average_precision_score(y_arr, np.asarray(scores, dtype=np.float64)))


def _per_day(
    day: ArrayLike, *arrays: ArrayLike
) -> tuple[NDArray[np.int64], list[NDArray[np.float64]]]:
    d = np.asarray(day)
    arrs = [np.asarray(a) for a in arrays]
    if any(a.shape != d.shape for a in arrs):
        raise ValueError("every array must have one entry per transaction")
    return d, arrs


def precision_at_k(y: ArrayLike, scores: ArrayLike, day: ArrayLike, k: int) -> float:
    """Mean over days of the fraud share among each day's ``k`` highest scores."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    d, (y_arr, s) = _per_day(day, y, scores)
    out = []
    for value in np.unique(d):
        mask = d == value
        top = np.argsort(-s[mask], kind="stable")[:k]
        out.append(float(y_arr[mask][top].astype(bool).sum()) / k)
    return float(np.mean(out))


def card_precision_at_k(
    y: ArrayLike, scores: ArrayLike, day: ArrayLike, card: ArrayLike, k: int
) -> float:
    """Mean over days of the share of compromised cards among the ``k`` riskiest cards."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    d, (y_arr, s, c) = _per_day(day, y, scores, card)
    out = []
    for value in np.unique(d):
        mask = d == value
        cards, inverse = np.unique(c[mask], return_inverse=True)
        risk = np.full(cards.size, -np.inf)
        np.maximum.at(risk, inverse, s[mask].astype(np.float64))
        fraud = np.zeros(cards.size, dtype=bool)
        np.logical_or.at(fraud, inverse, y_arr[mask].astype(bool))
        top = np.argsort(-risk, kind="stable")[:k]
        out.append(float(fraud[top].sum()) / k)
    return float(np.mean(out))


@dataclass(frozen=True)
class Interval:
    """A mean and its two-sided confidence interval."""

    mean: float
    low: float
    high: float
    n: int
    confidence: float

    def excludes(self, value: float = 0.0) -> bool:
        """True if ``value`` lies outside the interval."""
        return value < self.low or value > self.high

    def __str__(self) -> str:
        half = (self.high - self.low) / 2
        return f"{self.mean:,.2f} ± {half:,.2f}"


def mean_interval(values: ArrayLike, confidence: float = 0.95) -> Interval:
    """Student-t interval of the mean: ``mean ± t(n-1) * s / sqrt(n)`` (``s`` with ddof=1)."""
    from scipy import stats

    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size < 2:
        raise ValueError(f"need at least two values (one per seed), got {v.size}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    mean = float(v.mean())
    half = float(stats.t.ppf((1 + confidence) / 2, v.size - 1)) * float(v.std(ddof=1))
    half /= math.sqrt(v.size)
    return Interval(mean, mean - half, mean + half, int(v.size), confidence)


def paired_interval(a: ArrayLike, b: ArrayLike, confidence: float = 0.95) -> Interval:
    """Interval of the mean of ``a - b`` over paired runs (the same seeds)."""
    a_arr, b_arr = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a_arr.shape != b_arr.shape:
        raise ValueError(
            f"paired values need one entry per seed each: {a_arr.shape}, {b_arr.shape}"
        )
    return mean_interval(a_arr - b_arr, confidence)
