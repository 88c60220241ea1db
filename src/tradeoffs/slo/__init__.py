"""SLIs, SLOs, error budgets and burn-rate alerting (unit 04).

Modules, one idea each: :mod:`.budget` (error budgets, burn rates), :mod:`.sli` (SLIs as
good/valid ratios, rolling and calendar windows), :mod:`.rules` (threshold and
multiwindow burn-rate rules, evaluated per minute), :mod:`.simulate` (a month of traffic
with incidents, and how alerts score on it), :mod:`.promql` (the same ideas as PromQL and
Prometheus rule files), :mod:`.promtool` (rule tests with ``promtool``), :mod:`.nines`
(the cost of each extra nine), :mod:`.capacity` (knee, fleet size, cost per request,
headroom), :mod:`.exercise` (fixtures for exercise 04).
"""

from tradeoffs.slo.budget import (
    SLO,
    budget_consumed,
    budget_remaining,
    burn_rate,
    error_budget_events,
    error_budget_minutes,
    hours_to_exhaustion,
)
from tradeoffs.slo.capacity import (
    breach_minutes,
    cost_per_million_usd,
    knee,
    size_fleet,
    usable_rate,
)
from tradeoffs.slo.nines import DEPLOYMENTS, Deployment, nines, nines_table
from tradeoffs.slo.rules import (
    PAGE_RULES,
    WORKBOOK_RULES,
    BurnRateRule,
    alert_fires,
    error_ratio,
    rule_fires,
)
from tradeoffs.slo.simulate import (
    DEFAULT_INCIDENTS,
    AlertOutcome,
    Incident,
    Month,
    alert_outcomes,
    firing_episodes,
    simulate_month,
)
from tradeoffs.slo.sli import (
    availability_counts,
    calendar_ratio,
    latency_counts,
    ratio,
    rolling_ratio,
    window_sums,
)

__all__ = [
    "DEFAULT_INCIDENTS",
    "DEPLOYMENTS",
    "PAGE_RULES",
    "SLO",
    "WORKBOOK_RULES",
    "AlertOutcome",
    "BurnRateRule",
    "Deployment",
    "Incident",
    "Month",
    "alert_fires",
    "alert_outcomes",
    "availability_counts",
    "breach_minutes",
    "budget_consumed",
    "budget_remaining",
    "burn_rate",
    "calendar_ratio",
    "cost_per_million_usd",
    "error_budget_events",
    "error_budget_minutes",
    "error_ratio",
    "firing_episodes",
    "hours_to_exhaustion",
    "knee",
    "latency_counts",
    "nines",
    "nines_table",
    "ratio",
    "rolling_ratio",
    "rule_fires",
    "simulate_month",
    "size_fleet",
    "usable_rate",
    "window_sums",
]
