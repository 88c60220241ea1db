"""The learner's loop on a fresh workspace: copies of their own, list/next/progress,
check, hints one rung at a time, reset with a backup, watch printing only what changed,
the check from a notebook cell, and clear errors for a learner's mistakes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from tradeoffs.authoring.build import dumps, reference_submission
from tradeoffs.catalog import Course
from tradeoffs.learner import checking, commands, hints, magic, progress, watch, workspace

ROOT = Path(__file__).resolve().parents[1]
UNIT = "01_metrics"


@pytest.fixture
def ws(course: Course, tmp_path: Path) -> workspace.Workspace:
    made, _, _ = workspace.create(course, tmp_path / "work")
    return made


def _solve(
    course: Course, ws: workspace.Workspace, unit_id: str = UNIT, only: set[str] | None = None
) -> Path:
    """Put the reference answers (of the cells `only` names, default all) into the
    learner's copy, as a learner who solved it."""
    unit = course.unit(unit_id)
    path = ws.exercise_path(unit)
    assert path is not None
    mine = nbformat.reads(path.read_text(), as_version=4)
    answers = {c.id: c.source for c in reference_submission(course, unit).cells}
    for cell in mine.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and (only is None or meta.get("grade_id") in only):
            cell.source = answers[cell.id]
    path.write_bytes(dumps(mine))
    return path


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("tradeoffs")), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_workspace_copies_are_the_learners_and_progress_lives_there(
    course: Course, ws: workspace.Workspace
) -> None:
    unit = course.unit(UNIT)
    path = ws.exercise_path(unit)
    assert path is not None and path.name == "01_metrics_exercise.ipynb"  # tabs differ
    assert ws.lesson_path(unit).name == "01_metrics.ipynb"
    first = nbformat.read(path, as_version=4).cells[0].source
    assert "Your copy of the exercise of unit 01_metrics" in first
    assert "Generated file" not in path.read_text() and "solutions/" not in first
    lesson = nbformat.read(ws.lesson_path(unit), as_version=4)
    assert "Your copy of lesson 01_metrics" in lesson.cells[0].source
    assert "[02_profiling](02_profiling.ipynb)" in lesson.cells[-1].source  # Next: a link
    assert (ws.root / "START.md").is_file()

    _solve(course, ws)
    mine = path.read_bytes()
    again, copied, kept = workspace.create(course, ws.root)
    assert path in kept and path not in copied and path.read_bytes() == mine  # never lost
    checking.record(course, unit, path, checking.run_check(course, unit, path))
    assert (ws.root / ".tradeoffs").is_dir()
    assert not (ROOT / ".tradeoffs").exists()  # nothing in the checkout for git to see


def test_list_next_and_progress_follow_the_learner(course: Course, ws: workspace.Workspace) -> None:
    listed = "\n".join(commands.list_lines(ws))
    assert listed.index("00_start") < listed.index("01_metrics") < listed.index("08_interview")
    assert "not started" in listed
    assert "next: 00_start" in commands.next_lines(ws)[0]

    lesson = ws.lesson_path(course.unit("00_start"))
    nb = nbformat.read(lesson, as_version=4)
    next(c for c in nb.cells if c.cell_type == "code").execution_count = 1  # the lesson ran
    nbformat.write(nb, lesson)
    unit = course.unit(UNIT)
    path = _solve(course, ws)
    checking.record(course, unit, path, checking.run_check(course, unit, path))

    statuses = {
        st.unit.id: st
        for st in (progress.unit_status(ws, progress.State(ws), u) for u in course.units)
    }
    assert statuses["00_start"].status == progress.LESSON_RUN
    assert statuses[UNIT].status == progress.PASSING
    assert statuses[UNIT].passed == statuses[UNIT].parts > 0
    line = next(x for x in commands.list_lines(ws) if x.strip().startswith(UNIT))
    assert "passing visible tests" in line and "13/16 points" in line
    nxt = commands.next_lines(ws)
    assert "next: 02_profiling" in nxt[0]
    assert any("exercises/02_profiling/02_profiling_exercise.ipynb" in x for x in nxt)
    summary = "\n".join(commands.progress_lines(ws))
    assert "exercises passing their visible tests: 1 of 8" in summary
    assert f"- {UNIT}: passing visible tests" in summary

    path.write_text(path.read_text().replace("return", "return  ", 1))  # edited since
    stale = progress.unit_status(ws, progress.State(ws), unit)
    assert stale.stale and stale.status == progress.IN_PROGRESS


