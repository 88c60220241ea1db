"""Run one notebook top to bottom in a fresh kernel and print what happened as JSON.

    python tests/_notebook_runner.py NOTEBOOK WORKDIR CELL_TIMEOUT_S

Used by conftest.execute_notebook, in a process of its own for each notebook.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path


@dataclass
class Executed:
    seconds: float
    errors: list[str]
    stderr: list[str]
    slowest: list[tuple[float, str]]  # (seconds, "cell N: first line"), slowest first
    phases: dict[str, float]  # seconds to start the kernel, run the cells, shut down
    # Seconds the kernel was busy with the notebook (its start, then each cell from busy to
    # idle as the kernel stamps them): the lesson's own cost, without the time messages
    # spend waiting for a client that a loaded machine starves.
    work_seconds: float = 0.0


def execute_notebook(nb, workdir: Path, cell_timeout_s: int) -> Executed:
    """Run `nb` top to bottom in a fresh kernel; collect errors and stderr output."""
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        timeout=cell_timeout_s,
        kernel_name="python3",
        allow_errors=True,
        record_timing=True,
        resources={"metadata": {"path": str(workdir)}},
    )
    marks: dict[str, float] = {}
    client.on_notebook_start = lambda **_: marks.setdefault("ready", time.perf_counter())
    client.on_notebook_complete = lambda **_: marks.setdefault("done", time.perf_counter())
    started = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - started
    ready, done = marks.get("ready", started), marks.get("done", started + seconds)
    phases = {
        "kernel start": ready - started,
        "cells": done - ready,
        "shutdown": started + seconds - done,
    }
    errors, stderr, timings = [], [], []
    busy = 0.0
    for n, cell in enumerate(nb.cells):
        stamps = cell.get("metadata", {}).get("execution", {})
        if "iopub.status.busy" in stamps and "iopub.status.idle" in stamps:
            busy += _stamp(stamps["iopub.status.idle"]) - _stamp(stamps["iopub.status.busy"])
        if "iopub.execute_input" in stamps and "shell.execute_reply" in stamps:
            took = _stamp(stamps["shell.execute_reply"]) - _stamp(stamps["iopub.execute_input"])
            first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
            timings.append((took, f"cell {n}: {first}"))
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                errors.append(f"cell {n} ({cell.id}): {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                stderr.append(f"cell {n} ({cell.id}): {out.text[:300]}")
    phases["kernel busy"] = busy
    work = phases["kernel start"] + busy
    return Executed(seconds, errors, stderr, sorted(timings, reverse=True)[:3], phases, work)


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import nbformat

    source, workdir, timeout = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    nb = nbformat.read(source, as_version=4)
    Path(source).unlink()
    print(json.dumps(asdict(execute_notebook(nb, workdir, timeout))))


if __name__ == "__main__":
    main()
