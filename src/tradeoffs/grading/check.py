"""Verdicts per test, for the learner's `tradeoffs check` and for the course's own tests.

`check_notebook` is what a learner runs: the same harness as the instructor's grader (the
learner's cells in a worker process, the tests in the harness), with the tests as
released (the visible ones) and no sandbox, so its verdict on the visible tests is the
grade's. `harness_verdict` runs any master copy against any notebook that way (the course
tests run the master copy with hidden tests against the reference answers, the stubs and
each planted wrong answer). `kernel_verdict` runs a notebook in a Jupyter kernel through
nbgrader's Validator, which is what the Validate button does.
"""

from __future__ import annotations

import copy
import re
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from tradeoffs.authoring.cells import is_manual, is_test
from tradeoffs.authoring.config import nbgrader_config
from tradeoffs.catalog import Course, Unit
from tradeoffs.grading.assemble import assemble
from tradeoffs.grading.harness import PASSED, Harness
from tradeoffs.grading.process import LearnerProcess
from tradeoffs.grading.sandbox import Limits

ANSWER_STUB = "YOUR ANSWER HERE"


@dataclass(frozen=True)
class TestVerdict:
    """The outcome of one graded cell."""

    grade_id: str
    points: float
    max_points: float
    passed: bool
    error: str = ""  # what went wrong, for the learner
    status: str = ""  # passed, failed, timeout, oom, limit, crash

    @property
    def summary(self) -> str:
        """The last line of the error: what the learner most needs to read."""
        lines = [ln for ln in self.error.strip().splitlines() if ln.strip()]
        return lines[-1] if lines else ""


@dataclass
class NotebookVerdict:
    """Verdicts for every autograded cell, plus what could not be run."""

    tests: dict[str, TestVerdict] = field(default_factory=dict)
    changed_tests: list[str] = field(default_factory=list)  # grade ids of edited test cells
    unanswered: list[str] = field(default_factory=list)  # manually graded cells left blank
    seconds: float = 0.0

    @property
    def passed(self) -> list[str]:
        return [g for g, v in self.tests.items() if v.passed]

    @property
    def failed(self) -> list[str]:
        return [g for g, v in self.tests.items() if not v.passed]

    @property
    def score(self) -> tuple[float, float]:
        """(points earned, points possible) over the autograded cells."""
        return (
            sum(v.points for v in self.tests.values()),
            sum(v.max_points for v in self.tests.values()),
        )


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def graded_cells(nb: NotebookNode) -> dict[str, float]:
    """grade_id -> points for every graded cell (autograded and manual)."""
    return {
        c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"].get("points", 0))
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }


def autograded_ids(nb: NotebookNode) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if is_test(c)]


def course_limits(course: Course) -> Limits:
    """The course's limits: nbgrader's cell timeout from its config."""
    timeout = float(nbgrader_config(course).Execute.get("timeout", 60) or 60)
    return Limits(cell_timeout_s=timeout, submission_timeout_s=max(600.0, timeout * 10))


def harness_verdict(
    master: NotebookNode,
    released: NotebookNode,
    submitted: NotebookNode,
    *,
    limits: Limits,
    sandbox: bool | None = False,
    workdir: Path | None = None,
    spare: LearnerProcess | None = None,
) -> NotebookVerdict:
    """Grade `submitted` against `master` in the harness; one verdict per test. `spare`, a
    learner process started ahead (by a warm `tradeoffs watch`), is used instead of
    starting one."""
    assembled = assemble(master, released, submitted)
    harness = Harness(assembled, limits, sandbox=sandbox, cwd=workdir, spare=spare)
    run = harness.run()
    verdict = NotebookVerdict(changed_tests=list(assembled.tampered), seconds=run.seconds)
    for step in assembled.steps:
        manual = step.kind == "answer" and is_manual(assembled.nb.cells[step.index])
        if manual and step.grade_id and ANSWER_STUB in step.source:
            verdict.unanswered.append(step.grade_id)
        if step.kind != "test" or not step.grade_id:
            continue
        test = run.tests[step.grade_id]
        verdict.tests[step.grade_id] = TestVerdict(
            step.grade_id,
            test.points,
            test.max_points,
            test.status == PASSED,
            "" if test.status == PASSED else test.message,
            test.status,
        )
    return verdict


