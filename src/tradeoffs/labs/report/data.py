"""A seeded order feed for the sales report: one row per order line, some replayed."""

from __future__ import annotations

import random
from typing import NamedTuple

REGIONS = ("north", "south", "east", "west", "online")


class Order(NamedTuple):
    """One order as the feed delivers it; prices in integer cents."""

    order_id: int
    customer_id: int
    region: str
    sku: str
    quantity: int
    unit_price_cents: int


def make_orders(
    n_orders: int = 4_000,
    n_customers: int = 400,
    duplicate_rate: float = 0.05,
    seed: int = 0,
) -> list[Order]:
    """`n_orders` distinct orders plus about `duplicate_rate` of them replayed by the feed
    (the same order delivered twice, at a random later position). Deterministic in `seed`.
    """
    if n_orders < 0 or n_customers < 1:
        raise ValueError(f"need n_orders >= 0 and n_customers >= 1, got {n_orders}, {n_customers}")
    if not 0 <= duplicate_rate <= 1:
        raise ValueError(f"duplicate_rate must be within [0, 1], got {duplicate_rate}")
    rng = random.Random(seed)
    ids = rng.sample(range(10_000_000, 99_999_999), n_orders)
    orders = [
        Order(
            order_id=order_id,
            customer_id=rng.randrange(n_customers),
            region=rng.choice(REGIONS),
            sku=f"SKU-{rng.randrange(5_000):05d}",
            quantity=rng.randint(1, 5),
            unit_price_cents=rng.randrange(199, 49_999),
        )
        for order_id in ids
    ]
    for _ in range(round(n_orders * duplicate_rate)):
        replay = orders[rng.randrange(len(orders))]
        orders.insert(rng.randrange(len(orders) + 1), replay)
    return orders
