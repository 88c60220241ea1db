"""The catalogue, the sources and the generated notebooks hold together."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tradeoffs.authoring import build, rules
from tradeoffs.catalog import Course, load


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


@pytest.mark.parametrize("rule", rules.RULES, ids=lambda r: r.__name__)
def test_the_course_keeps_its_rules(course: Course, rule: Any) -> None:
    found = rule(course)
    assert not found, "\n".join(str(p) for p in found)


def _broken_copy(course: Course, tmp_path: Path) -> Course:
    for name in ("course.toml", "autograder"):
        src = course.root / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name)
        else:
            shutil.copy(src, tmp_path / name)
    for folder in ("course", "solutions", "exercises"):
        shutil.copytree(course.root / folder, tmp_path / folder)
    return load(tmp_path)


def test_each_rule_names_the_fix(course: Course, tmp_path: Path) -> None:
    copy = _broken_copy(course, tmp_path)
    toml = (tmp_path / "course.toml").read_text()
    toml = toml.replace("points = 16", "points = 15", 1)
    toml = re.sub(r"\ntest_nearest_rank = (\[.*?\n\]|[^\n]*)", "", toml, count=1, flags=re.S)
    (tmp_path / "course.toml").write_text(toml)
    (tmp_path / "solutions" / "99_stray.py").write_text("# %%\n")
    (tmp_path / "course" / "01_metrics.ipynb").write_text("{}")
    copy = load(tmp_path)
    text = "\n".join(str(p) for p in rules.problems(copy))
    assert "set points = 16" in text
    assert "'test_nearest_rank' has no hint" in text and "[units.hints]" in text
    assert "solutions/99_stray.py" in text and "delete" in text
    assert "course/01_metrics.ipynb: out of date: run `make build`" in text
