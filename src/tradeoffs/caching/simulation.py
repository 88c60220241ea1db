"""Simulation: replay a trace through a TTL/LRU cache with writes at the origin, count
hits, misses and stale answers, and give each request a latency."""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradeoffs._validate import count as _count
from tradeoffs._validate import fraction as _fraction
from tradeoffs._validate import non_negative as _non_negative
from tradeoffs._validate import positive as _positive
from tradeoffs.caching._counts import HitRatio
from tradeoffs.caching.workloads import Trace

__all__ = ["SimulationResult", "request_latencies_ms", "simulate_cache", "simulate_ttl_staleness"]


@dataclass(frozen=True)
class SimulationResult(HitRatio):
    """What a trace did to a cache, counted after the warm-up.

    ``hit`` and ``stale`` are per request (True where the request was a hit / got a value the
    origin had already changed); ``staleness_s`` holds, for each stale answer, how long
    before it the origin had changed.
    """

    cache_size: int
    ttl_s: float | None
    hits: int
    misses: int
    stale_hits: int
    writes: int
    hit: NDArray[np.bool_] = field(repr=False, compare=False)
    stale: NDArray[np.bool_] = field(repr=False, compare=False)
    staleness_s: NDArray[np.float64] = field(repr=False, compare=False)
    duration_s: float = 0.0

    @property
    def stale_fraction(self) -> float:
        """Share of all (counted) requests answered with an outdated value."""
        return self.stale_hits / self.requests if self.requests else 0.0

    @property
    def max_staleness_s(self) -> float:
        return float(self.staleness_s.max()) if self.staleness_s.size else 0.0

    @property
    def origin_reads_per_s(self) -> float:
        """Misses per second of trace time: the load the cache leaves on the origin."""
        return self.misses / self.duration_s if self.duration_s > 0 else 0.0


