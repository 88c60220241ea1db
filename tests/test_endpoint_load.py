"""The endpoint lab under load: Locust (closed loop) and k6 (open loop) in subprocesses
against a real loopback server; the capacity run; latency summaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeoffs.labs.endpoint import make_engine, seed_database, sqlite_url
from tradeoffs.labs.endpoint.capacity import run_capacity
from tradeoffs.labs.endpoint.k6 import run_k6
from tradeoffs.labs.endpoint.load import (
    Stage,
    measure_stage,
    request_trace,
    run_locust,
    run_stage,
    serve_stage,
)
from tradeoffs.labs.endpoint.summary import summarize


@pytest.mark.slow
def test_locust_stage_measures_and_the_service_survives_bad_requests(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "shop.db")
    shop = seed_database(make_engine(url, round_trip_ms=0), 300, seed=2)
    engine = make_engine(url, round_trip_ms=1.0, jitter_ms=0.5)
    trace = request_trace(shop.n_users, heavy_user_ids=shop.heavy_user_ids, bad_fraction=0.1)
    result = run_stage(
        engine,
        Stage("cached", "optimized", True, "memory"),
        trace,
        users=4,
        rate_rps=40,
        duration_s=2,
        progress=False,
    )
    assert result.locust.requests > 20
    assert result.locust.failures == 0  # every bad request got its 404/422, none a 500
    assert set(result.snapshot["statuses"]) <= {"200", "404", "422"}
    assert "/users/[bad]" in result.locust.by_name
    assert result.server_requests > 10
    assert result.server_p50_ms <= result.server_p95_ms <= result.server_p99_ms
    assert 0 < result.queries_per_request <= 4
    assert result.cache_hit_ratio is not None


def test_run_locust_refuses_non_loopback_hosts() -> None:
    with pytest.raises(ValueError, match="loopback"):
        run_locust("http://example.com", [("/users/1", 200, "x")])
    with pytest.raises(ValueError, match="users"):
        run_locust("http://127.0.0.1:1", [("/users/1", 200, "x")], users=0)


@pytest.fixture(scope="module")
def small_shop(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("load") / "shop.db"
    shop = seed_database(make_engine(sqlite_url(path), round_trip_ms=0), 200, seed=5)
    trace = request_trace(shop.n_users, heavy_user_ids=shop.heavy_user_ids, bad_fraction=0.05)
    return path, trace


@pytest.mark.slow
def test_rate_rps_reaches_locust(small_shop) -> None:
    """The offered rate is passed on: 40 req/s gets about four times the requests of 10."""
    path, trace = small_shop
    engine = make_engine(sqlite_url(path), round_trip_ms=0.5, jitter_ms=0.2)
    stage = Stage("opt", "optimized", True)
    with serve_stage(engine, stage) as server:
        slow = measure_stage(
            server, stage, trace, users=8, rate_rps=10, duration_s=3, progress=False
        )
        fast = measure_stage(
            server, stage, trace, users=8, rate_rps=40, duration_s=3, progress=False
        )
    assert slow.offered_rps == 10 and fast.offered_rps == 40
    assert 2.5 < fast.requests / slow.requests < 6, (slow.requests, fast.requests)
    assert fast.locust is not None and fast.locust.latencies_ms.size > 50  # exact samples
    assert fast.client.n == fast.locust.latencies_ms.size


@pytest.mark.slow
def test_k6_open_loop_sends_on_schedule_and_counts_statuses(small_shop) -> None:
    path, trace = small_shop
    engine = make_engine(sqlite_url(path), round_trip_ms=0.5, jitter_ms=0.2)
    stage = Stage("opt", "optimized", True)
    with serve_stage(engine, stage) as server:
        run = run_k6(server.url, trace, rate_rps=50, duration_s=2, progress=False)
        result = measure_stage(
            server, stage, trace, generator="k6", rate_rps=30, duration_s=2, progress=False
        )
    assert 95 <= run.requests <= 102 and run.dropped == 0
    assert run.failures == 0  # every 404/422 was the expected status
    assert set(run.statuses.tolist()) <= {200, 404, 422}
    assert run.good_latencies_ms().size < run.requests  # bad requests left out
    assert run.cpu_s > 0
    assert result.generator == "k6" and result.locust is None
    assert result.client.n > 40 and result.server.n > 40
    assert result.client.p99_low_ms <= result.client.p99_ms <= result.client.p99_high_ms


@pytest.mark.slow
def test_capacity_run_steps_until_the_target_breaks(small_shop) -> None:
    """Far above what one connection can serve, the p99 must break, and the run stops there.
    (Timing on a shared machine is noisy: the low steps may break too, so only the shape of
    the run is asserted.)"""
    path, trace = small_shop
    # One connection, 5 ms per query, 4 queries: about 45 requests/s at most.
    engine = make_engine(
        sqlite_url(path), round_trip_ms=5, jitter_ms=0.5, pool_size=1, max_overflow=0
    )
    stage = Stage("opt, pool 1", "optimized", True)
    with serve_stage(engine, stage) as server:
        run = run_capacity(
            server,
            stage,
            trace,
            [200, 5, 10],
            target_p99_ms=150,
            requests_per_step=30,
            min_step_s=1.5,
            warmup_s=1.0,
            progress=False,
        )
    rates = [s.offered_rps for s in run.steps]
    assert rates == sorted(rates) and rates[0] == 5
    last = run.steps[-1]
    assert last.client.p99_ms > 150 or last.error_rate > 0.01  # stopped at the first break
    assert all(s.client.p99_ms <= 150 for s in run.steps[:-1])
    assert run.knee_rps == (rates[-2] if len(rates) > 1 else None)
    assert "knee" in run.table()


def test_run_k6_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="loopback"):
        run_k6("http://example.com", [("/users/1", 200, "x")], rate_rps=1, duration_s=1)
    with pytest.raises(ValueError, match="rate_rps"):
        run_k6("http://127.0.0.1:1", [("/users/1", 200, "x")], rate_rps=0, duration_s=1)


def test_summary_gives_a_p99_interval() -> None:
    import numpy as np

    s = summarize(np.arange(1, 1001, dtype=float))
    assert (s.n, s.p50_ms, s.p99_ms) == (1000, 500.0, 990.0)
    assert s.p99_low_ms <= 990 <= s.p99_high_ms
    assert summarize([]).n == 0 and summarize([]).p99_text() == "n/a"
