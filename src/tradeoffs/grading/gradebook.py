"""nbgrader's gradebook, written from the grader's own verdicts, for formgrader.

Auto scores come from the harness's results, never from the outputs in a notebook (a
submission could print whatever nbgrader's rule reads as a score). Manual grades already
in the gradebook are kept, as nbgrader's SaveAutoGrades does. Only the batch's main
process writes it, once per run, so there is no lock contention.
"""

from __future__ import annotations

import copy
import functools
import logging
import warnings
from pathlib import Path

import nbformat

from tradeoffs.grading.grade import GRADER_ERROR, Assignment, StudentResult


@functools.cache
def _alembic_head() -> str:
    """The gradebook schema version nbgrader stamps on a new gradebook. nbgrader asks the
    `alembic` program, which takes seconds to start (and must be on PATH); the same answer
    comes from alembic's Python API at once."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import _temp_alembic_ini

    with _temp_alembic_ini("sqlite://") as ini:
        return str(ScriptDirectory.from_config(AlembicConfig(ini)).get_current_head())


def write_gradebook(out: Path, assignment: Assignment, results: dict[str, StudentResult]) -> None:
    """The gradebook, the master copies under source/ and an nbgrader_config.py, so that
    formgrader opens `out` as a course root."""
    import nbgrader.api
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import SaveCells
    from sqlalchemy import text

    nbgrader.api.get_alembic_version = _alembic_head

    db_url = f"sqlite:///{(out / 'gradebook.db').resolve()}"
    config_py = out / "nbgrader_config.py"
    if not config_py.exists():
        config_py.write_text(
            "c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {assignment.course_id!r}\n"
            "c.CourseDirectory.root = __file__.rsplit('/', 1)[0]\n"
        )
    for name, master in assignment.masters.items():
        path = out / "source" / assignment.id / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nbformat.writes(master))
    quiet = logging.getLogger("tradeoffs.gradebook")
    quiet.setLevel(logging.ERROR)
    with Gradebook(db_url, assignment.course_id) as gb:
        # Write-ahead log: commits need no fsync each, and formgrader can read meanwhile.
        gb.db.execute(text("PRAGMA journal_mode=WAL"))
        gb.update_or_create_assignment(assignment.id)
    for name, master in assignment.masters.items():
        resources = {
            "nbgrader": {"db_url": db_url, "assignment": assignment.id, "notebook": Path(name).stem}
        }
        saver = SaveCells()
        saver.log = quiet
        saver.preprocess(copy.deepcopy(master), resources)
    with warnings.catch_warnings(), Gradebook(db_url, assignment.course_id) as gb:
        warnings.simplefilter("ignore")  # SQLAlchemy chatter from nbgrader's own queries
        gb.db.execute(text("PRAGMA synchronous=NORMAL"))
        for student, result in sorted(results.items()):
            if result.status == GRADER_ERROR:
                continue
            gb.update_or_create_student(student)
            gb.update_or_create_submission(assignment.id, student)
            for cell in result.cells:
                if cell.kind == "task":
                    continue
                notebook = Path(cell.notebook).stem
                try:
                    grade = gb.find_grade(cell.grade_id, notebook, assignment.id, student)
                except Exception:  # a cell the gradebook does not know: nothing to record
                    continue
                grade.auto_score = (
                    None if cell.kind == "answer" and cell.points is None else (cell.points)
                )
                # nbgrader's rule: keep manual scores, flag for review what needs a person.
                grade.needs_manual_grade = (
                    grade.manual_score is not None or grade.auto_score is None
                )
            gb.db.commit()
