"""The interview question, worked with the lab's numbers: is the better model worth it?

"A model 5% more accurate costs much more to run": quantify the business value of the
gain, the added annual cost, and the mitigations (optimise the model, serve it only to
a high-value segment), with an ROI table. Each option is a set of decisions on the test
period with its CPU time per transaction; :func:`roi_table` scales the cost per
transaction to a year at ``daily_volume`` transactions a day and compares each option
with a baseline: savings (fraud loss, reviews and friction avoided), added compute,
and their ratio.

:func:`segment_decisions` builds the "high-value segment" option: the accurate model
decides transactions of at least ``min_amount_usd`` (and pays its CPU time only for
them), the fast model the rest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradeoffs.labs.fraud.costs import CostBreakdown

__all__ = ["RoiRow", "roi_table", "roi_text", "segment_decisions"]

DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class RoiRow:
    """One option, per year at the given volume (USD), against the baseline."""

    option: str
    decision_usd: float  # fraud loss + reviews + friction
    compute_usd: float
    savings_usd: float  # baseline's decision cost minus this option's
    added_compute_usd: float  # this option's compute minus the baseline's
    accuracy: float
    recall: float

    @property
    def total_usd(self) -> float:
        return self.decision_usd + self.compute_usd

    @property
    def net_usd(self) -> float:
        """Savings minus added compute: what the option is worth per year."""
        return self.savings_usd - self.added_compute_usd

    @property
    def roi(self) -> float:
        """Savings per dollar of added compute (inf when it adds none)."""
        if self.added_compute_usd <= 0:
            return math.inf if self.savings_usd > 0 else 0.0
        return self.savings_usd / self.added_compute_usd


def roi_table(
    options: Mapping[str, CostBreakdown], baseline: str, daily_volume: float
) -> list[RoiRow]:
    """Each option's annual figures at ``daily_volume`` transactions per day."""
    if baseline not in options:
        raise ValueError(f"baseline {baseline!r} is not among the options {list(options)}")
    if daily_volume <= 0:
        raise ValueError(f"daily_volume must be positive, got {daily_volume}")
    scale = daily_volume * DAYS_PER_YEAR

    def per_year(b: CostBreakdown) -> tuple[float, float]:
        decision = (b.fraud_loss_usd + b.review_usd + b.friction_usd) / b.n * scale
        return decision, b.infra_usd / b.n * scale

    base_decision, base_compute = per_year(options[baseline])
    rows = []
    for name, b in options.items():
        decision, compute = per_year(b)
        rows.append(
            RoiRow(
                option=name,
                decision_usd=decision,
                compute_usd=compute,
                savings_usd=base_decision - decision,
                added_compute_usd=compute - base_compute,
                accuracy=b.accuracy,
                recall=b.recall,
            )
        )
    return rows


def roi_text(rows: Sequence[RoiRow], daily_volume: float) -> str:
    """The ROI table as text (millions of USD for decisions, USD for compute)."""
    head = (
        f"{'option':<30}{'accuracy':>9}{'recall':>7}{'fraud+ops $M/y':>15}"
        f"{'compute $/y':>12}{'savings $M/y':>13}{'+compute $/y':>13}{'ROI':>11}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        roi = (
            "-"
            if r.savings_usd == 0 and r.added_compute_usd == 0
            else ("inf" if math.isinf(r.roi) else f"{r.roi:,.0f}x")
        )
        lines.append(
            f"{r.option:<30}{r.accuracy:>9.2%}{r.recall:>7.0%}{r.decision_usd / 1e6:>15.2f}"
            f"{r.compute_usd:>12,.0f}{r.savings_usd / 1e6:>13.2f}{r.added_compute_usd:>13,.0f}"
            f"{roi:>11}"
        )
    lines.append(
        f"per year at {daily_volume:,.0f} transactions a day; savings and added compute "
        "against the first row; ROI = savings / added compute"
    )
    return "\n".join(lines)


def segment_decisions(
    amounts: ArrayLike,
    min_amount_usd: float,
    accurate_flags: ArrayLike,
    fast_flags: ArrayLike,
    accurate_cpu_ms: float,
    fast_cpu_ms: float,
) -> tuple[NDArray[np.bool_], float, float]:
    """(flags, CPU ms per transaction, segment share): the accurate model for amounts of
    at least ``min_amount_usd``, the fast model for the others."""
    a = np.asarray(amounts, dtype=np.float64)
    in_segment = a >= min_amount_usd
    flags = np.where(in_segment, np.asarray(accurate_flags, bool), np.asarray(fast_flags, bool))
    share = float(in_segment.mean()) if a.size else 0.0
    cpu = share * accurate_cpu_ms + (1 - share) * fast_cpu_ms
    return flags, cpu, share
