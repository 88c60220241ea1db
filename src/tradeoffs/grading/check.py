"""Run a notebook's graded tests and report a verdict per test.

Used three ways: the learner's `tradeoffs check` (their notebook, hints on
failures), and the course's own tests (every master copy passes every test;
the unsolved version, hidden tests included, fails every one; each planted
wrong answer fails the tests it should). Execution goes through nbgrader's
Validator and its preprocessors, with the course's nbgrader settings, so a
verdict here is the verdict nbgrader would give.
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

from tradeoffs.authoring.build import source_notebook
from tradeoffs.authoring.cells import is_manual, is_test
from tradeoffs.authoring.config import nbgrader_config
from tradeoffs.catalog import Course, Unit

ANSWER_STUB = "YOUR ANSWER HERE"


@dataclass(frozen=True)
class TestVerdict:
    """The outcome of one graded cell."""

    grade_id: str
    points: float
    max_points: float
    passed: bool
    error: str = ""  # last lines of the traceback, ANSI codes stripped

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


def run_tests(course: Course, nb: NotebookNode, workdir: Path | None = None) -> NotebookVerdict:
    """Execute `nb` with nbgrader's Validator preprocessors and grade each test cell.

    `workdir` is where the kernel starts (the notebook's folder for a learner's
    notebook); a temporary folder by default. `nb` itself is not modified.
    """
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
