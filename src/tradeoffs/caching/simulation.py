"""Simulation: replay a trace through a TTL/LRU cache with writes at the origin, count
hits, misses and stale answers, and give each request a latency."""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from tqdm.auto import tqdm

from tradeoffs._validate import count as _count
from tradeoffs._validate import fraction as _fraction
from tradeoffs._validate import non_negative as _non_negative
from tradeoffs._validate import positive as _positive
from tradeoffs.caching._counts import HitRatio
from tradeoffs.caching.analytic import ttl_hit_ratio, ttl_stale_fraction
from tradeoffs.caching.workloads import Trace, request_trace, zipf_probabilities

__all__ = [
    "SimulationResult",
    "StalenessRow",
    "request_latencies_ms",
    "simulate_cache",
    "simulate_ttl_staleness",
    "ttl_staleness_study",
]


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
    number of keys, so nothing is evicted), in numpy: the same counts, request by request
    (tests hold the two to each other), fast enough for traces that span many TTLs. Writes
    as in :func:`simulate_cache` (the same ``seed`` gives the same writes).

    Each round advances every key by one fill: a miss at time t fills the entry, the key's
    requests before t + ``ttl_s`` are hits, those from the key's first change after t on are
    stale, and the key's next request after the window is its next miss. The rounds number
    about ``trace.duration_s / ttl_s``, each over all keys at once."""
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
    # Requests (and writes) sorted by key, then time, as one increasing array: key * span
    # + time, with span a power of two beyond every time, so searches stay inside a key.
    span = 2.0 ** math.ceil(math.log2(trace.duration_s + ttl + 2.0))
    order = np.argsort(trace.keys, kind="stable")
    t = trace.times_s[order]
    k = trace.keys[order].astype(np.float64) * span
    flat = k + t
    bounds = np.searchsorted(trace.keys[order], np.arange(trace.n_keys + 1))
    w_order = np.lexsort((w_times, w_keys))
    wt = w_times[w_order]
    w_flat = w_keys[w_order].astype(np.float64) * span + wt
    hit_edges = np.zeros(n + 1, dtype=np.int64)
    stale_edges = np.zeros(n + 1, dtype=np.int64)
    stale_from = np.full(n, np.nan)
    pos = bounds[:-1][np.diff(bounds) > 0]
    seg_end = bounds[1:][np.diff(bounds) > 0]
    while pos.size:
        fill = t[pos]
        end = np.searchsorted(flat, k[pos] + fill + ttl, side="left")  # hits: t < fill + T
        has_hits = end > pos + 1
        np.add.at(hit_edges, pos[has_hits] + 1, 1)
        np.add.at(hit_edges, end[has_hits], -1)
        w = np.searchsorted(w_flat, k[pos] + fill, side="right")  # first change after fill
        same_key = w < wt.size
        same_key[same_key] = np.floor(w_flat[w[same_key]] / span) * span == k[pos][same_key]
        sel = has_hits & same_key
        first = np.searchsorted(flat, k[pos[sel]] + wt[w[sel]], side="left")
        first = np.maximum(first, pos[sel] + 1)
        stale_end = end[sel]
        some = first < stale_end
        np.add.at(stale_edges, first[some], 1)
        np.add.at(stale_edges, stale_end[some], -1)
        stale_from[first[some]] = wt[w[sel][some]]
        pos = np.maximum(end, pos + 1)
        keep = pos < seg_end
        pos, seg_end = pos[keep], seg_end[keep]
    hit_sorted = np.cumsum(hit_edges[:-1]) > 0
    stale_sorted = np.cumsum(stale_edges[:-1]) > 0
    # Within a stale run, the change it follows is the one recorded at the run's start.
    idx = np.where(np.isnan(stale_from), 0, np.arange(n))
    since = stale_from[np.maximum.accumulate(idx)]
    hit = np.empty(n, dtype=bool)
    stale = np.empty(n, dtype=bool)
    age = np.zeros(n, dtype=np.float64)
    hit[order] = hit_sorted
    stale[order] = stale_sorted
    age[order] = np.where(stale_sorted, t - since, 0.0)
    counted = slice(start, n)
    t0 = float(trace.times_s[start - 1]) if start > 0 else 0.0
    # The writes simulate_cache applies while counting: after the warm-up's last request,
    # up to the last request.
    after = w_times > t0 if start > 0 else np.ones(w_times.size, dtype=bool)
    n_writes = int(np.sum(after & (w_times <= trace.times_s[-1])))
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


@dataclass(frozen=True)
class StalenessRow:
    """One TTL of :func:`ttl_staleness_study`: the simulated figures, one per seed, beside
    the steady-state formulas (:func:`ttl_stale_fraction`, :func:`ttl_hit_ratio`)."""

    ttl_s: float
    stale_fractions: tuple[float, ...]
    hit_ratios: tuple[float, ...]
    origin_reads_per_s: tuple[float, ...]
    max_staleness_s: float
    formula_stale_fraction: float
    formula_hit_ratio: float


def ttl_staleness_study(
    ttls_s: Sequence[float],
    write_interval_s: float,
    *,
    n_keys: int = 5_000,
    skew: float = 0.9,
    rate_per_s: float = 400.0,
    duration_s: float = 3_600.0,
    seeds: Sequence[int] = (0, 1, 2, 3),
    progress: bool = True,
) -> list[StalenessRow]:
    """Stale share, hit ratio and origin load of an unbounded TTL cache for each TTL in
    ``ttls_s``, over ``duration_s`` seconds of Zipf(``skew``) requests at ``rate_per_s``
    (many TTLs long), once per seed (a trace and writes of its own), with each key changed
    at the origin on average once per ``write_interval_s``. The spread over seeds shows how
    much one run can be trusted; the formulas give the expectation."""
    if not ttls_s or not seeds:
        raise ValueError("give at least one TTL and one seed")
    n = _count(round(rate_per_s * _positive(duration_s, "duration_s")), "requests", minimum=1)
    probs = zipf_probabilities(n_keys, skew)
    sims: dict[float, list[SimulationResult]] = {float(t): [] for t in ttls_s}
    for seed in tqdm(list(seeds), desc="seeds", disable=not progress):
        trace = request_trace(n, n_keys, skew=skew, rate_per_s=rate_per_s, seed=seed)
        for ttl in sims:
            sims[ttl].append(simulate_ttl_staleness(trace, ttl, write_interval_s, seed=seed))
    return [
        StalenessRow(
            ttl_s=ttl,
            stale_fractions=tuple(r.stale_fraction for r in runs),
            hit_ratios=tuple(r.hit_ratio for r in runs),
            origin_reads_per_s=tuple(r.origin_reads_per_s for r in runs),
            max_staleness_s=max(r.max_staleness_s for r in runs),
            formula_stale_fraction=ttl_stale_fraction(probs, rate_per_s, ttl, write_interval_s),
            formula_hit_ratio=ttl_hit_ratio(probs, rate_per_s, ttl),
        )
        for ttl, runs in sims.items()
    ]


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
