"""Child side of `checks.run_isolated` / `checks.speed_ratio`.

Reads a cloudpickled job on stdin, runs it, and writes ("ok", value) or
("error", message) to the file named by $TRADEOFFS_RESULT. The clock is bound
to a local before any learner code is unpickled, so patching
`time.perf_counter` from inside the learner's function changes nothing here.
"""

from __future__ import annotations

import os
import pickle
import statistics
import sys
import time
from typing import Any


def _speed(
    clock: Any,
    candidate: Any,
    reference: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    repeats: int,
    warmup: int,
) -> Any:
    from tradeoffs.checks import SpeedResult

    for _ in range(warmup):
        candidate(*args, **kwargs)
        reference(*args, **kwargs)
    cand: list[float] = []
    ref: list[float] = []
    for i in range(repeats):
        order = ((candidate, cand), (reference, ref))
        for fn, times in order if i % 2 == 0 else order[::-1]:
            start = clock()
            fn(*args, **kwargs)
            times.append(clock() - start)
    return SpeedResult(statistics.median(cand), statistics.median(ref), repeats)


def main() -> int:
    clock = time.perf_counter
    result_path = os.environ["TRADEOFFS_RESULT"]
    import cloudpickle

    job = cloudpickle.loads(sys.stdin.buffer.read())
    try:
        if job[0] == "call":
            _, fn, args, kwargs = job
            value: Any = fn(*args, **kwargs)
        else:
            value = _speed(clock, *job[1:])
        outcome: tuple[str, Any] = ("ok", value)
    except Exception as exc:  # reported to the learner, not raised here
        outcome = ("error", f"{type(exc).__name__}: {exc}")
    try:
        data = pickle.dumps(outcome)
    except Exception as exc:
        data = pickle.dumps(("error", f"a result that cannot be sent back ({exc})"))
    with open(result_path, "wb") as fh:
        fh.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
