"""Every lesson and every master copy runs top to bottom within its unit's time budget,
with no error and nothing on stderr (nbgrader scores a test cell that writes to stderr 0)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import execute_notebook

from tradeoffs.authoring.build import read_source, source_notebook
from tradeoffs.authoring.config import cell_timeout_s
from tradeoffs.catalog import Course, load

ROOT = Path(__file__).resolve().parents[1]
COURSE = load(ROOT)
NOTEBOOKS = [pytest.param(u.id, "lesson", id=f"{u.id}-lesson") for u in COURSE.units] + [
    pytest.param(u.id, "solution", id=f"{u.id}-solution") for u in COURSE.exercises
]


# Lessons with load tests read their size knob from here (the kernel inherits the
# environment): the suite checks that they run, not how precise their figures are.
LOAD_SCALE = "0.2"


@pytest.mark.slow
@pytest.mark.parametrize(("unit_id", "kind"), NOTEBOOKS)
def test_notebook_runs_clean_within_budget(
    course: Course, unit_id: str, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEOFFS_LOAD_SCALE", LOAD_SCALE)
    unit = course.unit(unit_id)
    if kind == "lesson":
        nb, name = read_source(course, unit.lesson, ""), unit.lesson
    else:
        nb, name = source_notebook(course, unit), str(unit.exercise)
    run = execute_notebook(nb, tmp_path, cell_timeout_s(course))
    assert not run.errors, f"{name} raised: " + " | ".join(run.errors)
    assert not run.stderr, f"{name} wrote to stderr: " + " | ".join(run.stderr)
    assert run.work_seconds <= unit.time_budget_s, (
        f"{name} kept its kernel busy {run.work_seconds:.0f} s ({run.seconds:.0f} s in all), "
        f"over its time budget of {unit.time_budget_s:g} s "
        "in course.toml: make it faster (smaller default sizes) before raising the budget; "
        "slowest cells: "
        + "; ".join(f"{s:.1f} s {where}" for s, where in run.slowest)
        + "; phases: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in run.phases.items())
    )
