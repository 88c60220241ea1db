"""The learner's workspace: their own copies of the notebooks, and their progress.

    work/                          (default: work/ in the checkout; `tradeoffs workspace --dir`)
      START.md                     the page JupyterLab opens at: units, links, commands
      course/NN_slug.ipynb         the lessons, copied once
      exercises/NN_slug/NN_slug_exercise.ipynb   the exercises, copied once
      backups/NN_slug/...          what `tradeoffs reset` replaced, dated (never a lost notebook)
      .tradeoffs/workspace.json    marks the folder and names the course it came from
      .tradeoffs/progress.json     last check of each unit, hint rungs revealed

The copies are the course's generated notebooks with the first cell (the "Generated
file" header, true only of the checkout's copy) replaced by a banner for the learner. The
workspace lives outside git's view of the checkout (`work/` is ignored), so `git pull`
never meets the learner's work or progress.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from tradeoffs.catalog import Course, Unit

WORKSPACE_ENV = "TRADEOFFS_WORKSPACE"
STATE_DIR = ".tradeoffs"
MARKER = "workspace.json"
BACKUPS = "backups"
START_PAGE = "START.md"
BANNER_TAG = "learner-banner"
MAKE_IT = "`tradeoffs workspace` (or `make lab`, which also starts JupyterLab)"


class WorkspaceError(RuntimeError):
    """The workspace is missing or cannot be used; the message says which command fixes it."""


def lesson_banner(unit: Unit) -> str:
    exercise = ""
    if unit.exercise_notebook:
        exercise = (
            f" Its graded exercise is [{Path(unit.exercise_notebook).name}]"
            f"(../{unit.exercise_notebook})."
        )
    return (
        f"> **Your copy of lesson {unit.id}.** Run it, change it, break it: it is yours, and "
        "`tradeoffs workspace` never overwrites it; `tradeoffs reset "
        f"{unit.id} --lesson` puts the original back (keeping a dated backup of this one)."
        + exercise
    )


def exercise_banner(unit: Unit) -> str:
    return (
        f"> **Your copy of the exercise of unit {unit.id}.** Your work here is yours: "
        "`tradeoffs workspace` never overwrites it, and `tradeoffs reset "
        f"{unit.id}` puts the untouched exercise back (keeping a dated backup of this one in "
        "`backups/`). Write code where it says `# YOUR CODE HERE` (and delete the `raise` "
        "line), and answer in words where it says YOUR ANSWER HERE. Save, then check: the "
        "**Validate** button above, `%tradeoffs check` in a cell, or in a terminal (File > "
        f"New > Terminal) `tradeoffs check exercises/{unit.id}`. Stuck on a part? "
        f"`tradeoffs hint {unit.id} PART` gives one hint at a time. Back to the "
        f"[lesson](../../{unit.lesson_notebook})."
    )


NEXT_TAG = "learner-next"


def next_line(course: Course, unit: Unit, kind: str) -> str:
    """The last cell of a learner's copy: links to what comes next."""
    later = [u for u in course.units if u.id > unit.id]
    up = "" if kind == "lesson" else "../../course/"
    parts = []
    if kind == "lesson" and unit.exercise_notebook:
        parts.append(
            f"this unit's graded exercise, [{Path(unit.exercise_notebook).name}]"
            f"(../{unit.exercise_notebook})"
        )
    if later:
        nxt = later[0]
        parts.append(f"the lesson of [{nxt.id}]({up}{Path(nxt.lesson_notebook).name}): {nxt.title}")
    if not parts:
        return "**Next:** you have reached the end of the course: `tradeoffs progress` sums it up."
    return "**Next:** " + "; then ".join(parts) + ". (`tradeoffs next` says where you stand.)"


