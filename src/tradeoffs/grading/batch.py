"""`tradeoffs grade`: a whole class, in parallel, into an nbgrader course folder.

The output folder is a standard nbgrader course root, so formgrader opens it for the
written answers:

    OUT/grades.csv                          student, score, max score, a column per part
    OUT/report.json                         per student and graded cell: status, points, message
    OUT/feedback/<student>/<assignment>/<notebook>.html   what students get back
    OUT/gradebook.db                        nbgrader's gradebook (written by this process only)
    OUT/source/<assignment>/                the master copy, for formgrader
    OUT/autograded/<student>/<assignment>/  the executed notebooks, for formgrader
    OUT/submitted/<student>/<assignment>/   the notebooks as submitted
    OUT/.tradeoffs/<assignment>/<student>.json  cached results: unchanged work is not re-run
"""

from __future__ import annotations

import copy
import csv
import functools
import json
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from tradeoffs.authoring.build import release_notebook, source_notebook
from tradeoffs.authoring.config import nbgrader_config
from tradeoffs.catalog import Course, Unit
from tradeoffs.grading.autograde import (
    GRADER_ERROR,
    Assignment,
    Job,
    StudentResult,
    grade_submission,
)
from tradeoffs.grading.sandbox import Limits
from tradeoffs.grading.submissions import Submission


class GradingError(RuntimeError):
    """The grader itself cannot run (bad arguments, a broken master copy, no scheduler)."""


def assignment_from_unit(course: Course, unit: Unit) -> Assignment:
    """The course's own exercise: master copy built from solutions/, student version too."""
    if unit.exercise is None:
        raise GradingError(f"unit {unit.id} has no graded exercise")
    master = source_notebook(course, unit)
    released = release_notebook(master, unit.id, nbgrader_config(course))
    name = f"{unit.id}.ipynb"
    return Assignment(unit.id, course.id, {name: master}, {name: released}, [str(course.root)])


def assignment_from_course_dir(course_dir: Path, assignment_id: str) -> Assignment:
    """An assignment of any nbgrader course folder (source/<id>/*.ipynb, nbgrader_config.py)."""
    from traitlets.config import Config, PyFileConfigLoader

    course_dir = Path(course_dir).resolve()
    folder = course_dir / "source" / assignment_id
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise GradingError(f"{folder} holds no notebook: is {assignment_id!r} an assignment?")
    config = Config()
    if (course_dir / "nbgrader_config.py").is_file():
        loader = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir))
        config = Config(loader.load_config())
    course_id = str(config.CourseDirectory.get("course_id", "") or "course")
    masters, released = {}, {}
    for path in notebooks:
        master = nbformat.read(path, as_version=4)
        masters[path.name] = master
        released[path.name] = release_notebook(master, assignment_id, config)
    return Assignment(assignment_id, course_id, masters, released, [str(course_dir)])


@dataclass
class Outcome:
    """What a grading run did."""

    results: dict[str, StudentResult]
    graded: list[str]  # students run this time
    reused: list[str]  # students whose cached result stood
    seconds: float

    @property
    def errors(self) -> list[str]:
        return [s for s, r in self.results.items() if r.status == GRADER_ERROR]


def _state_dir(out: Path, assignment: str) -> Path:
    return out / ".tradeoffs" / assignment


def _job_digest(sub: Submission, assignment: Assignment, limits: Limits) -> str:
    import hashlib

    h = hashlib.sha256()
    for part in (sub.digest(), assignment.fingerprint(), repr(limits)):
        h.update(part.encode())
    return h.hexdigest()


def _cached(out: Path, assignment: str, student: str, digest: str) -> StudentResult | None:
    path = _state_dir(out, assignment) / f"{student}.json"
    try:
        data = json.loads(path.read_text())
        result = StudentResult.from_json(data)
    except (OSError, ValueError, TypeError):
        return None
    return result if result.digest == digest else None


