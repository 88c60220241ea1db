"""Where a learner stands: each unit's status, from their notebooks and their last checks.

The state lives in the workspace (`.tradeoffs/progress.json`), never in the checkout:

    {"checks": {"01_metrics": {"at": 1733050000.0, "digest": "...", "parts": {"test_cost":
                 {"passed": true, "points": 2, "max_points": 2, "message": ""}, ...},
                 "unanswered": ["answer_dashboard"]}},
     "hints": {"01_metrics": {"test_cost": 2}}}

A unit's status:
- not started: the exercise's answer cells are as copied (or, for a lesson-only unit, the
  lesson has never been run and saved);
- in progress: answers written, but the last check (of this very file) did not pass
  every visible test, or the file changed since;
- passing: the last check of the file as it is now passed every visible test.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from tradeoffs.authoring.cells import grade_id, is_answer
from tradeoffs.catalog import Unit
from tradeoffs.learner.workspace import STATE_DIR, Workspace

PROGRESS = "progress.json"
NOT_STARTED, IN_PROGRESS, PASSING = "not started", "in progress", "passing"
LESSON_RUN = "lesson run"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class State:
    """The workspace's progress file, read once and written whole (atomically)."""

    def __init__(self, ws: Workspace) -> None:
        self.path = ws.root / STATE_DIR / PROGRESS
        self.data: dict[str, Any] = {"checks": {}, "hints": {}}
        try:
            loaded = json.loads(self.path.read_text())
            if isinstance(loaded, dict):
                for key in ("checks", "hints"):
                    if isinstance(loaded.get(key), dict):
                        self.data[key] = loaded[key]
        except (OSError, ValueError):
            pass  # no progress yet, or a damaged file: start afresh rather than fail

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, self.path)

    # checks
    def record_check(self, unit: Unit, notebook: Path, verdict: Any) -> None:
        """Remember a check's verdict (a grading.check.NotebookVerdict) of `notebook`."""
        self.data["checks"][unit.id] = {
            "at": time.time(),
            "notebook": str(notebook),
            "digest": digest(notebook),
            "parts": {
                gid: {
                    "passed": bool(t.passed),
                    "points": float(t.points),
                    "max_points": float(t.max_points),
                }
                for gid, t in verdict.tests.items()
            },
            "unanswered": list(verdict.unanswered),
        }

    def last_check(self, unit: Unit) -> dict[str, Any] | None:
        entry = self.data["checks"].get(unit.id)
        return entry if isinstance(entry, dict) else None

    def forget_check(self, unit: Unit) -> None:
        self.data["checks"].pop(unit.id, None)

    # hints
    def hints_seen(self, unit: Unit, part: str) -> int:
        return int(self.data["hints"].get(unit.id, {}).get(part, 0))

    def saw_hint(self, unit: Unit, part: str, rung: int) -> None:
        self.data["hints"].setdefault(unit.id, {})[part] = rung


@dataclass(frozen=True)
class UnitStatus:
    unit: Unit
    status: str  # not started | in progress | passing | lesson run (lesson-only units)
    points: float  # points of the visible tests passed at the last check of this file
    visible_points: float  # points the visible tests are worth
    passed: int  # visible tested parts passing
    parts: int  # visible tested parts
    unanswered: int  # written parts still to answer
    stale: bool  # the notebook changed since its last check

    @property
    def done(self) -> bool:
        return self.status in (PASSING, LESSON_RUN)


def answers_touched(path: Path, pristine: bytes) -> bool:
    """True when any answer cell differs from the untouched copy (saving a notebook in
    JupyterLab changes its metadata, which is not work)."""
    try:
        mine = nbformat.read(str(path), as_version=4)
        fresh = nbformat.reads(pristine.decode("utf-8"), as_version=4)
    except Exception:
        return True  # unreadable: surely touched
    originals = {grade_id(c): c.source for c in fresh.cells if is_answer(c)}
    for cell in mine.cells:
        if is_answer(cell) and originals.get(grade_id(cell)) != cell.source:
            return True
    return False


def lesson_was_run(path: Path) -> bool:
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception:
        return False
    return any(c.cell_type == "code" and c.get("execution_count") for c in nb.cells)


def unit_status(ws: Workspace, state: State, unit: Unit) -> UnitStatus:
    if not unit.exercise:
        ran = ws.lesson_path(unit).is_file() and lesson_was_run(ws.lesson_path(unit))
        return UnitStatus(unit, LESSON_RUN if ran else NOT_STARTED, 0, 0, 0, 0, 0, False)
    path = ws.exercise_path(unit)
    assert path is not None
    check = state.last_check(unit)
    touched = path.is_file() and answers_touched(path, ws.pristine(unit, "exercise"))
    if check is None:
        return UnitStatus(unit, IN_PROGRESS if touched else NOT_STARTED, 0, 0, 0, 0, 0, False)
    parts = check.get("parts", {})
    passed = sum(1 for p in parts.values() if p.get("passed"))
    points = sum(float(p.get("points", 0)) for p in parts.values())
    visible = sum(float(p.get("max_points", 0)) for p in parts.values())
    stale = not path.is_file() or digest(path) != check.get("digest")
    if not touched:
        status = NOT_STARTED
    elif passed == len(parts) and parts and not stale:
        status = PASSING
    else:
        status = IN_PROGRESS
    return UnitStatus(
        unit,
        status,
        points,
        visible,
        passed,
        len(parts),
        len(check.get("unanswered", [])),
        stale,
    )
