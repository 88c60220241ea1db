"""Latency, throughput, cost and accuracy metrics for unit 01.

Everything here takes plain lists or numpy arrays and returns plain floats, numpy arrays or
small frozen dataclasses. Units are in the names: ``latency_ms``, ``rate_per_s``,
``cost_usd_per_hour``. Percentiles are given as ``q`` in [0, 100], like numpy's
``np.percentile`` (PromQL's ``histogram_quantile`` takes q / 100).

Sections:

* percentiles (nearest-rank and interpolated) and their bootstrap confidence interval;
* HdrHistogram helpers (record in microseconds, merge, read percentiles in ms);
* Prometheus-style bucket histograms and ``histogram_quantile`` interpolation;
* coordinated omission: a stalling single-server service driven by a closed-loop or an
  open-loop load generator, either simulated on a clock or measured for real;
* queues: Little's law, M/M/1 and M/M/c formulas and a seeded discrete-event simulation;
* cost per request from an illustrative price table;
* precision, recall, F1 and the confusion matrix for a binary classifier.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np
from hdrh.histogram import HdrHistogram
from numpy.typing import ArrayLike, NDArray

from tradeoffs._validate import non_negative as _check_non_negative
from tradeoffs._validate import positive as _check_positive

__all__ = [
    "HISTOGRAM_UNITS_PER_MS",
    "PRICE_TABLE",
    "PROMETHEUS_DEFAULT_BUCKETS_S",
    "ConfusionMatrix",
    "InstancePrice",
    "QueueRun",
    "StallingService",
    "ThresholdScores",
    "bootstrap_ci",
    "bucket_counts",
    "bucket_quantile",
    "closed_loop_latencies",
    "confusion_matrix",
    "corrected_latency_histogram",
    "cost_per_million_usd",
    "cost_per_request_usd",
    "fleet_latencies_ms",
    "histogram_percentile_ms",
    "instances_needed",
    "latency_histogram",
    "littles_law_concurrency",
    "littles_law_latency_s",
    "littles_law_throughput_per_s",
    "make_fraud_scores",
    "merge_histograms",
    "mixture_latencies_ms",
    "mm1_latency_percentile_s",
    "mm1_mean_latency_s",
    "mmc_mean_latency_s",
    "open_loop_latencies",
    "percentile",
    "percentiles",
    "precision_recall_f1",
    "scores_at_threshold",
    "simulate_queue",
    "threshold_sweep",
    "time_calls_ms",
    "utilisation",
]

PercentileMethod = Literal["nearest-rank", "linear"]
_METHODS = ("nearest-rank", "linear")

# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def _as_samples(samples: ArrayLike, name: str = "samples") -> NDArray[np.float64]:
    """A 1-D, non-empty, finite float array, or a ValueError that says what is wrong."""
    try:
        arr = np.asarray(samples, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a sequence of numbers: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: a percentile needs at least one sample")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _check_q(q: float) -> float:
    qf = float(q)
    if not 0.0 <= qf <= 100.0 or math.isnan(qf):
        raise ValueError(f"q={q!r} is out of range: percentiles are given in [0, 100]")
    return qf


def _check_utilisation(value: float) -> float:
    u = float(value)
    if not 0.0 < u <= 1.0:
        raise ValueError(f"utilisation must be in (0, 1], got {value!r}")
    return u


# --------------------------------------------------------------------------------------------
# Percentiles
# --------------------------------------------------------------------------------------------


def _nearest_rank(q: float, n: int) -> int:
    """1-based nearest rank ceil(q/100 * n), computed exactly (no float round-off at 99.9)."""
    rank = math.ceil(Fraction(repr(q)) * n / 100)
    return max(rank, 1)


def percentile(samples: ArrayLike, q: float, method: PercentileMethod = "nearest-rank") -> float:
    """The q-th percentile of ``samples`` (same unit as the samples).

    ``method="nearest-rank"`` returns the ceil(q/100 * n)-th smallest sample (1-based; q=0
    gives the minimum): always a value that was actually observed. It equals numpy's
    ``method="inverted_cdf"``. ``method="linear"`` is numpy's default, which interpolates
    between the two neighbouring samples and can return a value nobody observed.
    """
    arr = _as_samples(samples)
    qf = _check_q(q)
    if method == "nearest-rank":
        k = _nearest_rank(qf, arr.size) - 1
        return float(np.partition(arr, k)[k])
    if method == "linear":
        return float(np.percentile(arr, qf, method="linear"))
    raise ValueError(f"unknown method {method!r}: use one of {_METHODS}")


def percentiles(
    samples: ArrayLike,
    qs: Iterable[float] = (50, 95, 99),
    method: PercentileMethod = "nearest-rank",
) -> dict[float, float]:
    """Several percentiles at once: ``{q: value}`` in the unit of the samples."""
    arr = _as_samples(samples)
    qs = list(qs)
    if not qs:
        raise ValueError("qs is empty: ask for at least one percentile")
    if method not in _METHODS:
        raise ValueError(f"unknown method {method!r}: use one of {_METHODS}")
    sorted_arr = np.sort(arr)
    out: dict[float, float] = {}
    for q in qs:
        qf = _check_q(q)
        if method == "nearest-rank":
            out[float(q)] = float(sorted_arr[_nearest_rank(qf, arr.size) - 1])
        else:
            out[float(q)] = float(np.percentile(sorted_arr, qf, method="linear"))
    return out


def bootstrap_ci(
    samples: ArrayLike,
    q: float,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    method: PercentileMethod = "nearest-rank",
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval (low, high) for the q-th percentile.

    Resamples ``samples`` with replacement ``n_boot`` times, computes the percentile of each
    resample and returns the central ``confidence`` range of those values (same unit as the
    samples). Seeded, so the same call gives the same interval.
    """
    arr = _as_samples(samples)
    qf = _check_q(q)
    if int(n_boot) < 10:
        raise ValueError(f"n_boot must be at least 10, got {n_boot!r}")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if method not in _METHODS:
        raise ValueError(f"unknown method {method!r}: use one of {_METHODS}")
    rng = np.random.default_rng(seed)
    sorted_arr = np.sort(arr)
    n = arr.size
    if method == "nearest-rank":
        stats = _bootstrap_order_statistic(sorted_arr, _nearest_rank(qf, n), int(n_boot), rng)
    else:
        stats = _bootstrap_by_resampling(sorted_arr, qf, int(n_boot), rng)
    alpha = (1.0 - float(confidence)) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return float(low), float(high)


