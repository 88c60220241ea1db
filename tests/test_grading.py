"""`tradeoffs grade` as instructors use it: inputs, outputs, re-runs, the gradebook."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tradeoffs.authoring.build import (
    dumps,
    reference_submission,
    source_notebook,
    student_notebook,
)
from tradeoffs.catalog import Course, load
from tradeoffs.cli import main
from tradeoffs.grading import batch
from tradeoffs.grading.assemble import assemble
from tradeoffs.grading.sandbox import Limits
from tradeoffs.grading.submissions import SubmissionError, find_submissions

ROOT = Path(__file__).resolve().parents[1]
LIMITS = Limits(cell_timeout_s=60, submission_timeout_s=300)
EXERCISES = [u.id for u in load(ROOT).exercises]


def autograded_points(course: Course, unit_id: str) -> float:
    nb = source_notebook(course, course.unit(unit_id))
    return sum(
        float(c.metadata["nbgrader"].get("points", 0))
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
        and not c.metadata["nbgrader"].get("solution")
    )


def grades(out: Path) -> dict[str, dict[str, str]]:
    lines = (out / "grades.csv").read_text().splitlines()
    return {r["student"]: r for r in csv.DictReader(lines)}


# ------------------------------------------------------------------ finding submissions


def test_flat_folder_of_notebooks_and_zips(tmp_path: Path, course: Course) -> None:
    data = dumps(student_notebook(course, course.unit("01_metrics")))
    (tmp_path / "ann_01_metrics.ipynb").write_bytes(data)
    with zipfile.ZipFile(tmp_path / "ben.zip", "w") as archive:
        archive.writestr("deep/folder/01_metrics.ipynb", data)
        archive.writestr("__MACOSX/deep/._01_metrics.ipynb", b"junk")
    (tmp_path / "cat.zip").write_bytes(b"not a zip")
    with zipfile.ZipFile(tmp_path / "dan.zip", "w"):
        pass
    (tmp_path / "notes.txt").write_text("ignored")
    subs = {s.student: s for s in find_submissions(tmp_path, "01_metrics")}
    assert sorted(subs) == ["ann", "ben", "cat", "dan"]
    assert subs["ann"].load() == {"ann_01_metrics.ipynb": data}
    assert subs["ben"].load() == {"01_metrics.ipynb": data} and not subs["ben"].error
    with pytest.raises(SubmissionError, match="not a readable zip"):
        subs["cat"].load()
    with pytest.raises(SubmissionError, match="no notebook"):
        subs["dan"].load()


def test_nbgrader_layouts(tmp_path: Path) -> None:
    for root in (tmp_path / "a", tmp_path / "b" / "submitted"):
        folder = root / "eve" / "01_metrics"
        folder.mkdir(parents=True)
        (folder / "01_metrics.ipynb").write_text("{}")
        (root / "fay" / "other_assignment").mkdir(parents=True)
    for given in (tmp_path / "a", tmp_path / "b"):
        subs = find_submissions(given, "01_metrics")
        assert [s.student for s in subs] == ["eve"]
        assert list(subs[0].load()) == ["01_metrics.ipynb"]


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such folder"):
        find_submissions(tmp_path / "nope", "01_metrics")


# ------------------------------------------------------------------ assembling


def test_assemble_restores_tests_keeps_answers_and_extra_cells(course: Course) -> None:
    unit = course.unit("01_metrics")
    master, released = source_notebook(course, unit), student_notebook(course, unit)
    mine = reference_submission(course, unit)
    for cell in mine.cells:
        if cell.id == "test_cost":
            cell.source = "pass"
    mine.cells = [c for c in mine.cells if c.id != "test_cheapest"]
    extra = mine.cells[5].copy()
    extra.metadata = {}
    extra.source = "helper = 42"
    mine.cells.insert(6, extra)
    assembled = assemble(master, released, mine)
    assert sorted(assembled.tampered) == ["test_cheapest", "test_cost"]
    assert assembled.missing == []
    by_id = {c.get("id"): c for c in assembled.nb.cells}
    runs = {s.grade_id: s.runs_in for s in assembled.steps if s.grade_id}
    assert runs["test_cost"] == "harness" and runs["cost"] == "learner"
    assert runs["setup"] == "both" and runs["answer_dashboard"] == "nowhere"
    assert by_id["test_cost"].source == next(c for c in master.cells if c.id == "test_cost").source
    assert "BEGIN HIDDEN TESTS" in by_id["test_nearest_rank"].source
    assert any(c.source == "helper = 42" for c in assembled.nb.cells)
    solved = {c.id: c.source for c in reference_submission(course, unit).cells}
    assert by_id["nearest_rank"].source == solved["nearest_rank"]


def test_assemble_without_a_notebook_marks_answers_missing(course: Course) -> None:
    unit = course.unit("01_metrics")
    missing = assemble(source_notebook(course, unit), student_notebook(course, unit), None).missing
    assert "nearest_rank" in missing and "answer_dashboard" in missing


# ------------------------------------------------------------------ a class, end to end


@pytest.fixture(scope="module")
def graded(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    unit = course.unit("01_metrics")
    subs = tmp_path_factory.mktemp("subs")
    for student, nb in (
        ("alice", reference_submission(course, unit)),
        ("bob", student_notebook(course, unit)),
    ):
        folder = subs / student / unit.id
        folder.mkdir(parents=True)
        (folder / f"{unit.id}.ipynb").write_bytes(dumps(nb))
    out = tmp_path_factory.mktemp("out")
    args = ["--root", str(ROOT), "grade", unit.id, "--submissions", str(subs), "--out", str(out)]
    assert main([*args, "--workers", "2", "--timeout", "60"]) == 0
    return {"subs": subs, "out": out, "args": args}


@pytest.mark.slow
def test_outputs_of_a_run(graded: dict[str, Any], course: Course) -> None:
    out = graded["out"]
    rows = grades(out)
    assert rows["alice"]["score"] == "13" and rows["alice"]["max_score"] == "16"
    assert rows["bob"]["score"] == "0"
    assert rows["alice"]["answer_dashboard"] == ""  # written answer: graded by hand
    assert rows["alice"]["test_fleet_p99"] == "3"
    report = json.loads((out / "report.json").read_text())
    assert report["max_score"] == 16
    for cell in report["students"]["alice"]["cells"]:
        assert cell["status"] == ("answered" if cell["kind"] == "answer" else "passed")
    for cell in report["students"]["bob"]["cells"]:
        assert cell["status"] in ("failed", "missing") and cell["points"] == 0
        if cell["kind"] == "test":
            assert "NotImplementedError" in cell["message"]
    for student in ("alice", "bob"):
        page = out / "feedback" / student / "01_metrics" / "01_metrics_exercise.html"
        assert page.read_text().startswith("<!DOCTYPE html>")
        assert (out / "autograded" / student / "01_metrics" / "01_metrics_exercise.ipynb").is_file()
        assert (out / "submitted" / student / "01_metrics" / "01_metrics.ipynb").is_file()


@pytest.mark.slow
def test_gradebook_is_nbgraders_and_keeps_manual_grades(graded: dict[str, Any]) -> None:
    from nbgrader.api import Gradebook

    out = graded["out"]
    url = f"sqlite:///{out / 'gradebook.db'}"
    with Gradebook(url, "tradeoffs") as gb:
        alice = gb.find_submission("01_metrics", "alice")
        assert alice.score == 13 and alice.max_score == 16
        assert gb.find_submission("01_metrics", "bob").score == 0
        answer = gb.find_grade("answer_dashboard", "01_metrics_exercise", "01_metrics", "alice")
        assert answer.needs_manual_grade
        answer.manual_score = 2.5  # an instructor grades the written answer in formgrader
        gb.db.commit()
    assert main([*graded["args"], "--force", "--student", "alice"]) == 0
    with Gradebook(url, "tradeoffs") as gb:
        assert (
            gb.find_grade("answer_dashboard", "01_metrics_exercise", "01_metrics", "alice").score
            == 2.5
        )
        assert gb.find_submission("01_metrics", "alice").score == 15.5


@pytest.mark.slow
def test_rerun_grades_only_what_changed(
    graded: dict[str, Any], course: Course, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(graded["args"]) == 0
    assert "graded 0 submission(s)" in capsys.readouterr().out
    bob = graded["subs"] / "bob" / "01_metrics" / "01_metrics.ipynb"
    shutil.copy(
        graded["subs"] / "alice" / "01_metrics" / "01_metrics.ipynb", bob
    )  # bob hands in working code
    assert main(graded["args"]) == 0
    assert "graded 1 submission(s)" in capsys.readouterr().out
    rows = grades(graded["out"])
    assert rows["bob"]["score"] == "13"


def test_grader_failures_exit_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--root", str(ROOT), "grade"]
    assert main([*common, "99_nope", "--submissions", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "no unit '99_nope'" in capsys.readouterr().err
    missing = str(tmp_path / "absent")
    assert main([*common, "01_metrics", "--submissions", missing, "--out", str(tmp_path)]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert (
        main([*common, "01_metrics", "--submissions", str(tmp_path), "--out", str(tmp_path)]) == 2
    )
    assert "no submissions" in capsys.readouterr().err


@pytest.mark.slow
def test_nbgraders_own_documentation_course(tmp_path: Path) -> None:
    """The course nbgrader's user guide grades (ps1; bitdiddle and hacker), with its header
    named by a path relative to the course folder: the scores plain nbgrader gives (1.5 and
    3.0), a max score counting the written parts and the task (13), every test graded in
    the harness (even the one that deletes and restores the learner's `squares`)."""
    import nbgrader

    guide = Path(nbgrader.__file__).parent / "docs" / "source" / "user_guide"
    course_dir = tmp_path / "course101"
    shutil.copytree(guide / "source", course_dir / "source")
    shutil.copytree(guide / "submitted", course_dir / "submitted")
    (course_dir / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'course101'\n"
        "c.IncludeHeaderFooter.header = 'source/header.ipynb'\n"
    )
    out = tmp_path / "out"
    args = ["grade", "ps1", "--course-dir", str(course_dir), "--submissions", str(course_dir)]
    assert main([*args, "--out", str(out), "--workers", "2"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["max_score"] == 13
    assert report["students"]["bitdiddle"]["score"] == 1.5
    assert report["students"]["hacker"]["score"] == 3.0
    assert report["graded_in_kernel"] == []
    cells = {c["grade_id"]: c for c in report["students"]["bitdiddle"]["cells"]}
    assert cells["correct_squares"]["status"] == "tampered"  # bitdiddle commented it out
    assert cells["cell-938593c4a215c6cc"]["kind"] == "task"


def test_a_broken_course_config_shows_nbgraders_own_error(tmp_path: Path, course: Course) -> None:
    course_dir = tmp_path / "theirs"
    (course_dir / "source" / "hw1").mkdir(parents=True)
    (course_dir / "source" / "hw1" / "hw1.ipynb").write_bytes(
        dumps(source_notebook(course, course.unit("01_metrics")))
    )
    (course_dir / "nbgrader_config.py").write_text(
        "c = get_config()\nc.IncludeHeaderFooter.header = 'source/no_such_header.ipynb'\n"
    )
    with pytest.raises(batch.GradingError, match="no_such_header"):
        batch.assignment_from_course_dir(course_dir, "hw1")


@pytest.mark.slow
def test_jobs_run_on_a_dask_cluster(tmp_path: Path, course: Course) -> None:
    """A real scheduler and worker (as an instructor starts them), and the command line:
    all in processes of their own, so nothing of Dask's lingers in this one."""
    import subprocess
    import sys
    import time

    pytest.importorskip("distributed")
    unit = course.unit("01_metrics")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "hal.ipynb").write_bytes(dumps(reference_submission(course, unit)))
    (subs / "ida.ipynb").write_bytes(dumps(student_notebook(course, unit)))
    info = tmp_path / "scheduler.json"
    bindir = Path(sys.executable).parent
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [
            bindir / "dask",
            "scheduler",
            "--scheduler-file",
            info,
            "--port",
            "0",
            "--dashboard-address",
            ":0",
            "--host",
            "127.0.0.1",
        ],
        **quiet,
    )
    worker = None
    try:
        for _ in range(300):
            if info.is_file() and info.stat().st_size:
                break
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        worker = subprocess.Popen(
            [
                bindir / "dask",
                "worker",
                address,
                "--nworkers",
                "1",
                "--nthreads",
                "2",
                "--dashboard-address",
                ":0",
                "--no-nanny",
            ],
            **quiet,
        )
        out = tmp_path / "out"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tradeoffs.cli",
                "--root",
                str(ROOT),
                "grade",
                unit.id,
                "--submissions",
                str(subs),
                "--out",
                str(out),
                "--scheduler",
                address,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    finally:
        for proc in (worker, scheduler):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=20)
    rows = grades(out)
    assert rows["hal"]["score"] == "13" and rows["ida"]["score"] == "0"


