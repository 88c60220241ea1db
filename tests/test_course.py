"""The catalogue, the sources and the generated notebooks hold together."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tradeoffs.authoring import build
from tradeoffs.catalog import Course
from tradeoffs.grading.check import autograded_ids, graded_cells

UNIT_ID = re.compile(r"^\d\d_[a-z][a-z0-9_]*$")


@pytest.fixture(scope="module")
def rendered(course: Course) -> dict[str, bytes]:
    return build.render(course)


def test_generated_files_match_a_fresh_build(course: Course, rendered: dict[str, bytes]) -> None:
    problems = build.stale(course, rendered)
    assert not problems, "stale generated files (run `make build` and commit): " + ", ".join(
        f"{p.path} ({p.reason})" for p in problems
    )


def test_build_is_reproducible(course: Course, rendered: dict[str, bytes]) -> None:
    again = build.render(course)
    assert again == rendered, "two builds of the same sources differ"


def test_generated_notebooks_have_no_outputs_and_say_they_are_generated(
    course: Course, rendered: dict[str, bytes]
) -> None:
    for relpath, data in rendered.items():
        nb = nbformat.reads(data.decode(), as_version=4)
        first = nb.cells[0]
        assert first.cell_type == "markdown" and "Generated file" in first.source, relpath
        assert "make build" in first.source, f"{relpath}: header must name the rebuild command"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, relpath


def test_unit_ids_and_paths_follow_the_layout(course: Course) -> None:
    assert course.units, "course.toml lists no units"
    for unit in course.units:
        assert UNIT_ID.match(unit.id), f"unit id {unit.id!r} must look like NN_slug"
        assert unit.lesson == f"course/{unit.id}.py", (
            f"{unit.id}: lesson must be course/{unit.id}.py, got {unit.lesson}"
        )
        assert (course.root / unit.lesson).is_file(), f"{unit.lesson} is missing"
        if unit.exercise is not None:
            assert unit.exercise == f"solutions/{unit.id}.py", (
                f"{unit.id}: exercise must be solutions/{unit.id}.py, got {unit.exercise}"
            )
        assert unit.time_budget_s > 0, f"{unit.id}: time_budget_s must be positive"
    numbers = [int(u.id[:2]) for u in course.units]
    assert numbers == sorted(numbers), "units must be listed in order"


def test_no_stray_files(course: Course) -> None:
    lessons = {Path(u.lesson).name for u in course.units} | {
        Path(u.lesson_notebook).name for u in course.units
    }
    for path in (course.root / "course").iterdir():
        if path.name.startswith(".") or path.name == "__pycache__":
            continue
        assert path.name in lessons, f"course/{path.name} is not a lesson in course.toml"
    solutions = {Path(u.exercise).name for u in course.exercises if u.exercise}
    for path in (course.root / "solutions").iterdir():
        if path.name.startswith(".") or path.name == "__pycache__":
            continue
        assert path.name in solutions, (
            f"solutions/{path.name} is not an exercise in course.toml: add `exercise =` "
            "to its unit or delete it"
        )
    exercises = {u.id for u in course.exercises}
    for path in (course.root / "exercises").iterdir():
        assert path.name in exercises, f"exercises/{path.name} has no exercise in course.toml"


def test_every_exercise_has_points_and_hints(course: Course) -> None:
    seen: dict[str, str] = {}
    for unit in course.exercises:
        nb = build.source_notebook(course, unit)
        cells = graded_cells(nb)
        assert cells, f"{unit.exercise} has no graded cells"
        assert autograded_ids(nb), f"{unit.exercise} has no autograded test"
        assert unit.points == sum(cells.values()), (
            f"{unit.id}: course.toml says points = {unit.points:g}, the graded cells of "
            f"{unit.exercise} add up to {sum(cells.values()):g}"
        )
        for grade_id in cells:
            assert grade_id in unit.hints, (
                f"{unit.id}: graded cell {grade_id!r} has no hint in course.toml: "
                f'add `{grade_id} = "..."` under [units.hints]'
            )
            assert grade_id not in seen, (
                f"grade id {grade_id!r} is used by both {seen[grade_id]} and {unit.id}"
            )
            seen[grade_id] = unit.id
        stray = set(unit.hints) - set(cells)
        assert not stray, f"{unit.id}: hints for cells that do not exist: {sorted(stray)}"


def test_test_cells_say_what_they_check(course: Course) -> None:
    for unit in course.exercises:
        nb = build.source_notebook(course, unit)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") in autograded_ids(nb):
                first = cell.source.strip().splitlines()[0]
                assert first.startswith('"""') and first.endswith('"""'), (
                    f"{unit.exercise}: test cell {cell.id} must start with a one-line docstring"
                )
