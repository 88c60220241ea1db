"""The iron-triangle widget: its measurements behave, its panel builds."""

import math

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.figure import Figure

from tradeoffs.metrics import percentile
from tradeoffs.prices import VCPU_HOUR_USD
from tradeoffs.widgets.triangle import (
    TradeoffPoint,
    compare_strategies,
    cost_usd_per_million_queries,
    format_strategies,
    format_table,
    iron_triangle_panel,
    make_latency_dataset,
    measure_histogram,
    measure_tradeoff,
    tradeoff_frontier,
    triangle_figure,
)

N_ROWS = 200_000


@pytest.fixture(scope="module")
def latencies_ms() -> np.ndarray:
    return make_latency_dataset(N_ROWS, seed=1)


@pytest.fixture(scope="module")
def frontier(latencies_ms: np.ndarray) -> list[TradeoffPoint]:
    return tradeoff_frontier(latencies_ms, (0.005, 0.05, 0.5, 1.0), repeats=3)


def test_dataset_is_repeatable_and_heavy_tailed() -> None:
    a = make_latency_dataset(10_000, seed=3)
    b = make_latency_dataset(10_000, seed=3)
    assert a.shape == (10_000,)
    assert np.array_equal(a, b), "same seed must give the same latencies"
    p50, p99 = np.percentile(a, [50, 99])
    assert 30 < p50 < 55, f"median {p50:.1f} ms, expected near 40 ms"
    assert p99 > 5 * p50, f"p99 {p99:.1f} ms should sit in the slow tail (p50 {p50:.1f} ms)"


def test_full_fraction_gives_the_exact_answer(latencies_ms: np.ndarray) -> None:
    point = measure_tradeoff(latencies_ms, 1.0, repeats=2)
    exact = percentile(latencies_ms, 99)  # nearest-rank, as unit 01 defines it
    assert point.exact_ms == exact
    assert point.estimate_ms == exact
    assert point.error_pct == 0.0
    assert point.sample_rows == N_ROWS


def test_error_falls_as_fraction_rises(frontier: list[TradeoffPoint]) -> None:
    errors = [p.error_pct for p in frontier]
    assert errors == sorted(errors, reverse=True), f"errors by fraction: {errors}"
    assert errors[0] > errors[-2] > errors[-1] == 0.0
    assert [p.fraction for p in frontier] == [0.005, 0.05, 0.5, 1.0]
    assert [p.sample_rows for p in frontier] == [1_000, 10_000, 100_000, 200_000]


def test_cost_is_proportional_to_measured_cpu_time(frontier: list[TradeoffPoint]) -> None:
    for p in frontier:
        assert p.cpu_s > 0 and p.latency_ms > 0
        want = p.cpu_s * 1e6 / 3600 * p.price_usd_per_vcpu_hour
        assert p.cost_usd_per_million_queries == pytest.approx(want, rel=1e-12)
    price = VCPU_HOUR_USD["on-demand VM"]
    assert cost_usd_per_million_queries(0.0036, price) == pytest.approx(price)
    assert cost_usd_per_million_queries(0.0072, price) == pytest.approx(2 * price)


def test_repricing_scales_cost_and_keeps_the_measurement(frontier: list[TradeoffPoint]) -> None:
    point = frontier[1]
    cheap = point.with_price(point.price_usd_per_vcpu_hour / 3)
    assert cheap.cpu_s == point.cpu_s and cheap.latency_ms == point.latency_ms
    assert cheap.cost_usd_per_million_queries == pytest.approx(
        point.cost_usd_per_million_queries / 3
    )


def test_reading_more_rows_costs_more_work(frontier: list[TradeoffPoint]) -> None:
    # Ratios within one run only: the full scan reads 200x the rows of the 0.5% sample.
    smallest, full = frontier[0], frontier[-1]
    assert full.cpu_s > smallest.cpu_s
    assert full.latency_ms > smallest.latency_ms


def test_same_seed_gives_the_same_estimates(latencies_ms: np.ndarray) -> None:
    a = measure_tradeoff(latencies_ms, 0.05, repeats=2, seed=7)
    b = measure_tradeoff(latencies_ms, 0.05, repeats=2, seed=7)
    assert (a.estimate_ms, a.error_pct) == (b.estimate_ms, b.error_pct)


