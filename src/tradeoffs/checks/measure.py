"""Speed and memory as ratios against a reference, measured in the same run.

Never an absolute time: `speed_ratio` times the candidate and the reference interleaved
(the order alternates each round, so drift in machine load hits both alike), after a
warm-up, and compares medians; `memory_ratio` compares the peak memory of one call each.

Where the measurement happens depends on where the test runs:
- in the grader's harness (the candidate is a proxy of the learner's code), the harness
  measures from outside the learner's process: wall time around each call with the
  learner's processes frozen while the reference runs, and peak memory from the kernel's
  own accounting (control group or VmHWM) of a fresh learner process;
- in a learner's own kernel, both run in one fresh Python process (`isolated`), timed
  with a clock and tracemalloc bound before the learner's code is loaded.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tradeoffs.checks import _context
from tradeoffs.checks.equality import CheckFailed, short
from tradeoffs.checks.isolated import CannotSend, run_child


@dataclass(frozen=True)
class SpeedResult:
    """Medians of interleaved timings, in seconds, and their ratio."""

    candidate_median_s: float
    reference_median_s: float
    repeats: int

    @property
    def speedup(self) -> float:
        """How many times faster the candidate ran than the reference (> 1 is faster)."""
        return self.reference_median_s / max(self.candidate_median_s, 1e-12)


@dataclass(frozen=True)
class MemoryResult:
    """Peak memory of one call each, in bytes, and their ratio."""

    candidate_peak_bytes: int
    reference_peak_bytes: int
    measure: str  # what was measured: "tracemalloc" or "resident memory"

    @property
    def saving(self) -> float:
        """How many times less memory the candidate needed at its peak (> 1 is leaner)."""
        return self.reference_peak_bytes / max(self.candidate_peak_bytes, 1)


def _harness(*fns: Any) -> _context.Measurer | None:
    """The harness, when one runs this test and any of `fns` is a learner's proxy."""
    current = _context.current
    if current is not None and any(_context.is_remote(f) for f in fns):
        return current
    return None


def run_isolated(
    fn: Callable[..., Any],
    *args: Any,
    timeout_s: float = 60.0,
    what: str | None = None,
    **kwargs: Any,
) -> Any:
    """Call `fn(*args, **kwargs)` where nothing a learner patched can reach it.

    In the grader's harness that is the harness itself (the call runs there; any of the
    learner's functions among the arguments are proxies into their process). In a
    learner's kernel it is a fresh Python process. The result must be plain values;
    exceptions come back as CheckFailed with the exception's type and text.
    """
    if _context.current is not None:
        return fn(*args, **kwargs)
    label = what or f"{getattr(fn, '__name__', 'the function')}(...)"
    return run_child(("call", fn, args, kwargs), timeout_s, label)


def fresh_seed() -> int:
    """A seed nobody can know in advance: measure on inputs made from it, so that no result
    can have been worked out before the measurement (visible test code shows its inputs)."""
    return secrets.randbelow(2**31)


def speed_ratio(
    candidate: Callable[..., Any],
    reference: Callable[..., Any],
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    inputs: Sequence[tuple[Any, ...]] | None = None,
    repeats: int = 7,
    warmup: int = 1,
    timeout_s: float = 120.0,
    what: str | None = None,
    clock: str = "cpu",
) -> SpeedResult:
    """Time `candidate` against `reference` on the same input, interleaved; see the module
    docstring. `clock="cpu"` counts the CPU time the call used (right for computation);
    `clock="wall"` counts elapsed time (right for work that waits, e.g. on a database).
    `inputs`, a list of argument tuples, gives every run (warm-up included) inputs of its
    own, in turn, so remembering results cannot pass for speed. Grade with
    `SpeedResult.speedup`, never with an absolute time."""
    if repeats < 1 or warmup < 0:
        raise ValueError("repeats must be >= 1 and warmup >= 0")
    if clock not in ("cpu", "wall"):
        raise ValueError(f"clock must be 'cpu' or 'wall', got {clock!r}")
    label = what or f"{getattr(candidate, '__name__', 'the function')}(...)"
    kw = dict(kwargs or {})
    runs = [tuple(a) for a in inputs] if inputs else [tuple(args)]
    harness = _harness(candidate, reference)
    if harness is not None:
        cand, ref = harness.speed_ratio(
            candidate, reference, runs, kw, repeats, warmup, label, clock
        )
    else:
        job = ("speed", candidate, reference, runs, kw, repeats, warmup, clock)
        try:
            result = run_child(job, timeout_s, label)
        except CannotSend:
            # Arguments that live only here (a database the test serves): time in this
            # kernel, with the clock bound before the learner's code ran.
            from tradeoffs.checks._child import _speed

            result = _speed(candidate, reference, runs, kw, repeats, warmup, clock)
        if type(result) is not tuple or len(result) != 2:
            raise CheckFailed(f"{label}: the timing process returned {short(result)}")
        cand, ref = result
    return SpeedResult(float(cand), float(ref), repeats)


