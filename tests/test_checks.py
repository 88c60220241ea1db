"""The trusted checks refuse look-alike objects and cannot be fooled by a patched clock."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from tradeoffs import checks


class AlwaysEqual:
    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__


class SneakyFloat(float):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = float.__hash__


def test_plain_values_compare_with_tolerance() -> None:
    checks.assert_close(0.1 + 0.2, 0.3, what="sum")
    checks.assert_close(np.float64(2.0), 2, what="numpy scalar")
    checks.assert_close(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-12], what="array")
    checks.assert_close((0.5, 0.75), (0.5, 0.75), what="tuple")
    checks.assert_close({"p99": 1.0}, {"p99": 1.0}, what="dict")
    checks.assert_close(math.inf, math.inf, what="inf")
    checks.assert_close(math.nan, math.nan, what="nan")


@pytest.mark.parametrize(
    ("got", "want"),
    [(1.1, 1.0), ([1.0], (1.0,)), (True, 1), ({"a": 1}, {"b": 1}), ([1, 2], [1, 2, 3]), ("1", 1)],
)
def test_different_values_fail(got: object, want: object) -> None:
    with pytest.raises(checks.CheckFailed, match="returned"):
        checks.assert_close(got, want, what="f()")


def test_message_names_the_call_the_result_and_the_expectation() -> None:
    with pytest.raises(checks.CheckFailed) as info:
        checks.assert_close(23.0, 20, what="nearest_rank([15, 20, 35, 40, 50], 30)")
    assert str(info.value) == ("nearest_rank([15, 20, 35, 40, 50], 30) returned 23.0, expected 20")


@pytest.mark.parametrize(
    ("got", "want", "where"),
    [
        (list(range(60)), [*range(41), 99, *range(42, 60)], "at [41]: 41, expected 99"),
        (
            [{"id": i, "height": 144 * (i % 3 + 1)} for i in range(30)],
            [{"id": i, "height": 144 * (i % 3 + 1)} for i in range(29)] + [{"id": 30, "height": 0}],
            "at [29]['id']: 29, expected 30",
        ),
        (
            {"titles": 40, "ttff": [1.5] * 30, "cost_per_min_usd": 0.0123},
            {"titles": 40, "ttff": [1.5] * 30, "cost_per_min_usd": 0.0125},
            "at ['cost_per_min_usd']: 0.0123, expected 0.0125",
        ),
        (list(range(60)), list(range(61)), "60 items, expected 61 (the first 60 agree)"),
        ({f"key{i:03}": i for i in range(30)}, {f"key{i:03}": i for i in range(31)}, "'key030'"),
    ],
)
def test_long_values_say_where_they_first_differ(got: object, want: object, where: str) -> None:
    """Long values would be cut at the same prefix: the message names the first difference."""
    with pytest.raises(checks.CheckFailed) as info:
        checks.assert_close(got, want, what="tier_schedule(jobs)")
    message = str(info.value)
    assert where in message
    assert len(message) <= len("tier_schedule(jobs) returned , expected ") + 2 * 80


def test_the_first_difference_in_a_deep_value_stays_short() -> None:
    deep: object = "a" * 300
    for _ in range(40):
        deep = [deep]
    with pytest.raises(checks.CheckFailed) as info:
        checks.assert_equal([deep, deep], [deep, [[["b"]]]], what="f()")
    assert len(str(info.value)) <= len("f() returned , expected ") + 2 * 80


@pytest.mark.parametrize("lookalike", [AlwaysEqual(), SneakyFloat(1.0), [AlwaysEqual()]])
def test_always_equal_objects_are_refused(lookalike: object) -> None:
    assert lookalike == 1.0 or lookalike == [1.0]  # noqa: PLR1714  (the attack works on ==)
    with pytest.raises(checks.LookAlike, match="type"):
        checks.assert_close(lookalike, 1.0, what="f()")


def test_object_arrays_are_refused() -> None:
    arr = np.array([AlwaysEqual()], dtype=object)
    with pytest.raises(checks.LookAlike, match="dtype object"):
        checks.assert_close(arr, [1.0], what="f()")


def test_assert_differs_catches_the_known_wrong_answer() -> None:
    with pytest.raises(checks.CheckFailed, match="average"):
        checks.assert_differs(445.9, 445.9, what="fleet_p99_ms(h)", why="the average of p99s")
    checks.assert_differs(106.9, 445.9, what="fleet_p99_ms(h)", why="the average of p99s")


def test_patched_math_does_not_reach_the_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(math, "isclose", lambda *a, **k: True)
    with pytest.raises(checks.CheckFailed):
        checks.assert_close(2.0, 1.0, what="f()")


def _slow_sum(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def _fast_sum(n: int) -> int:
    return n * (n - 1) // 2


def _cheat_and_sum(n: int) -> int:
    time.perf_counter = lambda: 0.0  # the attack, from inside the learner's function
    return _slow_sum(n)


def test_run_isolated_returns_plain_results() -> None:
    assert checks.run_isolated(_fast_sum, 10) == 45
    assert checks.run_isolated(np.arange, 3).tolist() == [0, 1, 2]


def test_run_isolated_reports_exceptions_for_the_learner() -> None:
    def broken() -> None:
        raise NotImplementedError("still a stub")

    with pytest.raises(checks.CheckFailed, match="raised NotImplementedError: still a stub"):
        checks.run_isolated(broken, what="broken()")


def test_run_isolated_refuses_lookalike_results() -> None:
    def lookalike() -> object:
        class Eq:
            def __eq__(self, other: object) -> bool:
                return True

        return Eq()

    with pytest.raises(checks.CheckFailed, match="cannot be sent back|expected plain"):
        checks.run_isolated(lookalike)


def test_run_isolated_does_not_see_kernel_patches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "perf_counter", lambda: 0.0)

    def clock_works() -> bool:
        import time as fresh_time

        return fresh_time.perf_counter() > 0

    assert checks.run_isolated(clock_works) is True


def test_run_isolated_times_out() -> None:
    def forever() -> None:
        while True:
            pass

    with pytest.raises(checks.CheckFailed, match="did not finish within 2 s"):
        checks.run_isolated(forever, timeout_s=2)


def test_speed_ratio_ranks_a_real_speedup() -> None:
    result = checks.speed_ratio(_fast_sum, _slow_sum, (200_000,), repeats=5)
    assert result.speedup > 10, result


def test_clock_patched_in_the_kernel_does_not_fool_speed_ratio(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(time, "perf_counter", lambda: 0.0)
    with pytest.raises(checks.CheckFailed, match="as fast as the reference"):
        checks.assert_faster(_slow_sum, _fast_sum, (200_000,), at_least=2, what="slow_sum")


def test_clock_patched_by_the_candidate_does_not_fool_speed_ratio() -> None:
    result = checks.speed_ratio(_cheat_and_sum, _fast_sum, (200_000,), repeats=3)
    assert result.speedup < 1, f"a clock patch made slow code look {result.speedup:.1f}x faster"


def test_speed_ratio_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="repeats"):
        checks.speed_ratio(_fast_sum, _slow_sum, (10,), repeats=0)


def test_ordered_dicts_must_list_keys_in_order() -> None:
    checks.assert_equal({"b": 1, "a": 2}, {"a": 2, "b": 1}, what="f()")
    with pytest.raises(checks.CheckFailed, match="wrong order"):
        checks.assert_equal({"b": 1, "a": 2}, {"a": 2, "b": 1}, what="f()", ordered=True)
    checks.assert_equal({"a": 2, "b": 1}, {"a": 2, "b": 1}, what="f()", ordered=True)


def test_speed_ratio_gives_each_run_its_own_inputs() -> None:
    seen: list[int] = []

    def record(n: int) -> int:
        seen.append(n)
        return n

    # In the learner's own kernel the timing runs in a fresh process; run it here directly.
    from tradeoffs.checks._child import _speed

    _speed(record, record, [(1,), (2,), (3,)], {}, repeats=4, warmup=1)
    assert seen == [1, 1, 2, 2, 3, 3, 1, 1, 2, 2]
    result = checks.speed_ratio(_fast_sum, _slow_sum, inputs=[(100_000,), (120_000,)], repeats=3)
    assert result.speedup > 10, result


def _hungry(n: int) -> int:
    return len([str(i) * 10 for i in range(n)])


def _lean(n: int) -> int:
    return sum(len(str(i) * 10) for i in range(n))


def test_memory_ratio_in_a_fresh_process() -> None:
    result = checks.assert_leaner(_lean, _hungry, (50_000,), at_least=3, what="lean")
    assert result.measure == "tracemalloc" and result.saving > 3
    with pytest.raises(checks.CheckFailed, match="less, expected at least 3x"):
        checks.assert_leaner(_hungry, _lean, (50_000,), at_least=3, what="hungry")


def test_fresh_seeds_cannot_be_guessed() -> None:
    assert len({checks.fresh_seed() for _ in range(20)}) > 15


def test_inside_calls_the_factory_in_a_learners_kernel() -> None:
    assert checks.inside(dict, a=1) == {"a": 1}
