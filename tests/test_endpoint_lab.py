"""Unit tests of the endpoint lab (tradeoffs.labs.endpoint) on embedded SQLite."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from tradeoffs.caching import MISS
from tradeoffs.labs.endpoint import (
    AppConfig,
    FakeClock,
    QueryLog,
    baseline_user_json,
    create_app,
    create_recent_orders_index,
    drop_recent_orders_index,
    exercise,
    explain,
    has_recent_orders_index,
    joined_user_json,
    make_engine,
    memory_backend,
    optimized_user_json,
    recent_orders_stmt,
    response_cache,
    seed_database,
    serve,
    sqlite_url,
    update_email,
)
from tradeoffs.labs.endpoint.cli import add_cli
from tradeoffs.labs.endpoint.handlers import joined_rows
from tradeoffs.labs.endpoint.load import parse_locust_stats, request_trace, results_table
from tradeoffs.labs.endpoint.loading import compare_loading, loading_table
from tradeoffs.labs.endpoint.races import invalidation_race, stampede
from tradeoffs.labs.endpoint.tasks import AuditQueue


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("shop") / "shop.db"
    summary = seed_database(make_engine(sqlite_url(path), round_trip_ms=0), 300, seed=1)
    return path, summary


def test_seed_is_seeded_and_sized(tmp_path: Path) -> None:
    a = seed_database(make_engine(sqlite_url(tmp_path / "a.db"), round_trip_ms=0), 200, seed=3)
    b = seed_database(make_engine(sqlite_url(tmp_path / "b.db"), round_trip_ms=0), 200, seed=3)
    assert a == b
    assert a.n_users == 200 and len(a.heavy_user_ids) == 6
    assert 1_000 < a.n_orders < 3_500 and a.n_items > 2 * a.n_orders
    with pytest.raises(ValueError, match="n_users"):
        seed_database(make_engine(sqlite_url(tmp_path / "c.db")), 1)


def test_baseline_is_n_plus_1_and_optimized_is_identical_in_4_queries(shop) -> None:
    path, summary = shop
    engine = make_engine(sqlite_url(path), round_trip_ms=0)
    heavy = summary.heavy_user_ids[0]
    with QueryLog(engine) as log:
        counts = {}
        bodies = {}
        for fn in (baseline_user_json, optimized_user_json):
            log.reset()
            with Session(engine) as session:
                bodies[fn.__name__] = fn(session, heavy)
            counts[fn.__name__] = log.total
    assert bodies["baseline_user_json"] == bodies["optimized_user_json"]
    body = bodies["baseline_user_json"]
    assert len(body["orders"]) == 100
    stamps = [o["created_at"] for o in body["orders"]]
    assert stamps == sorted(stamps, reverse=True)
    assert counts["optimized_user_json"] == 4
    n_products = len({i["product_id"] for o in body["orders"] for i in o["items"]})
    assert counts["baseline_user_json"] == 2 + 100 + n_products
    with Session(engine) as session:
        assert optimized_user_json(session, 10**6) is None
        assert optimized_user_json(session, summary.empty_user_id)["orders"] == []
        json.dumps(baseline_user_json(session, summary.light_user_id))


def test_round_trip_model_adds_delay_per_query(shop) -> None:
    path, _ = shop
    engine = make_engine(sqlite_url(path), round_trip_ms=2.0, jitter_ms=0.0)
    assert engine.round_trip is not None
    assert engine.round_trip.delay_ms() == 2.0
    assert make_engine(sqlite_url(path), round_trip_ms=0).round_trip is None
    with pytest.raises(ValueError, match="in-memory"):
        make_engine("sqlite://")
    with pytest.raises(ValueError, match="pool_size"):
        make_engine(sqlite_url(path), pool_size=0)


def test_index_changes_the_plan(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "s.db"), round_trip_ms=0)
    seed_database(engine, 50)
    stmt = recent_orders_stmt(3)
    assert not has_recent_orders_index(engine)
    assert exercise.plan_uses_index(explain(engine, stmt)) is False
    assert "SCAN orders" in explain(engine, stmt)
    create_recent_orders_index(engine)
    create_recent_orders_index(engine)  # idempotent
    assert has_recent_orders_index(engine)
    assert exercise.plan_uses_index(explain(engine, stmt))
    drop_recent_orders_index(engine)
    assert not has_recent_orders_index(engine)
    seed_database(engine, 50)  # re-seeding after an index existed works


def test_memory_cache_ttl_and_cache_aside() -> None:
    clock = FakeClock(0)
    backend = memory_backend(10, max_entries=2, clock=clock)
    loads = []

    def load(uid: int) -> bytes | None:
        if uid == 0:
            return None
        loads.append(uid)
        return b"v%d" % len(loads)

    cache = response_cache(backend, load)
    assert cache.get("user:1") == b"v1"
    clock.advance(9.9)
    assert cache.get("user:1") == b"v1"
    clock.advance(0.1)  # exactly stored_at + ttl: expired
    assert cache.get("user:1") == b"v2"
    cache.invalidate("user:1")
    assert cache.get("user:1") == b"v3"
    assert (cache.stats.hits, cache.stats.misses) == (1, 3)
    assert cache.get("user:0") is None
    assert backend.get("user:0") is MISS  # a None is not cached
    cache.get("user:2")
    cache.get("user:3")
    assert len(backend) == 2  # bounded: the least recently used user was evicted
    with pytest.raises(ValueError, match="ttl_s"):
        memory_backend(0)
    with pytest.raises(ValueError, match="cache_max_entries"):
        AppConfig(cache="memory", cache_max_entries=0)
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_reference_cache_replay_is_exact() -> None:
    trace = [(0.0, 1), (5.0, 1), (10.0, 1), (10.0, 2), (19.0, 1), (20.0, 1)]
    out = exercise.replay_cache_trace(exercise.ReferenceCache, trace, 10.0)
    # loads at 0 (1), 10 (1: expired exactly at 0 + 10), 10 (2), 20 (1)
    assert out == {"misses": 4, "hits": 2, "served": [1, 1, 2, 3, 2, 4]}


def test_exercise_database_counts_statements_it_serves_and_catches_mistakes(shop) -> None:
    with exercise.ExerciseDatabase(seed=5) as db:
        heavy = db.summary.heavy_user_ids[0]
        session = exercise.remote_session(db.serve)
        db.statements = 0
        assert optimized_user_json(session, heavy) == db.expected_json(heavy)
        assert db.statements <= 4
        db.statements = 0
        baseline_user_json(exercise.remote_session(db.serve), heavy)
        assert db.statements > 100
        assert not exercise.plan_uses_index(db.recent_orders_plan(heavy))
        create_recent_orders_index(exercise.remote_engine(db.serve))
        assert exercise.plan_uses_index(db.recent_orders_plan(heavy))

    def update(session, cache, uid, email):
        update_email(session, uid, email)
        cache.invalidate(uid)

    def update_early(session, cache, uid, email):
        cache.invalidate(uid)
        update_email(session, uid, email)

    with exercise.ExerciseDatabase(seed=5) as db:
        good = exercise.write_path(update, db, exercise.remote_session(db.serve))
    assert good["served_email"] == good["new_email"] == good["db_email"]
    assert good["loads"] == [good["a"], good["b"], good["a"]]
    with exercise.ExerciseDatabase(seed=5) as db:
        bad = exercise.write_path(update_early, db, exercise.remote_session(db.serve))
    assert bad["served_email"] != bad["new_email"]
    engine = make_engine(sqlite_url(shop[0]), round_trip_ms=0)
    with Session(engine) as session, pytest.raises(ValueError, match="email"):
        update_email(session, 2, "nope")
    engine.dispose()


def test_app_serves_errors_writes_and_stats(shop) -> None:
    path, summary = shop
    engine = make_engine(sqlite_url(path), round_trip_ms=0)
    app = create_app(engine, AppConfig(mode="optimized", cache="memory", audit="background"))
    uid = summary.light_user_id
    with serve(app) as server, httpx.Client(base_url=server.url) as client:
        first = client.get(f"/users/{uid}")
        assert first.status_code == 200 and first.json()["id"] == uid
        assert client.get(f"/users/{uid}").json() == first.json()  # from the cache
        assert client.get("/users/abc").status_code == 422
        assert client.get("/users/0").status_code == 422
        assert client.get(f"/users/{2**40}").status_code == 422
        assert client.get("/users/999999").status_code == 404
        assert client.patch(f"/users/{uid}", json={"email": "bad"}).status_code == 422
        assert client.patch("/users/999999", json={"email": "a@b.c"}).status_code == 404
        assert client.patch(f"/users/{uid}", json={"email": "new@x.org"}).status_code == 200
        assert client.get(f"/users/{uid}").json()["email"] == "new@x.org"  # invalidated
        app.state.lab.wait_idle()
        stats = client.get("/stats").json()
        assert stats["cache"] == {
            "hits": 1, "misses": 3, "loads": 3, "coalesced": 0, "refused": 0
        }  # fmt: skip
        assert stats["queries_per_request"][:2] == [4, 0]
        assert client.post("/stats/reset").status_code == 200
        assert client.get("/stats").json()["requests"] == 0
    app.state.lab.queries.close()
    with pytest.raises(ValueError, match="redis_url"):
        AppConfig(cache="redis")
    with pytest.raises(ValueError, match="mode"):
        AppConfig(mode="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="audit_queue"):
        AppConfig(audit="queue", audit_queue="redis")


def test_joined_loading_is_identical_in_2_queries_and_repeats_order_columns(shop) -> None:
    path, summary = shop
    engine = make_engine(sqlite_url(path), round_trip_ms=0)
    heavy = summary.heavy_user_ids[0]
    with QueryLog(engine) as log:
        with Session(engine) as s1, Session(engine) as s2:
            log.reset()
            joined = joined_user_json(s1, heavy)
            assert log.total == 2
            assert joined == optimized_user_json(s2, heavy)
        with Session(engine) as session:
            rows, columns = joined_rows(session, heavy)
            assert joined_user_json(session, 10**6) is None
    n_items = sum(len(o["items"]) for o in joined["orders"])
    assert rows == n_items > len(joined["orders"]) and columns == 12  # one row per item


def test_compare_loading_counts_queries_rows_and_values(shop) -> None:
    path, summary = shop
    rows = compare_loading(sqlite_url(path), summary.heavy_user_ids[0], repeats=2)
    by = {(r.strategy, r.round_trip_ms): r for r in rows}
    assert set(by) == {(s, rt) for s in ("selectinload", "joinedload") for rt in (0.0, 3.0)}
    sel, join = by["selectinload", 3.0], by["joinedload", 3.0]
    assert (sel.queries, join.queries) == (4, 2)
    assert join.rows < sel.rows and join.cells > sel.cells  # fewer rows, each one wider
    assert sel.median_ms >= 4 * 3 and join.median_ms >= 2 * 3  # a sleep per round trip
    assert "joinedload" in loading_table(rows)
    with pytest.raises(ValueError, match="no user"):
        compare_loading(sqlite_url(path), 10**6, round_trips_ms=(0.0,), repeats=1)


def test_invalidation_race_happens_without_leases_and_not_with_them(shop) -> None:
    """The race that commit-then-delete leaves open, made to happen deterministically: a
    reader that loaded the old row stores it after the write's delete."""
    path, summary = shop
    engine = make_engine(sqlite_url(path), round_trip_ms=0)
    uid = summary.heavy_user_ids[2]
    plain = invalidation_race(engine, uid, leases=False)
    assert plain.db_email == plain.new_email != plain.old_email
    assert plain.racing_reader_got == plain.old_email  # it read before the commit
    assert plain.next_read_got == plain.old_email and plain.stale  # ... and stored it after
    assert plain.refused_stores == 0
    leased = invalidation_race(engine, uid, leases=True)
    assert leased.racing_reader_got == leased.old_email == plain.new_email
    assert leased.next_read_got == leased.new_email == leased.db_email and not leased.stale
    assert leased.refused_stores == 1


