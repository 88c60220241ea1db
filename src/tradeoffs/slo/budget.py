"""Error budgets and burn rates: the arithmetic of an SLO.

An SLO says what share of valid events must be good over a window: ``target = 0.999``
over 30 days. The **error budget** is what is left, ``1 - target`` of the events (or of
the time): 0.1% of 30 days is 43.2 minutes, of 28 days 40.32 minutes. The **burn rate**
is how fast it is being spent: the observed bad-event ratio divided by ``1 - target``. A
burn rate of 1 spends exactly the whole budget in one window; 14.4 spends 2% of a 30-day
budget in one hour (14.4 h / 720 h).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tradeoffs._validate import non_negative, positive

__all__ = [
    "SLO",
    "budget_consumed",
    "budget_remaining",
    "burn_rate",
    "error_budget_events",
    "error_budget_minutes",
    "hours_to_exhaustion",
]

MINUTES_PER_DAY = 24 * 60


def _check_target(target: float) -> float:
    t = float(target)
    if not 0.0 < t < 1.0:
        raise ValueError(
            f"an SLO target is a fraction strictly in (0, 1) (0.999 for 99.9%), got {target!r}"
        )
    return t


@dataclass(frozen=True)
class SLO:
    """A target share of good events over a window of ``window_days`` days."""

    target: float
    window_days: float = 30.0

    def __post_init__(self) -> None:
        _check_target(self.target)
        positive(self.window_days, "window_days")

    @property
    def budget(self) -> float:
        """The allowed bad share, ``1 - target``."""
        return 1.0 - self.target

    @property
    def budget_minutes(self) -> float:
        return error_budget_minutes(self.target, self.window_days)


def error_budget_minutes(target: float, window_days: float = 30.0) -> float:
    """Minutes of full outage the SLO allows in its window: ``(1 - target) * window``."""
    return (1.0 - _check_target(target)) * positive(window_days, "window_days") * MINUTES_PER_DAY


def error_budget_events(target: float, valid_events: float) -> float:
    """Bad events the SLO allows among ``valid_events``: ``(1 - target) * valid``."""
    return (1.0 - _check_target(target)) * non_negative(valid_events, "valid_events")


def budget_remaining(target: float, good_events: float, valid_events: float) -> float:
    """Share of the window's error budget not yet spent (1 = untouched; negative = overspent).

    With ``valid_events`` so far and ``good_events`` of them good, the spent share is
    ``bad / ((1 - target) * valid)``. No valid events: nothing spent (1.0).
    """
    good = non_negative(good_events, "good_events")
    valid = non_negative(valid_events, "valid_events")
    if good > valid:
        raise ValueError(f"good_events ({good_events}) cannot exceed valid_events ({valid_events})")
    if valid == 0:
        return 1.0
    return 1.0 - (valid - good) / ((1.0 - _check_target(target)) * valid)


def burn_rate(bad_events: float, valid_events: float, target: float) -> float:
    """How many times faster than allowed the budget is being spent: the bad ratio divided
    by ``1 - target``. No valid events: 0."""
    bad = non_negative(bad_events, "bad_events")
    valid = non_negative(valid_events, "valid_events")
    if bad > valid:
        raise ValueError(f"bad_events ({bad_events}) cannot exceed valid_events ({valid_events})")
    if valid == 0:
        return 0.0
    return bad / valid / (1.0 - _check_target(target))


def budget_consumed(rate: float, duration_h: float, window_days: float = 30.0) -> float:
    """Share of a window's budget spent by burning at ``rate`` for ``duration_h`` hours."""
    return (
        non_negative(rate, "rate")
        * non_negative(duration_h, "duration_h")
        / (positive(window_days, "window_days") * 24.0)
    )


def hours_to_exhaustion(rate: float, window_days: float = 30.0, remaining: float = 1.0) -> float:
    """Hours until a budget with ``remaining`` share left is spent at burn ``rate``
    (infinite at rate 0)."""
    r = non_negative(rate, "rate")
    if r == 0:
        return math.inf
    return non_negative(remaining, "remaining") * positive(window_days, "window_days") * 24.0 / r
