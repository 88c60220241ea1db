"""What a fraud model's decisions cost: the cost model, thresholds, Bayes-risk decisions.

Every scored transaction ends in one of four outcomes. With a :class:`CostModel`:

- a **missed fraud** (false negative) loses ``loss_share`` of its amount;
- every **flagged** transaction costs a review (``review_usd``), fraud or not;
- a flagged legitimate one (false positive) also costs customer friction
  (``friction_usd``);
- every transaction, flagged or not, costs the compute that scored it: ``cpu_ms`` of one
  vCPU at ``usd_per_vcpu_hour``, divided by the fleet's average ``utilisation``
  (servers kept idle for peaks are paid for too).

:func:`expected_cost` adds these up for the transactions flagged at a threshold;
:func:`best_threshold` finds the threshold that minimises it on labelled data (one
pass over the sorted scores); :func:`bayes_flags` decides each transaction from its
probability and amount, flagging when the expected loss of letting it through exceeds
the expected cost of stopping it: ``p * loss_share * amount > review + (1 - p) * friction``.
Prices come from :mod:`tradeoffs.prices`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradeoffs import prices
from tradeoffs.checks import transferable
from tradeoffs.metrics import ConfusionMatrix

__all__ = [
    "CostBreakdown",
    "CostModel",
    "bayes_flags",
    "bayes_threshold",
    "best_threshold",
    "cost_breakdown",
    "expected_cost",
    "infra_usd",
]


@transferable
@dataclass(frozen=True)
class CostModel:
    """Prices of the outcomes of a fraud decision (USD) and of compute."""

    review_usd: float = prices.FRAUD_OPS.review_usd_per_alert
    friction_usd: float = prices.FRAUD_OPS.friction_usd_per_false_positive
    loss_share: float = prices.FRAUD_OPS.fraud_loss_share
    usd_per_vcpu_hour: float = prices.VCPU_HOUR_USD["on-demand VM"]
    utilisation: float = prices.FRAUD_OPS.serving_utilisation

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int | float) or math.isnan(value) or value < 0:
                raise ValueError(f"CostModel.{name} must be a number >= 0, got {value!r}")
        if not 0 < self.utilisation <= 1:
            raise ValueError(f"utilisation must be in (0, 1], got {self.utilisation}")
        if self.loss_share > 1:
            raise ValueError(f"loss_share must be in [0, 1], got {self.loss_share}")


@dataclass(frozen=True)
class CostBreakdown:
    """Expected cost of a set of decisions, by component (USD), and counts."""

    fraud_loss_usd: float
    review_usd: float
    friction_usd: float
    infra_usd: float
    n: int
    flagged: int
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def total_usd(self) -> float:
        return self.fraud_loss_usd + self.review_usd + self.friction_usd + self.infra_usd

    @property
    def per_1000_usd(self) -> float:
        """Total cost per 1,000 transactions."""
        return self.total_usd / self.n * 1000 if self.n else 0.0

    @property
    def confusion(self) -> ConfusionMatrix:
        """The decisions' confusion matrix (positive = fraud)."""
        tn = self.n - self.true_positives - self.false_positives - self.false_negatives
        return ConfusionMatrix(self.true_positives, self.false_positives, self.false_negatives, tn)

    @property
    def precision(self) -> float:
        return self.confusion.precision

    @property
    def recall(self) -> float:
        return self.confusion.recall

    @property
    def accuracy(self) -> float:
        return self.confusion.accuracy

    def as_dict(self) -> dict[str, float]:
        """The five money figures as plain floats (the exercise's format)."""
        return {
            "fraud_loss_usd": self.fraud_loss_usd,
            "review_usd": self.review_usd,
            "friction_usd": self.friction_usd,
            "infra_usd": self.infra_usd,
            "total_usd": self.total_usd,
        }


def _arrays(
    y: ArrayLike, amounts: ArrayLike, other: ArrayLike, other_name: str
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64]]:
    y_arr = np.asarray(y)
    a_arr = np.asarray(amounts, dtype=np.float64)
    o_arr = np.asarray(other, dtype=np.float64)
    if not (y_arr.ndim == a_arr.ndim == o_arr.ndim == 1):
        raise ValueError("labels, amounts and scores must be one-dimensional")
    if not (y_arr.size == a_arr.size == o_arr.size):
        raise ValueError(
            f"{other_name} ({o_arr.size}), labels ({y_arr.size}) and amounts ({a_arr.size}) "
            "must have one entry per transaction"
        )
    if not np.isin(y_arr, (0, 1)).all():
        raise ValueError("labels must be 0/1 or booleans")
    if not np.isfinite(a_arr).all() or (a_arr < 0).any():
        raise ValueError("amounts must be finite and >= 0")
    return y_arr.astype(bool), a_arr, o_arr


