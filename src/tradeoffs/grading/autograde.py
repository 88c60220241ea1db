"""Grade a class: each submission in its own sandboxed kernel, in parallel, crash-proof.

For every submission the grader rebuilds the notebook to run from the master copy: the
learner's answer cells go in; every read-only cell (tests with their hidden parts, given
code) comes from the master, whatever the learner did to it, and an edited or deleted test
is reported as `tampered`. The notebook then runs in a limited kernel (see `runner`), each
test is scored with nbgrader's own rule (`nbgrader.utils.determine_grade`), and the
learner gets feedback in which hidden tests never appear.

`grade_submission` is a pure function of its `Job`, so the same jobs run on a local process
pool or on a Dask cluster; everything that writes shared state (the gradebook, grades.csv,
report.json) happens afterwards, in one process.
"""

from __future__ import annotations

import copy
import json
import re
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from tradeoffs.authoring.cells import grade_id as _gid
from tradeoffs.authoring.cells import is_answer, is_locked, is_test
from tradeoffs.authoring.cells import meta as _meta
from tradeoffs.grading import _guard
from tradeoffs.grading.runner import CRASH, OOM, TIMEOUT, execute
from tradeoffs.grading.sandbox import Limits
from tradeoffs.grading.submissions import Submission, match_notebooks

# Statuses of a graded cell in report.json.
PASSED, FAILED, TAMPERED, MISSING = "passed", "failed", "tampered", "missing"
ANSWERED = "answered"  # a written answer, waiting for a person to grade it
GRADER_ERROR = "grader-error"

GRADER_VERSION = "1"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class Assignment:
    """What a submission is graded against: master and student versions, by notebook name."""

    id: str
    course_id: str
    masters: dict[str, NotebookNode]
    released: dict[str, NotebookNode]
    hide: list[str] = field(default_factory=list)  # folders the sandbox must hide

    def fingerprint(self) -> str:
        import hashlib

        h = hashlib.sha256(GRADER_VERSION.encode())
        for name in sorted(self.masters):
            h.update(name.encode() + nbformat.writes(self.masters[name]).encode())
        return h.hexdigest()

    def max_points(self) -> float:
        return sum(
            float(_meta(c).get("points", 0))
            for nb in self.masters.values()
            for c in nb.cells
            if _meta(c).get("grade")
        )


@dataclass
class CellResult:
    """The verdict on one graded cell, as report.json holds it."""

    notebook: str
    grade_id: str
    kind: str  # "test" or "answer"
    status: str
    points: float | None
    max_points: float
    message: str = ""


@dataclass
class StudentResult:
    """Everything one submission's grading produced."""

    student: str
    status: str  # "graded", "unreadable" or "grader-error"
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


# ------------------------------------------------------------------ assembling


def assemble(
    master: NotebookNode, released: NotebookNode, submitted: NotebookNode | None
) -> tuple[NotebookNode, list[str], list[str]]:
    """The notebook to run: master cells in master order, the learner's answers in their
    cells, the learner's own extra cells after the graded cell they followed.

    Returns (notebook, tampered grade ids, answer cells missing from the submission).
    """
    released_by_id = {g: c for c in released.cells if (g := _gid(c))}
    master_ids = {g for c in master.cells if (g := _gid(c))}
    learner_by_id: dict[str, NotebookNode] = {}
    extras: dict[str | None, list[NotebookNode]] = {}
    last: str | None = None
    for cell in submitted.cells if submitted is not None else []:
        gid = _gid(cell)
        if gid in master_ids and gid not in learner_by_id:
            learner_by_id[gid] = cell
            last = gid
        elif cell.cell_type == "code" and not gid and cell.get("source", "").strip():
            extras.setdefault(last, []).append(cell)

    out = copy.deepcopy(master)
    out.cells = []
    tampered: list[str] = []
    missing: list[str] = []

    def add_extras(after: str | None) -> None:
        for cell in extras.get(after, []):
            extra = nbformat.v4.new_code_cell(cell.get("source", ""))
            extra.metadata = nbformat.from_dict({"tradeoffs": {"learner": True}})
            out.cells.append(extra)

    add_extras(None)
    for cell in master.cells:
        gid = _gid(cell)
        if gid is not None and is_answer(cell):
            mine = learner_by_id.get(gid)
            chosen = copy.deepcopy(released_by_id.get(gid, cell))
            if mine is None or mine.cell_type != cell.cell_type:
                missing.append(gid)
            else:
                chosen.source = mine.get("source", "")
            out.cells.append(chosen)
        else:
            out.cells.append(copy.deepcopy(cell))
            if gid is not None and is_locked(cell) and gid in released_by_id:
                mine = learner_by_id.get(gid)
                want = released_by_id[gid].source.strip()
                if mine is None or mine.get("source", "").strip() != want:
                    tampered.append(gid)
        if gid is not None:
            add_extras(gid)
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return out, tampered, missing


