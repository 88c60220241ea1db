"""Where a learner's code runs when it is graded: a sandboxed worker process.

With bubblewrap installed and the grader running as root, the worker (see `worker`) runs:

- in its own PID, network, IPC and UTS namespaces: no network at all, no view of other
  processes;
- on a read-only, minimal view of the system: `/usr`, `/etc`, the interpreter, the
  virtual environment and the package's own source, nothing else (no home folders, no
  course checkout, no submissions, no grader output);
- with one writable place, a sized tmpfs at `/tmp` (its working folder is `/tmp/work`), so
  its disk use is bounded and counted as memory;
- as an unprivileged user id of its own, with no capabilities;
- in a control group of its own (`cgroups`) that caps the memory and the number of
  processes of everything it starts, measures its CPU time, and lets the grader freeze or
  kill all of it at once; per-process rlimits stay as a backstop.

It talks to the grader only over a socket inherited as a file descriptor: there is no
kernelspec, connection file or log that it could rewrite for the grader to read later.

Without bubblewrap or root the worker runs as a plain child process with rlimits only;
`sandbox_status()` says so and `tradeoffs grade` prints it loudly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from dataclasses import dataclass, fields
from pathlib import Path

from tradeoffs.grading import cgroups

UID_BASE = 61000
UID_COUNT = 4000
_CLAIMS = Path("/run/tradeoffs-grading")


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission."""

    cell_timeout_s: float = 60.0  # one cell, or one test, from start to end
    submission_timeout_s: float = 600.0  # the whole submission
    memory_mb: int = 2048  # everything the submission runs, together
    cpu_s: int = 900  # CPU seconds per process (a backstop)
    processes: int = 64  # processes and threads, together
    disk_mb: int = 256  # the writable tmpfs (counted as memory too)
    output_bytes: int = 32 * 1024 * 1024  # every byte the learner's process sends
    message_bytes: int = 16 * 1024 * 1024  # one message
    output_chars_per_cell: int = 200_000  # kept in the autograded notebook, per cell
    output_chars_total: int = 2_000_000  # kept in the autograded notebook, in all

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not value > 0:
                raise ValueError(f"{f.name} must be positive, got {value!r}")


def sandbox_tool() -> str | None:
    """Path of bubblewrap (`bwrap`) if installed, else None."""
    return shutil.which("bwrap")


def can_isolate() -> bool:
    """True when workers can run in a bubblewrap sandbox as an unprivileged user."""
    return (
        sandbox_tool() is not None
        and shutil.which("setpriv") is not None
        and hasattr(os, "geteuid")
        and os.geteuid() == 0
    )


def sandbox_status() -> str:
    """What the instructor must know about how submissions are isolated here."""
    if can_isolate():
        line = "sandbox: bubblewrap (no network, minimal read-only system, own uid, sized /tmp)"
        if cgroups.available():
            return line + f", control group ({cgroups.layout()}: total memory, processes, CPU)"
        return (
            line + ". WARNING: no control groups here: memory is limited per process and the "
            "process count per user only; a submission can use several times the memory limit"
        )
    if sandbox_tool() is None:
        why = "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    else:
        why = "the grader is not running as root, which the sandbox's own-uid setup needs"
    return (
        f"WARNING: NO SANDBOX: {why}. Submissions run with resource limits only and can "
        "read your files and use the network. Grade untrusted work only where bubblewrap runs."
    )


# ---------------------------------------------------------------------- user ids


class UidClaim:
    """An unprivileged uid held by this process for one sandbox, released on close."""

    def __init__(self) -> None:
        _CLAIMS.mkdir(mode=0o700, parents=True, exist_ok=True)
        start = (os.getpid() * 7) % UID_COUNT
        for offset in range(UID_COUNT):
            uid = UID_BASE + (start + offset) % UID_COUNT
            path = _CLAIMS / str(uid)
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                if self._stale(path):
                    with contextlib.suppress(OSError):
                        path.unlink()
                continue
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            self.uid, self.path = uid, path
            return
        raise RuntimeError("no free sandbox user id")

    @staticmethod
    def _stale(path: Path) -> bool:
        try:
            pid = int(path.read_text() or "0")
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError):
            return True
        except (OSError, PermissionError):
            return False
        return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


# ---------------------------------------------------------------------- command lines


_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


