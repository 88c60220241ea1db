"""Argument checks shared by the course's modules: clear errors for bad input."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

T = TypeVar("T")


def positive(value: float, name: str) -> float:
    """`value` as a float; ValueError unless it is finite and > 0."""
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return v


def non_negative(value: float, name: str) -> float:
    """`value` as a float; ValueError unless it is finite and >= 0."""
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")
    return v


def count(value: int, name: str, minimum: int = 1) -> int:
    """`value` as an int; TypeError unless an integer (not a bool), ValueError below `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return int(value)


def fraction(value: float, name: str) -> float:
    """`value` as a float; ValueError unless it lies in [0, 1]."""
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return v


def whole(value: float, name: str, minimum: int = 1) -> int:
    """`value` as an int; ValueError unless it is a whole number >= `minimum` (2.0 passes)."""
    try:
        ok = int(value) == value and int(value) >= minimum
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def share(value: float, name: str) -> float:
    """`value` as a float; ValueError unless it lies in (0, 1] (a utilisation, a sample)."""
    u = float(value)
    if not 0.0 < u <= 1.0:
        raise ValueError(f"{name} must be in (0, 1], got {value!r}")
    return u


def percentile_q(q: float, name: str = "q") -> float:
    """A percentile rank as a float; ValueError unless it lies in [0, 100]."""
    qf = float(q)
    if not 0.0 <= qf <= 100.0 or math.isnan(qf):
        raise ValueError(f"{name}={q!r} is out of range: percentiles are given in [0, 100]")
    return qf


def samples(values: object, name: str = "samples") -> NDArray[np.float64]:
    """A 1-D, non-empty, finite float array, or a ValueError that says what is wrong."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a sequence of numbers: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: a percentile needs at least one sample")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def one_of(value: T, choices: Iterable[T], name: str) -> T:
    """`value` unchanged; ValueError naming the choices unless it is one of them."""
    options = tuple(choices)
    if value not in options:
        listed = ", ".join(repr(c) for c in options)
        raise ValueError(f"unknown {name} {value!r}: use one of {listed}")
    return value


def function(fn: Any, name: str = "fn") -> None:
    """TypeError unless `fn` is callable."""
    if not callable(fn):
        raise TypeError(f"{name}: expected a function to run, got {type(fn).__name__}")
