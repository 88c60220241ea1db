"""Finding a class's submissions: nbgrader folders, loose notebooks or zip files.

Accepted layouts for `--submissions DIR`:
- nbgrader's: `DIR/<student>/<assignment>/*.ipynb`, or a course root whose `submitted/`
  folder has that shape;
- a flat folder of per-student files: `DIR/<student>.ipynb` or `DIR/<student>.zip` (a
  trailing `_<assignment>` or `-<assignment>` in the name is dropped from the student id).

Finding reads nothing but names and sizes; a submission's files are read only by the
worker that grades it (`Submission.load`), with limits on the whole: at most
`MAX_TOTAL_BYTES` of notebooks, zip members streamed and counted as they are inflated
(never trusting the sizes a zip claims), a compression-ratio limit, and nothing
extracted to disk. Symbolic links are not followed. A submission that breaks a limit or
cannot be read gets an `error`, and the batch goes on.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 40 * 1024 * 1024
MAX_ZIP_BYTES = 40 * 1024 * 1024
MAX_ZIP_MEMBERS = 500
MAX_RATIO = 100  # uncompressed / compressed, per member (JSON notebooks rarely pass 20)

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")


class SubmissionError(ValueError):
    """A submission that cannot be read within the limits; the message says why."""


@dataclass
class Submission:
    """One student's work for one assignment: where it is, or why it cannot be used."""

    student: str
    source: str  # where it came from, for messages
    files: dict[str, str] = field(default_factory=dict)  # notebook name -> path
    archive: str = ""  # a zip file to read the notebooks from
    error: str = ""

    def digest(self) -> str:
        """A fingerprint of the submitted files, for re-grading only what changed."""
        h = hashlib.sha256(self.error.encode())
        paths = [self.archive] if self.archive else [self.files[n] for n in sorted(self.files)]
        for name, path in zip(sorted(self.files) or ["zip"], paths, strict=False):
            h.update(name.encode() + b"\0")
            try:
                with _open_plain(Path(path)) as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):  # noqa: B023
                        h.update(chunk)
            except (OSError, SubmissionError) as exc:
                h.update(f"unreadable: {exc}".encode())
        return h.hexdigest()

    def load(self) -> dict[str, bytes]:
        """The submitted notebooks, by name, read within the limits."""
        if self.error:
            raise SubmissionError(self.error)
        if self.archive:
            return _read_zip(Path(self.archive))
        out: dict[str, bytes] = {}
        total = 0
        for name, path in sorted(self.files.items()):
            with _open_plain(Path(path)) as fh:
                data = fh.read(MAX_NOTEBOOK_BYTES + 1)
            if len(data) > MAX_NOTEBOOK_BYTES:
                raise SubmissionError(f"{name} is larger than {MAX_NOTEBOOK_BYTES:,} bytes")
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                raise SubmissionError(f"the notebooks hold more than {MAX_TOTAL_BYTES:,} bytes")
            out[name] = data
        return out


def _open_plain(path: Path) -> BinaryIO:
    """Open a regular file for reading without following a symbolic link."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise SubmissionError(f"{path.name} is not a regular file")
    return os.fdopen(fd, "rb")


def _read_zip(path: Path) -> dict[str, bytes]:
    try:
        size = path.lstat().st_size
    except OSError as exc:
        raise SubmissionError(f"cannot read the zip ({exc})") from exc
    if size > MAX_ZIP_BYTES:
        raise SubmissionError(f"the zip is larger than {MAX_ZIP_BYTES:,} bytes")
    out: dict[str, bytes] = {}
    total = 0
    try:
        with _open_plain(path) as raw, zipfile.ZipFile(raw) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) > MAX_ZIP_MEMBERS:
                raise SubmissionError(
                    f"the zip holds {len(members)} files; at most {MAX_ZIP_MEMBERS}"
                )
            for member in members:
                name = Path(member.filename).name
                skip = "__MACOSX" in member.filename or ".ipynb_checkpoints" in member.filename
                if not name.endswith(".ipynb") or skip or name in out:
                    continue
                data = bytearray()
                with archive.open(member) as fh:
                    for chunk in iter(lambda: fh.read(1 << 16), b""):  # noqa: B023
                        data += chunk
                        total += len(chunk)
                        if len(data) > MAX_NOTEBOOK_BYTES:
                            raise SubmissionError(
                                f"{name} in the zip is larger than {MAX_NOTEBOOK_BYTES:,} bytes"
                            )
                        if total > MAX_TOTAL_BYTES:
                            raise SubmissionError(
                                f"the zip's notebooks hold more than {MAX_TOTAL_BYTES:,} bytes"
                            )
                        if len(data) > 1 << 20 and len(data) > MAX_RATIO * max(
                            member.compress_size, 1
                        ):
                            raise SubmissionError(
                                f"{name} in the zip inflates more than {MAX_RATIO}x: "
                                "not a notebook (a zip bomb?)"
                            )
                out[name] = bytes(data)
    except SubmissionError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
        raise SubmissionError(f"not a readable zip file ({exc})") from exc
    if not out:
        raise SubmissionError("the zip holds no notebook (.ipynb)")
    return out


def _student_from_name(stem: str, assignment: str) -> str:
    for sep in ("_", "-", "."):
        suffix = f"{sep}{assignment}"
        if stem.endswith(suffix) and len(stem) > len(suffix):
            return stem[: -len(suffix)]
    return stem


def _is_plain_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def find_submissions(folder: Path, assignment: str) -> list[Submission]:
    """Every student's submission for `assignment` under `folder`, sorted by student id."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"--submissions {folder}: no such folder")
    if (folder / "submitted").is_dir():
        folder = folder / "submitted"
    found: dict[str, Submission] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir():
            nested = entry / assignment
            if not nested.is_dir() or nested.is_symlink():
                continue
            sub = Submission(entry.name, str(nested))
            for nb in sorted(nested.glob("*.ipynb")):
                if not _is_plain_file(nb):
                    sub.error = sub.error or f"{nb.name} is not a regular file"
                    continue
                sub.files[nb.name] = str(nb)
            if not sub.files and not sub.error:
                sub.error = f"{nested} holds no notebook (.ipynb)"
        elif entry.suffix == ".ipynb" and _is_plain_file(entry):
            sub = Submission(_student_from_name(entry.stem, assignment), str(entry))
            sub.files[entry.name] = str(entry)
        elif entry.suffix == ".zip" and _is_plain_file(entry):
            sub = Submission(
                _student_from_name(entry.stem, assignment), str(entry), archive=str(entry)
            )
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


def match_notebooks(notebooks: dict[str, bytes], expected: list[str]) -> dict[str, bytes]:
    """The submitted notebook for each expected name (a lone notebook matches a lone name)."""
    matched = {name: notebooks[name] for name in expected if name in notebooks}
    if not matched and len(expected) == 1 and len(notebooks) == 1:
        matched = {expected[0]: next(iter(notebooks.values()))}
    return matched
