"""Caches and what they buy: hit ratios, staleness, stampedes and cost, for unit 03.

Sections:

* clocks: :class:`FakeClock`, a clock you advance by hand, so TTL behaviour is exact;
* backends: :class:`LocalCache` (cachetools' LRU/TTL caches in process, thread-safe) and
  :class:`RedisCache` (the same interface on a real Redis server), plus helpers to find or
  start a ``redis-server`` (:func:`open_redis`);
* :class:`CacheAside`: the cache-aside pattern over any backend, with invalidate-on-write or
  write-through, and request coalescing (single flight) against stampedes;
* workloads: bounded Zipf and uniform request traces (:func:`request_trace`);
* simulation: :func:`simulate_cache` replays a trace through a TTL/LRU cache with writes at
  the origin and counts hits, misses and stale answers; :func:`che_hit_ratio` (Che's
  approximation for LRU) and :func:`ttl_hit_ratio` estimate the same analytically;
* stampedes: :func:`run_stampede` (threads behind a barrier, origin calls counted) and
  probabilistic early expiration (:func:`xfetch_should_refresh`, :func:`simulate_expiry`);
* measured costs: serialization (:func:`serialization_cost`) and backend round trips
  (:func:`time_backend_us`);
* models with prices: a CDN/edge (:func:`edge_model`), cache economics
  (:func:`break_even_hit_ratio`) and a whole configuration (:func:`evaluate_config`), priced
  from the illustrative table :data:`CACHE_NODE_PRICES`.

Units are in the names: ``ttl_s``, ``latency_ms``, ``cost_usd_per_hour``, ``object_kb``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pickle
import shutil
import socket
import subprocess
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import cachetools
import numpy as np
from numpy.typing import ArrayLike, NDArray

from tradeoffs._validate import count as _count
from tradeoffs._validate import fraction as _fraction
from tradeoffs._validate import non_negative as _non_negative
from tradeoffs._validate import positive as _positive
from tradeoffs.metrics import PRICE_TABLE, cost_per_million_usd, instances_needed, percentiles

__all__ = [
    "CACHE_NODE_PRICES",
    "EGRESS_USD_PER_GB",
    "HOURS_PER_MONTH",
    "MEMORY_OVERHEAD",
    "MISS",
    "REDIS_URL_ENV",
    "CacheAside",
    "CacheBackend",
    "CacheNodePrice",
    "CacheScenario",
    "CacheStats",
    "ConfigEvaluation",
    "EdgeEstimate",
    "ExpiryRun",
    "FakeClock",
    "LocalCache",
    "RedisCache",
    "RedisHandle",
    "RedisUnavailable",
    "SimulationResult",
    "StampedeResult",
    "Trace",
    "break_even_hit_ratio",
    "cache_net_saving_usd_per_month",
    "che_characteristic_time",
    "che_hit_ratio",
    "cheapest_node",
    "edge_model",
    "evaluate_config",
    "free_port",
    "open_redis",
    "origin_cost_usd_per_million",
    "request_latencies_ms",
    "request_trace",
    "run_stampede",
    "serialization_cost",
    "simulate_cache",
    "simulate_expiry",
    "start_redis_server",
    "time_backend_us",
    "ttl_hit_ratio",
    "xfetch_should_refresh",
    "zipf_probabilities",
]

HOURS_PER_MONTH = 730.0
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600.0
REDIS_URL_ENV = "TRADEOFFS_REDIS_URL"


# --------------------------------------------------------------------------------------------
# Clocks
# --------------------------------------------------------------------------------------------


class FakeClock:
    """A clock that only moves when told to: call it for the time in seconds.

    Pass it as a cache's timer (``LocalCache(..., clock=clock)``) and TTL expiry happens
    exactly when the test says, not when the machine gets round to it.
    """

    def __init__(self, start_s: float = 0.0) -> None:
        self._now_s = float(start_s)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self._now_s

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (>= 0); returns the new time."""
        step = _non_negative(seconds, "seconds")
        with self._lock:
            self._now_s += step
            return self._now_s

    def set(self, now_s: float) -> None:
        """Jump to ``now_s``; time never goes backwards."""
        with self._lock:
            if float(now_s) < self._now_s:
                raise ValueError(f"the clock cannot go back from {self._now_s} to {now_s}")
            self._now_s = float(now_s)

    def __repr__(self) -> str:
        return f"FakeClock(now_s={self._now_s!r})"


