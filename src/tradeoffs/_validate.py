"""Argument checks shared by the course's modules: clear errors for bad input."""

from __future__ import annotations

import math

import numpy as np


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
