"""Fixtures for the graded cells of exercise 02: facts the tests compare a learner's answer
with, computed by the test's own code (in the grader's harness, in the grader's process)."""

from __future__ import annotations

import cProfile
import pstats
import random
from collections.abc import Callable
from typing import Any

__all__ = ["profile_top", "rank_events"]


def profile_top(fn: Callable[..., Any], *args: Any) -> tuple[str, int]:
    """(function name, total calls) of the function cProfile ranks first by own time
    (tottime) during ``fn(*args)``. Total calls include recursive ones: pstats shows
    "12/3" for 12 calls of which 3 were primitive, and this returns 12."""
    profiler = cProfile.Profile()
    profiler.runcall(fn, *args)
    raw = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    key, value = max(raw.items(), key=lambda item: item[1][2])
    return str(key[2]), int(value[1])


def rank_events(n_events: int = 40_000, rounds: int = 15, seed: int = 0) -> float:
    """A small program whose time goes to a built-in: it ranks the same events again in
    every round (``sorted``), so the function cProfile ranks first by own time is not one
    of the program's own functions. Returns the sum of each round's median."""
    rng = random.Random(seed)
    events = [rng.random() for _ in range(n_events)]
    total = 0.0
    for _ in range(rounds):
        ranked = sorted(events)
        total += ranked[len(ranked) // 2]
    return total
