"""Cost Explorer's questions, asked of CUR line items (dicts as :func:`.cur.read_cur` gives).

Group and sum ``lineItem/UnblendedCost`` by any column (service = ``lineItem/ProductCode``,
a tag = ``resourceTags/user:env``, ``lineItem/UsageType``), by day, per request, and
re-price the compute that a commitment (reserved instances, savings plans, committed-use
discounts) would cover.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tradeoffs import prices

__all__ = ["commitment_savings", "cost_by", "cost_per_million_requests", "daily_cost", "total_cost"]

COST = "lineItem/UnblendedCost"


def total_cost(rows: Iterable[dict[str, Any]]) -> float:
    return float(sum(float(r[COST]) for r in rows))


def cost_by(rows: Iterable[dict[str, Any]], column: str) -> dict[str, float]:
    """Cost per value of ``column``, largest first (an empty value is '(none)')."""
    out: dict[str, float] = {}
    for r in rows:
        key = str(r.get(column, "")) or "(none)"
        out[key] = out.get(key, 0.0) + float(r[COST])
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def daily_cost(
    rows: Iterable[dict[str, Any]], column: str | None = None
) -> dict[str, dict[str, float]]:
    """Cost per day (``YYYY-MM-DD`` of ``lineItem/UsageStartDate``), split by ``column``
    if given (else under 'total'); days in order."""
    out: dict[str, dict[str, float]] = {}
    for r in rows:
        day = str(r["lineItem/UsageStartDate"])[:10]
        key = "total" if column is None else (str(r.get(column, "")) or "(none)")
        out.setdefault(day, {})
        out[day][key] = out[day].get(key, 0.0) + float(r[COST])
    return dict(sorted(out.items()))


def cost_per_million_requests(
    rows: Sequence[dict[str, Any]], requests: float, env: str | None = "prod"
) -> float:
    """Cost of the line items (tagged ``env``, if given) per million ``requests``."""
    if requests <= 0:
        raise ValueError("requests must be positive")
    chosen = [r for r in rows if env is None or r.get("resourceTags/user:env") == env]
    return total_cost(chosen) / requests * 1e6


def commitment_savings(
    rows: Sequence[dict[str, Any]],
    plan: str = "1-year commitment",
    *,
    products: Sequence[str] = ("AmazonEC2", "AmazonRDS"),
    coverage: float = 1.0,
) -> dict[str, float]:
    """What committing to the steady part of the compute would save: the hourly usage of
    ``products`` that runs every day (the minimum daily cost), times ``coverage``, priced
    at the ``plan``'s discount (:data:`tradeoffs.prices.COMMITMENT_DISCOUNTS`).

    Returns on-demand cost of those products, the committed share, and the saving.
    """
    if plan not in prices.COMMITMENT_DISCOUNTS:
        raise ValueError(f"unknown plan {plan!r}; known: {sorted(prices.COMMITMENT_DISCOUNTS)}")
    if not 0 <= coverage <= 1:
        raise ValueError("coverage must be in [0, 1]")
    compute = [r for r in rows if r.get("lineItem/ProductCode") in products]
    by_day = daily_cost(compute)
    if not by_day:
        return {"on_demand_usd": 0.0, "committed_usd": 0.0, "saving_usd": 0.0}
    baseline = min(d["total"] for d in by_day.values()) * coverage
    committed = baseline * len(by_day)
    saving = committed * prices.COMMITMENT_DISCOUNTS[plan]
    return {"on_demand_usd": total_cost(compute), "committed_usd": committed, "saving_usd": saving}