def test_reset_restores_the_exercise_and_keeps_a_dated_backup(
    course: Course, ws: workspace.Workspace
) -> None:
    unit = course.unit(UNIT)
    path = _solve(course, ws)
    solved = path.read_bytes()
    lines = commands.reset_lines(ws, unit)
    assert path.read_bytes() == ws.pristine(unit, "exercise")
    backups = list((ws.root / "backups" / UNIT).glob("01_metrics_exercise-*.ipynb"))
    assert len(backups) == 1 and backups[0].read_bytes() == solved
    assert str(backups[0].relative_to(ws.root)) in lines[0]
    assert progress.unit_status(ws, progress.State(ws), unit).status == progress.NOT_STARTED
    assert "was untouched" in commands.reset_lines(ws, unit)[0]  # nothing new to back up
    assert len(list((ws.root / "backups" / UNIT).iterdir())) == 1

    back = commands.undo_lines(ws, unit)  # and back: the work the reset took away
    assert path.read_bytes() == solved and "is back" in back[0]
    path.write_text(path.read_text().replace("return", "return  ", 1))  # more work, then
    edited = path.read_bytes()
    commands.reset_lines(ws, unit)  # reset again: a second, newer backup
    commands.undo_lines(ws, unit)
    assert path.read_bytes() == edited  # the newest backup comes back
    with pytest.raises(workspace.WorkspaceError, match="nothing to undo"):
        commands.undo_lines(ws, course.unit("03_caching"))


def test_hints_come_one_rung_at_a_time_and_mark_schemes_once_answered(
    course: Course, ws: workspace.Workspace
) -> None:
    unit = course.unit("08_interview")
    ladder = hints.ladder(unit, "test_q1_value")
    assert len(ladder) >= 2
    first = commands.hint_lines(ws, unit, None)  # no part named: the first still open
    assert first[0] == f"08_interview test_q1_value, hint 1 of {len(ladder)}:"
    assert "ask again" in first[-1]
    for rung in range(2, len(ladder) + 1):
        shown = commands.hint_lines(ws, unit, "q1_value")
        assert shown[0] == f"08_interview test_q1_value, hint {rung} of {len(ladder)}:"
    assert "last hint" in commands.hint_lines(ws, unit, "test_q1_value")[-1]

    written = commands.hint_lines(ws, unit, "answer_q1_memo")
    assert "hint 1 of" in written[0] and "mark scheme" in written[-1]
    path = ws.exercise_path(unit)
    assert path is not None
    nb = nbformat.read(path, as_version=4)
    memo = next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "answer_q1_memo"
    )
    memo.source = "Switch: the value is far above the cost."
    nbformat.write(nb, path)
    scheme = commands.hint_lines(ws, unit, "answer_q1_memo")
    assert "you have answered it" in scheme[0]
    assert "Mark scheme (4 points):" in scheme and "Model answer:" in scheme

    with pytest.raises(commands.LearnerError, match="test_q1_value"):
        commands.hint_lines(ws, unit, "no_such_part")


def test_learner_mistakes_get_clear_errors_without_tracebacks(
    course: Course, ws: workspace.Workspace, tmp_path: Path
) -> None:
    unit = course.unit("02_profiling")
    path = ws.exercise_path(unit)
    assert path is not None
    broken = path.read_text()[:-40]  # cut short, as an interrupted save would leave it
    path.write_text(broken)
    here = ["--workspace", str(ws.root)]
    for args, says in [
        (["check", "01_metric", *here], "did you mean 01_metrics?"),
        (["reset", "1_metrics", *here], "did you mean 01_metrics?"),
        (["check", "exercises/02_profiling", *here], "is not valid JSON"),
        (["list", "--workspace", str(tmp_path / "nowhere")], "make it with `tradeoffs workspace`"),
        (["hint", UNIT, "zzz", *here], "test_nearest_rank"),
    ]:
        done = _run("--root", str(ROOT), *args, cwd=ws.root)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert says in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr + done.stdout, args
    assert path.read_text() == broken  # the file was not changed
    assert "The file was not changed" in _run("check", "exercises/02_profiling", cwd=ws.root).stderr


