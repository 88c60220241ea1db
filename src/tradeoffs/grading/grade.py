"""Grade one submission: assemble, run (learner cells sandboxed, tests in the harness),
score, and produce the autograded copy and the feedback page.

`grade_submission` is a pure function of its `Job`, so the same jobs run on a local
process pool or on a Dask cluster; everything that writes shared state (the gradebook,
grades.csv, report.json) happens afterwards, in one process. It never raises: whatever a
submission does ends as a status (see `StudentResult.status`).
"""

from __future__ import annotations

import hashlib
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from tradeoffs.authoring.cells import grade_id as _gid
from tradeoffs.authoring.cells import is_answer, is_test
from tradeoffs.authoring.cells import meta as _meta
from tradeoffs.grading.assemble import BEGIN_HIDDEN, END_HIDDEN, assemble
from tradeoffs.grading.harness import PASSED, Harness
from tradeoffs.grading.process import CRASH, LIMIT, OOM, TIMEOUT
from tradeoffs.grading.sandbox import Limits
from tradeoffs.grading.sanitize import feedback_copy, graded_copy
from tradeoffs.grading.submissions import Submission, SubmissionError, match_notebooks

# Statuses of a graded cell in report.json.
FAILED, TAMPERED, MISSING = "failed", "tampered", "missing"
ANSWERED = "answered"  # a written answer, waiting for a person to grade it
# Statuses of a submission beyond "graded".
UNREADABLE, GRADER_ERROR = "unreadable", "grader-error"
_SEVERITY = (LIMIT, OOM, TIMEOUT, CRASH)

GRADER_VERSION = "2"


def task_points(cell: NotebookNode) -> float:
    m = _meta(cell)
    return float(m.get("points", 0) or 0) if m.get("task") else 0.0


@dataclass
class Assignment:
    """What a submission is graded against: master and student versions, by notebook name."""

    id: str
    course_id: str
    masters: dict[str, NotebookNode]
    released: dict[str, NotebookNode]
    files: dict[str, bytes] = field(default_factory=dict)  # data files the notebooks read
    begin_hidden: str = BEGIN_HIDDEN
    end_hidden: str = END_HIDDEN
    in_kernel_fallback: bool = False  # any nbgrader course: tests that cannot run outside

    def fingerprint(self) -> str:
        h = hashlib.sha256(GRADER_VERSION.encode())
        for name in sorted(self.masters):
            h.update(name.encode() + nbformat.writes(self.masters[name]).encode())
        for name in sorted(self.files):
            h.update(name.encode() + self.files[name])
        return h.hexdigest()

    def max_points(self) -> float:
        """Every graded cell's points and every task's, as nbgrader counts its max score."""
        return sum(
            float(_meta(c).get("points", 0) or 0) if _meta(c).get("grade") else task_points(c)
            for nb in self.masters.values()
            for c in nb.cells
        )


@dataclass
class CellResult:
    """The verdict on one graded cell, as report.json holds it."""

    notebook: str
    grade_id: str
    kind: str  # "test", "answer" or "task"
    status: str
    points: float | None
    max_points: float
    message: str = ""  # shown to the student
    detail: str = ""  # for the instructor only
    graded_by: str = "harness"  # "harness", "kernel" (forgeable) or "person"


@dataclass
class StudentResult:
    """Everything one submission's grading produced."""

    student: str
    status: str  # graded | tampered | limit | oom | timeout | crash | unreadable | grader-error
    message: str = ""
    cells: list[CellResult] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)
    seconds: float = 0.0
    digest: str = ""
    autograded: dict[str, str] = field(default_factory=dict)  # notebook name -> JSON
    feedback: dict[str, str] = field(default_factory=dict)  # notebook name -> HTML

    @property
    def score(self) -> float:
        return sum(c.points or 0.0 for c in self.cells)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("autograded")
        data.pop("feedback")
        data["score"] = self.score
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StudentResult:
        data = dict(data)
        data.pop("score", None)
        cells = [CellResult(**c) for c in data.pop("cells", [])]
        return cls(cells=cells, **data)


