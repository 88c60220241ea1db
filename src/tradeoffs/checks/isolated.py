"""A fresh Python process for checks that run in a learner's own kernel.

In the grader's harness every learner call already runs in another process and the
harness measures it from outside (see `measure`). In a learner's kernel (nbgrader's
Validate button) this module gives the next best thing: the function travels by
cloudpickle to a new interpreter, where nothing patched in the kernel exists, and the
result comes back through an unpickler that loads only plain containers and numpy
arrays. It keeps honest learners' checks honest; it is not a defence against a learner
who attacks their own check (the instructor's grade never depends on it).
"""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import tempfile
from typing import Any

from tradeoffs.checks.equality import CheckFailed, LookAlike


class _PlainUnpickler(pickle.Unpickler):
    """Loads only builtin containers and numpy arrays: no learner-defined classes."""

    _ALLOWED = {
        ("builtins", "complex"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "slice"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy.core.numeric", "_frombuffer"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise LookAlike(
            f"the function returned an object of type {module}.{name}; expected plain values"
        )


class CannotSend(CheckFailed):
    """The job holds something a fresh process cannot receive (an open connection...)."""


def run_child(job: tuple[Any, ...], timeout_s: float, what: str) -> Any:
    """Run `job` (see `_child`) in a fresh interpreter; return its plain result."""
    import cloudpickle

    try:
        payload = cloudpickle.dumps(job)
    except Exception as exc:
        raise CannotSend(f"{what}: cannot send the function to a fresh process: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="tradeoffs-check-") as tmp:
        result_path = os.path.join(tmp, "result.pickle")
        # The child imports what the kernel can import (functions defined in a module are
        # sent by reference); nothing else of the kernel's state goes with it.
        path = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
        env = dict(os.environ, TRADEOFFS_RESULT=result_path, PYTHONPATH=path)
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "tradeoffs.checks._child"],
                input=payload,
                capture_output=True,
                timeout=timeout_s,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CheckFailed(f"{what} did not finish within {timeout_s:g} s") from exc
        if proc.returncode != 0 or not os.path.exists(result_path):
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
            detail = "\n".join(tail) or f"exit status {proc.returncode}"
            raise CheckFailed(f"{what} crashed the fresh process it ran in:\n{detail}")
        with open(result_path, "rb") as fh:
            status, value = _PlainUnpickler(io.BytesIO(fh.read())).load()
    if status == "error":
        raise CheckFailed(f"{what} raised {value}")
    return value
