"""Fixtures for exercise 04 (SLOs and alerting): seeded months of per-minute counts, a
scenario for ``promtool test rules``, latency samples for bucket layouts, and load-test
tables for fleet sizing. Every function returns plain values (lists, dicts, numbers) and
keeps nothing between calls."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tradeoffs.slo.budget import MINUTES_PER_DAY
from tradeoffs.slo.rules import PAGE_RULES, alert_fires
from tradeoffs.slo.simulate import DEFAULT_INCIDENTS, Incident, simulate_month

__all__ = [
    "PROMTOOL_ALERT",
    "PROMTOOL_LABELS",
    "alert_month",
    "alert_ties",
    "bucket_case",
    "verdict_samples",
    "fleet_table",
    "promtool_case",
]

_MONTHS: dict[str, dict[str, Any]] = {
    "visible": {"seed": 0},
    "hidden-edges": {
        "seed": 7,
        "incidents": (
            Incident(0, 45, 0.2, "errors from the first minute"),
            Incident(6 * MINUTES_PER_DAY, 300, 0.012, "1.2% errors, 5 h"),
            Incident(12 * MINUTES_PER_DAY + 30, 20, 0.05, "5% errors, 20 min"),
            Incident(12 * MINUTES_PER_DAY + 200, 20, 0.05, "5% errors again"),
            Incident(30 * MINUTES_PER_DAY - 25, 25, 0.5, "at the very end"),
        ),
    },
    "hidden-noisy": {"seed": 3, "incidents": (), "blips_per_day": 4.0, "background_ratio": 3e-4},
    "hidden-quiet": {
        "seed": 11,
        "days": 7,
        "mean_per_min": 4.0,
        "incidents": (Incident(3 * MINUTES_PER_DAY, 240, 0.3, "30% errors, 4 h, at 4 req/min"),),
    },
}


def alert_month(case: str = "visible") -> dict[str, Any]:
    """Per-minute ``bad`` and ``valid`` counts (lists of ints) and the seeded
    ``incidents`` as [start minute, duration in minutes, error ratio, name] lists."""
    if case not in _MONTHS:
        raise ValueError(f"unknown case {case!r}; known: {sorted(_MONTHS)}")
    kwargs = dict(_MONTHS[case])
    kwargs.setdefault("incidents", DEFAULT_INCIDENTS)
    month = simulate_month(**kwargs)
    return {
        "bad": month.bad.tolist(),
        "valid": month.valid.tolist(),
        "incidents": [
            [i.start_min, i.duration_min, i.error_ratio, i.name] for i in month.incidents
        ],
    }


TIE_TARGET = 0.9375
"""A target whose budget (1/16) and thresholds (14.4/16 = 0.9, 6/16 = 0.375) are exact in
binary floating point, so that a window's ratio can equal a threshold exactly."""


def alert_ties() -> list[dict[str, Any]]:
    """Short series at ``TIE_TARGET`` whose window ratios equal a page threshold exactly
    (which is not "above" it): each a dict with ``name``, ``bad``, ``valid`` (per minute)
    and ``target``.

    - "fast tie": 300 clean minutes, then 60 minutes at 90% errors: at the last minute the
      60- and 5-minute ratios are both exactly 0.9 (and the 360-minute one 0.15);
    - "slow tie": 400 minutes at 3 bad in 8: every window's ratio is exactly 0.375;
    - "just above": the fast tie, then one minute at 100% errors, which pages.
    """
    fast_bad, fast_valid = [0] * 300 + [9] * 60, [10] * 360
    return [
        {"name": "fast tie", "bad": fast_bad, "valid": fast_valid, "target": TIE_TARGET},
        {"name": "slow tie", "bad": [3] * 400, "valid": [8] * 400, "target": TIE_TARGET},
        {
            "name": "just above",
            "bad": [*fast_bad, 10],
            "valid": [*fast_valid, 10],
            "target": TIE_TARGET,
        },
    ]


PROMTOOL_ALERT = "ErrorBudgetBurn"
PROMTOOL_LABELS = {"severity": "page"}
_ROUTE = 'route="/users/{user_id}"'


def promtool_case(target: float = 0.999) -> dict[str, Any]:
    """Counters for ``promtool test rules`` (selector -> per-minute increments, 1,100
    minutes) and, per evaluation minute, whether the page alert must fire there.

    The story, for ``target = 0.999`` (error counts scale with ``1 - target``): normal
    traffic (1,000 good requests a minute, an error every other minute); a fast burn (5%
    errors, minutes 420-449); then a slow burn (0.8% errors, minutes 600-999) while a bot
    makes 1,500 requests a minute for unknown users (404: not valid events). Evaluation
    minutes are where the answer is clear-cut for PromQL's ``rate`` as well as for
    per-minute sums; the expectations come from the burn-rate rules of
    :data:`tradeoffs.slo.rules.PAGE_RULES` on the valid (not 4xx) counts.
    """
    scale = (1.0 - target) / 0.001
    n = 1_100
    ok = np.full(n, 1_000, dtype=np.int64)
    bad = np.round((np.arange(n) % 2) * scale).astype(np.int64)
    bad[420:450] = round(50 * scale)
    bad[600:1000] = round(8 * scale)
    not_found = np.zeros(n, dtype=np.int64)
    not_found[600:1000] = 1_500
    fires = alert_fires(PAGE_RULES, bad, ok + bad, target)
    checks = (300, 410, 445, 449, 470, 560, 700, 900, 950, 999, 1030, 1090)
    return {
        "series": {
            f'http_requests_total{{code="200", {_ROUTE}}}': ok.tolist(),
            f'http_requests_total{{code="500", {_ROUTE}}}': bad.tolist(),
            f'http_requests_total{{code="404", {_ROUTE}}}': not_found.tolist(),
        },
        "expected": {m: bool(fires[m]) for m in checks},
        "target": target,
    }