def test_check_from_a_terminal_and_from_a_cell_agree(
    course: Course,
    ws: workspace.Workspace,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unit = course.unit(UNIT)
    path = ws.exercise_path(unit)
    assert path is not None
    done = _run("check", f"exercises/{UNIT}", cwd=ws.root)  # in the workspace, no --root
    assert done.returncode == 1
    assert "0 of 5 tested parts pass" in done.stdout
    assert "still the unsolved stub" in done.stdout
    assert "Kernel is running over TCP" not in done.stdout + done.stderr
    assert done.stderr == ""

    monkeypatch.chdir(path.parent)  # where a notebook's kernel runs
    verdict = magic.check_from_kernel()
    out = capsys.readouterr().out
    assert verdict is not None and "0 of 5 tested parts pass" in out
    assert checking.summary_line(unit, verdict) in out
    magic.run_line(f"hint {UNIT}")
    assert "test_nearest_rank, hint 1 of" in capsys.readouterr().out


def test_watch_rechecks_on_save_and_prints_only_what_changed(
    course: Course, ws: workspace.Workspace
) -> None:
    unit = course.unit(UNIT)
    path = ws.exercise_path(unit)
    assert path is not None
    said: list[str] = []
    stop = threading.Event()
    runs: list[int] = []
    thread = threading.Thread(
        target=lambda: runs.append(
            watch.watch(course, unit, path, interval_s=0.1, out=said.append, stop=stop)
        )
    )
    thread.start()

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 120
        while not any(text in line for line in said):
            assert time.monotonic() < deadline, said
            time.sleep(0.1)

    try:
        wait_for("checked in")
        assert any("FAIL  test_nearest_rank" in line for line in said)
        first = len(said)
        time.sleep(0.05)
        _solve(course, ws, only={"nearest_rank"})
        wait_for("saved; checked in")
        changed = said[first:]
        assert any("FAIL -> pass" in line and "test_nearest_rank" in line for line in changed)
        assert not any("test_cost" in line for line in changed)  # unchanged: not shown
        assert "1 of 5 tested parts pass" in changed[-1]
        first = len(said)
        _solve(course, ws)
        wait_for("5 of 5 tested parts pass")
        assert any("done  answer_dashboard: answered" in line for line in said[first:])
        later = len(said)
        path.write_bytes(path.read_bytes())  # saved again, nothing changed
        time.sleep(0.05)
        path.touch()
        wait_for("saved; no change")
        assert len(said) == later + 1
    finally:
        stop.set()
        thread.join(60)
    assert runs and runs[0] >= 3
    last = progress.State(ws).last_check(unit)
    assert last is not None and all(p["passed"] for p in last["parts"].values())


def test_progress_file_survives_damage(ws: workspace.Workspace) -> None:
    state_file = ws.root / ".tradeoffs" / "progress.json"
    state_file.parent.mkdir(exist_ok=True)
    state_file.write_text("{not json")
    assert commands.list_lines(ws)  # a damaged progress file starts afresh, no error
    assert json.loads(json.dumps(progress.State(ws).data)) == {"checks": {}, "hints": {}}


@pytest.mark.parametrize(
    ("which", "says"),
    [
        ("lesson", "This notebook is a lesson: it has no tests"),
        ("exercise", "0 of 5 tested parts pass. Next: make test_nearest_rank pass"),
    ],
)
def test_validate_in_the_learners_settings_gives_a_summary_not_tracebacks(
    course: Course, ws: workspace.Workspace, which: str, says: str
) -> None:
    """`nbgrader validate` with the learner's settings is what the Validate button runs."""
    from tradeoffs.learner import lab

    unit = course.unit(UNIT)
    path = ws.lesson_path(unit) if which == "lesson" else ws.exercise_path(unit)
    assert path is not None
    before = path.read_bytes()
    done = subprocess.run(
        [str(Path(sys.executable).with_name("nbgrader")), "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=path.parent,
        env=lab.environment(ws),
        timeout=300,
    )
    assert says in done.stdout, done.stdout + done.stderr
    assert "Success! Your notebook passes all the tests" not in done.stdout
    assert "Traceback" not in done.stdout and "site-packages" not in done.stdout
    if which == "exercise":
        assert "test_nearest_rank: still the unsolved stub" in done.stdout
    assert path.read_bytes() == before  # validating never changes the learner's file
