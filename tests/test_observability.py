"""The endpoint lab's observability: metrics instrumentation, tracing with the real
OpenTelemetry instrumentations, trace sampling, the Grafana dashboard, the billing export."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pytest

from tradeoffs import prices
from tradeoffs.billing import (
    CUR_COLUMNS,
    ShopUsage,
    commitment_savings,
    cost_by,
    cost_per_million_requests,
    daily_cost,
    read_cur,
    total_cost,
    usage_line_items,
    write_cur,
)
from tradeoffs.labs.endpoint import (
    AppConfig,
    create_app,
    make_engine,
    seed_database,
    serve,
    sqlite_url,
)
from tradeoffs.labs.endpoint.db import RoundTrip
from tradeoffs.labs.endpoint.observability import (
    SLO_BUCKETS_S,
    Tracing,
    head_sampler,
    instrument_app,
)
from tradeoffs.labs.endpoint.observability.grafana import (
    dashboard,
    dashboard_json,
    shipped_dashboard,
)
from tradeoffs.labs.endpoint.observability.sampling import sampling_study, weighted_percentile


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("obs") / "shop.db"
    return path, seed_database(make_engine(sqlite_url(path), round_trip_ms=0), 150, seed=3)


def test_metrics_middleware_counts_by_route_and_status(shop) -> None:
    path, summary = shop
    app = create_app(make_engine(sqlite_url(path), round_trip_ms=0), AppConfig(mode="optimized"))
    inst = instrument_app(app)
    with serve(app) as server, httpx.Client(base_url=server.url) as client:
        for _ in range(3):
            client.get(f"/users/{summary.light_user_id}")
        client.get("/users/999999")
        client.get("/users/abc")
        text = client.get("/metrics").text
    reg = inst.registry
    route = {"route": "/users/{user_id}", "method": "GET"}
    assert reg.get_sample_value("http_requests_total", {**route, "code": "200"}) == 3
    assert reg.get_sample_value("http_requests_total", {**route, "code": "404"}) == 1
    assert reg.get_sample_value("http_requests_total", {**route, "code": "422"}) == 1
    count = reg.get_sample_value("http_request_duration_seconds_count", {"route": route["route"]})
    assert count == 5
    assert 'le="0.3"' in text and "http_requests_total" in text
    assert 0.1 in SLO_BUCKETS_S and 0.3 in SLO_BUCKETS_S
    with pytest.raises(ValueError, match="increasing"):
        instrument_app(create_app(make_engine(sqlite_url(path), round_trip_ms=0)), [0.2, 0.1])
    app.state.lab.queries.close()


def test_tracing_records_request_cache_and_every_query(shop) -> None:
    path, summary = shop
    engine = make_engine(sqlite_url(path), round_trip_ms=0)
    with Tracing() as tracing:
        tracing.instrument_engine(engine, RoundTrip(1.0, 0.0))
        app = create_app(engine, AppConfig(mode="baseline", cache="memory"))
        tracing.instrument_app(app)
        tracing.trace_cache(app.state.lab.cache)
        with serve(app) as server:
            httpx.get(f"{server.url}/users/{summary.heavy_user_ids[0]}")
            httpx.get(f"{server.url}/users/{summary.heavy_user_ids[0]}")  # a cache hit
        rows = tracing.spans()
    traces = {r.trace_id for r in rows}
    assert len(traces) == 2
    roots = [r for r in rows if r.depth == 0]
    assert [r.name for r in roots] == ["GET /users/{user_id}"] * 2
    sql = [r for r in rows if r.statement]
    assert len(sql) > 50  # the N+1, one span per statement
    assert all(r.duration_ms >= 0.9 for r in sql)  # the modelled round trip is inside the span
    # The miss reads the cache (again under its single flight) and runs the N+1; the hit
    # reads it once and runs no SQL.
    by_trace = {t: [r for r in rows if r.trace_id == t] for t in traces}
    miss, hit = sorted(by_trace.values(), key=len, reverse=True)
    assert "cache get" in [r.name for r in miss] and any(r.statement for r in miss)
    assert [r.name for r in hit].count("cache get") == 1 and not any(r.statement for r in hit)
    assert "get" not in vars(app.state.lab.cache)  # unwrapped on close
    app.state.lab.queries.close()


def test_head_sampler_and_sampling_study() -> None:
    assert head_sampler(0.01) is not None
    with pytest.raises(ValueError):
        head_sampler(2)
    assert weighted_percentile([1, 2, 3, 4], [1, 1, 1, 1], 50) == 2
    lat = np.random.default_rng(0).lognormal(3, 0.6, 5_000)
    study = sampling_study(lat, repeats=50)
    assert study.tail_slow_kept == study.slow  # every slow trace kept
    assert study.head_slow_kept < study.slow / 10
    spread = lambda x: np.percentile(x, 95) - np.percentile(x, 5)  # noqa: E731
    assert spread(study.tail_p99_ms) < spread(study.head_p99_ms)


def test_grafana_dashboard_is_shipped_and_uses_the_lessons_queries() -> None:
    board = dashboard()
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    assert any(e.startswith("histogram_quantile(0.99, sum by (le)") for e in exprs)
    assert any("/ 0.001" in e for e in exprs)  # burn rates
    assert shipped_dashboard() == dashboard_json(), (
        "src/tradeoffs/data/endpoint_slo_dashboard.json is stale: run "
        "`tradeoffs lab endpoint dashboard --out src/tradeoffs/data/endpoint_slo_dashboard.json`"
    )
    json.loads(shipped_dashboard())


def test_billing_export_round_trips_and_is_priced_from_the_price_book(tmp_path: Path) -> None:
    usage = ShopUsage(requests_per_day=2e6, knee_rps_per_instance=100, target_utilisation=0.5)
    rows = usage_line_items(usage, days=3, growth_per_day=0.0)
    ec2 = [r for r in rows if r["lineItem/ProductCode"] == "AmazonEC2"]
    assert ec2[0]["lineItem/UnblendedRate"] == prices.INSTANCES["general.large"].cost_usd_per_hour
    assert usage.app_instances() == 2  # peak 46/s at 50/s each: 1, but never fewer than 2
    path = write_cur(rows, tmp_path / "cur.csv")
    back = read_cur(path)
    assert len(back) == len(rows) and list(back[0]) == list(CUR_COLUMNS)
    assert total_cost(back) == pytest.approx(total_cost(rows))
    by = cost_by(back, "lineItem/ProductCode")
    assert list(by) == sorted(by, key=lambda k: -by[k])
    assert set(cost_by(back, "resourceTags/user:env")) == {"prod", "staging"}
    assert len(daily_cost(back)) == 3
    per_m = cost_per_million_requests(back, 2e6 * 3)
    assert per_m == pytest.approx(
        total_cost([r for r in back if r["resourceTags/user:env"] == "prod"]) / 6
    )
    saving = commitment_savings(back, "3-year commitment")
    assert saving["saving_usd"] == pytest.approx(saving["committed_usd"] * 0.57)
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a CUR export"):
        read_cur(tmp_path / "bad.csv")
