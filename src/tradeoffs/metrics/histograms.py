"""HdrHistogram helpers: record latencies in integer microseconds, merge, read percentiles
in ms, and correct for coordinated omission."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from hdrh.histogram import HdrHistogram
from numpy.typing import ArrayLike

from tradeoffs._validate import percentile_q, positive
from tradeoffs._validate import samples as as_samples

__all__ = [
    "HISTOGRAM_UNITS_PER_MS",
    "corrected_latency_histogram",
    "histogram_percentile_ms",
    "latency_histogram",
    "merge_histograms",
]


HISTOGRAM_UNITS_PER_MS = 1000
"""Latency histograms record integer microseconds: ``round(latency_ms * 1000)``."""


def _to_units(latency_ms: float) -> int:
    return int(round(latency_ms * HISTOGRAM_UNITS_PER_MS))


def _new_histogram(lowest_ms: float, highest_ms: float, sig_figs: int) -> HdrHistogram:
    lowest = max(1, _to_units(positive(lowest_ms, "lowest_ms")))
    highest = _to_units(positive(highest_ms, "highest_ms"))
    if highest < 2 * lowest:
        raise ValueError(f"highest_ms={highest_ms} must be at least twice lowest_ms={lowest_ms}")
    if int(sig_figs) not in range(1, 6):
        raise ValueError(f"sig_figs must be 1..5, got {sig_figs!r}")
    return HdrHistogram(lowest, highest, int(sig_figs))


def _record_all(
    hist: HdrHistogram, latencies_ms: ArrayLike, expected_interval_ms: float | None
) -> HdrHistogram:
    arr = as_samples(latencies_ms, "latencies_ms")
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
    positive(expected_interval_ms, "expected_interval_ms")
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
    qf = percentile_q(q)
    if hist.get_total_count() == 0:
        raise ValueError("the histogram is empty: record some latencies first")
    return float(hist.get_value_at_percentile(qf)) / HISTOGRAM_UNITS_PER_MS