def learner_copy(nb: NotebookNode, banner: str, footer: str | None = None) -> NotebookNode:
    """`nb` (a generated notebook) with its generated-file header replaced by `banner`, and
    `footer` (links to what comes next) as its last cell."""
    out = nbformat.from_dict(json.loads(json.dumps(nb)))
    if footer is not None:
        tail = nbformat.v4.new_markdown_cell(footer)
        tail.metadata = nbformat.from_dict({"tags": [NEXT_TAG]})
        tail.id = NEXT_TAG
        out.cells.append(tail)
    cell = nbformat.v4.new_markdown_cell(banner)
    cell.metadata = nbformat.from_dict({"tags": [BANNER_TAG]})
    first = out.cells[0] if out.cells else None
    tags = first.get("metadata", {}).get("tags", []) if first is not None else []
    if first is not None and ("generated" in tags or BANNER_TAG in tags):
        cell.id = first.get("id", "cell-000")
        out.cells[0] = cell
    else:
        cell.id = "learner-banner"
        out.cells.insert(0, cell)
    return out


def _dumps(nb: NotebookNode) -> bytes:
    return (nbformat.writes(nb, version=4) + "\n").encode("utf-8")


@dataclass
class Workspace:
    """A learner's folder of notebooks and the state of their progress."""

    root: Path
    course: Course
    notes: list[str] = field(default_factory=list)  # what `create` did, for the learner

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def exists(self) -> bool:
        return (self.state_dir / MARKER).is_file()

    def lesson_path(self, unit: Unit) -> Path:
        return self.root / unit.lesson_notebook

    def exercise_path(self, unit: Unit) -> Path | None:
        return self.root / unit.exercise_notebook if unit.exercise_notebook else None

    def pristine(self, unit: Unit, kind: str) -> bytes:
        """The untouched learner copy of `unit`'s lesson or exercise, as bytes."""
        relpath = unit.lesson_notebook if kind == "lesson" else unit.exercise_notebook
        if relpath is None:
            raise WorkspaceError(f"unit {unit.id} has no graded exercise (it is a lesson)")
        source = self.course.root / relpath
        if not source.is_file():
            raise WorkspaceError(
                f"{source} is missing: run `tradeoffs build` (or `make build`) in the checkout"
            )
        nb = nbformat.reads(source.read_text(encoding="utf-8"), as_version=4)
        banner = lesson_banner(unit) if kind == "lesson" else exercise_banner(unit)
        return _dumps(learner_copy(nb, banner, next_line(self.course, unit, kind)))

    def backup(self, path: Path, unit: Unit) -> Path:
        """Copy `path` to backups/<unit>/<name>-<timestamp>.ipynb; return the copy's path."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        folder = self.root / BACKUPS / unit.id
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{path.stem}-{stamp}{path.suffix}"
        n = 1
        while target.exists():
            n += 1
            target = folder / f"{path.stem}-{stamp}-{n}{path.suffix}"
        shutil.copy2(path, target)
        return target

    def reset(self, unit: Unit, *, lesson: bool = False) -> list[tuple[Path, Path | None]]:
        """Put back the untouched exercise (and with `lesson`, the lesson) of `unit`;
        a learner's changed copy is backed up first. Returns (restored, backup or None)."""
        kinds = (["exercise"] if unit.exercise else []) + (
            ["lesson"] if lesson or not unit.exercise else []
        )
        done: list[tuple[Path, Path | None]] = []
        for kind in kinds:
            path = self.lesson_path(unit) if kind == "lesson" else self.exercise_path(unit)
            assert path is not None
            fresh = self.pristine(unit, kind)
            saved = None
            if path.exists() and path.read_bytes() != fresh:
                saved = self.backup(path, unit)
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, fresh)
            done.append((path, saved))
        return done

    def undo_reset(
        self, unit: Unit, *, lesson: bool = False
    ) -> list[tuple[Path, Path, Path | None]]:
        """Put back the newest backup of `unit`'s exercise (and with `lesson`, its lesson),
        what the last reset took away; what is there now is backed up first unless it is
        untouched. Returns (restored, from backup, backup of the replaced copy or None)."""
        kinds = (["exercise"] if unit.exercise else []) + (
            ["lesson"] if lesson or not unit.exercise else []
        )
        done: list[tuple[Path, Path, Path | None]] = []
        for kind in kinds:
            path = self.lesson_path(unit) if kind == "lesson" else self.exercise_path(unit)
            assert path is not None
            folder = self.root / BACKUPS / unit.id
            found = sorted(
                (p for p in folder.glob(f"{path.stem}-*{path.suffix}") if _stamp(p, path.stem)),
                key=lambda p: _stamp(p, path.stem) or ("", 0),
            )
            if not found:
                continue
            newest = found[-1]
            data = newest.read_bytes()
            saved = None
            if path.exists() and path.read_bytes() not in (data, self.pristine(unit, kind)):
                saved = self.backup(path, unit)
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, data)
            done.append((path, newest, saved))
        if not done:
            raise WorkspaceError(
                f"no backup of {unit.id} in {self.root / BACKUPS / unit.id}: nothing to undo"
            )
        return done


