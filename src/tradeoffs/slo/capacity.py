"""From a load test to a fleet: the knee, instances for a peak, cost per request, and what
running with less headroom does to the SLO.

A load test gives, per offered rate, a p99 (and the machine's utilisation). The **knee**
is the highest rate that meets the target while every lower rate does too: a rate beyond
the first failure is not trusted even if its p99 came out lower (noise, or a short run
that ended before the queue grew). A fleet for a peak needs ``ceil(peak / knee)``
machines, or more to keep utilisation under a ceiling (headroom for a lost zone, a
deploy, a burst).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from tradeoffs import prices
from tradeoffs._validate import positive

__all__ = [
    "breach_minutes",
    "cost_per_million_usd",
    "knee",
    "size_fleet",
    "usable_rate",
]


def knee(
    rates: Sequence[float],
    p99s_ms: Sequence[float],
    target_p99_ms: float,
    ok: Sequence[bool] | None = None,
) -> float | None:
    """The highest rate whose p99 is at or under ``target_p99_ms`` (and ``ok``, when
    given) with every lower rate meeting it too; None if the lowest rate already fails."""
    if len(rates) != len(p99s_ms) or (ok is not None and len(ok) != len(rates)):
        raise ValueError("rates, p99s_ms (and ok) must have the same length")
    best = None
    for i in sorted(range(len(rates)), key=lambda k: rates[k]):
        good = p99s_ms[i] <= target_p99_ms and (ok is None or ok[i])
        if not good:
            break
        best = float(rates[i])
    return best


def usable_rate(
    rows: Sequence[Mapping[str, Any]], target_p99_ms: float, max_utilisation: float
) -> float | None:
    """The knee of one machine type's load-test rows (dicts with ``rps``, ``p99_ms`` and
    ``utilisation``) with both limits: p99 at or under the target, utilisation at or under
    ``max_utilisation``."""
    return knee(
        [float(r["rps"]) for r in rows],
        [float(r["p99_ms"]) for r in rows],
        target_p99_ms,
        [float(r["utilisation"]) <= max_utilisation for r in rows],
    )


def size_fleet(
    table: Sequence[Mapping[str, Any]],
    peak_rps: float,
    target_p99_ms: float,
    max_utilisation: float,
    usd_per_hour: Mapping[str, float],
) -> dict[str, Any] | None:
    """The cheapest fleet for ``peak_rps``: ``{"instance", "count", "monthly_usd"}``.

    ``table`` rows are dicts with ``instance``, ``rps`` (offered to one machine), ``p99_ms``
    and ``utilisation``. Per machine type: the usable rate (:func:`usable_rate`), then
    ``count = ceil(peak_rps / usable)``, ``monthly_usd = count * price * 730``. Ties in
    cost go to fewer machines, then to the name first in alphabetical order; None when no
    type meets the target at its lowest measured rate.
    """
    positive(peak_rps, "peak_rps")
    by_type: dict[str, list[Mapping[str, Any]]] = {}
    for row in table:
        by_type.setdefault(str(row["instance"]), []).append(row)
    options = []
    for name, rows in by_type.items():
        rate = usable_rate(rows, target_p99_ms, max_utilisation)
        if rate is None or name not in usd_per_hour:
            continue
        count = math.ceil(round(peak_rps / rate, 9))
        cost = count * float(usd_per_hour[name]) * prices.HOURS_PER_MONTH
        options.append((round(cost, 6), count, name))
    if not options:
        return None
    cost, count, name = min(options)
    return {
        "instance": name,
        "count": count,
        "monthly_usd": count * float(usd_per_hour[name]) * prices.HOURS_PER_MONTH,
    }


def cost_per_million_usd(usd_per_hour: float, throughput_rps: float, utilisation: float) -> float:
    """Dollars per million requests for a machine that serves ``throughput_rps`` at its
    knee and runs at ``utilisation`` of it on average (idle capacity is paid for too)."""
    positive(usd_per_hour, "usd_per_hour")
    positive(throughput_rps, "throughput_rps")
    if not 0 < utilisation <= 1:
        raise ValueError(f"utilisation must be in (0, 1], got {utilisation!r}")
    return usd_per_hour / (throughput_rps * utilisation * 3600.0) * 1e6


def breach_minutes(traffic_rps: ArrayLike, instances: int, per_instance_rps: float) -> int:
    """Minutes (one traffic value per minute) in which the load per machine exceeds its knee:
    minutes in which the latency SLO is breached."""
    if instances < 1:
        raise ValueError("instances must be >= 1")
    load = np.asarray(traffic_rps, dtype=np.float64) / instances
    return int(np.sum(load > positive(per_instance_rps, "per_instance_rps")))
