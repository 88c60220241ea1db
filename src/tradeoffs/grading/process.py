"""The grader's handle on one learner process: start it, run cells in it, call into it.

`LearnerProcess` starts the worker (sandboxed when the machine allows, see `sandbox`),
keeps the socket to it, and turns every request into a call with a deadline. When a
deadline passes, the whole process tree is killed (not interrupted: a learner can ignore
SIGINT, not SIGKILL) and the call raises `Lost`, which says why: timeout, oom, limit or
crash. The grader then starts a fresh process and replays the cells it needs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tradeoffs.grading import cgroups
from tradeoffs.grading.channel import Channel, ChannelClosed, ChannelTimeout
from tradeoffs.grading.remote import (
    HarnessCodec,
    Remote,
    RemoteMethod,
    call_op,
    decode_error,
    encode_error,
)
from tradeoffs.grading.sandbox import (
    Limits,
    UidClaim,
    can_isolate,
    environment,
    plain_command,
    sandboxed_command,
    worker_command,
)

# How a learner process ended, when it ended early.
TIMEOUT, OOM, LIMIT, CRASH = "timeout", "oom", "limit", "crash"


class Lost(RuntimeError):
    """The learner's process is gone: `status` says why (timeout, oom, limit, crash)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class CellOutcome:
    """How one cell ran in the learner's process."""

    ok: bool
    outputs: list[dict[str, Any]] = field(default_factory=list)
    rebound: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


