"""The endpoint lab against real PostgreSQL and Redis servers (see tests/servers.py)."""

from __future__ import annotations

import uuid

import httpx
from servers import postgres_server_url, postgres_url, redis_url  # noqa: F401  (fixtures)
from sqlalchemy.orm import Session

from tradeoffs.caching import MISS
from tradeoffs.labs.endpoint import (
    AppConfig,
    QueryLog,
    baseline_user_json,
    create_app,
    create_recent_orders_index,
    explain,
    make_engine,
    optimized_user_json,
    recent_orders_stmt,
    redis_backend,
    response_cache,
    seed_database,
    serve,
)


def test_postgres_handlers_plans_and_query_counts(postgres_url: str) -> None:  # noqa: F811
    engine = make_engine(postgres_url)
    assert engine.round_trip is None  # real round trips, no model
    shop = seed_database(engine, 200, seed=4)
    heavy = shop.heavy_user_ids[0]
    with QueryLog(engine) as log:
        with Session(engine) as session:
            slow = baseline_user_json(session, heavy)
        slow_queries = log.total
        log.reset()
        with Session(engine) as session:
            fast = optimized_user_json(session, heavy)
        assert log.total == 4
    assert slow == fast and slow_queries > 100
    stmt = recent_orders_stmt(heavy)
    before = " ".join(explain(engine, stmt))
    assert "Seq Scan on orders" in before
    create_recent_orders_index(engine)
    with engine.begin() as conn:  # small table: make the planner prefer any usable index
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = [
            r[0]
            for r in conn.exec_driver_sql(
                "EXPLAIN "
                + str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            )
        ]
    assert "ix_orders_user_created" in " ".join(plan)
    engine.dispose()


def test_redis_cache_ttl_and_app_invalidation(redis_url: str, tmp_path) -> None:  # noqa: F811
    prefix = f"test:{uuid.uuid4().hex}:"
    backend = redis_backend(redis_url, 60, prefix=prefix)
    values = iter([b"v1", b"v2", b"v3"])
    cache = response_cache(backend, lambda uid: next(values))
    assert cache.get("user:1") == b"v1"
    assert cache.get("user:1") == b"v1"
    cache.invalidate("user:1")
    assert cache.get("user:1") == b"v2"
    assert (cache.stats.hits, cache.stats.misses) == (1, 2)
    assert 0 < backend.client.pttl(prefix + "user:1") <= 60_000
    short = redis_backend(redis_url, 0.05, prefix=prefix)
    short.set("short", b"x")
    assert short.client.pttl(prefix + "short") <= 50
    backend.clear()
    assert backend.get("user:1") is MISS

    from tradeoffs.labs.endpoint import sqlite_url

    url = sqlite_url(tmp_path / "shop.db")
    shop = seed_database(make_engine(url, round_trip_ms=0), 100, seed=1)
    engine = make_engine(url, round_trip_ms=0)
    config = AppConfig(mode="optimized", cache="redis", redis_url=redis_url, redis_prefix=prefix)
    app = create_app(engine, config)
    uid = shop.light_user_id
    with serve(app) as server, httpx.Client(base_url=server.url) as client:
        assert client.get(f"/users/{uid}").status_code == 200
        assert client.get(f"/users/{uid}").status_code == 200
        assert client.patch(f"/users/{uid}", json={"email": "r@x.org"}).status_code == 200
        assert client.get(f"/users/{uid}").json()["email"] == "r@x.org"
        stats = client.get("/stats").json()["cache"]
        assert (stats["hits"], stats["misses"], stats["refused"]) == (1, 2, 0)
    app.state.lab.cache.clear()
    app.state.lab.close()


def test_redis_audit_queue_outlives_the_request(redis_url: str, tmp_path) -> None:  # noqa: F811
    from tradeoffs.labs.endpoint import sqlite_url

    url = sqlite_url(tmp_path / "shop.db")
    shop = seed_database(make_engine(url, round_trip_ms=0), 100, seed=1)
    engine = make_engine(url, round_trip_ms=0)
    prefix = f"test:{uuid.uuid4().hex}:"
    config = AppConfig(
        mode="optimized", audit="queue", audit_queue="redis", redis_url=redis_url,
        redis_prefix=prefix,
    )  # fmt: skip
    app = create_app(engine, config)
    with serve(app) as server, httpx.Client(base_url=server.url) as client:
        for _ in range(10):
            assert client.get(f"/users/{shop.light_user_id}").status_code == 200
    app.state.lab.close()
    snap = app.state.lab.audit_queue.snapshot()
    assert snap["transport"] == "redis" and snap["rows"] == 10 and not snap["errors"]
    assert app.state.lab.audit_queue.pending() == 0
