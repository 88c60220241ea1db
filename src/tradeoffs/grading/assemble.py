"""From master copy, student version and submission to the notebook that is graded.

The graded notebook takes every cell from the master copy, in its order, except the
learner's answer cells, which come from the submission (matched by grade id), and the
learner's own extra code cells, which follow the graded cell they followed. A locked cell
the learner edited or deleted is reported as tampered; its master version is what runs.

Each cell then has a place to run (`Step.runs_in`): answers and the learner's own cells in
the learner's process only, tests in the trusted harness only, given code in both (the
learner's code may need it, and the tests need their own trusted copy).
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field

import nbformat
from nbformat import NotebookNode

from tradeoffs.authoring.cells import grade_id as _gid
from tradeoffs.authoring.cells import is_answer, is_locked, is_test
from tradeoffs.authoring.cells import meta as _meta

BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"  # nbgrader's ClearHiddenTests delimiters (a line
END_HIDDEN = "END HIDDEN TESTS"  # that contains one starts or ends a hidden region)

LEARNER, HARNESS, BOTH, NOWHERE = "learner", "harness", "both", "nowhere"


@dataclass
class Step:
    """One cell of the graded notebook and where it runs."""

    index: int
    runs_in: str
    source: str
    grade_id: str | None = None
    points: float = 0.0
    kind: str = "given"  # given | answer | extra | test | markdown
    hidden: list[tuple[int, int]] = field(default_factory=list)  # 1-based, inclusive

    @property
    def docstring(self) -> str:
        """The first line of the test's docstring: what a learner sees of a hidden check."""
        try:
            tree = ast.parse(self.source)
        except SyntaxError:
            return ""
        doc = ast.get_docstring(tree) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""

    def line_is_hidden(self, lineno: int) -> bool:
        """True for a line inside a hidden region, or after the first one starts (code
        there may hold what the hidden part computed)."""
        return bool(self.hidden) and lineno >= self.hidden[0][0]


@dataclass
class Assembled:
    nb: NotebookNode  # the notebook to execute: sources only, no outputs
    steps: list[Step]
    tampered: list[str]
    missing: list[str]


def hidden_ranges(
    source: str, begin: str = BEGIN_HIDDEN, end: str = END_HIDDEN
) -> list[tuple[int, int]]:
    """1-based inclusive line ranges between the hidden-test markers (markers included)."""
    ranges, start = [], None
    lines = source.splitlines()
    for number, line in enumerate(lines, start=1):
        if begin in line and start is None:
            start = number
        elif end in line and start is not None:
            ranges.append((start, number))
            start = None
    if start is not None:
        ranges.append((start, len(lines)))
    return ranges


