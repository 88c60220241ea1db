"""The endpoint's handlers: the slow baseline, the optimised version, and the write path.

The product page (``GET /products/{id}``, the graded exercise's endpoint) has a baseline
of its own: the product and its RECENT_SALES most recent sales, each with its order's date
and status and the buyer's name, read through lazy many-to-one loads (one query per order,
one per buyer not yet in the session).

The user handlers return the same JSON-ready dict for ``GET /users/{id}`` (the user and their
RECENT_ORDERS most recent orders, each with its items and product names), or None for an
unknown user. The baseline lets serialisation trigger lazy loads: one query for the
orders, then one per order (its items) and one per product not yet in the session (N+1).
The optimised handler loads the same graph in 4 queries with ``selectinload``; the
JOIN-loading handler in 2 with ``joinedload`` (one query for the user, one for orders,
items and products joined), at the price of repeating each order's columns on every item
row (the row explosion, measured by :func:`joined_rows`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from tradeoffs.labs.endpoint.schema import Order, OrderItem, Product, User

__all__ = [
    "RECENT_ORDERS",
    "RECENT_SALES",
    "baseline_product_json",
    "product_json",
    "recent_sales_stmt",
    "baseline_user_json",
    "joined_orders_stmt",
    "joined_rows",
    "joined_user_json",
    "optimized_user_json",
    "recent_orders_stmt",
    "update_email",
    "user_json",
]

RECENT_ORDERS = 100
RECENT_SALES = 50


def recent_orders_stmt(user_id: int, limit: int = RECENT_ORDERS) -> Select[Order]:
    """``SELECT`` of the user's ``limit`` most recent orders, newest first."""
    return (
        select(Order).where(Order.user_id == user_id).order_by(Order.created_at.desc()).limit(limit)
    )


def user_json(user: User, orders: list[Order]) -> dict[str, Any]:
    """The response body: plain dicts, lists, ints and strings (amounts in cents).

    It reads ``order.items`` and ``item.product``: with lazy loading, each read that is not
    loaded yet is one more query.
    """
    out_orders = []
    for order in orders:
        items: list[dict[str, Any]] = [
            {
                "product_id": item.product_id,
                "product": item.product.name,
                "quantity": item.quantity,
                "unit_price_cents": item.unit_price_cents,
            }
            for item in order.items
        ]
        out_orders.append(
            {
                "id": order.id,
                "created_at": order.created_at.isoformat(),
                "status": order.status,
                "total_cents": sum(i.quantity * i.unit_price_cents for i in order.items),
                "items": items,
            }
        )
    return {"id": user.id, "name": user.name, "email": user.email, "orders": out_orders}


def baseline_user_json(session: Session, user_id: int) -> dict[str, Any] | None:
    """The slow handler: lazy loads during serialisation (2 + orders + products queries)."""
    user = session.get(User, user_id)
    if user is None:
        return None
    orders = list(session.scalars(recent_orders_stmt(user_id)))
    return user_json(user, orders)


def optimized_user_json(session: Session, user_id: int) -> dict[str, Any] | None:
    """The fast handler: the same JSON in at most 4 queries (user, orders, items, products)."""
    user = session.get(User, user_id)
    if user is None:
        return None
    stmt = recent_orders_stmt(user_id).options(
        selectinload(Order.items).selectinload(OrderItem.product)
    )
    return user_json(user, list(session.scalars(stmt)))


def joined_orders_stmt(user_id: int) -> Select[Order]:
    """The recent orders with their items and products in one statement (LEFT OUTER JOINs;
    SQLAlchemy applies the LIMIT to the orders in a subquery, not to the joined rows)."""
    return recent_orders_stmt(user_id).options(
        joinedload(Order.items).joinedload(OrderItem.product)
    )


def joined_user_json(session: Session, user_id: int) -> dict[str, Any] | None:
    """The same JSON as the other handlers in 2 queries (user; orders JOIN items JOIN
    products). ``unique()`` folds the repeated order rows back into one object each."""
    user = session.get(User, user_id)
    if user is None:
        return None
    return user_json(user, list(session.scalars(joined_orders_stmt(user_id)).unique()))


def joined_rows(session: Session, user_id: int) -> tuple[int, int]:
    """(rows, columns) that the JOIN query sends back for ``user_id``: one row per item, each
    repeating its order's columns (run on the session's connection, results discarded)."""
    result = session.connection().execute(joined_orders_stmt(user_id))
    rows = result.fetchall()
    return len(rows), len(result.keys())


def update_email(session: Session, user_id: int, email: str) -> bool:
    """Set a user's email and commit; False if there is no such user."""
    if not isinstance(email, str) or "@" not in email:
        raise ValueError(f"not an email address: {email!r}")
    user = session.get(User, user_id)
    if user is None:
        return False
    user.email = email
    session.commit()
    return True


def recent_sales_stmt(product_id: int, limit: int = RECENT_SALES) -> Select[OrderItem]:
    """``SELECT`` of the product's ``limit`` most recent order items (item ids grow with
    time), newest first."""
    return (
        select(OrderItem)
        .where(OrderItem.product_id == product_id)
        .order_by(OrderItem.id.desc())
        .limit(limit)
    )


def product_json(product: Product, items: list[OrderItem]) -> dict[str, Any]:
    """The product page's body. It reads ``item.order`` and ``item.order.user``: with lazy
    loading, each one not loaded yet is one more query."""
    return {
        "id": product.id,
        "name": product.name,
        "price_cents": product.price_cents,
        "sales": [
            {
                "order_id": item.order_id,
                "ordered_at": item.order.created_at.isoformat(),
                "status": item.order.status,
                "buyer": item.order.user.name,
                "quantity": item.quantity,
            }
            for item in items
        ],
    }


def baseline_product_json(session: Session, product_id: int) -> dict[str, Any] | None:
    """The product page as first written (None for an unknown product)."""
    product = session.get(Product, product_id)
    if product is None:
        return None
    return product_json(product, list(session.scalars(recent_sales_stmt(product_id))))
