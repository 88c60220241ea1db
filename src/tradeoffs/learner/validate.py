"""The Validate button's result, made useful to a learner.

nbgrader's Validate runs the notebook in a kernel and lists the test cells that failed
with their tracebacks; on a notebook without tests it says "Success! Your notebook passes
all the tests". In the learner's JupyterLab, `on_validated` runs when the notebook has
run (nbclient's `on_notebook_complete` hook, set in learner/jupyter/nbgrader_config.py)
and, before nbgrader reads the outputs:
- puts a summary first: k of n tested parts pass and what to do next (for a lesson: that
  it has no tests, and where its exercise is), as a zero-point cell nbgrader lists;
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
            return "it wrote to stderr (a warning counts as a failure): " + str(out.get("text", ""))[:200]
    return None


def _summary_cell(text: str, detail: str) -> NotebookNode:
    cell = v4.new_code_cell(f"# {text}")
    cell.id = SUMMARY_ID
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
    cell.outputs = [
        v4.new_output("error", ename="Summary", evalue=text, traceback=[text, detail])
    ]
    return cell


def summarise(nb: NotebookNode) -> None:
    """Rewrite the executed notebook `nb` in place (see the module's docstring)."""
    from tradeoffs.learner import hints

    unit = _unit_of(nb)
    tests = [c for c in nb.cells if is_test(c)]
    if not tests and not any(is_manual(c) for c in nb.cells):
        lesson = _lesson_unit(nb)
        where = ""
        if lesson is not None and lesson.exercise_notebook:
            where = f" Its graded exercise is {lesson.exercise_notebook}: validate that one."
        nb.cells.insert(
            0,
            _summary_cell(
                "This notebook is a lesson: it has no tests, so there is nothing to validate.",
                where.strip() or "Run it top to bottom (Run > Run All Cells) and move the sliders.",
            ),
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
        cell.outputs = [
            v4.new_output("error", ename="Failed", evalue=message, traceback=lines)
        ]
    unanswered = [
        grade_id(c) or "?" for c in nb.cells if is_manual(c) and "YOUR ANSWER HERE" in c.source
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
    nb.cells.insert(0, _summary_cell(f"{head}. {nxt}.", f"Hidden tests run when your work is graded{where}."))


def on_validated(notebook: NotebookNode | None = None, **_: Any) -> None:
    """nbclient's on_notebook_complete hook: summarise, only while nbgrader validates."""
    if notebook is None or os.environ.get("NBGRADER_EXECUTION") != "validate":
        return
    try:
        summarise(notebook)
    except Exception:  # never let the summary break the button
        pass