def bucket_case(case: str = "visible") -> dict[str, Any]:
    """A bucket layout to repair and SLO thresholds (seconds) for it, with a cap on the
    number of buckets (``+Inf`` included)."""
    default = [
        0.005,
        0.01,
        0.025,
        0.05,
        0.075,
        0.1,
        0.25,
        0.5,
        0.75,
        1.0,
        2.5,
        5.0,
        7.5,
        10.0,
        math.inf,
    ]
    cases = {
        "visible": {"bounds": default, "thresholds_s": [0.3], "max_buckets": 15},
        "hidden-top": {
            "bounds": [0.05, 0.1, 0.2, math.inf],
            "thresholds_s": [0.2],
            "max_buckets": 8,
        },
        "hidden-two": {"bounds": default, "thresholds_s": [0.15, 0.3], "max_buckets": 12},
        "hidden-roomy": {"bounds": [0.1, 1.0, math.inf], "thresholds_s": [0.4], "max_buckets": 10},
        "hidden-present": {"bounds": default, "thresholds_s": [0.25], "max_buckets": 20},
        # the limit leaves room for one original edge besides the threshold and the only
        # edge above it, which must be the one kept
        "hidden-squeeze": {
            "bounds": [0.1, 0.2, 0.5, math.inf],
            "thresholds_s": [0.3],
            "max_buckets": 4,
        },
    }
    if case not in cases:
        raise ValueError(f"unknown case {case!r}; known: {sorted(cases)}")
    return cases[case]


def verdict_samples(threshold_s: float, seed: int) -> list[list[float]]:
    """Latency sets (seconds) whose p90, p95 or p99 lie just below, at, or just above
    ``threshold_s``, and some whose tail runs far beyond every bucket."""
    rng = np.random.default_rng(seed)
    sets = []
    for frac in (0.85, 0.97, 0.995, 1.0, 1.005, 1.03, 1.2, 3.0, 40.0):
        body = rng.uniform(0.2, 0.9, 900) * threshold_s
        tail = rng.uniform(0.99, 1.01, 100) * threshold_s * frac
        sets.append(np.concatenate([body, tail]).tolist())
    sets.append((rng.uniform(0.1, 0.9, 950) * threshold_s).tolist() + [threshold_s] * 50)
    return sets


_FLEETS: dict[str, list[tuple[str, list[tuple[float, float, float]]]]] = {
    # instance -> [(rps offered to one machine, p99 ms, utilisation)]
    "visible": [
        (
            "general.large",
            [(50, 38, 0.22), (100, 45, 0.41), (150, 61, 0.63), (200, 140, 0.83), (250, 900, 0.97)],
        ),
        (
            "general.xlarge",
            [(100, 36, 0.21), (200, 44, 0.42), (300, 58, 0.62), (400, 95, 0.81), (500, 700, 0.96)],
        ),
        (
            "compute.2xlarge",
            [(200, 30, 0.2), (400, 38, 0.4), (600, 52, 0.6), (800, 80, 0.8), (1000, 400, 0.95)],
        ),
    ],
    # a noisy table: a rate above the first failure that looks fine again
    "hidden-noisy": [
        ("general.large", [(50, 40, 0.2), (100, 120, 0.4), (150, 70, 0.6), (200, 85, 0.8)]),
        ("general.xlarge", [(100, 40, 0.2), (200, 60, 0.4), (300, 101, 0.6), (400, 90, 0.8)]),
    ],
    # the target met exactly, utilisation the binding limit, and a tie in cost
    "hidden-edges": [
        ("general.large", [(100, 80, 0.5), (150, 100, 0.7), (200, 100, 0.75)]),
        ("general.xlarge", [(200, 60, 0.4), (300, 100, 0.7), (400, 99, 0.9)]),
        ("compute.2xlarge", [(100, 150, 0.1)]),
    ],
}


def fleet_table(case: str = "visible") -> list[dict[str, Any]]:
    """A load-test result table: one dict per (instance, offered rate) with ``instance``,
    ``rps``, ``p99_ms`` and ``utilisation``."""
    if case not in _FLEETS:
        raise ValueError(f"unknown case {case!r}; known: {sorted(_FLEETS)}")
    return [
        {"instance": name, "rps": float(rps), "p99_ms": float(p99), "utilisation": float(u)}
        for name, rows in _FLEETS[case]
        for rps, p99, u in rows
    ]
