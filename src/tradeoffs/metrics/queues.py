"""Queues: Little's law, M/M/1 and M/M/c formulas, and an exact first-come-first-served
multi-server queue (simulated, seeded)."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradeoffs._validate import non_negative, percentile_q, positive, whole

__all__ = [
    "QueueRun",
    "fcfs_queue",
    "littles_law_concurrency",
    "littles_law_latency_s",
    "littles_law_throughput_per_s",
    "mm1_latency_percentile_s",
    "mm1_mean_latency_s",
    "mmc_mean_latency_s",
    "simulate_queue",
    "utilisation",
]


def littles_law_concurrency(arrival_rate_per_s: float, latency_s: float) -> float:
    """Little's law L = lambda * W: mean requests in the system (in flight plus queued)."""
    return non_negative(arrival_rate_per_s, "arrival_rate_per_s") * non_negative(
        latency_s, "latency_s"
    )


def littles_law_latency_s(concurrency: float, arrival_rate_per_s: float) -> float:
    """Little's law W = L / lambda: mean time in the system (s) for a mean concurrency."""
    return non_negative(concurrency, "concurrency") / positive(
        arrival_rate_per_s, "arrival_rate_per_s"
    )


def littles_law_throughput_per_s(concurrency: float, latency_s: float) -> float:
    """Little's law lambda = L / W: the throughput (requests/s) a concurrency sustains."""
    return non_negative(concurrency, "concurrency") / positive(latency_s, "latency_s")


def utilisation(arrival_rate_per_s: float, service_rate_per_s: float, servers: int = 1) -> float:
    """Offered load per server, rho = lambda / (c * mu); above 1 the queue grows forever."""
    return non_negative(arrival_rate_per_s, "arrival_rate_per_s") / (
        positive(service_rate_per_s, "service_rate_per_s") * _check_servers(servers)
    )


def _check_servers(servers: int) -> int:
    return whole(servers, "servers")


def _check_stable(arrival_rate_per_s: float, service_rate_per_s: float, servers: int) -> None:
    rho = utilisation(arrival_rate_per_s, service_rate_per_s, servers)
    if rho >= 1:
        raise ValueError(
            f"utilisation {rho:.3f} >= 1: arrivals ({arrival_rate_per_s}/s) outpace "
            f"{servers} server(s) at {service_rate_per_s}/s, so latency grows without bound"
        )


def mm1_mean_latency_s(arrival_rate_per_s: float, service_rate_per_s: float) -> float:
    """Mean time in an M/M/1 system, W = 1 / (mu - lambda), in seconds."""
    _check_stable(arrival_rate_per_s, service_rate_per_s, 1)
    return 1.0 / (service_rate_per_s - arrival_rate_per_s)


def mm1_latency_percentile_s(
    arrival_rate_per_s: float, service_rate_per_s: float, q: float
) -> float:
    """The q-th percentile of M/M/1 time in system (s): it is exponential with rate mu - lambda."""
    qf = percentile_q(q)
    if qf >= 100:
        raise ValueError("the 100th percentile of an M/M/1 latency is unbounded")
    _check_stable(arrival_rate_per_s, service_rate_per_s, 1)
    return -math.log1p(-qf / 100) / (service_rate_per_s - arrival_rate_per_s)


def mmc_mean_latency_s(arrival_rate_per_s: float, service_rate_per_s: float, servers: int) -> float:
    """Mean time in an M/M/c system (s): Erlang C queueing delay plus one service time."""
    c = _check_servers(servers)
    _check_stable(arrival_rate_per_s, service_rate_per_s, c)
    a = arrival_rate_per_s / service_rate_per_s
    rho = a / c
    last = a**c / math.factorial(c) / (1 - rho)
    erlang_c = last / (sum(a**k / math.factorial(k) for k in range(c)) + last)
    return erlang_c / (c * service_rate_per_s - arrival_rate_per_s) + 1 / service_rate_per_s


