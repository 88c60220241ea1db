"""The Validate button's result, made useful to a learner.

nbgrader's Validate runs the notebook in a kernel and lists the test cells that failed
with their tracebacks; on a notebook without tests it says "Success! Your notebook passes
all the tests". In the learner's JupyterLab, `on_cell_start` (nbclient's hook, set in
learner/jupyter/nbgrader_config.py) sees every cell as the run reaches it; when it reaches
the last cell of a learner's copy (the "Next:" links, after every test has run), and
before nbgrader reads the outputs, it:
- puts a summary first: k of n tested parts pass and what to do next (for a lesson: that
  it has no tests, and where its exercise is), in place of the banner cell, as a
  zero-point cell that nbgrader lists;
- replaces each failing test's traceback by the check's message for it (the last line of
  the error, "still the unsolved stub" for a stub) and how to ask for a hint.
It changes only the executed copy nbgrader holds in memory, never the learner's file, and
only while nbgrader validates (NBGRADER_EXECUTION=validate): autograding is untouched.
"""

from __future__ import annotations

import os
import re
from typing import Any

from nbformat import NotebookNode, v4

from tradeoffs.authoring.cells import grade_id, is_manual, is_test
from tradeoffs.learner.workspace import BANNER_TAG, NEXT_TAG

SUMMARY_ID = "tradeoffs-summary"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _unit_of(nb: NotebookNode) -> Any:
    """The course unit whose exercise has these grade ids (None outside the course)."""
    try:
        from tradeoffs.catalog import load

        course = load(None)
    except Exception:
        return None
    ids = {grade_id(c) for c in nb.cells if grade_id(c)}
    for unit in course.exercises:
        if ids & set(unit.hint_ladders):
            return unit
    return None


def _lesson_unit(nb: NotebookNode) -> Any:
    try:
        from tradeoffs.catalog import load

        course = load(None)
    except Exception:
        return None
    first = nb.cells[0].source if nb.cells else ""
    for unit in course.units:
        if f"lesson {unit.id}" in first or f"`{unit.lesson}`" in first:
            return unit
    return None


def _failure(cell: NotebookNode) -> str | None:
    """The failure's message, or None when the cell passed."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            ename, evalue = str(out.get("ename", "")), _ANSI.sub("", str(out.get("evalue", "")))
            if ename == "NotImplementedError":
                return "still the unsolved stub: write your code and delete the `raise` line"
            if ename == "NameError":
                return f"{ename}: {evalue} (run the cells above it first, or define it)"
            return f"{ename}: {evalue}" if evalue else ename
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return (
                "it wrote to stderr (a warning counts as a failure): "
                + str(out.get("text", ""))[:200]
            )
    return None


def _summary_cell(text: str, detail: str, into: NotebookNode | None = None) -> NotebookNode:
    """A zero-point graded cell whose error output is the summary (`into`: made in place of
    that cell object, which the run's notebook holds)."""
    cell = into if into is not None else v4.new_code_cell("")
    cell.cell_type = "code"
    cell.source = f"# {text}"
    cell.execution_count = None
    cell.pop("attachments", None)
    cell.metadata = {
        "nbgrader": {
            "grade": True,
            "grade_id": SUMMARY_ID,
            "locked": True,
            "points": 0,
            "schema_version": 3,
            "solution": False,
        }
    }
    cell.outputs = [v4.new_output("error", ename="Summary", evalue=text, traceback=[text, detail])]
    return cell


def summarise(cells: list[NotebookNode]) -> None:
    """Rewrite the executed cells in place (see the module's docstring); the first cell, the
    learner's banner, becomes the summary."""
    from tradeoffs.learner import hints

    nb = v4.new_notebook(cells=cells)
    unit = _unit_of(nb)
    tests = [c for c in cells if is_test(c)]
    slot = (
        cells[0] if cells and BANNER_TAG in cells[0].get("metadata", {}).get("tags", []) else None
    )
    if slot is None:
        return
    if not tests and not any(is_manual(c) for c in cells):
        lesson = _lesson_unit(nb)
        where = ""
        if lesson is not None and lesson.exercise_notebook:
            where = f" Its graded exercise is {lesson.exercise_notebook}: validate that one."
        _summary_cell(
            "This notebook is a lesson: it has no tests, so there is nothing to validate.",
            where.strip() or "Run it top to bottom (Run > Run All Cells) and move the sliders.",
            into=slot,
        )
        return
    failing = []
    for cell in tests:
        message = _failure(cell)
        if message is None:
            continue
        gid = grade_id(cell) or "?"
        failing.append(gid)
        lines = [f"{gid}: {message}"]
        if unit is not None and hints.ladder(unit, gid):
            lines.append(hints.how_to_ask(unit, gid))
        cell.outputs = [v4.new_output("error", ename="Failed", evalue=message, traceback=lines)]
    unanswered = [
        grade_id(c) or "?" for c in cells if is_manual(c) and "YOUR ANSWER HERE" in c.source
    ]
    passing = len(tests) - len(failing)
    head = f"{passing} of {len(tests)} tested parts pass"
    if failing:
        nxt = f"Next: make {failing[0]} pass"
        if unit is not None and hints.ladder(unit, failing[0]):
            nxt += f" (stuck? `{hints.hint_command(unit, failing[0])}` in a terminal)"
    elif unanswered:
        nxt = f"Next: answer {', '.join(unanswered)} in words (graded by hand)"
    else:
        return  # every test passes, nothing left: nbgrader's "Success!" is the truth
    where = f" (`tradeoffs check exercises/{unit.id}` gives the same in a terminal)" if unit else ""
    _summary_cell(
        f"{head}. {nxt}.", f"Hidden tests run when your work is graded{where}.", into=slot
    )


_seen: list[NotebookNode] = []


def on_cell_start(cell: NotebookNode | None = None, cell_index: int = -1, **_: Any) -> None:
    """nbclient's on_cell_start hook, called for every cell in order as the run reaches it
    (so at the last one, every earlier cell has run): only while nbgrader validates."""
    if cell is None or os.environ.get("NBGRADER_EXECUTION") != "validate":
        return
    if cell_index == 0:
        _seen.clear()
    _seen.append(cell)
    tags = cell.get("metadata", {}).get("tags", [])
    if NEXT_TAG in tags and len(_seen) == cell_index + 1:
        try:
            summarise(list(_seen))
        except Exception:  # never let the summary break the button
            pass
        finally:
            _seen.clear()