def test_single_flight_turns_a_stampede_into_one_load(shop) -> None:
    path, summary = shop
    # A load takes 4 round trips of 25 ms: the barrier releases all 12 requests well inside
    # it, so without single flight (almost) every one of them misses and loads. How many
    # exactly is up to the scheduler; a stampede is many.
    engine = make_engine(sqlite_url(path), round_trip_ms=25.0, jitter_ms=0.0)
    herd = stampede(engine, summary.heavy_user_ids[0], coalesce=False, clients=12)
    calm = stampede(engine, summary.heavy_user_ids[0], coalesce=True, clients=12)
    assert herd.loads >= 6 and herd.statements == 4 * herd.loads and herd.all_same, herd
    assert calm.loads == 1 and calm.statements == 4 and calm.all_same
    assert calm.coalesced >= 1


def test_audit_queue_writes_batches_off_the_request_path(shop) -> None:
    path, summary = shop
    engine = make_engine(sqlite_url(path), round_trip_ms=0)
    app = create_app(engine, AppConfig(mode="optimized", audit="queue"))
    state = app.state.lab
    with serve(app) as server, httpx.Client(base_url=server.url) as client:
        for _ in range(25):
            assert client.get(f"/users/{summary.light_user_id}").status_code == 200
        state.wait_idle()
        served = client.get("/stats").json()["queries_per_request"]
    state.close()  # drains the queue
    snap = state.audit_queue.snapshot()
    assert served == [4] * 25  # no audit statement on the request path
    assert snap["rows"] == 25 and 1 <= snap["batches"] < 25 and not snap["errors"]
    assert len(snap["lag_ms"]) == 25 and min(snap["lag_ms"]) >= 0
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM audit_log").scalar_one() >= 25
    with pytest.raises(ValueError, match="batch_max"):
        AuditQueue(lambda: Session(engine), batch_max=0)


