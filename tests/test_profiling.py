"""Tests for the profiling helpers of unit 02 (tradeoffs.profiling)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from tradeoffs import profiling
from tradeoffs.widgets import profiling as plots


def leaf(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def program(n: int = 20_000) -> int:
    """One heavy leaf call, ten light ones, and a recursive function."""
    heavy = leaf(n * 20)
    light = sum(leaf(n // 100) for _ in range(10))
    return heavy + light + fib(10)


def test_time_repeats_reports_per_call_times() -> None:
    calls = []
    stats = profiling.time_repeats_s(lambda: calls.append(1), repeats=4, number=3, warmup=2)
    assert len(stats.samples_s) == 4
    assert len(calls) == 2 + 4 * 3
    assert stats.min_s <= stats.median_s <= stats.max_s
    assert stats.spread >= 1.0


def test_time_repeats_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="repeats"):
        profiling.time_repeats_s(print, repeats=0)
    with pytest.raises(TypeError, match="function"):
        profiling.time_repeats_s(42)  # type: ignore[arg-type]


def test_profile_table_counts_calls_exactly() -> None:
    run = profiling.profile_call(program, 20_000)
    assert run.result == program(20_000)
    leaf_row = profiling.find_function(run.stats, "leaf")
    assert (leaf_row.total_calls, leaf_row.primitive_calls) == (11, 11)
    fib_row = profiling.find_function(run.stats, "test_profiling.fib")
    assert fib_row.total_calls == 177  # calls of fib(10), recursion included
    assert fib_row.primitive_calls == 1
    assert fib_row.ncalls_text == "177/1"
    assert profiling.top_function(run.stats, "tottime").function == "leaf"
    assert profiling.top_function(run.stats, "cumtime").function == "program"
    assert profiling.top_function(run.stats, "calls").function == "fib"
    rows = profiling.function_table(run.stats, "tottime")
    assert [r.tottime_s for r in rows] == sorted((r.tottime_s for r in rows), reverse=True)
    assert not any("_lsprof.Profiler" in r.function for r in rows)
    assert run.total_s > 0 and run.wall_s >= run.total_s * 0.5


def test_callers_and_callees() -> None:
    run = profiling.profile_call(program, 5_000)
    callers = profiling.callers_of(run.stats, "leaf")
    labels = {label for label, _, _ in callers}
    assert "test_profiling.program" in labels
    assert sum(calls for _, calls, _ in callers) == 11
    callees = {label: calls for label, calls, _ in profiling.callees_of(run.stats, "program")}
    assert callees["test_profiling.leaf"] == 1 and callees["test_profiling.fib"] == 1
    with pytest.raises(ValueError, match="no function"):
        profiling.find_function(run.stats, "not_there")


def test_stats_text_is_pstats_output() -> None:
    run = profiling.profile_call(program, 5_000)
    text = profiling.stats_text(run.stats, sort="tottime", limit=3)
    assert "Ordered by: internal time" in text and "leaf" in text
    assert "cumulative" in profiling.stats_text(run.stats, sort="cumtime")
    with pytest.raises(ValueError, match="sort"):
        profiling.stats_text(run.stats, sort="name")  # type: ignore[arg-type]


def test_icicle_boxes_nest_inside_their_parents() -> None:
    run = profiling.profile_call(program, 20_000)
    boxes = profiling.icicle_boxes(run.stats, root="program")
    root = boxes[0]
    assert root.label == "test_profiling.program" and root.depth == 0
    assert root.width_s == pytest.approx(profiling.find_function(run.stats, "program").cumtime_s)
    for box in boxes[1:]:
        assert box.depth >= 1
        assert box.start_s >= -1e-12
        assert box.start_s + box.width_s <= root.width_s * (1 + 1e-9)
    widest_child = max((b for b in boxes if b.depth == 1), key=lambda b: b.width_s)
    assert widest_child.label == "test_profiling.leaf"
    fig, ax = plt.subplots()
    plots.plot_icicle(boxes, ax)
    assert len(ax.patches) == len(boxes)
    plt.close(fig)


def test_pareto_shares_add_up() -> None:
    run = profiling.profile_call(program, 20_000)
    rows = profiling.pareto_table(run.stats)
    assert rows[0].label == "test_profiling.leaf"
    assert rows[-1].cumulative_share == pytest.approx(1.0)
    assert sum(r.share for r in rows) == pytest.approx(1.0)
    cumulative = [r.cumulative_share for r in rows]
    assert cumulative == sorted(cumulative)
    fig, ax = plt.subplots()
    plots.plot_pareto(rows, ax, top=3)
    assert len(ax.patches) == 4  # three bars and the pooled rest
    plt.close(fig)


def test_amdahl() -> None:
    assert profiling.amdahl_speedup(0.9, 10) == pytest.approx(1 / (0.1 + 0.09))
    assert profiling.amdahl_speedup(0.5, 1) == pytest.approx(1.0)
    assert profiling.amdahl_limit(0.9) == pytest.approx(10.0)
    assert profiling.amdahl_limit(1.0) == math.inf
    assert profiling.amdahl_speedup(0.0, 1000) == 1.0
    with pytest.raises(ValueError, match="fraction"):
        profiling.amdahl_speedup(1.2, 2)
    with pytest.raises(ValueError, match="factor"):
        profiling.amdahl_speedup(0.5, 0)


def test_line_profile_counts_hits_per_line() -> None:
    run = profiling.line_profile(program, 2_000, functions=[leaf])
    assert run.result == program(2_000)
    body = next(line for line in run.lines["leaf"] if line.source == "total += i")
    assert body.hits == 2_000 * 20 + 10 * 20  # the heavy call, then ten light ones
    assert run.hottest("leaf").source in ("total += i", "for i in range(n):")
    assert "Timer unit: 0.001 s" in run.text and "total += i" in run.text
    with pytest.raises(ValueError, match="not profiled"):
        run.hottest("fib")


def test_trace_memory_peak_and_retained() -> None:
    def temporary_then_small() -> list[int]:
        big = [0] * 1_000_000  # 8 MB of pointers, freed before returning
        del big
        return [1, 2, 3]

    run = profiling.trace_memory(temporary_then_small)
    assert run.result == [1, 2, 3]
    assert run.peak_bytes >= 8_000_000
    assert run.retained_bytes < 100_000

    def keep() -> bytearray:
        return bytearray(3_000_000)

    kept = profiling.trace_memory(keep, top=1)
    assert kept.retained_bytes >= 3_000_000
    site, size, _ = kept.top_sites[0]
    assert site.startswith("test_profiling.py:") and size >= 3_000_000


def test_rss_and_memory_line_profile() -> None:
    peak_mib, base_mib = profiling.rss_peak_mib(leaf, 10_000)
    assert peak_mib > 0 and base_mib > 0
    text = profiling.memory_line_profile(program, 200, functions=[leaf])
    assert "total += i" in text and "Mem usage" in text


def test_profiler_overhead_rows() -> None:
    rows = profiling.profiler_overhead(program, 2_000, repeats=2)
    assert [r.tool for r in rows] == ["plain", *profiling.OVERHEAD_TOOLS]
    assert rows[0].ratio == 1.0
    assert all(r.median_s > 0 and r.ratio > 0 for r in rows)
    with pytest.raises(ValueError, match="unknown tool"):
        profiling.profiler_overhead(program, tools=["gprof"])


def test_sampling_profile_names_the_hot_function() -> None:
    result, text = profiling.sampling_profile(leaf, 3_000_000, interval_s=0.001)
    assert result == leaf(3_000_000)
    assert "leaf" in text


def test_trace_events_are_chrome_complete_events(tmp_path: Path) -> None:
    run = profiling.trace_events(program, 1_000)
    assert run.result == program(1_000) and run.dropped == 0
    names = [e["name"] for e in run.events]
    assert names.count("test_profiling.leaf") == 11
    assert names.count("test_profiling.fib") == 177
    first = run.events[0]
    assert first["name"] == "test_profiling.program" and first["args"]["depth"] == 0
    for e in run.events:
        assert e["ph"] == "X" and e["dur"] >= 0
        assert first["ts"] <= e["ts"] and e["ts"] + e["dur"] <= first["ts"] + first["dur"] + 1
    path = profiling.write_chrome_trace(run, tmp_path / "trace.json")
    loaded = json.loads(path.read_text())
    assert len(loaded["traceEvents"]) == len(run.events)
    fig, ax = plt.subplots()
    plots.plot_timeline(run, ax, max_depth=2)
    # program, the heavy leaf, fib, and the generator expression once per resumption (11)
    assert len(ax.patches) == 1 + 1 + 1 + 11
    plt.close(fig)


def test_trace_events_caps_and_builtins() -> None:
    capped = profiling.trace_events(fib, 12, max_events=50)
    assert len(capped.events) == 50 and capped.dropped > 0
    with_c = profiling.trace_events(lambda: sorted([3, 1, 2]), builtins=True)
    assert any(e["cat"] == "builtin" and e["name"] == "sorted" for e in with_c.events)


def test_trace_memory_refuses_nested_tracing() -> None:
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(RuntimeError, match="already tracing"):
            profiling.trace_memory(leaf, 10)
    finally:
        tracemalloc.stop()


def test_timing_is_a_real_measurement() -> None:
    stats = profiling.time_repeats_s(time.sleep, 0.002, repeats=3, warmup=0)
    assert stats.min_s >= 0.002


def test_time_calls_times_each_call_wall_and_cpu() -> None:
    seen: list[int] = []
    times = profiling.time_calls(lambda i: seen.append(i) or time.sleep(0.002), 3, warmup=1)
    assert seen == [0, 0, 1, 2]
    assert times.wall_s.shape == times.cpu_s.shape == (3,)
    assert times.median_wall_s >= 0.002
    assert times.median_cpu_s < times.median_wall_s  # sleeping burns no CPU
    with pytest.raises(ValueError, match="n_calls"):
        profiling.time_calls(print, 0)
    with pytest.raises(TypeError, match="function"):
        profiling.time_calls(3, 1)  # type: ignore[arg-type]


def test_timeit_without_gc_misses_what_container_heavy_code_pays() -> None:
    from tradeoffs.labs.report import make_orders
    from tradeoffs.labs.report.graph import customer_graph

    orders = make_orders(40_000, seed=0)
    off = profiling.time_repeats_s(customer_graph, orders, repeats=3)
    on = profiling.time_repeats_s(customer_graph, orders, repeats=3, gc_enabled=True)
    assert on.median_s > 1.3 * off.median_s  # measured 3x to 5x on a quiet laptop


def _allocate_ten_mib() -> int:
    block = bytearray(10 * 2**20)
    return len(block)


def test_memray_reports_the_peak_and_who_held_it() -> None:
    from tradeoffs.profiling.external import ToolUnavailable, memray_peak

    try:
        run = memray_peak(_allocate_ten_mib)
    except ToolUnavailable as exc:
        pytest.skip(str(exc))
    assert run.peak_bytes >= 10 * 2**20
    assert run.top_sites[0].location.startswith("_allocate_ten_mib (test_profiling.py:")
    assert run.top_sites[0].bytes >= 10 * 2**20


def test_py_spy_samples_a_program_from_outside() -> None:
    from tradeoffs.profiling.external import ToolUnavailable, py_spy_record

    try:
        run = py_spy_record(["-m", "tradeoffs.labs.report", "--orders", "8000"], rate_hz=250)
    except ToolUnavailable as exc:
        pytest.skip(str(exc))
    assert run.samples > 20 and run.rate_hz == 250
    name, share = run.top(1)[0]
    assert name == "dedupe_orders (slow.py)" and share > 0.4
    assert run.cumulative_share[name] >= share
    assert abs(sum(run.own_share.values()) - 1) < 1e-9
