"""The rules that hold the catalogue and the files on disk together: `tradeoffs dev check`.

Each rule returns problems, each naming the file and the fix, as rustlings' `dev check`
does; the course's tests call `problems(course)` and fail on any. The rules:

- unit ids and paths follow the layout, units are in order, budgets are positive;
- no stray files in course/, solutions/ or exercises/;
- every exercise's points add up, every graded cell has a hint ladder, grade ids are
  unique across the course, no hint names a cell that does not exist;
- every test cell starts with a one-line docstring (the learner sees it when a hidden
  check fails);
- the generated notebooks match a fresh build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tradeoffs.authoring import build
from tradeoffs.authoring.cells import grade_id, is_test
from tradeoffs.authoring.cells import meta as _meta
from tradeoffs.catalog import Course

UNIT_ID = re.compile(r"^\d\d_[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the course, and how to fix it."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def layout(course: Course) -> list[Problem]:
    out = []
    if not course.units:
        out.append(Problem("course.toml", "lists no units: add a [[units]] entry"))
    for unit in course.units:
        if not UNIT_ID.match(unit.id):
            out.append(Problem("course.toml", f"unit id {unit.id!r} must look like NN_slug"))
        if unit.lesson != f"course/{unit.id}.py":
            out.append(Problem("course.toml", f'{unit.id}: set lesson = "course/{unit.id}.py"'))
        if not (course.root / unit.lesson).is_file():
            out.append(Problem(unit.lesson, "is missing: write the lesson or fix course.toml"))
        if unit.exercise is not None and unit.exercise != f"solutions/{unit.id}.py":
            out.append(
                Problem("course.toml", f'{unit.id}: set exercise = "solutions/{unit.id}.py"')
            )
        if unit.time_budget_s <= 0:
            out.append(Problem("course.toml", f"{unit.id}: time_budget_s must be positive"))
    numbers = [int(u.id[:2]) for u in course.units if UNIT_ID.match(u.id)]
    if numbers != sorted(numbers):
        out.append(Problem("course.toml", "list the units in order of their numbers"))
    return out


def stray_files(course: Course) -> list[Problem]:
    out = []
    lessons = {Path(u.lesson).name for u in course.units}
    lessons |= {Path(u.lesson_notebook).name for u in course.units}
    solutions = {Path(u.exercise).name for u in course.exercises if u.exercise}
    exercises = {u.id for u in course.exercises}
    for folder, known, fix in (
        ("course", lessons, "is not a lesson in course.toml: add its unit or delete it"),
        ("solutions", solutions, "is not an exercise in course.toml: add `exercise =` or delete"),
        ("exercises", exercises, "has no exercise in course.toml: delete it or add the unit"),
    ):
        path = course.root / folder
        if not path.is_dir():
            continue
        for entry in sorted(path.iterdir()):
            if entry.name.startswith(".") or entry.name == "__pycache__":
                continue
            if entry.name not in known:
                out.append(Problem(f"{folder}/{entry.name}", fix))
    return out


def exercises(course: Course) -> list[Problem]:
    out = []
    seen: dict[str, str] = {}
    for unit in course.exercises:
        where = str(unit.exercise)
        try:
            nb = build.source_notebook(course, unit)
        except build.BuildError as exc:
            out.append(Problem(where, str(exc)))
            continue
        graded = {
            gid: float(_meta(c).get("points", 0) or 0)
            for c in nb.cells
            if (gid := grade_id(c)) and _meta(c).get("grade")
        }
        if not graded:
            out.append(Problem(where, "has no graded cell"))
        if not any(is_test(c) for c in nb.cells):
            out.append(Problem(where, "has no autograded test"))
        if unit.points != sum(graded.values()):
            out.append(
                Problem(
                    "course.toml",
                    f"{unit.id}: points = {unit.points:g}, but the graded cells of {where} add "
                    f"up to {sum(graded.values()):g}: set points = {sum(graded.values()):g}",
                )
            )
        for gid in graded:
            if gid not in unit.hints:
                out.append(
                    Problem(
                        "course.toml",
                        f"{unit.id}: graded cell {gid!r} has no hint: add "
                        f'`{gid} = ["a nudge", "a closer hint", "the near-answer"]` under '
                        "[units.hints]",
                    )
                )
            if gid in seen:
                out.append(Problem(where, f"grade id {gid!r} is also used by {seen[gid]}"))
            seen[gid] = unit.id
        for gid in sorted(set(unit.hints) - set(graded)):
            out.append(
                Problem("course.toml", f"{unit.id}: a hint for {gid!r}, which is not a graded cell")
            )
        for cell in nb.cells:
            if not is_test(cell):
                continue
            lines = str(cell.source).strip().splitlines()
            first = lines[0] if lines else ""
            if not (first.startswith('"""') and first.endswith('"""') and len(first) > 6):
                out.append(
                    Problem(
                        where,
                        f"test cell {grade_id(cell)} must start with a one-line docstring "
                        "saying what it checks (a learner sees it when a hidden check fails)",
                    )
                )
    return out


def generated(course: Course) -> list[Problem]:
    return [
        Problem(p.path, f"{p.reason}: run `make build` and commit the result")
        for p in build.stale(course)
    ]


RULES = (layout, stray_files, exercises, generated)


def problems(course: Course) -> list[Problem]:
    """Everything wrong with the course, by every rule."""
    out: list[Problem] = []
    for rule in RULES:
        out += rule(course)
    return out