class LearnerProcess:
    """One worker process and the channel to it."""

    def __init__(
        self,
        limits: Limits,
        *,
        sandbox: bool | None = None,
        visible: list[Path] | None = None,
        cwd: Path | None = None,
        label: str = "learner",
    ) -> None:
        self.limits = limits
        self.sandboxed = can_isolate() if sandbox is None else sandbox
        self.visible = visible or []
        self.cwd = cwd
        self.label = label
        self.codec = HarnessCodec(self)
        self._deadline: float | None = None
        self._deadline_span_s = 0.0  # how long the current deadline was when it was set
        self.on_rebound: Any = None  # called with the names a call rebound in the learner
        self.lost: Lost | None = None
        self.group: cgroups.Group | None = None
        self.uid: UidClaim | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._kill_lock = threading.Lock()
        self.started_s = 0.0

    # ------------------------------------------------------------------ life cycle

    def start(self, timeout_s: float = 60.0) -> LearnerProcess:
        t0 = time.monotonic()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        theirs.set_inheritable(True)
        inner = worker_command(theirs.fileno())
        env = dict(os.environ)
        if self.sandboxed:
            self.uid = UidClaim()
            if cgroups.available():
                name = f"{os.getpid()}-{self.uid.uid}"
                self.group = cgroups.Group(
                    name,
                    memory_bytes=self.limits.memory_mb * 1024 * 1024,
                    pids=self.limits.processes,
                )
                env["TRADEOFFS_CGROUP_PROCS"] = " ".join(self.group.procs_files())
            argv = sandboxed_command(inner, self.limits, self.uid.uid, self.visible, self.group)
        else:
            argv = plain_command(inner, self.limits)
            env.update({k: v for k, v in environment().items() if k not in ("PATH", "HOME")})
            env.pop("IPYTHONDIR", None)
            env.pop("MPLCONFIGDIR", None)
        self.proc = subprocess.Popen(
            argv,
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=str(self.cwd) if (self.cwd and not self.sandboxed) else None,
            start_new_session=True,
        )
        theirs.close()
        self.channel = Channel(
            ours,
            self.codec.serve,
            encode_error=encode_error,
            max_frame_bytes=self.limits.message_bytes,
            max_total_bytes=self.limits.output_bytes,
        ).start()
        self.request("ping", {}, timeout=timeout_s)
        self.started_s = time.monotonic() - t0
        return self

    @property
    def alive(self) -> bool:
        return self.lost is None and self.proc is not None and self.proc.poll() is None

    def _status_of_death(self, fallback: str) -> str:
        if self.group is not None and self.group.oom_killed():
            return OOM
        code = self.proc.poll() if self.proc is not None else None
        if code in (-signal.SIGKILL, 137) and self.group is None and not self.sandboxed:
            return OOM
        if code in (-signal.SIGXCPU, 152):
            return TIMEOUT
        return fallback

    def kill(self, status: str = CRASH, message: str = "the learner's process was stopped") -> Lost:
        """Stop every process of the learner's; remember why. Safe to call twice."""
        with self._kill_lock:
            if self.lost is not None:
                return self.lost
            if status == CRASH:
                status = self._status_of_death(CRASH)
            self.lost = Lost(status, message)
            if self.group is not None:
                self.group.kill()
            if self.proc is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=5.0)
            with contextlib.suppress(Exception):
                self.channel.close("stopped")
            return self.lost

    def close(self) -> None:
        if self.lost is None:
            self.kill(CRASH, "closed")
        if self.group is not None:
            self.group.remove()
            self.group = None
        if self.uid is not None:
            self.uid.close()
            self.uid = None

    def __enter__(self) -> LearnerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    @property
    def deadline(self) -> float | None:
        """When the current cell (or test) must be done, on `time.monotonic()`'s clock."""
        return self._deadline

    @deadline.setter
    def deadline(self, when: float | None) -> None:
        self._deadline = when
        self._deadline_span_s = 0.0 if when is None else max(0.0, when - time.monotonic())

    def _limit_text(self, timeout: float | None) -> str:
        """The limit a timed-out request ran into, in seconds, for the message."""
        if self._deadline is None or (timeout is not None and timeout < self._deadline_span_s):
            return f"the time limit of {timeout or 0:.0f} s"
        if self._deadline_span_s < self.limits.cell_timeout_s - 0.5:
            return (
                f"the {self._deadline_span_s:.2g} s left of the whole submission's time limit "
                f"of {self.limits.submission_timeout_s:.0f} s"
            )
        return f"the time limit of {self.limits.cell_timeout_s:.0f} s per cell"

    def _timeout(self, timeout: float | None) -> float | None:
        if self.deadline is None:
            return timeout
        left = max(0.0, self.deadline - time.monotonic())
        return left if timeout is None else min(left, timeout)

    def request(self, op: str, payload: dict[str, Any], *, timeout: float | None = None) -> Any:
        """One request with the current deadline; raises Lost when the process is gone."""
        if self.lost is not None:
            raise self.lost
        try:
            return call_op(self.codec, self.channel, op, payload, self._timeout(timeout))
        except ChannelTimeout:
            limit = self._limit_text(timeout)
            raise self.kill(TIMEOUT, f"no answer within {limit} ({self.label})") from None
        except ChannelClosed as exc:
            if exc.limit:
                raise self.kill(LIMIT, f"the learner's process {exc.reason}") from None
            time.sleep(0.05)  # let the exit status settle
            raise self.kill(CRASH, f"the learner's process died ({exc.reason})") from None

    def exec_cell(self, source: str, timeout_s: float) -> CellOutcome:
        reply = self.request("exec", {"source": source}, timeout=timeout_s)
        if type(reply) is not dict:
            return CellOutcome(False)
        outputs = [o for o in reply.get("outputs", []) if type(o) is dict]
        rebound = [str(n) for n in reply.get("rebound", []) if type(n) is str]
        deleted = [str(n) for n in reply.get("deleted", []) if type(n) is str]
        return CellOutcome(reply.get("ok") is True, outputs, rebound, deleted)

    def fetch(self, name: str) -> Any:
        """The learner's binding of `name`: a plain value (a copy) or a proxy."""
        reply = self.request("fetch", {"name": name})
        value = reply["result"] if type(reply) is dict else None
        if isinstance(value, Remote):
            object.__setattr__(value, "_origin", name)
        return value

    def bind(self, name: str, value: Any) -> None:
        self.request("bind", {"name": name, "value": value})

    def unbind(self, name: str) -> None:
        self.request("unbind", {"name": name})

    def inside(self, factory: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        reply = self.request("inside", {"target": factory, "args": args, "kwargs": kwargs})
        self._collect(reply)
        return reply["result"]

    def op(
        self,
        target: Remote,
        op: str,
        name: str | None = None,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        copyback: bool = True,
    ) -> Any:
        """Forward an operation on a proxy; apply what the call changed in its arguments."""
        payload = {
            "target": target,
            "name": name,
            "args": tuple(args),
            "kwargs": dict(kwargs or {}),
            "copyback": copyback,
        }
        reply = self.request(op, payload)
        if type(reply) is not dict:
            raise decode_error(None)
        for key, value in reply.get("mutated", []) or []:
            original = (
                args[key] if type(key) is int and key < len(args) else (kwargs or {}).get(key)
            )
            _update_in_place(original, value)
        self._collect(reply)
        rebound = reply.get("rebound") or []
        if rebound and self.on_rebound is not None:
            self.on_rebound([str(n) for n in rebound if type(n) is str])
        return reply.get("result")

    # Outputs the learner's code printed during calls, for the test cell that made them.
    call_outputs: list[dict[str, Any]]

    def _collect(self, reply: Any) -> None:
        outputs = reply.get("outputs") if type(reply) is dict else None
        if not outputs:
            return
        sink = getattr(self, "call_outputs", None)
        if sink is not None and len(sink) < 200:
            sink.extend(o for o in outputs if type(o) is dict)

    # ------------------------------------------------------------------ measurement

    def freeze(self, frozen: bool = True) -> None:
        """Stop (or resume) every process of the learner's, so it cannot compete for CPU."""
        if self.group is not None:
            self.group.freeze(frozen)
        elif self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGSTOP if frozen else signal.SIGCONT)

    def oom_kills(self) -> int:
        """Processes of the learner's the kernel has killed for the memory limit so far."""
        return self.group.oom_kills() if self.group is not None else 0

    def cpu_seconds(self) -> float:
        """CPU time used so far by the learner's processes, read from the kernel: the
        control group's total (every process and thread) when there is one, else the sum
        of the worker's threads' scheduler run times (nanosecond resolution)."""
        if self.group is not None:
            return self.group.cpu_seconds()
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for task in Path(f"/proc/{pid}/task").iterdir():
                    with contextlib.suppress(OSError, ValueError, IndexError):
                        total += int((task / "schedstat").read_text().split()[0])
        return total / 1e9

    def pids(self) -> list[int]:
        """The learner's processes: its control group's, else the worker's process tree."""
        if self.group is not None:
            return self.group.pids()
        if self.proc is None:
            return []
        return _descendants(self.proc.pid)

    def stage(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Send the arguments of a measured call ahead; returns their handle."""
        return self.request("stage", {"args": tuple(args), "kwargs": dict(kwargs)})["result"]

    def measured_call(self, target: Any, staged: Any) -> None:
        """Call `target` on staged arguments; nothing comes back but completion."""
        self.request("measured", {"target": target, "staged": staged})

    def memory_probe(self) -> MemoryProbe:
        return MemoryProbe(self)


class MemoryProbe:
    """Peak resident memory of a learner's processes during one call, measured from
    outside: each process's VmHWM (its resident high-water mark, reset first through
    /proc/PID/clear_refs), summed, minus what was resident before. Page-exact, and a child
    process the call starts counts in full."""

    def __init__(self, learner: LearnerProcess) -> None:
        self.learner = learner
        self.before = 0

    @staticmethod
    def _status_kb(pid: int, key: str) -> int:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith(key + ":"):
                        return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return 0

    def start(self) -> None:
        pids = self.learner.pids()
        for pid in pids:
            with contextlib.suppress(OSError), open(f"/proc/{pid}/clear_refs", "w") as fh:
                fh.write("5")
        self.before = sum(self._status_kb(p, "VmRSS") for p in pids) * 1024

    def peak_bytes(self) -> int:
        peak = sum(self._status_kb(p, "VmHWM") for p in self.learner.pids()) * 1024
        return max(0, peak - self.before)


def _descendants(root: int) -> list[int]:
    """`root` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _update_in_place(original: Any, new: Any) -> None:
    """Make the grader's copy of an argument show what the learner's call did to it."""
    import numpy as np

    try:
        if type(original) is list and type(new) is list:
            original[:] = new
        elif (
            type(original) is dict
            and type(new) is dict
            or type(original) is set
            and type(new) is set
        ):
            original.clear()
            original.update(new)
        elif type(original) is np.ndarray and type(new) is np.ndarray:
            if original.shape == new.shape and original.flags.writeable:
                original[...] = new
        elif hasattr(original, "reset") and type(original) is type(new):
            if type(original).__name__ == "HdrHistogram":
                original.reset()
                original.add(new)
        elif hasattr(original, "__dataclass_fields__") and type(original) is type(new):
            for name in original.__dataclass_fields__:
                with contextlib.suppress(AttributeError, TypeError):
                    object.__setattr__(original, name, getattr(new, name))
    except Exception:
        pass


__all__ = ["CellOutcome", "LearnerProcess", "Lost", "RemoteMethod"]
