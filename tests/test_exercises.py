"""Every graded test passes on the master copy and fails on the unsolved exercise and on
each planted wrong answer (tests/wrong_answers.toml), as the instructor's grader sees it
(the harness, with hidden tests, sandboxed where the machine allows). For every planted
wrong answer the learner's `tradeoffs check` gives the same verdict on the visible tests
as the grader does; and nbgrader's Validate button (the tests run in a Jupyter kernel)
agrees on the master copy and the stubs."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tradeoffs.authoring.build import source_notebook, student_notebook
from tradeoffs.catalog import Course, load
from tradeoffs.grading.check import (
    NotebookVerdict,
    autograded_ids,
    check_notebook,
    course_limits,
    harness_verdict,
    kernel_verdict,
    unsolved_notebook,
    with_wrong_answer,
)
from tradeoffs.grading.sandbox import can_isolate

ROOT = Path(__file__).resolve().parents[1]
WRONG = tomllib.loads((ROOT / "tests" / "wrong_answers.toml").read_text())
EXERCISES = [u.id for u in load(ROOT).exercises]
SANDBOX = can_isolate()


def _wrong_answers() -> list[Any]:
    return [
        pytest.param(unit_id, entry, id=f"{unit_id}-{entry['cell']}-{n}")
        for unit_id, entries in WRONG.items()
        for n, entry in enumerate(entries)
    ]


def _failures(verdict: NotebookVerdict) -> str:
    return "; ".join(f"{g}: {verdict.tests[g].summary}" for g in verdict.failed)


def graded(course: Course, unit_id: str, nb: Any) -> NotebookVerdict:
    """The grader's verdict on `nb`: the master copy's tests, hidden ones included."""
    unit = course.unit(unit_id)
    return harness_verdict(
        source_notebook(course, unit),
        student_notebook(course, unit),
        nb,
        limits=course_limits(course),
        sandbox=SANDBOX,
    )


@pytest.mark.slow
@pytest.mark.parametrize("unit_id", EXERCISES)
def test_master_copy_passes_every_test(course: Course, unit_id: str) -> None:
    unit = course.unit(unit_id)
    master = source_notebook(course, unit)
    verdict = graded(course, unit_id, master)
    assert set(verdict.tests) == set(autograded_ids(master))
    assert not verdict.failed, f"{unit.exercise} fails its own tests: {_failures(verdict)}"
    in_kernel = kernel_verdict(course, master)
    assert not in_kernel.failed, (
        f"{unit.exercise} fails its own tests in a Jupyter kernel (the Validate button): "
        f"{_failures(in_kernel)}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("unit_id", EXERCISES)
def test_unsolved_exercise_fails_every_test(course: Course, unit_id: str) -> None:
    unit = course.unit(unit_id)
    stubs = unsolved_notebook(course, unit)
    for how, verdict in (
        ("graded", graded(course, unit_id, stubs)),
        ("in a kernel", kernel_verdict(course, stubs)),
    ):
        assert verdict.tests, f"{unit_id}: no autograded tests ran ({how})"
        assert not verdict.passed, (
            f"exercises/{unit_id}: these tests already pass unsolved ({how}), so they check "
            f"nothing: {verdict.passed}"
        )


@pytest.mark.slow
@pytest.mark.parametrize(("unit_id", "entry"), _wrong_answers())
def test_wrong_answer_is_caught(course: Course, unit_id: str, entry: dict[str, Any]) -> None:
    unit = course.unit(unit_id)
    nb = with_wrong_answer(
        source_notebook(course, unit), entry["cell"], entry["code"], entry.get("region", 0)
    )
    verdict = graded(course, unit_id, nb)
    expected = set(entry["fails"])
    assert expected <= set(verdict.failed), (
        f"{unit_id}: a wrong answer ({entry['why']}) in cell {entry['cell']!r} passes "
        f"{sorted(expected - set(verdict.failed))}"
    )
    assert set(verdict.failed) == expected, (
        f"{unit_id}: the wrong answer in {entry['cell']!r} also broke unrelated tests: "
        f"{_failures(verdict)}"
    )
    # The learner's check runs the visible tests only, without a sandbox: on those it must
    # say what the grader says (a test the grader failed only in a hidden part passes).
    learner = check_notebook(course, unit, nb)
    for grade_id, test in verdict.tests.items():
        visible_pass = test.passed or test.error.startswith("a hidden check failed")
        assert learner.tests[grade_id].passed == visible_pass, (
            f"{unit_id}: for the wrong answer in {entry['cell']!r}, `tradeoffs check` says "
            f"{grade_id} {'passes' if learner.tests[grade_id].passed else 'fails'} but the "
            f"grader's visible part {'passes' if visible_pass else 'fails'}"
        )


def test_every_autograded_test_has_a_wrong_answer(course: Course) -> None:
    for unit in course.exercises:
        covered = {t for e in WRONG.get(unit.id, []) for t in e["fails"]}
        missing = set(autograded_ids(source_notebook(course, unit))) - covered
        assert not missing, (
            f"{unit.id}: no plausible wrong answer in tests/wrong_answers.toml fails "
            f"{sorted(missing)}; add one so the test is shown to be able to fail"
        )
    unknown = set(WRONG) - {u.id for u in course.exercises}
    assert not unknown, f"tests/wrong_answers.toml names units without exercises: {unknown}"
