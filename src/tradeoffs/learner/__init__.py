"""The learner's loop: a workspace of their own copies, progress, hints one rung at a time,
list/next/progress/reset/watch, the check from a notebook cell (`%tradeoffs check`, or
`tradeoffs.learner.check()`), the Validate button's summary, and interview variants.

Nothing here grades: verdicts come from `tradeoffs.grading` (the same harness the
instructor's grader runs, without the sandbox); this package finds the learner's files,
remembers where they stand and says what to do next.
"""

from __future__ import annotations

from typing import Any


def check(notebook: str | None = None) -> Any:
    """Check this notebook (or `notebook`) from a cell: the same per-part summary as
    `tradeoffs check`. It checks the saved file: save first (Ctrl+S)."""
    from tradeoffs.learner.magic import check_from_kernel

    return check_from_kernel(notebook)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext tradeoffs.learner`: registers the `%tradeoffs` magic."""
    from tradeoffs.learner.magic import load_ipython_extension as load

    load(ipython)


__all__ = ["check", "load_ipython_extension"]
