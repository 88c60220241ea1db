"""The learner's check and its per-part summary: one text for the terminal, the notebook
cell (`%tradeoffs check`), `tradeoffs watch` and the Validate button.

The verdict is the grader's harness run without the sandbox, on the visible tests
(`grading.check.check_notebook`). The student version it checks against is the course's
generated `exercises/` notebook, read from disk when it is newer than its master copy
(nbgrader is then not even imported: the cold check's largest saving), else built afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from tradeoffs.catalog import Course, Unit
from tradeoffs.learner import hints

UNSOLVED = "still the unsolved stub: write your code and delete the `raise` line"


def released_notebook(course: Course, unit: Unit, nb: NotebookNode | None = None) -> NotebookNode:
    """The student version of `unit`'s exercise: the committed copy when it is current; for
    the interview unit, the student version of the variant `nb` is."""
    import nbformat

    from tradeoffs.learner import interview

    if unit.id == interview.UNIT_ID and nb is not None:
        seed = interview.seed_of(nb)
        if seed != interview.DEFAULT_SEED or interview.timed_of(nb):
            return interview.variant_student(course, seed, interview.timed_of(nb))

    built = course.root / str(unit.exercise_notebook)
    source = course.root / str(unit.exercise)
    if built.is_file() and source.is_file() and built.stat().st_mtime >= source.stat().st_mtime:
        return nbformat.read(str(built), as_version=4)
    from tradeoffs.authoring.build import student_notebook

    return student_notebook(course, unit)


def read_learner_notebook(path: Path) -> NotebookNode:
    """Read a learner's notebook; a broken one is a LearnerError that says where the JSON
    breaks and that the file was left as it is."""
    import json

    import nbformat

    from tradeoffs.learner.commands import LearnerError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LearnerError(f"cannot read {path}: {exc}. The file was not changed.") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        line = lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else ""
        shown = line[max(0, exc.colno - 40) : exc.colno + 20]
        if exc.pos >= len(text.rstrip()):
            shown, exc.msg = "", f"{exc.msg} (the file ends there: cut short?)"
        raise LearnerError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            + (f" (near: {shown.strip()!r})" if shown.strip() else "")
            + ". The file was not changed. If JupyterLab has it open, save it again (it keeps "
            "the notebook in memory); otherwise restore the last good copy from "
            f"{path.parent / '.ipynb_checkpoints'} or start afresh with `tradeoffs reset`."
        ) from None
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:
        raise LearnerError(
            f"{path} is JSON but not a notebook ({type(exc).__name__}: {exc}). "
            "The file was not changed."
        ) from None


@dataclass(frozen=True)
class Part:
    """One graded part as the learner reads it."""

    grade_id: str
    kind: str  # test | written
    passed: bool
    points: float
    max_points: float
    message: str  # empty when it passed

    @property
    def mark(self) -> str:
        if self.kind == "written":
            return "todo" if self.message else "done"
        return "pass" if self.passed else "FAIL"


def parts_of(verdict: Any) -> list[Part]:
    """The verdict's parts, tests first in notebook order, then written answers."""
    out = []
    for gid, test in verdict.tests.items():
        message = ""
        if not test.passed:
            message = test.summary
            if message.startswith("NotImplementedError"):
                message = UNSOLVED
            elif message.startswith("NameError"):
                message += " (the cell that defines it did not run to the end: still the stub?)"
            elif test.status not in ("", "failed", "passed"):
                message = f"[{test.status}] {message}"
        out.append(Part(gid, "test", test.passed, test.points, test.max_points, message))
    for gid in verdict.unanswered:
        out.append(
            Part(gid, "written", False, 0, 0, "written answer, graded by hand: not answered yet")
        )
    return out


def summary_line(unit: Unit, verdict: Any) -> str:
    """k of n parts pass, and what to do next."""
    tested = [p for p in parts_of(verdict) if p.kind == "test"]
    passing = [p for p in tested if p.passed]
    earned, possible = verdict.score
    line = (
        f"{unit.id}: {len(passing)} of {len(tested)} tested parts pass "
        f"({earned:g}/{possible:g} points on the visible tests)"
    )
    failing = [p for p in tested if not p.passed]
    if failing:
        first = failing[0]
        nxt = f"next: make {first.grade_id} pass"
        if hints.ladder(unit, first.grade_id):
            nxt += f" (stuck? `{hints.hint_command(unit, first.grade_id)}`)"
    elif verdict.unanswered:
        nxt = f"next: answer {', '.join(verdict.unanswered)} in words (graded by hand)"
    else:
        nxt = "next: every visible test passes; hidden tests run when your work is graded"
    return f"{line}; {nxt}"


def report_lines(unit: Unit, verdict: Any, seconds: float | None = None) -> list[str]:
    """The per-part summary: one line a part, the failure's message and how to get a hint
    (never the hint itself: that is `tradeoffs hint`), then the summary line."""
    lines = []
    for part in parts_of(verdict):
        if part.kind == "written":
            lines.append(f"  todo  {part.grade_id:<24} {part.message}")
            continue
        lines.append(f"  {part.mark}  {part.grade_id:<24} {part.points:g}/{part.max_points:g}")
        if not part.passed:
            lines.append(f"        {part.message}")
            ask = hints.how_to_ask(unit, part.grade_id)
            if ask:
                lines.append(f"        {ask}")
    for gid in verdict.changed_tests:
        lines.append(
            f"  note  {gid:<24} this test cell was edited; grading restores the original,"
            " so your verdict may differ"
        )
    took = f" ({seconds:.1f} s)" if seconds is not None else ""
    lines.append(summary_line(unit, verdict) + took)
    return lines


def run_check(
    course: Course,
    unit: Unit,
    path: Path,
    *,
    released: NotebookNode | None = None,
    spare: Any = None,
) -> Any:
    """Check the saved notebook at `path`; returns the grading.check.NotebookVerdict."""
    from tradeoffs.grading.check import check_notebook

    nb = read_learner_notebook(path)
    return check_notebook(
        course,
        unit,
        nb,
        workdir=path.parent.resolve(),
        released=released if released is not None else released_notebook(course, unit, nb),
        spare=spare,
    )


def record(course: Course, unit: Unit, path: Path, verdict: Any) -> None:
    """Remember the verdict in the workspace that holds `path` (if it is in one)."""
    from tradeoffs.learner import progress, workspace

    root = workspace.marked_root(path.parent)
    if root is None:
        return
    ws = workspace.Workspace(root, course)
    state = progress.State(ws)
    state.record_check(unit, path.resolve(), verdict)
    state.save()
