"""`%tradeoffs check` (and hint, list, next, progress) in a notebook cell.

The kernels of the learner's JupyterLab load this extension (`tradeoffs jupyter` gives
them a kernelspec with `--ext=tradeoffs.learner.magic`); elsewhere `%load_ext
tradeoffs.learner` loads it, and `tradeoffs.learner.check()` does the same as a function.
The check reads the saved notebook, as `tradeoffs check` does: save first.
"""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path
from typing import Any

USAGE = (
    "usage: %tradeoffs check [NOTEBOOK] | hint UNIT [PART] | list | next | progress "
    "(check reads the saved notebook: save first)"
)


def _this_notebook() -> Path | None:
    """The notebook this kernel runs (Jupyter tells the kernel its session's path), else
    the one exercise notebook in the kernel's folder."""
    here = Path.cwd()
    session = os.environ.get("JPY_SESSION_NAME")
    if session:
        for candidate in (Path(session), here / Path(session).name):
            if candidate.suffix == ".ipynb" and candidate.is_file():
                return candidate
    found = sorted(here.glob("*_exercise.ipynb")) or sorted(here.glob("*.ipynb"))
    return found[0] if len(found) == 1 else None


def check_from_kernel(notebook: str | None = None) -> Any:
    """Run the check and print the per-part summary; returns the verdict (None if the
    check could not run: the message says why)."""
    from tradeoffs.catalog import load
    from tradeoffs.learner import checking, commands, workspace

    if os.environ.get("NBGRADER_EXECUTION"):
        print("tradeoffs check: skipped while nbgrader runs this notebook")
        return None
    path = Path(notebook) if notebook else _this_notebook()
    if path is None:
        print("tradeoffs check: which notebook? Use %tradeoffs check PATH/TO/NOTEBOOK.ipynb")
        return None
    try:
        course = load(None)
        ws = workspace.find(course, must_exist=False)
        unit, path = commands.exercise_path(ws, course, str(path))
        age = time.time() - path.stat().st_mtime
        print(f"{unit.id}: checking {path.name} as saved {_ago(age)} (save to check your latest)")
        started = time.perf_counter()
        verdict = checking.run_check(course, unit, path)
        elapsed = time.perf_counter() - started
    except (commands.LearnerError, workspace.WorkspaceError, FileNotFoundError) as exc:
        print(f"tradeoffs check: {exc}")
        return None
    checking.record(course, unit, path, verdict)
    for line in checking.report_lines(unit, verdict, elapsed):
        print(line)
    return verdict


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def run_line(line: str) -> None:
    from tradeoffs.catalog import load
    from tradeoffs.learner import commands, workspace

    args = shlex.split(line)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return
    what, rest = args[0], args[1:]
    if what == "check":
        check_from_kernel(rest[0] if rest else None)
        return
    try:
        course = load(None)
        ws = workspace.find(course)
        if what == "hint" and len(rest) in (1, 2):
            unit = commands.find_unit(course, rest[0], exercise=True)
            lines = commands.hint_lines(ws, unit, rest[1] if len(rest) == 2 else None)
        elif what == "list":
            lines = commands.list_lines(ws)
        elif what == "next":
            lines = commands.next_lines(ws)
        elif what == "progress":
            lines = commands.progress_lines(ws)
        else:
            lines = [USAGE]
    except (commands.LearnerError, workspace.WorkspaceError) as exc:
        lines = [f"tradeoffs {what}: {exc}"]
    print("\n".join(lines))


def load_ipython_extension(ipython: Any) -> None:
    def tradeoffs(line: str) -> None:
        run_line(line)

    tradeoffs.__doc__ = USAGE
    ipython.register_magic_function(tradeoffs, "line", "tradeoffs")
