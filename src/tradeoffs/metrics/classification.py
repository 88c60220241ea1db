"""Precision, recall, F1 and the confusion matrix of a binary classifier, at one threshold
or swept over many, and a seeded toy fraud data set."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradeoffs._validate import fraction, whole
from tradeoffs._validate import samples as as_samples

__all__ = [
    "ConfusionMatrix",
    "ThresholdScores",
    "confusion_matrix",
    "make_fraud_scores",
    "precision_recall_f1",
    "scores_at_threshold",
    "threshold_sweep",
]


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts of a binary classifier's outcomes (positive = the rare class, e.g. fraud).

    Ratios with an empty denominator (no predicted positives for precision, no actual
    positives for recall) are reported as 0.0, like scikit-learn's ``zero_division=0``.
    """

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.total if self.total else 0.0

    @property
    def precision(self) -> float:
        """Of the cases flagged positive, the fraction that were positive."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """Of the actual positives, the fraction that were flagged."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _as_labels(values: ArrayLike, name: str) -> NDArray[np.bool_]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if arr.dtype != np.bool_:
        try:
            numeric = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must hold 0/1 or True/False labels: {exc}") from exc
        if not np.all((numeric == 0) | (numeric == 1)):
            bad = numeric[(numeric != 0) & (numeric != 1)][:3].tolist()
            raise ValueError(f"{name} must hold only 0/1 or True/False, found {bad}")
        arr = numeric == 1
    return arr


def _check_same_length(a: NDArray[Any], b: NDArray[Any], name_a: str, name_b: str) -> None:
    if a.size != b.size:
        raise ValueError(f"{name_a} has {a.size} items but {name_b} has {b.size}")


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike) -> ConfusionMatrix:
    """Count true/false positives/negatives; labels are 0/1 or booleans (1 = positive)."""
    t = _as_labels(y_true, "y_true")
    p = _as_labels(y_pred, "y_pred")
    _check_same_length(t, p, "y_true", "y_pred")
    return ConfusionMatrix(
        tp=int(np.count_nonzero(t & p)),
        fp=int(np.count_nonzero(~t & p)),
        fn=int(np.count_nonzero(t & ~p)),
        tn=int(np.count_nonzero(~t & ~p)),
    )


def precision_recall_f1(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[float, float, float]:
    """(precision, recall, F1) of binary predictions, each in [0, 1]."""
    cm = confusion_matrix(y_true, y_pred)
    return cm.precision, cm.recall, cm.f1


@dataclass(frozen=True)
class ThresholdScores:
    """A classifier's quality when scores >= ``threshold`` are flagged positive."""

    threshold: float
    confusion: ConfusionMatrix
    precision: float
    recall: float
    f1: float
    accuracy: float


def scores_at_threshold(y_true: ArrayLike, scores: ArrayLike, threshold: float) -> ThresholdScores:
    """Flag every case whose score is >= ``threshold`` and report precision, recall, F1."""
    t = _as_labels(y_true, "y_true")
    s = as_samples(scores, "scores")
    _check_same_length(t, s, "y_true", "scores")
    th = float(threshold)
    if math.isnan(th):
        raise ValueError("threshold is NaN")
    cm = confusion_matrix(t, s >= th)
    return ThresholdScores(th, cm, cm.precision, cm.recall, cm.f1, cm.accuracy)


def threshold_sweep(
    y_true: ArrayLike, scores: ArrayLike, thresholds: Iterable[float]
) -> list[ThresholdScores]:
    """:func:`scores_at_threshold` at each threshold, in the order given."""
    return [scores_at_threshold(y_true, scores, th) for th in thresholds]


def make_fraud_scores(
    n: int = 100_000, fraud_rate: float = 0.008, seed: int = 0
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """A seeded toy fraud data set: (is_fraud, model score in [0, 1]).

    Exactly ``round(n * fraud_rate)`` cases are fraud. Scores come from two overlapping Beta
    distributions (legitimate around 0.2, fraud around 0.7), like a decent but imperfect
    model.
    """
    n = whole(n, "n")
    fraud_rate = fraction(fraud_rate, "fraud_rate")
    rng = np.random.default_rng(seed)
    n_fraud = int(round(int(n) * float(fraud_rate)))
    is_fraud = np.zeros(int(n), dtype=np.bool_)
    is_fraud[rng.choice(int(n), size=n_fraud, replace=False)] = True
    scores = np.where(is_fraud, rng.beta(7.0, 3.0, size=int(n)), rng.beta(2.0, 8.0, size=int(n)))
    return is_fraud, scores
