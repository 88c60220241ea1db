"""A Grafana dashboard for the endpoint's SLO, built from the course's PromQL.

There is no Grafana package on Debian or PyPI, so the lesson draws the same queries with
matplotlib; learners who run Grafana import the JSON this module writes (Dashboards ->
New -> Import), pick their Prometheus data source, and see the same panels: traffic by
status, p50/p99 from summed buckets, the latency and availability SLIs, burn rates over
the workbook's windows and the budget left over 30 days. The course ships a copy as
``tradeoffs/data/endpoint_slo_dashboard.json`` (a test keeps it equal to :func:`dashboard`).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from tradeoffs.slo import promql

__all__ = ["SHIPPED", "dashboard", "dashboard_json", "shipped_dashboard", "write_dashboard"]

SHIPPED = "endpoint_slo_dashboard.json"
_DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}


def _panel(
    n: int, title: str, exprs: list[tuple[str, str]], unit: str, x: int, y: int
) -> dict[str, Any]:
    return {
        "id": n,
        "type": "timeseries",
        "title": title,
        "datasource": _DS,
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(65 + i), "datasource": _DS, "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(exprs)
        ],
    }


def dashboard(
    target: float = 0.999, latency_threshold_s: float = 0.1, window: str = "5m"
) -> dict[str, Any]:
    """The dashboard as a dict (Grafana's JSON model, schema 39)."""
    slo_30d = promql.availability_sli("30d")
    panels = [
        _panel(
            1,
            "Requests per second by status",
            [(promql.request_rate(window), "{{code}}")],
            "reqps",
            0,
            0,
        ),
        _panel(
            2,
            "Service time p50 / p99 (buckets summed across instances)",
            [
                (promql.fleet_quantile(0.5, window), "p50"),
                (promql.fleet_quantile(0.99, window), "p99"),
            ],
            "s",
            12,
            0,
        ),
        _panel(
            3,
            f"SLIs: availability and share within {latency_threshold_s * 1000:g} ms",
            [
                (promql.availability_sli(window), "availability"),
                (promql.latency_sli(latency_threshold_s, window), f"<= {latency_threshold_s:g} s"),
            ],
            "percentunit",
            0,
            8,
        ),
        _panel(
            4,
            f"Burn rate of the {target:.2%} availability SLO",
            [(promql.burn_rate(target, w), w) for w in ("5m", "1h", "6h", "3d")],
            "none",
            12,
            8,
        ),
        _panel(
            5,
            "Error budget left over 30 days",
            [(f"1 - (1 - {slo_30d}) / {1 - target:.10g}", "budget left")],
            "percentunit",
            0,
            16,
        ),
        _panel(
            6,
            "The trap: average of per-instance p99s vs the fleet p99",
            [
                (promql.avg_of_instance_quantiles(0.99, window), "avg of instance p99s (wrong)"),
                (promql.fleet_quantile(0.99, window), "fleet p99"),
            ],
            "s",
            12,
            16,
        ),
    ]
    return {
        "__inputs": [
            {
                "name": "DS_PROMETHEUS",
                "label": "Prometheus",
                "type": "datasource",
                "pluginId": "prometheus",
            }
        ],
        "title": "tradeoffs: shop endpoint SLO",
        "uid": "tradeoffs-endpoint-slo",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "tags": ["tradeoffs", "slo"],
        "panels": panels,
    }


def dashboard_json(**kwargs: Any) -> str:
    return json.dumps(dashboard(**kwargs), indent=2, sort_keys=True) + "\n"


def write_dashboard(path: str | Path, **kwargs: Any) -> Path:
    out = Path(path)
    out.write_text(dashboard_json(**kwargs), encoding="utf-8")
    return out


def shipped_dashboard() -> str:
    """The text of the dashboard shipped with the package."""
    return resources.files("tradeoffs").joinpath("data", SHIPPED).read_text(encoding="utf-8")
