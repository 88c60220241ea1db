"""The slow REST endpoint lab (units 04 and 05): ``GET /users/{id}`` with N+1 queries, fixed.

Modules: :mod:`.schema` (tables, the missing index), :mod:`.db` (engines with a modelled
network round trip, query counting, query plans), :mod:`.seed` (seeded data),
:mod:`.handlers` (baseline, optimised and JOIN-loading handlers), :mod:`.cache`
(cache-aside on the course's caches, in-process or Redis, with leases and single flight),
:mod:`.races` (the invalidation race and the stampede, made to happen), :mod:`.tasks` (a
task queue for side work), :mod:`.app` (the FastAPI service), :mod:`.server`
(uvicorn on loopback),
:mod:`.load` (load tests per stage, closed loop with Locust or open loop with k6, and
tables), :mod:`.k6` (k6's constant-arrival-rate executor), :mod:`.capacity` (step the
offered rate until the p99 breaks: the knee), :mod:`.summary` (percentiles with a p99
interval), :mod:`.observability` (Prometheus metrics, a real Prometheus server, OpenTelemetry
traces; unit 04), :mod:`.exercise` (fixtures for graded cells), :mod:`.cli`
(``tradeoffs lab endpoint ...``). The Locust user lives in ``locustfile.py`` and is only
ever loaded by Locust itself, in a subprocess.
"""

from tradeoffs.labs.endpoint.app import AppConfig, create_app
from tradeoffs.labs.endpoint.cache import (
    FakeClock,
    memory_backend,
    redis_backend,
    response_cache,
)
from tradeoffs.labs.endpoint.db import QueryLog, explain, make_engine, sqlite_url
from tradeoffs.labs.endpoint.handlers import (
    RECENT_ORDERS,
    baseline_user_json,
    joined_user_json,
    optimized_user_json,
    recent_orders_stmt,
    update_email,
    user_json,
)
from tradeoffs.labs.endpoint.schema import (
    Order,
    OrderItem,
    Product,
    User,
    create_recent_orders_index,
    drop_recent_orders_index,
    has_recent_orders_index,
)
from tradeoffs.labs.endpoint.seed import SeedSummary, seed_database
from tradeoffs.labs.endpoint.server import ServerThread, serve

__all__ = [
    "RECENT_ORDERS",
    "AppConfig",
    "FakeClock",
    "Order",
    "OrderItem",
    "Product",
    "QueryLog",
    "SeedSummary",
    "ServerThread",
    "User",
    "baseline_user_json",
    "create_app",
    "create_recent_orders_index",
    "drop_recent_orders_index",
    "explain",
    "has_recent_orders_index",
    "joined_user_json",
    "make_engine",
    "memory_backend",
    "optimized_user_json",
    "recent_orders_stmt",
    "redis_backend",
    "response_cache",
    "seed_database",
    "serve",
    "sqlite_url",
    "update_email",
    "user_json",
]
