"""What each extra nine costs, against what unavailability costs the business.

The conversation product, engineering and finance have about an SLO target, in numbers:
each way of deploying the service buys an availability (an assumption from its design:
how many zones or regions a failure must take out) at a monthly price from the price book;
the business loses ``downtime_cost_usd_per_min`` for every minute the service is down.
The right target is where the next nine costs more than the downtime it saves, which is
rarely 100%: past the point where users' own networks and devices fail more often than
the service, a nine nobody notices is money spent for nothing.

The availabilities are illustrative design assumptions (a zone-redundant design is not
guaranteed 99.95%); the prices come from :mod:`tradeoffs.prices`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tradeoffs import prices

__all__ = ["DEPLOYMENTS", "Deployment", "NinesRow", "nines", "nines_table"]


def nines(availability: float) -> float:
    """The number of nines: 0.999 -> 3.0, 0.9995 -> 3.3."""
    if not 0 < availability < 1:
        raise ValueError(f"availability must be in (0, 1), got {availability!r}")
    return -math.log10(1.0 - availability)


@dataclass(frozen=True)
class Deployment:
    """A way to run the shop's service: app machines per region, the database, regions."""

    name: str
    availability: float
    app_instances: int
    regions: int = 1
    database: str = "db.large"
    db_standby: bool = False
    load_balancer: bool = False
    instance: str = "general.large"
    replication_gb_per_month: float = 0.0

    def monthly_cost_usd(self) -> float:
        hours = prices.HOURS_PER_MONTH
        app = self.app_instances * prices.INSTANCES[self.instance].cost_usd_per_hour
        db = prices.DATABASES[self.database].cost_usd_per_hour * (2 if self.db_standby else 1)
        lb = prices.LOAD_BALANCER_USD_PER_HOUR if self.load_balancer else 0.0
        per_region = (app + db + lb) * hours
        return (
            self.regions * per_region
            + self.replication_gb_per_month * prices.CROSS_REGION_USD_PER_GB
        )


DEPLOYMENTS = (
    Deployment("1 machine, 1 zone", 0.995, app_instances=1),
    Deployment("2 machines, 2 zones, load balancer", 0.999, app_instances=2, load_balancer=True),
    Deployment(
        "3 zones, database standby", 0.9995, app_instances=3, db_standby=True, load_balancer=True
    ),
    Deployment(
        "2 regions, active-active",
        0.9999,
        app_instances=3,
        regions=2,
        db_standby=True,
        load_balancer=True,
        replication_gb_per_month=2_000,
    ),
)


@dataclass(frozen=True)
class NinesRow:
    deployment: Deployment
    infra_usd_per_month: float
    downtime_min_per_month: float
    downtime_usd_per_month: float

    @property
    def total_usd_per_month(self) -> float:
        return self.infra_usd_per_month + self.downtime_usd_per_month


def nines_table(
    downtime_cost_usd_per_min: float, deployments: Sequence[Deployment] = DEPLOYMENTS
) -> list[NinesRow]:
    """Per deployment: infrastructure cost, expected downtime minutes in a 30-day month
    (``(1 - availability) * 43,200``) and their cost to the business."""
    if downtime_cost_usd_per_min < 0:
        raise ValueError("downtime_cost_usd_per_min must be >= 0")
    rows = []
    for d in deployments:
        down = (1.0 - d.availability) * 30 * 24 * 60
        rows.append(NinesRow(d, d.monthly_cost_usd(), down, down * downtime_cost_usd_per_min))
    return rows
