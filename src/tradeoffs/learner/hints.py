"""Hints one rung at a time, and the mark scheme of a written part once it is answered.

A graded part's hints are a ladder in course.toml (a nudge first, the near-answer last).
`tradeoffs hint UNIT PART` shows the next rung each time it is asked and remembers how far
the learner has climbed (in the workspace). For a written part answered in the learner's
notebook, it shows the mark scheme and the model answer from the master copy's solution
region, which nbgrader strips from the student version. The region is read tolerantly:

    ### BEGIN SOLUTION
    **Mark scheme** (4 points):
    - one point for ...
    **Model answer.** ...
    ### END SOLUTION

and the older prose forms ("Model answer (for the grader): ... Full marks: a; b; c", or
"Mark scheme (4 points): 1 point for a; 1 point for b") give the same parts.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from nbformat import NotebookNode

from tradeoffs.authoring.cells import grade_id, is_manual, is_test
from tradeoffs.catalog import Course, Unit


class HintError(LookupError):
    """A part that does not exist; the message suggests the closest one."""


@dataclass(frozen=True)
class MarkScheme:
    """What a full-marks written answer contains, and one that would get them."""

    points: float | None
    items: tuple[str, ...]
    model_answer: str
    text: str = field(default="", repr=False)  # the whole region, as written


_REGION = re.compile(r"###\s*BEGIN SOLUTION\s*\n(.*?)\n[ \t#]*###\s*END SOLUTION", re.S)
_HEADING = re.compile(
    r"(?:^|(?<=[\s.;:]))[*_]{0,2}(mark scheme|model answer|full marks)[*_]{0,2}"
    r"(?:\s*\(([^)]*)\))?\s*[*_]{0,2}\s*[.:]\s*[*_]{0,2}",
    re.I,
)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_POINTS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:points?|marks?)", re.I)


def solution_region(source: str) -> str:
    """The text between the solution markers of a master copy's cell ('' if none)."""
    found = _REGION.search(source)
    if not found:
        return ""
    lines = [
        re.sub(r"^#\s?", "", ln) if ln.startswith("#") else ln for ln in found.group(1).split("\n")
    ]
    return "\n".join(lines).strip()


def _items(text: str) -> tuple[str, ...]:
    lines = text.strip().split("\n")
    bullets: list[str] = []
    for line in lines:
        if _BULLET.match(line):
            bullets.append(_BULLET.sub("", line).strip())
        elif bullets and line.strip():
            bullets[-1] += " " + line.strip()
    if bullets:
        return tuple(b for b in bullets if b)
    flat = " ".join(ln.strip() for ln in lines if ln.strip())
    parts = re.split(r";\s+|(?<=\.)\s+(?=\d+ points? for)", flat)
    return tuple(p.strip().rstrip(".").strip() for p in parts if p.strip())


def parse_mark_scheme(region: str) -> MarkScheme:
    """Split a solution region into mark scheme items, points and model answer."""
    text = region.strip()
    marks = list(_HEADING.finditer(text))
    sections: dict[str, str] = {}
    points: float | None = None
    lead = text[: marks[0].start()].strip() if marks else text
    for n, match in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(text)
        kind = "model" if match.group(1).lower() == "model answer" else "scheme"
        body = text[match.end() : end].strip()
        sections[kind] = (sections.get(kind, "") + "\n" + body).strip()
        if kind == "scheme" and match.group(2):
            found = _POINTS.search(match.group(2))
            if found:
                points = float(found.group(1))
    model = sections.get("model", "")
    if lead and not model:
        model = lead
    elif lead:
        model = lead + "\n" + model
    model = re.sub(r"^\s*[*_]+\s*", "", model).strip()
    scheme = sections.get("scheme", "")
    return MarkScheme(points, _items(scheme) if scheme else (), model, text)


def mark_schemes(master: NotebookNode) -> dict[str, MarkScheme]:
    """grade_id -> mark scheme of every written (manually graded) part of a master copy."""
    out = {}
    for cell in master.cells:
        gid = grade_id(cell)
        if gid and is_manual(cell) and cell.cell_type == "markdown":
            region = solution_region(cell.source)
            if region:
                out[gid] = parse_mark_scheme(region)
    return out


def parts(course: Course, unit: Unit) -> dict[str, str]:
    """grade_id -> 'test' or 'written' for every graded part of the unit's exercise."""
    from tradeoffs.authoring.build import source_notebook

    out = {}
    for cell in source_notebook(course, unit).cells:
        gid = grade_id(cell)
        if gid and is_test(cell):
            out[gid] = "test"
        elif gid and is_manual(cell):
            out[gid] = "written"
    return out


def resolve_part(unit: Unit, known: list[str], asked: str) -> str:
    """The part `asked` names: its grade id, a unique piece of it, or its number (1-based,
    in the order of the notebook)."""
    if asked in known:
        return asked
    if asked.isdigit() and 1 <= int(asked) <= len(known):
        return known[int(asked) - 1]
    pieces = [k for k in known if asked.lower() in k.lower()]
    if len(pieces) == 1:
        return pieces[0]
    close = difflib.get_close_matches(asked, known, n=1, cutoff=0.4)
    listing = ", ".join(known)
    if close:
        raise HintError(f"{unit.id} has no part {asked!r}; did you mean {close[0]}? ({listing})")
    raise HintError(f"{unit.id} has no part {asked!r}; its parts: {listing}")


def ladder(unit: Unit, part: str) -> tuple[str, ...]:
    return unit.hint_ladders.get(part, ())


def hint_command(unit: Unit, part: str) -> str:
    return f"tradeoffs hint {unit.id} {part}"


def how_to_ask(unit: Unit, part: str) -> str:
    """The line `tradeoffs check` prints under a failing part: a hint exists, and how."""
    rungs = len(ladder(unit, part))
    if not rungs:
        return ""
    what = "a hint" if rungs == 1 else f"{rungs} hints, one at a time"
    return f"stuck? `{hint_command(unit, part)}` ({what})"
