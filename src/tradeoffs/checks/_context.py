"""Where a check is running: in a learner's own kernel, or in the grader's harness.

The harness (`tradeoffs.grading.harness`) sets `current` while it runs a test cell, so the
checks can measure learner code from outside its process instead of trusting that
process. This module holds only the hook, so the checks never import the grader.
"""

from __future__ import annotations

from typing import Any, Protocol


class Measurer(Protocol):
    """What the harness offers the checks while a test cell runs."""

    def speed_ratio(
        self,
        candidate: Any,
        reference: Any,
        inputs: list[tuple[Any, ...]],
        kwargs: dict[str, Any],
        repeats: int,
        warmup: int,
        what: str,
        clock: str = "cpu",
    ) -> tuple[float, float]:
        """Medians (seconds) of interleaved calls: (candidate, reference)."""
        ...

    def peak_memory(
        self,
        candidate: Any,
        reference: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        what: str,
    ) -> tuple[int, int]:
        """Peak memory (bytes) of one call each, measured from outside: (candidate, reference)."""
        ...

    def inside(self, factory: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """A handle to `factory(*args, **kwargs)` made in the learner's process."""
        ...


current: Measurer | None = None


def is_remote(value: Any) -> bool:
    """True for a proxy of a learner's object; set by the harness when it loads."""
    return False
