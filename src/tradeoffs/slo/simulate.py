"""A month of per-minute traffic with incidents and noise, and how alert rules do on it.

:func:`simulate_month` draws seeded per-minute counts of valid and bad requests: a daily
cycle of traffic (Poisson counts), a small background error ratio that jitters from minute
to minute, short **blips** (a restart or a deploy: one to three minutes of a few percent
errors, which spend little budget and should not wake anyone), and the **incidents**
given (each a start, a duration and an error ratio), which should.

:func:`alert_outcomes` scores a rule's firing minutes against the incidents: for each
incident, whether and how soon it fired; alarms that overlap no incident are false; the
alerts' precision and recall (unit 01's metrics, applied to pages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradeoffs.slo.budget import MINUTES_PER_DAY

__all__ = [
    "DEFAULT_INCIDENTS",
    "AlertOutcome",
    "Incident",
    "Month",
    "alert_outcomes",
    "firing_episodes",
    "simulate_month",
]


@dataclass(frozen=True)
class Incident:
    """``error_ratio`` of the requests fail from minute ``start_min`` for ``duration_min``."""

    start_min: int
    duration_min: int
    error_ratio: float
    name: str = ""

    @property
    def end_min(self) -> int:
        """The first minute after the incident."""
        return self.start_min + self.duration_min


DEFAULT_INCIDENTS = (
    Incident(2 * MINUTES_PER_DAY + 8 * 60, 8, 1.0, "outage, 8 min"),
    Incident(8 * MINUTES_PER_DAY + 14 * 60, 40, 0.10, "10% errors, 40 min"),
    Incident(14 * MINUTES_PER_DAY + 3 * 60, 240, 0.015, "1.5% errors, 4 h"),
    Incident(20 * MINUTES_PER_DAY + 10 * 60, 600, 0.008, "0.8% errors, 10 h"),
    Incident(25 * MINUTES_PER_DAY, 2 * MINUTES_PER_DAY, 0.003, "0.3% errors, 2 days"),
)
"""Incidents of different sizes for a 99.9% SLO: from a short outage (burn rate 1,000) to a
two-day slow leak (burn rate 3)."""


@dataclass(frozen=True)
class Month:
    """Per-minute counts (valid requests, bad among them) and what was seeded."""

    valid: NDArray[np.int64] = field(repr=False)
    bad: NDArray[np.int64] = field(repr=False)
    incidents: tuple[Incident, ...]
    blips: tuple[Incident, ...] = field(repr=False)
    seed: int

    @property
    def minutes(self) -> int:
        return int(self.valid.size)


def simulate_month(
    *,
    days: int = 30,
    mean_per_min: float = 1_000.0,
    daily_swing: float = 0.6,
    background_ratio: float = 1e-4,
    blips_per_day: float = 0.7,
    incidents: Sequence[Incident] = DEFAULT_INCIDENTS,
    seed: int = 0,
) -> Month:
    """Seeded per-minute counts over ``days`` days (see the module docstring).

    Traffic averages ``mean_per_min`` valid requests a minute, ``daily_swing`` above and
    below the mean over the day (quietest at 04:00); the background error ratio is
    ``background_ratio`` times a log-normal factor per minute; blips arrive at
    ``blips_per_day`` and last 1 to 3 minutes at 2 to 10% errors.
    """
    if days < 1 or mean_per_min <= 0 or not 0 <= daily_swing < 1 or background_ratio < 0:
        raise ValueError("need days >= 1, mean_per_min > 0, 0 <= daily_swing < 1, ratio >= 0")
    n = days * MINUTES_PER_DAY
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    phase = 2 * np.pi * ((t % MINUTES_PER_DAY) / MINUTES_PER_DAY - 10 / 24)
    valid = rng.poisson(mean_per_min * (1 + daily_swing * np.sin(phase)))
    ratio = background_ratio * rng.lognormal(0.0, 0.5, n)
    blips = []
    for start in np.flatnonzero(rng.random(n) < blips_per_day / MINUTES_PER_DAY):
        blips.append(Incident(int(start), int(rng.integers(1, 4)), float(rng.uniform(0.02, 0.10))))
    for inc in (*blips, *incidents):
        if inc.start_min < 0 or inc.duration_min < 1 or not 0 <= inc.error_ratio <= 1:
            raise ValueError(f"bad incident {inc}")
        sl = slice(inc.start_min, min(n, inc.end_min))
        ratio[sl] = np.maximum(ratio[sl], inc.error_ratio)
    bad = rng.binomial(valid, np.minimum(ratio, 1.0))
    return Month(
        valid=valid.astype(np.int64),
        bad=bad.astype(np.int64),
        incidents=tuple(incidents),
        blips=tuple(blips),
        seed=seed,
    )


def firing_episodes(fires: ArrayLike) -> list[tuple[int, int]]:
    """Contiguous runs of firing minutes as (first minute, first minute after)."""
    f = np.asarray(fires, dtype=bool)
    edges = np.diff(np.concatenate(([0], f.astype(np.int8), [0])))
    return list(
        zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True)
    )


@dataclass(frozen=True)
class AlertOutcome:
    """How one alert did: detection delay per incident (minutes, None if missed), how long
    it kept firing after each incident ended, and the false alarms."""

    detection_min: tuple[int | None, ...]
    reset_min: tuple[int | None, ...]
    false_alarms: int
    alarms: int

    @property
    def detected(self) -> int:
        return sum(d is not None for d in self.detection_min)

    @property
    def recall(self) -> float:
        return self.detected / len(self.detection_min) if self.detection_min else 1.0

    @property
    def precision(self) -> float:
        return 1.0 - self.false_alarms / self.alarms if self.alarms else 1.0


def alert_outcomes(
    fires: ArrayLike, incidents: Sequence[Incident], *, grace_min: int = 60
) -> AlertOutcome:
    """Score per-minute firing against ``incidents``.

    An incident is detected at the first firing minute in ``[start, end + grace_min)``
    (the delay is counted from its start); its reset is how long the alert kept firing
    after its end. An alarm (a firing episode) is false if it overlaps no incident's
    ``[start, end + grace_min)``.
    """
    f = np.asarray(fires, dtype=bool)
    episodes = firing_episodes(f)
    spans = [(i.start_min, i.end_min + grace_min) for i in incidents]
    detection: list[int | None] = []
    reset: list[int | None] = []
    for inc, (lo, hi) in zip(incidents, spans, strict=True):
        hits = np.flatnonzero(f[lo : min(hi, f.size)])
        detection.append(int(hits[0]) if hits.size else None)
        if not hits.size:
            reset.append(None)
            continue
        first = lo + int(hits[0])
        stop = next(b for a, b in episodes if a <= first < b)
        reset.append(max(0, stop - inc.end_min))
    false = sum(1 for a, b in episodes if not any(a < hi and b > lo for lo, hi in spans))
    return AlertOutcome(tuple(detection), tuple(reset), false, len(episodes))
