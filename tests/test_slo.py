"""The SLO package: budgets, SLIs, burn-rate rules, the month simulation, capacity, nines,
PromQL rendering, and the exercise fixtures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tradeoffs import prices, slo
from tradeoffs.slo import exercise, promql
from tradeoffs.slo.promtool import alert_test_yaml, counter_values


def test_error_budget_arithmetic() -> None:
    assert slo.error_budget_minutes(0.999, 30) == pytest.approx(43.2)
    assert slo.error_budget_minutes(0.999, 28) == pytest.approx(40.32)
    assert slo.SLO(0.9999, 30).budget_minutes == pytest.approx(4.32)
    assert slo.error_budget_events(0.999, 1_000_000) == pytest.approx(1_000)
    assert slo.budget_remaining(0.999, 999_500, 1_000_000) == pytest.approx(0.5)
    assert slo.budget_remaining(0.999, 0, 0) == 1.0
    assert slo.burn_rate(144, 10_000, 0.999) == pytest.approx(14.4)
    assert slo.burn_rate(0, 0, 0.999) == 0.0
    assert slo.budget_consumed(14.4, 1, 30) == pytest.approx(0.02)
    assert slo.hours_to_exhaustion(1.0, 30) == pytest.approx(720)
    assert slo.hours_to_exhaustion(0.0) == math.inf
    with pytest.raises(ValueError, match="target"):
        slo.error_budget_minutes(99.9, 30)
    with pytest.raises(ValueError, match="exceed"):
        slo.burn_rate(5, 4, 0.99)


def test_slis_count_good_over_valid() -> None:
    assert slo.availability_counts({200: 90, 404: 5, 500: 5}) == (90, 95)
    assert slo.latency_counts([10, 200, 50, 5], 100, [200, 200, 404, 503]) == (1, 3)
    assert slo.latency_counts([10, 100, 101], 100) == (2, 3)
    assert slo.ratio(0, 0) == 1.0
    np.testing.assert_array_equal(slo.window_sums([1, 2, 3, 4], 2), [1, 3, 5, 7])
    rolling = slo.rolling_ratio([1, 0, 1, 1], [1, 1, 1, 1], 2)
    np.testing.assert_allclose(rolling, [1, 0.5, 0.5, 1])
    calendar = slo.calendar_ratio([1, 0, 1, 1], [1, 1, 1, 1], 2)
    np.testing.assert_allclose(calendar, [1, 0.5, 1, 1])


def test_rules_fire_on_both_windows_strictly_above() -> None:
    rule = slo.BurnRateRule("r", 10.0, 4, 2)
    valid = [100] * 8
    bad = [0, 0, 0, 0, 50, 50, 0, 0]
    fires = slo.rule_fires(rule, bad, valid, 0.99)  # threshold 0.1
    # long window (4 min) ratio > 0.1 from minute 4; short (2 min) drops after minute 6
    assert fires.tolist() == [False, False, False, False, True, True, True, False]
    assert rule.budget_share(30) == pytest.approx(10 * 4 / 43_200)
    # no traffic: no alert
    assert not slo.rule_fires(rule, [0, 0], [0, 0], 0.99).any()
    with pytest.raises(ValueError, match="exceed"):
        slo.rule_fires(rule, [5], [4], 0.99)


def test_simulated_month_and_workbook_outcomes() -> None:
    month = slo.simulate_month(seed=0)
    assert month.minutes == 30 * 1440 and month.incidents == slo.DEFAULT_INCIDENTS
    assert slo.simulate_month(seed=0).bad.tolist() == month.bad.tolist()  # seeded
    pages = slo.alert_outcomes(
        slo.alert_fires(slo.PAGE_RULES, month.bad, month.valid, 0.999), month.incidents
    )
    assert pages.false_alarms == 0
    assert pages.detection_min[:4] == (0, 7, 54, 241) and pages.detection_min[4] is None
    noisy = slo.alert_outcomes(
        slo.rule_fires(slo.BurnRateRule("5m", 10.0, 5), month.bad, month.valid, 0.999),
        month.incidents,
    )
    assert noisy.false_alarms > 10 and noisy.precision < 0.6
    assert slo.firing_episodes([0, 1, 1, 0, 1]) == [(1, 3), (4, 5)]


def test_knee_and_fleet_sizing() -> None:
    assert slo.knee([10, 20, 30, 40], [5, 8, 12, 7], 10) == 20  # 40 is after a failure
    assert slo.knee([10, 20], [11, 5], 10) is None
    assert slo.knee([30, 10, 20], [20, 5, 10], 10) == 20  # order of the rows does not matter
    usd = {n: p.cost_usd_per_hour for n, p in prices.INSTANCES.items()}
    got = slo.size_fleet(exercise.fleet_table("visible"), 1_200, 100, 0.7, usd)
    assert got == {"instance": "compute.2xlarge", "count": 2, "monthly_usd": pytest.approx(496.4)}
    tie = slo.size_fleet(exercise.fleet_table("hidden-edges"), 600, 100, 0.7, usd)
    assert tie is not None and tie["instance"] == "general.xlarge" and tie["count"] == 2
    assert slo.size_fleet(exercise.fleet_table("visible"), 1_200, 20, 0.7, usd) is None
    assert slo.cost_per_million_usd(0.36, 100, 1.0) == pytest.approx(1.0)
    assert slo.breach_minutes([50, 150, 250], 2, 100) == 1


def test_nines_table_prices_from_the_price_book() -> None:
    rows = slo.nines_table(100.0)
    assert [round(slo.nines(r.deployment.availability), 1) for r in rows] == [2.3, 3.0, 3.3, 4.0]
    single = rows[0]
    expected = (
        prices.INSTANCES["general.large"].cost_usd_per_hour
        + prices.DATABASES["db.large"].cost_usd_per_hour
    ) * prices.HOURS_PER_MONTH
    assert single.infra_usd_per_month == pytest.approx(expected)
    assert single.downtime_min_per_month == pytest.approx(216)
    assert all(
        a.infra_usd_per_month < b.infra_usd_per_month for a, b in zip(rows, rows[1:], strict=False)
    )


def test_promql_rendering() -> None:
    assert promql.window_text(5) == "5m" and promql.window_text(60) == "1h"
    assert promql.window_text(4320) == "3d" and promql.window_text(0.5) == "30s"
    q = promql.fleet_quantile(0.99, "5m")
    assert q.startswith("histogram_quantile(0.99, sum by (le) (rate(") and "[5m]" in q
    assert "or vector(0)" in promql.error_ratio("1h")
    text = promql.alert_rules_yaml(slo.WORKBOOK_RULES, 0.999)
    assert text.count("- alert:") == 2  # one page alert (two rules), one ticket
    assert "ErrorBudgetBurnTicket" in text and "[3d]" in text and "(14.4 * 0.001)" in text


def test_counter_values_in_promtool_notation() -> None:
    assert counter_values([5, 5, 5, 2, 7, 7]) == "0+5x2 15 17+7x1 31"
    assert counter_values([]) == "0"
    with pytest.raises(ValueError):
        counter_values([1, -1])
    yaml = alert_test_yaml({'x{code="200"}': [1, 1]}, "A", {3: [], 5: [{"severity": "page"}]})
    assert "eval_time: 3m" in yaml and "exp_alerts: []" in yaml and '"severity": "page"' in yaml


def test_exercise_fixtures_are_plain_and_seeded() -> None:
    month = exercise.alert_month("visible")
    assert set(month) == {"bad", "valid", "incidents"} and type(month["bad"][0]) is int
    assert exercise.alert_month("visible") == month
    for case in ("hidden-edges", "hidden-noisy", "hidden-quiet"):
        m = exercise.alert_month(case)
        assert len(m["bad"]) == len(m["valid"])
    quiet = exercise.alert_month("hidden-quiet")
    assert 0 in quiet["valid"]  # minutes without traffic exist
    case = exercise.promtool_case()
    assert any(case["expected"].values()) and not all(case["expected"].values())
    with pytest.raises(ValueError, match="unknown case"):
        exercise.alert_month("nope")
    assert exercise.bucket_case()["max_buckets"] == 15
    squeeze = exercise.bucket_case("hidden-squeeze")
    assert len(squeeze["bounds"]) == squeeze["max_buckets"]  # no room for the threshold as well
    assert len(exercise.verdict_samples(0.3, 0)) == 10


def test_tie_series_sit_exactly_on_a_threshold() -> None:
    from tradeoffs.slo.rules import PAGE_RULES, alert_fires

    ties = {t["name"]: t for t in exercise.alert_ties()}
    budget = 1 - exercise.TIE_TARGET
    assert 14.4 * budget == 0.9 and 6 * budget == 0.375  # exact in binary floating point
    fast, slow = ties["fast tie"], ties["slow tie"]
    assert sum(fast["bad"][-60:]) / sum(fast["valid"][-60:]) == 0.9
    assert sum(slow["bad"]) / sum(slow["valid"]) == 0.375
    for name in ("fast tie", "slow tie"):
        t = ties[name]
        assert not alert_fires(PAGE_RULES, t["bad"], t["valid"], t["target"]).any()
    above = ties["just above"]
    assert alert_fires(PAGE_RULES, above["bad"], above["valid"], above["target"]).tolist()[-1]