def assert_faster(
    candidate: Callable[..., Any],
    reference: Callable[..., Any],
    args: tuple[Any, ...] = (),
    *,
    at_least: float,
    what: str,
    inputs: Sequence[tuple[Any, ...]] | None = None,
    repeats: int = 7,
    clock: str = "cpu",
) -> SpeedResult:
    """Check that `candidate` is at least `at_least` times faster than `reference`."""
    result = speed_ratio(
        candidate, reference, args, inputs=inputs, repeats=repeats, what=what, clock=clock
    )
    if not result.speedup >= at_least:
        raise CheckFailed(
            f"{what} ran {result.speedup:.2f}x as fast as the reference "
            f"(medians of {result.repeats} interleaved runs: "
            f"{result.candidate_median_s * 1e3:.2f} ms vs "
            f"{result.reference_median_s * 1e3:.2f} ms); expected at least {at_least:g}x"
        )
    return result


def memory_ratio(
    candidate: Callable[..., Any],
    reference: Callable[..., Any],
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    timeout_s: float = 120.0,
    what: str | None = None,
) -> MemoryResult:
    """Peak memory of one call of `candidate` and one of `reference` on the same input
    (the reference second); see the module docstring for where it is measured."""
    label = what or f"{getattr(candidate, '__name__', 'the function')}(...)"
    kw = dict(kwargs or {})
    harness = _harness(candidate, reference)
    if harness is not None:
        cand, ref = harness.peak_memory(candidate, reference, tuple(args), kw, label)
        return MemoryResult(int(cand), int(ref), "resident memory")
    result = run_child(("memory", candidate, reference, tuple(args), kw), timeout_s, label)
    if type(result) is not tuple or len(result) != 2:
        raise CheckFailed(f"{label}: the measuring process returned {short(result)}")
    return MemoryResult(int(result[0]), int(result[1]), "tracemalloc")


def assert_leaner(
    candidate: Callable[..., Any],
    reference: Callable[..., Any],
    args: tuple[Any, ...] = (),
    *,
    at_least: float,
    what: str,
) -> MemoryResult:
    """Check that `candidate`'s peak memory is at most 1/`at_least` of `reference`'s."""
    result = memory_ratio(candidate, reference, args, what=what)
    if not result.saving >= at_least:
        raise CheckFailed(
            f"{what} peaked at {result.candidate_peak_bytes:,} bytes, the reference at "
            f"{result.reference_peak_bytes:,} ({result.measure}): {result.saving:.1f}x less, "
            f"expected at least {at_least:g}x less"
        )
    return result


def inside(factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """An object made by `factory(*args, **kwargs)` in the learner's process.

    Use it for what cannot cross as plain data (a database session, a model, a file):
    `factory` must be importable (a function of the package). The grader's harness gets
    back a handle to pass to the learner's code; in a learner's own kernel this simply
    calls `factory`.
    """
    current = _context.current
    if current is not None:
        return current.inside(factory, tuple(args), dict(kwargs))
    return factory(*args, **kwargs)
