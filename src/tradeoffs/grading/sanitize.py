"""What a learner's notebook may show an instructor's or a learner's browser.

Two views of a graded notebook are written, and neither may carry script:

- the autograded copy, which formgrader renders for the instructor: outputs keep only
  text, PNG and JPEG images that really are PNG or JPEG; HTML, JavaScript, SVG, LaTeX and
  widget views become a line of text saying what was removed; widget state and other
  notebook metadata go; raw HTML in the learner's markdown is shown as text; cell
  attachments go;
- the feedback view, for the learner: the same, with test cells shown as released (no
  hidden tests), and for a test with hidden parts only its verdict line, never output
  that the learner's code printed during it (it could show a hidden check's inputs).
"""

from __future__ import annotations

import base64
import binascii
import copy
import html
import re
from typing import Any

import nbformat
from nbformat import NotebookNode

from tradeoffs.grading.assemble import Assembled

MAX_TEXT = 200_000
MAX_IMAGE_BYTES = 4 * 1024 * 1024
_SAFE_TEXT = ("text/plain",)
_IMAGES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CELL_META = ("nbgrader", "tags")


def text(value: Any, limit: int = MAX_TEXT) -> str:
    """Output text as a plain string: lists joined, control characters (but ANSI colour
    codes, which the renderers understand) dropped, and cut to `limit` characters."""
    if isinstance(value, list):
        value = "".join(str(v) for v in value)
    out = _CONTROL.sub("", str(value if value is not None else ""))
    return out if len(out) <= limit else out[:limit] + "\n[output cut]\n"


def valid_image(mime: str, payload: Any) -> str | None:
    """The base64 payload if it decodes to an image of type `mime`; else None."""
    if mime not in _IMAGES:
        return None
    data = "".join(payload) if isinstance(payload, list) else str(payload)
    data = "".join(data.split())
    if len(data) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        return None
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if raw.startswith(_IMAGES[mime]) else None


def clean_output(out: Any) -> NotebookNode | None:
    """One output with nothing script-capable left; None when nothing useful is left."""
    if not isinstance(out, dict):
        return None
    kind = out.get("output_type")
    if kind == "stream":
        name = "stderr" if out.get("name") == "stderr" else "stdout"
        return nbformat.v4.new_output("stream", name=name, text=text(out.get("text", "")))
    if kind == "error":
        return nbformat.v4.new_output(
            "error",
            ename=text(out.get("ename", ""), 200),
            evalue=text(out.get("evalue", ""), 5000),
            traceback=[text(line, 5000) for line in list(out.get("traceback") or [])[:200]],
        )
    if kind not in ("display_data", "execute_result"):
        return None
    raw = out.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    kept: dict[str, Any] = {}
    for mime, payload in data.items():
        if mime in _SAFE_TEXT:
            kept[mime] = text(payload)
        elif mime in _IMAGES:
            image = valid_image(mime, payload)
            if image is not None:
                kept[mime] = image
    removed = sorted(m for m in data if m not in kept)
    if removed and "text/plain" not in kept:
        kept["text/plain"] = f"[output removed by the grader: {', '.join(removed)[:200]}]"
    if not kept:
        return None
    if kind == "execute_result":
        return nbformat.v4.new_output("execute_result", data=kept, execution_count=None)
    return nbformat.v4.new_output("display_data", data=kept)


def clean_outputs(outputs: list[Any], limit_chars: int) -> list[NotebookNode]:
    """Clean every output, keeping at most `limit_chars` characters of them in all."""
    kept: list[NotebookNode] = []
    used = 0
    for out in outputs:
        clean = clean_output(out)
        if clean is None:
            continue
        size = _size(clean)
        if used + size > limit_chars:
            kept.append(
                nbformat.v4.new_output("stream", name="stdout", text="[further output cut]\n")
            )
            break
        used += size
        kept.append(clean)
    return kept


def _size(out: NotebookNode) -> int:
    if out.output_type == "stream":
        return len(out.text)
    if out.output_type == "error":
        return sum(len(x) for x in out.traceback) + len(out.evalue)
    return sum(len(v) for v in out.data.values())


def escape_markdown_html(source: str) -> str:
    """Markdown whose raw HTML shows as text (`<script>` becomes `&lt;script&gt;`)."""
    return source.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clean_cell(cell: NotebookNode, learner_written: bool) -> NotebookNode:
    cell = copy.deepcopy(cell)
    cell.metadata = nbformat.from_dict(
        {k: cell.metadata[k] for k in _CELL_META if k in cell.get("metadata", {})}
    )
    cell.pop("attachments", None)
    if cell.cell_type == "markdown" and learner_written:
        cell.source = escape_markdown_html(str(cell.source))
    if cell.cell_type == "raw":
        cell.source = html.escape(str(cell.source))
    return cell


def graded_copy(
    assembled: Assembled,
    outputs: dict[int, list[dict[str, Any]]],
    call_outputs: dict[int, list[dict[str, Any]]],
    *,
    limit_cell: int,
    limit_total: int,
) -> NotebookNode:
    """The autograded notebook formgrader shows: every cell with its outputs, cleaned."""
    nb = copy.deepcopy(assembled.nb)
    nb.metadata = nbformat.from_dict(
        {k: nb.metadata[k] for k in ("kernelspec", "language_info") if k in nb.metadata}
    )
    total = 0
    for step in assembled.steps:
        cell = nb.cells[step.index]
        cleaned = _clean_cell(cell, learner_written=step.kind in ("answer", "extra"))
        if cleaned.cell_type == "code":
            raw = [*call_outputs.get(step.index, []), *outputs.get(step.index, [])]
            room = max(0, min(limit_cell, limit_total - total))
            cleaned.outputs = clean_outputs(raw, room)
            total += sum(_size(o) for o in cleaned.outputs)
            cleaned.execution_count = None
        nb.cells[step.index] = cleaned
    return nb


def feedback_copy(
    graded: NotebookNode, assembled: Assembled, released: NotebookNode, messages: dict[str, str]
) -> NotebookNode:
    """The learner's view of the graded notebook: tests as released; a test with hidden
    parts shows only its verdict (`messages[grade_id]`), nothing printed during it."""
    from tradeoffs.authoring.cells import grade_id

    nb = copy.deepcopy(graded)
    released_by_id = {g: c for c in released.cells if (g := grade_id(c))}
    for step in assembled.steps:
        if step.kind != "test" or not step.grade_id:
            continue
        cell = nb.cells[step.index]
        shown = released_by_id.get(step.grade_id)
        cell.source = str(shown.source) if shown is not None else '"""(test)"""'
        if step.hidden:
            note = messages.get(step.grade_id, "")
            cell.outputs = (
                [nbformat.v4.new_output("stream", name="stdout", text=note + "\n")] if note else []
            )
    return nb


def strip_ansi(value: str) -> str:
    return _ANSI.sub("", value)
