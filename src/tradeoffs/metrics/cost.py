"""Cost per request and fleet size: what a machine's hourly price means per request.

Machine prices themselves are in the price book, :data:`tradeoffs.prices.INSTANCES`.
"""

from __future__ import annotations

import math

from tradeoffs._validate import non_negative, positive, share

__all__ = ["cost_per_million_usd", "cost_per_request_usd", "instances_needed"]


def cost_per_request_usd(
    cost_usd_per_hour: float, capacity_rps: float, utilisation: float
) -> float:
    """Dollars per request for a machine that can serve ``capacity_rps`` requests per second
    at full load but runs at ``utilisation`` (in (0, 1]) of that on average.

    cost per request = cost_usd_per_hour / (capacity_rps * utilisation * 3600).
    """
    cost = non_negative(cost_usd_per_hour, "cost_usd_per_hour")
    cap = positive(capacity_rps, "capacity_rps")
    u = share(utilisation, "utilisation")
    return cost / (cap * u * 3600.0)


def cost_per_million_usd(
    cost_usd_per_hour: float, capacity_rps: float, utilisation: float
) -> float:
    """Dollars per million requests: :func:`cost_per_request_usd` times 1,000,000."""
    return cost_per_request_usd(cost_usd_per_hour, capacity_rps, utilisation) * 1e6


def instances_needed(peak_rps: float, capacity_rps: float, target_utilisation: float) -> int:
    """Machines needed so that ``peak_rps`` keeps each at or below ``target_utilisation``."""
    peak = non_negative(peak_rps, "peak_rps")
    cap = positive(capacity_rps, "capacity_rps")
    u = share(target_utilisation, "target_utilisation")
    return max(1, math.ceil(round(peak / (cap * u), 9)))