def assemble(
    master: NotebookNode,
    released: NotebookNode,
    submitted: NotebookNode | None,
    *,
    begin_hidden: str = BEGIN_HIDDEN,
    end_hidden: str = END_HIDDEN,
) -> Assembled:
    """The notebook to grade and its steps; see the module docstring.

    A given cell the learner may edit (an ordinary, unlocked cell) is matched to the
    learner's copy by cell id (or, without ids, by its source): unchanged, it runs in both
    processes; edited or deleted, the learner's version (if any) runs in the learner's
    process and the master's in the harness, so the tests keep their trusted copy."""
    released_by_id = {g: c for c in released.cells if (g := _gid(c))}
    master_ids = {g for c in master.cells if (g := _gid(c))}
    given_ids = {
        str(c.get("id")): c
        for c in master.cells
        if c.cell_type == "code" and not _gid(c) and c.get("id")
    }
    given_sources = {
        str(c.source).strip() for c in master.cells if c.cell_type == "code" and not _gid(c)
    }
    learner_by_id: dict[str, NotebookNode] = {}
    learner_given: dict[str, NotebookNode] = {}
    extras: dict[str | None, list[NotebookNode]] = {}
    last: str | None = None
    for cell in submitted.cells if submitted is not None else []:
        gid = _gid(cell)
        source = str(cell.get("source", ""))
        if gid in master_ids and gid not in learner_by_id:
            learner_by_id[gid] = cell
            last = gid
        elif cell.get("cell_type") == "code" and not gid:
            cid = str(cell.get("id") or "")
            if cid in given_ids and cid not in learner_given:
                learner_given[cid] = cell
            elif source.strip() in given_sources:
                continue  # an unchanged given cell, in a notebook without cell ids
            elif source.strip():
                extras.setdefault(last, []).append(cell)

    out = copy.deepcopy(master)
    out.cells = []
    steps: list[Step] = []
    tampered: list[str] = []
    missing: list[str] = []

    def add(cell: NotebookNode, step: Step) -> None:
        step.index = len(out.cells)
        out.cells.append(cell)
        steps.append(step)

    def add_learner_cell(source: str) -> None:
        extra = nbformat.v4.new_code_cell(source)
        extra.metadata = nbformat.from_dict({"tradeoffs": {"learner": True}})
        add(extra, Step(0, LEARNER, extra.source, kind="extra"))

    def add_extras(after: str | None) -> None:
        for cell in extras.get(after, []):
            add_learner_cell(str(cell.get("source", "")))

    add_extras(None)
    for cell in master.cells:
        gid = _gid(cell)
        points = float(_meta(cell).get("points", 0) or 0)
        if gid is not None and is_answer(cell):
            mine = learner_by_id.get(gid)
            chosen = copy.deepcopy(released_by_id.get(gid, cell))
            if mine is None or mine.get("cell_type") != cell.cell_type:
                missing.append(gid)
            else:
                chosen.source = str(mine.get("source", ""))
            runs = LEARNER if chosen.cell_type == "code" else NOWHERE
            add(chosen, Step(0, runs, chosen.source, gid, points, kind="answer"))
        else:
            mine_cell = copy.deepcopy(cell)
            if cell.cell_type != "code":
                add(mine_cell, Step(0, NOWHERE, cell.source, gid, points, kind="markdown"))
            elif is_test(cell):
                ranges = hidden_ranges(cell.source, begin_hidden, end_hidden)
                add(mine_cell, Step(0, HARNESS, cell.source, gid, points, "test", ranges))
            elif submitted is not None and not gid and not is_locked(cell):
                theirs = learner_given.get(str(cell.get("id") or ""))
                same = theirs is not None and str(theirs.get("source", "")) == cell.source
                if same or (theirs is None and cell.get("id") not in given_ids):
                    add(mine_cell, Step(0, BOTH, cell.source, gid, points, kind="given"))
                else:
                    add(mine_cell, Step(0, HARNESS, cell.source, gid, points, kind="given"))
                    if theirs is not None and str(theirs.get("source", "")).strip():
                        add_learner_cell(str(theirs.get("source", "")))
            else:
                add(mine_cell, Step(0, BOTH, cell.source, gid, points, kind="given"))
            if gid is not None and is_locked(cell) and gid in released_by_id:
                mine = learner_by_id.get(gid)
                want = str(released_by_id[gid].source).strip()
                if mine is None or str(mine.get("source", "")).strip() != want:
                    tampered.append(gid)
        if gid is not None:
            add_extras(gid)
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return Assembled(out, steps, tampered, missing)


def trusted_names(steps: list[Step]) -> set[str]:
    """Every name the given cells bind anywhere (fixtures, expected values, imports): the
    harness never looks these up in the learner's process, even where its own copy of the
    cell failed. (A name a test cell binds is the harness's from the moment it is bound.)"""
    names: set[str] = set()
    for step in steps:
        if step.kind != "given":
            continue
        try:
            tree = ast.parse(_python_only(step.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    names.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(node, ast.ExceptHandler) and node.name:
                names.add(node.name)
    return names


def _python_only(source: str) -> str:
    """The cell with IPython magics turned into Python, as IPython would run it."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return str(TransformerManager().transform_cell(source))
    except Exception:
        return source