# --------------------------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------------------------


class _Miss:
    """The sentinel a backend returns for an absent or expired key (None is a valid value)."""

    _instance: _Miss | None = None

    def __new__(cls) -> _Miss:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISS"

    def __bool__(self) -> bool:
        return False


MISS: Any = _Miss()


class CacheBackend(Protocol):
    """What :class:`CacheAside` needs from a cache: get (or MISS), set and delete by key."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...

    def delete(self, key: str) -> None: ...


class LocalCache:
    """An in-process cache built on cachetools: LRU when ``ttl_s`` is None, else TTL+LRU.

    ``maxsize`` bounds the number of entries (least recently used evicted first; expired
    entries are dropped before anything live is evicted). An entry stored at time t is fresh
    while ``clock() < t + ttl_s``; reads do not extend it. ``clock`` returns seconds
    (default ``time.monotonic``; pass a :class:`FakeClock` for exact tests). All operations
    hold a lock, so threads may share one instance.
    """

    def __init__(
        self,
        maxsize: int,
        ttl_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.maxsize = _count(maxsize, "maxsize")
        self.ttl_s = None if ttl_s is None else _positive(ttl_s, "ttl_s")
        self._cache: cachetools.Cache[str, Any]
        if self.ttl_s is None:
            self._cache = cachetools.LRUCache(maxsize=self.maxsize)
        else:
            self._cache = cachetools.TTLCache(maxsize=self.maxsize, ttl=self.ttl_s, timer=clock)
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            return self._cache.get(key, MISS)

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._cache[key] = value

    def delete(self, key: str) -> None:
        with self._lock:
            self._cache.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)

    def __repr__(self) -> str:
        return f"LocalCache(maxsize={self.maxsize}, ttl_s={self.ttl_s})"


Serializer = Literal["pickle", "json"]


def _codec(serializer: Serializer) -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    if serializer == "pickle":
        return (lambda v: pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)), pickle.loads
    if serializer == "json":
        return (lambda v: json.dumps(v, separators=(",", ":")).encode()), json.loads
    raise ValueError(f"serializer must be 'pickle' or 'json', got {serializer!r}")


class RedisCache:
    """The :class:`LocalCache` interface on a real Redis server.

    Values are serialized (pickle by default, or JSON) and stored under ``prefix + key``
    with ``SET ... PX ttl`` when ``ttl_s`` is given; Redis evicts by its own
    ``maxmemory-policy``, not by a count. ``round_trips`` counts commands sent. Only
    unpickle data from a Redis you trust.
    """

    def __init__(
        self,
        client: Any,
        ttl_s: float | None = None,
        prefix: str = "tradeoffs:",
        serializer: Serializer = "pickle",
    ) -> None:
        self.client = client
        self.ttl_s = None if ttl_s is None else _positive(ttl_s, "ttl_s")
        self.prefix = str(prefix)
        self._dumps, self._loads = _codec(serializer)
        self.round_trips = 0
        self._lock = threading.Lock()

    def _sent(self, n: int = 1) -> None:
        with self._lock:
            self.round_trips += n

    def get(self, key: str) -> Any:
        self._sent()
        raw = self.client.get(self.prefix + key)
        return MISS if raw is None else self._loads(raw)

    def set(self, key: str, value: Any) -> None:
        self._sent()
        px = None if self.ttl_s is None else max(1, round(self.ttl_s * 1000))
        self.client.set(self.prefix + key, self._dumps(value), px=px)

    def delete(self, key: str) -> None:
        self._sent()
        self.client.delete(self.prefix + key)

    def clear(self) -> int:
        """Delete every key under this cache's prefix; returns how many there were."""
        keys = list(self.client.scan_iter(match=self.prefix + "*", count=1000))
        self._sent(1 + len(keys) // 1000)
        return int(self.client.delete(*keys)) if keys else 0

    def __repr__(self) -> str:
        return f"RedisCache(prefix={self.prefix!r}, ttl_s={self.ttl_s})"


# --------------------------------------------------------------------------------------------
# Redis servers
# --------------------------------------------------------------------------------------------


class RedisUnavailable(RuntimeError):
    """No Redis server could be reached or started; the message says why and what to do."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisHandle:
    """A connected Redis client, where it came from, and the server process if we started it."""

    client: Any
    url: str
    source: str
    process: subprocess.Popen[bytes] | None = None

    def close(self) -> None:
        """Close the connection and stop the server if this handle started it."""
        with contextlib.suppress(Exception):
            self.client.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> RedisHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _connect(url: str, timeout_s: float) -> Any:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    client.ping()
    return client


def start_redis_server(port: int | None = None, timeout_s: float = 10.0) -> RedisHandle:
    """Start a throwaway ``redis-server`` on 127.0.0.1 (no persistence) and connect to it.

    Raises RedisUnavailable when the binary is not installed or the server does not answer
    within ``timeout_s``. Stop it with ``handle.close()`` (or use ``with``).
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable(
            "redis-server is not installed; install it (Debian/Ubuntu: "
            "`sudo apt-get install redis-server`, macOS: `brew install redis`) "
            f"or point {REDIS_URL_ENV} at a running server"
        )
    port = free_port() if port is None else _count(port, "port")
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    cmd += ["--daemonize", "no", "--loglevel", "warning"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RedisUnavailable(f"redis-server exited at start (status {proc.returncode})")
        try:
            client = _connect(url, 1.0)
        except Exception as exc:  # not listening yet
            last = exc
            time.sleep(0.05)
            continue
        return RedisHandle(client, url, f"started redis-server on port {port}", proc)
    proc.terminate()
    proc.wait(timeout=10)
    raise RedisUnavailable(f"redis-server did not answer on port {port} in {timeout_s} s: {last}")


def open_redis(start_if_missing: bool = True, timeout_s: float = 5.0) -> RedisHandle:
    """A Redis to use: the server at ``$TRADEOFFS_REDIS_URL`` if set, else (when
    ``start_if_missing``) a throwaway ``redis-server`` started here.

    Raises RedisUnavailable with the reason when neither works: an unreachable
    ``TRADEOFFS_REDIS_URL`` is an error, not a reason to start another server.
    """
    url = os.environ.get(REDIS_URL_ENV)
    if url:
        try:
            client = _connect(url, timeout_s)
        except Exception as exc:
            raise RedisUnavailable(
                f"{REDIS_URL_ENV}={url} is set but not reachable: {exc}"
            ) from exc
        return RedisHandle(client, url, f"{REDIS_URL_ENV}={url}")
    if not start_if_missing:
        raise RedisUnavailable(f"{REDIS_URL_ENV} is not set")
    return start_redis_server(timeout_s=max(timeout_s, 10.0))


# --------------------------------------------------------------------------------------------
# Cache-aside
# --------------------------------------------------------------------------------------------


@dataclass
class CacheStats:
    """Counts of one :class:`CacheAside`: lookups that hit, missed, loaded from the origin,
    or waited for another caller's load (coalesced)."""

    hits: int = 0
    misses: int = 0
    loads: int = 0
    coalesced: int = 0

    @property
    def requests(self) -> int:
        return self.hits + self.misses

    @property
    def hit_ratio(self) -> float:
        return self.hits / self.requests if self.requests else 0.0


class _Flight:
    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


WritePolicy = Literal["invalidate", "write-through"]


class CacheAside:
    """Cache-aside over ``backend``: look in the cache, on a miss call ``load(key)`` (the
    origin) and store the result.

    ``write(key, value)`` calls ``save(key, value)`` on the origin, then either deletes the
    cached entry (``write_policy="invalidate"``, the next read reloads) or stores the new
    value in the cache (``"write-through"``). With ``coalesce=True``, concurrent misses on one
    key share a single origin call (single flight): the first caller loads, the others wait
    for its result; different keys still load in parallel. Thread-safe.
    """

    def __init__(
        self,
        backend: CacheBackend,
        load: Callable[[str], Any],
        save: Callable[[str, Any], None] | None = None,
        *,
        write_policy: WritePolicy = "invalidate",
        coalesce: bool = False,
    ) -> None:
        if write_policy not in ("invalidate", "write-through"):
            raise ValueError(
                f"write_policy must be 'invalidate' or 'write-through', got {write_policy!r}"
            )
        if not callable(load):
            raise TypeError("load must be a callable: key -> value")
        self.backend = backend
        self.load = load
        self.save = save
        self.write_policy = write_policy
        self.coalesce = bool(coalesce)
        self.stats = CacheStats()
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    def get(self, key: str) -> Any:
        """The value for ``key``, from the cache when it is there, else from the origin."""
        value = self.backend.get(key)
        if value is not MISS:
            self._count("hits")
            return value
        self._count("misses")
        if not self.coalesce:
            return self._load_and_store(key)
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
            else:
                self.stats.coalesced += 1
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value
        try:
            # Another caller may have finished loading between our miss and our flight.
            value = self.backend.get(key)
            flight.value = self._load_and_store(key) if value is MISS else value
            return flight.value
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()

    def _load_and_store(self, key: str) -> Any:
        self._count("loads")
        value = self.load(key)
        self.backend.set(key, value)
        return value

    def write(self, key: str, value: Any) -> None:
        """Write ``value`` to the origin, then invalidate or update the cached entry."""
        if self.save is None:
            raise TypeError("this CacheAside has no save function: pass save=... to write")
        self.save(key, value)
        if self.write_policy == "invalidate":
            self.backend.delete(key)
        else:
            self.backend.set(key, value)


# --------------------------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------------------------


def zipf_probabilities(n_keys: int, skew: float) -> NDArray[np.float64]:
    """Popularity of each of ``n_keys`` keys under a bounded Zipf law: p(rank r) ∝ 1/r^skew.

    Key 0 is the most popular. ``skew = 0`` is uniform; web and CDN traces typically show
    0.6 to 1.0. Returns probabilities summing to 1.
    """
    n = _count(n_keys, "n_keys")
    s = _non_negative(skew, "skew")
    weights = np.arange(1, n + 1, dtype=np.float64) ** -s
    return weights / weights.sum()


@dataclass(frozen=True)
class Trace:
    """A request trace: arrival times (s, increasing) and the key (an int) each asks for."""

    times_s: NDArray[np.float64]
    keys: NDArray[np.int64]
    n_keys: int
    skew: float

    def __len__(self) -> int:
        return int(self.keys.size)

    @property
    def duration_s(self) -> float:
        return float(self.times_s[-1]) if self.times_s.size else 0.0

    @property
    def rate_per_s(self) -> float:
        return len(self) / self.duration_s if self.duration_s > 0 else 0.0


def request_trace(
    n_requests: int,
    n_keys: int,
    skew: float = 0.9,
    rate_per_s: float = 100.0,
    seed: int = 0,
) -> Trace:
    """A seeded trace of ``n_requests`` independent requests (Poisson arrivals at
    ``rate_per_s``) over ``n_keys`` keys with bounded-Zipf popularity ``skew`` (0: uniform)."""
    n = _count(n_requests, "n_requests")
    rate = _positive(rate_per_s, "rate_per_s")
    probs = zipf_probabilities(n_keys, skew)
    rng = np.random.default_rng(seed)
    keys = rng.choice(probs.size, size=n, p=probs).astype(np.int64)
    times = np.cumsum(rng.exponential(1.0 / rate, size=n))
    return Trace(times_s=times, keys=keys, n_keys=int(n_keys), skew=float(skew))


# --------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationResult:
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
    def requests(self) -> int:
        return self.hits + self.misses

    @property
    def hit_ratio(self) -> float:
        return self.hits / self.requests if self.requests else 0.0

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


def che_characteristic_time(probabilities: ArrayLike, cache_size: float) -> float:
    """Che's characteristic time T_C of an LRU cache of ``cache_size`` entries: the root of
    sum_i (1 - exp(-p_i T)) = C, found by bisection (T in units of requests).

    Returns ``math.inf`` when the cache holds every key.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 1 or p.size == 0 or np.any(p < 0) or not math.isclose(p.sum(), 1.0, rel_tol=1e-6):
        raise ValueError(
            "probabilities must be a non-empty 1-D array of non-negatives summing to 1"
        )
    c = _non_negative(cache_size, "cache_size")
    positive = p[p > 0]
    if c >= positive.size:
        return math.inf
    if c == 0:
        return 0.0

    def occupancy(t: float) -> float:
        return float(np.sum(-np.expm1(-positive * t)))

    lo, hi = 0.0, 1.0
    while occupancy(hi) < c:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if occupancy(mid) < c:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return 0.5 * (lo + hi)


def che_hit_ratio(probabilities: ArrayLike, cache_size: float) -> float:
    """Hit ratio of an LRU cache of ``cache_size`` entries under independent requests with
    key popularities ``probabilities`` (Che's approximation): sum_i p_i (1 - exp(-p_i T_C))."""
    p = np.asarray(probabilities, dtype=np.float64)
    t = che_characteristic_time(p, cache_size)
    if math.isinf(t):
        return 1.0
    return float(np.sum(p * -np.expm1(-p * t)))


def ttl_hit_ratio(probabilities: ArrayLike, rate_per_s: float, ttl_s: float) -> float:
    """Hit ratio of an unbounded TTL cache (entries expire ``ttl_s`` after they are filled)
    under Poisson requests at ``rate_per_s`` with key popularities ``probabilities``.

    A key requested at rate λ is filled by a miss and then serves λ·T hits on average before
    it expires, so its hit ratio is λT / (1 + λT).
    """
    p = np.asarray(probabilities, dtype=np.float64)
    rate = _positive(rate_per_s, "rate_per_s")
    ttl = _non_negative(ttl_s, "ttl_s")
    lam_t = p * rate * ttl
    return float(np.sum(p * lam_t / (1.0 + lam_t)))


# --------------------------------------------------------------------------------------------
# Latency and cost of a configuration
# --------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class CacheNodePrice:
    """A managed cache node type: usable memory and on-demand price (USD per hour)."""

    name: str
    memory_gib: float
    cost_usd_per_hour: float


CACHE_NODE_PRICES: dict[str, CacheNodePrice] = {
    p.name: p
    for p in (
        CacheNodePrice("cache.micro", memory_gib=0.5, cost_usd_per_hour=0.02),
        CacheNodePrice("cache.small", memory_gib=1.5, cost_usd_per_hour=0.04),
        CacheNodePrice("cache.medium", memory_gib=3.0, cost_usd_per_hour=0.07),
        CacheNodePrice("cache.large", memory_gib=6.5, cost_usd_per_hour=0.16),
        CacheNodePrice("cache.xlarge", memory_gib=13.0, cost_usd_per_hour=0.32),
        CacheNodePrice("cache.2xlarge", memory_gib=26.0, cost_usd_per_hour=0.64),
    )
}
"""Illustrative managed-cache prices: round numbers of the right order, not a quote."""

EGRESS_USD_PER_GB: dict[str, float] = {
    "origin_to_internet": 0.09,
    "cdn_to_internet": 0.06,
    "origin_to_cdn": 0.01,
}
"""Illustrative data-transfer prices per GB (decimal): an origin in a cloud region serving
users directly, a CDN serving them, and the origin filling the CDN's edges."""

#: Memory a cache needs per byte of payload (keys, headers, allocator slack), a rule of thumb.
MEMORY_OVERHEAD = 1.3


def cheapest_node(memory_gib: float) -> CacheNodePrice:
    """The cheapest node in :data:`CACHE_NODE_PRICES` with at least ``memory_gib`` usable."""
    need = _non_negative(memory_gib, "memory_gib")
    fits = [p for p in CACHE_NODE_PRICES.values() if p.memory_gib >= need]
    if not fits:
        biggest = max(p.memory_gib for p in CACHE_NODE_PRICES.values())
        raise ValueError(f"no cache node holds {need:.1f} GiB (largest: {biggest} GiB); shard it")
    return min(fits, key=lambda p: p.cost_usd_per_hour)


def break_even_hit_ratio(
    node_cost_usd_per_hour: float, requests_per_s: float, origin_cost_usd_per_million: float
) -> float:
    """The hit ratio at which a cache node's price equals the origin work it saves.

    Each hit saves one origin request; hits per hour = rate * h * 3600. Above the returned
    ratio the node pays for itself; a value above 1 means it never does at this rate.
    """
    node = _non_negative(node_cost_usd_per_hour, "node_cost_usd_per_hour")
    rate = _positive(requests_per_s, "requests_per_s")
    origin = _positive(origin_cost_usd_per_million, "origin_cost_usd_per_million")
    return node / (rate * 3600.0 * origin / 1e6)


def cache_net_saving_usd_per_month(
    hit_ratio: float,
    requests_per_s: float,
    origin_cost_usd_per_million: float,
    node_cost_usd_per_hour: float,
) -> float:
    """Origin cost saved by the hits minus the node's price, per 730-hour month (USD)."""
    h = _fraction(hit_ratio, "hit_ratio")
    rate = _non_negative(requests_per_s, "requests_per_s")
    origin = _non_negative(origin_cost_usd_per_million, "origin_cost_usd_per_million")
    node = _non_negative(node_cost_usd_per_hour, "node_cost_usd_per_hour")
    return (rate * h * origin / 1e6 * 3600.0 - node) * HOURS_PER_MONTH


@dataclass(frozen=True)
class CacheScenario:
    """A product-catalogue API in front of a database, the running example of unit 03.

    ``n_keys`` products requested at ``rate_per_s`` with Zipf ``skew``; each cached value is
    ``item_kb``; a hit takes about ``hit_ms``, a miss about ``miss_ms``; the origin changes a
    product on average every ``write_interval_s``. The origin runs on ``origin_instance``
    machines from :data:`tradeoffs.metrics.PRICE_TABLE`, each serving ``origin_capacity_rps``
    reads at up to ``origin_target_utilisation``.
    """

    n_keys: int = 5_000
    skew: float = 0.9
    rate_per_s: float = 400.0
    n_requests: int = 120_000
    item_kb: float = 500.0
    hit_ms: float = 1.0
    miss_ms: float = 40.0
    write_interval_s: float = 3600.0
    origin_instance: str = "general.large"
    origin_capacity_rps: float = 50.0
    origin_target_utilisation: float = 0.7
    seed: int = 0

    def trace(self) -> Trace:
        return _cached_trace(self.n_requests, self.n_keys, self.skew, self.rate_per_s, self.seed)


_TRACES: dict[tuple[int, int, float, float, int], Trace] = {}


def _cached_trace(n: int, n_keys: int, skew: float, rate: float, seed: int) -> Trace:
    key = (n, n_keys, skew, rate, seed)
    if key not in _TRACES:
        if len(_TRACES) > 16:
            _TRACES.clear()
        _TRACES[key] = request_trace(n, n_keys, skew, rate, seed)
    return _TRACES[key]


@dataclass(frozen=True)
class ConfigEvaluation:
    """One cache configuration run against a :class:`CacheScenario`: what users see
    (hit ratio, latency percentiles, stale answers) and what it costs per month."""

    cache_size: int
    ttl_s: float | None
    hit_ratio: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    stale_fraction: float
    max_staleness_s: float
    origin_rps: float
    origin_instances: int
    node: str | None
    cache_cost_usd_per_month: float
    origin_cost_usd_per_month: float
    latencies_ms: NDArray[np.float64] = field(repr=False, compare=False)
    staleness_s: NDArray[np.float64] = field(repr=False, compare=False)

    @property
    def monthly_cost_usd(self) -> float:
        return self.cache_cost_usd_per_month + self.origin_cost_usd_per_month


_EVALUATIONS: dict[tuple[int, float | None, CacheScenario], ConfigEvaluation] = {}


def evaluate_config(
    cache_size: int, ttl_s: float | None, scenario: CacheScenario | None = None
) -> ConfigEvaluation:
    """Simulate ``scenario`` (default :class:`CacheScenario`) with an LRU cache of
    ``cache_size`` entries and TTL ``ttl_s`` (None: no expiry), and price it.

    Latency: :func:`request_latencies_ms` over the simulated hits and misses; p50/p90/p99
    are nearest-rank. Cost per 730-hour month: the cheapest node of :data:`CACHE_NODE_PRICES`
    holding ``cache_size * item_kb`` (times :data:`MEMORY_OVERHEAD`), plus the origin
    machines needed for the miss rate at the target utilisation (at least one). Results
    are memoised per (size, TTL, scenario), so asking twice costs nothing.
    """
    sc = scenario or CacheScenario()
    size = _count(cache_size, "cache_size", minimum=0)
    memo_key = (size, None if ttl_s is None else float(ttl_s), sc)
    if memo_key in _EVALUATIONS:
        return _EVALUATIONS[memo_key]
    if len(_EVALUATIONS) > 512:
        _EVALUATIONS.clear()
    _EVALUATIONS[memo_key] = result = _evaluate(size, ttl_s, sc)
    return result


def _evaluate(cache_size: int, ttl_s: float | None, sc: CacheScenario) -> ConfigEvaluation:
    sim = simulate_cache(
        sc.trace(), cache_size, ttl_s, write_interval_s=sc.write_interval_s, seed=sc.seed
    )
    lat = request_latencies_ms(sim.hit, sc.hit_ms, sc.miss_ms, seed=sc.seed)
    pct = percentiles(lat, (50, 90, 99))
    origin_rps = sc.rate_per_s * (1.0 - sim.hit_ratio)
    instances = max(
        1, instances_needed(origin_rps, sc.origin_capacity_rps, sc.origin_target_utilisation)
    )
    origin_cost = instances * PRICE_TABLE[sc.origin_instance].cost_usd_per_hour * HOURS_PER_MONTH
    node = None
    cache_cost = 0.0
    if cache_size > 0:
        price = cheapest_node(cache_size * sc.item_kb * MEMORY_OVERHEAD / 2**20)
        node, cache_cost = price.name, price.cost_usd_per_hour * HOURS_PER_MONTH
    return ConfigEvaluation(
        cache_size=int(cache_size),
        ttl_s=None if ttl_s is None else float(ttl_s),
        hit_ratio=sim.hit_ratio,
        p50_ms=pct[50.0],
        p90_ms=pct[90.0],
        p99_ms=pct[99.0],
        stale_fraction=sim.stale_fraction,
        max_staleness_s=sim.max_staleness_s,
        origin_rps=origin_rps,
        origin_instances=instances,
        node=node,
        cache_cost_usd_per_month=cache_cost,
        origin_cost_usd_per_month=origin_cost,
        latencies_ms=lat,
        staleness_s=sim.staleness_s,
    )


def origin_cost_usd_per_million(scenario: CacheScenario | None = None) -> float:
    """What one million origin reads cost in ``scenario`` (at its target utilisation)."""
    sc = scenario or CacheScenario()
    price = PRICE_TABLE[sc.origin_instance].cost_usd_per_hour
    return cost_per_million_usd(price, sc.origin_capacity_rps, sc.origin_target_utilisation)


# --------------------------------------------------------------------------------------------
# The CDN / edge view
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EdgeEstimate:
    """A CDN in front of an origin: load left on the origin, latency users see, egress bills."""

    edge_hit_ratio: float
    origin_rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    egress_usd_per_month: float
    egress_without_cdn_usd_per_month: float


def edge_model(
    requests_per_s: float,
    edge_hit_ratio: float,
    object_kb: float,
    edge_rtt_ms: float = 15.0,
    origin_rtt_ms: float = 90.0,
    origin_service_ms: float = 30.0,
    prices: dict[str, float] | None = None,
) -> EdgeEstimate:
    """Model a CDN: a hit costs the user one round trip to the nearby edge; a miss adds the
    edge's round trip to the origin and the origin's service time.

    Percentiles are those of the two-point distribution (a request is a hit with probability
    ``edge_hit_ratio``). Egress per 730-hour month: every byte users get at the CDN price,
    plus the missed bytes from origin to edge; without a CDN, every byte at the origin's price.
    """
    rate = _non_negative(requests_per_s, "requests_per_s")
    h = _fraction(edge_hit_ratio, "edge_hit_ratio")
    kb = _non_negative(object_kb, "object_kb")
    pr = {**EGRESS_USD_PER_GB, **(prices or {})}
    hit_ms = _non_negative(edge_rtt_ms, "edge_rtt_ms")
    miss_ms = hit_ms + _non_negative(origin_rtt_ms, "origin_rtt_ms")
    miss_ms += _non_negative(origin_service_ms, "origin_service_ms")

    def pct(q: float) -> float:
        # nearest rank of a two-point distribution: the hits are the fast first h of it
        return hit_ms if q / 100.0 <= h else miss_ms

    gb_per_month = rate * kb * 1e3 * SECONDS_PER_MONTH / 1e9
    return EdgeEstimate(
        edge_hit_ratio=h,
        origin_rps=rate * (1.0 - h),
        p50_ms=pct(50),
        p99_ms=pct(99),
        mean_ms=h * hit_ms + (1 - h) * miss_ms,
        egress_usd_per_month=gb_per_month
        * (pr["cdn_to_internet"] + (1.0 - h) * pr["origin_to_cdn"]),
        egress_without_cdn_usd_per_month=gb_per_month * pr["origin_to_internet"],
    )


# --------------------------------------------------------------------------------------------
# Stampedes
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Measured costs: serialization and round trips
# --------------------------------------------------------------------------------------------


def _median_us(fn: Callable[[], object], repeats: int) -> float:
    clock = time.perf_counter_ns
    out = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        out.append((clock() - t0) / 1e3)
    return float(np.median(out))


def serialization_cost(value: Any, repeats: int = 200) -> dict[str, dict[str, float]]:
    """Measure how long ``value`` takes to serialize and back with pickle and JSON.

    Returns ``{"pickle": {...}, "json": {...}}`` with ``bytes``, ``dumps_us`` and
    ``loads_us`` (medians of ``repeats`` timed calls, microseconds).
    """
    reps = _count(repeats, "repeats")
    out: dict[str, dict[str, float]] = {}
    names: tuple[Serializer, ...] = ("pickle", "json")
    for name in names:
        dumps, loads = _codec(name)
        data = dumps(value)
        out[name] = {
            "bytes": float(len(data)),
            "dumps_us": _median_us(lambda: dumps(value), reps),  # noqa: B023 (used at once)
            "loads_us": _median_us(lambda: loads(data), reps),  # noqa: B023
        }
    return out


def time_backend_us(
    backend: CacheBackend, value: Any, n: int = 500, key: str = "bench"
) -> dict[str, NDArray[np.float64]]:
    """Time ``n`` sets then ``n`` gets of ``value`` on ``backend``, one call at a time.

    Returns ``{"set": µs per call, "get": µs per call}`` (arrays of length ``n``), measured
    with ``time.perf_counter_ns``; for Redis this includes serialization and the network
    round trip.
    """
    calls = _count(n, "n")
    clock = time.perf_counter_ns
    out: dict[str, NDArray[np.float64]] = {}
    for op in ("set", "get"):
        samples = np.empty(calls)
        for i in range(calls):
            t0 = clock()
            if op == "set":
                backend.set(key, value)
            else:
                backend.get(key)
            samples[i] = (clock() - t0) / 1e3
        out[op] = samples
    backend.delete(key)
    return out
