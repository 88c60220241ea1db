"""Unit 08's seeded variants: different numbers and keys per seed, each key grading its own
reference answers at full marks and another seed's below, the key never in the student
version, the candidate's submit-and-review loop, the timer, and a class graded with one
seed per student through the real grader."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tradeoffs.authoring.build import dumps, source_notebook
from tradeoffs.catalog import Course
from tradeoffs.grading import batch
from tradeoffs.grading.check import course_limits, harness_verdict
from tradeoffs.grading.sandbox import Limits
from tradeoffs.grading.submissions import find_submissions
from tradeoffs.learner import hints, interview, practice
from tradeoffs.learner.workspace import find
from tradeoffs.widgets.interview import countdown

ROOT = Path(__file__).resolve().parents[1]
SEED_A, SEED_B = 7, 11
AUTOGRADED = 24.0  # twelve numeric parts of 2 points


def numbers_of(course: Course, seed: int, variant: int | None = None) -> nbformat.NotebookNode:
    """Seed `seed`'s right answers typed in as numbers (what a candidate who memorised that
    variant's key would hand in), in variant `variant`'s notebook (default: the same)."""
    key = interview.key(seed)
    master = {c.id: c.source for c in interview.variant_master(course, seed).cells}
    nb = interview.reference_answers(course, seed if variant is None else variant)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            names = [n for n in key if re.search(rf"\b{n}\b", master[cell.id])]
            cell.source = "\n".join(f"{n} = {key[n]!r}" for n in names)
    return nb


def _grade(course: Course, graded_as: int, nb: nbformat.NotebookNode):
    """Grade `nb` in the harness against seed `graded_as`'s key."""
    assignment = interview.variant_assignment(course, graded_as)
    (master,) = assignment.masters.values()
    (released,) = assignment.released.values()
    return harness_verdict(master, released, nb, limits=course_limits(course))


def test_two_seeds_give_different_numbers_and_keys() -> None:
    a, b = interview.scenario(SEED_A), interview.scenario(SEED_B)
    for q in a:
        assert a[q] != b[q], f"{q} has the same numbers in seeds {SEED_A} and {SEED_B}"
    ka, kb = interview.key(SEED_A), interview.key(SEED_B)
    numeric = [n for n, v in ka.items() if isinstance(v, float)]
    assert all(ka[n] != kb[n] for n in numeric), [n for n in numeric if ka[n] == kb[n]]
    assert interview.scenario(SEED_A) == a and interview.key(SEED_A) == ka  # repeatable


def test_variants_span_both_sides_of_each_trade_off() -> None:
    """The numbers are drawn so that the decision is not always the same one."""
    keys = [interview.key(seed) for seed in range(40)]
    assert len({k["q1_best"] for k in keys}) >= 2
    assert len({k["q4_target"] for k in keys}) >= 2
    assert len({len(k["q5_ladder"]) for k in keys}) >= 2
    assert {k["q1_roi"] > 0 for k in keys} == {True, False}


def test_committed_master_is_the_seed_zero_variant() -> None:
    text = (ROOT / "solutions" / "08_interview.py").read_text()
    assert interview.rewrite(text, interview.DEFAULT_SEED) == text


def test_student_version_holds_neither_key_nor_model_answers(course: Course) -> None:
    student = interview.variant_student(course, SEED_A, 30)
    text = json.dumps([c.source for c in student.cells])
    assert "variant key" not in text and "KEY" not in text
    assert "Model answer" not in text and "Mark scheme" not in text
    assert student.metadata["tradeoffs"]["interview"] == {"seed": SEED_A, "timed_min": 30}
    assert "SEED = 7  # variant seed" in text and "TIME_LIMIT_MIN = 30  # variant timer" in text
    master = interview.variant_master(course, SEED_A)
    hidden = "\n".join(c.source for c in master.cells if "variant key" in c.source)
    assert repr(round(interview.key(SEED_A)["q1_value_usd"], 6)) in hidden


@pytest.mark.parametrize(("graded_as", "other"), [(SEED_A, SEED_B), (SEED_B, SEED_A)])
def test_each_key_grades_its_own_answers_full_and_the_other_seeds_below(
    course: Course, graded_as: int, other: int
) -> None:
    for own in (interview.reference_answers(course, graded_as), numbers_of(course, graded_as)):
        verdict = _grade(course, graded_as, own)
        assert verdict.score == (AUTOGRADED, AUTOGRADED), [
            f"{g}: {t.summary}" for g, t in verdict.tests.items() if not t.passed
        ]
    verdict = _grade(course, graded_as, numbers_of(course, other, variant=graded_as))
    earned, possible = verdict.score
    assert possible == AUTOGRADED and earned < AUTOGRADED / 2, verdict.score
    failed = [t for t in verdict.tests.values() if not t.passed]
    assert all(t.summary.startswith("a hidden check failed") for t in failed), failed
    # The visible checks pass (they check only the kind of value): the key decides.
    visible = interview.variant_student(course, graded_as)
    assert all("KEY" not in c.source for c in visible.cells)


