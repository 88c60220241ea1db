"""Unit tests for tradeoffs.metrics (unit 01)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tradeoffs import metrics as m
from tradeoffs import prices

# --------------------------------------------------------------------------------------------
# Percentiles
# --------------------------------------------------------------------------------------------

TEN = [1, 2, 3, 4, 5, 6, 7, 8, 9, 100]


def test_nearest_rank_and_linear_differ_on_known_values() -> None:
    # nearest-rank: ceil(0.95 * 10) = 10th smallest = 100 (a value that was observed)
    assert m.percentile(TEN, 95) == 100
    # linear: index 0.95 * 9 = 8.55 -> 9 + 0.55 * (100 - 9) = 59.05 (nobody saw 59 ms)
    assert m.percentile(TEN, 95, method="linear") == pytest.approx(59.05)
    assert m.percentile(TEN, 50) == 5
    assert m.percentile(TEN, 50, method="linear") == pytest.approx(5.5)


def test_nearest_rank_textbook_example() -> None:
    data = [15, 20, 35, 40, 50]
    got = [m.percentile(data, q) for q in (0, 5, 30, 40, 50, 100)]
    assert got == [15, 15, 20, 20, 35, 50]


def test_nearest_rank_is_exact_at_rank_boundaries() -> None:
    data = np.arange(1, 1001)
    assert m.percentile(data, 99.9) == 999  # 99.9 * 1000 / 100 is exactly 999
    assert m.percentile(data, 99) == 990
    assert m.percentile(data, 99.95) == 1000


def test_nearest_rank_matches_numpy_inverted_cdf() -> None:
    data = np.random.default_rng(3).lognormal(3, 1, size=137)
    for q in (1, 25, 50, 90, 95, 99):
        assert m.percentile(data, q) == np.percentile(data, q, method="inverted_cdf")


def test_percentile_accepts_lists_and_arrays_and_does_not_mutate() -> None:
    arr = np.array([5.0, 1.0, 3.0])
    assert m.percentile(arr, 50) == m.percentile([5, 1, 3], 50) == 3
    assert arr.tolist() == [5.0, 1.0, 3.0]


def test_percentiles_dict() -> None:
    got = m.percentiles(TEN, (50, 95, 99))
    assert got == {50.0: 5.0, 95.0: 100.0, 99.0: 100.0}
    lin = m.percentiles(TEN, (95,), method="linear")
    assert lin[95.0] == pytest.approx(59.05)


@pytest.mark.parametrize(
    ("samples", "q", "method", "match"),
    [
        ([], 50, "nearest-rank", "empty"),
        ([1, 2], -1, "nearest-rank", "out of range"),
        ([1, 2], 101, "nearest-rank", "out of range"),
        ([1, 2], 50, "mean", "unknown method"),
        ([[1, 2], [3, 4]], 50, "nearest-rank", "one-dimensional"),
        ([1, float("nan")], 50, "nearest-rank", "NaN"),
        (["a", "b"], 50, "nearest-rank", "numbers"),
    ],
)
def test_percentile_errors(samples: list, q: float, method: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        m.percentile(samples, q, method=method)  # type: ignore[arg-type]


def test_percentiles_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        m.percentiles([1, 2, 3], ())
    with pytest.raises(ValueError, match="unknown method"):
        m.percentiles([1, 2, 3], (50,), method="x")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------------


def test_bootstrap_ci_brackets_estimate_and_shrinks_with_n() -> None:
    small = m.mixture_latencies_ms(1_000, seed=1)
    big = m.mixture_latencies_ms(100_000, seed=1)
    lo_s, hi_s = m.bootstrap_ci(small, 99)
    lo_b, hi_b = m.bootstrap_ci(big, 99)
    assert lo_s <= m.percentile(small, 99) <= hi_s
    assert lo_b <= m.percentile(big, 99) <= hi_b
    assert (hi_b - lo_b) < (hi_s - lo_s) / 3


def test_bootstrap_ci_is_seeded_and_both_methods_agree_roughly() -> None:
    data = m.mixture_latencies_ms(5_000, seed=2)
    assert m.bootstrap_ci(data, 95, seed=7) == m.bootstrap_ci(data, 95, seed=7)
    nr = m.bootstrap_ci(data, 95, n_boot=400)
    lin = m.bootstrap_ci(data, 95, n_boot=400, method="linear")
    assert nr[0] == pytest.approx(lin[0], rel=0.05)
    assert nr[1] == pytest.approx(lin[1], rel=0.05)


def test_bootstrap_order_statistic_matches_brute_force_resampling() -> None:
    data = m.mixture_latencies_ms(400, seed=4)
    lo, hi = m.bootstrap_ci(data, 90, n_boot=4000, seed=1)
    rng = np.random.default_rng(0)
    boots = [m.percentile(rng.choice(data, data.size), 90) for _ in range(4000)]
    ref_lo, ref_hi = np.quantile(boots, [0.025, 0.975])
    assert lo == pytest.approx(ref_lo, rel=0.05)
    assert hi == pytest.approx(ref_hi, rel=0.05)


def test_bootstrap_ci_errors() -> None:
    with pytest.raises(ValueError, match="confidence"):
        m.bootstrap_ci([1, 2, 3], 50, confidence=1.5)
    with pytest.raises(ValueError, match="n_boot"):
        m.bootstrap_ci([1, 2, 3], 50, n_boot=0)
    with pytest.raises(ValueError, match="empty"):
        m.bootstrap_ci([], 50)


def test_time_calls_ms() -> None:
    out = m.time_calls_ms(lambda i: sum(range(i)), 50)
    assert out.shape == (50,)
    assert np.all(out >= 0)
    with pytest.raises(ValueError):
        m.time_calls_ms(lambda i: None, 0)


# --------------------------------------------------------------------------------------------
# HdrHistogram
# --------------------------------------------------------------------------------------------


def test_histogram_percentile_within_precision() -> None:
    data = m.mixture_latencies_ms(10_000, seed=5)
    hist = m.latency_histogram(data)
    assert hist.get_total_count() == 10_000
    for q in (50, 90, 99):
        exact = m.percentile(data, q)
        assert m.histogram_percentile_ms(hist, q) == pytest.approx(exact, rel=1e-3, abs=1e-3)


def test_merged_histogram_p99_is_fleet_p99_but_mean_of_p99s_is_not() -> None:
    hosts = m.fleet_latencies_ms()  # totals are multiples of 100, so ranks agree exactly
    pooled = np.concatenate(hosts)
    true_p99 = m.percentile(pooled, 99)
    merged = m.merge_histograms(m.latency_histogram(h) for h in hosts)
    assert merged.get_total_count() == pooled.size
    assert m.histogram_percentile_ms(merged, 99) == pytest.approx(true_p99, rel=1e-3)
    mean_of_p99s = float(np.mean([m.percentile(h, 99) for h in hosts]))
    assert abs(mean_of_p99s - true_p99) / true_p99 > 0.2


def test_merge_leaves_inputs_unchanged() -> None:
    a = m.latency_histogram([1.0, 2.0])
    b = m.latency_histogram([3.0])
    merged = m.merge_histograms([a, b])
    assert merged.get_total_count() == 3
    assert a.get_total_count() == 2 and b.get_total_count() == 1


def test_histogram_errors() -> None:
    with pytest.raises(ValueError, match="at least one"):
        m.merge_histograms([])
    with pytest.raises(ValueError, match="negative"):
        m.latency_histogram([1.0, -2.0])
    with pytest.raises(ValueError, match="highest_ms"):
        m.latency_histogram([5_000.0], highest_ms=1_000.0)
    with pytest.raises(ValueError, match="empty"):
        m.histogram_percentile_ms(m.latency_histogram([1.0]).__class__(1, 1000, 3), 50)
    with pytest.raises(ValueError, match="out of range"):
        m.histogram_percentile_ms(m.latency_histogram([1.0]), 200)


def test_corrected_histogram_adds_the_missing_requests() -> None:
    hist = m.corrected_latency_histogram([1.0, 1.0, 100.0], expected_interval_ms=10.0)
    # 100 ms at a 10 ms interval also records 90, 80, ..., 10 ms
    assert hist.get_total_count() == 2 + 10
    with pytest.raises(ValueError, match="expected_interval_ms"):
        m.corrected_latency_histogram([1.0], expected_interval_ms=0)


# --------------------------------------------------------------------------------------------
# Prometheus buckets
# --------------------------------------------------------------------------------------------


def test_bucket_quantile_prometheus_docs_example() -> None:
    """All requests ~220 ms, buckets 0.1/0.2/0.3/0.45 s: histogram_quantile(0.95) = 0.295 s."""
    latencies_s = np.full(1_000, 0.220)
    bounds = [0.1, 0.2, 0.3, 0.45, math.inf]
    cum = m.bucket_counts(latencies_s, bounds)
    assert cum.tolist() == [0, 0, 1000, 1000, 1000]
    assert m.bucket_quantile(bounds, cum, 95) == pytest.approx(0.295)
    assert m.bucket_quantile([0.1, 0.2, 0.3, 0.45], [0, 0, 1000, 0], 95, cumulative=False) == (
        pytest.approx(0.295)
    )


def test_bucket_quantile_edges() -> None:
    bounds = [1.0, 2.0, math.inf]
    assert m.bucket_quantile(bounds, [10, 10, 10], 50) == pytest.approx(0.5)  # first bucket
    assert m.bucket_quantile(bounds, [0, 5, 10], 90) == 2.0  # rank in +Inf bucket
    assert m.bucket_quantile(bounds, [0, 10, 10], 25) == pytest.approx(1.25)


def test_bucket_quantile_errors() -> None:
    with pytest.raises(ValueError, match="increasing"):
        m.bucket_quantile([0.2, 0.1], [1, 2], 50)
    with pytest.raises(ValueError, match="one count per bucket"):
        m.bucket_quantile([0.1, 0.2], [1], 50)
    with pytest.raises(ValueError, match="decrease"):
        m.bucket_quantile([0.1, 0.2], [5, 1], 50)
    with pytest.raises(ValueError, match="no observations"):
        m.bucket_quantile([0.1, 0.2], [0, 0], 50)
    with pytest.raises(ValueError, match="out of range"):
        m.bucket_quantile([0.1, 0.2], [1, 2], 101)


# --------------------------------------------------------------------------------------------
# Coordinated omission
# --------------------------------------------------------------------------------------------


def test_stalling_service_clock() -> None:
    svc = m.StallingService(service_time_ms=1.0, stall_at_s=5.0, stall_ms=2000.0)
    assert svc.completion_s(1.0) == pytest.approx(1.001)
    assert svc.completion_s(6.0) == pytest.approx(7.001)
    assert svc.completion_s(4.9995) == pytest.approx(7.0005)


def test_coordinated_omission_ratio_at_least_100() -> None:
    svc = m.StallingService(service_time_ms=1.0, stall_at_s=5.0, stall_ms=2000.0)
    closed = m.closed_loop_latencies(svc, duration_s=10.0, rate_per_s=100.0)
    opened = m.open_loop_latencies(svc, duration_s=10.0, rate_per_s=100.0)
    assert opened.size == 1000
    assert 790 <= closed.size <= 810  # ~200 sends were skipped during the stall
    naive_p99 = m.percentile(closed, 99)
    assert naive_p99 == pytest.approx(1.0)
    corrected = m.corrected_latency_histogram(closed, expected_interval_ms=10.0)
    corrected_p99 = m.histogram_percentile_ms(corrected, 99)
    assert corrected_p99 / naive_p99 >= 100
    assert m.percentile(opened, 99) / naive_p99 >= 100
    assert corrected_p99 == pytest.approx(m.percentile(opened, 99), rel=0.05)


def test_coordinated_omission_real_time_short_run() -> None:
    svc = m.StallingService(service_time_ms=1.0, stall_at_s=0.1, stall_ms=150.0)
    closed = m.closed_loop_latencies(svc, duration_s=0.3, rate_per_s=200.0, real_time=True)
    opened = m.open_loop_latencies(svc, duration_s=0.3, rate_per_s=200.0, real_time=True)
    assert opened.size == 60
    assert closed.max() >= 140  # the one request that hit the stall
    assert np.count_nonzero(opened >= 50) >= 10  # the stall delayed many scheduled requests
    assert np.count_nonzero(closed >= 50) == 1


def test_real_time_requires_start() -> None:
    with pytest.raises(RuntimeError, match="start"):
        m.StallingService().handle()


def test_load_generator_errors() -> None:
    svc = m.StallingService()
    with pytest.raises(ValueError, match="rate_per_s"):
        m.closed_loop_latencies(svc, 1.0, -5.0)
    with pytest.raises(ValueError, match="duration_s"):
        m.open_loop_latencies(svc, 0.0, 5.0)
    with pytest.raises(ValueError, match="service_time_ms"):
        m.StallingService(service_time_ms=0)


# --------------------------------------------------------------------------------------------
# Queues
# --------------------------------------------------------------------------------------------


def test_littles_law_helpers() -> None:
    assert m.littles_law_concurrency(200, 0.05) == pytest.approx(10)
    assert m.littles_law_latency_s(10, 200) == pytest.approx(0.05)
    assert m.littles_law_throughput_per_s(10, 0.05) == pytest.approx(200)
    with pytest.raises(ValueError, match="arrival_rate_per_s"):
        m.littles_law_concurrency(-1, 0.05)
    with pytest.raises(ValueError, match="latency_s"):
        m.littles_law_throughput_per_s(10, 0)


@pytest.mark.parametrize(("rate", "servers"), [(80.0, 1), (50.0, 1), (170.0, 2)])
def test_littles_law_holds_on_simulation(rate: float, servers: int) -> None:
    run = m.simulate_queue(rate, 100.0, n_requests=60_000, seed=1, servers=servers)
    start, end = run.window()
    observed_l = run.mean_in_system(start, end)
    predicted_l = m.littles_law_concurrency(
        run.arrival_rate_per_s(start, end), run.mean_latency_s(start, end)
    )
    assert observed_l == pytest.approx(predicted_l, rel=0.03)


def test_simulated_mean_matches_queueing_formulas() -> None:
    mm1 = m.simulate_queue(80.0, 100.0, n_requests=100_000, seed=1)
    assert mm1.latency_s.mean() == pytest.approx(m.mm1_mean_latency_s(80, 100), rel=0.1)
    mm2 = m.simulate_queue(160.0, 100.0, n_requests=100_000, seed=2, servers=2)
    assert mm2.latency_s.mean() == pytest.approx(m.mmc_mean_latency_s(160, 100, 2), rel=0.1)
    assert np.all(mm1.wait_s >= 0)
    p99 = m.percentile(mm1.latency_s, 99)
    # at 80% utilisation successive latencies are strongly correlated: the p99 is noisy
    assert p99 == pytest.approx(m.mm1_latency_percentile_s(80, 100, 99), rel=0.15)


def test_queue_formulas() -> None:
    assert m.mm1_mean_latency_s(50, 100) == pytest.approx(0.02)
    assert m.mmc_mean_latency_s(50, 100, 1) == pytest.approx(0.02)
    assert m.utilisation(150, 100, servers=2) == pytest.approx(0.75)
    assert m.mm1_latency_percentile_s(50, 100, 50) == pytest.approx(math.log(2) / 50)
    with pytest.raises(ValueError, match="utilisation"):
        m.mm1_mean_latency_s(100, 100)
    with pytest.raises(ValueError, match="servers"):
        m.mmc_mean_latency_s(10, 100, 0)
    with pytest.raises(ValueError, match="unbounded"):
        m.mm1_latency_percentile_s(50, 100, 100)


def test_simulate_queue_is_seeded_and_validates() -> None:
    a = m.simulate_queue(50, 100, 1_000, seed=3)
    b = m.simulate_queue(50, 100, 1_000, seed=3)
    np.testing.assert_array_equal(a.latency_s, b.latency_s)
    assert a.number_in_system([0.0]).tolist() == [0]
    with pytest.raises(ValueError, match="arrival_rate_per_s"):
        m.simulate_queue(-1, 100, 10)
    with pytest.raises(ValueError, match="n_requests"):
        m.simulate_queue(1, 100, 0)


# --------------------------------------------------------------------------------------------
# Cost
# --------------------------------------------------------------------------------------------


def test_cost_per_request_and_million() -> None:
    # $0.36/h at 100 rps fully used: 360,000 requests per hour -> $1e-6 each, $1 per million
    assert m.cost_per_request_usd(0.36, 100, 1.0) == pytest.approx(1e-6)
    assert m.cost_per_million_usd(0.36, 100, 1.0) == pytest.approx(1.0)
    assert m.cost_per_million_usd(0.36, 100, 0.25) == pytest.approx(4.0)
    price = prices.INSTANCES["general.large"].cost_usd_per_hour
    assert m.cost_per_million_usd(price, 500, 0.5) == pytest.approx(price / 0.9)


@pytest.mark.parametrize("u", [0.0, -0.1, 1.5])
def test_cost_rejects_bad_utilisation(u: float) -> None:
    with pytest.raises(ValueError, match="utilisation"):
        m.cost_per_request_usd(0.1, 100, u)


def test_cost_rejects_bad_inputs_and_instances_needed() -> None:
    with pytest.raises(ValueError, match="capacity_rps"):
        m.cost_per_million_usd(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="cost_usd_per_hour"):
        m.cost_per_million_usd(-0.1, 10, 0.5)
    assert m.instances_needed(1000, 100, 0.5) == 20
    assert m.instances_needed(1001, 100, 0.5) == 21
    assert all(p.cost_usd_per_hour > 0 for p in prices.INSTANCES.values())


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------


def test_precision_recall_on_hand_computed_case() -> None:
    y_true = [1, 1, 1, 0, 0, 0, 0, 1]
    y_pred = [1, 0, 1, 1, 0, 0, 0, 0]
    cm = m.confusion_matrix(y_true, y_pred)
    assert (cm.tp, cm.fp, cm.fn, cm.tn) == (2, 1, 2, 3)
    p, r, f1 = m.precision_recall_f1(np.array(y_true), np.array(y_pred, dtype=bool))
    assert p == pytest.approx(2 / 3)
    assert r == pytest.approx(1 / 2)
    assert f1 == pytest.approx(2 * (2 / 3) * (1 / 2) / (2 / 3 + 1 / 2))
    assert cm.accuracy == pytest.approx(5 / 8)


def test_never_fraud_classifier_has_high_accuracy_and_zero_recall() -> None:
    is_fraud, _ = m.make_fraud_scores(100_000, fraud_rate=0.008, seed=0)
    cm = m.confusion_matrix(is_fraud, np.zeros_like(is_fraud))
    assert cm.accuracy == pytest.approx(0.992)
    assert (cm.precision, cm.recall, cm.f1) == (0.0, 0.0, 0.0)


def test_scores_at_threshold() -> None:
    y = [0, 0, 1, 1]
    scores = [0.1, 0.6, 0.4, 0.9]
    at_half = m.scores_at_threshold(y, scores, 0.5)
    assert (at_half.confusion.tp, at_half.confusion.fp) == (1, 1)
    assert at_half.precision == 0.5 and at_half.recall == 0.5
    at_low = m.scores_at_threshold(y, scores, 0.4)  # >= threshold counts as positive
    assert at_low.recall == 1.0
    sweep = m.threshold_sweep(y, scores, [0.0, 0.5, 1.0])
    assert [s.recall for s in sweep] == [1.0, 0.5, 0.0]


def test_classification_errors() -> None:
    with pytest.raises(ValueError, match="items"):
        m.confusion_matrix([1, 0], [1])
    with pytest.raises(ValueError, match="empty"):
        m.confusion_matrix([], [])
    with pytest.raises(ValueError, match="only 0/1"):
        m.confusion_matrix([0, 2], [0, 1])
    with pytest.raises(ValueError, match="items"):
        m.scores_at_threshold([0, 1], [0.5], 0.5)
    with pytest.raises(ValueError, match="NaN"):
        m.scores_at_threshold([0, 1], [0.5, 0.6], float("nan"))
