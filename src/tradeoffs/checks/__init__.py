"""Trusted checks for graded cells.

Test cells call these helpers instead of bare `assert got == want`, because a
learner's code runs in the same kernel as the tests and can fool naive checks:
an object whose `__eq__` always returns True passes `==`, and a patched
`time.perf_counter` makes any code look fast. So:

- equality first turns what the learner returned into plain builtin or numpy
  values, refusing any other type (subclasses included), then compares those
  values itself, with a tolerance for floats;
- a learner's function can be run in a fresh Python process
  (`run_isolated`), where nothing patched in the kernel exists, and its
  result comes back only as plain values;
- speed is never an absolute time: `speed_ratio` runs the learner's function
  and a reference in one fresh process, interleaved, after warm-up, and
  compares their medians.

Checks raise `CheckFailed` (an AssertionError) with a message written for
the learner: what was called, what came back, what was expected.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

# Bound at import, before any learner code runs: later patches of the
# builtins or of math do not reach the comparisons below.
_isclose = math.isclose
_isnan = math.isnan
_type = type
_len = len
_repr = repr

_SCALARS = (bool, int, float, str, bytes, type(None))
_SEQUENCES = (list, tuple)


class CheckFailed(AssertionError):
    """A graded check did not pass; the message says why, for the learner."""


class LookAlike(CheckFailed):
    """The value is not a plain builtin/numpy value, so it cannot be trusted."""


def _short(value: Any, limit: int = 80) -> str:
    try:
        text = _repr(value)
    except Exception:  # a hostile __repr__ must not hide the verdict
        text = f"<{_type(value).__name__} object>"
    return text if _len(text) <= limit else text[: limit - 3] + "..."


def plain(value: Any, *, what: str = "the value") -> Any:
    """`value` as plain builtins (numpy values become Python numbers and lists).

    Accepted: None, bool, int, float, str, bytes, list, tuple, dict with such
    keys and values, numpy scalars and numeric/bool numpy arrays, with exact
    types only. Anything else raises LookAlike naming the type.
    """
    kind = _type(value)
    if kind in _SCALARS:
        return value
    if kind in _SEQUENCES:
        return kind(plain(v, what=what) for v in value)
    if kind is dict:
        return {plain(k, what=what): plain(v, what=what) for k, v in value.items()}
    if kind is np.ndarray:
        if value.dtype.kind not in "biuf":
            raise LookAlike(f"{what} is a numpy array of dtype {value.dtype}; expected numbers")
        return value.tolist()
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        if value.dtype.kind not in "biuf":
            raise LookAlike(f"{what} is a numpy {value.dtype} scalar; expected a number")
        return value.item()
    raise LookAlike(
        f"{what} is of type {kind.__module__}.{kind.__qualname__}; expected a plain number, "
        "string, list, tuple, dict or numpy array"
    )


def _same(got: Any, want: Any, rel: float, abs_: float) -> bool:
    if _type(want) is float or _type(got) is float:
        if _type(got) not in (int, float) or _type(want) not in (int, float):
            return False
        if _type(got) is bool or _type(want) is bool:
            return False
        if _isnan(float(want)):
            return _isnan(float(got))
        return _isclose(float(got), float(want), rel_tol=rel, abs_tol=abs_)
    if _type(got) is not _type(want):
        return False
    if _type(want) in (list, tuple):
        return _len(got) == _len(want) and all(
            _same(g, w, rel, abs_) for g, w in zip(got, want, strict=True)
        )
    if _type(want) is dict:
        return got.keys() == want.keys() and all(_same(got[k], want[k], rel, abs_) for k in want)
    return bool(got == want)  # both are the same builtin scalar type here


def assert_close(
    got: Any,
    want: Any,
    *,
    what: str,
    rel: float = 1e-9,
    abs: float = 1e-12,  # noqa: A002  (mirrors math.isclose)
) -> None:
    """Check that `got` equals `want`, floats within `rel`/`abs` tolerance.

    `what` names the call for the message, e.g. "nearest_rank([3, 1, 2], 50)".
    Numbers compare across int/float (2 == 2.0) but a bool is not a number,
    and containers must be of the same kind (a list is not a tuple).
    """
    got_plain = plain(got, what=f"{what} returned a value that")
    want_plain = plain(want, what="the expected value")
    if not _same(got_plain, want_plain, rel, abs):
        raise CheckFailed(f"{what} returned {_short(got)}, expected {_short(want)}")


def assert_equal(got: Any, want: Any, *, what: str) -> None:
    """Check exact equality of plain values (floats without tolerance)."""
    assert_close(got, want, what=what, rel=0.0, abs=0.0)


def assert_differs(got: Any, wrong: Any, *, what: str, why: str, rel: float = 1e-6) -> None:
    """Check that `got` is *not* a known wrong answer (e.g. an average of p99s)."""
    got_plain = plain(got, what=f"{what} returned a value that")
    if _same(got_plain, plain(wrong), rel, 0.0):
        raise CheckFailed(f"{what} returned {_short(got)}, which is {why}")


# ---------------------------------------------------------------- isolation


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


class _PlainUnpickler(pickle.Unpickler):
    """Loads only builtin containers and numpy arrays: no learner-defined classes."""

    _ALLOWED = {
        ("builtins", "complex"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "slice"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy.core.numeric", "_frombuffer"),
        ("tradeoffs.checks", "SpeedResult"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise LookAlike(
            f"the function returned an object of type {module}.{name}; expected plain values"
        )


def _run_child(job: tuple[Any, ...], timeout_s: float, what: str) -> Any:
    import cloudpickle

    try:
        payload = cloudpickle.dumps(job)
    except Exception as exc:
        raise CheckFailed(f"{what}: cannot send the function to a fresh process: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="tradeoffs-check-") as tmp:
        result_path = os.path.join(tmp, "result.pickle")
        # The child imports what the kernel can import (functions defined in a module are
        # sent by reference); nothing else of the kernel's state goes with it.
        path = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
        env = dict(os.environ, TRADEOFFS_RESULT=result_path, PYTHONPATH=path)
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "tradeoffs.checks._child"],
                input=payload,
                capture_output=True,
                timeout=timeout_s,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CheckFailed(f"{what} did not finish within {timeout_s:g} s") from exc
        if proc.returncode != 0 or not os.path.exists(result_path):
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
            detail = "\n".join(tail) or f"exit status {proc.returncode}"
            raise CheckFailed(f"{what} crashed the fresh process it ran in:\n{detail}")
        with open(result_path, "rb") as fh:
            status, value = _PlainUnpickler(io.BytesIO(fh.read())).load()
    if status == "error":
        raise CheckFailed(f"{what} raised {value}")
    return value


def run_isolated(
    fn: Callable[..., Any],
    *args: Any,
    timeout_s: float = 60.0,
    what: str | None = None,
    **kwargs: Any,
) -> Any:
    """Call `fn(*args, **kwargs)` in a fresh Python process and return its result.

    Nothing the learner patched in the kernel (clocks, builtins, these checks)
    exists there. The result must be plain values (see `plain`); exceptions
    raised by `fn` come back as CheckFailed with the exception's type and text.
    """
    label = what or f"{getattr(fn, '__name__', 'the function')}(...)"
    return _run_child(("call", fn, args, kwargs), timeout_s, label)


def speed_ratio(
    candidate: Callable[..., Any],
    reference: Callable[..., Any],
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    repeats: int = 7,
    warmup: int = 1,
    timeout_s: float = 120.0,
    what: str | None = None,
) -> SpeedResult:
    """Time `candidate` against `reference` on the same input, in one fresh process.

    Both run `warmup` times, then `repeats` times interleaved (the order
    alternates each round, so drift in machine load hits both alike); the
    result holds the two medians. Grade with `SpeedResult.speedup`, a ratio
    measured in this one run, never with an absolute time.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError("repeats must be >= 1 and warmup >= 0")
    label = what or f"{getattr(candidate, '__name__', 'the function')}(...)"
    result = _run_child(
        ("speed", candidate, reference, args, dict(kwargs or {}), repeats, warmup),
        timeout_s,
        label,
    )
    if _type(result) is not SpeedResult:
        raise CheckFailed(f"{label}: the timing process returned {_short(result)}")
    return result