@pytest.mark.parametrize("fraction", [0.0, -0.1, 1.5, math.nan, math.inf])
def test_fraction_outside_unit_interval_raises(latencies_ms: np.ndarray, fraction: float) -> None:
    with pytest.raises(ValueError, match=r"fraction must be"):
        measure_tradeoff(latencies_ms, fraction)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fraction": 0.0001}, "at least 100 rows"),
        ({"fraction": 0.5, "repeats": 0}, "repeats must be at least 1"),
        ({"fraction": 0.5, "error_samples": 0}, "error_samples must be at least 1"),
        ({"fraction": 0.5, "price_usd_per_vcpu_hour": -1.0}, "price_usd_per_vcpu_hour"),
        ({"fraction": 0.5, "percentile": 101.0}, "percentile=101.0 is out of range"),
    ],
)
def test_bad_arguments_raise_clear_errors(
    latencies_ms: np.ndarray, kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        measure_tradeoff(latencies_ms, **kwargs)  # type: ignore[arg-type]


def test_bad_dataset_and_empty_frontier_raise() -> None:
    with pytest.raises(ValueError, match="one-dimensional"):
        measure_tradeoff(np.zeros((10, 10)), 0.5)
    with pytest.raises(ValueError, match="fractions must not be empty"):
        tradeoff_frontier(np.ones(1000), [])
    with pytest.raises(ValueError, match="n_rows"):
        make_latency_dataset(0)


def test_format_table_has_one_row_per_point(frontier: list[TradeoffPoint]) -> None:
    lines = format_table(frontier).splitlines()
    assert len(lines) == 1 + len(frontier)
    assert "error_pct" in lines[0] and "cost_usd" in lines[0]
    assert lines[-1].split()[0] == "100%"


def test_triangle_figure_draws_frontier_and_bars(frontier: list[TradeoffPoint]) -> None:
    fig = triangle_figure(frontier, 1)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="chosen must index"):
        triangle_figure(frontier, len(frontier))


def test_panel_builds_and_renders_its_first_figure(frontier: list[TradeoffPoint]) -> None:
    panel = iron_triangle_panel(frontier, initial_fraction=0.05)
    assert isinstance(panel, widgets.VBox)
    images = [w for w in panel.children if isinstance(w, widgets.Image)]
    assert len(images) == 1 and bytes(images[0].value).startswith(b"\x89PNG")
    controls = next(w for w in panel.children if isinstance(w, widgets.HBox))
    slider, tier = controls.children
    assert isinstance(slider, widgets.SelectionSlider) and slider.label == "5%"
    first = bytes(images[0].value)
    slider.value = 0
    tier.value = "spot VM"
    assert bytes(images[0].value) != first, "moving the slider should redraw the figure"


def test_panel_measures_its_own_frontier_when_given_none() -> None:
    panel = iron_triangle_panel(n_rows=20_000, fractions=(0.01, 0.1, 1.0), repeats=1)
    assert isinstance(panel, widgets.VBox)


def test_p99_is_nearest_rank_like_unit_01(latencies_ms: np.ndarray) -> None:
    """The triangle's exact and sampled p99 are observed values (nearest-rank)."""
    point = measure_tradeoff(latencies_ms, 1.0, repeats=1)
    assert point.exact_ms == percentile(latencies_ms, 99)
    assert point.exact_ms in set(latencies_ms.tolist())
    assert point.estimate_ms == point.exact_ms and point.error_pct == 0.0


def test_a_sample_is_drawn_at_random_positions_not_a_window() -> None:
    """Sorted latencies make a contiguous window's p99 wildly wrong; random rows are not."""
    ordered = np.sort(make_latency_dataset(N_ROWS, seed=2))
    point = measure_tradeoff(ordered, 0.05, repeats=2, error_samples=20)
    assert point.error_pct < 10, f"{point.error_pct:.1f}% error: the sample is not random"


def test_histogram_kept_at_ingest_is_fast_to_ask_and_near_exact(
    latencies_ms: np.ndarray, frontier: list[TradeoffPoint]
) -> None:
    hist = measure_histogram(latencies_ms, repeats=3)
    assert hist.exact_ms == percentile(latencies_ms, 99)
    assert hist.error_pct < 1.0  # two significant digits: buckets about 1% wide
    assert hist.ingest_cpu_s_per_row > 0 and hist.query_cpu_s >= 0
    assert hist.memory_bytes < 100_000 < N_ROWS * 8
    scan, sample = frontier[-1], frontier[0]
    rare = compare_strategies(scan, sample, hist, rows_per_query=N_ROWS)
    often = compare_strategies(scan, sample, hist, rows_per_query=100)
    assert [r.strategy for r in rare] == ["full scan", "0.5% sample", "histogram (2 digits)"]
    # Asked rarely, the histogram's recording costs more than scanning (counts, not times:
    # N_ROWS recordings against one partition of N_ROWS values); asked often, far less.
    assert rare[2].cpu_ms_per_answer > often[2].cpu_ms_per_answer
    assert rare[2].cpu_ms_per_answer == pytest.approx(
        (hist.query_cpu_s + N_ROWS * hist.ingest_cpu_s_per_row) * 1e3
    )
    assert rare[0].error_pct == 0 and rare[0].cpu_ms_per_answer == scan.cpu_s * 1e3
    assert len(format_strategies(rare).splitlines()) == 4
    with pytest.raises(ValueError, match="full-scan"):
        compare_strategies(sample, sample, hist, rows_per_query=10)
    with pytest.raises(ValueError, match="significant_digits"):
        measure_histogram(latencies_ms, significant_digits=7)