def _stamp(backup: Path, stem: str) -> tuple[str, int] | None:
    """When a backup of `stem` was made, from its name (`backup` writes stem-STAMP[-N])."""
    found = re.fullmatch(re.escape(stem) + r"-(\d{8}-\d{6})(?:-(\d+))?", backup.stem)
    return (found.group(1), int(found.group(2) or 1)) if found else None


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def default_root(course: Course) -> Path:
    env = os.environ.get(WORKSPACE_ENV)
    return Path(env).resolve() if env else course.root / "work"


def marked_root(start: Path | None = None) -> Path | None:
    """The workspace that holds `start` (default: the working folder), if any."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / STATE_DIR / MARKER).is_file():
            return folder
    return None


def course_root_of(workspace: Path) -> Path | None:
    """The course checkout a workspace was made from (recorded when it was made)."""
    try:
        data = json.loads((workspace / STATE_DIR / MARKER).read_text())
        root = Path(str(data["course_root"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return root if (root / "course.toml").is_file() else None


def find(course: Course, where: Path | None = None, *, must_exist: bool = True) -> Workspace:
    """The learner's workspace: `where`, else $TRADEOFFS_WORKSPACE, else the workspace
    around the working folder, else work/ in the checkout."""
    if where is not None:
        root = Path(where).resolve()
    elif os.environ.get(WORKSPACE_ENV):
        root = default_root(course)
    else:
        root = marked_root() or default_root(course)
    ws = Workspace(root, course)
    if must_exist and not ws.exists:
        legacy = root.is_dir() and any((root / "exercises").glob("*/*.ipynb"))
        raise WorkspaceError(
            f"no workspace at {root}"
            + (" (it holds notebooks, but was made by an older version)" if legacy else "")
            + f": make it with {MAKE_IT}; your notebooks already there are kept"
        )
    return ws


def create(course: Course, where: Path | None = None) -> tuple[Workspace, list[Path], list[Path]]:
    """Copy every lesson and exercise into the workspace, never overwriting a learner's
    file; write the start page and the marker. Returns (workspace, new files, kept files)."""
    root = Path(where).resolve() if where is not None else default_root(course)
    ws = Workspace(root, course)
    copied, kept = [], []
    for unit in course.units:
        for kind in ("lesson", "exercise"):
            path = ws.lesson_path(unit) if kind == "lesson" else ws.exercise_path(unit)
            if path is None:
                continue
            source = course.root / (
                unit.lesson_notebook if kind == "lesson" else str(unit.exercise_notebook)
            )
            if not source.is_file():
                continue
            if kind == "exercise":
                _adopt_old_name(ws, unit, path)
            if path.exists():
                if path.read_bytes() != ws.pristine(unit, kind):
                    kept.append(path)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, ws.pristine(unit, kind))
            copied.append(path)
    ws.state_dir.mkdir(parents=True, exist_ok=True)
    marker = {"course_root": str(course.root), "course": course.id}
    (ws.state_dir / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
    from tradeoffs.learner.start import start_page

    (root / START_PAGE).write_text(start_page(course, ws), encoding="utf-8")
    return ws, copied, kept


def _adopt_old_name(ws: Workspace, unit: Unit, path: Path) -> None:
    """Exercises used to be named NN_slug.ipynb, like their lesson: a learner's copy under
    the old name becomes the copy under the new one (so a folder holds one notebook)."""
    old = path.with_name(f"{unit.id}.ipynb")
    if old.is_file() and not path.exists():
        os.replace(old, path)
        ws.notes.append(f"renamed your {old.name} to {path.name} (same work, new name)")
