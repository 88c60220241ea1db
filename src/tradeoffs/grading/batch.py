"""`tradeoffs grade`: a whole class, in parallel, into an nbgrader course folder.

The output folder is a standard nbgrader course root, so formgrader opens it for the
written answers:

    OUT/grades.csv                          student, score, max score, status, a column per part
    OUT/report.json                         per student and graded cell: status, points, message
    OUT/feedback/<student>/<assignment>/<notebook>.html   what students get back
    OUT/gradebook.db                        nbgrader's gradebook (written by this process only)
    OUT/source/<assignment>/                the master copy, for formgrader
    OUT/autograded/<student>/<assignment>/  the graded notebooks (cleaned), for formgrader
    OUT/submitted/<student>/<assignment>/   the notebooks as submitted
    OUT/.tradeoffs/<assignment>/<student>.json  cached results: unchanged work is not re-run
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from tradeoffs.authoring.build import release_notebook, source_notebook
from tradeoffs.authoring.config import nbgrader_config
from tradeoffs.catalog import Course, Unit
from tradeoffs.grading.grade import (
    GRADER_ERROR,
    Assignment,
    Job,
    StudentResult,
    grade_submission,
)
from tradeoffs.grading.gradebook import write_gradebook
from tradeoffs.grading.sandbox import Limits
from tradeoffs.grading.submissions import Submission

MAX_DATA_FILES_BYTES = 50 * 1024 * 1024


class GradingError(RuntimeError):
    """The grader itself cannot run (bad arguments, a broken master copy, no scheduler)."""


def assignment_from_unit(course: Course, unit: Unit) -> Assignment:
    """The course's own exercise: master copy built from solutions/, student version too."""
    if unit.exercise is None:
        raise GradingError(f"unit {unit.id} has no graded exercise")
    master = source_notebook(course, unit)
    released = release_notebook(master, unit.id, nbgrader_config(course))
    name = Path(str(unit.exercise_notebook)).name  # a lone submitted notebook matches it anyway
    return Assignment(unit.id, course.id, {name: master}, {name: released})


def _data_files(folder: Path) -> dict[str, bytes]:
    """The assignment's other files (data, images), which the notebooks may read."""
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.suffix == ".ipynb" or any(p.startswith(".") for p in rel.parts):
            continue
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            continue
        total += info.st_size
        if total > MAX_DATA_FILES_BYTES:
            raise GradingError(f"{folder} holds more than {MAX_DATA_FILES_BYTES:,} bytes of files")
        files[rel.as_posix()] = path.read_bytes()
    return files