def test_model_answers_carry_each_variants_numbers(course: Course) -> None:
    for seed in (SEED_A, SEED_B):
        k = interview.key(seed)
        memo = interview.model_answer("answer_q1_memo", seed)
        assert f"${k['q1_value_usd']:,.0f}" in memo
        master = interview.variant_master(course, seed)
        schemes = hints.mark_schemes(master)
        assert set(interview.WRITTEN_PARTS) <= set(schemes)
        assert f"${k['q1_value_usd']:,.0f}" in schemes["answer_q1_memo"].model_answer.replace(
            "\n", " "
        )


def test_self_review_checklist_is_the_mark_schemes(course: Course) -> None:
    nb = source_notebook(course, course.unit(interview.UNIT_ID))
    schemes = hints.mark_schemes(nb)
    checklist = next(c.source for c in nb.cells if "Self-review" in c.source)
    ticks = re.findall(r"^- \[ \] Q\d: (.*)$", checklist, re.M)
    items = [i for gid in interview.WRITTEN_PARTS for i in schemes[gid].items]
    assert ticks == items


def test_countdown_outside_a_kernel_prints_and_keeps_its_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = tmp_path / "clock.json"
    assert countdown(45, state=clock) is None
    assert "Timed practice: 45 minutes (45 left)" in capsys.readouterr().out
    first = json.loads(clock.read_text())["deadline"]
    countdown(45, state=clock)  # a restarted kernel keeps the same deadline
    assert json.loads(clock.read_text())["deadline"] == first
    assert countdown(None) is None
    assert "Untimed practice" in capsys.readouterr().out


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("tradeoffs")), "--root", str(ROOT), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_candidate_makes_a_variant_submits_it_and_sees_the_model_answers(
    tmp_path: Path, course: Course
) -> None:
    ws = tmp_path / "ws"
    made = _cli(
        "interview", "--seed", str(SEED_A), "--timed", "30", "--workspace", str(ws), cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    path = ws / "interview" / f"seed-{SEED_A}" / "08_interview_exercise.ipynb"
    assert str(path) in made.stdout and "--submit" in made.stdout
    mine = nbformat.read(path, as_version=4)
    assert interview.seed_of(mine) == SEED_A and interview.timed_of(mine) == 30
    assert "Interview practice, variant 7" in mine.cells[0].source  # the learner's banner
    text = path.read_text()
    assert "Model answer" not in text and "variant key" not in text

    unanswered = _cli(
        "interview", "--submit", str(path.parent), "--workspace", str(ws), cwd=tmp_path
    )
    assert unanswered.returncode == 1
    assert "0 of 24 points" in unanswered.stdout and "Model answer" in unanswered.stdout

    again = _cli(
        "interview", "--seed", str(SEED_A), "--timed", "30", "--workspace", str(ws), cwd=tmp_path
    )
    assert again.returncode == 0 and "kept" not in again.stdout  # unchanged: nothing to keep

    answered = interview.reference_answers(course, SEED_A, 30)
    answered.cells[0].source = mine.cells[0].source
    path.write_bytes(dumps(answered))
    kept = _cli(
        "interview", "--seed", str(SEED_A), "--timed", "30", "--workspace", str(ws), cwd=tmp_path
    )
    assert "kept" in kept.stdout and path.read_bytes() == dumps(answered)  # never overwritten
    done = _cli("interview", "--submit", str(path.parent), "--workspace", str(ws), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "24 of 24 points against this variant's key (12 of 12 parts right)" in done.stdout
    review = (path.parent / "review.md").read_text()
    key = interview.key(SEED_A)
    assert f"`q5_ladder` = {key['q5_ladder']!r}" in review
    assert review.count("Model answer:") == len(interview.WRITTEN_PARTS)
    assert "- [ ] the SLI as good over valid requests" in review
    assert find(course, ws).exists


def test_a_class_with_one_seed_each_is_graded_against_each_key(
    tmp_path: Path, course: Course
) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ana.ipynb").write_bytes(dumps(interview.reference_answers(course, SEED_A)))
    (subs / "ben.ipynb").write_bytes(dumps(interview.reference_answers(course, SEED_B, 45)))
    # Cem was given seed B but hands in seed A's numbers.
    (subs / "cem.ipynb").write_bytes(dumps(numbers_of(course, SEED_A, variant=SEED_B)))
    (subs / "dee.ipynb").write_bytes(dumps(interview.variant_student(course, SEED_B)))
    # Eve is not on the list and hands in seed A's variant with its numbers: the grader picks her
    # variant (the released one), not her notebook.
    (subs / "eve.ipynb").write_bytes(dumps(numbers_of(course, SEED_A)))
    seeds = {"ana": SEED_A, "ben": SEED_B, "cem": SEED_B, "dee": SEED_B}
    unit = course.unit(interview.UNIT_ID)
    outcome = batch.grade(
        batch.assignment_from_unit(course, unit),
        find_submissions(subs, unit.id),
        tmp_path / "out",
        limits=Limits(cell_timeout_s=60, submission_timeout_s=300),
        workers=2,
        variant=practice.variant_for(course, seeds),
    )
    scores = {s: r.score for s, r in outcome.results.items()}
    assert scores["ana"] == AUTOGRADED and scores["ben"] == AUTOGRADED, {
        s: [c.grade_id for c in r.cells if c.kind == "test" and c.status != "passed"]
        for s, r in outcome.results.items()
    }
    assert scores["cem"] < AUTOGRADED / 2 and scores["dee"] == 0
    assert scores["eve"] < AUTOGRADED / 2
    statuses = {s: r.status for s, r in outcome.results.items()}
    # Eve's given cells are another variant's: the grader ran its own, and says so.
    assert statuses.pop("eve") == "tampered"
    assert set(statuses.values()) == {"graded"}, statuses


def test_countdown_in_a_kernel_shows_the_time_left_and_when_it_is_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from tradeoffs.widgets import interview as panel

    monkeypatch.setattr(panel, "_in_kernel", lambda: True)
    clock = tmp_path / "clock.json"
    box = countdown(30, state=clock)
    label, bar = box.children
    assert re.search(r"<b>(29:5\d|30:00)</b> left of 30 minutes", label.value), label.value
    assert bar.max == 30 * 60 and bar.bar_style == "info"
    clock.write_text(json.dumps({"deadline": time.time() - 1, "minutes": 30}))
    label, bar = countdown(30, state=clock).children
    assert "Time is up" in label.value and "self-review checklist" in label.value
    assert bar.bar_style == "danger"


def test_an_instructor_releases_a_seed_a_student_and_grades_by_the_seeds_file(
    tmp_path: Path, course: Course
) -> None:
    seeds = tmp_path / "seeds.csv"
    seeds.write_text(f"student,seed\nana,{SEED_A}\n# a comment\nben,{SEED_B}\n")
    assert practice.read_seeds(seeds) == {"ana": SEED_A, "ben": SEED_B}
    made = _cli(
        "interview", "--seeds", str(seeds), "--out", str(tmp_path / "release"), cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    for student, seed in (("ana", SEED_A), ("ben", SEED_B)):
        path = tmp_path / "release" / student / "08_interview" / "08_interview_exercise.ipynb"
        nb = nbformat.read(path, as_version=4)
        assert interview.seed_of(nb) == seed
        assert "variant key" not in path.read_text() and "Model answer" not in path.read_text()

    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ana.ipynb").write_bytes(dumps(interview.reference_answers(course, SEED_A)))
    # Ben was given seed B, but hands in seed A's notebook with seed A's numbers typed in:
    # his notebook says seed A, the instructor's record says B.
    (subs / "ben.ipynb").write_bytes(dumps(numbers_of(course, SEED_A)))
    out = tmp_path / "out"
    args = ["grade", "08_interview", "--submissions", str(subs), "--out", str(out)]
    done = _cli(*args, "--seeds", str(seeds), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((out / "report.json").read_text())["students"]
    points = {
        s: sum(c["points"] or 0 for c in r["cells"] if c["kind"] == "test")
        for s, r in report.items()
    }
    assert points["ana"] == AUTOGRADED and points["ben"] < AUTOGRADED / 2, points
    # Without the record, the released variant: never the seed a notebook names.
    released = _cli(*args, "--force", cwd=tmp_path)
    assert released.returncode == 0
    ben = json.loads((out / "report.json").read_text())["students"]["ben"]
    assert sum(c["points"] or 0 for c in ben["cells"] if c["kind"] == "test") < AUTOGRADED / 2

    bad = tmp_path / "bad.csv"
    bad.write_text("ana,seven\n")
    refused = _cli(*args, "--seeds", str(bad), cwd=tmp_path)
    assert refused.returncode == 2 and "bad.csv, line 1: expected `student,seed`" in refused.stderr
    other = _cli(
        "grade",
        "01_metrics",
        "--submissions",
        str(subs),
        "--out",
        str(out),
        "--seeds",
        str(seeds),
        cwd=tmp_path,
    )
    assert other.returncode == 2 and "--seeds is for 08_interview" in other.stderr
