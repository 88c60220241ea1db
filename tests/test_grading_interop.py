"""`tradeoffs grade --course-dir` on an nbgrader course of our own making, beside plain
`nbgrader autograde` on the same course: the same points for every autograded cell and the
same max score, with a header named relative to the course folder, hidden tests, written
answers (markdown and code), a task, a data file the notebook reads, and a test that
deletes and restores one of the learner's names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tradeoffs.cli import main


def _cell(kind: str, source: str, **nbgrader: object) -> nbformat.NotebookNode:
    cell = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, **nbgrader}
    return cell


def _master() -> nbformat.NotebookNode:
    sol = {"grade": False, "solution": True, "locked": False}
    return nbformat.v4.new_notebook(
        cells=[
            _cell("markdown", "# Homework 1"),
            _cell(
                "code",
                "def mean_of_file(path):\n"
                "    ### BEGIN SOLUTION\n"
                "    values = [float(x) for x in open(path).read().split()]\n"
                "    return sum(values) / len(values)\n"
                "    ### END SOLUTION",
                grade_id="mean_of_file",
                **sol,
            ),
            _cell(
                "code",
                '"""mean_of_file reads the numbers"""\n'
                "assert mean_of_file('data.txt') == 2.5\n"
                "### BEGIN HIDDEN TESTS\n"
                "open('other.txt', 'w').write('10 20')\n"
                "assert mean_of_file('other.txt') == 15\n"
                "### END HIDDEN TESTS",
                grade=True,
                grade_id="test_mean",
                locked=True,
                points=2,
                solution=False,
            ),
            _cell(
                "code",
                "def double_mean(path):\n"
                "    ### BEGIN SOLUTION\n"
                "    return 2 * mean_of_file(path)\n"
                "    ### END SOLUTION",
                grade_id="double_mean",
                **sol,
            ),
            _cell(
                "code",
                '"""double_mean relies on mean_of_file"""\n'
                "original = mean_of_file\n"
                "del mean_of_file\n"
                "try:\n"
                "    double_mean('data.txt')\n"
                "except NameError:\n"
                "    pass\n"
                "else:\n"
                "    raise AssertionError('double_mean does not use mean_of_file')\n"
                "finally:\n"
                "    mean_of_file = original",
                grade=True,
                grade_id="test_uses",
                locked=True,
                points=1,
                solution=False,
            ),
            _cell(
                "markdown",
                "Explain why.\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                grade=True,
                grade_id="why",
                locked=False,
                points=2,
                solution=True,
            ),
            _cell(
                "code",
                "def plot_it():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
                grade=True,
                grade_id="plot_by_hand",
                locked=False,
                points=3,
                solution=True,
            ),
            _cell(
                "markdown",
                "## Task: compare two designs (4 points)",
                grade=False,
                grade_id="task_compare",
                locked=True,
                points=4,
                solution=False,
                task=True,
            ),
        ]
    )


def _answer(nb: nbformat.NotebookNode, grade_id: str, source: str) -> None:
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("course")
    (root / "source" / "hw1").mkdir(parents=True)
    nbformat.write(_master(), root / "source" / "hw1" / "hw1.ipynb")
    (root / "source" / "hw1" / "data.txt").write_text("1 2 3 4")
    header = nbformat.v4.new_notebook(cells=[_cell("markdown", "Course 999 header")])
    nbformat.write(header, root / "source" / "header.ipynb")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'course999'\n"
        "c.IncludeHeaderFooter.header = 'source/header.ipynb'\n"
        "c.ExecutePreprocessor.timeout = 60\n"
    )
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", "hw1", "--force"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    released = nbformat.read(root / "release" / "hw1" / "hw1.ipynb", as_version=4)
    good, partial = nbformat.from_dict(released), nbformat.from_dict(released)
    for nb in (good, partial):
        _answer(nb, "why", "Because the mean is what the test reads.")
    _answer(
        good,
        "mean_of_file",
        "def mean_of_file(path):\n"
        "    v = [float(x) for x in open(path).read().split()]\n"
        "    return sum(v) / len(v)",
    )
    _answer(good, "double_mean", "def double_mean(path):\n    return 2 * mean_of_file(path)")
    # partial: passes the visible test only (hard-codes it), and reimplements the mean
    _answer(partial, "mean_of_file", "def mean_of_file(path):\n    return 2.5")
    _answer(partial, "double_mean", "def double_mean(path):\n    return 5.0")
    for student, nb in (("good", good), ("partial", partial)):
        folder = root / "submitted" / student / "hw1"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "hw1.ipynb")
        (folder / "data.txt").write_text("1 2 3 4")
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", "hw1", "--create", "--force"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    return root


@pytest.mark.slow
def test_scores_agree_with_plain_nbgrader(course: Path, tmp_path: Path) -> None:
    from nbgrader.api import Gradebook

    out = tmp_path / "out"
    args = ["grade", "hw1", "--course-dir", str(course), "--submissions", str(course)]
    assert main([*args, "--out", str(out), "--workers", "2"]) == 0
    report = json.loads((out / "report.json").read_text())
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "course999") as gb:
        assert report["max_score"] == gb.find_assignment("hw1").max_score == 12
        for student in ("good", "partial"):
            ours = {c["grade_id"]: c for c in report["students"][student]["cells"]}
            for grade in gb.find_submission("hw1", student).notebooks[0].grades:
                if grade.auto_score is not None:
                    assert ours[grade.name]["points"] == grade.auto_score, (student, grade.name)
    partial = {c["grade_id"]: c for c in report["students"]["partial"]["cells"]}
    assert partial["test_mean"]["points"] == 0  # the hidden part catches the hard-coding
    assert (
        partial["test_mean"]["message"] == "a hidden check failed: mean_of_file reads the numbers"
    )
    assert partial["test_uses"]["points"] == 0
    assert report["graded_in_kernel"] == []
    assert {c["kind"] for c in report["students"]["good"]["cells"]} == {"test", "answer", "task"}
