"""The rooms of the package keep to what ARCHITECTURE.md says they may import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tradeoffs"
CORE = ["metrics", "caching", "profiling", "prices", "servers", "_validate"]
DRAWING = ("matplotlib", "ipywidgets", "tradeoffs.widgets")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _files(room: str) -> list[Path]:
    path = SRC / room
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


@pytest.mark.parametrize("room", CORE)
def test_core_never_draws(room: str) -> None:
    """Core modules never import matplotlib, ipywidgets or the widgets."""
    for path in _files(room):
        bad = sorted(n for n in _imports(path) if n.startswith(DRAWING))
        assert not bad, f"{path.relative_to(SRC)} imports {bad}: move the figure to widgets/"


def test_checks_never_import_grading() -> None:
    for path in _files("checks"):
        bad = sorted(n for n in _imports(path) if n.startswith("tradeoffs.grading"))
        assert not bad, f"{path.relative_to(SRC)} imports {bad}"


def test_importing_core_loads_no_plotting_library() -> None:
    code = (
        "import sys, tradeoffs.metrics, tradeoffs.caching, tradeoffs.profiling, tradeoffs.prices\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'ipywidgets'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_learners_loop_neither_draws_nor_imports_the_labs() -> None:
    """learner/ sits on grading: a check never loads a lab's stack or a plotting library."""
    for path in _files("learner"):
        bad = sorted(n for n in _imports(path) if n.startswith((*DRAWING, "tradeoffs.labs")))
        assert not bad, f"{path.relative_to(SRC)} imports {bad}"
