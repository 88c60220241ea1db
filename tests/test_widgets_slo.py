"""Unit 04's figures and the SLO explorer: the computation is checked, the drawing runs."""

from __future__ import annotations

import matplotlib.pyplot as plt

from tradeoffs import slo
from tradeoffs.widgets.slo import (
    explore_slo,
    plot_alert_timeline,
    plot_detection_vs_false_alarms,
    plot_exploration,
    slo_explorer,
)


def test_explorer_fires_rules_by_incident_size() -> None:
    big = explore_slo(0.999, 30, 1e-4, 0.2, 60)
    assert big.first_fire_min["fast burn: 14.4 over 1 h and 5 min"] is not None
    small = explore_slo(0.999, 30, 1e-4, 0.003, 30)
    assert all(v is None for v in small.first_fire_min.values())
    assert big.spent_by_incident > small.spent_by_incident
    assert big.budget_minutes == slo.error_budget_minutes(0.999, 30)
    assert big.budget_left[-1] < big.budget_left[0]


def test_slo_figures_and_panel_draw() -> None:
    month = slo.simulate_month(days=7, incidents=(slo.Incident(3000, 60, 0.1),), seed=1)
    rules = {"pages": list(slo.PAGE_RULES)}
    outcomes = {
        "pages": slo.alert_outcomes(
            slo.alert_fires(rules["pages"], month.bad, month.valid, 0.999), month.incidents
        )
    }
    fig, axes = plt.subplots(1, 3)
    plot_alert_timeline(month, rules, 0.999, axes[0])
    plot_detection_vs_false_alarms(outcomes, axes[1])
    plt.close(fig)
    fig, axes = plt.subplots(2, 1)
    plot_exploration(explore_slo(window_days=7), (axes[0], axes[1]))
    plt.close(fig)
    panel = slo_explorer()
    assert len(panel.children) == 6
    plt.close("all")