@dataclass
class Job:
    """One submission to grade: all a worker needs, and nothing it must not see."""

    assignment: Assignment
    submission: Submission
    limits: Limits
    digest: str
    visible: list[str] = field(default_factory=list)  # extra folders the sandbox may read
    sandbox: bool | None = None


_ONE_AT_A_TIME = threading.Lock()


def grade_submission(job: Job) -> StudentResult:
    """Grade one submission. Never raises: a failure becomes a status in the result.

    One submission at a time per process (the harness changes the process's working folder
    and the checks' context while it runs): a scheduler that runs jobs on threads, as a
    Dask worker with several threads does, runs them one after another."""
    with _ONE_AT_A_TIME:
        started = time.perf_counter()
        result = StudentResult(job.submission.student, "graded", digest=job.digest)
        try:
            _grade_into(job, result)
        except Exception as exc:  # a bug in the grader: report it, keep the batch going
            result.status = GRADER_ERROR
            result.message = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
        result.seconds = time.perf_counter() - started
        return result


def _all_missing(job: Job, result: StudentResult, status: str, message: str) -> None:
    result.status, result.message = status, message
    for name, master in job.assignment.masters.items():
        for cell in master.cells:
            gid, meta = _gid(cell), _meta(cell)
            if gid and (meta.get("grade") or meta.get("task")):
                kind = "test" if is_test(cell) else ("task" if meta.get("task") else "answer")
                points = float(meta.get("points", 0) or 0)
                result.cells.append(CellResult(name, gid, kind, MISSING, 0.0, points, message))


def _grade_into(job: Job, result: StudentResult) -> None:
    sub, assignment = job.submission, job.assignment
    try:
        notebooks = sub.load()
    except (SubmissionError, OSError) as exc:
        _all_missing(job, result, UNREADABLE, str(exc))
        return
    files = match_notebooks(notebooks, sorted(assignment.masters))
    if not files:
        names = ", ".join(sorted(assignment.masters))
        found = ", ".join(sorted(notebooks)) or "none"
        _all_missing(
            job, result, UNREADABLE, f"no notebook named {names} in the submission (found: {found})"
        )
        return
    parsed: dict[str, NotebookNode | None] = {}
    for name in assignment.masters:
        parsed[name] = None
        if name in files:
            try:
                parsed[name] = nbformat.reads(files[name].decode("utf-8"), as_version=4)
            except Exception as exc:  # a corrupt file is a verdict, not a crash
                _all_missing(job, result, UNREADABLE, f"{name} is not a readable notebook ({exc})")
                return
    events: list[str] = []
    for name, master in assignment.masters.items():
        cells, autograded, feedback, notebook_events = grade_notebook(
            job, name, master, assignment.released[name], parsed[name], result
        )
        result.cells += cells
        result.autograded[name] = autograded
        result.feedback[name] = feedback
        events += notebook_events
    worst = [s for s in _SEVERITY if s in events]
    if worst:
        result.status = worst[0]
    elif result.tampered:
        result.status = TAMPERED