@dataclass(frozen=True)
class QueueRun:
    """One simulated run of a first-come-first-served queue; all times in seconds."""

    arrival_s: NDArray[np.float64]
    start_s: NDArray[np.float64]
    departure_s: NDArray[np.float64]
    servers: int

    @property
    def latency_s(self) -> NDArray[np.float64]:
        """Per-request time in the system (queueing + service), in arrival order."""
        return self.departure_s - self.arrival_s

    @property
    def latency_ms(self) -> NDArray[np.float64]:
        return self.latency_s * 1000

    @property
    def wait_s(self) -> NDArray[np.float64]:
        """Per-request time spent queueing before a server picked it up."""
        return self.start_s - self.arrival_s

    def number_in_system(self, at_s: ArrayLike) -> NDArray[np.int64]:
        """How many requests had arrived but not yet departed at each time in ``at_s``."""
        t = np.asarray(at_s, dtype=np.float64)
        arrived = np.searchsorted(self.arrival_s, t, side="right")
        departed = np.searchsorted(np.sort(self.departure_s), t, side="right")
        return (arrived - departed).astype(np.int64)

    def window(self, warmup_fraction: float = 0.1) -> tuple[float, float]:
        """A steady-state window (s): skip the warm-up and stop at the last arrival."""
        t_end = float(self.arrival_s[-1])
        return warmup_fraction * t_end, t_end

    def mean_in_system(self, start_s: float, end_s: float, n_points: int = 20_000) -> float:
        """Time-average number in the system over [start_s, end_s], observed on a grid."""
        grid = np.linspace(start_s, end_s, int(n_points))
        return float(self.number_in_system(grid).mean())

    def arrival_rate_per_s(self, start_s: float, end_s: float) -> float:
        """Measured arrivals per second in [start_s, end_s)."""
        n = np.count_nonzero((self.arrival_s >= start_s) & (self.arrival_s < end_s))
        return n / (end_s - start_s)

    def mean_latency_s(self, start_s: float, end_s: float) -> float:
        """Mean time in the system of the requests that arrived in [start_s, end_s)."""
        mask = (self.arrival_s >= start_s) & (self.arrival_s < end_s)
        return float(self.latency_s[mask].mean())


def simulate_queue(
    arrival_rate_per_s: float,
    service_rate_per_s: float,
    n_requests: int,
    seed: int = 0,
    servers: int = 1,
) -> QueueRun:
    """Discrete-event simulation of an M/M/c queue (first come, first served).

    Poisson arrivals at ``arrival_rate_per_s``, exponential service times with mean
    1/``service_rate_per_s`` on each of ``servers`` identical servers. Seeded and exact (no
    time steps): each request starts when it arrives or when the earliest server frees up.
    The run may be unstable (utilisation >= 1); the latencies then grow along the run.
    """
    lam = positive(arrival_rate_per_s, "arrival_rate_per_s")
    mu = positive(service_rate_per_s, "service_rate_per_s")
    c = _check_servers(servers)
    n = whole(n_requests, "n_requests")
    rng = np.random.default_rng(seed)
    arrival = np.cumsum(rng.exponential(1.0 / lam, size=n))
    service = rng.exponential(1.0 / mu, size=n)
    return fcfs_queue(arrival, service, c)


def fcfs_queue(arrival_s: ArrayLike, service_s: ArrayLike, servers: int = 1) -> QueueRun:
    """Serve requests first come, first served on ``servers`` identical servers: request i
    arrives at ``arrival_s[i]`` (increasing) and needs ``service_s[i]`` seconds of a server.
    Exact (no time steps): each request starts when it arrives or when the earliest server
    frees up. Any unit works, as long as both arrays use the same one."""
    arrival = np.asarray(arrival_s, dtype=np.float64)
    service = np.asarray(service_s, dtype=np.float64)
    if arrival.shape != service.shape or arrival.ndim != 1:
        raise ValueError(
            f"arrival_s and service_s must be 1-D and of one length, got shapes "
            f"{arrival.shape} and {service.shape}"
        )
    c = _check_servers(servers)
    n = arrival.size
    start = np.empty(n)
    departure = np.empty(n)
    free_at = [0.0] * c
    arrival_list = arrival.tolist()
    service_list = service.tolist()
    for i in range(n):
        s = max(arrival_list[i], heapq.heappop(free_at))
        d = s + service_list[i]
        heapq.heappush(free_at, d)
        start[i] = s
        departure[i] = d
    return QueueRun(arrival, start, departure, c)
