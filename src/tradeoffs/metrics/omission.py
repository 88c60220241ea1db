"""Coordinated omission: a stalling single-server service driven by a closed-loop or an
open-loop load generator, simulated on a clock or measured for real.

The service itself, which really sleeps when run in real time, is
:class:`tradeoffs.servers.StallingService`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from tradeoffs._validate import positive
from tradeoffs.servers import StallingService

__all__ = ["StallingService", "closed_loop_latencies", "open_loop_latencies"]


def _check_load(duration_s: float, rate_per_s: float) -> tuple[float, float]:
    return positive(duration_s, "duration_s"), positive(rate_per_s, "rate_per_s")


def closed_loop_latencies(
    service: StallingService, duration_s: float, rate_per_s: float, real_time: bool = False
) -> NDArray[np.float64]:
    """Latencies (ms) seen by a paced closed-loop load generator, one request at a time.

    The generator aims at one request every 1/rate_per_s seconds, but waits for each
    response before sending the next; ticks missed while it waited are skipped. Latency is
    measured from the actual send time, which is how coordinated omission hides a stall.
    ``real_time=True`` runs it against the real (sleeping) service instead of the clock.
    """
    duration_s, rate_per_s = _check_load(duration_s, rate_per_s)
    interval = 1.0 / rate_per_s
    out: list[float] = []
    if real_time:
        service.start()
    t = 0.0
    while t < duration_s:
        if real_time:
            t0 = service.sleep_until(t)
            service.handle()
            done = service.now_s()
            out.append((done - t0) * 1000)
        else:
            done = service.completion_s(t)
            out.append((done - t) * 1000)
        t = math.ceil(round(done / interval, 9)) * interval
    return np.asarray(out)


def open_loop_latencies(
    service: StallingService, duration_s: float, rate_per_s: float, real_time: bool = False
) -> NDArray[np.float64]:
    """Latencies (ms) of an open-loop schedule: request k is due at k/rate_per_s seconds.

    Requests are sent on schedule whether or not earlier ones have finished; they queue
    (first come, first served) behind a stall. Latency is measured from the scheduled send
    time, as wrk2 does. ``real_time=True`` runs it against the real (sleeping) service: the
    requests run one after another, so a late one starts as soon as the previous ends.
    """
    duration_s, rate_per_s = _check_load(duration_s, rate_per_s)
    n = math.ceil(round(duration_s * rate_per_s, 9))
    due = np.arange(n) / rate_per_s
    out = np.empty(n)
    if real_time:
        service.start()
    free_at = 0.0
    for k, t in enumerate(due):
        if real_time:
            service.sleep_until(float(t))
            service.handle()
            out[k] = (service.now_s() - t) * 1000
        else:
            free_at = service.completion_s(max(float(t), free_at))
            out[k] = (free_at - t) * 1000
    return out
