"""Shared fixtures: the course catalogue and a notebook runner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import matplotlib
import nbformat
import pytest
from _notebook_runner import Executed

from tradeoffs.catalog import Course, load

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def course() -> Course:
    return load(ROOT)


def execute_notebook(nb, workdir: Path, cell_timeout_s: int) -> Executed:
    """Run `nb` top to bottom in a fresh kernel, driven from a fresh interpreter of its own
    (threads and event loops that earlier tests left in this worker cannot slow the client);
    collect errors and stderr output."""
    source = workdir / ".notebook-under-test.ipynb"
    nbformat.write(nb, source)
    proc = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("_notebook_runner.py")),
            str(source),
            str(workdir),
            str(cell_timeout_s),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the notebook runner failed:\n{proc.stderr[-3000:]}")
    return Executed(**json.loads(proc.stdout.splitlines()[-1]))
