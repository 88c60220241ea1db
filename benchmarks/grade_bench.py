"""Benchmark: grade one batch with plain `nbgrader autograde` and with `tradeoffs grade`.

    python benchmarks/grade_bench.py [--submissions 40] [--workers 2]

Builds N submissions of exercise 01_metrics (half solved, half untouched) in an nbgrader
course folder, grades them once with `nbgrader autograde` (one after another, as it does)
and once with `tradeoffs grade`, and prints submissions per minute for each and their ratio.
It also runs the solved notebook alone with nbclient (median of 3) to report the grader's
overhead per submission beyond the notebook's own execution.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from tradeoffs.authoring.build import (
    dumps,
    reference_submission,
    source_notebook,
    student_notebook,
)
from tradeoffs.catalog import load

UNIT = "01_metrics"


def make_course(root: Path, n: int) -> tuple[Path, Path]:
    course = load(Path(__file__).resolve().parents[1])
    unit = course.unit(UNIT)
    master = source_notebook(course, unit)
    released = student_notebook(course, unit)
    solved = reference_submission(course, unit)
    (root / "source" / UNIT).mkdir(parents=True)
    (root / "source" / UNIT / f"{UNIT}.ipynb").write_bytes(dumps(master))
    (root / "nbgrader_config.py").write_text(
        (course.root / "autograder" / "nbgrader_config.py").read_text()
        + f"\nc.CourseDirectory.root = {str(root)!r}\n"
    )
    for i in range(n):
        folder = root / "submitted" / f"student{i:03d}" / UNIT
        folder.mkdir(parents=True)
        nb = solved if i % 2 == 0 else released
        (folder / f"{UNIT}.ipynb").write_bytes(dumps(nb))
    return root, course.root


def run(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return seconds


def notebook_seconds(path: Path) -> float:
    from nbclient import NotebookClient

    times = []
    for _ in range(3):
        nb = nbformat.read(path, as_version=4)
        started = time.perf_counter()
        NotebookClient(nb, kernel_name="python3", timeout=120).execute()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    args = parser.parse_args()
    bindir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp:
        root, checkout = make_course(Path(tmp) / "course", args.submissions)
        n = args.submissions
        print(f"{n} submissions of {UNIT} (half solved), {os.cpu_count()} CPUs")
        run(["nbgrader", "generate_assignment", UNIT, "--force"], root)
        plain_s = run(["nbgrader", "autograde", UNIT, "--create", "--force"], root)
        print(f"nbgrader autograde:  {plain_s:6.1f} s  {n / plain_s * 60:6.1f} submissions/min")
        out = Path(tmp) / "out"
        ours_s = run(
            [
                "tradeoffs",
                "--root",
                str(checkout),
                "grade",
                UNIT,
                "--submissions",
                str(root / "submitted"),
                "--out",
                str(out),
                "--workers",
                str(args.workers),
            ],
            root,
        )
        print(
            f"tradeoffs grade:     {ours_s:6.1f} s  {n / ours_s * 60:6.1f} submissions/min"
            f"  ({args.workers} workers)"
        )
        print(f"ratio:               {plain_s / ours_s:6.2f}x")
        alone = notebook_seconds(root / "submitted" / "student000" / UNIT / f"{UNIT}.ipynb")
        per_sub = ours_s * args.workers / n
        print(
            f"notebook alone (nbclient, median of 3): {alone:.2f} s; tradeoffs grade per "
            f"submission per worker: {per_sub:.2f} s; overhead {per_sub - alone:+.2f} s"
        )
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
