"""`tradeoffs watch`: re-check an exercise on every save, printing only what changed.

A warm process keeps what a check needs ready between saves: the grading modules imported,
the student version read, and the next learner process started ahead (an IPython shell
takes a few tenths of a second to start), so a check after a save costs little more than
running the notebook's own cells.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tradeoffs.catalog import Course, Unit
from tradeoffs.learner import checking


class WarmChecker:
    """Checks one notebook again and again, with a learner process started ahead."""

    def __init__(self, course: Course, unit: Unit, path: Path) -> None:
        from tradeoffs.grading import harness  # noqa: F401  (imported now, not at the first save)
        from tradeoffs.grading.check import course_limits

        harness._python("x = 1")  # IPython's input transformer, imported once
        self.course, self.unit, self.path = course, unit, Path(path)
        self.limits = course_limits(course)
        self.released = checking.released_notebook(course, unit)
        self._spare: Any = None
        self._starting: threading.Thread | None = None
        self.prepare()

    def prepare(self) -> None:
        """Start the next learner process in the background."""
        from tradeoffs.grading.process import LearnerProcess

        def start() -> None:
            try:
                self._spare = LearnerProcess(
                    self.limits,
                    sandbox=False,
                    cwd=self.path.parent.resolve(),
                    label="the learner's code",
                ).start()
            except Exception:
                self._spare = None  # the check will start one itself

        self._starting = threading.Thread(target=start, daemon=True)
        self._starting.start()

    def check(self) -> Any:
        if self._starting is not None:
            self._starting.join()
        spare, self._spare = self._spare, None
        try:
            # An interview variant's student version is its own (run_check finds it).
            variant = self.unit.id == "08_interview"
            released = None if variant else self.released
            return checking.run_check(
                self.course, self.unit, self.path, released=released, spare=spare
            )
        finally:
            self.prepare()

    def close(self) -> None:
        if self._starting is not None:
            self._starting.join()
        if self._spare is not None:
            self._spare.close()
            self._spare = None


def changes(unit: Unit, before: Any, after: Any) -> list[str]:
    """What differs between two verdicts, a line a part that changed."""
    old = {p.grade_id: p for p in checking.parts_of(before)}
    lines = []
    for part in checking.parts_of(after):
        was = old.get(part.grade_id)
        if was is not None and (was.passed, was.message) == (part.passed, part.message):
            continue
        if part.kind == "written":
            lines.append(f"  todo  {part.grade_id}: {part.message}")
        elif was is None or was.passed != part.passed:
            arrow = f"{was.mark} -> {part.mark}" if was is not None else part.mark
            lines.append(f"  {arrow:<12} {part.grade_id}  {part.points:g}/{part.max_points:g}")
            if not part.passed:
                lines.append(f"        {part.message}")
        else:
            lines.append(f"  still FAIL   {part.grade_id}, now: {part.message}")
    for gid in set(old) - {p.grade_id for p in checking.parts_of(after)}:
        if old[gid].kind == "written":
            lines.append(f"  done  {gid}: answered")
    return lines


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


def watch(
    course: Course,
    unit: Unit,
    path: Path,
    *,
    interval_s: float = 0.5,
    runs: int = 0,
    out: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> int:
    """Check `path` now and after every save until interrupted (or `runs` checks, or
    `stop` is set). Returns the number of checks made."""
    from tradeoffs.learner.commands import LearnerError

    out(f"watching {path}: it is checked on every save (Ctrl-C to stop)")
    checker = WarmChecker(course, unit, path)
    previous: Any = None
    seen: tuple[int, int] | None = None
    done = 0
    try:
        while not (stop is not None and stop.is_set()):
            now = _signature(path)
            if now is not None and now != seen:
                seen = now
                started = time.perf_counter()
                try:
                    verdict = checker.check()
                except LearnerError as exc:
                    out(f"{time.strftime('%H:%M:%S')} {exc}")
                    previous = None
                    continue
                seconds = time.perf_counter() - started
                checking.record(course, unit, path, verdict)
                stamp = time.strftime("%H:%M:%S")
                if previous is None:
                    out(f"{stamp} checked in {seconds:.2f} s")
                    for line in checking.report_lines(unit, verdict):
                        out(line)
                else:
                    lines = changes(unit, previous, verdict)
                    if lines:
                        out(f"{stamp} saved; checked in {seconds:.2f} s:")
                        for line in lines:
                            out(line)
                        out(checking.summary_line(unit, verdict))
                    else:
                        out(f"{stamp} saved; no change ({seconds:.2f} s)")
                previous = verdict
                done += 1
                if runs and done >= runs:
                    break
            if stop is not None:
                stop.wait(interval_s)
            else:
                time.sleep(interval_s)
    finally:
        checker.close()
    return done