def test_request_trace_is_seeded_and_mixes_heavy_and_bad_requests() -> None:
    heavy = list(range(1, 11))
    trace = request_trace(1_000, 5_000, heavy_user_ids=heavy, bad_fraction=0.02, seed=4)
    assert trace == request_trace(1_000, 5_000, heavy_user_ids=heavy, bad_fraction=0.02, seed=4)
    good = [int(p.rsplit("/", 1)[1]) for p, code, _ in trace if code == 200]
    heavy_share = sum(u <= 10 for u in good) / len(trace)
    assert 0.02 < heavy_share < 0.04
    assert {code for _, code, _ in trace} == {200, 404, 422}
    with pytest.raises(ValueError):
        request_trace(10, heavy_user_ids=[11])
    with pytest.raises(ValueError):
        request_trace(10, bad_fraction=2)


def test_parse_locust_csv_and_table(tmp_path: Path) -> None:
    header = (
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
        "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
    )
    rows = [
        "GET,/users/[id],98,0,20,30,5,2000,100,24.5,0,20,25,30,35,50,90,300,2000,2000,2000,2000",
        "GET,/users/[bad],2,1,2,2,1,3,10,0.5,0.25,2,2,2,2,3,3,3,3,3,3,3",
        ",Aggregated,100,1,20,30,1,2000,100,25.0,0.25,20,25,30,35,50,90,300,2000,2000,2000,2000",
    ]
    path = tmp_path / "run_stats.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    stats = parse_locust_stats(path, "/users/[id]")
    assert (stats.requests, stats.failures, stats.p99_ms, stats.throughput_rps) == (
        100,
        1,
        2000.0,
        25.0,
    )
    assert stats.error_rate == 0.01
    assert results_table([]).startswith("stage")


def test_cli_registers_seed_serve_load(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    top = argparse.ArgumentParser(prog="tradeoffs lab")
    add_cli(top.add_subparsers(dest="lab"))
    args = top.parse_args(["endpoint", "seed", "--sqlite", str(tmp_path / "x.db"), "--users", "50"])
    assert args.func(args) == 0
    assert "50 users" in capsys.readouterr().out
    args = top.parse_args(["endpoint", "serve", "--mode", "optimized", "--index", "--port", "0"])
    assert (args.mode, args.index, args.cache) == ("optimized", True, "off")
    args = top.parse_args(["endpoint", "load", "--duration-s", "2", "--stages", "baseline"])
    assert args.stages == ["baseline"] and args.rate_rps == 48.0
    with pytest.raises(SystemExit):
        top.parse_args(["endpoint", "serve", "--mode", "fast"])
