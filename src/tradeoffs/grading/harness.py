"""The trusted harness: runs a notebook's tests in the grader's process, against proxies.

A graded notebook (see `assemble`) runs in two processes at once:

    learner process (sandboxed)             harness (this process)
      given cells, answer cells,              given cells (its own trusted copy),
      the learner's own cells                 test cells (master copy, hidden parts kept)

A test cell's code runs here, in a namespace that holds the given cells' names and, for
any other name it reads, a proxy of what the learner's process binds to that name
(`HarnessNamespace`). Calls through a proxy carry plain data both ways, so every value a
test compares is a real builtin or numpy value made on this side, every comparison is made
by this side's code, and a test's source never enters the learner's process. Speed and
memory are measured here from outside the learner's process (`Measurements`).

The verdict of a test cell is this side's: it passed when its code ran to the end without
raising; a number as its last expression is partial credit (nbgrader's rule); nothing the
learner's process prints or reports can change it.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import math
import numbers
import statistics
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tradeoffs.checks import _context
from tradeoffs.checks.equality import CheckFailed
from tradeoffs.checks.wire import NotPlain
from tradeoffs.grading import remote
from tradeoffs.grading.assemble import BOTH, HARNESS, LEARNER, Assembled, Step, trusted_names
from tradeoffs.grading.process import CRASH, OOM, TIMEOUT, CellOutcome, LearnerProcess, Lost
from tradeoffs.grading.sandbox import Limits

_context.is_remote = remote.is_remote  # the checks can tell a proxy without importing us

# Verdicts of a test.
PASSED, FAILED = "passed", "failed"
IN_KERNEL = "in-kernel"  # graded by running the test in the learner's process (forgeable)


@dataclass
class TestResult:
    """The harness's verdict on one test cell."""

    grade_id: str
    status: str  # passed | failed | timeout | oom | limit | crash
    points: float
    max_points: float
    message: str = ""  # for the learner (never shows hidden test code)
    detail: str = ""  # for the instructor: the full traceback on the harness side
    hidden_failed: bool = False
    graded_by: str = "harness"  # or "kernel" when it could only be graded in-kernel


@dataclass
class RunResult:
    """Everything one notebook run produced."""

    tests: dict[str, TestResult] = field(default_factory=dict)
    cells: dict[int, str] = field(default_factory=dict)  # index -> ok|error|timeout|...
    cell_messages: dict[int, str] = field(default_factory=dict)
    outputs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # What the learner's code printed during a test's calls, by test cell: kept apart, since
    # it may show a hidden test's inputs.
    call_outputs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    restarts: int = 0
    seconds: float = 0.0
    timed_out: bool = False


class _MissingName(KeyError):
    pass


class HarnessNamespace(dict[str, Any]):
    """The test cells' globals. A name that the harness's own cells did not bind is looked
    up in the learner's process (and comes back as a plain copy or a proxy); binding or
    deleting such a name from a test binds or deletes it there too, as in a kernel."""

    def __init__(self, harness: Harness, trusted: set[str]) -> None:
        super().__init__()
        self.harness = harness
        self.trusted = trusted
        self.learner_names: set[str] = set()  # names currently mirrored from the learner
        self.ever_learner: set[str] = set()

    def __missing__(self, name: str) -> Any:
        if (
            name in self.trusted
            or name.startswith("_")
            or hasattr(builtins, name)
            or not self.harness.learner_alive()
        ):
            raise _MissingName(name)
        try:
            value = self.harness.learner.fetch(name)
        except NameError:
            raise _MissingName(name) from None
        dict.__setitem__(self, name, value)
        self.learner_names.add(name)
        self.ever_learner.add(name)
        return value

    def __setitem__(self, name: str, value: Any) -> None:
        if name in self.ever_learner and name not in self.trusted:
            self.harness.learner.bind(name, value)
            self.learner_names.add(name)
        dict.__setitem__(self, name, value)

    def __delitem__(self, name: str) -> None:
        if name not in self and name not in self.trusted:
            with contextlib.suppress(KeyError):
                self[name]  # a learner's name deleted before any test read it
        if name in self.ever_learner and name not in self.trusted:
            self.harness.learner.unbind(name)
            self.learner_names.discard(name)
        dict.__delitem__(self, name)

    def forget(self, names: list[str]) -> None:
        """The learner rebound these names: look them up afresh next time."""
        for name in names:
            if name in self.learner_names:
                self.learner_names.discard(name)
                dict.pop(self, name, None)


