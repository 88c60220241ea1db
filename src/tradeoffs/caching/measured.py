"""Measured costs of caching: serialization (pickle vs JSON) and backend round trips,
timed on this machine with :func:`tradeoffs.profiling.time_calls`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tradeoffs._validate import count as _count
from tradeoffs.caching.backends import CacheBackend, Serializer, codec
from tradeoffs.profiling.timing import time_calls

__all__ = ["serialization_cost", "time_backend_us"]


def _median_us(fn: Callable[[], object], repeats: int) -> float:
    return time_calls(lambda _i: fn(), repeats).median_wall_s * 1e6


def serialization_cost(value: Any, repeats: int = 200) -> dict[str, dict[str, float]]:
    """Measure how long ``value`` takes to serialize and back with pickle and JSON.

    Returns ``{"pickle": {...}, "json": {...}}`` with ``bytes``, ``dumps_us`` and
    ``loads_us`` (medians of ``repeats`` timed calls, microseconds).
    """
    reps = _count(repeats, "repeats")
    out: dict[str, dict[str, float]] = {}
    names: tuple[Serializer, ...] = ("pickle", "json")
    for name in names:
        dumps, loads = codec(name)
        data = dumps(value)
        out[name] = {
            "bytes": float(len(data)),
            "dumps_us": _median_us(lambda: dumps(value), reps),  # noqa: B023 (used at once)
            "loads_us": _median_us(lambda: loads(data), reps),  # noqa: B023
        }
    return out


def time_backend_us(
    backend: CacheBackend, value: Any, n: int = 500, key: str = "bench"
) -> dict[str, NDArray[np.float64]]:
    """Time ``n`` sets then ``n`` gets of ``value`` on ``backend``, one call at a time.

    Returns ``{"set": µs per call, "get": µs per call}`` (arrays of length ``n``), measured
    with ``time.perf_counter_ns``; for Redis this includes serialization and the network
    round trip.
    """
    calls = _count(n, "n")
    out = {
        "set": time_calls(lambda _i: backend.set(key, value), calls).wall_s * 1e6,
        "get": time_calls(lambda _i: backend.get(key), calls).wall_s * 1e6,
    }
    backend.delete(key)
    return out
