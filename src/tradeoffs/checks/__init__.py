"""Trusted checks for graded cells: `from tradeoffs import checks`.

Test cells call these helpers instead of a bare `assert got == want`. The same test cell
runs in two places:

- in the grader's harness (`tradeoffs grade`, `tradeoffs check`), where the learner's
  functions are proxies into their own process: values come back as plain copies, and
  speed and memory are measured from outside that process;
- in the learner's own kernel (nbgrader's Validate button), where an object whose
  `__eq__` is always true, or a patched clock, could fool a naive check: equality refuses
  anything but exact builtin/numpy types, and speed runs in a fresh process.

Checks raise `CheckFailed` (an AssertionError) with a message written for the learner:
what was called, what came back, what was expected.

    equality   plain, assert_close, assert_equal (ordered=), assert_differs
    measure    run_isolated, speed_ratio, assert_faster, memory_ratio, assert_leaner, inside,
               fresh_seed
    wire       what may cross between processes (and `transferable` for more record types)
"""

from __future__ import annotations

from tradeoffs.checks.equality import (
    CheckFailed,
    LookAlike,
    assert_close,
    assert_differs,
    assert_equal,
    plain,
)
from tradeoffs.checks.measure import (
    MemoryResult,
    SpeedResult,
    assert_faster,
    assert_leaner,
    fresh_seed,
    inside,
    memory_ratio,
    run_isolated,
    speed_ratio,
)
from tradeoffs.checks.wire import register as transferable

__all__ = [
    "CheckFailed",
    "LookAlike",
    "MemoryResult",
    "SpeedResult",
    "assert_close",
    "assert_differs",
    "assert_equal",
    "assert_faster",
    "assert_leaner",
    "fresh_seed",
    "inside",
    "memory_ratio",
    "plain",
    "run_isolated",
    "speed_ratio",
    "transferable",
]
