"""`tradeoffs interview`: make a variant of unit 08 for a candidate, and grade it when they
submit it (self-study), revealing the model answers only then.

    tradeoffs interview [--seed N] [--timed MIN]
        -> <workspace>/interview/seed-N/08_interview_exercise.ipynb
    tradeoffs interview --submit PATH
        -> a verdict per part against that variant's key, then its key, mark schemes and
           model answers (also written to review.md beside it)

For a class, `tradeoffs grade 08_interview --seeds F` grades each student against the key
of the seed the instructor gave them in F (`variant_for`), never a seed a notebook names.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from tradeoffs.catalog import Course
from tradeoffs.learner import interview
from tradeoffs.learner.workspace import Workspace, learner_copy

FOLDER = "interview"


def banner(seed: int, timed_min: int | None) -> str:
    timed = (
        f" Timed: {timed_min} minutes, counting from when you run the first cell."
        if timed_min
        else ""
    )
    return (
        f"> **Interview practice, variant {seed}.** Its numbers (and its answer key) are its "
        "own: another seed gives others." + timed + " Answer every part, save, then submit it "
        f"to yourself: `tradeoffs interview --submit interview/seed-{seed}`: the numbers are "
        "graded against this variant's key, and the model answers are shown then. "
        f"`tradeoffs check interview/seed-{seed}` runs the visible checks only."
    )


def make_variant(
    ws: Workspace, seed: int | None = None, timed_min: int | None = None, *, force: bool = False
) -> tuple[Path, int, str]:
    """Write variant `seed` (random when None) into the workspace; a candidate's changed
    copy is kept (or, with `force`, backed up first). Returns (path, seed, what happened:
    "new", "same", "kept" or the backup's path)."""
    if seed is None:
        seed = random.SystemRandom().randrange(1, 100_000)
    course = ws.course
    unit = course.unit(interview.UNIT_ID)
    student = interview.variant_student(course, seed, timed_min)
    nb = learner_copy(student, banner(seed, timed_min))
    nb.metadata = student.metadata
    import nbformat

    data = (nbformat.writes(nb, version=4) + "\n").encode()
    path = ws.root / FOLDER / f"seed-{seed}" / Path(str(unit.exercise_notebook)).name
    what = "new"
    if path.exists():
        if path.read_bytes() == data:
            return path, seed, "same"
        if not force:
            return path, seed, "kept"
        what = str(ws.backup(path, unit))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path, seed, what


def submit(course: Course, path: Path) -> tuple[Any, list[str]]:
    """Grade a candidate's variant with its hidden tests; returns (verdict, review lines):
    per-part results, the key, then each written part's mark scheme and model answer."""
    from tradeoffs.grading.check import course_limits, harness_verdict
    from tradeoffs.learner import checking, hints

    nb = checking.read_learner_notebook(path)
    seed, timed = interview.seed_of(nb), interview.timed_of(nb)
    assignment = interview.variant_assignment(course, seed, timed)
    (master,) = assignment.masters.values()
    (released,) = assignment.released.values()
    verdict = harness_verdict(
        master, released, nb, limits=course_limits(course), workdir=path.parent.resolve()
    )
    unit = course.unit(interview.UNIT_ID)
    key = interview.key(seed)
    earned, possible = verdict.score
    lines = [
        f"# Interview practice, variant {seed}: your review",
        "",
        f"Numbers: {earned:g} of {possible:g} points against this variant's key "
        f"({len(verdict.passed)} of {len(verdict.tests)} parts right).",
        "",
    ]
    for part in checking.parts_of(verdict):
        if part.kind == "test":
            lines.append(f"- {part.mark} {part.grade_id}: {part.points:g}/{part.max_points:g}")
            if not part.passed:
                lines.append(f"  - {part.message}")
    lines += ["", "## The key", ""]
    for name, value in key.items():
        if name != "q1_net_usd":
            lines.append(
                f"- `{name}` = {value:,.6g}"
                if isinstance(value, float)
                else f"- `{name}` = {value!r}"
            )
    lines += ["", "## Written parts: mark schemes and model answers", ""]
    schemes = hints.mark_schemes(master)
    for gid in interview.WRITTEN_PARTS:
        scheme = schemes.get(gid)
        if scheme is None:
            continue
        pts = f" ({scheme.points:g} points)" if scheme.points else ""
        state = " (you left it unanswered)" if gid in verdict.unanswered else ""
        lines += [f"### {gid}{pts}{state}", "", "Mark scheme:"]
        lines += [f"- [ ] {item}" for item in scheme.items]
        lines += [
            "",
            f"Model answer: {scheme.model_answer.removeprefix('**Model answer.**').strip()}",
            "",
        ]
    lines.append(
        f"Mark your written answers against the schemes ({unit.points - possible:g} points). "
        f"Another variant: `tradeoffs interview --seed {seed + 1}`."
    )
    return verdict, lines


@lru_cache(maxsize=64)
def _assignment(root: str, seed: int, timed: int | None) -> Any:
    from tradeoffs.catalog import load

    return interview.variant_assignment(load(Path(root)), seed, timed)


class SeedsError(ValueError):
    """A class's seeds file that cannot be used; the message says where and why."""


def read_seeds(path: Path) -> dict[str, int]:
    """An instructor's seeds file: one `student,seed` per line (a header line, blank lines
    and `#` comments are skipped). Returns {student: seed}."""
    import csv

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SeedsError(f"cannot read the seeds file {path}: {exc}") from None
    seeds: dict[str, int] = {}
    for n, row in enumerate(csv.reader(text.splitlines()), 1):
        row = [x.strip() for x in row]
        if not row or not row[0] or row[0].startswith("#"):
            continue
        if len(row) != 2 or not row[1].lstrip("-").isdigit():
            if n == 1 and len(row) == 2 and row[1].lower() == "seed":
                continue  # a header (student,seed)
            raise SeedsError(f"{path}, line {n}: expected `student,seed`, got {','.join(row)!r}")
        if row[0] in seeds:
            raise SeedsError(f"{path}, line {n}: {row[0]} has a seed already")
        seeds[row[0]] = int(row[1])
    if not seeds:
        raise SeedsError(f"{path} names no student (one `student,seed` per line)")
    return seeds


def release_class(
    course: Course, seeds: dict[str, int], out: Path, timed_min: int | None = None
) -> list[Path]:
    """Each student's variant, in nbgrader's release layout for the exchange or a folder
    to hand out: out/<student>/08_interview/08_interview_exercise.ipynb (no key)."""
    import nbformat

    unit = course.unit(interview.UNIT_ID)
    name = Path(str(unit.exercise_notebook)).name
    written = []
    for student, seed in seeds.items():
        nb = interview.variant_student(course, seed, timed_min)
        copy = learner_copy(nb, banner(seed, timed_min).split(" Answer every part")[0])
        copy.metadata = nb.metadata
        path = Path(out) / student / interview.UNIT_ID / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nbformat.writes(copy, version=4) + "\n", encoding="utf-8")
        written.append(path)
    return written


def variant_for(course: Course, seeds: dict[str, int] | None = None) -> Callable[[Any], Any]:
    """For `tradeoffs grade 08_interview`: each submission's Assignment. The variant is the
    instructor's choice, never the submission's: a student listed in `seeds` (the
    instructor's record, from `read_seeds`) is graded against their own seed, anyone else
    against the released variant (seed DEFAULT_SEED), whatever their notebook names (a
    notebook could name any seed whose answers its author knows). Only the countdown
    (timed or not) is read from the notebook; it changes no answer."""
    import nbformat

    def assignment_of(sub: Any) -> Any:
        timed = None
        try:
            notebooks = sub.load()
            if notebooks:
                nb = nbformat.reads(next(iter(notebooks.values())).decode("utf-8"), as_version=4)
                timed = interview.timed_of(nb)
        except Exception:
            pass
        seed = (seeds or {}).get(sub.student, interview.DEFAULT_SEED)
        return _assignment(str(course.root), seed, timed)

    return assignment_of
