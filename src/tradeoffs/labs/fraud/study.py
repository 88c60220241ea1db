"""The whole comparison on one data set: models, thresholds, costs, latencies, the matrix.

:func:`train_study` trains the candidate models on the training period and scores the
validation and test periods. Thresholds and the cascade's band are chosen on the
validation period and judged on the test period. :meth:`Study.row` turns one option
(a model or the cascade, with a decision rule and a latency measurement) into a row of
the cost-accuracy-latency matrix; :func:`matrix_table` prints the rows and
:func:`pareto_front` marks the options no other beats on both cost and p99.
:func:`over_seeds` repeats the comparison on fresh simulated worlds, for intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from tradeoffs.labs.fraud.cascade import cascade_flags, choose_band
from tradeoffs.labs.fraud.costs import (
    CostBreakdown,
    CostModel,
    bayes_flags,
    best_threshold,
    cost_breakdown,
)
from tradeoffs.labs.fraud.data import Dataset, SplitConfig, make_dataset
from tradeoffs.labs.fraud.evaluate import (
    average_precision,
    card_precision_at_k,
    precision_at_k,
)
from tradeoffs.labs.fraud.latency import LatencyStats, Scorer, lean_scorer, sklearn_scorer
from tradeoffs.labs.fraud.models import (
    FlatForest,
    LeanLogistic,
    ModelName,
    fraud_probability,
    train_model,
)
from tradeoffs.labs.fraud.simulate import SimConfig

__all__ = [
    "MatrixRow",
    "Study",
    "matrix_table",
    "over_seeds",
    "pareto_front",
    "train_study",
]

Rule = Literal["0.5", "best", "bayes"]


@dataclass(frozen=True)
class MatrixRow:
    """One option of the cost-accuracy-latency matrix (costs per 1,000 test transactions)."""

    option: str
    cost: CostBreakdown
    p50_ms: float
    p99_ms: float
    average_precision: float
    precision_at_k: float
    escalation: float = 0.0

    @property
    def cost_per_1000_usd(self) -> float:
        return self.cost.per_1000_usd

    @property
    def precision(self) -> float:
        return self.cost.precision

    @property
    def recall(self) -> float:
        return self.cost.recall

    @property
    def accuracy(self) -> float:
        return self.cost.accuracy


@dataclass
class Study:
    """Models trained on one data set, their scores and the cost model."""

    dataset: Dataset
    costs: CostModel
    models: dict[str, Any]
    val_scores: dict[str, NDArray[np.float64]]
    test_scores: dict[str, NDArray[np.float64]]
    alerts_per_day: int
    scorers: dict[str, Scorer] = field(default_factory=dict)

    def threshold(self, name: str) -> float:
        """The cost-minimising threshold of model ``name`` on the validation period."""
        val = self.dataset.val
        return best_threshold(self.val_scores[name], val.y, val.amount_usd, self.costs)[0]

    def flags(self, name: str, rule: Rule) -> NDArray[np.bool_]:
        """Model ``name``'s decisions on the test period under a decision rule: the default
        0.5 threshold, the best validation threshold, or Bayes (probability and amount)."""
        s = self.test_scores[name]
        if rule == "0.5":
            return s >= 0.5
        if rule == "best":
            return s >= self.threshold(name)
        if rule == "bayes":
            return bayes_flags(s, self.dataset.test.amount_usd, self.costs)
        raise ValueError(f"unknown rule {rule!r}: use '0.5', 'best' or 'bayes'")

    def band(
        self, fast: str, slow: str, max_escalation: float = 0.01
    ) -> tuple[tuple[float, float], float]:
        """The cheapest escalation band on the validation period and the slow threshold."""
        val = self.dataset.val
        slow_threshold = self.threshold(slow)
        band, _ = choose_band(
            self.val_scores[fast],
            self.val_scores[slow],
            val.y,
            val.amount_usd,
            slow_threshold,
            self.costs,
            max_escalation,
        )
        return band, slow_threshold

    def cascade_decisions(
        self, fast: str, slow: str, band: tuple[float, float], slow_threshold: float
    ) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """(flags, escalated) of the cascade on the test period."""
        return cascade_flags(self.test_scores[fast], self.test_scores[slow], band, slow_threshold)

    def breakdown(self, flags: NDArray[np.bool_], cpu_ms: float) -> CostBreakdown:
        test = self.dataset.test
        return cost_breakdown(flags, test.y, test.amount_usd, cpu_ms, self.costs)

    def row(
        self,
        option: str,
        flags: NDArray[np.bool_],
        latency: LatencyStats,
        scores: NDArray[np.float64],
        escalation: float = 0.0,
    ) -> MatrixRow:
        """A matrix row: cost with the measured CPU time, latency, ranking quality."""
        test = self.dataset.test
        return MatrixRow(
            option=option,
            cost=self.breakdown(flags, latency.cpu_ms_per_call),
            p50_ms=latency.p50_ms,
            p99_ms=latency.p99_ms,
            average_precision=average_precision(test.y, scores),
            precision_at_k=precision_at_k(test.y, scores, test.day, self.alerts_per_day),
            escalation=escalation,
        )

    def card_precision(self, name: str) -> float:
        test = self.dataset.test
        return card_precision_at_k(
            test.y, self.test_scores[name], test.day, test.customer_id, self.alerts_per_day
        )


def train_study(
    dataset: Dataset,
    costs: CostModel | None = None,
    names: Sequence[ModelName] = ("logistic", "boosting", "forest"),
    seed: int = 0,
    n_jobs: int = 1,
    alerts_per_day: int | None = None,
    progress: bool = True,
) -> Study:
    """Train each model on ``dataset.train`` and score the validation and test periods.

    Lean scorers are added for the models that have one ("logistic lean", "forest lean").
    ``alerts_per_day`` (the review team's daily capacity) defaults to 1% of a test day's
    transactions.
    """
    costs = costs or CostModel()
    models: dict[str, Any] = {}
    val: dict[str, NDArray[np.float64]] = {}
    test: dict[str, NDArray[np.float64]] = {}
    scorers: dict[str, Scorer] = {}
    for name in tqdm(names, desc="training", disable=not progress):
        model = train_model(name, dataset.train.X, dataset.train.y, seed=seed, n_jobs=n_jobs)
        models[name] = model
        val[name] = fraud_probability(model, dataset.val.X)
        test[name] = fraud_probability(model, dataset.test.X)
        scorers[name] = sklearn_scorer(name, model)
        if name == "logistic":
            scorers["logistic lean"] = lean_scorer(
                "logistic lean", LeanLogistic.from_pipeline(model)
            )
        if name == "forest":
            scorers["forest lean"] = lean_scorer("forest lean", FlatForest.from_forest(model))
    if alerts_per_day is None:
        alerts_per_day = max(1, round(len(dataset.test) / dataset.test.n_days * 0.01))
    return Study(dataset, costs, models, val, test, alerts_per_day, scorers)


def pareto_front(points: Iterable[tuple[float, float]]) -> list[bool]:
    """For each (cost, latency) point, True if no other point is at least as good on both
    and strictly better on one (lower is better for both)."""
    pts = list(points)
    out = []
    for i, (c, t) in enumerate(pts):
        dominated = any(
            (c2 <= c and t2 <= t) and (c2 < c or t2 < t) for j, (c2, t2) in enumerate(pts) if j != i
        )
        out.append(not dominated)
    return out


def matrix_table(rows: Sequence[MatrixRow]) -> str:
    """The matrix as text: cost per 1,000 (and its parts), latency, quality."""
    head = (
        f"{'option':<30}{'$/1000':>9}{'loss':>8}{'review':>8}{'frict':>7}{'infra':>9}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'prec':>6}{'recall':>7}{'acc':>7}{'AP':>6}{'P@k':>6}{'esc':>6}"
    )
    lines = [head, "-" * len(head)]
    front = pareto_front((r.cost_per_1000_usd, r.p99_ms) for r in rows)
    for r, on_front in zip(rows, front, strict=True):
        k = 1000 / r.cost.n
        lines.append(
            f"{r.option + (' *' if on_front else ''):<30}{r.cost_per_1000_usd:>9.1f}"
            f"{r.cost.fraud_loss_usd * k:>8.1f}{r.cost.review_usd * k:>8.1f}"
            f"{r.cost.friction_usd * k:>7.1f}{r.cost.infra_usd * k:>9.5f}"
            f"{r.p50_ms:>8.3f}{r.p99_ms:>8.3f}{r.precision:>6.0%}{r.recall:>7.0%}"
            f"{r.accuracy:>7.2%}{r.average_precision:>6.2f}{r.precision_at_k:>6.0%}"
            f"{r.escalation:>6.1%}"
        )
    lines.append(
        "$ per 1,000 test transactions (infra from measured CPU time); p50/p99 of one-row "
        "calls, one thread; * = on the cost/p99 Pareto front"
    )
    return "\n".join(lines)


def over_seeds(
    seeds: Sequence[int],
    evaluate: Callable[[Study], dict[str, float]],
    config: SimConfig | None = None,
    split: SplitConfig | None = None,
    costs: CostModel | None = None,
    names: Sequence[ModelName] = ("logistic", "forest"),
    n_jobs: int = 1,
    progress: bool = True,
) -> dict[str, list[float]]:
    """For each seed: a fresh world, models trained on it, and ``evaluate(study)``'s
    figures; returns each figure's list of values over the seeds."""
    out: dict[str, list[float]] = {}
    for seed in tqdm(list(seeds), desc="seeds", disable=not progress):
        dataset = make_dataset(config, seed=seed, split=split)
        study = train_study(dataset, costs, names, seed=seed, n_jobs=n_jobs, progress=False)
        for key, value in evaluate(study).items():
            out.setdefault(key, []).append(float(value))
    return out
