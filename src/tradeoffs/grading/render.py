"""Feedback pages: one self-contained HTML file per student and notebook.

The page goes through a Jinja2 template with autoescaping on, so every string from a
notebook or a verdict is escaped unless this module marks it safe; the only markup
marked safe is what this module makes itself: markdown rendered by markdown-it with raw
HTML off, ANSI colours turned into spans of escaped text, and `<img>` tags for data that
`sanitize.valid_image` has checked to be PNG or JPEG. The page also forbids scripts
outright with a Content-Security-Policy, for a browser that meets something missed.

(Rendered directly rather than through nbconvert's HTML exporter, which spent 0.3-0.5 s
of CPU per notebook and so a third of a submission's grading time.)
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from nbconvert.filters.ansi import ansi2html
from nbformat import NotebookNode

from tradeoffs.grading.sanitize import strip_ansi, valid_image

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
.passed { color: #176d2b; }
.failed, .timeout, .oom, .crash, .missing, .limit { color: #b3261e; }
.tampered { color: #8a5a00; }
.ansi-red-fg { color: #b3261e; } .ansi-green-fg { color: #176d2b; }
.ansi-cyan-fg { color: #0b6e79; } .ansi-blue-fg { color: #1f4fb3; }
.ansi-yellow-fg { color: #8a5a00; } .ansi-bold { font-weight: bold; }
"""

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<title>{{ title }}</title><style>{{ style }}</style></head><body>
<h1>{{ title }}</h1>
<p><strong>{{ headline }}</strong></p>
<table><tr><th>part</th><th>status</th><th>points</th><th>note</th></tr>
{% for row in rows %}<tr><td>{{ row.part }}</td>
<td class="{{ row.status }}">{{ row.status }}</td>
<td>{{ row.points }}</td><td>{{ row.note }}</td></tr>
{% endfor %}</table><hr>
{% for cell in cells %}<div class="cell">
{% if cell.kind == "markdown" %}{{ cell.html }}{% else %}
<div class="prompt">In [ ]:</div><pre>{{ cell.source }}</pre>
{% for out in cell.outputs %}{{ out }}{% endfor %}{% endif %}
</div>
{% endfor %}</body></html>
"""

_env = Environment(autoescape=True, keep_trailing_newline=True)
_page = _env.from_string(PAGE)


def _ansi(text: str) -> Markup:
    # ansi2html escapes the text it wraps in colour spans.
    return Markup(ansi2html(str(text)))


def output_html(out: dict[str, Any]) -> Markup:
    """One (already cleaned) output as safe HTML."""
    kind = out.get("output_type")
    if kind == "stream":
        css = "err" if out.get("name") == "stderr" else "out"
        return Markup('<div class="{}"><pre>{}</pre></div>').format(css, _ansi(out.get("text", "")))
    if kind == "error":
        trace = "\n".join(out.get("traceback", [])) or f"{out.get('ename')}: {out.get('evalue')}"
        return Markup('<div class="err"><pre>{}</pre></div>').format(_ansi(trace))
    data = out.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            image = valid_image(mime, data[mime])
            if image is not None:
                return Markup(
                    '<div class="out"><img alt="figure" src="data:{};base64,{}"></div>'
                ).format(mime, image)
    if "text/plain" in data:
        return Markup('<div class="out"><pre>{}</pre></div>').format(
            strip_ansi(str(data["text/plain"]))
        )
    return Markup("")


def render(
    nb: NotebookNode, title: str, summary_rows: list[tuple[str, str, str, str]], headline: str
) -> str:
    """The page: a heading, a table of verdicts (part, status, points, note), the notebook."""
    cells: list[dict[str, Any]] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cells.append({"kind": "markdown", "html": Markup(_markdown.render(str(cell.source)))})
        elif cell.cell_type == "code":
            outputs = [output_html(o) for o in cell.get("outputs", [])]
            cells.append({"kind": "code", "source": str(cell.source), "outputs": outputs})
    rows = [
        {"part": part, "status": status, "points": points, "note": note}
        for part, status, points, note in summary_rows
    ]
    return _page.render(title=title, headline=headline, rows=rows, cells=cells, style=Markup(STYLE))


__all__ = ["escape", "output_html", "render"]
