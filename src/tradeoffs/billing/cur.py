"""A month of the shop's usage as Cost and Usage Report line items.

The columns are a subset of AWS CUR's (legacy, slash-separated names: ``lineItem/...``,
``product/...``, ``resourceTags/user:...``), enough for the analyses Cost Explorer runs.
GCP's billing export has the same ideas under other names (``service.description``,
``sku.description``, ``usage.amount``, ``cost``, ``labels``). Each line item is one
resource's usage of one kind for one day, priced from :mod:`tradeoffs.prices` (illustrative
list prices, on demand).

:class:`ShopUsage` derives the usage from what the lab measured: requests per day, the
throughput one machine sustains at the p99 target (the knee), the target utilisation,
response size, metric series and scrape interval, trace sampling.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tradeoffs import prices

__all__ = ["CUR_COLUMNS", "ShopUsage", "read_cur", "usage_line_items", "write_cur"]

CUR_COLUMNS = (
    "identity/LineItemId",
    "bill/BillingPeriodStartDate",
    "lineItem/UsageStartDate",
    "lineItem/UsageEndDate",
    "lineItem/LineItemType",
    "lineItem/ProductCode",
    "lineItem/UsageType",
    "lineItem/Operation",
    "lineItem/ResourceId",
    "lineItem/UsageAmount",
    "pricing/unit",
    "lineItem/UnblendedRate",
    "lineItem/UnblendedCost",
    "product/instanceType",
    "resourceTags/user:service",
    "resourceTags/user:env",
)

_NUMERIC = ("lineItem/UsageAmount", "lineItem/UnblendedRate", "lineItem/UnblendedCost")


@dataclass(frozen=True)
class ShopUsage:
    """What the shop runs, from measurements (see the module docstring)."""

    requests_per_day: float
    knee_rps_per_instance: float
    target_utilisation: float = 0.6
    peak_to_mean: float = 2.0
    instance: str = "general.large"
    database: str = "db.large"
    cache_node: str | None = "cache.small"
    response_kb: float = 12.0
    metric_series: int = 400
    scrape_interval_s: float = 15.0
    trace_sample_rate: float = 0.01
    spans_per_trace: float = 6.0
    staging_instances: int = 1

    def app_instances(self) -> int:
        """Machines for the daily peak at the target utilisation of each one's knee."""
        peak_rps = self.requests_per_day / 86_400 * self.peak_to_mean
        per = self.knee_rps_per_instance * self.target_utilisation
        return max(2, math.ceil(round(peak_rps / per, 9)))


def _item(
    n: int,
    day: date,
    product: str,
    usage_type: str,
    operation: str,
    resource: str,
    amount: float,
    unit: str,
    rate: float,
    env: str,
    instance_type: str = "",
    item_type: str = "Usage",
) -> dict[str, Any]:
    start = day.isoformat() + "T00:00:00Z"
    end = (day + timedelta(days=1)).isoformat() + "T00:00:00Z"
    return {
        "identity/LineItemId": f"li-{n:06d}",
        "bill/BillingPeriodStartDate": day.replace(day=1).isoformat() + "T00:00:00Z",
        "lineItem/UsageStartDate": start,
        "lineItem/UsageEndDate": end,
        "lineItem/LineItemType": item_type,
        "lineItem/ProductCode": product,
        "lineItem/UsageType": usage_type,
        "lineItem/Operation": operation,
        "lineItem/ResourceId": resource,
        "lineItem/UsageAmount": amount,
        "pricing/unit": unit,
        "lineItem/UnblendedRate": rate,
        "lineItem/UnblendedCost": amount * rate,
        "product/instanceType": instance_type,
        "resourceTags/user:service": "shop-api",
        "resourceTags/user:env": env,
    }


