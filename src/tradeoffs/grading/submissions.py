"""Finding a class's submissions: nbgrader folders, loose notebooks or zip files.

Accepted layouts for `--submissions DIR`:
- nbgrader's: `DIR/<student>/<assignment>/*.ipynb`, or a course root whose `submitted/`
  folder has that shape;
- a flat folder of per-student files: `DIR/<student>.ipynb` or `DIR/<student>.zip` (a
  trailing `_<assignment>` or `-<assignment>` in the name is dropped from the student id).

Nothing is extracted to disk: notebooks are read into memory, zips with limits on their
size, so a zip bomb or a path like `../../etc` in a zip cannot hurt the grader. A file that
cannot be read becomes a `Submission` with an `error`, and the batch goes on.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 200

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")


@dataclass
class Submission:
    """One student's files for one assignment (notebook name -> bytes), or why not."""

    student: str
    source: str  # where it came from, for messages
    notebooks: dict[str, bytes] = field(default_factory=dict)
    error: str = ""

    def digest(self) -> str:
        """A fingerprint of the submitted files, for re-grading only what changed."""
        h = hashlib.sha256(self.error.encode())
        for name in sorted(self.notebooks):
            h.update(name.encode() + b"\0" + self.notebooks[name] + b"\0")
        return h.hexdigest()


def _student_from_name(stem: str, assignment: str) -> str:
    for sep in ("_", "-", "."):
        suffix = f"{sep}{assignment}"
        if stem.endswith(suffix) and len(stem) > len(suffix):
            return stem[: -len(suffix)]
    return stem


def _read_zip(path: Path, student: str) -> Submission:
    sub = Submission(student, str(path))
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) > MAX_ZIP_MEMBERS:
                sub.error = f"the zip holds {len(members)} files; at most {MAX_ZIP_MEMBERS}"
                return sub
            for member in members:
                name = Path(member.filename).name
                if not name.endswith(".ipynb") or "__MACOSX" in member.filename:
                    continue
                if ".ipynb_checkpoints" in member.filename:
                    continue
                if member.file_size > MAX_NOTEBOOK_BYTES:
                    sub.error = f"{name} in the zip is larger than {MAX_NOTEBOOK_BYTES} bytes"
                    return sub
                sub.notebooks[name] = archive.read(member)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        sub.error = f"not a readable zip file ({exc})"
        return sub
    if not sub.notebooks:
        sub.error = "the zip holds no notebook (.ipynb)"
    return sub


def _read_notebook_file(path: Path, student: str) -> Submission:
    sub = Submission(student, str(path))
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            sub.error = f"{path.name} is larger than {MAX_NOTEBOOK_BYTES} bytes"
        else:
            sub.notebooks[path.name] = path.read_bytes()
    except OSError as exc:
        sub.error = f"cannot read {path.name} ({exc})"
    return sub


def find_submissions(folder: Path, assignment: str) -> list[Submission]:
    """Every student's submission for `assignment` under `folder`, sorted by student id."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"--submissions {folder}: no such folder")
    if (folder / "submitted").is_dir():
        folder = folder / "submitted"
    found: dict[str, Submission] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            nested = entry / assignment
            if not nested.is_dir():
                continue
            sub = Submission(entry.name, str(nested))
            for nb in sorted(nested.glob("*.ipynb")):
                one = _read_notebook_file(nb, entry.name)
                sub.notebooks.update(one.notebooks)
                sub.error = sub.error or one.error
            if not sub.notebooks and not sub.error:
                sub.error = f"{nested} holds no notebook (.ipynb)"
        elif entry.suffix == ".ipynb":
            sub = _read_notebook_file(entry, _student_from_name(entry.stem, assignment))
        elif entry.suffix == ".zip":
            sub = _read_zip(entry, _student_from_name(entry.stem, assignment))
        else:
            continue
        if not _STUDENT_ID.match(sub.student):
            sub.error = sub.error or f"cannot use {sub.student!r} as a student id"
            sub.student = re.sub(r"[^A-Za-z0-9._@+-]", "_", sub.student) or "unnamed"
        if sub.student in found:
            other = found[sub.student]
            other.error = other.error or f"two submissions for {sub.student}: {sub.source}"
            continue
        found[sub.student] = sub
    return [found[k] for k in sorted(found)]


def match_notebooks(sub: Submission, expected: list[str]) -> dict[str, bytes]:
    """The submitted notebook for each expected name (a lone notebook matches a lone name)."""
    matched = {name: sub.notebooks[name] for name in expected if name in sub.notebooks}
    if not matched and len(expected) == 1 and len(sub.notebooks) == 1:
        matched = {expected[0]: next(iter(sub.notebooks.values()))}
    return matched
