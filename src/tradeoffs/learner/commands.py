"""The learner's commands as functions: list, next, progress, reset, hint.

Each returns the lines to print (the CLI, the notebook magic and the tests share them) and
raises `LearnerError` for a learner's mistake, with a message that says the fix.
"""

from __future__ import annotations

import difflib
import time
from pathlib import Path

from tradeoffs.catalog import Course, Unit
from tradeoffs.learner import hints, progress
from tradeoffs.learner.workspace import Workspace, WorkspaceError


class LearnerError(RuntimeError):
    """A learner's mistake (an unknown unit or part, a missing file); the message says
    what to do. Never a traceback."""


def find_unit(course: Course, asked: str, *, exercise: bool = False) -> Unit:
    """The unit `asked` names: its id (`01_metrics`), its number (`01`, `1`) or its slug
    (`metrics`); otherwise an error naming the closest id."""
    units = course.exercises if exercise else course.units
    ids = [u.id for u in units]
    text = asked.strip().strip("/")
    text = Path(text).name if "/" in text else text
    for unit in units:
        number, _, slug = unit.id.partition("_")
        if text in (unit.id, number, slug) or (text.isdigit() and int(text) == int(number)):
            return unit
    if any(u.id == text for u in course.units):
        raise LearnerError(f"unit {text} is a lesson only: it has no graded exercise")
    close = difflib.get_close_matches(text, ids, n=1, cutoff=0.3)
    close = close or [i for i in ids if text and text.lower() in i]
    hint = f"; did you mean {close[0]}?" if close else ""
    raise LearnerError(f"no unit {asked!r}{hint} (units: {', '.join(ids)}; `tradeoffs list`)")


def _status_word(st: progress.UnitStatus) -> str:
    if st.status == progress.IN_PROGRESS and st.stale and st.parts:
        return "in progress (changed since the last check)"
    if st.status == progress.PASSING:
        return "passing visible tests"
    return st.status


def _points(st: progress.UnitStatus) -> str:
    if not st.unit.exercise:
        return "lesson only"
    if not st.parts:
        return f"-/{st.unit.points:g} points (not checked yet)"
    return f"{st.points:g}/{st.unit.points:g} points ({st.passed}/{st.parts} tested parts)"


def list_lines(ws: Workspace) -> list[str]:
    state = progress.State(ws)
    lines = [f"{ws.course.title}  (workspace: {ws.root})"]
    for unit in ws.course.units:
        st = progress.unit_status(ws, state, unit)
        lines.append(f"  {unit.id:<14} {_status_word(st):<44} {_points(st)}")
    return lines


def open_lines(ws: Workspace, unit: Unit) -> list[str]:
    lines = [f"  open the lesson:    {unit.lesson_notebook}"]
    if unit.exercise_notebook:
        lines.append(f"  then the exercise: {unit.exercise_notebook}")
        lines.append(f"  check it:          tradeoffs check exercises/{unit.id}")
    lines.append(
        "  (in JupyterLab: `make lab`, or `tradeoffs jupyter`, opens the workspace; "
        "paths are relative to it)"
    )
    return lines


def next_lines(ws: Workspace) -> list[str]:
    state = progress.State(ws)
    for unit in ws.course.units:
        st = progress.unit_status(ws, state, unit)
        if not st.done:
            head = f"next: {unit.id} ({_status_word(st)}, {_points(st)}): {unit.title}"
            return [head, *open_lines(ws, unit)]
    return [
        "every unit is done: each exercise passes its visible tests. Practise for interviews "
        "with `tradeoffs interview --seed N`"
    ]


def progress_lines(ws: Workspace) -> list[str]:
    """A summary a learner can paste: units done, points on the visible tests, and where."""
    state = progress.State(ws)
    statuses = [progress.unit_status(ws, state, u) for u in ws.course.units]
    graded = [s for s in statuses if s.unit.exercise]
    passing = [s for s in graded if s.status == progress.PASSING]
    earned = sum(s.points for s in graded)
    possible = sum(s.unit.points for s in graded)
    lines = [
        f"{ws.course.title}: progress on {time.strftime('%Y-%m-%d')}",
        f"exercises passing their visible tests: {len(passing)} of {len(graded)}; "
        f"{earned:g} of {possible:g} points on visible tests "
        "(hidden tests and written answers are graded separately)",
    ]
    for st in statuses:
        lines.append(f"- {st.unit.id}: {_status_word(st)}; {_points(st)}")
    return lines


RELOAD = (
    "JupyterLab may still show the old version in an open tab: close it without saving, "
    "or use File > Reload Notebook from Disk"
)


def _replaced(ws: Workspace, unit: Unit) -> None:
    """A notebook of `unit` was put back: its last check no longer describes it."""
    state = progress.State(ws)
    state.forget_check(unit)
    state.save()


def reset_lines(ws: Workspace, unit: Unit, *, lesson: bool = False) -> list[str]:
    done = ws.reset(unit, lesson=lesson)
    _replaced(ws, unit)
    lines = []
    for path, backup in done:
        rel = path.relative_to(ws.root)
        if backup is None:
            lines.append(f"{rel}: was untouched; it is the original")
        else:
            lines.append(
                f"{rel}: restored to the original; your version is kept as "
                f"{backup.relative_to(ws.root)}"
            )
    return [*lines, RELOAD]


