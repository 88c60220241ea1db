"""A capacity run: step the offered rate (open loop, k6) until the p99 breaks its target.

One running server (:func:`.load.serve_stage`) is loaded at each
rate in turn for ``requests_per_step / rate`` seconds, so every step has about the same
number of samples behind its p99 (and its confidence interval). A step **breaks** when
its client-side p99 is over the target or more than ``max_error_rate`` of the requests
failed or were dropped; the run stops at the first break (``stop_at_break``), and the
**knee** is the last rate before it (:func:`tradeoffs.slo.capacity.knee`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tradeoffs.labs.endpoint.load import Stage, StageResult, measure_stage
from tradeoffs.labs.endpoint.server import ServerThread
from tradeoffs.slo.capacity import knee

__all__ = ["CapacityRun", "run_capacity"]


@dataclass(frozen=True)
class CapacityRun:
    """The steps of a capacity run in order, the target, and the knee (None: the first
    step already broke)."""

    steps: tuple[StageResult, ...]
    target_p99_ms: float
    max_error_rate: float
    knee_rps: float | None

    def table(self) -> str:
        """One line per step: offered and achieved rate, client and server p99, errors."""
        lines = [
            f"{'offered/s':>10}{'got/s':>8}{'n':>6}{'client p99 [95% CI]':>26}{'server p99':>11}"
            f"{'errors':>8}{'gen CPU':>9}{'srv CPU':>9}  verdict"
        ]
        for s in self.steps:
            ok = s.client.p99_ms <= self.target_p99_ms and s.error_rate <= self.max_error_rate
            lines.append(
                f"{s.offered_rps:>10g}{s.throughput_rps:>8.1f}{s.client.n:>6}{s.client.p99_text():>26}"
                f"{s.server.p99_ms:>11.1f}{s.error_rate:>8.1%}{s.generator_cpu_s:>8.1f}s"
                f"{s.server_cpu_s:>8.1f}s  {'meets' if ok else 'BREAKS'} the target"
            )
        knee_text = "none" if self.knee_rps is None else f"{self.knee_rps:g} requests/s"
        lines.append(
            f"target p99 {self.target_p99_ms:g} ms (client side), errors <= "
            f"{self.max_error_rate:.0%}; knee: {knee_text}"
        )
        return "\n".join(lines)


def run_capacity(
    server: ServerThread,
    stage: Stage,
    trace: Sequence[tuple[str, int, str]],
    rates_rps: Sequence[float],
    *,
    target_p99_ms: float,
    requests_per_step: int = 1_500,
    min_step_s: float = 2.0,
    max_error_rate: float = 0.01,
    stop_at_break: bool = True,
    max_vus: int = 200,
    warmup_s: float = 2.0,
    progress: bool = True,
) -> CapacityRun:
    """Load ``server`` (serving ``stage``, see :func:`.load.serve_stage`) with k6 at each of
    ``rates_rps`` (ascending) for ``max(min_step_s, requests_per_step / rate)`` seconds,
    after ``warmup_s`` seconds at the first rate that are not recorded (connections,
    caches and the database's pages warm up); see the module docstring."""
    rates = sorted(float(r) for r in rates_rps)
    if not rates or rates[0] <= 0 or requests_per_step < 1 or target_p99_ms <= 0:
        raise ValueError("need positive rates, requests_per_step >= 1 and target_p99_ms > 0")
    steps: list[StageResult] = []
    if warmup_s > 0:
        measure_stage(
            server,
            stage,
            trace,
            generator="k6",
            rate_rps=rates[0],
            duration_s=warmup_s,
            max_vus=max_vus,
            progress=False,
        )
    for rate in rates:
        step = measure_stage(
            server,
            stage,
            trace,
            generator="k6",
            rate_rps=rate,
            duration_s=max(min_step_s, requests_per_step / rate),
            max_vus=max_vus,
            progress=progress,
            label=f"{rate:g} req/s",
        )
        steps.append(step)
        broke = step.client.p99_ms > target_p99_ms or step.error_rate > max_error_rate
        if broke and stop_at_break:
            break
    found = knee(
        [s.offered_rps or 0.0 for s in steps],
        [s.client.p99_ms for s in steps],
        target_p99_ms,
        [s.error_rate <= max_error_rate for s in steps],
    )
    return CapacityRun(tuple(steps), target_p99_ms, max_error_rate, found)
