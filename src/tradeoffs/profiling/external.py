"""Two maintained profilers next to the standard ones: memray (memory) and py-spy (time).

memory_profiler, which the course also shows, samples the process's resident memory at
each line and is no longer maintained. **memray** (Bloomberg) records every allocation,
from Python and from C extensions, with its full stack, and reports the peak and which
stacks held memory at that peak: :func:`memray_peak` runs a call under
``memray.Tracker`` and reads the capture back with ``memray.FileReader``.

**py-spy** samples a process's Python stacks from outside it, by reading its memory: the
program runs unmodified and at full speed, which is why it can attach to a live server.
:func:`py_spy_record` runs a Python command under ``py-spy record`` (raw "collapsed
stacks" output) and counts, per function, the samples in which it was running (its own
time) or on the stack (its cumulative time).

Both are optional: without them installed (memray has no Windows build), or where the
operating system forbids reading another process's memory (py-spy needs ptrace rights:
root on macOS, ``ptrace_scope`` on some Linux systems), the functions raise
:class:`ToolUnavailable` saying why.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MemraySite", "MemrayRun", "SpyRun", "ToolUnavailable", "memray_peak", "py_spy_record"]


class ToolUnavailable(RuntimeError):
    """A profiler is not installed or not allowed here; the message says what to do."""


@dataclass(frozen=True)
class MemraySite:
    """Memory held at the peak by allocations made at one place (its innermost frame)."""

    location: str  # "function (file:line)"
    bytes: int
    allocations: int


@dataclass(frozen=True)
class MemrayRun:
    """One call under memray: the peak heap (bytes), allocations made, and the sites that
    held the most memory at the peak (largest first)."""

    peak_bytes: int
    total_allocations: int
    top_sites: tuple[MemraySite, ...]


def memray_peak(fn: Callable[..., Any], *args: Any, top: int = 5, **kwargs: Any) -> MemrayRun:
    """Run ``fn(*args, **kwargs)`` under memray and return its peak and top sites."""
    try:
        import memray
    except ImportError as exc:  # not installed, or no build for this platform
        raise ToolUnavailable(
            f"memray is not installed here ({exc}); pip install memray (Linux and macOS)"
        ) from exc
    with tempfile.TemporaryDirectory(prefix="tradeoffs-memray-") as tmp:
        path = Path(tmp) / "capture.bin"
        with memray.Tracker(path, native_traces=False, trace_python_allocators=True):
            fn(*args, **kwargs)
        reader = memray.FileReader(path)
        peak = int(reader.metadata.peak_memory)
        total = int(reader.metadata.total_allocations)
        held: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
        for record in reader.get_high_watermark_allocation_records(merge_threads=True):
            stack = record.stack_trace(max_stacks=1)
            if stack:
                function, filename, line = stack[0]
                where = f"{function} ({Path(filename).name}:{line})"
            else:
                where = "(no Python frame)"
            held[where][0] += int(record.size)
            held[where][1] += int(record.n_allocations)
        reader.close()
    sites = sorted(held.items(), key=lambda kv: kv[1][0], reverse=True)[:top]
    return MemrayRun(peak, total, tuple(MemraySite(w, b, n) for w, (b, n) in sites))


@dataclass(frozen=True)
class SpyRun:
    """What py-spy saw: samples taken, and per function ("name (file:line)" of its
    definition's frame) the share of samples in which it was running or on the stack."""

    samples: int
    rate_hz: int
    own_share: dict[str, float]
    cumulative_share: dict[str, float]

    def top(self, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` functions with the most own samples, with their shares."""
        return sorted(self.own_share.items(), key=lambda kv: kv[1], reverse=True)[:n]


def _py_spy() -> str:
    exe = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if exe is None:
        raise ToolUnavailable("py-spy is not installed here: pip install py-spy")
    return exe


def _frame_name(frame: str) -> str:
    # py-spy's raw frames look like "dedupe_orders (tradeoffs/labs/report/slow.py:27)".
    name, _, where = frame.rpartition(" (")
    if not name:
        return frame
    return f"{name} ({where.rsplit(':', 1)[0].rsplit('/', 1)[-1]})"


def py_spy_record(argv: Sequence[str], *, rate_hz: int = 200, timeout_s: float = 120.0) -> SpyRun:
    """Run ``python argv...`` (this interpreter) under ``py-spy record`` and count its
    samples per function. Raises :class:`ToolUnavailable` when py-spy is missing or may
    not read the process."""
    exe = _py_spy()
    with tempfile.TemporaryDirectory(prefix="tradeoffs-py-spy-") as tmp:
        out = Path(tmp) / "stacks.txt"
        cmd = [exe, "record", "--format", "raw", "--rate", str(int(rate_hz)), "--output", str(out)]
        cmd += ["--nonblocking", "--", sys.executable, *argv]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"py-spy did not finish within {timeout_s:g} s") from exc
        if proc.returncode != 0 or not out.exists():
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise ToolUnavailable(
                "py-spy could not sample the process (it needs permission to read another "
                "process's memory: sudo on macOS, or kernel.yama.ptrace_scope on Linux): "
                + " | ".join(detail)
            )
        own: collections.Counter[str] = collections.Counter()
        cumulative: collections.Counter[str] = collections.Counter()
        samples = 0
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = [_frame_name(f) for f in stack.split(";")]
            samples += n
            own[frames[-1]] += n
            for name in set(frames):
                cumulative[name] += n
    if samples == 0:
        raise RuntimeError("py-spy took no sample: the program ended too soon")
    return SpyRun(
        samples,
        int(rate_hz),
        {k: v / samples for k, v in own.items()},
        {k: v / samples for k, v in cumulative.items()},
    )
