"""The PromQL of an SLO, written once: the lesson runs these queries on a real Prometheus,
the Grafana dashboard shipped with the course uses the same text, and the alert rules are
rendered from the same burn-rate rules that :mod:`.rules` evaluates in Python.

The metrics are a request counter with a ``code`` label and a latency histogram
(``<name>_bucket{le=...}``, ``_count``, ``_sum``), as
:mod:`tradeoffs.labs.endpoint.observability.instrument` exports them.

- Rates, never raw counters: ``rate(x[5m])`` is per-second over the window, robust to
  restarts (counter resets) and to scrape timing.
- Quantiles from buckets: ``histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))``.
  Sum the *buckets* across instances first; a quantile per instance cannot be averaged
  into a fleet quantile.
- An SLI is a ratio of two rates (good / valid); a burn rate is the bad ratio over
  ``1 - target``.
"""

from __future__ import annotations

from collections.abc import Sequence

from tradeoffs.slo.rules import BurnRateRule

__all__ = [
    "alert_rules_yaml",
    "availability_sli",
    "avg_of_instance_quantiles",
    "burn_rate",
    "error_ratio",
    "fleet_quantile",
    "latency_sli",
    "quantile_by_instance",
    "request_rate",
    "window_text",
]

REQUESTS = "http_requests_total"
DURATION = "http_request_duration_seconds"
ROUTE = 'route="/users/{user_id}"'
SERVER_ERROR = 'code=~"5.."'
NOT_CLIENT_ERROR = 'code!~"4.."'


def window_text(minutes: float) -> str:
    """A PromQL range for ``minutes``: 5 -> '5m', 60 -> '1h', 4320 -> '3d', 0.5 -> '30s'."""
    seconds = round(minutes * 60)
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _sel(*matchers: str) -> str:
    return "{" + ", ".join(m for m in matchers if m) + "}"


def request_rate(window: str = "5m", by: str = "code") -> str:
    """Requests per second to the endpoint over ``window``, by ``by``."""
    return f"sum by ({by}) (rate({REQUESTS}{_sel(ROUTE)}[{window}]))"


def error_ratio(window: str = "5m", requests: str = REQUESTS) -> str:
    """Share of valid requests (not 4xx) that were server errors (5xx) over ``window``."""
    # `or vector(0)`: with no 5xx series at all, sum() of nothing is empty, not 0.
    bad = f"(sum(rate({requests}{_sel(SERVER_ERROR)}[{window}])) or vector(0))"
    valid = f"sum(rate({requests}{_sel(NOT_CLIENT_ERROR)}[{window}]))"
    return f"({bad} / {valid})"


def availability_sli(window: str = "5m") -> str:
    """Share of valid requests that were not server errors (the availability SLI)."""
    return f"(1 - {error_ratio(window)})"


def latency_sli(threshold_s: float, window: str = "5m") -> str:
    """Share of requests served within ``threshold_s``: exact only if it is a bucket edge."""
    le = f'le="{threshold_s:g}"'
    good = f"sum(rate({DURATION}_bucket{_sel(ROUTE, le)}[{window}]))"
    total = f"sum(rate({DURATION}_count{_sel(ROUTE)}[{window}]))"
    return f"({good} / {total})"


def fleet_quantile(q: float, window: str = "5m", matcher: str = "") -> str:
    """The fleet's q-quantile (q in (0, 1)): buckets summed across instances, then one
    ``histogram_quantile``. ``matcher`` adds a label matcher, e.g. ``instance!="a:1"``."""
    sel = _sel(ROUTE, matcher)
    return f"histogram_quantile({q:g}, sum by (le) (rate({DURATION}_bucket{sel}[{window}])))"


def quantile_by_instance(q: float, window: str = "5m", matcher: str = "") -> str:
    """One q-quantile per instance."""
    sel = _sel(ROUTE, matcher)
    return (
        f"histogram_quantile({q:g}, sum by (instance, le) (rate({DURATION}_bucket{sel}[{window}])))"
    )


def avg_of_instance_quantiles(q: float, window: str = "5m", matcher: str = "") -> str:
    """The trap: the average of per-instance quantiles (not a quantile of anything)."""
    return f"avg({quantile_by_instance(q, window, matcher)})"


def burn_rate(target: float, window: str = "1h", requests: str = REQUESTS) -> str:
    """How fast the error budget of a ``target`` availability SLO burns over ``window``."""
    return f"({error_ratio(window, requests)} / {1 - target:.10g})"


def alert_rules_yaml(
    rules: Sequence[BurnRateRule],
    target: float,
    *,
    alert: str = "ErrorBudgetBurn",
    requests: str = REQUESTS,
    annotations: bool = True,
) -> str:
    """A Prometheus rule file: one alert per severity (``alert`` for pages, ``alert`` +
    ``Ticket`` for tickets) whose expression is the ``or`` of its rules, each rule firing
    while the error ratio is above ``factor * (1 - target)`` over its long and its short
    window. The alert carries only a ``severity`` label (and, with ``annotations``, a
    summary naming the rules)."""
    by_severity: dict[str, list[BurnRateRule]] = {}
    for rule in rules:
        by_severity.setdefault(rule.severity, []).append(rule)
    lines = ["groups:", "  - name: slo-burn-rate", "    rules:"]
    for severity, group in by_severity.items():
        terms = []
        for rule in group:
            limit = f"{rule.factor:g} * {1 - target:.10g}"
            windows = [rule.long_min] + ([rule.short_min] if rule.short_min else [])
            terms.append(
                "("
                + " and ".join(
                    f"{error_ratio(window_text(w), requests)} > ({limit})" for w in windows
                )
                + ")"
            )
        name = alert if severity == "page" else f"{alert}{severity.title()}"
        lines += [
            f"      - alert: {name}",
            f"        expr: {' or '.join(terms)}",
            "        labels:",
            f"          severity: {severity}",
        ]
        if annotations:
            summary = "; ".join(r.name for r in group)
            lines += ["        annotations:", f'          summary: "{summary}"']
    return "\n".join(lines) + "\n"