def test_unreachable_scheduler_is_a_grader_error(tmp_path: Path, course: Course) -> None:
    import subprocess
    import sys

    unit = course.unit("01_metrics")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "jo.ipynb").write_bytes(dumps(student_notebook(course, unit)))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tradeoffs.cli",
            "--root",
            str(ROOT),
            "grade",
            unit.id,
            "--submissions",
            str(subs),
            "--out",
            str(tmp_path / "out"),
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--scheduler-timeout",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "cannot reach the Dask scheduler" in done.stderr


# ------------------------------------------------------------------ the course's own exercises


@pytest.mark.slow
@pytest.mark.parametrize("unit_id", EXERCISES)
def test_reference_solutions_get_full_marks_and_blank_work_gets_zero(
    unit_id: str, course: Course, tmp_path: Path
) -> None:
    unit = course.unit(unit_id)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "reference.ipynb").write_bytes(dumps(reference_submission(course, unit)))
    (subs / "blank.ipynb").write_bytes(dumps(student_notebook(course, unit)))
    outcome = batch.grade(
        batch.assignment_from_unit(course, unit),
        find_submissions(subs, unit_id),
        tmp_path / "out",
        limits=Limits(cell_timeout_s=float(unit.time_budget_s), submission_timeout_s=600),
        workers=2,
    )
    full = autograded_points(course, unit_id)
    reference, blank = outcome.results["reference"], outcome.results["blank"]
    assert reference.score == full, [c for c in reference.cells if c.status != "passed"]
    assert blank.score == 0
    assert all(c.points == 0 for c in blank.cells if c.kind == "test")


def test_a_sandbox_can_traverse_folders_it_is_shown_under_tmp(tmp_path: Path) -> None:
    """A checkout under /tmp (where the sandbox has its own tmpfs) stays readable: every
    folder bubblewrap makes on the way to a shown path is traversable (0755)."""
    from tradeoffs.grading.sandbox import sandboxed_command

    shown = tmp_path / "checkout" / "src"
    shown.mkdir(parents=True)
    assert shown.is_relative_to("/tmp")
    argv = sandboxed_command(["true"], Limits(), 60000, [shown], None)
    made = {argv[i + 3] for i, a in enumerate(argv) if a == "--perms" and argv[i + 1] == "0755"}
    assert {str(p) for p in shown.parents if p not in (Path("/"), Path("/tmp"))} <= made
    assert argv.index("--tmpfs") < argv.index(str(shown))
