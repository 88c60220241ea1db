"""The sales report as first written: correct, readable, and slow on a big feed.

Two steps cost more than they should: :func:`dedupe_orders` checks membership in a list
(a scan per order, so quadratic in the feed's size), and :func:`enrich_orders` builds a
dict for every order and keeps all of them alive until the report is done.

:func:`dedupe_orders` carries line_profiler's ``@profile``: a no-op unless the program runs
with ``LINE_PROFILE=1`` in the environment, in which case the line-by-line timings are
printed and written to ``profile_output.txt`` when the program exits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from line_profiler import profile

from tradeoffs.labs.report.data import Order

TOP_K = 10


@profile
def dedupe_orders(orders: Sequence[Order]) -> list[Order]:
    """Orders in feed order, keeping the first delivery of each order id."""
    seen = []
    unique = []
    for order in orders:
        if order.order_id not in seen:
            seen.append(order.order_id)
            unique.append(order)
    return unique


def enrich_orders(orders: Sequence[Order]) -> list[dict[str, Any]]:
    """One dict per order with its revenue and its CSV line."""
    rows = []
    for order in orders:
        row = order._asdict()
        row["revenue_cents"] = order.quantity * order.unit_price_cents
        row["csv_line"] = csv_line(order)
        rows.append(row)
    return rows


def csv_line(order: Order) -> str:
    """The order as one CSV line (with its newline), as the finance export wants it."""
    revenue_cents = order.quantity * order.unit_price_cents
    return (
        f"{order.order_id},{order.customer_id},{order.region},{order.sku},"
        f"{order.quantity},{order.unit_price_cents},{revenue_cents}\n"
    )


def customer_totals(rows: Sequence[dict[str, Any]]) -> dict[int, int]:
    """Revenue in cents per customer id."""
    totals: dict[int, int] = {}
    for row in rows:
        totals[row["customer_id"]] = totals.get(row["customer_id"], 0) + row["revenue_cents"]
    return totals


def region_totals(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Revenue in cents per region, regions in alphabetical order."""
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["region"]] = totals.get(row["region"], 0) + row["revenue_cents"]
    return dict(sorted(totals.items()))


def top_customers(totals: dict[int, int], k: int = TOP_K) -> list[tuple[int, int]]:
    """The `k` customers with the most revenue, as (customer id, cents), ties by id."""
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:k]


def render_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The whole export as one string."""
    return "".join([row["csv_line"] for row in rows])


def build_report(orders: Sequence[Order]) -> dict[str, Any]:
    """The nightly report: order count, revenue (cents), revenue by region, the top
    customers, and the SHA-256 of the CSV export (what finance reconciles against)."""
    unique = dedupe_orders(orders)
    rows = enrich_orders(unique)
    by_customer = customer_totals(rows)
    export = render_csv(rows)
    return {
        "orders": len(rows),
        "revenue_cents": sum(row["revenue_cents"] for row in rows),
        "by_region": region_totals(rows),
        "top_customers": top_customers(by_customer),
        "csv_sha256": hashlib.sha256(export.encode()).hexdigest(),
    }
