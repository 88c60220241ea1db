"""A job that allocates containers which point at each other: what the garbage collector
scans.

:func:`customer_graph` links every order to its customer and back (dicts and lists holding
references in both directions, as an ORM session's objects do). CPython frees most objects
by reference counting the moment they are no longer used; the cyclic garbage collector
only has to look at *container* objects that are still alive, and it runs more often the
more of them a job creates. A job like this one pays for those collections; a job that
builds dicts of plain numbers and strings (the report's ``enrich_orders``) barely does,
because CPython does not track such dicts at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tradeoffs.labs.report.data import Order

__all__ = ["customer_graph"]


def customer_graph(orders: Sequence[Order]) -> int:
    """Link each order to its customer and each customer to its orders; return how many
    links were made (the graph itself is dropped on return)."""
    customers: dict[int, dict[str, Any]] = {}
    links = 0
    for order in orders:
        customer = customers.setdefault(order.customer_id, {"id": order.customer_id, "orders": []})
        record = {"order_id": order.order_id, "customer": customer, "lines": [order]}
        customer["orders"].append(record)
        links += 2
    return links
