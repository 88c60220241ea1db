"""The trade-off behind the lesson's panel: prices, volume, threshold and band in;
expected daily cost and latency percentiles of each tier out.

:class:`TradeoffData` holds what was measured once: both models' test-period scores,
the labels and amounts, and one-row latency samples and CPU times of each model.
:func:`fraud_tradeoff` recomputes the decisions and costs for any setting of the
sliders; the cascade's latency comes from :func:`.cascade.combined_latency_ms`
(measured samples recombined, not a new measurement).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from tradeoffs.labs.fraud.cascade import cascade_flags, check_band, combined_latency_ms
from tradeoffs.labs.fraud.costs import CostBreakdown, CostModel, cost_breakdown
from tradeoffs.metrics import percentiles

__all__ = ["TierPoint", "TradeoffData", "fraud_tradeoff"]


@dataclass(frozen=True)
class TradeoffData:
    """Scores, labels, amounts and latency measurements of a fast and a slow model."""

    fast_scores: NDArray[np.float64] = field(repr=False)
    slow_scores: NDArray[np.float64] = field(repr=False)
    y: NDArray[np.bool_] = field(repr=False)
    amount_usd: NDArray[np.float64] = field(repr=False)
    fast_ms: NDArray[np.float64] = field(repr=False)
    slow_ms: NDArray[np.float64] = field(repr=False)
    fast_cpu_ms: float = 0.0
    slow_cpu_ms: float = 0.0
    fast_name: str = "fast"
    slow_name: str = "slow"


@dataclass(frozen=True)
class TierPoint:
    """One tier at one setting: its cost per day and its latency percentiles (ms)."""

    tier: str
    cost: CostBreakdown
    daily_cost_usd: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    escalation: float


def fraud_tradeoff(
    data: TradeoffData,
    review_usd: float = 4.0,
    loss_share: float = 1.0,
    daily_volume: float = 1_000_000,
    threshold: float = 0.1,
    band: tuple[float, float] = (0.05, 0.2),
    costs: CostModel | None = None,
) -> dict[str, TierPoint]:
    """Fast only, slow only and the cascade at these prices and settings.

    ``threshold`` is the flagging threshold of both models (and of the slow model on the
    escalated transactions); the cascade flags non-escalated ones at ``band[1]``.
    """
    if daily_volume <= 0:
        raise ValueError(f"daily_volume must be positive, got {daily_volume}")
    base = costs or CostModel()
    cm = replace(base, review_usd=review_usd, loss_share=loss_share)
    band = check_band(band)
    flags_c, esc = cascade_flags(data.fast_scores, data.slow_scores, band, threshold)
    escalation = float(esc.mean())
    tiers = {
        data.fast_name: (data.fast_scores >= threshold, data.fast_cpu_ms, data.fast_ms, 0.0),
        data.slow_name: (data.slow_scores >= threshold, data.slow_cpu_ms, data.slow_ms, 0.0),
        "cascade": (
            flags_c,
            data.fast_cpu_ms + escalation * data.slow_cpu_ms,
            combined_latency_ms(data.fast_ms, data.slow_ms, esc),
            escalation,
        ),
    }
    out = {}
    for name, (flags, cpu_ms, lat, e) in tiers.items():
        b = cost_breakdown(flags, data.y, data.amount_usd, cpu_ms, cm)
        pct = percentiles(lat, (50, 99))
        out[name] = TierPoint(
            tier=name,
            cost=b,
            daily_cost_usd=b.total_usd / b.n * daily_volume,
            p50_ms=pct[50.0],
            p99_ms=pct[99.0],
            mean_ms=float(np.mean(lat)),
            escalation=e,
        )
    return out