def usage_line_items(
    usage: ShopUsage,
    *,
    start: date = date(2026, 11, 1),
    days: int = 30,
    growth_per_day: float = 0.005,
) -> list[dict[str, Any]]:
    """Daily line items for ``days`` days from ``start``: app machines (prod and staging),
    the database, the cache node, the load balancer, data transfer out, metric samples and
    trace spans. Traffic grows by ``growth_per_day`` a day (the fleet follows it)."""
    if days < 1 or usage.requests_per_day <= 0 or usage.knee_rps_per_instance <= 0:
        raise ValueError("need days >= 1 and positive traffic and knee")
    rows: list[dict[str, Any]] = []
    inst = prices.INSTANCES[usage.instance]
    db = prices.DATABASES[usage.database]
    for d in range(days):
        day = start + timedelta(days=d)
        grown = ShopUsage(
            **{
                **usage.__dict__,
                "requests_per_day": usage.requests_per_day * (1 + growth_per_day) ** d,
            }
        )
        n_app = grown.app_instances()

        def add(*args: Any, _day: date = day, **kwargs: Any) -> None:
            rows.append(_item(len(rows) + 1, _day, *args, **kwargs))

        for i in range(n_app):
            add(
                "AmazonEC2",
                f"BoxUsage:{inst.name}",
                "RunInstances",
                f"i-prod-{i:03d}",
                24.0,
                "Hrs",
                inst.cost_usd_per_hour,
                "prod",
                inst.name,
            )
        for i in range(usage.staging_instances):
            add(
                "AmazonEC2",
                f"BoxUsage:{inst.name}",
                "RunInstances",
                f"i-staging-{i:03d}",
                24.0,
                "Hrs",
                inst.cost_usd_per_hour,
                "staging",
                inst.name,
            )
        add(
            "AmazonRDS",
            f"InstanceUsage:{db.name}",
            "CreateDBInstance",
            "db-shop",
            24.0,
            "Hrs",
            db.cost_usd_per_hour,
            "prod",
            db.name,
        )
        if usage.cache_node is not None:
            node = prices.CACHE_NODES[usage.cache_node]
            add(
                "AmazonElastiCache",
                f"NodeUsage:{node.name}",
                "CreateCacheCluster",
                "cache-shop",
                24.0,
                "Hrs",
                node.cost_usd_per_hour,
                "prod",
                node.name,
            )
        add(
            "AWSELB",
            "LoadBalancerUsage",
            "LoadBalancing:Application",
            "alb-shop",
            24.0,
            "Hrs",
            prices.LOAD_BALANCER_USD_PER_HOUR,
            "prod",
        )
        gb_out = grown.requests_per_day * usage.response_kb / 1e6
        add(
            "AWSDataTransfer",
            "DataTransfer-Out-Bytes",
            "",
            "alb-shop",
            gb_out,
            "GB",
            prices.EGRESS_USD_PER_GB["origin_to_internet"],
            "prod",
        )
        samples = (
            usage.metric_series
            * (n_app + usage.staging_instances)
            * 86_400
            / usage.scrape_interval_s
        )
        add(
            "AmazonPrometheus",
            "MetricSamplesIngested",
            "RemoteWrite",
            "amp-shop",
            samples / 1e7,
            "10M samples",
            prices.MONITORING_USD["metric_samples_per_10_million"],
            "prod",
        )
        spans = grown.requests_per_day * usage.trace_sample_rate * usage.spans_per_trace
        add(
            "AWSXRay",
            "TracesRecorded",
            "PutTraceSegments",
            "xray-shop",
            spans / 1e6,
            "1M spans",
            prices.MONITORING_USD["trace_spans_per_million"],
            "prod",
        )
    return rows


def write_cur(rows: Iterable[dict[str, Any]], path: str | Path) -> Path:
    """Write line items as a CUR-style CSV (header of :data:`CUR_COLUMNS`)."""
    out = Path(path)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CUR_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in CUR_COLUMNS})
    return out


def read_cur(path: str | Path, columns: Sequence[str] = CUR_COLUMNS) -> list[dict[str, Any]]:
    """Read a CUR CSV (ours, or your own export: extra columns are ignored, missing ones
    are empty); usage amount, rate and cost become floats."""
    with Path(path).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {
            "lineItem/UsageStartDate",
            "lineItem/ProductCode",
            "lineItem/UnblendedCost",
        } - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path} is not a CUR export: no column {sorted(missing)}")
        rows = []
        for raw in reader:
            row: dict[str, Any] = {k: raw.get(k, "") or "" for k in columns}
            for k in _NUMERIC:
                row[k] = float(row[k] or 0.0)
            rows.append(row)
    return rows