def assignment_from_course_dir(course_dir: Path, assignment_id: str) -> Assignment:
    """An assignment of any nbgrader course folder (source/<id>/*.ipynb, nbgrader_config.py).

    Its tests run in the harness wherever the values they use can cross as plain data; a
    test that needs the learner's own objects is run in the learner's process instead, and
    report.json says so (`graded_by: kernel`)."""
    from traitlets.config import Config, PyFileConfigLoader

    from tradeoffs.authoring.build import BuildError

    course_dir = Path(course_dir).resolve()
    folder = course_dir / "source" / assignment_id
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise GradingError(f"{folder} holds no notebook: is {assignment_id!r} an assignment?")
    config = Config()
    if (course_dir / "nbgrader_config.py").is_file():
        try:
            loader = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir))
            config = Config(loader.load_config())
        except Exception as exc:
            raise GradingError(f"{course_dir}/nbgrader_config.py cannot be loaded: {exc}") from exc
    course_id = str(config.CourseDirectory.get("course_id", "") or "course")
    hidden = config.get("ClearHiddenTests", {})
    masters, released = {}, {}
    for path in notebooks:
        master = nbformat.read(path, as_version=4)
        masters[path.name] = master
        try:
            released[path.name] = release_notebook(master, assignment_id, config, course_dir)
        except BuildError as exc:
            raise GradingError(f"{path}: {exc}") from exc
    return Assignment(
        assignment_id,
        course_id,
        masters,
        released,
        files=_data_files(folder),
        begin_hidden=str(hidden.get("begin_test_delimeter", "BEGIN HIDDEN TESTS")),
        end_hidden=str(hidden.get("end_test_delimeter", "END HIDDEN TESTS")),
        in_kernel_fallback=True,
    )


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
    sandbox: bool | None = None,
    visible: Iterable[Path] = (),
    scheduler_timeout_s: float = 20.0,
    progress: Callable[[StudentResult, int, int], None] | None = None,
    variant: Callable[[Submission], Assignment] | None = None,
) -> Outcome:
    """Grade `submissions` into `out`; return every student's result (cached ones too).
    `variant`, when given, picks each submission's own Assignment (same id, cells and
    points; its own master copy), as for the interview unit's seeded variants."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    only_set = set(only or [])
    known = {s.student for s in submissions}
    unknown = only_set - known
    if unknown:
        raise GradingError(f"no submission from {', '.join(sorted(unknown))}")
    results: dict[str, StudentResult] = {}
    jobs: list[Job] = []
    extra = [str(Path(p).resolve()) for p in visible]
    for sub in submissions:
        mine = assignment if variant is None else variant(sub)
        digest = _job_digest(sub, mine, limits)
        wanted = not only_set or sub.student in only_set
        cached = None if force else _cached(out, assignment.id, sub.student, digest)
        if cached is not None and (not wanted or not force):
            results[sub.student] = cached
            continue
        if not wanted:
            continue
        jobs.append(Job(mine, sub, limits, digest, extra, sandbox))
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


def _safe_write(path: Path, data: bytes | str) -> None:
    """Write a file of the output folder (never through a link someone left there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        path.unlink()
    raw = data.encode() if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(raw)


def _write_student(
    out: Path, assignment: Assignment, result: StudentResult, sub: Submission
) -> None:
    student, aid = result.student, assignment.id
    try:
        submitted = sub.load()
    except Exception:
        submitted = {}
    for name, data in submitted.items():
        _safe_write(out / "submitted" / student / aid / Path(name).name, data)
    for name, text in result.autograded.items():
        _safe_write(out / "autograded" / student / aid / Path(name).name, text)
    for name, html in result.feedback.items():
        _safe_write(out / "feedback" / student / aid / Path(name).with_suffix(".html").name, html)
    if result.status != GRADER_ERROR:  # a grader failure is retried next time
        _safe_write(
            _state_dir(out, aid) / f"{student}.json", json.dumps(result.to_json(), indent=1)
        )


def write_reports(out: Path, assignment: Assignment, results: dict[str, StudentResult]) -> None:
    """grades.csv and report.json for every student with a result."""
    parts: list[str] = []
    for nb in assignment.masters.values():
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            graded = meta.get("grade") or meta.get("task")
            if graded and meta.get("grade_id") not in parts:
                parts.append(meta["grade_id"])
    max_score = assignment.max_points()
    rows = []
    for student in sorted(results):
        r = results[student]
        by_id = {c.grade_id: c for c in r.cells}
        cols = [
            "" if by_id.get(p) is None or by_id[p].points is None else f"{by_id[p].points:g}"
            for p in parts
        ]
        rows.append([student, f"{r.score:g}", f"{max_score:g}", r.status, *cols])
    with open(out / "grades.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "score", "max_score", "status", *parts])
        writer.writerows(rows)
    in_kernel = sorted(
        {c.grade_id for r in results.values() for c in r.cells if c.graded_by == "kernel"}
    )
    report = {
        "assignment": assignment.id,
        "max_score": max_score,
        "graded_in_kernel": in_kernel,
        "students": {s: results[s].to_json() for s in sorted(results)},
    }
    (out / "report.json").write_text(json.dumps(report, indent=1))


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
