"""Kernel-side guard run by `tradeoffs grade` around the test cells of a submission.

`install()` runs before any of the learner's code and keeps the original check helpers,
clocks and builtins; `restore(namespace)` runs at the top of every test cell and puts them
back, so `checks.assert_close = lambda *a, **k: None`, `time.perf_counter = lambda: 0` or
a shadowing `checks` object in the notebook do not change a verdict. What it had to put
back is appended to `.tradeoffs-guard.jsonl` in the kernel's folder, which the grader reads
to mark the submission as tampered.
"""

from __future__ import annotations

import builtins
import json
import math
import sys
import time
from typing import Any

_CHECKS = "tradeoffs.checks"
_TIME_NAMES = (
    "perf_counter",
    "perf_counter_ns",
    "monotonic",
    "monotonic_ns",
    "time",
    "time_ns",
    "process_time",
    "process_time_ns",
    "thread_time",
    "sleep",
)
# Builtins that IPython itself rebinds around each execution: not the learner's doing.
_KERNEL_BUILTINS = {"input", "display", "get_ipython", "exit", "quit", "help"}
_saved: dict[str, Any] = {}


def install() -> None:
    """Remember the pristine state; later calls do nothing."""
    if _saved:
        return
    import importlib

    checks = importlib.import_module(_CHECKS)
    _saved["checks"] = checks
    _saved["checks_dict"] = dict(vars(checks))
    _saved["builtins"] = {
        name: value
        for name, value in vars(builtins).items()
        if name not in _KERNEL_BUILTINS and (not name.startswith("_") or name == "__import__")
    }
    _saved["time"] = {n: getattr(time, n) for n in _TIME_NAMES if hasattr(time, n)}
    _saved["math"] = dict(vars(math))
    _saved["log"] = open(".tradeoffs-guard.jsonl", "a")  # noqa: SIM115  (lives with the kernel)


def restore(namespace: dict[str, Any], cell: str = "") -> None:
    """Put back what the learner's code replaced; record what that was."""
    if not _saved:
        return
    changed: list[str] = []
    for store, module in (("builtins", builtins), ("math", math)):
        current = vars(module)
        for name, value in _saved[store].items():
            if current.get(name) is not value:
                setattr(module, name, value)
                changed.append(f"{module.__name__}.{name}")
    for name, value in _saved["time"].items():
        if getattr(time, name) is not value:
            setattr(time, name, value)
            changed.append(f"time.{name}")
    checks = _saved["checks"]
    current = vars(checks)
    for name, value in _saved["checks_dict"].items():
        if current.get(name) is not value:
            setattr(checks, name, value)
            changed.append(f"checks.{name}")
    if sys.modules.get(_CHECKS) is not checks:
        sys.modules[_CHECKS] = checks
        changed.append(f"sys.modules[{_CHECKS!r}]")
    if "checks" in namespace and namespace["checks"] is not checks:
        namespace["checks"] = checks
        changed.append("the name `checks`")
    if changed:
        _saved["log"].write(json.dumps({"cell": cell, "restored": changed}) + "\n")
        _saved["log"].flush()


def install_line() -> str:
    """The line the grader prepends to the first code cell."""
    return "import tradeoffs.grading._guard as _tg; _tg.install(); del _tg"


def restore_line(grade_id: str) -> str:
    """The line the grader prepends to each test cell."""
    return f"import tradeoffs.grading._guard as _tg; _tg.restore(globals(), {grade_id!r}); del _tg"
