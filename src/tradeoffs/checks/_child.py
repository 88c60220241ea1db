"""Child side of `checks.isolated`: runs one cloudpickled job, writes a plain result.

Reads the job on stdin and writes ("ok", value) or ("error", message) to the file named
by $TRADEOFFS_RESULT. The clock and tracemalloc are bound before any learner code is
unpickled, so patching them from inside the learner's function changes nothing here.
This is the learner-side check's own small timer, kept apart from the lessons' timing
helpers on purpose: it must depend on nothing a learner's code could have replaced.
"""

from __future__ import annotations

import os
import pickle
import statistics
import sys
import time
import tracemalloc
from typing import Any

_clocks = {"wall": time.perf_counter, "cpu": time.process_time}
_trace_start, _trace_stop = tracemalloc.start, tracemalloc.stop
_trace_reset, _trace_read = tracemalloc.reset_peak, tracemalloc.get_traced_memory


def _speed(
    candidate: Any,
    reference: Any,
    inputs: list[tuple[Any, ...]],
    kwargs: dict[str, Any],
    repeats: int,
    warmup: int,
    clock_name: str = "cpu",
) -> tuple[float, float]:
    """Interleaved medians; run i (warm-up included) takes inputs[i % len(inputs)]."""
    clock = _clocks[clock_name]
    cand: list[float] = []
    ref: list[float] = []
    for i in range(warmup + repeats):
        args = inputs[i % len(inputs)]
        order = ((candidate, cand), (reference, ref))
        for fn, times in order if i % 2 == 0 else order[::-1]:
            start = clock()
            fn(*args, **kwargs)
            if i >= warmup:
                times.append(clock() - start)
    return statistics.median(cand), statistics.median(ref)


def _peak(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    _trace_start()
    try:
        _trace_reset()
        base, _ = _trace_read()
        fn(*args, **kwargs)
        _, peak = _trace_read()
    finally:
        _trace_stop()
    return int(peak - base)


def main() -> int:
    result_path = os.environ["TRADEOFFS_RESULT"]
    import cloudpickle

    job = cloudpickle.loads(sys.stdin.buffer.read())
    try:
        if job[0] == "call":
            _, fn, args, kwargs = job
            value: Any = fn(*args, **kwargs)
        elif job[0] == "speed":
            value = _speed(*job[1:])
        else:  # "memory": the reference runs second, so a candidate cannot lean on warm-up
            _, candidate, reference, args, kwargs = job
            value = (_peak(candidate, args, kwargs), _peak(reference, args, kwargs))
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
