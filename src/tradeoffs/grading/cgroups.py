"""Control groups: total limits on everything a submission starts, and readings from outside.

A submission's processes all go into one control group, so its memory (tmpfs files
included), process count and CPU time are limited and measured together, however many
processes or threads it starts: a per-process rlimit cannot do that. Both cgroup layouts
are handled: the unified hierarchy (v2, `/sys/fs/cgroup` with `memory.max`) and the
legacy per-controller one (v1, `/sys/fs/cgroup/memory/...`), which some machines still
mount. Creating groups needs root; without them `available()` is False and the grader
falls back to per-process rlimits, saying so loudly.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "tradeoffs-grading"
_V1 = ("memory", "pids", "cpuacct", "freezer")


def _write(path: Path, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


def _read(path: Path) -> str:
    with open(path) as fh:
        return fh.read()


def layout() -> str | None:
    """ "v2", "v1" or None (no usable control groups here)."""
    if os.geteuid() != 0:
        return None
    controllers = ROOT / "cgroup.controllers"
    if controllers.is_file():
        have = set(_read(controllers).split())
        if {"memory", "pids", "cpu"} <= have:
            return "v2"
    if all((ROOT / c).is_dir() for c in _V1):
        return "v1"
    return None


@functools.cache
def available() -> bool:
    """True when this process can make, fill and remove a control group here (a layout
    can be mounted yet read-only or undelegated, as in many containers)."""
    if layout() is None:
        return False
    try:
        probe = Group(f"probe-{os.getpid()}", memory_bytes=64 * 1024 * 1024, pids=8)
    except OSError:
        return False
    probe.remove()
    return True


class Group:
    """One submission's control group (one folder per controller under v1)."""

    def __init__(self, name: str, *, memory_bytes: int, pids: int) -> None:
        kind = layout()
        if kind is None:
            raise RuntimeError("control groups are not available on this machine")
        self.kind = kind
        self.name = name
        self.dirs: dict[str, Path] = {}
        if kind == "v2":
            parent = ROOT / PARENT
            parent.mkdir(exist_ok=True)
            with contextlib.suppress(OSError):
                _write(parent / "cgroup.subtree_control", "+memory +pids +cpu")
            folder = parent / name
            folder.mkdir(exist_ok=True)
            self.dirs = {c: folder for c in ("memory", "pids", "cpu", "freezer")}
            _write(folder / "memory.max", str(memory_bytes))
            with contextlib.suppress(OSError):
                _write(folder / "memory.swap.max", "0")
            _write(folder / "pids.max", str(pids))
        else:
            for controller in _V1:
                folder = ROOT / controller / PARENT / name
                folder.mkdir(parents=True, exist_ok=True)
                self.dirs[controller] = folder
            memory = self.dirs["memory"]
            _write(memory / "memory.limit_in_bytes", str(memory_bytes))
            with contextlib.suppress(OSError):
                _write(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))
            _write(self.dirs["pids"] / "pids.max", str(pids))

    def procs_files(self) -> list[str]:
        """The `cgroup.procs` files a starting process writes its pid into."""
        return sorted({str(d / "cgroup.procs") for d in self.dirs.values()})

    def pids(self) -> list[int]:
        try:
            text = _read(self.dirs["pids"] / "cgroup.procs")
        except OSError:
            return []
        return [int(p) for p in text.split()]

    # ------------------------------------------------------------------ control

    def freeze(self, frozen: bool = True) -> None:
        if self.kind == "v2":
            _write(self.dirs["freezer"] / "cgroup.freeze", "1" if frozen else "0")
        else:
            _write(self.dirs["freezer"] / "freezer.state", "FROZEN" if frozen else "THAWED")
        if frozen:  # the freezer works asynchronously: wait until it holds
            for _ in range(200):
                if self.frozen():
                    return
                time.sleep(0.005)

    def frozen(self) -> bool:
        if self.kind == "v2":
            return "frozen 1" in _read(self.dirs["freezer"] / "cgroup.events")
        return _read(self.dirs["freezer"] / "freezer.state").strip() == "FROZEN"

    def kill(self) -> None:
        """SIGKILL everything in the group, including what it forks meanwhile."""
        if self.kind == "v2" and (self.dirs["memory"] / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                _write(self.dirs["memory"] / "cgroup.kill", "1")
        for _ in range(100):
            pids = self.pids()
            if not pids:
                return
            with contextlib.suppress(OSError):
                self.freeze(True)
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                self.freeze(False)
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill()
        for folder in sorted(set(self.dirs.values()), key=lambda p: -len(p.parts)):
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)

    # ------------------------------------------------------------------ readings

    def memory_bytes(self) -> int:
        name = "memory.current" if self.kind == "v2" else "memory.usage_in_bytes"
        return int(_read(self.dirs["memory"] / name))

    def reset_memory_peak(self) -> None:
        if self.kind == "v2":
            with contextlib.suppress(OSError):
                _write(self.dirs["memory"] / "memory.peak", "0")
        else:
            _write(self.dirs["memory"] / "memory.max_usage_in_bytes", "0")

    def memory_peak_bytes(self) -> int:
        name = "memory.peak" if self.kind == "v2" else "memory.max_usage_in_bytes"
        return int(_read(self.dirs["memory"] / name))

    def cpu_seconds(self) -> float:
        if self.kind == "v2":
            for line in _read(self.dirs["cpu"] / "cpu.stat").splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) / 1e6
            return 0.0
        return int(_read(self.dirs["cpuacct"] / "cpuacct.usage")) / 1e9

    def oom_kills(self) -> int:
        """How many processes of the group the kernel killed for its memory limit."""
        try:
            if self.kind == "v2":
                text = _read(self.dirs["memory"] / "memory.events")
            else:
                text = _read(self.dirs["memory"] / "memory.oom_control")
        except OSError:
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
        return 0

    def oom_killed(self) -> bool:
        """True when the kernel killed a process of the group for its memory limit."""
        return self.oom_kills() > 0

    def pids_limited(self) -> bool:
        """True when a fork was refused because the group hit its process limit."""
        try:
            text = _read(self.dirs["pids"] / "pids.events")
        except OSError:
            return False
        return any(line.startswith("max ") and line.split()[1] != "0" for line in text.splitlines())