def undo_lines(ws: Workspace, unit: Unit, *, lesson: bool = False) -> list[str]:
    """`tradeoffs reset UNIT --undo`: your newest backup back in place."""
    done = ws.undo_reset(unit, lesson=lesson)
    _replaced(ws, unit)
    lines = [
        f"{path.relative_to(ws.root)}: your copy from {source.relative_to(ws.root)} is back"
        + (f" (what was there is kept as {saved.relative_to(ws.root)})" if saved else "")
        for path, source, saved in done
    ]
    return [*lines, RELOAD]


def first_open_part(ws: Workspace, unit: Unit, kinds: dict[str, str]) -> str:
    """The part a learner most likely wants a hint for: the first test their last check
    failed (else, unchecked, the first test; all passing, the first unanswered written part)."""
    last = progress.State(ws).last_check(unit) or {}
    checked = last.get("parts", {})
    for gid, kind in kinds.items():
        if kind != "written" and not checked.get(gid, {}).get("passed", False):
            return gid
    for gid, kind in kinds.items():
        if kind == "written" and not _answered(ws, unit, gid):
            return gid
    return next(iter(kinds))


def hint_lines(ws: Workspace, unit: Unit, asked: str | None) -> list[str]:
    """The next rung of a part's ladder (`asked` None: the first part still open); for a
    written part that the learner has answered, its mark scheme and model answer."""
    from tradeoffs.authoring.build import source_notebook

    kinds = hints.parts(ws.course, unit)
    part = _resolve(unit, list(kinds), asked) if asked else first_open_part(ws, unit, kinds)
    if kinds[part] == "written" and _answered(ws, unit, part):
        scheme = hints.mark_schemes(source_notebook(ws.course, unit)).get(part)
        if scheme is not None:
            head = f"{unit.id} {part}: you have answered it; compare yours with"
            pts = f" ({scheme.points:g} points)" if scheme.points else ""
            lines = [head, "", f"Mark scheme{pts}:"]
            lines += [f"  - {item}" for item in scheme.items] or ["  (none written)"]
            lines += ["", "Model answer:", *_wrap(scheme.model_answer)]
            return lines
    rungs = hints.ladder(unit, part)
    if not rungs:
        return [f"{unit.id} {part}: no hint for this part"]
    state = progress.State(ws)
    seen = state.hints_seen(unit, part)
    rung = min(seen + 1, len(rungs))
    state.saw_hint(unit, part, rung)
    state.save()
    lines = [f"{unit.id} {part}, hint {rung} of {len(rungs)}:", *_wrap(rungs[rung - 1])]
    if rung < len(rungs):
        lines.append(f"(ask again for the next: `{hints.hint_command(unit, part)}`)")
    else:
        lines.append("(that was the last hint: it is close to the answer)")
    if kinds[part] == "written":
        lines.append(
            "(once you have answered it, this command shows the mark scheme and a model answer)"
        )
    return lines


def _resolve(unit: Unit, known: list[str], asked: str) -> str:
    try:
        return hints.resolve_part(unit, known, asked)
    except hints.HintError as exc:
        raise LearnerError(str(exc)) from None


def _answered(ws: Workspace, unit: Unit, part: str) -> bool:
    import nbformat

    from tradeoffs.authoring.cells import grade_id

    path = ws.exercise_path(unit)
    if path is None or not path.is_file():
        return False
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception:
        return False
    fresh = nbformat.reads(ws.pristine(unit, "exercise").decode(), as_version=4)
    stub = {grade_id(c): c.source for c in fresh.cells}
    for cell in nb.cells:
        if grade_id(cell) == part:
            text = cell.source.strip()
            return (
                bool(text) and text != stub.get(part, "").strip() and "YOUR ANSWER HERE" not in text
            )
    return False


def _wrap(text: str, width: int = 92) -> list[str]:
    import textwrap

    out = []
    for para in text.split("\n"):
        out += textwrap.wrap(para, width) or [""]
    return out


def exercise_path(ws: Workspace, course: Course, asked: str) -> tuple[Unit, Path]:
    """What `tradeoffs check|watch X` means by X: a notebook, a folder holding one, or a
    unit (its exercise in the workspace)."""
    from tradeoffs.grading.check import unit_of

    path = Path(asked)
    if path.exists():
        try:
            return unit_of(course, path)
        except FileNotFoundError as exc:
            raise LearnerError(str(exc)) from None
    if path.suffix == ".ipynb" or "/" in asked:
        raise LearnerError(f"{asked} does not exist")
    unit = find_unit(course, asked, exercise=True)
    mine = ws.exercise_path(unit)
    if mine is None or not mine.is_file():
        if not ws.exists:
            raise WorkspaceError(f"no workspace at {ws.root}: make it with `tradeoffs workspace`")
        raise LearnerError(f"{mine} is missing: `tradeoffs reset {unit.id}` puts the exercise back")
    return unit, mine
