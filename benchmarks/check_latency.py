"""Benchmark: how long a learner waits for a verdict on one exercise notebook.

    python benchmarks/check_latency.py [--unit 01_metrics] [--runs 7] [--solved]

On the same notebook (a fresh workspace copy of the exercise: untouched, or with the
master copy's answers with --solved), each measured `--runs` times, wall clock:

- cold:  `tradeoffs check NOTEBOOK` as a new process (imports, the student version read,
         a learner process started, the cells run, the tests run in the harness);
- warm:  what `tradeoffs watch` does after a save (`learner.watch.WarmChecker.check`):
         modules imported and a learner process started ahead, in a long-lived process;
- nbgrader validate NOTEBOOK as a new process (a Jupyter kernel, nbgrader's Validator),
         what the Validate button runs.

Prints min / median / max seconds for each. A benchmark, not a test: figures vary with
the machine and its load; compare them with each other, in one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def line(name: str, times: list[float]) -> str:
    return (
        f"  {name:<34} min {min(times):5.2f} s   median {statistics.median(times):5.2f} s"
        f"   max {max(times):5.2f} s   ({len(times)} runs)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--unit", default="01_metrics")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--solved", action="store_true", help="the master copy's answers filled in")
    args = ap.parse_args()

    from tradeoffs.authoring.build import dumps, reference_submission
    from tradeoffs.catalog import load
    from tradeoffs.learner import workspace
    from tradeoffs.learner.watch import WarmChecker

    course = load(ROOT)
    unit = course.unit(args.unit)
    bindir = Path(sys.executable).parent
    env = dict(os.environ)
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    env["JUPYTER_CONFIG_PATH"] = str(ROOT / "autograder")
    with tempfile.TemporaryDirectory(prefix="tradeoffs-bench-") as tmp:
        ws, _, _ = workspace.create(course, Path(tmp) / "work")
        path = ws.exercise_path(unit)
        assert path is not None
        if args.solved:
            path.write_bytes(dumps(reference_submission(course, unit)))
        print(
            f"{unit.id}: {path.name} ({'solved' if args.solved else 'unsolved stub'}), "
            f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
        )
        cold = [
            timed([str(bindir / "tradeoffs"), "check", str(path)], env, ws.root)
            for _ in range(args.runs)
        ]
        validate = [
            timed([str(bindir / "nbgrader"), "validate", str(path)], env, path.parent)
            for _ in range(args.runs)
        ]
        checker = WarmChecker(course, unit, path)
        checker.check()  # the first check of a watch, as after `tradeoffs watch` starts
        warm = []
        for _ in range(args.runs):
            time.sleep(1.0)  # a learner's edit between two saves: the next process is ready
            os.utime(path)
            started = time.perf_counter()
            checker.check()
            warm.append(time.perf_counter() - started)
        checker.close()
    print(line("tradeoffs check (cold, new process)", cold))
    print(line("tradeoffs watch (warm, after a save)", warm))
    print(line("nbgrader validate (new process)", validate))
    print(
        f"  median ratios: nbgrader validate / cold check "
        f"{statistics.median(validate) / statistics.median(cold):.1f}x, "
        f"/ warm check {statistics.median(validate) / statistics.median(warm):.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