def _write_events(
    n_keys: int, duration_s: float, write_interval_s: float, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    n = rng.poisson(n_keys * duration_s / write_interval_s)
    times = np.sort(rng.uniform(0.0, duration_s, size=n))
    keys = rng.integers(0, n_keys, size=n).astype(np.int64)
    return times, keys


def simulate_cache(
    trace: Trace,
    cache_size: int,
    ttl_s: float | None = None,
    *,
    write_interval_s: float | None = None,
    invalidate_on_write: bool = False,
    warmup_fraction: float = 0.2,
    seed: int = 0,
) -> SimulationResult:
    """Replay ``trace`` through a cache-aside cache of ``cache_size`` entries with the rules of
    :class:`LocalCache` (LRU, plus TTL ``ttl_s`` if given), on the trace's own clock.

    When ``write_interval_s`` is given, the origin changes every key on average once per
    ``write_interval_s`` (Poisson, seeded by ``seed``); a hit on an entry filled before the
    latest change is a stale answer. ``invalidate_on_write`` deletes the cached entry at each
    change instead (no stale answers, more misses). The first ``warmup_fraction`` of the
    requests fill the cache and are not counted. ``cache_size = 0`` means no cache.
    """
    size = _count(cache_size, "cache_size", minimum=0)
    warm = _fraction(warmup_fraction, "warmup_fraction")
    n = len(trace)
    if n == 0:
        raise ValueError("the trace is empty")
    if write_interval_s is not None:
        _positive(write_interval_s, "write_interval_s")
    if write_interval_s is None:
        w_times = np.empty(0)
        w_keys = np.empty(0, dtype=np.int64)
    else:
        w_times, w_keys = _write_events(
            trace.n_keys, trace.duration_s, write_interval_s, np.random.default_rng(seed)
        )
    start = int(n * warm)
    hit = np.zeros(n, dtype=bool)
    stale = np.zeros(n, dtype=bool)
    ages: list[float] = []
    changed_at: dict[int, float] = {}  # key -> first origin change since the cached fill
    times = trace.times_s.tolist()
    keys = trace.keys.tolist()
    wt = w_times.tolist()
    wk = w_keys.tolist()
    # The rules of LocalCache (cachetools' TTLCache / LRUCache), replayed with plain
    # containers for speed; tests hold the two to the same counts. `entries` maps key ->
    # expiry time in LRU order (oldest first); with one TTL for all, fill order is expiry
    # order, so `fills` lists (expiry, key) ready to be dropped from the front.
    ttl = math.inf if ttl_s is None else _positive(ttl_s, "ttl_s")
    entries: OrderedDict[int, float] = OrderedDict()
    fills: deque[tuple[float, int]] = deque()
    j, n_writes = 0, 0
    for i in range(n):
        t, key = times[i], keys[i]
        while j < len(wt) and wt[j] <= t:
            k = wk[j]
            if invalidate_on_write:
                entries.pop(k, None)
            elif k not in changed_at:
                changed_at[k] = wt[j]
            n_writes += i >= start
            j += 1
        expires = entries.get(key)
        if expires is not None and t < expires:
            entries.move_to_end(key)
            hit[i] = True
            since = changed_at.get(key)
            if since is not None:
                stale[i] = True
                if i >= start:
                    ages.append(t - since)
            continue
        changed_at.pop(key, None)
        if not size:
            continue
        while fills and not t < fills[0][0]:  # expired entries go first...
            old_expiry, old_key = fills.popleft()
            if entries.get(old_key) == old_expiry:
                del entries[old_key]
        entries.pop(key, None)
        if len(entries) >= size:  # ...then the least recently used
            entries.popitem(last=False)
        entries[key] = t + ttl
        if ttl_s is not None:
            fills.append((t + ttl, key))
    counted_hit = hit[start:]
    counted_stale = stale[start:]
    hits = int(counted_hit.sum())
    t0 = times[start - 1] if start > 0 else 0.0
    return SimulationResult(
        cache_size=size,
        ttl_s=None if ttl_s is None else float(ttl_s),
        hits=hits,
        misses=int(counted_hit.size - hits),
        stale_hits=int(counted_stale.sum()),
        writes=int(n_writes),
        hit=counted_hit,
        stale=counted_stale,
        staleness_s=np.asarray(ages, dtype=np.float64),
        duration_s=float(times[-1] - t0),
    )


def simulate_ttl_staleness(
    trace: Trace,
    ttl_s: float,
    write_interval_s: float,
    *,
    warmup_fraction: float = 0.2,
    seed: int = 0,
) -> SimulationResult:
    """:func:`simulate_cache` for an unbounded TTL cache (``cache_size`` at least the
    number of keys, so nothing is evicted), computed key by key, miss by miss, in numpy: the
    same counts (tests hold the two to each other) for traces long enough to span many
    TTLs. Writes as in :func:`simulate_cache` (the same ``seed`` gives the same writes)."""
    ttl = _positive(ttl_s, "ttl_s")
    _positive(write_interval_s, "write_interval_s")
    warm = _fraction(warmup_fraction, "warmup_fraction")
    n = len(trace)
    if n == 0:
        raise ValueError("the trace is empty")
    w_times, w_keys = _write_events(
        trace.n_keys, trace.duration_s, write_interval_s, np.random.default_rng(seed)
    )
    start = int(n * warm)
    hit = np.zeros(n, dtype=bool)
    stale = np.zeros(n, dtype=bool)
    age = np.zeros(n, dtype=np.float64)
    order = np.argsort(trace.keys, kind="stable")
    bounds = np.searchsorted(trace.keys[order], np.arange(trace.n_keys + 1))
    w_order = np.argsort(w_keys, kind="stable")
    w_bounds = np.searchsorted(w_keys[w_order], np.arange(trace.n_keys + 1))
    for key in range(trace.n_keys):
        idx = order[bounds[key] : bounds[key + 1]]
        if idx.size == 0:
            continue
        t = trace.times_s[idx]
        writes = w_times[w_order[w_bounds[key] : w_bounds[key + 1]]]
        pos = 0
        while pos < t.size:
            fill = t[pos]
            end = int(np.searchsorted(t, fill + ttl, side="left"))  # hits: t < fill + ttl
            if end > pos + 1:
                hit[idx[pos + 1 : end]] = True
                w = int(np.searchsorted(writes, fill, side="right"))  # first change after
                if w < writes.size:
                    first = int(np.searchsorted(t, writes[w], side="left"))
                    first = max(first, pos + 1)
                    if first < end:
                        stale[idx[first:end]] = True
                        age[idx[first:end]] = t[first:end] - writes[w]
            pos = max(end, pos + 1)
    counted = slice(start, n)
    n_writes = int(np.sum(w_times > (trace.times_s[start - 1] if start > 0 else -1.0)))
    t0 = float(trace.times_s[start - 1]) if start > 0 else 0.0
    counted_hit, counted_stale = hit[counted], stale[counted]
    hits = int(counted_hit.sum())
    return SimulationResult(
        cache_size=int(trace.n_keys),
        ttl_s=float(ttl),
        hits=hits,
        misses=int(counted_hit.size - hits),
        stale_hits=int(counted_stale.sum()),
        writes=n_writes,
        hit=counted_hit,
        stale=counted_stale,
        staleness_s=age[counted][counted_stale],
        duration_s=float(trace.times_s[-1] - t0),
    )


def request_latencies_ms(
    hit: ArrayLike,
    hit_ms: float = 1.0,
    miss_ms: float = 40.0,
    sigma: float = 0.3,
    seed: int = 0,
) -> NDArray[np.float64]:
    """Per-request latency (ms): log-normal around ``hit_ms`` for hits and ``miss_ms`` for
    misses (a miss pays the cache lookup and the origin), with spread ``sigma``. Seeded."""
    flags = np.asarray(hit, dtype=bool)
    rng = np.random.default_rng(seed)
    noise = rng.lognormal(0.0, _non_negative(sigma, "sigma"), size=flags.size)
    base = np.where(flags, _positive(hit_ms, "hit_ms"), _positive(miss_ms, "miss_ms"))
    return base * noise