def _run_local(jobs: list[Job], workers: int) -> Iterator[StudentResult]:
    """Run jobs on `workers` processes (forked where the platform allows: they start at
    once, with the grader's modules already imported)."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield grade_submission(job)
        return
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(grade_submission, job): job for job in jobs}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # grade_submission does not raise; belt and braces
                job = futures[future]
                yield StudentResult(
                    job.submission.student, GRADER_ERROR, f"the grading worker failed: {exc}"
                )


def _run_dask(jobs: list[Job], address: str, timeout_s: float) -> Iterator[StudentResult]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise GradingError("--scheduler needs the `distributed` package") from exc
    try:
        client = Client(address, timeout=timeout_s)
    except Exception as exc:
        raise GradingError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    with client:
        futures = client.map(grade_submission, jobs, pure=False)
        students = {f.key: j.submission.student for f, j in zip(futures, jobs, strict=True)}
        for future in dask_completed(futures):
            try:
                yield future.result()
            except Exception as exc:
                yield StudentResult(
                    students[future.key], GRADER_ERROR, f"the Dask task failed: {exc}"
                )


def grade(
    assignment: Assignment,
    submissions: list[Submission],
    out: Path,
    *,
    limits: Limits,
    workers: int = 2,
    scheduler: str | None = None,
    force: bool = False,
    only: Iterable[str] | None = None,
    hide: Iterable[Path] = (),
    scheduler_timeout_s: float = 20.0,
    progress: Callable[[StudentResult, int, int], None] | None = None,
) -> Outcome:
    """Grade `submissions` into `out`; return every student's result (cached ones too)."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    only_set = set(only or [])
    known = {s.student for s in submissions}
    unknown = only_set - known
    if unknown:
        raise GradingError(f"no submission from {', '.join(sorted(unknown))}")
    hidden = Assignment(
        assignment.id,
        assignment.course_id,
        assignment.masters,
        assignment.released,
        [*assignment.hide, str(out.resolve()), *(str(Path(p).resolve()) for p in hide)],
    )
    results: dict[str, StudentResult] = {}
    jobs: list[Job] = []
    for sub in submissions:
        digest = _job_digest(sub, assignment, limits)
        wanted = not only_set or sub.student in only_set
        cached = None if force else _cached(out, assignment.id, sub.student, digest)
        if cached is not None and (not wanted or not force):
            results[sub.student] = cached
            continue
        if not wanted:
            continue
        jobs.append(Job(hidden, sub, limits, digest))
    reused = sorted(results)
    by_student = {s.student: s for s in submissions}
    runner = (
        _run_dask(jobs, scheduler, scheduler_timeout_s) if scheduler else _run_local(jobs, workers)
    )
    for done, result in enumerate(runner, start=1):
        results[result.student] = result
        _write_student(out, assignment, result, by_student[result.student])
        if progress is not None:
            progress(result, done, len(jobs))
    write_gradebook(out, assignment, results)
    write_reports(out, assignment, results)
    return Outcome(
        results,
        sorted(r for r in results if r not in reused),
        reused,
        time.perf_counter() - started,
    )


def _write_student(
    out: Path, assignment: Assignment, result: StudentResult, sub: Submission
) -> None:
    student, aid = result.student, assignment.id
    state = _state_dir(out, aid)
    state.mkdir(parents=True, exist_ok=True)
    for name, data in sub.notebooks.items():
        path = out / "submitted" / student / aid / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for name, text in result.autograded.items():
        path = out / "autograded" / student / aid / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for name, html in result.feedback.items():
        path = out / "feedback" / student / aid / Path(name).with_suffix(".html")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html)
    if result.status != GRADER_ERROR:  # a grader failure is retried next time
        (state / f"{student}.json").write_text(json.dumps(result.to_json(), indent=1))


