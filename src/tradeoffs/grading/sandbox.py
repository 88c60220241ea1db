"""Where a submission's code runs when it is graded: a sandboxed Jupyter kernel.

The kernel process runs under bubblewrap when it is installed: its own PID, network and IPC
namespaces (no network at all), a read-only view of the system in which the course
checkout, the submissions, the grader's output and every home folder are hidden (only the
package's `src/` and the virtual environment are bound back, read-only), a private /tmp,
and an unprivileged user id. Resource limits (address space, CPU seconds, processes, file
size) are set with `prlimit` and hold with or without the sandbox. The grader talks to the
kernel over Unix sockets in the job's own folder, the only writable place it shares.

Without bubblewrap the same limits apply but the kernel can see and reach what the grader
can: `sandbox_status()` says so, and `tradeoffs grade` prints it loudly.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

SANDBOX_UID_BASE = 61000  # unprivileged ids, one per grading worker process


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's kernel."""

    cell_timeout_s: float = 60.0
    submission_timeout_s: float = 600.0
    memory_mb: int = 2048
    cpu_s: int = 900
    processes: int = 64
    file_size_mb: int = 64
    output_chars_per_cell: int = 20_000
    output_chars_total: int = 200_000

    def __post_init__(self) -> None:
        for name in ("cell_timeout_s", "submission_timeout_s", "memory_mb", "cpu_s", "processes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")


def sandbox_tool() -> str | None:
    """Path of bubblewrap (`bwrap`) if installed, else None."""
    return shutil.which("bwrap")


def can_isolate() -> bool:
    """True when kernels can run in a bubblewrap sandbox as an unprivileged user."""
    return (
        sandbox_tool() is not None
        and shutil.which("setpriv") is not None
        and hasattr(os, "geteuid")
        and os.geteuid() == 0
    )


def sandbox_status() -> str:
    """One line for the instructor: how submissions will be isolated here."""
    if can_isolate():
        return "sandbox: bubblewrap (no network, read-only system, hidden course files, own uid)"
    if sandbox_tool() is None:
        why = "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    else:
        why = "the grader is not running as root, which the sandbox's own-uid setup needs"
    return (
        f"WARNING: NO SANDBOX: {why}. Submissions run with resource limits only and can "
        "read your files and use the network. Grade untrusted work only where bubblewrap runs."
    )


def _hidden_paths(extra: list[Path]) -> list[Path]:
    """Folders the kernel must not see, outermost first."""
    candidates = [Path.home(), Path("/home"), Path("/root"), *extra]
    seen: list[Path] = []
    for path in candidates:
        path = path.resolve()
        if path.exists() and path != Path("/") and path not in seen:
            seen.append(path)
    return sorted(seen, key=lambda p: len(p.parts))


def _visible_paths(extra: list[Path]) -> list[Path]:
    """What the kernel needs to run: the interpreter, the virtual environment, the package."""
    import tradeoffs

    package_root = Path(tradeoffs.__file__).resolve().parents[1]
    paths = [Path(sys.base_prefix), Path(sys.prefix), package_root, *extra]
    out: list[Path] = []
    for path in paths:
        path = path.resolve()
        if path.exists() and path not in out:
            out.append(path)
    return out


def kernel_argv(
    limits: Limits, jobdir: Path, hide: list[Path], visible: list[Path], uid: int
) -> list[str]:
    """The command line that starts a limited (and, where possible, sandboxed) kernel.

    `hide`: folders to cover with an empty tmpfs (the course checkout, the submissions,
    the output folder); `visible`: folders to bind back read-only inside a hidden one (the
    package source, the virtual environment). `{connection_file}` is filled in by Jupyter.
    """
    python = sys.executable
    prlimit = [
        "prlimit",
        f"--as={limits.memory_mb * 1024 * 1024}",
        f"--cpu={limits.cpu_s}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.file_size_mb * 1024 * 1024}",
        "--core=0",
        "--",
    ]
    kernel = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if not can_isolate():
        return prlimit + kernel
    bwrap = [
        str(sandbox_tool()),
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--perms",
        "1777",
        "--tmpfs",
        "/tmp",
    ]
    for path in _hidden_paths(hide):
        bwrap += ["--tmpfs", str(path)]
    for path in _visible_paths(visible):
        bwrap += ["--ro-bind", str(path), str(path)]
    # The job folder: connection file, Unix sockets and the kernel's working directory.
    bwrap += ["--bind", str(jobdir), str(jobdir), "--chdir", str(jobdir), "--clearenv"]
    env = {
        "PATH": f"{Path(python).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "IPYTHONDIR": "/tmp/.ipython",
        "MPLCONFIGDIR": "/tmp/.matplotlib",
        "MPLBACKEND": "Agg",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    for key, value in env.items():
        bwrap += ["--setenv", key, value]
    setpriv = [
        "setpriv",
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        # Read what the mounts show even where a folder on the way (e.g. /root, which holds
        # the interpreter on some machines) is closed to other users; writing stays denied.
        "--inh-caps=-all,+dac_read_search",
        "--ambient-caps=+dac_read_search",
        "--bounding-set=-all,+dac_read_search",
        "--",
    ]
    return prlimit + bwrap + setpriv + kernel


def write_kernelspec(specdir: Path, argv: list[str]) -> str:
    """Write a kernelspec that runs `argv`; return its name."""
    name = "tradeoffs-grading"
    folder = specdir / name
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": argv,
        "display_name": "Python 3 (grading)",
        "language": "python",
        # Signals cannot cross into the sandbox's PID namespace: interrupt by message.
        "interrupt_mode": "message",
        "env": {"MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return name


def worker_uid() -> int:
    """An unprivileged uid for this worker process, so process limits count per worker."""
    return SANDBOX_UID_BASE + os.getpid() % 4000
