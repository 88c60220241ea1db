"""The Pareto view of a profile (each function's share, the cumulative share) and Amdahl's
law for what speeding up a share can buy."""

from __future__ import annotations

import math
import pstats
from dataclasses import dataclass

from tradeoffs._validate import fraction as check_fraction
from tradeoffs.profiling.cprofile import function_table

__all__ = ["ParetoRow", "amdahl_limit", "amdahl_speedup", "pareto_table"]


@dataclass(frozen=True)
class ParetoRow:
    """One function's own time, its share of the run, and the cumulative share so far."""

    label: str
    time_s: float
    share: float
    cumulative_share: float


def pareto_table(stats: pstats.Stats) -> list[ParetoRow]:
    """Functions by own time (tottime), largest first, with shares of the total profiled
    time; the last row's cumulative share is 1."""
    rows = function_table(stats, "tottime")
    total_s = sum(r.tottime_s for r in rows)
    if total_s <= 0:
        raise ValueError("the profile recorded no time")
    out, running = [], 0.0
    for r in rows:
        running += r.tottime_s
        out.append(ParetoRow(r.label, r.tottime_s, r.tottime_s / total_s, running / total_s))
    return out


def amdahl_speedup(fraction: float, factor: float) -> float:
    """Overall speed-up when a part taking `fraction` (0..1) of the run becomes `factor`
    times faster: 1 / ((1 - fraction) + fraction / factor). `factor` may be math.inf."""
    check_fraction(fraction, "fraction")
    if not factor > 0:
        raise ValueError(f"factor must be positive, got {factor}")
    rest = 1 - fraction + (0.0 if math.isinf(factor) else fraction / factor)
    return math.inf if rest == 0 else 1 / rest


def amdahl_limit(fraction: float) -> float:
    """The most a speed-up of a part taking `fraction` of the run can buy: 1 / (1 - f)."""
    return amdahl_speedup(fraction, math.inf)