def _visible_paths(extra: list[Path]) -> list[Path]:
    """What the worker needs: the interpreter, the virtual environment, the package."""
    import tradeoffs

    package_root = Path(tradeoffs.__file__).resolve().parents[1]
    paths = [Path(sys.base_prefix), Path(sys.prefix), package_root, *extra]
    # Other import folders only where they belong to an installation (never the grader's
    # working folder, which may be the course checkout).
    prefixes = (Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve())
    for entry in sys.path:
        if (
            entry
            and Path(entry).is_dir()
            and any(Path(entry).resolve().is_relative_to(p) for p in prefixes)
        ):
            paths.append(Path(entry))
    out: list[Path] = []
    for path in paths:
        path = path.resolve()
        if not path.exists() or any(path.is_relative_to(s) for s in map(Path, _SYSTEM)):
            continue
        if any(path.is_relative_to(o) for o in out):
            continue
        out = [o for o in out if not o.is_relative_to(path)] + [path]
    return sorted(out, key=lambda p: len(p.parts))


def _shared_store() -> Path | None:
    """The course's store of slow deterministic results (`tradeoffs.labs._store`), shown to
    the sandbox read-only so that a fixture need not be computed again in every run."""
    from tradeoffs.labs._store import store_dir

    path = store_dir()
    return path.resolve() if path.is_dir() else None


def worker_command(fd: int) -> list[str]:
    """The worker itself, reading requests from file descriptor `fd`."""
    return [sys.executable, "-P", "-m", "tradeoffs.grading.worker", "--fd", str(fd)]


def environment() -> dict[str, str]:
    """The worker's whole environment inside the sandbox."""
    python = Path(sys.executable)
    return {
        "PATH": f"{python.parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp/home",
        "IPYTHONDIR": "/tmp/home/.ipython",
        "MPLCONFIGDIR": "/tmp/home/.matplotlib",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "VIRTUAL_ENV": sys.prefix,
    }


def sandboxed_command(
    inner: list[str], limits: Limits, uid: int, visible: list[Path], group: cgroups.Group | None
) -> list[str]:
    """`inner` run under prlimit, in bubblewrap, as `uid`, inside `group`."""
    prlimit = [
        "prlimit",
        f"--as={limits.memory_mb * 1024 * 1024}",
        f"--cpu={limits.cpu_s}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.disk_mb * 1024 * 1024}",
        "--nofile=1024",
        "--core=0",
        "--",
    ]
    bwrap = [
        str(sandbox_tool()),
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
    ]
    for system in _SYSTEM:
        path = Path(system)
        if path.is_symlink():
            bwrap += ["--symlink", os.readlink(path), system]
        elif path.is_dir():
            bwrap += ["--ro-bind", system, system]
    bwrap += ["--dev", "/dev", "--proc", "/proc"]
    # POSIX shared memory and semaphores (multiprocessing, joblib): a small tmpfs.
    bwrap += ["--size", str(64 * 1024 * 1024), "--perms", "1777", "--tmpfs", "/dev/shm"]
    bwrap += ["--size", str(limits.disk_mb * 1024 * 1024), "--perms", "1777", "--tmpfs", "/tmp"]
    bwrap += ["--dir", "/tmp/work", "--dir", "/tmp/home"]
    made: set[Path] = set()
    shared = _shared_store()
    for path in [*_visible_paths(visible), *([shared] if shared else [])]:
        # bubblewrap makes missing parent folders 0700: make them traversable first (also
        # inside the sandbox's own /tmp, for a checkout or store that lives under /tmp).
        for parent in reversed(path.parents):
            skip = parent in (Path("/"), Path("/tmp")) or parent in made
            if not skip and not any(parent.is_relative_to(s) for s in map(Path, _SYSTEM)):
                bwrap += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        bwrap += ["--ro-bind", str(path), str(path)]
    bwrap += ["--chdir", "/tmp/work", "--clearenv"]
    for key, value in environment().items():
        bwrap += ["--setenv", key, value]
    if shared is not None:
        bwrap += ["--setenv", "TRADEOFFS_CACHE_DIR", str(shared)]
    bwrap += ["--chmod", "0777", "/tmp/work", "--chmod", "0777", "/tmp/home"]
    setpriv = [
        "setpriv",
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
        "--",
    ]
    command = prlimit + bwrap + setpriv + inner
    if group is None:
        return command
    # Join the control group before anything else runs, then become the sandbox.
    script = 'for f in $TRADEOFFS_CGROUP_PROCS; do echo $$ > "$f"; done; exec "$@"'
    return ["/bin/sh", "-c", script, "sh", *command]


def plain_command(inner: list[str], limits: Limits) -> list[str]:
    """`inner` with rlimits only (no sandbox)."""
    if shutil.which("prlimit") is None:
        return inner
    return [
        "prlimit",
        f"--as={limits.memory_mb * 1024 * 1024}",
        f"--cpu={limits.cpu_s}",
        "--core=0",
        "--",
        *inner,
    ]
