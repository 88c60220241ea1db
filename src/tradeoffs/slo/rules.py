"""Alert rules on an SLO: plain thresholds, and the SRE workbook's multiwindow,
multi-burn-rate rules, evaluated minute by minute over per-minute event counts.

A rule watches the bad-event ratio over a **long** window (does this matter? 1 hour at a
burn rate of 14.4 is 2% of a 30-day budget) and, for a multiwindow rule, also over a
**short** window, 1/12 as long (is it still happening? so the alert stops soon after
the incident does). At minute ``t`` a window of ``w`` minutes covers minutes
``t - w + 1 .. t`` (the ones that exist), its ratio is ``bad / valid`` (0 without
traffic), and the rule fires while every window's ratio is strictly above
``factor * (1 - target)``.

The workbook's table for a 30-day, 99.9% SLO (Beyer et al., *The Site Reliability
Workbook*, chapter 5, "Alerting on SLOs"):

==========  ===========  ============  ==================
burn rate   long window  short window  budget spent
==========  ===========  ============  ==================
14.4        1 h          5 min         2% (page)
6           6 h          30 min        5% (page)
1           3 days       6 h           10% (ticket)
==========  ===========  ============  ==================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradeoffs.slo.budget import MINUTES_PER_DAY, _check_target
from tradeoffs.slo.sli import window_sums

__all__ = [
    "BurnRateRule",
    "PAGE_RULES",
    "WORKBOOK_RULES",
    "alert_fires",
    "error_ratio",
    "rule_fires",
]


@dataclass(frozen=True)
class BurnRateRule:
    """Fire while the bad ratio over ``long_min`` (and ``short_min``, if given) minutes is
    above ``factor * (1 - target)``. ``short_min=None`` is a plain single-window rule."""

    name: str
    factor: float
    long_min: int
    short_min: int | None = None
    severity: str = "page"

    def __post_init__(self) -> None:
        if (
            self.factor <= 0
            or self.long_min < 1
            or (self.short_min is not None and self.short_min < 1)
        ):
            raise ValueError(f"rule {self.name!r}: need factor > 0 and windows >= 1 minute")

    def threshold(self, target: float) -> float:
        """The bad ratio above which the rule fires."""
        return self.factor * (1.0 - _check_target(target))

    def budget_share(self, window_days: float = 30.0) -> float:
        """Share of a window's budget spent by burning at ``factor`` for ``long_min``."""
        return self.factor * self.long_min / (window_days * MINUTES_PER_DAY)


WORKBOOK_RULES = (
    BurnRateRule("fast burn: 14.4 over 1 h and 5 min", 14.4, 60, 5, "page"),
    BurnRateRule("slow burn: 6 over 6 h and 30 min", 6.0, 360, 30, "page"),
    BurnRateRule("ticket: 1 over 3 days and 6 h", 1.0, 3 * MINUTES_PER_DAY, 360, "ticket"),
)
PAGE_RULES = WORKBOOK_RULES[:2]


def error_ratio(
    bad_per_min: ArrayLike, valid_per_min: ArrayLike, window_min: int
) -> NDArray[np.float64]:
    """The bad ratio over the window ending at each minute (0 where nothing was valid)."""
    bad, valid = window_sums(bad_per_min, window_min), window_sums(valid_per_min, window_min)
    if np.any(bad > valid):
        raise ValueError("bad counts exceed valid counts in some window")
    out = np.zeros_like(valid)
    np.divide(bad, valid, out=out, where=valid > 0)
    return out


def rule_fires(
    rule: BurnRateRule, bad_per_min: ArrayLike, valid_per_min: ArrayLike, target: float
) -> NDArray[np.bool_]:
    """One bool per minute: does ``rule`` fire at the end of that minute?"""
    bad = np.asarray(bad_per_min, dtype=np.float64)
    valid = np.asarray(valid_per_min, dtype=np.float64)
    if bad.shape != valid.shape or bad.ndim != 1:
        raise ValueError("bad_per_min and valid_per_min must be 1-D and of the same length")
    limit = rule.threshold(target)
    fires = error_ratio(bad, valid, rule.long_min) > limit
    if rule.short_min is not None:
        fires &= error_ratio(bad, valid, rule.short_min) > limit
    return fires


def alert_fires(
    rules: Sequence[BurnRateRule], bad_per_min: ArrayLike, valid_per_min: ArrayLike, target: float
) -> NDArray[np.bool_]:
    """One bool per minute: does any of ``rules`` fire?"""
    if not rules:
        raise ValueError("give at least one rule")
    out = rule_fires(rules[0], bad_per_min, valid_per_min, target)
    for rule in rules[1:]:
        out = out | rule_fires(rule, bad_per_min, valid_per_min, target)
    return out