def _hidden_lines(master: NotebookNode, released: NotebookNode) -> set[str]:
    """Lines of test code that are in the master copy but not in the student version."""
    shown = {
        line.strip()
        for c in released.cells
        for line in c.get("source", "").splitlines()
        if line.strip()
    }
    hidden = set()
    for cell in master.cells:
        if is_test(cell):
            for line in cell.source.splitlines():
                s = line.strip()
                if len(s) >= 12 and s not in shown and "HIDDEN TESTS" not in s:
                    hidden.add(s)
    return hidden


# ------------------------------------------------------------------ grading


def _summary(cell: NotebookNode) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            if out.get("ename") == "NotImplementedError" and not out.get("evalue"):
                return "NotImplementedError: the answer this test calls is still the stub"
            return _ANSI.sub("", f"{out.get('ename', '')}: {out.get('evalue', '')}").strip()
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "the test wrote to stderr, which scores 0: " + str(out.get("text", ""))[:200]
    return ""


def _grade_cells(
    name: str,
    nb: NotebookNode,
    runs: dict[int, Any],
    tampered: list[str],
    missing: list[str],
) -> list[CellResult]:
    from nbgrader import utils

    results = []
    last_answer: tuple[str, str, str] | None = None  # (grade id, status, message)
    for index, cell in enumerate(nb.cells):
        gid = _gid(cell)
        if gid is None:
            continue
        meta = _meta(cell)
        max_points = float(meta.get("points", 0))
        run = runs.get(index)
        if is_answer(cell):
            if cell.cell_type == "code" and run is not None:
                last_answer = (gid, run.status, run.message)
            if not meta.get("grade"):
                continue
            points: float | None
            if gid in missing:
                status, points, message = MISSING, 0.0, "this answer cell is missing"
            else:
                score, _ = utils.determine_grade(cell)
                status = ANSWERED if score is None else MISSING
                points = None if score is None else float(score)
                message = "graded by hand" if score is None else "not answered"
            results.append(CellResult(name, gid, "answer", status, points, max_points, message))
            continue
        if not is_test(cell):
            continue
        score, _ = utils.determine_grade(cell)
        points = float(score or 0.0)
        if run is not None and run.status in (TIMEOUT, OOM, CRASH):
            status, message = run.status, run.message
        elif points >= max_points:
            status, message = PASSED, ""
        else:
            status, message = FAILED, _summary(cell)
            if last_answer is not None and last_answer[1] in (TIMEOUT, OOM, CRASH):
                status = last_answer[1]
                message = f"depends on cell {last_answer[0]}, which failed: {last_answer[2]}"
            elif gid in missing or (last_answer is not None and last_answer[0] in missing):
                status = MISSING
        if gid in tampered:
            was = "passed" if points >= max_points else "failed"
            status = TAMPERED
            message = (
                "this test cell was edited or deleted; the original was restored and "
                f"{was}" + (f": {message}" if message and was == "failed" else "")
            )
        results.append(CellResult(name, gid, "test", status, points, max_points, message))
    return results


def _with_guard(nb: NotebookNode) -> tuple[NotebookNode, dict[int, str]]:
    """Prepend the guard's lines; return the notebook and the original sources by index."""
    originals: dict[int, str] = {}
    first = True
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        lines = []
        if first:
            lines.append(_guard.install_line())
            first = False
        if is_test(cell):
            lines.append(_guard.restore_line(_gid(cell) or ""))
        if lines:
            originals[index] = cell.source
            cell.source = "\n".join(lines) + "\n" + cell.source
    return nb, originals


def _read_guard_log(jobdir: Path) -> list[str]:
    path = jobdir / ".tradeoffs-guard.jsonl"
    found = []
    if path.is_file():
        for line in path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
                found.append(f"{entry.get('cell', '')}: restored {', '.join(entry['restored'])}")
            except (ValueError, KeyError, TypeError):
                found.append("the guard's log was altered")
    return found


def grade_submission(job: Job) -> StudentResult:
    """Grade one submission. Never raises: a failure becomes a status in the result."""
    started = time.perf_counter()
    sub = job.submission
    result = StudentResult(sub.student, "graded", digest=job.digest)
    try:
        _grade_into(job, result)
    except Exception as exc:  # a bug in the grader: report it, keep the batch going
        result.status = GRADER_ERROR
        result.message = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
    result.seconds = time.perf_counter() - started
    return result