def assert_faster(
    candidate: Callable[..., Any],
    reference: Callable[..., Any],
    args: tuple[Any, ...] = (),
    *,
    at_least: float,
    what: str,
    repeats: int = 7,
) -> SpeedResult:
    """Check that `candidate` is at least `at_least` times faster than `reference`."""
    result = speed_ratio(candidate, reference, args, repeats=repeats, what=what)
    if not result.speedup >= at_least:
        raise CheckFailed(
            f"{what} ran {result.speedup:.2f}x as fast as the reference "
            f"(medians of {result.repeats} interleaved runs: "
            f"{result.candidate_median_s * 1e3:.2f} ms vs "
            f"{result.reference_median_s * 1e3:.2f} ms); expected at least {at_least:g}x"
        )
    return result


# ---------------------------------------------------------------- crossing to the learner

_TRANSFERABLE: dict[str, type] = {}


def transferable(cls: type) -> type:
    """Class decorator: instances of this dataclass or NamedTuple may be passed to and
    returned from learner code in graded tests (they cross as their fields)."""
    _TRANSFERABLE[f"{cls.__module__}:{cls.__qualname__}"] = cls
    return cls


def inside(factory: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """An object made by `factory(*args, **kwargs)` in the learner's process.

    Use it for what cannot cross as plain data (a database session, a model, a file):
    `factory` must be a function of the `tradeoffs` package. In the learner's own kernel
    this simply calls it.
    """
    return factory(*args, **kwargs)
