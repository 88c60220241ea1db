"""Comparing what learner code returned with what was expected, refusing look-alikes.

A value is first turned into plain builtin values, with exact types only (a subclass of
int, or an object whose `__eq__` is always true, is refused as a `LookAlike`), and then
compared by this module's own code, with a tolerance for floats. In the grader's harness
a learner's value arrives as a plain copy anyway; in a learner's own kernel these checks
are what stands between a test and an always-equal object.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# Bound at import, before any learner code runs: later patches of the builtins or of math
# in a learner's kernel do not reach the comparisons below.
_isclose = math.isclose
_isnan = math.isnan
_type = type
_len = len
_repr = repr

_SCALARS = (bool, int, float, complex, str, bytes, type(None))
_SEQUENCES = (list, tuple)


class CheckFailed(AssertionError):
    """A graded check did not pass; the message says why, for the learner."""


class LookAlike(CheckFailed):
    """The value is not a plain builtin/numpy value, so it cannot be trusted."""


def short(value: Any, limit: int = 80) -> str:
    """`repr(value)`, cut to `limit` characters; a hostile `__repr__` cannot hide a verdict."""
    try:
        text = _repr(value)
    except Exception:
        text = f"<{_type(value).__name__} object>"
    return text if _len(text) <= limit else text[: limit - 3] + "..."


def plain(value: Any, *, what: str = "the value") -> Any:
    """`value` as plain builtins (numpy values become Python numbers and lists).

    Accepted: None, bool, int, float, complex, str, bytes, list, tuple, set, frozenset,
    dict with such keys and values, numpy scalars and numeric/bool numpy arrays, with exact
    types only. Anything else raises LookAlike naming the type.
    """
    kind = _type(value)
    if kind in _SCALARS:
        return value
    if kind in _SEQUENCES:
        return kind(plain(v, what=what) for v in value)
    if kind is set or kind is frozenset:
        return kind(plain(v, what=what) for v in value)
    if kind is dict:
        return {plain(k, what=what): plain(v, what=what) for k, v in value.items()}
    if kind is np.ndarray:
        if value.dtype.kind not in "biufc":
            raise LookAlike(f"{what} is a numpy array of dtype {value.dtype}; expected numbers")
        return value.tolist()
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        if value.dtype.kind not in "biufc":
            raise LookAlike(f"{what} is a numpy {value.dtype} scalar; expected a number")
        return value.item()
    raise LookAlike(
        f"{what} is of type {kind.__module__}.{kind.__qualname__}; expected a plain number, "
        "string, list, tuple, dict or numpy array"
    )


def same(got: Any, want: Any, rel: float, abs_: float, ordered: bool = False) -> bool:
    """Whether two plain values are equal, floats within tolerance; with `ordered`, dicts
    must also list their keys in the same order."""
    if _type(want) in (float, complex) or _type(got) in (float, complex):
        if _type(got) not in (int, float, complex) or _type(want) not in (int, float, complex):
            return False
        if _type(got) is complex or _type(want) is complex:
            g, w = complex(got), complex(want)
            return same(g.real, w.real, rel, abs_) and same(g.imag, w.imag, rel, abs_)
        if _isnan(float(want)):
            return _isnan(float(got))
        return _isclose(float(got), float(want), rel_tol=rel, abs_tol=abs_)
    if _type(got) is not _type(want):
        return False
    if _type(want) in (list, tuple):
        return _len(got) == _len(want) and all(
            same(g, w, rel, abs_, ordered) for g, w in zip(got, want, strict=True)
        )
    if _type(want) is dict:
        if ordered and list(got) != list(want):
            return False
        return got.keys() == want.keys() and all(
            same(got[k], want[k], rel, abs_, ordered) for k in want
        )
    return bool(got == want)  # both are the same builtin scalar (or set) type here


def first_difference(
    got: Any, want: Any, rel: float, abs_: float, ordered: bool = False
) -> str | None:
    """Where two plain containers first differ, said in a few words (e.g. "at [3]: 7,
    expected 8"), or None when they are not both lists, tuples or dicts of the same kind."""
    path = ""
    while _type(got) is _type(want) and _type(want) in (list, tuple, dict):
        if _type(want) is dict:
            missing = [k for k in want if k not in got]
            if missing:
                return f"{'in ' + path + ' ' if path else ''}key {short(missing[0], 30)} is missing"
            extra = [k for k in got if k not in want]
            if extra:
                return (
                    f"{'in ' + path + ' ' if path else ''}key {short(extra[0], 30)} is not expected"
                )
            keys = list(want)
        else:
            keys = list(range(min(_len(got), _len(want))))
        step = next((k for k in keys if not same(got[k], want[k], rel, abs_, ordered)), None)
        if step is None:
            if _type(want) is not dict and _len(got) != _len(want):
                return (
                    f"{'in ' + path + ' ' if path else ''}{_len(got)} items, expected "
                    f"{_len(want)} (the first {min(_len(got), _len(want))} agree)"
                )
            return None
        path += f"[{short(step, 30)}]"
        path = path if _len(path) <= 30 else "..." + path[-27:]
        got, want = got[step], want[step]
    return f"at {path}: {short(got, 35)}, expected {short(want, 35)}" if path else None


def assert_close(
    got: Any,
    want: Any,
    *,
    what: str,
    rel: float = 1e-9,
    abs: float = 1e-12,  # noqa: A002  (mirrors math.isclose)
    ordered: bool = False,
) -> None:
    """Check that `got` equals `want`, floats within `rel`/`abs` tolerance.

    `what` names the call for the message, e.g. "nearest_rank([3, 1, 2], 50)". Numbers
    compare across int/float (2 == 2.0) but a bool is not a number, and containers must be
    of the same kind (a list is not a tuple). With `ordered=True`, dicts must also have
    their keys in the same order (for a task that promises sorted output).
    """
    got_plain = plain(got, what=f"{what} returned a value that")
    want_plain = plain(want, what="the expected value")
    if not same(got_plain, want_plain, rel, abs, ordered):
        if ordered and _type(want_plain) is dict and got_plain == want_plain:
            raise CheckFailed(
                f"{what} returned the right entries in the wrong order: "
                f"keys {short(list(got_plain))}, expected {short(list(want_plain))}"
            )
        where = first_difference(got_plain, want_plain, rel, abs, ordered)
        if where is not None and _len(_repr(got_plain)) + _len(_repr(want_plain)) > 150:
            # Long values would be cut at the same prefix: show where they differ instead.
            raise CheckFailed(f"{what} returned {short(got, 40)}; {where}")
        raise CheckFailed(f"{what} returned {short(got)}, expected {short(want)}")


def assert_equal(got: Any, want: Any, *, what: str, ordered: bool = False) -> None:
    """Check exact equality of plain values (floats without tolerance)."""
    assert_close(got, want, what=what, rel=0.0, abs=0.0, ordered=ordered)


def assert_differs(got: Any, wrong: Any, *, what: str, why: str, rel: float = 1e-6) -> None:
    """Check that `got` is *not* a known wrong answer (e.g. an average of p99s)."""
    got_plain = plain(got, what=f"{what} returned a value that")
    if same(got_plain, plain(wrong), rel, 0.0):
        raise CheckFailed(f"{what} returned {short(got)}, which is {why}")
