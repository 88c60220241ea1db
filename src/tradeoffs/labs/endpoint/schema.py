"""The shop's tables: users, products, orders, order items, and an audit log.

The baseline schema deliberately has no index on ``orders(user_id, created_at)``:
finding a user's recent orders scans the whole table. :func:`create_recent_orders_index`
adds the index the lesson's fix needs, :func:`drop_recent_orders_index` removes it again.
Relationships use SQLAlchemy's default lazy loading, which is what makes the baseline
issue one query per order and per product (N+1).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "RECENT_ORDERS_INDEX",
    "AuditEntry",
    "Base",
    "Order",
    "OrderItem",
    "Product",
    "User",
    "create_recent_orders_index",
    "create_schema",
    "drop_recent_orders_index",
    "has_recent_orders_index",
]

RECENT_ORDERS_INDEX = "ix_orders_user_created"


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))
    orders: Mapped[list[Order]] = relationship(back_populates="user", order_by="Order.id")


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    price_cents: Mapped[int] = mapped_column(Integer)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No index=True here: the baseline's missing index (see create_recent_orders_index).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))
    user: Mapped[User] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(back_populates="order", order_by="OrderItem.id")


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    order: Mapped[Order] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()


class AuditEntry(Base):
    """One row per served request when the app's audit side task is on."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


def create_schema(engine: Engine) -> None:
    """Create every table (idempotent), without the recent-orders index."""
    Base.metadata.create_all(engine)


def create_recent_orders_index(engine: Engine) -> None:
    """Add the composite index on ``orders(user_id, created_at)`` (no-op if present)."""
    # Plain DDL: an sqlalchemy.Index object would attach itself to the table's metadata,
    # and every later create_all would build it too. The name is a module constant (an
    # identifier cannot be a bound parameter); no value from outside reaches this text.
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {RECENT_ORDERS_INDEX} ON orders (user_id, created_at)"
        )
    _analyze(engine)


def drop_recent_orders_index(engine: Engine) -> None:
    """Remove the composite index again (no-op if absent): back to the baseline."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {RECENT_ORDERS_INDEX}")
    _analyze(engine)


def has_recent_orders_index(engine: Engine) -> bool:
    """Whether ``orders`` has the composite index."""
    return any(ix["name"] == RECENT_ORDERS_INDEX for ix in inspect(engine).get_indexes("orders"))


def _analyze(engine: Engine) -> None:
    # Fresh planner statistics, so that the plan reflects the data and the indexes.
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
