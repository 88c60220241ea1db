"""A seeded shop: thousands of users, tens of thousands of orders and items.

Most users are light (a handful of orders); a few percent are heavy customers with a
long history, whose page is the slow one behind the p99. Order timestamps strictly
increase with the order id, so "most recent first" has no ties and every backend
returns the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine

from tradeoffs.labs.endpoint.schema import (
    AuditEntry,
    Order,
    OrderItem,
    Product,
    User,
    create_schema,
    drop_recent_orders_index,
)

__all__ = ["SeedSummary", "seed_database"]

START = datetime(2023, 1, 1)
STATUSES = ("placed", "paid", "shipped", "delivered", "returned")


@dataclass(frozen=True)
class SeedSummary:
    """What :func:`seed_database` wrote, and some users worth looking at."""

    n_users: int
    n_products: int
    n_orders: int
    n_items: int
    heavy_user_ids: tuple[int, ...]  # the long-history customers
    light_user_id: int  # a typical user
    empty_user_id: int  # a user with no orders
    bestseller_product_ids: tuple[int, ...] = ()  # the most sold products, most first
    rare_product_id: int | None = None  # a product sold a few times (1 to 3 items)
    unsold_product_id: int | None = None  # a product nobody bought, if there is one


def seed_database(
    engine: Engine,
    n_users: int = 2_000,
    *,
    heavy_fraction: float = 0.03,
    heavy_orders: tuple[int, int] = (110, 160),
    light_orders_mean: float = 6.0,
    items_per_order_mean: float = 3.5,
    n_products: int = 2_000,
    product_skew: float = 0.0,
    seed: int = 0,
) -> SeedSummary:
    """Drop and refill the shop's tables with seeded data (no recent-orders index).

    ``n_users`` is the size knob: orders scale with it (about 11 per user on average at
    the defaults, 4 items per order). A fraction ``heavy_fraction`` of users get between
    ``heavy_orders`` orders; the others a Poisson number with mean ``light_orders_mean``.
    Items pick their product uniformly (``product_skew=0``) or by a Zipf law of exponent
    ``product_skew`` over a seeded order of the products (a few bestsellers, many products
    rarely or never sold).
    """
    if n_users < 3:
        raise ValueError(f"n_users must be at least 3, got {n_users}")
    if not 0 <= heavy_fraction < 1:
        raise ValueError(f"heavy_fraction must be within [0, 1), got {heavy_fraction}")
    if product_skew < 0:
        raise ValueError(f"product_skew must be >= 0, got {product_skew}")
    if n_products < 1 or items_per_order_mean < 1 or light_orders_mean < 0:
        raise ValueError("n_products and items_per_order_mean must be >= 1, light_orders_mean >= 0")
    rng = np.random.default_rng(seed)
    create_schema(engine)
    drop_recent_orders_index(engine)

    user_ids = np.arange(1, n_users + 1)
    n_heavy = max(1, round(heavy_fraction * n_users)) if heavy_fraction > 0 else 0
    heavy = np.sort(rng.choice(user_ids[1:], size=n_heavy, replace=False))
    orders_per_user = rng.poisson(light_orders_mean, n_users)
    orders_per_user[0] = 0  # user 1 has never ordered
    for uid in heavy:
        orders_per_user[uid - 1] = rng.integers(heavy_orders[0], heavy_orders[1] + 1)

    # Orders in time order: shuffle who placed each one, give strictly increasing times.
    owners = np.repeat(user_ids, orders_per_user)
    rng.shuffle(owners)
    n_orders = owners.size
    gaps_s = rng.integers(1, 600, n_orders).cumsum()
    statuses = rng.integers(0, len(STATUSES), n_orders)
    items_per_order = 1 + rng.poisson(items_per_order_mean - 1, n_orders)
    n_items = int(items_per_order.sum())
    item_orders = np.repeat(np.arange(1, n_orders + 1), items_per_order)
    if product_skew > 0:
        weights = 1.0 / np.arange(1, n_products + 1) ** product_skew
        popular = rng.permutation(np.arange(1, n_products + 1))
        item_products = popular[rng.choice(n_products, n_items, p=weights / weights.sum())]
    else:
        item_products = rng.integers(1, n_products + 1, n_items)
    quantities = 1 + rng.poisson(0.4, n_items)
    prices = rng.integers(199, 19_999, n_products)

    with engine.begin() as conn:
        for table in (AuditEntry, OrderItem, Order, Product, User):
            conn.execute(delete(table))
        conn.execute(
            insert(User),
            [
                {"id": int(u), "name": f"User {u}", "email": f"user{u}@example.com"}
                for u in user_ids
            ],
        )
        conn.execute(
            insert(Product),
            [
                {"id": p + 1, "name": f"Product {p + 1}", "price_cents": int(prices[p])}
                for p in range(n_products)
            ],
        )
        conn.execute(
            insert(Order),
            [
                {
                    "id": i + 1,
                    "user_id": int(owners[i]),
                    "created_at": START + timedelta(seconds=int(gaps_s[i])),
                    "status": STATUSES[int(statuses[i])],
                }
                for i in range(n_orders)
            ],
        )
        conn.execute(
            insert(OrderItem),
            [
                {
                    "id": j + 1,
                    "order_id": int(item_orders[j]),
                    "product_id": int(item_products[j]),
                    "quantity": int(quantities[j]),
                    "unit_price_cents": int(prices[item_products[j] - 1]),
                }
                for j in range(n_items)
            ],
        )
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    light = [int(u) for u in user_ids if 3 <= orders_per_user[u - 1] <= 8]
    sold = np.bincount(item_products, minlength=n_products + 1)[1:]
    by_sales = np.argsort(-sold, kind="stable") + 1
    rare = [int(p) for p in range(1, n_products + 1) if 1 <= sold[p - 1] <= 3]
    unsold = [int(p) for p in range(1, n_products + 1) if sold[p - 1] == 0]
    return SeedSummary(
        n_users=int(n_users),
        n_products=int(n_products),
        n_orders=int(n_orders),
        n_items=n_items,
        heavy_user_ids=tuple(int(u) for u in heavy),
        light_user_id=light[0] if light else 2,
        empty_user_id=1,
        bestseller_product_ids=tuple(int(p) for p in by_sales[:3]),
        rare_product_id=rare[0] if rare else None,
        unsold_product_id=unsold[0] if unsold else None,
    )
