"""Against the real tools, where installed: promtool accepts the course's rule files and
runs the exercise's scenario; a real Prometheus scrapes the instrumented service and its
PromQL agrees with the package's own arithmetic (histogram_quantile, SLI ratios).

With $TRADEOFFS_REQUIRE_PROMETHEUS set (CI installs Prometheus), these tests fail rather
than skip when the binaries are missing."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import pytest

from tradeoffs import metrics, slo
from tradeoffs.caching import free_port
from tradeoffs.labs.endpoint import make_engine, seed_database, sqlite_url
from tradeoffs.labs.endpoint.k6 import run_k6
from tradeoffs.labs.endpoint.load import Stage, request_trace, serve_stage
from tradeoffs.labs.endpoint.observability import PrometheusServer, instrument_app
from tradeoffs.slo import exercise, promql
from tradeoffs.slo.promtool import (
    alert_test_yaml,
    check_rules,
    promtool_available,
    run_promtool_test,
)

REQUIRED = bool(os.environ.get("TRADEOFFS_REQUIRE_PROMETHEUS"))


def _need(binary: str) -> None:
    import shutil

    if shutil.which(binary) is None:
        if REQUIRED:
            pytest.fail(f"TRADEOFFS_REQUIRE_PROMETHEUS is set but `{binary}` is not installed")
        pytest.skip(f"`{binary}` is not installed (apt-get install prometheus)")


@pytest.mark.parametrize("target", [0.999, 0.995, 0.99])
def test_reference_rules_pass_promtool_on_the_exercise_scenario(target: float) -> None:
    _need("promtool")
    assert promtool_available()
    rules = promql.alert_rules_yaml(slo.PAGE_RULES, target, annotations=False)
    assert check_rules(rules).passed
    case = exercise.promtool_case(target)
    expected = {m: ([{"severity": "page"}] if f else []) for m, f in case["expected"].items()}
    result = run_promtool_test(rules, alert_test_yaml(case["series"], "ErrorBudgetBurn", expected))
    assert result.passed, result.output


def test_promtool_catches_a_long_window_only_rule() -> None:
    _need("promtool")
    long_only = [slo.BurnRateRule("a", 14.4, 60), slo.BurnRateRule("b", 6.0, 360)]
    case = exercise.promtool_case()
    expected = {m: ([{"severity": "page"}] if f else []) for m, f in case["expected"].items()}
    result = run_promtool_test(
        promql.alert_rules_yaml(long_only, 0.999, annotations=False),
        alert_test_yaml(case["series"], "ErrorBudgetBurn", expected),
    )
    assert not result.passed


@pytest.mark.slow
def test_prometheus_scrapes_the_service_and_promql_matches_the_package(tmp_path: Path) -> None:
    _need("prometheus")
    url = sqlite_url(tmp_path / "shop.db")
    shop = seed_database(make_engine(url, round_trip_ms=0), 200, seed=4)
    engine = make_engine(url, round_trip_ms=1.0, jitter_ms=0.5)
    trace = request_trace(shop.n_users, heavy_user_ids=shop.heavy_user_ids, bad_fraction=0.05)
    port = free_port()
    insts = []
    with (
        PrometheusServer([f"127.0.0.1:{port}"], scrape_interval_s=0.5) as prom,
        serve_stage(
            engine,
            Stage("x", "optimized", True),
            port=port,
            app_hook=lambda a: insts.append(instrument_app(a)),
        ) as server,
    ):
        prom.wait_for_targets(1, timeout_s=20)
        run_k6(server.url, trace, rate_rps=60, duration_s=3, progress=False)
        time.sleep(1.5)  # the last scrapes
        at = time.time()
        # Counters: Prometheus's latest sample equals the app's own registry.
        registry = insts[0].registry
        route = {"route": "/users/{user_id}"}
        count = registry.get_sample_value("http_request_duration_seconds_count", route)
        got = prom.value('sum(http_request_duration_seconds_count{route="/users/{user_id}"})', at)
        assert got == pytest.approx(count)
        # histogram_quantile over the latest bucket counts equals the package's bucket_quantile.
        rows = prom.query(
            'sum by (le) (http_request_duration_seconds_bucket{route="/users/{user_id}"})', at
        )
        buckets = sorted((float(labels["le"]), v) for labels, v in rows)
        bounds = [b for b, _ in buckets]
        counts = [c for _, c in buckets]
        assert bounds[-1] == math.inf
        buckets_expr = (
            'sum by (le) (http_request_duration_seconds_bucket{route="/users/{user_id}"})'
        )
        for phi in (0.5, 0.9, 0.99):
            prom_q = prom.value(f"histogram_quantile({phi}, {buckets_expr})", at)
            assert prom_q == pytest.approx(
                metrics.bucket_quantile(bounds, counts, phi * 100), rel=1e-9
            )
        # The availability SLI: no 5xx, so the error ratio is 0 (the `or vector(0)` case).
        assert prom.value(promql.error_ratio("1m"), at) == 0.0
        sli = prom.value(promql.latency_sli(0.3, "1m"), at)
        assert 0.5 < sli <= 1.0