def _ipython_stub() -> Any:
    class Shell:
        """Given cells' magics (`%matplotlib inline`, `%load_ext`) do nothing here."""

        def run_line_magic(self, *args: Any, **kwargs: Any) -> None:
            return None

        def run_cell_magic(self, *args: Any, **kwargs: Any) -> None:
            return None

        def system(self, *args: Any, **kwargs: Any) -> None:
            return None

        def getoutput(self, *args: Any, **kwargs: Any) -> list[str]:
            return []

    shell = Shell()
    return lambda: shell


def _python(source: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return str(TransformerManager().transform_cell(source))
    except Exception:
        return source


class Harness:
    """Runs one assembled notebook: learner cells in a learner process, tests here."""

    def __init__(
        self,
        assembled: Assembled,
        limits: Limits,
        *,
        sandbox: bool | None = None,
        visible: list[Path] | None = None,
        files: dict[str, bytes] | None = None,
        in_kernel_fallback: bool = False,
        on_step: Any = None,
        cwd: Path | None = None,
        spare: LearnerProcess | None = None,
    ) -> None:
        self.assembled = assembled
        self.spare = spare  # a learner process started ahead of time, used first
        self.cwd = cwd
        self.limits = limits
        self.sandbox = sandbox
        self.visible = visible or []
        self.files = files or {}
        self.in_kernel_fallback = in_kernel_fallback
        self.on_step = on_step
        self.learner: LearnerProcess = None  # type: ignore[assignment]
        self.ns = HarnessNamespace(self, trusted_names(assembled.steps))
        self.ns["__name__"] = "__harness__"
        self.ns["__builtins__"] = builtins
        self.ns["get_ipython"] = _ipython_stub()
        self.ns["open"] = self._open
        self.workdir: Path | None = None
        self.result = RunResult()
        self.replayable: list[Step] = []  # learner cells that ran, to replay after a restart
        self.position = -1
        self._reference: LearnerProcess | None = None
        self._reference_upto = -1
        self.started = 0.0

    # ------------------------------------------------------------------ processes

    def learner_alive(self) -> bool:
        return self.learner is not None and self.learner.alive

    def _new_learner(self) -> LearnerProcess:
        spare, self.spare = self.spare, None
        if spare is not None and spare.alive and spare.cwd == self.cwd:
            learner = spare
        else:
            if spare is not None:
                spare.close()
            learner = LearnerProcess(
                self.limits,
                sandbox=self.sandbox,
                visible=self.visible,
                cwd=self.cwd,
                label="the learner's code",
            ).start()
        learner.on_rebound = self.ns.forget
        if self.files:
            learner.deadline = time.monotonic() + self.limits.cell_timeout_s
            learner.exec_cell(_write_files_source(self.files), self.limits.cell_timeout_s)
        return learner

    def _restart(self) -> bool:
        """A fresh learner process with the cells that ran before replayed; False if the
        replay itself cannot finish."""
        if self.learner is not None:
            self.learner.close()
        self.result.restarts += 1
        self.ns.learner_names.clear()
        for name in list(self.ns.ever_learner):
            if name not in self.ns.trusted:
                dict.pop(self.ns, name, None)
        try:
            self.learner = self._new_learner()
            for step in self.replayable:
                self.learner.deadline = time.monotonic() + self.limits.cell_timeout_s
                self.learner.exec_cell(step.source, self.limits.cell_timeout_s)
        except Lost:
            return False
        return True

    def close(self) -> None:
        for proc in (self.learner, self._reference):
            if proc is not None:
                proc.close()

    # ------------------------------------------------------------------ running

    def run(self) -> RunResult:
        """Run every step; the harness's own code runs in a private folder of its own."""
        import os
        import shutil
        import tempfile

        self.started = time.monotonic()
        self.workdir = Path(tempfile.mkdtemp(prefix="tradeoffs-harness-"))
        for name, data in self.files.items():
            target = self.workdir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        try:
            previous = os.getcwd()
        except FileNotFoundError:  # the folder this process was in is gone
            previous = "/"
        os.chdir(self.workdir)
        try:
            return self._run()
        finally:
            os.chdir(previous)
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _run(self) -> RunResult:
        _context.current = self
        try:
            self.learner = self._new_learner()
            for step in self.assembled.steps:
                self.position = step.index
                if self._out_of_time():
                    self._skip(step, TIMEOUT, "the notebook ran out of time before this cell")
                    continue
                if step.runs_in == BOTH and self._self_contained(step):
                    # Neither copy needs the other: run them at the same time.
                    worker = threading.Thread(target=self._run_learner_cell, args=(step,))
                    worker.start()
                    self._run_harness_cell(step, concurrent=True)
                    worker.join()
                    if self.on_step is not None:
                        self.on_step(step)
                    continue
                if step.runs_in in (LEARNER, BOTH):
                    self._run_learner_cell(step)
                if step.runs_in == BOTH or (step.runs_in == HARNESS and step.kind == "given"):
                    self._run_harness_cell(step)
                elif step.runs_in == HARNESS:
                    self._run_test(step)
                if self.on_step is not None:
                    self.on_step(step)
        except Lost as exc:  # the learner process could not even start
            for step in self.assembled.steps:
                if step.kind == "test" and step.grade_id not in self.result.tests:
                    self._skip(step, exc.status, f"the learner's process failed: {exc.message}")
        finally:
            _context.current = None
            self.close()
        self.result.seconds = time.monotonic() - self.started
        return self.result

    def _out_of_time(self) -> bool:
        if time.monotonic() - self.started > self.limits.submission_timeout_s:
            self.result.timed_out = True
            return True
        return False

    def _deadline(self) -> float:
        end = self.started + self.limits.submission_timeout_s
        return min(time.monotonic() + self.limits.cell_timeout_s, end)

    def _skip(self, step: Step, status: str, message: str) -> None:
        self.result.cells[step.index] = status
        self.result.cell_messages[step.index] = message
        if step.kind == "test" and step.grade_id:
            self.result.tests[step.grade_id] = TestResult(
                step.grade_id, status, 0.0, step.points, message
            )

    def _run_learner_cell(self, step: Step) -> None:
        if not self.learner_alive() and not self._restart():
            self._skip(step, CRASH, "the learner's process could not be restarted")
            return
        self.learner.deadline = self._deadline()
        kills = self.learner.oom_kills()
        try:
            outcome = self.learner.exec_cell(step.source, self.limits.cell_timeout_s)
        except Lost as exc:
            self.result.cells[step.index] = exc.status
            self.result.cell_messages[step.index] = exc.message
            self.result.outputs[step.index] = [_note(f"[{exc.status}] {exc.message}")]
            self._restart()
            return
        finally:
            self.learner.deadline = None
        self.result.cells[step.index] = "ok" if outcome.ok else "error"
        if any(o.get("ename") == "MemoryError" for o in outcome.outputs):
            self.result.cells[step.index] = OOM
        if self.learner.oom_kills() > kills:
            self.result.cells[step.index] = OOM
            self.result.cell_messages[step.index] = (
                "a process of this cell was killed: the submission went over its memory limit"
            )
        self.result.outputs[step.index] = outcome.outputs
        self.ns.forget([*outcome.rebound, *outcome.deleted])
        self.replayable.append(step)
        error = _first_error(outcome)
        if error:
            self.result.cell_messages[step.index] = error

    def _exec(self, step: Step) -> tuple[Any, str]:
        """Run a cell's code in the harness namespace: (last expression's value, stdout)."""
        tree = ast.parse(_python(step.source), filename=_filename(step))
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)  # type: ignore[attr-defined]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(tree, _filename(step), "exec"), self.ns)
            value = eval(compile(last, _filename(step), "eval"), self.ns) if last else None
        return value, out.getvalue()

    def _self_contained(self, step: Step) -> bool:
        """True when a given cell reads no name the learner's code could define (so its
        trusted copy can run while the learner's copy does)."""
        try:
            tree = ast.parse(_python(step.source))
        except SyntaxError:
            return False
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                known = node.id in self.ns or node.id in self.ns.trusted
                if not known and not hasattr(builtins, node.id):
                    return False
        return True

    def _run_harness_cell(self, step: Step, concurrent: bool = False) -> None:
        """A given cell's trusted copy: its names are for the tests; its errors are only
        reported (the learner's copy of the cell is what the learner sees)."""
        if not concurrent:
            self.learner.deadline = self._deadline()
            self.learner.call_outputs = []
        try:
            self._exec(step)
        except Lost:
            if not concurrent:
                self._restart()
        except Exception:
            pass
        finally:
            if self.learner is not None and not concurrent:
                self.learner.deadline = None

    def _run_test(self, step: Step) -> None:
        assert step.grade_id is not None
        if not self.learner_alive() and not self._restart():
            self._skip(step, CRASH, "the learner's process could not be restarted")
            return
        self.learner.deadline = self._deadline()
        self.learner.call_outputs = []
        kills = self.learner.oom_kills()
        outputs: list[dict[str, Any]] = []
        result: TestResult
        try:
            value, printed = self._exec(step)
            if printed:
                outputs.append(_stream(printed))
            points = step.points
            # nbgrader's partial-credit rule: a number as the cell's value is its score.
            number = isinstance(value, numbers.Real) and not isinstance(value, bool)
            if number and math.isfinite(value) and value >= 0:
                points = min(float(value), step.points)
            status = PASSED if points >= step.points else FAILED
            result = TestResult(step.grade_id, status, points, step.points)
        except Lost as exc:
            result = TestResult(step.grade_id, exc.status, 0.0, step.points, exc.message)
            outputs.append(_note(f"[{exc.status}] {exc.message}"))
            self._restart()
        except (remote.Unsupported, NotPlain) as exc:
            result = self._unsupported(step, exc)
        except BaseException as exc:
            result = self._failure(step, exc)
            outputs.append(_error_output(exc, result))
        finally:
            if self.learner is not None:
                self.learner.deadline = None
        if self.learner is not None and self.learner.oom_kills() > kills:
            result = TestResult(
                step.grade_id,
                OOM,
                0.0,
                step.points,
                "the learner's code went over the memory limit during this test",
            )
        calls = list(getattr(self.learner, "call_outputs", None) or [])
        if calls:
            self.result.call_outputs[step.index] = calls
        self.result.outputs[step.index] = outputs
        self.result.tests[step.grade_id] = result
        self.result.cells[step.index] = "ok" if result.status == PASSED else result.status

    def _failure(self, step: Step, exc: BaseException) -> TestResult:
        frames = traceback.extract_tb(exc.__traceback__)
        lines = [f.lineno for f in frames if f.filename == _filename(step) and f.lineno]
        # Hidden if the failure passed through hidden code anywhere on its way, e.g. a
        # helper defined in the visible part but called from the hidden part.
        hidden = any(step.line_is_hidden(n) for n in lines)
        detail = "".join(traceback.format_exception(exc))
        remote_tb = getattr(exc, "remote_traceback", "")
        if remote_tb:
            detail += "\nIn the learner's process:\n" + remote_tb
        if hidden:
            doc = step.docstring or step.grade_id or "this test"
            message = f"a hidden check failed: {doc}"
        else:
            message = _summary(exc)
        return TestResult(
            step.grade_id or "", FAILED, 0.0, step.points, message, detail, hidden_failed=hidden
        )

    def _unsupported(self, step: Step, exc: BaseException) -> TestResult:
        """A value that could not cross: graded in-kernel when allowed (and marked so)."""
        if self.in_kernel_fallback:
            return self._in_kernel(step, exc)
        result = self._failure(step, exc)
        result.message = (
            f"this test needs a value that cannot cross between processes ({exc}); "
            + result.message
        )
        return result

    def _in_kernel(self, step: Step, why: BaseException) -> TestResult:
        """Run the test cell itself in the learner's process. Its verdict is only as good
        as that process's word: report.json marks it as graded in-kernel (forgeable)."""
        self.learner.deadline = self._deadline()
        try:
            outcome = self.learner.exec_cell(step.source, self.limits.cell_timeout_s)
        except Lost as exc:
            self._restart()
            return TestResult(
                step.grade_id or "", exc.status, 0.0, step.points, exc.message, graded_by="kernel"
            )
        passed = outcome.ok and not any(o.get("output_type") == "error" for o in outcome.outputs)
        message = "" if passed else (step.docstring or "the test failed")
        return TestResult(
            step.grade_id or "",
            PASSED if passed else FAILED,
            step.points if passed else 0.0,
            step.points,
            message,
            detail=f"graded in the learner's process because {why}",
            graded_by="kernel",
        )

    # ------------------------------------------------------------------ files

    def _open(self, file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        """`open` for the harness's cells. A relative path is the learner's file: opened for
        reading, it is fetched from the learner's process (which reads its own folder, so
        no link of the learner's is ever followed here); written, it is sent there when
        closed. Other paths, and other file functions, see the harness's own folder."""
        import os

        if not isinstance(file, str | os.PathLike) or os.path.isabs(file):
            return builtins.open(file, mode, *args, **kwargs)
        local = Path(self.workdir or ".") / os.fspath(file)
        if not local.resolve().is_relative_to(Path(self.workdir or ".").resolve()):
            return builtins.open(file, mode, *args, **kwargs)
        writing = any(c in mode for c in "wax+")
        if self.learner_alive() and ("r" in mode or "+" in mode or "a" in mode):
            data = self.learner.request("read_file", {"path": os.fspath(file)}).get("result")
            if data is not None or not writing:
                local.parent.mkdir(parents=True, exist_ok=True)
                if local.is_symlink():
                    local.unlink()
                if data is not None:
                    local.write_bytes(data)
        handle = builtins.open(local, mode, *args, **kwargs)  # noqa: SIM115  (the caller's)
        if not writing:
            return handle
        return _MirroredFile(handle, lambda: self._push(os.fspath(file), local))

    def _push(self, name: str, local: Path) -> None:
        if self.learner_alive():
            self.learner.request("write_file", {"path": name, "data": local.read_bytes()})

    # ------------------------------------------------------------------ measurements

    def inside(self, factory: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return self.learner.inside(factory, args, kwargs)

    def _reference_process(self) -> LearnerProcess:
        """A clean process that ran only the given cells so far: where references run."""
        if self._reference is None or not self._reference.alive:
            if self._reference is not None:
                self._reference.close()
            self._reference = LearnerProcess(
                self.limits, sandbox=self.sandbox, visible=self.visible, label="the reference"
            ).start()
            self._reference_upto = -1
        ref = self._reference
        for step in self.assembled.steps:
            if self._reference_upto < step.index <= self.position and step.kind == "given":
                ref.deadline = self._deadline()
                ref.exec_cell(step.source, self.limits.cell_timeout_s)
        self._reference_upto = self.position
        ref.deadline = self.learner.deadline
        return ref

    def _place(self, fn: Any, proc: LearnerProcess) -> Any:
        """`fn` as an object of `proc`: a proxy stays, a given cell's function is looked up
        by its name there, a package function crosses by reference."""
        import functools

        if isinstance(fn, remote.Remote):
            if fn._client is proc:
                return fn
            if fn._origin:
                return proc.fetch(fn._origin)
            raise remote.Unsupported("a learner's object that has no name cannot be measured")
        if isinstance(fn, functools.partial):
            return functools.partial(
                self._place(fn.func, proc),
                *[self._place(a, proc) if remote.is_remote(a) else a for a in fn.args],
                **fn.keywords,
            )
        if remote.importable_name(fn) is not None:
            return fn  # crosses by reference: the process imports its own copy
        for name, value in dict.items(self.ns):
            if value is fn and name in self.ns.trusted:
                return proc.fetch(name)
        raise remote.Unsupported(f"{fn!r} is not importable nor defined in a given cell")

    @staticmethod
    def _measured(
        proc: LearnerProcess, fn: Any, args: Any, kwargs: Any, clock: str = "cpu"
    ) -> tuple[float, float]:
        """(CPU seconds spent receiving the arguments, seconds of the call itself), read
        from the kernel's accounting of `proc`'s processes (or, with clock="wall", taken
        around the call here). The arguments cross before the call is timed, so the call's
        time is the function's own."""
        cpu0 = proc.cpu_seconds()
        staged = proc.stage(tuple(args), dict(kwargs))
        cpu1 = proc.cpu_seconds()
        t0 = time.perf_counter()
        proc.measured_call(fn, staged)
        wall = time.perf_counter() - t0
        return cpu1 - cpu0, (wall if clock == "wall" else proc.cpu_seconds() - cpu1)

    @staticmethod
    def _charged(call_s: float, stage_s: float, reference_stage_s: float) -> float:
        """A call's time plus any work done while its arguments were being received beyond
        what receiving them costs the reference process (work started early is charged)."""
        return call_s + max(0.0, stage_s - 1.25 * reference_stage_s - 0.005)

    def speed_ratio(
        self,
        candidate: Any,
        reference: Any,
        inputs: list[tuple[Any, ...]],
        kwargs: dict[str, Any],
        repeats: int,
        warmup: int,
        what: str,
        clock: str = "cpu",
    ) -> tuple[float, float]:
        """Interleaved medians of CPU time per call, read from outside both processes (every
        thread and child of the learner's counts), or of wall time taken here around each
        call (clock="wall", for work that waits rather than computes); the learner's
        processes are frozen while the reference runs, and arguments cross afresh, before
        the clock starts, for every call."""
        learner = self.learner
        ref_proc = self._reference_process()
        cand = self._place(candidate, learner)
        ref = self._place(reference, ref_proc)
        cand_times: list[float] = []
        ref_times: list[float] = []

        def run_reference() -> tuple[float, float]:
            learner.freeze(True)
            try:
                return self._measured(ref_proc, ref, args, kwargs, clock)
            finally:
                learner.freeze(False)

        for i in range(warmup + repeats):
            args = inputs[i % len(inputs)]
            if i % 2 == 0:
                c_stage, c_call = self._measured(learner, cand, args, kwargs, clock)
                r_stage, r_call = run_reference()
            else:
                r_stage, r_call = run_reference()
                c_stage, c_call = self._measured(learner, cand, args, kwargs, clock)
            if i >= warmup:
                cand_times.append(self._charged(c_call, c_stage, r_stage))
                ref_times.append(r_call)
        return statistics.median(cand_times), statistics.median(ref_times)

    def peak_memory(
        self,
        candidate: Any,
        reference: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        what: str,
    ) -> tuple[int, int]:
        """Peak memory of one call each, from the kernel's accounting of a fresh learner
        process (given and answer cells only, so nothing kept from earlier work counts) and
        of the reference process. The arguments arrive before the peak is reset; a learner
        process that spends CPU while they arrive (working out the result early, where the
        peak is not watched) fails the measurement. Test inputs made from
        `checks.fresh_seed()` leave nothing to work out before they arrive."""
        fresh = LearnerProcess(
            self.limits, sandbox=self.sandbox, visible=self.visible, label="the learner's code"
        ).start()
        try:
            for step in self.assembled.steps:
                if step.index > self.position:
                    break
                if step.runs_in in (BOTH, LEARNER) and step.kind in ("given", "answer"):
                    fresh.deadline = self._deadline()
                    fresh.exec_cell(step.source, self.limits.cell_timeout_s)
            fresh.deadline = self._deadline()
            cand = self._place(candidate, fresh)
            ref_proc = self._reference_process()
            ref = self._place(reference, ref_proc)
            readings = []
            for proc, target in ((fresh, cand), (ref_proc, ref)):
                others = [p for p in (fresh, self.learner) if p is not proc]
                for other in others:  # nothing of the learner's runs beside the reference
                    other.freeze(True)
                try:
                    cpu0 = proc.cpu_seconds()
                    staged = proc.stage(tuple(args), dict(kwargs))
                    stage_cpu = proc.cpu_seconds() - cpu0
                    probe = proc.memory_probe()
                    probe.start()
                    proc.measured_call(target, staged)
                    readings.append((stage_cpu, probe.peak_bytes()))
                finally:
                    for other in others:
                        other.freeze(False)
            (c_stage, c_peak), (r_stage, r_peak) = readings
            if c_stage > 2 * r_stage + 0.05:
                raise CheckFailed(
                    f"{what}: the learner's process worked for {c_stage:.2f} s of CPU while "
                    f"the arguments of the measured call were being received (receiving them "
                    f"took the reference {r_stage:.2f} s): its peak memory cannot be measured"
                )
            return c_peak, r_peak
        finally:
            fresh.close()


class _MirroredFile:
    """A file the harness writes; closing it sends its content to the learner's folder."""

    def __init__(self, handle: Any, on_close: Any) -> None:
        self._handle = handle
        self._on_close = on_close

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def write(self, data: Any) -> Any:  # a method of its own keeps the wrapper alive
        return self._handle.write(data)

    def writelines(self, lines: Any) -> None:
        self._handle.writelines(lines)

    def __iter__(self) -> Any:
        return iter(self._handle)

    def __enter__(self) -> _MirroredFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.close()
            self._on_close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


def _filename(step: Step) -> str:
    return f"<test {step.grade_id}>" if step.grade_id else f"<cell {step.index}>"


def _summary(exc: BaseException) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    if isinstance(exc, NotImplementedError) and not text:
        return "NotImplementedError: the answer this test calls is still the stub"
    return f"{name}: {text}" if text else name


def _first_error(outcome: CellOutcome) -> str:
    for out in outcome.outputs:
        if out.get("output_type") == "error":
            return f"{out.get('ename', '')}: {out.get('evalue', '')}"
    return ""


def _stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def _note(text: str) -> dict[str, Any]:
    return _stream(text + "\n")


def _error_output(exc: BaseException, result: TestResult) -> dict[str, Any]:
    """The error output the autograded notebook shows for a failed test (the harness's
    traceback; the feedback page filters it for the learner)."""
    lines = result.detail.rstrip("\n").split("\n") if result.detail else []
    return {
        "output_type": "error",
        "ename": type(exc).__name__,
        "evalue": remote.clip(str(exc), 2000),
        "traceback": lines[-60:],
    }


def _write_files_source(files: dict[str, bytes]) -> str:
    """A cell that writes the assignment's data files into the learner's folder."""
    import base64

    payload = {name: base64.b64encode(data).decode() for name, data in files.items()}
    return (
        "import base64 as _b, os as _o\n"
        f"for _n, _d in {payload!r}.items():\n"
        "    _o.makedirs(_o.path.dirname(_n) or '.', exist_ok=True)\n"
        "    open(_n, 'wb').write(_b.b64decode(_d))\n"
        "del _b, _o, _n, _d\n"
    )


__all__ = ["Harness", "HarnessNamespace", "IN_KERNEL", "RunResult", "TestResult"]