def write_reports(out: Path, assignment: Assignment, results: dict[str, StudentResult]) -> None:
    """grades.csv and report.json for every student with a result."""
    parts: list[str] = []
    for nb in assignment.masters.values():
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") and meta.get("grade_id") not in parts:
                parts.append(meta["grade_id"])
    max_score = assignment.max_points()
    with open(out / "grades.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "score", "max_score", "status", *parts])
        for student in sorted(results):
            r = results[student]
            by_id = {c.grade_id: c for c in r.cells}
            cols = [
                "" if by_id.get(p) is None or by_id[p].points is None else f"{by_id[p].points:g}"
                for p in parts
            ]
            writer.writerow([student, f"{r.score:g}", f"{max_score:g}", r.status, *cols])
    report = {
        "assignment": assignment.id,
        "max_score": max_score,
        "students": {s: results[s].to_json() for s in sorted(results)},
    }
    (out / "report.json").write_text(json.dumps(report, indent=1))


@functools.cache
def _alembic_head() -> str:
    """The gradebook schema version nbgrader stamps on a new gradebook. nbgrader asks the
    `alembic` program, which takes seconds to start (and must be on PATH); the same answer
    comes from alembic's Python API at once."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import _temp_alembic_ini

    with _temp_alembic_ini("sqlite://") as ini:
        return str(ScriptDirectory.from_config(AlembicConfig(ini)).get_current_head())


def write_gradebook(out: Path, assignment: Assignment, results: dict[str, StudentResult]) -> None:
    """nbgrader's gradebook for formgrader, from this process only (no lock contention).
    Manual grades already in it are kept; auto scores are updated."""
    import logging

    import nbgrader.api
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import SaveCells
    from sqlalchemy import text

    nbgrader.api.get_alembic_version = _alembic_head

    db_url = f"sqlite:///{(out / 'gradebook.db').resolve()}"
    config_py = out / "nbgrader_config.py"
    if not config_py.exists():
        config_py.write_text(
            "c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {assignment.course_id!r}\n"
            "c.CourseDirectory.root = __file__.rsplit('/', 1)[0]\n"
        )
    for name, master in assignment.masters.items():
        path = out / "source" / assignment.id / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nbformat.writes(master))
    quiet = logging.getLogger("tradeoffs.gradebook")
    quiet.setLevel(logging.ERROR)
    with Gradebook(db_url, assignment.course_id) as gb:
        # Write-ahead log: commits need no fsync each, and formgrader can read meanwhile.
        gb.db.execute(text("PRAGMA journal_mode=WAL"))
        gb.update_or_create_assignment(assignment.id)
    for name, master in assignment.masters.items():
        resources = {
            "nbgrader": {"db_url": db_url, "assignment": assignment.id, "notebook": Path(name).stem}
        }
        saver = SaveCells()
        saver.log = quiet
        saver.preprocess(copy.deepcopy(master), resources)
    from nbgrader import utils

    # One session for all students: each Gradebook() call runs `alembic` once.
    with warnings.catch_warnings(), Gradebook(db_url, assignment.course_id) as gb:
        warnings.simplefilter("ignore")  # SQLAlchemy chatter from nbgrader's own queries
        gb.db.execute(text("PRAGMA synchronous=NORMAL"))
        for student, result in sorted(results.items()):
            if result.status == GRADER_ERROR:
                continue
            gb.update_or_create_student(student)
            gb.update_or_create_submission(assignment.id, student)
            for name in assignment.masters:
                path = out / "autograded" / student / assignment.id / name
                if not path.is_file():
                    continue
                nb = nbformat.read(path, as_version=4)
                notebook = Path(name).stem
                for cell in nb.cells:
                    meta = cell.get("metadata", {}).get("nbgrader", {})
                    if not meta.get("grade"):
                        continue
                    # nbgrader's SaveAutoGrades rule: keep manual scores, flag for review.
                    grade = gb.find_grade(meta["grade_id"], notebook, assignment.id, student)
                    grade.auto_score, _ = utils.determine_grade(cell)
                    grade.needs_manual_grade = (
                        grade.manual_score is not None or grade.auto_score is None
                    )
            gb.db.commit()


class Progress:
    """A progress bar with ETA, and one line per student as each finishes."""

    def __init__(self, total: int, stream: Any = None) -> None:
        from tqdm.auto import tqdm

        tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked
        self.bar = tqdm(
            total=total,
            unit="submission",
            file=stream or sys.stderr,
            disable=total == 0,
            dynamic_ncols=True,
        )

    def __call__(self, result: StudentResult, done: int, total: int) -> None:
        if self.bar.total != total:
            self.bar.reset(total=total)
        points = sum(c.max_points for c in result.cells)
        line = f"{result.student}: {result.status}, {result.score:g}/{points:g} points"
        flags = sorted({c.status for c in result.cells} - {"passed", "failed", "answered"})
        if flags:
            line += f" ({', '.join(flags)})"
        if result.tampered:
            line += " [tampering reported]"
        self.bar.write(line, file=self.bar.fp)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()