def infra_usd(n: int, cpu_ms_per_tx: float, costs: CostModel) -> float:
    """Compute cost of scoring ``n`` transactions at ``cpu_ms_per_tx`` each (USD)."""
    if n < 0 or not cpu_ms_per_tx >= 0:
        raise ValueError(f"need n >= 0 and cpu_ms_per_tx >= 0, got {n}, {cpu_ms_per_tx}")
    return n * cpu_ms_per_tx / 3.6e6 * costs.usd_per_vcpu_hour / costs.utilisation


def cost_breakdown(
    flags: ArrayLike,
    y: ArrayLike,
    amounts: ArrayLike,
    cpu_ms_per_tx: float,
    costs: CostModel,
) -> CostBreakdown:
    """The expected cost of flagging the transactions where ``flags`` is true."""
    y_arr, a_arr, f_arr = _arrays(y, amounts, flags, "flags")
    flagged = f_arr.astype(bool)
    tp = int(np.count_nonzero(flagged & y_arr))
    fp = int(np.count_nonzero(flagged & ~y_arr))
    fn_mask = ~flagged & y_arr
    return CostBreakdown(
        fraud_loss_usd=float(costs.loss_share * a_arr[fn_mask].sum()),
        review_usd=float(costs.review_usd * (tp + fp)),
        friction_usd=float(costs.friction_usd * fp),
        infra_usd=infra_usd(int(y_arr.size), cpu_ms_per_tx, costs),
        n=int(y_arr.size),
        flagged=tp + fp,
        true_positives=tp,
        false_positives=fp,
        false_negatives=int(np.count_nonzero(fn_mask)),
    )


def expected_cost(
    scores: ArrayLike,
    y: ArrayLike,
    amounts: ArrayLike,
    threshold: float,
    cpu_ms_per_tx: float,
    costs: CostModel,
) -> CostBreakdown:
    """:func:`cost_breakdown` of flagging every transaction whose score is >= ``threshold``."""
    if math.isnan(threshold):
        raise ValueError("threshold is NaN")
    return cost_breakdown(
        np.asarray(scores, dtype=np.float64) >= threshold, y, amounts, cpu_ms_per_tx, costs
    )


def best_threshold(
    scores: ArrayLike, y: ArrayLike, amounts: ArrayLike, costs: CostModel
) -> tuple[float, float]:
    """(threshold, decision cost in USD) minimising the cost of flagging scores >= threshold.

    Candidates are every distinct score and ``math.inf`` (flag nothing). The decision cost
    leaves out compute, which does not depend on the threshold. Of equal costs, the
    highest threshold (fewest flags) wins.
    """
    y_arr, a_arr, s_arr = _arrays(y, amounts, scores, "scores")
    if s_arr.size == 0:
        return math.inf, 0.0
    if np.isnan(s_arr).any():
        raise ValueError("scores contain NaN")
    order = np.argsort(-s_arr, kind="stable")
    s_sorted = s_arr[order]
    fraud_amount = np.where(y_arr[order], a_arr[order], 0.0)
    legit = (~y_arr[order]).astype(np.int64)
    # Flagging the k highest scores: cost(k) for k = 0..n, at the end of each run of ties.
    caught = np.concatenate(([0.0], np.cumsum(fraud_amount)))
    fps = np.concatenate(([0], np.cumsum(legit)))
    k = np.arange(s_arr.size + 1)
    cost = (
        costs.loss_share * (caught[-1] - caught) + costs.review_usd * k + costs.friction_usd * fps
    )
    ends = np.concatenate(([0], np.flatnonzero(np.diff(s_sorted) != 0) + 1, [s_arr.size]))
    best = int(ends[np.argmin(cost[ends])])  # first minimum: the fewest flags
    threshold = math.inf if best == 0 else float(s_sorted[best - 1])
    return threshold, float(cost[best])


def bayes_threshold(amount_usd: ArrayLike, costs: CostModel) -> NDArray[np.float64]:
    """The probability above which flagging a transaction of ``amount_usd`` costs less than
    letting it through: ``(review + friction) / (loss_share * amount + friction)``."""
    a = np.asarray(amount_usd, dtype=np.float64)
    denom = costs.loss_share * a + costs.friction_usd
    num = costs.review_usd + costs.friction_usd
    with np.errstate(divide="ignore"):
        return np.where(denom > 0, num / np.where(denom > 0, denom, 1.0), np.inf)


def bayes_flags(proba: ArrayLike, amounts: ArrayLike, costs: CostModel) -> NDArray[np.bool_]:
    """Flag where ``p * loss_share * amount > review + (1 - p) * friction`` (strictly)."""
    p = np.asarray(proba, dtype=np.float64)
    a = np.asarray(amounts, dtype=np.float64)
    if p.shape != a.shape:
        raise ValueError(f"proba {p.shape} and amounts {a.shape} must match")
    return p * costs.loss_share * a > costs.review_usd + (1 - p) * costs.friction_usd