def check_notebook(
    course: Course,
    unit: Unit,
    nb: NotebookNode,
    workdir: Path | None = None,
    *,
    released: NotebookNode | None = None,
    spare: LearnerProcess | None = None,
) -> NotebookVerdict:
    """The learner's check: their answers against the released tests (the visible ones),
    run as the grader runs them, in their notebook's folder. `released` is the student
    version when the caller has it already (built afresh otherwise)."""
    if released is None:
        from tradeoffs.authoring.build import student_notebook  # jupytext: imported when needed

        released = student_notebook(course, unit)
    return harness_verdict(
        released,
        released,
        nb,
        limits=course_limits(course),
        sandbox=False,
        workdir=workdir,
        spare=spare,
    )


def kernel_verdict(
    course: Course, nb: NotebookNode, workdir: Path | None = None
) -> NotebookVerdict:
    """What nbgrader's Validator (the Validate button) says: `nb` run in a Jupyter kernel,
    its test cells scored by their outputs. `nb` itself is not modified."""
    from nbgrader import utils
    from nbgrader.validator import Validator

    validator = Validator(config=nbgrader_config(course))
    verdict = NotebookVerdict()
    work = copy.deepcopy(nb)
    verdict.changed_tests = [
        c.metadata["nbgrader"]["grade_id"] for c in validator._get_changed_cells(work)
    ]
    with (
        tempfile.TemporaryDirectory(prefix="tradeoffs-run-") as tmp,
        utils.chdir(str(workdir or tmp)),
    ):
        executed = validator._preprocess(work)
    for cell in executed.cells:
        if is_manual(cell) and ANSWER_STUB in cell.source:
            verdict.unanswered.append(cell.metadata["nbgrader"]["grade_id"])
        if not is_test(cell):
            continue
        score, max_score = utils.determine_grade(cell, validator.log)
        error = "" if score == max_score else _ANSI.sub("", validator._extract_error(cell))
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        verdict.tests[grade_id] = TestVerdict(
            grade_id, float(score or 0), float(max_score or 0), score == max_score, error
        )
    return verdict


def unsolved_notebook(course: Course, unit: Unit) -> NotebookNode:
    """The master copy with every solution replaced by nbgrader's stub, hidden tests kept."""
    from nbgrader.preprocessors import ClearSolutions

    from tradeoffs.authoring.build import source_notebook

    nb = source_notebook(course, unit)
    nb, _ = ClearSolutions(config=nbgrader_config(course)).preprocess(nb, {})
    return nb


def with_wrong_answer(nb: NotebookNode, cell_id: str, code: str, region: int = 0) -> NotebookNode:
    """A copy of the master copy `nb` whose solution region number `region` in the cell
    `cell_id` is replaced by `code` (indented to match the region's markers)."""
    out = copy.deepcopy(nb)
    cells = [c for c in out.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell_id]
    if len(cells) != 1:
        raise KeyError(f"no solution cell with grade_id {cell_id!r}")
    lines = cells[0].source.split("\n")
    begins = [i for i, ln in enumerate(lines) if ln.strip() == "### BEGIN SOLUTION"]
    ends = [i for i, ln in enumerate(lines) if ln.strip() == "### END SOLUTION"]
    if region >= len(begins) or len(begins) != len(ends):
        raise KeyError(f"cell {cell_id!r} has no solution region #{region}")
    start, stop = begins[region], ends[region]
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    body = textwrap.indent(textwrap.dedent(code).strip("\n"), indent).split("\n")
    cells[0].source = "\n".join(lines[:start] + body + lines[stop + 1 :])
    return out


def unit_of(course: Course, path: Path) -> tuple[Unit, Path]:
    """The exercise unit and notebook a learner's path points at (a notebook or its folder)."""
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob("*.ipynb"))
        if len(found) != 1:
            raise FileNotFoundError(f"{path} holds {len(found)} notebooks; name the one to check")
        path = found[0]
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    stem = path.stem
    for unit in course.exercises:
        if stem == unit.id or stem.startswith(unit.id):
            return unit, path
    known = ", ".join(u.id for u in course.exercises)
    raise FileNotFoundError(
        f"{path.name} does not match any exercise of the course ({known}); "
        "keep the notebook's original name"
    )


def read_notebook(path: Path) -> NotebookNode:
    """Read a learner's notebook, with an error that says what is wrong with the file."""
    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several kinds for a broken file
        raise ValueError(
            f"{path} is not a readable notebook ({type(exc).__name__}: {exc}). "
            "If JupyterLab has it open, save it again; otherwise restore it from "
            "its .ipynb_checkpoints copy."
        ) from exc
