"""Execute one submission's notebook cell by cell in a limited, sandboxed kernel.

Unlike a plain nbclient run, a cell that times out, runs out of memory or kills the kernel
does not end the run: the cell gets its own status, the kernel is interrupted or restarted
(replaying the cells that had succeeded, so later parts still have their definitions), and
execution goes on. Outputs are capped per cell and per notebook.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from tradeoffs.grading.sandbox import (
    Limits,
    can_isolate,
    kernel_argv,
    worker_uid,
    write_kernelspec,
)

OK, ERROR, TIMEOUT, OOM, CRASH, SKIPPED = "ok", "error", "timeout", "oom", "crash", "skipped"
TRUNCATED_NOTE = "\n[output truncated by the grader: too much output]\n"


@dataclass
class CellRun:
    """How one code cell's execution ended."""

    status: str = SKIPPED  # ok | error | timeout | oom | crash | skipped
    seconds: float = 0.0
    message: str = ""


@dataclass
class NotebookRun:
    """The executed notebook and how each code cell ended, by cell index."""

    nb: NotebookNode
    cells: dict[int, CellRun] = field(default_factory=dict)
    restarts: int = 0
    seconds: float = 0.0


def _make_client(nb: NotebookNode, km: Any, limits: Limits, jobdir: Path) -> Any:
    from nbclient import NotebookClient

    budget = {"total": limits.output_chars_total}
    truncated: set[int] = set()

    class _CappedClient(NotebookClient):
        """Stops keeping a cell's output past the per-cell and per-notebook caps."""

        def output(self, outs: list[Any], msg: dict[str, Any], display_id: Any, idx: int) -> Any:
            content = msg.get("content", {})
            size = len(str(content.get("text", ""))) + len(str(content.get("data", "")))
            used = sum(len(str(o.get("text", ""))) + len(str(o.get("data", ""))) for o in outs)
            if used + size > limits.output_chars_per_cell or budget["total"] < size:
                if idx not in truncated:
                    truncated.add(idx)
                    outs.append(
                        nbformat.v4.new_output("stream", name="stdout", text=TRUNCATED_NOTE)
                    )
                return None
            budget["total"] -= size
            return super().output(outs, msg, display_id, idx)

    return _CappedClient(
        nb,
        km=km,
        timeout=int(limits.cell_timeout_s),
        interrupt_on_timeout=True,
        allow_errors=True,
        startup_timeout=60,
        iopub_timeout=10,
        resources={"metadata": {"path": str(jobdir)}},
        record_timing=False,
    )


def _error_of(cell: NotebookNode) -> tuple[str, str] | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return str(out.get("ename", "")), str(out.get("evalue", ""))
    return None


async def _run(
    nb: NotebookNode,
    limits: Limits,
    jobdir: Path,
    hide: list[Path],
    visible: list[Path],
    on_cell: Callable[[int], None] | None,
) -> NotebookRun:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    specdir = jobdir / "kernelspec"
    argv = kernel_argv(limits, jobdir, hide, visible, worker_uid())
    name = write_kernelspec(specdir, argv)
    log = open(jobdir / "kernel.log", "ab")  # noqa: SIM115  (closed in finally)

    def new_manager() -> AsyncKernelManager:
        return AsyncKernelManager(
            kernel_name=name,
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specdir)]),
            transport="ipc",
            ip=str(jobdir / f"kernel{result.restarts}"),
            connection_file=str(jobdir / f"connection{result.restarts}.json"),
        )

    async def start() -> None:
        client.km = new_manager()
        await client.async_start_new_kernel(cwd=str(jobdir), stdout=log, stderr=log)
        await client.async_start_new_kernel_client()

    result = NotebookRun(nb)
    client = _make_client(nb, None, limits, jobdir)
    started = time.perf_counter()
    succeeded: list[int] = []

    async def restart() -> None:
        await stop()
        result.restarts += 1
        await start()
        for index in succeeded:  # bring back the definitions later cells rely on
            replay = copy.deepcopy(nb.cells[index])
            try:
                await client.async_execute_cell(replay, index)
            except Exception:
                break

    async def stop() -> None:
        try:
            if client.kc is not None:
                client.kc.stop_channels()
            if client.km is not None:
                await client.km.shutdown_kernel(now=True)
        except Exception:  # the kernel may be gone already
            pass

    await start()
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            run = result.cells.setdefault(index, CellRun())
            if time.perf_counter() - started > limits.submission_timeout_s:
                run.status, run.message = TIMEOUT, "the notebook ran out of time before this cell"
                continue
            t0 = time.perf_counter()
            try:
                await client.async_execute_cell(cell, index)
                error = _error_of(cell)
                if error is None:
                    run.status = OK
                elif error[0] == "MemoryError":
                    run.status, run.message = OOM, "MemoryError: the cell ran out of memory"
                elif error[0] == "KeyboardInterrupt" and (
                    time.perf_counter() - t0 >= limits.cell_timeout_s * 0.9
                ):
                    run.status = TIMEOUT
                    run.message = f"the cell ran longer than {limits.cell_timeout_s:g} s"
                else:
                    run.status, run.message = ERROR, f"{error[0]}: {error[1]}"
            except CellTimeoutError:
                run.status = TIMEOUT
                run.message = f"the cell ran longer than {limits.cell_timeout_s:g} s"
                if not await _kernel_responds(client):
                    await restart()
            except DeadKernelError:
                run.status, run.message = _death(client.km)
                await restart()
            except Exception as exc:  # e.g. a kernel that stops answering
                run.status, run.message = CRASH, f"the kernel failed: {type(exc).__name__}: {exc}"
                await restart()
            run.seconds = time.perf_counter() - t0
            if run.status == OK or run.status == ERROR:
                succeeded.append(index)
            if on_cell is not None:
                on_cell(index)
    finally:
        await stop()
        log.close()
    result.seconds = time.perf_counter() - started
    return result


async def _kernel_responds(client: Any) -> bool:
    """After an interrupt: is the kernel idle again within a few seconds?"""
    try:
        reply = await asyncio.wait_for(client.kc._async_kernel_info(reply=True), timeout=5)
        return bool(reply)
    except Exception:
        return False


def _death(km: Any) -> tuple[str, str]:
    """Why the kernel died, as far as its exit tells."""
    code = None
    with contextlib.suppress(Exception):
        code = km.provisioner.process.poll() if km.provisioner is not None else None
    if code is not None and code in (-9, 137):
        return OOM, "the kernel was killed (out of memory or over a resource limit)"
    if code is not None and code in (-24, 152):
        return TIMEOUT, "the kernel used up its CPU time"
    return CRASH, f"the kernel died (exit status {code})"


def execute(
    nb: NotebookNode,
    limits: Limits,
    *,
    hide: list[Path] | None = None,
    visible: list[Path] | None = None,
    on_cell: Callable[[int], None] | None = None,
    keep_dir: Path | None = None,
) -> NotebookRun:
    """Execute a copy of `nb` in a fresh limited kernel; return it with per-cell statuses.

    The kernel works in `keep_dir` (which the caller may read afterwards) or in a
    temporary folder.
    """
    work = copy.deepcopy(nb)
    with tempfile.TemporaryDirectory(prefix="tradeoffs-grade-") as tmp:
        jobdir = Path(keep_dir or tmp)
        jobdir.mkdir(parents=True, exist_ok=True)
        os.chmod(jobdir, 0o755)
        if can_isolate():
            os.chown(jobdir, worker_uid(), worker_uid())
        return asyncio.run(_run(work, limits, jobdir, hide or [], visible or [], on_cell))
