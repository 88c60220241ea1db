"""Run a load generator (Locust, k6) as a subprocess with a progress bar, and measure the
CPU time it used: the generator shares the machine's cores with the server it loads."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

__all__ = ["ToolRun", "run_tool"]


@dataclass(frozen=True)
class ToolRun:
    """How a generator process ended: exit status, wall time and CPU seconds it used."""

    returncode: int
    wall_s: float
    cpu_s: float


def run_tool(
    cmd: list[str],
    *,
    env: dict[str, str],
    duration_s: float,
    log_path: Path,
    label: str,
    progress: bool = True,
    grace_s: float = 60.0,
) -> ToolRun:
    """Run ``cmd`` (output to ``log_path``) while a bar counts ``duration_s`` seconds.

    The process is reaped with ``os.wait4``, whose resource usage gives its CPU time (user +
    system, children included). A run still going ``grace_s`` after ``duration_s`` is killed
    and raises RuntimeError.
    """
    started = time.monotonic()
    ticks = max(1, round(duration_s * 10))  # tenths of a second
    bar = tqdm(
        total=ticks,
        desc=label,
        disable=not progress,
        bar_format="{desc}: {bar} {percentage:3.0f}% of " + f"{duration_s:g} s",
    )
    with (
        open(log_path, "wb") as log,
        subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env) as proc,
    ):
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    proc.returncode = os.waitstatus_to_exitcode(status)
                    break
                bar.update(min(ticks, int((time.monotonic() - started) * 10)) - bar.n)
                if time.monotonic() - started > duration_s + grace_s:
                    proc.kill()
                    proc.wait()
                    raise RuntimeError(
                        f"{Path(cmd[0]).name} did not stop within {grace_s:g} s of its run time"
                    )
                time.sleep(0.05)
            bar.update(ticks - bar.n)
        finally:
            bar.close()
    return ToolRun(
        returncode=int(proc.returncode),
        wall_s=time.monotonic() - started,
        cpu_s=float(usage.ru_utime + usage.ru_stime),
    )
