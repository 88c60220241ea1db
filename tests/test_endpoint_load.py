"""The endpoint lab under load: Locust in a subprocess against a real loopback server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeoffs.labs.endpoint import make_engine, seed_database, sqlite_url
from tradeoffs.labs.endpoint.load import Stage, request_trace, run_locust, run_stage


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
