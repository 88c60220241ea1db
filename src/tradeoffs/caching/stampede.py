"""Stampedes: many clients missing one key at once (threads, origin calls counted), and
probabilistic early expiration (XFetch) simulated over several TTL periods."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from tradeoffs._validate import count as _count
from tradeoffs._validate import non_negative as _non_negative
from tradeoffs._validate import positive as _positive
from tradeoffs.caching.aside import CacheAside
from tradeoffs.caching.backends import CacheBackend, LocalCache

__all__ = [
    "ExpiryRun",
    "StampedeResult",
    "run_stampede",
    "simulate_expiry",
    "xfetch_should_refresh",
]


@dataclass(frozen=True)
class StampedeResult:
    """Many clients asked for one missing key at once: how many reached the origin."""

    clients: int
    coalesce: bool
    origin_calls: int
    hits: int
    misses: int
    coalesced: int
    all_same_value: bool
    wall_s: float


def run_stampede(
    clients: int = 32,
    *,
    coalesce: bool,
    load_delay_s: float = 0.05,
    backend: CacheBackend | None = None,
    key: str = "hot",
) -> StampedeResult:
    """Start ``clients`` threads behind a barrier, all asking for ``key`` which is not
    cached, through one :class:`CacheAside` over ``backend`` (default a fresh
    :class:`LocalCache`). The origin takes ``load_delay_s`` per call and counts its calls.

    Without coalescing every client that misses before the first load finishes goes to the
    origin (all of them, with the default delay); with coalescing exactly one does.
    """
    n = _count(clients, "clients")
    delay = _non_negative(load_delay_s, "load_delay_s")
    store = backend if backend is not None else LocalCache(128)
    calls = 0
    lock = threading.Lock()

    def load(k: str) -> dict[str, Any]:
        nonlocal calls
        with lock:
            calls += 1
        time.sleep(delay)  # the expensive query
        return {"key": k, "version": 1}

    cache = CacheAside(store, load, coalesce=coalesce)
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def client(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = cache.get(key)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    wall = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"a stampede client failed: {errors[0]!r}") from errors[0]
    return StampedeResult(
        clients=n,
        coalesce=bool(coalesce),
        origin_calls=calls,
        hits=cache.stats.hits,
        misses=cache.stats.misses,
        coalesced=cache.stats.coalesced,
        all_same_value=all(r == results[0] for r in results),
        wall_s=wall,
    )


def xfetch_should_refresh(
    now_s: float, expiry_s: float, recompute_s: float, beta: float, rng: np.random.Generator
) -> bool:
    """Probabilistic early expiration (XFetch, Vattani et al. 2015): refresh the entry now
    if ``now - recompute_s * beta * ln(U) >= expiry`` with U uniform in (0, 1].

    The closer to expiry and the longer the recomputation, the likelier a refresh; one
    request usually refreshes the value before it expires, so no herd forms. ``beta`` > 1
    refreshes earlier, < 1 later.
    """
    u = 1.0 - rng.random()  # in (0, 1]
    return now_s - recompute_s * beta * math.log(u) >= expiry_s


@dataclass(frozen=True)
class ExpiryRun:
    """Requests for one hot key over several TTL periods: origin recomputations, and the
    most of them that ran at once (the herd)."""

    requests: int
    recomputes: int
    max_concurrent_recomputes: int
    misses: int


def simulate_expiry(
    rate_per_s: float = 2000.0,
    ttl_s: float = 10.0,
    recompute_s: float = 0.2,
    duration_s: float = 60.0,
    beta: float | None = None,
    seed: int = 0,
) -> ExpiryRun:
    """Simulate (on a clock, seeded) Poisson requests for one hot key whose value expires
    ``ttl_s`` after each recompute, which takes ``recompute_s``.

    ``beta=None``: plain expiry, every request arriving while the value is missing starts a
    recomputation (the herd). With ``beta``: XFetch decides early refreshes while the old value
    is still served; a request arriving when the value has expired still recomputes.
    """
    rate = _positive(rate_per_s, "rate_per_s")
    ttl = _positive(ttl_s, "ttl_s")
    delta = _positive(recompute_s, "recompute_s")
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / rate, size=int(rate * duration_s * 1.2) + 10))
    arrivals = arrivals[arrivals < duration_s]
    expiry = ttl  # the value was computed at time 0
    in_flight: list[float] = []  # finish times of running recomputations
    recomputes = misses = peak = 0
    for t in arrivals.tolist():
        done = [f for f in in_flight if f <= t]
        if done:
            expiry = max(expiry, max(done) + ttl)
            in_flight = [f for f in in_flight if f > t]
        expired = t >= expiry
        early = (
            beta is not None
            and not expired
            and not in_flight
            and xfetch_should_refresh(t, expiry, delta, beta, rng)
        )
        if expired or early:
            misses += expired
            recomputes += 1
            in_flight.append(t + delta)
            peak = max(peak, len(in_flight))
    return ExpiryRun(
        requests=int(arrivals.size),
        recomputes=recomputes,
        max_concurrent_recomputes=peak,
        misses=misses,
    )
