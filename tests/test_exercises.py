"""Every graded test passes on the master copy and fails on the unsolved exercise and on
each planted wrong answer (tests/wrong_answers.toml), as nbgrader's Validator sees it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tradeoffs.authoring.build import source_notebook
from tradeoffs.catalog import Course, load
from tradeoffs.grading.check import (
    autograded_ids,
    run_tests,
    unsolved_notebook,
    with_wrong_answer,
)

ROOT = Path(__file__).resolve().parents[1]
WRONG = tomllib.loads((ROOT / "tests" / "wrong_answers.toml").read_text())
EXERCISES = [u.id for u in load(ROOT).exercises]


def _wrong_answers() -> list[Any]:
    return [
        pytest.param(unit_id, entry, id=f"{unit_id}-{entry['cell']}-{n}")
        for unit_id, entries in WRONG.items()
        for n, entry in enumerate(entries)
    ]


def _failures(verdict: Any) -> str:
    return "; ".join(f"{g}: {verdict.tests[g].summary}" for g in verdict.failed)


@pytest.mark.slow
@pytest.mark.parametrize("unit_id", EXERCISES)
def test_master_copy_passes_every_test(course: Course, unit_id: str) -> None:
    unit = course.unit(unit_id)
    verdict = run_tests(course, source_notebook(course, unit))
    assert set(verdict.tests) == set(autograded_ids(source_notebook(course, unit)))
    assert not verdict.failed, f"{unit.exercise} fails its own tests: {_failures(verdict)}"


@pytest.mark.slow
@pytest.mark.parametrize("unit_id", EXERCISES)
def test_unsolved_exercise_fails_every_test(course: Course, unit_id: str) -> None:
    unit = course.unit(unit_id)
    verdict = run_tests(course, unsolved_notebook(course, unit))
    assert verdict.tests, f"{unit_id}: no autograded tests ran"
    assert not verdict.passed, (
        f"exercises/{unit_id}: these tests already pass unsolved, so they check nothing: "
        f"{verdict.passed}"
    )


@pytest.mark.slow
@pytest.mark.parametrize(("unit_id", "entry"), _wrong_answers())
def test_wrong_answer_is_caught(course: Course, unit_id: str, entry: dict[str, Any]) -> None:
    unit = course.unit(unit_id)
    nb = with_wrong_answer(
        source_notebook(course, unit), entry["cell"], entry["code"], entry.get("region", 0)
    )
    verdict = run_tests(course, nb)
    expected = set(entry["fails"])
    assert expected <= set(verdict.failed), (
        f"{unit_id}: a wrong answer ({entry['why']}) in cell {entry['cell']!r} passes "
        f"{sorted(expected - set(verdict.failed))}"
    )
    assert set(verdict.failed) == expected, (
        f"{unit_id}: the wrong answer in {entry['cell']!r} also broke unrelated tests: "
        f"{_failures(verdict)}"
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