def grade_notebook(
    job: Job,
    name: str,
    master: NotebookNode,
    released: NotebookNode,
    submitted: NotebookNode | None,
    result: StudentResult,
) -> tuple[list[CellResult], str, str, list[str]]:
    """One notebook of a submission: its cell results, autograded copy, feedback page, and
    the statuses of anything that ended early (timeouts, crashes...)."""
    assignment = job.assignment
    assembled = assemble(
        master,
        released,
        submitted,
        begin_hidden=assignment.begin_hidden,
        end_hidden=assignment.end_hidden,
    )
    harness = Harness(
        assembled,
        job.limits,
        sandbox=job.sandbox,
        visible=[Path(p) for p in job.visible],
        files=assignment.files,
        in_kernel_fallback=assignment.in_kernel_fallback,
    )
    run = harness.run()
    result.tampered += [f"{name}: test cell {g} was edited or deleted" for g in assembled.tampered]
    cells: list[CellResult] = []
    by_index = {s.index: s for s in assembled.steps}
    last_answer: tuple[str, str, str] | None = None  # grade id, status, message
    events = [s for s in run.cells.values() if s in _SEVERITY]
    if run.timed_out:
        events.append(TIMEOUT)
    for index in sorted(by_index):
        step = by_index[index]
        cell = assembled.nb.cells[index]
        meta = _meta(cell)
        if step.kind == "answer" and cell.cell_type == "code":
            last_answer = (
                step.grade_id or "",
                run.cells.get(index, ""),
                run.cell_messages.get(index, ""),
            )
        if step.grade_id is None:
            continue
        max_points = float(meta.get("points", 0) or 0)
        if meta.get("task"):
            cells.append(
                CellResult(
                    name,
                    step.grade_id,
                    "task",
                    ANSWERED,
                    None,
                    max_points,
                    "graded by hand",
                    graded_by="person",
                )
            )
            continue
        if step.kind == "answer":
            if not meta.get("grade"):
                continue
            if step.grade_id in assembled.missing:
                cells.append(
                    CellResult(
                        name,
                        step.grade_id,
                        "answer",
                        MISSING,
                        0.0,
                        max_points,
                        "this answer cell is missing",
                        graded_by="person",
                    )
                )
                continue
            from nbgrader import utils

            score, _ = utils.determine_grade(cell)  # the checksum rule: unchanged is 0
            status = ANSWERED if score is None else MISSING
            cells.append(
                CellResult(
                    name,
                    step.grade_id,
                    "answer",
                    status,
                    None if score is None else float(score),
                    max_points,
                    "graded by hand" if score is None else "not answered",
                    graded_by="person",
                )
            )
            continue
        if step.kind != "test":
            continue
        test = run.tests.get(step.grade_id)
        if test is None:
            cells.append(
                CellResult(
                    name, step.grade_id, "test", MISSING, 0.0, max_points, "the test did not run"
                )
            )
            continue
        status, message = test.status, test.message
        if status == "failed" and last_answer is not None and last_answer[1] in _SEVERITY:
            status = last_answer[1]
            message = f"depends on cell {last_answer[0]}, which ended early: {last_answer[2]}"
        elif status == "failed" and (
            last_answer is not None and last_answer[0] in assembled.missing
        ):
            status = MISSING
        if step.grade_id in assembled.tampered:
            was = "passed" if test.status == PASSED else "failed"
            status = TAMPERED
            message = f"this test cell was edited or deleted; the original was run and {was}" + (
                f": {test.message}" if test.message and was == "failed" else ""
            )
        cells.append(
            CellResult(
                name,
                step.grade_id,
                "test",
                status,
                test.points,
                test.max_points,
                message,
                test.detail,
                test.graded_by,
            )
        )
    graded = graded_copy(
        assembled,
        run.outputs,
        run.call_outputs,
        limit_cell=job.limits.output_chars_per_cell,
        limit_total=job.limits.output_chars_total,
    )
    messages = {c.grade_id: c.message for c in cells if c.kind == "test"}
    view = feedback_copy(graded, assembled, released, messages)
    page = feedback_html(view, cells, result.student)
    return cells, nbformat.writes(graded), page, events


def feedback_html(nb: NotebookNode, cells: list[CellResult], student: str) -> str:
    """A self-contained HTML page: a table of verdicts, then the student's run notebook."""
    from tradeoffs.grading.render import render

    earned = sum(c.points or 0 for c in cells)
    possible = sum(c.max_points for c in cells)
    rows = [
        (
            c.grade_id,
            c.status,
            f"{'-' if c.points is None else f'{c.points:g}'} / {c.max_points:g}",
            c.message.splitlines()[0] if c.message else "",
        )
        for c in cells
    ]
    headline = f"{earned:g} of {possible:g} points so far (written answers are graded by hand)"
    return render(nb, f"Feedback for {student}", rows, headline)


__all__ = [
    "ANSWERED",
    "Assignment",
    "CellResult",
    "GRADER_ERROR",
    "Job",
    "StudentResult",
    "UNREADABLE",
    "grade_submission",
    "is_answer",
]
