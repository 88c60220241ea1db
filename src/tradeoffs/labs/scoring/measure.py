"""Measurements that graded checks run in a fresh process (``checks.run_isolated``), where
nothing patched in the learner's kernel can reach them."""

from __future__ import annotations

import cProfile
import pstats
import tracemalloc
from collections.abc import Callable
from typing import Any

from tradeoffs.labs.scoring.data import make_data
from tradeoffs.labs.scoring.slow import score_accounts


def _peak_bytes(fn: Callable[..., Any], args: tuple[Any, ...]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        fn(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base


def peak_bytes_pair(
    candidate: Callable[..., Any], n_transactions: int = 5_000, seed: int = 0
) -> tuple[int, int]:
    """(candidate's peak, the original job's peak) in bytes of Python allocations
    (tracemalloc) during one call each on the same seeded inputs, which are built before
    tracing starts. The original runs second, so a candidate cannot lean on its warm-up.
    """
    data = make_data(n_transactions=n_transactions, seed=seed)
    score_accounts(*make_data(n_transactions=10, seed=seed))  # first-call allocations
    candidate(*make_data(n_transactions=10, seed=seed))
    return _peak_bytes(candidate, tuple(data)), _peak_bytes(score_accounts, tuple(data))


def profile_top(fn: Callable[..., Any], *args: Any) -> tuple[str, int]:
    """(function name, total calls) of the function cProfile ranks first by own time
    (tottime) during ``fn(*args)``. Total calls include recursive ones: pstats shows
    "12/3" for 12 calls of which 3 were primitive, and this returns 12."""
    profiler = cProfile.Profile()
    profiler.runcall(fn, *args)
    raw = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    key, value = max(raw.items(), key=lambda item: item[1][2])
    return str(key[2]), int(value[1])
