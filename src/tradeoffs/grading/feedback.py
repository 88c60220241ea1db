"""Feedback pages: one self-contained HTML file per student and notebook.

Rendered directly rather than through nbconvert's HTML exporter, which spent 0.3-0.5 s of
CPU per notebook (HTML sanitising and re-parsing) and so a third of a submission's grading
time. Everything from the notebook is escaped: markdown goes through markdown-it with raw
HTML off, code and text outputs are shown as text, ANSI colours become spans, and only
PNG/JPEG images are embedded.
"""

from __future__ import annotations

import html
from typing import Any

from markdown_it import MarkdownIt
from nbconvert.filters.ansi import ansi2html
from nbformat import NotebookNode

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; }
pre { background: #f6f8fa; padding: .6rem .8rem; overflow-x: auto; border-radius: 4px;
      font: 13px/1.4 ui-monospace, monospace; white-space: pre-wrap; }
.out pre { background: #fff; border-left: 3px solid #ddd; }
.err pre { background: #fff5f5; border-left: 3px solid #d33; }
.cell { margin: 1rem 0; }
.prompt { color: #888; font: 12px ui-monospace, monospace; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .3rem .6rem; }
.passed { color: #176d2b; } .failed, .timeout, .oom, .crash, .missing { color: #b3261e; }
.tampered { color: #8a5a00; }
.ansi-red-fg { color: #b3261e; } .ansi-green-fg { color: #176d2b; }
.ansi-cyan-fg { color: #0b6e79; } .ansi-blue-fg { color: #1f4fb3; }
.ansi-yellow-fg { color: #8a5a00; } .ansi-bold { font-weight: bold; }
"""


def _output_html(out: dict[str, Any]) -> str:
    kind = out.get("output_type")
    if kind == "stream":
        css = "err" if out.get("name") == "stderr" else "out"
        return f'<div class="{css}"><pre>{ansi2html(str(out.get("text", "")))}</pre></div>'
    if kind == "error":
        trace = "\n".join(out.get("traceback", [])) or f"{out.get('ename')}: {out.get('evalue')}"
        return f'<div class="err"><pre>{ansi2html(trace)}</pre></div>'
    data = out.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            payload = str(data[mime]).replace("\n", "")
            return f'<div class="out"><img alt="figure" src="data:{mime};base64,{payload}"></div>'
    if "text/plain" in data:
        return f'<div class="out"><pre>{html.escape(str(data["text/plain"]))}</pre></div>'
    return ""


def render(
    nb: NotebookNode, title: str, summary_rows: list[tuple[str, str, str, str]], headline: str
) -> str:
    """The page: a heading, a table of verdicts (part, status, points, note), the notebook."""
    rows = "\n".join(
        f'<tr><td>{html.escape(part)}</td><td class="{html.escape(status)}">'
        f"{html.escape(status)}</td><td>{html.escape(points)}</td>"
        f"<td>{html.escape(note)}</td></tr>"
        for part, status, points, note in summary_rows
    )
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p><strong>{html.escape(headline)}</strong></p>",
        "<table><tr><th>part</th><th>status</th><th>points</th><th>note</th></tr>",
        rows,
        "</table><hr>",
    ]
    for cell in nb.cells:
        source = cell.get("source", "")
        if cell.cell_type == "markdown":
            body.append(f'<div class="cell">{_markdown.render(source)}</div>')
        elif cell.cell_type == "code":
            count = cell.get("execution_count")
            prompt = f"In [{count if count is not None else ' '}]:"
            outputs = "".join(_output_html(o) for o in cell.get("outputs", []))
            body.append(
                f'<div class="cell"><div class="prompt">{prompt}</div>'
                f"<pre>{html.escape(source)}</pre>{outputs}</div>"
            )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