def _unreadable(job: Job, result: StudentResult, message: str) -> None:
    result.status, result.message = "unreadable", message
    for name, master in job.assignment.masters.items():
        for cell in master.cells:
            gid, meta = _gid(cell), _meta(cell)
            if gid and meta.get("grade"):
                kind = "test" if is_test(cell) else "answer"
                points = float(meta.get("points", 0))
                result.cells.append(CellResult(name, gid, kind, MISSING, 0.0, points, message))


def _grade_into(job: Job, result: StudentResult) -> None:
    import tempfile

    sub, assignment = job.submission, job.assignment
    if sub.error:
        _unreadable(job, result, sub.error)
        return
    files = match_notebooks(sub, sorted(assignment.masters))
    if not files:
        names = ", ".join(sorted(assignment.masters))
        found = ", ".join(sorted(sub.notebooks)) or "none"
        _unreadable(job, result, f"no notebook named {names} in the submission (found: {found})")
        return
    for name, master in assignment.masters.items():
        released = assignment.released[name]
        submitted = None
        if name in files:
            try:
                submitted = nbformat.reads(files[name].decode("utf-8"), as_version=4)
            except Exception as exc:  # a corrupt file is a verdict, not a crash
                _unreadable(job, result, f"{name} is not a readable notebook ({exc})")
                return
        nb, tampered, missing = assemble(master, released, submitted)
        nb, originals = _with_guard(nb)
        with tempfile.TemporaryDirectory(prefix="tradeoffs-job-") as keep:
            run = execute(
                nb, job.limits, hide=[Path(p) for p in assignment.hide], keep_dir=Path(keep)
            )
            guard_notes = _read_guard_log(Path(keep))
        executed = run.nb
        for index, source in originals.items():
            executed.cells[index].source = source
        result.tampered += [f"{name}: test cell {g} edited or deleted" for g in tampered]
        result.tampered += [f"{name}: {note}" for note in guard_notes]
        cells = _grade_cells(name, executed, run.cells, tampered, missing)
        if guard_notes:
            for cell in cells:
                if cell.kind == "test" and cell.status == PASSED:
                    cell.message = "passed after the grader undid changes to its checks"
        result.cells += cells
        result.autograded[name] = nbformat.writes(executed)
        result.feedback[name] = feedback_html(
            executed, master, released, [c for c in cells if c.notebook == name], sub.student
        )


# ------------------------------------------------------------------ feedback


def sanitize_for_feedback(
    executed: NotebookNode, master: NotebookNode, released: NotebookNode
) -> NotebookNode:
    """The executed notebook as a student may see it: test cells as released (no hidden
    tests), tracebacks of hidden tests cut to their last line, and any output that shows a
    hidden line withheld."""
    nb = copy.deepcopy(executed)
    released_by_id = {g: c for c in released.cells if (g := _gid(c))}
    hidden = _hidden_lines(master, released)

    def leaks(out: dict[str, Any]) -> bool:
        parts = [out.get("text", ""), out.get("evalue", ""), *out.get("traceback", [])]
        parts += [v if isinstance(v, str) else "".join(v) for v in out.get("data", {}).values()]
        plain = _ANSI.sub("", "\n".join(str(p) for p in parts))
        return any(line in plain for line in hidden)

    for cell in nb.cells:
        gid = _gid(cell)
        if gid in released_by_id and is_test(cell):
            cell.source = released_by_id[gid].source
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if not leaks(out):
                kept.append(out)
            elif out.get("output_type") == "error":  # a hidden test failed: say how, not where
                short = copy.deepcopy(out)
                short["traceback"] = [f"{out.get('ename', '')}: {out.get('evalue', '')}"]
                kept.append(short if not leaks(short) else _withheld())
            else:
                kept.append(_withheld())
        cell.outputs = kept
    return nb


def _withheld() -> NotebookNode:
    return nbformat.v4.new_output(
        "stream", name="stdout", text="[output withheld: it showed a hidden test]\n"
    )


def feedback_html(
    executed: NotebookNode,
    master: NotebookNode,
    released: NotebookNode,
    cells: list[CellResult],
    student: str,
) -> str:
    """A self-contained HTML page: a table of verdicts, then the student's run notebook."""
    from tradeoffs.grading.feedback import render

    nb = sanitize_for_feedback(executed, master, released)
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