def _bootstrap_order_statistic(
    sorted_arr: NDArray[np.float64], rank: int, n_boot: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    # The rank-th smallest of n uniform indices is floor(n * U_(rank)) and the rank-th order
    # statistic of n uniforms is Beta(rank, n - rank + 1): one draw per resample instead of n.
    n = sorted_arr.size
    u = rng.beta(rank, n - rank + 1, size=n_boot)
    idx = np.minimum((u * n).astype(np.int64), n - 1)
    return sorted_arr[idx]


def _bootstrap_by_resampling(
    sorted_arr: NDArray[np.float64], q: float, n_boot: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    n = sorted_arr.size
    chunk = max(1, 2_000_000 // n)
    out = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        stop = min(start + chunk, n_boot)
        resamples = sorted_arr[rng.integers(0, n, size=(stop - start, n))]
        out[start:stop] = np.percentile(resamples, q, axis=1, method="linear")
    return out


def time_calls_ms(fn: Callable[[int], Any], n_calls: int) -> NDArray[np.float64]:
    """Call ``fn(i)`` for i in range(n_calls) and return each call's wall time in ms.

    Timed with ``time.perf_counter_ns`` around each call, one call at a time.
    """
    if int(n_calls) < 1:
        raise ValueError(f"n_calls must be at least 1, got {n_calls!r}")
    out = np.empty(int(n_calls))
    clock = time.perf_counter_ns
    for i in range(int(n_calls)):
        t0 = clock()
        fn(i)
        out[i] = (clock() - t0) / 1e6
    return out


# --------------------------------------------------------------------------------------------
# Synthetic latency logs
# --------------------------------------------------------------------------------------------


def mixture_latencies_ms(
    n: int,
    tail_fraction: float = 0.02,
    seed: int = 0,
    body_median_ms: float = 45.0,
    tail_median_ms: float = 1200.0,
    body_sigma: float = 0.35,
    tail_sigma: float = 0.5,
) -> NDArray[np.float64]:
    """A seeded latency log in ms: a log-normal body plus a slow path taken by a fraction.

    Each request takes the fast path (log-normal, median ``body_median_ms``) or, with
    probability ``tail_fraction``, the slow path (log-normal, median ``tail_median_ms``), as
    a service does when a cache miss or a lock wait sends some requests somewhere slow.
    """
    if int(n) < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")
    if not 0.0 <= float(tail_fraction) <= 1.0:
        raise ValueError(f"tail_fraction must be in [0, 1], got {tail_fraction!r}")
    _check_positive(body_median_ms, "body_median_ms")
    _check_positive(tail_median_ms, "tail_median_ms")
    rng = np.random.default_rng(seed)
    body = rng.lognormal(math.log(body_median_ms), body_sigma, size=int(n))
    tail = rng.lognormal(math.log(tail_median_ms), tail_sigma, size=int(n))
    slow = rng.random(int(n)) < float(tail_fraction)
    return np.where(slow, tail, body)


def fleet_latencies_ms(
    requests_per_host: Sequence[int] = (30_000, 30_000, 30_000, 10_000),
    tail_fraction_per_host: Sequence[float] = (0.002, 0.002, 0.002, 0.2),
    seed: int = 0,
) -> list[NDArray[np.float64]]:
    """Per-host latency logs (ms) for a fleet; by default one host of four is unhealthy."""
    if len(requests_per_host) != len(tail_fraction_per_host):
        raise ValueError(
            f"requests_per_host has {len(requests_per_host)} hosts but tail_fraction_per_host "
            f"has {len(tail_fraction_per_host)}"
        )
    if not requests_per_host:
        raise ValueError("a fleet needs at least one host")
    return [
        mixture_latencies_ms(n, tail_fraction=f, seed=seed * 1000 + i)
        for i, (n, f) in enumerate(zip(requests_per_host, tail_fraction_per_host, strict=True))
    ]


# --------------------------------------------------------------------------------------------
# HdrHistogram
# --------------------------------------------------------------------------------------------

HISTOGRAM_UNITS_PER_MS = 1000
"""Latency histograms record integer microseconds: ``round(latency_ms * 1000)``."""


def _to_units(latency_ms: float) -> int:
    return int(round(latency_ms * HISTOGRAM_UNITS_PER_MS))


def _new_histogram(lowest_ms: float, highest_ms: float, sig_figs: int) -> HdrHistogram:
    lowest = max(1, _to_units(_check_positive(lowest_ms, "lowest_ms")))
    highest = _to_units(_check_positive(highest_ms, "highest_ms"))
    if highest < 2 * lowest:
        raise ValueError(f"highest_ms={highest_ms} must be at least twice lowest_ms={lowest_ms}")
    if int(sig_figs) not in range(1, 6):
        raise ValueError(f"sig_figs must be 1..5, got {sig_figs!r}")
    return HdrHistogram(lowest, highest, int(sig_figs))


def _record_all(
    hist: HdrHistogram, latencies_ms: ArrayLike, expected_interval_ms: float | None
) -> HdrHistogram:
    arr = _as_samples(latencies_ms, "latencies_ms")
    if np.any(arr < 0):
        raise ValueError("latencies_ms contains negative values")
    interval = 0 if expected_interval_ms is None else _to_units(expected_interval_ms)
    for value in arr:
        units = _to_units(float(value))
        ok = (
            hist.record_value(units)
            if expected_interval_ms is None
            else hist.record_corrected_value(units, interval)
        )
        if not ok:
            highest_ms = hist.highest_trackable_value / HISTOGRAM_UNITS_PER_MS
            raise ValueError(f"latency {value} ms is above the histogram's highest_ms={highest_ms}")
    return hist


def latency_histogram(
    latencies_ms: ArrayLike,
    lowest_ms: float = 0.001,
    highest_ms: float = 3_600_000.0,
    sig_figs: int = 3,
) -> HdrHistogram:
    """An HdrHistogram of ``latencies_ms``, recorded in integer microseconds.

    ``lowest_ms`` (default 1 µs) and ``highest_ms`` (default one hour) bound the trackable
    range; ``sig_figs=3`` keeps every reported value within 0.1% of the recorded one. The
    histogram's size depends on the range and precision, not on how many values it holds.
    """
    hist = _new_histogram(lowest_ms, highest_ms, sig_figs)
    return _record_all(hist, latencies_ms, None)


def corrected_latency_histogram(
    latencies_ms: ArrayLike,
    expected_interval_ms: float,
    lowest_ms: float = 0.001,
    highest_ms: float = 3_600_000.0,
    sig_figs: int = 3,
) -> HdrHistogram:
    """Like :func:`latency_histogram` but corrected for coordinated omission.

    Uses HdrHistogram's ``record_corrected_value``: a latency longer than the load
    generator's ``expected_interval_ms`` also records the requests that should have been
    sent while it waited (latency - interval, latency - 2*interval, ...).
    """
    _check_positive(expected_interval_ms, "expected_interval_ms")
    hist = _new_histogram(lowest_ms, highest_ms, sig_figs)
    return _record_all(hist, latencies_ms, expected_interval_ms)


def merge_histograms(hists: Iterable[HdrHistogram]) -> HdrHistogram:
    """A new histogram holding the counts of all ``hists`` (the inputs are left unchanged).

    Uses HdrHistogram's ``add``; the result has the first histogram's range and precision.
    """
    hists = list(hists)
    if not hists:
        raise ValueError("merge_histograms needs at least one histogram")
    first = hists[0]
    merged = HdrHistogram(
        first.lowest_trackable_value,
        first.highest_trackable_value,
        first.significant_figures,
    )
    for h in hists:
        merged.add(h)
    return merged


def histogram_percentile_ms(hist: HdrHistogram, q: float) -> float:
    """The q-th percentile of an HdrHistogram built by this module, in ms.

    HdrHistogram reports the highest value equivalent to the bucket at that rank, so the
    answer is at most 10**-sig_figs above the exact sample percentile.
    """
    qf = _check_q(q)
    if hist.get_total_count() == 0:
        raise ValueError("the histogram is empty: record some latencies first")
    return float(hist.get_value_at_percentile(qf)) / HISTOGRAM_UNITS_PER_MS


# --------------------------------------------------------------------------------------------
# Prometheus-style bucket histograms
# --------------------------------------------------------------------------------------------

PROMETHEUS_DEFAULT_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""The default bucket upper bounds (seconds) of the Prometheus client libraries."""


def bucket_counts(values: ArrayLike, upper_bounds: Sequence[float]) -> NDArray[np.int64]:
    """Cumulative counts per bucket, Prometheus ``le`` style: values <= each upper bound.

    Returns one count per upper bound; add ``math.inf`` as the last bound to count all.
    """
    arr = np.sort(_as_samples(values, "values"))
    bounds = _check_bounds(upper_bounds)
    return np.searchsorted(arr, bounds, side="right").astype(np.int64)


def _check_bounds(upper_bounds: Sequence[float]) -> NDArray[np.float64]:
    bounds = np.asarray(upper_bounds, dtype=np.float64)
    if bounds.ndim != 1 or bounds.size == 0:
        raise ValueError("upper_bounds must be a non-empty one-dimensional sequence")
    if np.any(np.isnan(bounds)) or np.any(np.diff(bounds) <= 0):
        raise ValueError(f"upper_bounds must be strictly increasing, got {list(upper_bounds)}")
    return bounds


def bucket_quantile(
    upper_bounds: Sequence[float],
    counts: ArrayLike,
    q: float,
    cumulative: bool = True,
) -> float:
    """The q-th percentile estimated from bucket counts, as PromQL's ``histogram_quantile``.

    ``upper_bounds`` are the buckets' ``le`` values (any unit; the result is in the same
    unit). ``counts`` are cumulative (Prometheus ``_bucket`` series) unless
    ``cumulative=False``. If the last bound is not ``+Inf`` an ``+Inf`` bucket holding no
    extra observations is assumed. The estimate interpolates linearly inside the bucket where
    the rank falls (the lowest bucket starts at 0); a rank in the ``+Inf`` bucket returns the
    highest finite bound. ``q`` is in [0, 100] (PromQL's phi is q / 100).
    """
    qf = _check_q(q)
    bounds = _check_bounds(upper_bounds)
    c = np.asarray(counts, dtype=np.float64)
    if c.shape != bounds.shape:
        raise ValueError(
            f"upper_bounds has {bounds.size} buckets but counts has shape {c.shape}: "
            "give one count per bucket"
        )
    if np.any(c < 0) or not np.all(np.isfinite(c)):
        raise ValueError("counts must be finite and non-negative")
    cum = c if cumulative else np.cumsum(c)
    if np.any(np.diff(cum) < 0):
        raise ValueError("cumulative counts must not decrease: did you mean cumulative=False?")
    if not math.isinf(bounds[-1]):
        bounds = np.append(bounds, math.inf)
        cum = np.append(cum, cum[-1])
    total = cum[-1]
    if total == 0:
        raise ValueError("the histogram has no observations")
    rank = qf / 100.0 * total
    # First bucket whose cumulative count reaches the rank (searching all but +Inf).
    b = int(np.searchsorted(cum[:-1], rank, side="left"))
    if b == bounds.size - 1:
        return float(bounds[-2])
    if b == 0 and bounds[0] <= 0:
        return float(bounds[0])
    start = 0.0 if b == 0 else float(bounds[b - 1])
    end = float(bounds[b])
    below = 0.0 if b == 0 else float(cum[b - 1])
    in_bucket = float(cum[b]) - below
    return start + (end - start) * ((rank - below) / in_bucket)


# --------------------------------------------------------------------------------------------
# Coordinated omission
# --------------------------------------------------------------------------------------------


class StallingService:
    """A single-server service that takes ``service_time_ms`` per request, except that it
    freezes completely for ``stall_ms`` starting ``stall_at_s`` seconds into the run (a GC
    pause, a failover, a full disk).

    It can be run on a simulated clock (:meth:`completion_s`, exact and instant) or for
    real (:meth:`start` then :meth:`handle`, which really sleeps).
    """

    def __init__(
        self, service_time_ms: float = 1.0, stall_at_s: float = 5.0, stall_ms: float = 2000.0
    ) -> None:
        self.service_s = _check_positive(service_time_ms, "service_time_ms") / 1000
        self.stall_at_s = _check_non_negative(stall_at_s, "stall_at_s")
        self.stall_s = _check_non_negative(stall_ms, "stall_ms") / 1000
        self._t0: float | None = None

    @property
    def stall_end_s(self) -> float:
        return self.stall_at_s + self.stall_s

    def completion_s(self, start_s: float) -> float:
        """Simulated clock: when a request that starts at ``start_s`` (seconds) completes."""
        if self.stall_at_s <= start_s < self.stall_end_s:
            return self.stall_end_s + self.service_s
        if start_s < self.stall_at_s < start_s + self.service_s:
            return start_s + self.service_s + self.stall_s
        return start_s + self.service_s

    def start(self) -> None:
        """Real clock: mark time zero of the run (the stall is timed from here)."""
        self._t0 = time.perf_counter()

    def handle(self) -> None:
        """Real clock: serve one request by sleeping, for the whole stall if inside it."""
        if self._t0 is None:
            raise RuntimeError("call start() before handle()")
        now = time.perf_counter() - self._t0
        time.sleep(self.completion_s(now) - now)


def _check_load(duration_s: float, rate_per_s: float) -> tuple[float, float]:
    return _check_positive(duration_s, "duration_s"), _check_positive(rate_per_s, "rate_per_s")


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
            t0 = _sleep_until(service, t)
            service.handle()
            done = _now(service)
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
            _sleep_until(service, float(t))
            service.handle()
            out[k] = (_now(service) - t) * 1000
        else:
            free_at = service.completion_s(max(float(t), free_at))
            out[k] = (free_at - t) * 1000
    return out


def _now(service: StallingService) -> float:
    assert service._t0 is not None
    return time.perf_counter() - service._t0


def _sleep_until(service: StallingService, t_s: float) -> float:
    now = _now(service)
    if now < t_s:
        time.sleep(t_s - now)
        now = _now(service)
    return now


# --------------------------------------------------------------------------------------------
# Queues and Little's law
# --------------------------------------------------------------------------------------------


def littles_law_concurrency(arrival_rate_per_s: float, latency_s: float) -> float:
    """Little's law L = lambda * W: mean requests in the system (in flight plus queued)."""
    return _check_non_negative(arrival_rate_per_s, "arrival_rate_per_s") * _check_non_negative(
        latency_s, "latency_s"
    )


def littles_law_latency_s(concurrency: float, arrival_rate_per_s: float) -> float:
    """Little's law W = L / lambda: mean time in the system (s) for a mean concurrency."""
    return _check_non_negative(concurrency, "concurrency") / _check_positive(
        arrival_rate_per_s, "arrival_rate_per_s"
    )


def littles_law_throughput_per_s(concurrency: float, latency_s: float) -> float:
    """Little's law lambda = L / W: the throughput (requests/s) a concurrency sustains."""
    return _check_non_negative(concurrency, "concurrency") / _check_positive(latency_s, "latency_s")


def utilisation(arrival_rate_per_s: float, service_rate_per_s: float, servers: int = 1) -> float:
    """Offered load per server, rho = lambda / (c * mu); above 1 the queue grows forever."""
    return _check_non_negative(arrival_rate_per_s, "arrival_rate_per_s") / (
        _check_positive(service_rate_per_s, "service_rate_per_s") * _check_servers(servers)
    )


def _check_servers(servers: int) -> int:
    if int(servers) != servers or int(servers) < 1:
        raise ValueError(f"servers must be a positive integer, got {servers!r}")
    return int(servers)


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
    qf = _check_q(q)
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
    lam = _check_positive(arrival_rate_per_s, "arrival_rate_per_s")
    mu = _check_positive(service_rate_per_s, "service_rate_per_s")
    c = _check_servers(servers)
    if int(n_requests) < 1:
        raise ValueError(f"n_requests must be at least 1, got {n_requests!r}")
    n = int(n_requests)
    rng = np.random.default_rng(seed)
    arrival = np.cumsum(rng.exponential(1.0 / lam, size=n))
    service = rng.exponential(1.0 / mu, size=n)
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


# --------------------------------------------------------------------------------------------
# Cost
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstancePrice:
    """One machine type: its size and its on-demand price (US dollars per hour)."""

    name: str
    vcpus: int
    memory_gib: int
    cost_usd_per_hour: float
    gpus: int = 0


PRICE_TABLE: dict[str, InstancePrice] = {
    p.name: p
    for p in (
        InstancePrice("general.large", vcpus=2, memory_gib=8, cost_usd_per_hour=0.10),
        InstancePrice("general.xlarge", vcpus=4, memory_gib=16, cost_usd_per_hour=0.20),
        InstancePrice("general.2xlarge", vcpus=8, memory_gib=32, cost_usd_per_hour=0.40),
        InstancePrice("compute.2xlarge", vcpus=8, memory_gib=16, cost_usd_per_hour=0.34),
        InstancePrice("gpu.xlarge", vcpus=4, memory_gib=16, cost_usd_per_hour=1.00, gpus=1),
    )
}
"""Illustrative prices: round numbers of the right order for cloud machines, not a quote."""


def cost_per_request_usd(
    cost_usd_per_hour: float, capacity_rps: float, utilisation: float
) -> float:
    """Dollars per request for a machine that can serve ``capacity_rps`` requests per second
    at full load but runs at ``utilisation`` (in (0, 1]) of that on average.

    cost per request = cost_usd_per_hour / (capacity_rps * utilisation * 3600).
    """
    cost = _check_non_negative(cost_usd_per_hour, "cost_usd_per_hour")
    cap = _check_positive(capacity_rps, "capacity_rps")
    u = _check_utilisation(utilisation)
    return cost / (cap * u * 3600.0)


def cost_per_million_usd(
    cost_usd_per_hour: float, capacity_rps: float, utilisation: float
) -> float:
    """Dollars per million requests: :func:`cost_per_request_usd` times 1,000,000."""
    return cost_per_request_usd(cost_usd_per_hour, capacity_rps, utilisation) * 1e6


def instances_needed(peak_rps: float, capacity_rps: float, target_utilisation: float) -> int:
    """Machines needed so that ``peak_rps`` keeps each at or below ``target_utilisation``."""
    peak = _check_non_negative(peak_rps, "peak_rps")
    cap = _check_positive(capacity_rps, "capacity_rps")
    u = _check_utilisation(target_utilisation)
    return max(1, math.ceil(round(peak / (cap * u), 9)))


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts of a binary classifier's outcomes (positive = the rare class, e.g. fraud).

    Ratios with an empty denominator (no predicted positives for precision, no actual
    positives for recall) are reported as 0.0, like scikit-learn's ``zero_division=0``.
    """

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.total if self.total else 0.0

    @property
    def precision(self) -> float:
        """Of the cases flagged positive, the fraction that were positive."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """Of the actual positives, the fraction that were flagged."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _as_labels(values: ArrayLike, name: str) -> NDArray[np.bool_]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if arr.dtype != np.bool_:
        try:
            numeric = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must hold 0/1 or True/False labels: {exc}") from exc
        if not np.all((numeric == 0) | (numeric == 1)):
            bad = numeric[(numeric != 0) & (numeric != 1)][:3].tolist()
            raise ValueError(f"{name} must hold only 0/1 or True/False, found {bad}")
        arr = numeric == 1
    return arr


def _check_same_length(a: NDArray[Any], b: NDArray[Any], name_a: str, name_b: str) -> None:
    if a.size != b.size:
        raise ValueError(f"{name_a} has {a.size} items but {name_b} has {b.size}")


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike) -> ConfusionMatrix:
    """Count true/false positives/negatives; labels are 0/1 or booleans (1 = positive)."""
    t = _as_labels(y_true, "y_true")
    p = _as_labels(y_pred, "y_pred")
    _check_same_length(t, p, "y_true", "y_pred")
    return ConfusionMatrix(
        tp=int(np.count_nonzero(t & p)),
        fp=int(np.count_nonzero(~t & p)),
        fn=int(np.count_nonzero(t & ~p)),
        tn=int(np.count_nonzero(~t & ~p)),
    )


def precision_recall_f1(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[float, float, float]:
    """(precision, recall, F1) of binary predictions, each in [0, 1]."""
    cm = confusion_matrix(y_true, y_pred)
    return cm.precision, cm.recall, cm.f1


@dataclass(frozen=True)
class ThresholdScores:
    """A classifier's quality when scores >= ``threshold`` are flagged positive."""

    threshold: float
    confusion: ConfusionMatrix
    precision: float
    recall: float
    f1: float
    accuracy: float


def scores_at_threshold(y_true: ArrayLike, scores: ArrayLike, threshold: float) -> ThresholdScores:
    """Flag every case whose score is >= ``threshold`` and report precision, recall, F1."""
    t = _as_labels(y_true, "y_true")
    s = _as_samples(scores, "scores")
    _check_same_length(t, s, "y_true", "scores")
    th = float(threshold)
    if math.isnan(th):
        raise ValueError("threshold is NaN")
    cm = confusion_matrix(t, s >= th)
    return ThresholdScores(th, cm, cm.precision, cm.recall, cm.f1, cm.accuracy)


def threshold_sweep(
    y_true: ArrayLike, scores: ArrayLike, thresholds: Iterable[float]
) -> list[ThresholdScores]:
    """:func:`scores_at_threshold` at each threshold, in the order given."""
    return [scores_at_threshold(y_true, scores, th) for th in thresholds]


def make_fraud_scores(
    n: int = 100_000, fraud_rate: float = 0.008, seed: int = 0
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """A seeded toy fraud data set: (is_fraud, model score in [0, 1]).

    Exactly ``round(n * fraud_rate)`` cases are fraud. Scores come from two overlapping Beta
    distributions (legitimate around 0.2, fraud around 0.7), like a decent but imperfect
    model.
    """
    if int(n) < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")
    if not 0.0 <= float(fraud_rate) <= 1.0:
        raise ValueError(f"fraud_rate must be in [0, 1], got {fraud_rate!r}")
    rng = np.random.default_rng(seed)
    n_fraud = int(round(int(n) * float(fraud_rate)))
    is_fraud = np.zeros(int(n), dtype=np.bool_)
    is_fraud[rng.choice(int(n), size=n_fraud, replace=False)] = True
    scores = np.where(is_fraud, rng.beta(7.0, 3.0, size=int(n)), rng.beta(2.0, 8.0, size=int(n)))
    return is_fraud, scores
