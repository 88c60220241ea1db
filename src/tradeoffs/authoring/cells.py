"""What kind of nbgrader cell a notebook cell is, read from its `nbgrader` metadata."""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode


def meta(cell: NotebookNode) -> dict[str, Any]:
    """The cell's nbgrader metadata (empty for an ordinary cell)."""
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def grade_id(cell: NotebookNode) -> str | None:
    gid = meta(cell).get("grade_id")
    return str(gid) if gid else None


def is_test(cell: NotebookNode) -> bool:
    """An autograded test: a graded, read-only code cell."""
    m = meta(cell)
    return bool(m.get("grade")) and not m.get("solution") and cell.cell_type == "code"


def is_answer(cell: NotebookNode) -> bool:
    """A cell the learner writes (code or a written answer)."""
    return bool(meta(cell).get("solution"))


def is_manual(cell: NotebookNode) -> bool:
    """A graded answer that a person grades."""
    m = meta(cell)
    return bool(m.get("grade")) and bool(m.get("solution"))


def is_locked(cell: NotebookNode) -> bool:
    """A cell the learner may not change (given code, tests)."""
    m = meta(cell)
    return bool(m.get("locked")) or (bool(m.get("grade")) and not m.get("solution"))
