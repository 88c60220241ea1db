"""The course catalogue: `course.toml`, one entry per unit, in order.

Everything that walks the course (the build, the learner's check, the
consistency tests, the grader) reads the catalogue through this module, so
the rules of the house are enforced in one place.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CATALOGUE = "course.toml"


class CatalogueError(ValueError):
    """course.toml is missing, malformed, or disagrees with the files on disk."""


@dataclass(frozen=True)
class Unit:
    """One unit of the course: a lesson and, optionally, a graded exercise."""

    id: str
    title: str
    lesson: str
    time_budget_s: float
    exercise: str | None = None
    points: float = 0.0
    hints: dict[str, str] = field(default_factory=dict)
    hint_ladders: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def lesson_notebook(self) -> str:
        """Path (relative to the course root) of the generated lesson notebook."""
        return str(Path(self.lesson).with_suffix(".ipynb"))

    @property
    def exercise_notebook(self) -> str | None:
        """Path (relative to the course root) of the generated student notebook. Its name
        differs from the lesson's (`NN_slug.ipynb`), so the two tabs say which is which."""
        if self.exercise is None:
            return None
        return f"exercises/{self.id}/{self.id}_exercise.ipynb"


@dataclass(frozen=True)
class Course:
    """The parsed catalogue and the folder it lives in."""

    root: Path
    id: str
    title: str
    units: tuple[Unit, ...]

    def unit(self, unit_id: str) -> Unit:
        """The unit called `unit_id`; a CatalogueError naming the known ids otherwise."""
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        known = ", ".join(u.id for u in self.units)
        raise CatalogueError(f"no unit {unit_id!r} in {CATALOGUE}; known units: {known}")

    @property
    def exercises(self) -> tuple[Unit, ...]:
        """The units that have a graded exercise."""
        return tuple(u for u in self.units if u.exercise is not None)


def find_root(start: Path | None = None) -> Path:
    """The course root: $TRADEOFFS_ROOT, else the nearest folder above `start`
    (default: the working directory) that holds course.toml, else the source
    checkout this package was installed from."""
    env = os.environ.get("TRADEOFFS_ROOT")
    if env:
        root = Path(env).resolve()
        if not (root / CATALOGUE).is_file():
            raise CatalogueError(f"TRADEOFFS_ROOT={env} has no {CATALOGUE}")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CATALOGUE).is_file():
            return folder
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / CATALOGUE).is_file():
        return checkout
    raise CatalogueError(
        f"cannot find {CATALOGUE} in {here} or any folder above it; run this command "
        "inside the course checkout or set TRADEOFFS_ROOT"
    )


def _require(entry: dict[str, object], key: str, kind: type, where: str) -> object:
    if key not in entry:
        raise CatalogueError(f"{where}: missing `{key} =`")
    value = entry[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind):
        raise CatalogueError(f"{where}: `{key}` must be a {kind.__name__}, got {value!r}")
    return value


def load(root: Path | None = None) -> Course:
    """Parse course.toml under `root` (default: `find_root()`)."""
    root = find_root() if root is None else Path(root).resolve()
    path = root / CATALOGUE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogueError(f"{path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path} is not valid TOML: {exc}") from exc

    head = data.get("course", {})
    units: list[Unit] = []
    for n, entry in enumerate(data.get("units", []), start=1):
        where = f"{CATALOGUE} unit #{n}"
        unit_id = str(_require(entry, "id", str, where))
        where = f"{CATALOGUE} unit {unit_id}"
        exercise = entry.get("exercise")
        hints = entry.get("hints", {})
        # A hint is one string, or a ladder of strings (a nudge first, the near-answer last).
        if not isinstance(hints, dict) or not all(
            isinstance(v, str) or (isinstance(v, list) and v and all(isinstance(x, str) for x in v))
            for v in hints.values()
        ):
            raise CatalogueError(
                f'{where}: `hints` must map grade ids to "hint" or ["nudge", ..., "answer"]'
            )
        ladders = {k: (v,) if isinstance(v, str) else tuple(v) for k, v in hints.items()}
        units.append(
            Unit(
                id=unit_id,
                title=str(_require(entry, "title", str, where)),
                lesson=str(_require(entry, "lesson", str, where)),
                time_budget_s=float(_require(entry, "time_budget_s", float, where)),  # type: ignore[arg-type]
                exercise=None if exercise is None else str(exercise),
                points=float(entry.get("points", 0.0)),
                hints={k: v[0] for k, v in ladders.items()},
                hint_ladders=ladders,
            )
        )
    ids = [u.id for u in units]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CatalogueError(f"{CATALOGUE}: unit ids appear twice: {', '.join(dupes)}")
    return Course(
        root=root,
        id=str(head.get("id", "tradeoffs")),
        title=str(head.get("title", "")),
        units=tuple(units),
    )
