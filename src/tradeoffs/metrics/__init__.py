"""Latency, throughput, cost and accuracy metrics for unit 01.

Everything here takes plain lists or numpy arrays and returns plain floats, numpy arrays or
small frozen dataclasses. Units are in the names: ``latency_ms``, ``rate_per_s``,
``cost_usd_per_hour``. Percentiles are given as ``q`` in [0, 100], like numpy's
``np.percentile`` (PromQL's ``histogram_quantile`` takes q / 100). One idea a module:

* :mod:`.percentiles`: nearest-rank and interpolated percentiles, bootstrap intervals;
* :mod:`.synthetic`: seeded latency logs (a body and a slow path; a fleet of hosts);
* :mod:`.histograms`: HdrHistogram (record in microseconds, merge, read in ms);
* :mod:`.buckets`: Prometheus-style bucket histograms and ``histogram_quantile``;
* :mod:`.omission`: coordinated omission, closed-loop vs open-loop load on a stalling
  service (:class:`tradeoffs.servers.StallingService`), simulated or for real;
* :mod:`.queues`: Little's law, M/M/1 and M/M/c, and an exact FCFS queue simulation;
* :mod:`.cost`: cost per request and fleet size (prices: :mod:`tradeoffs.prices`);
* :mod:`.classification`: precision, recall, F1 and the confusion matrix.

Per-call timing (:func:`time_calls_ms`) is :mod:`tradeoffs.profiling.timing`'s.
"""

from tradeoffs.metrics.buckets import PROMETHEUS_DEFAULT_BUCKETS_S, bucket_counts, bucket_quantile
from tradeoffs.metrics.classification import (
    ConfusionMatrix,
    ThresholdScores,
    confusion_matrix,
    make_fraud_scores,
    precision_recall_f1,
    scores_at_threshold,
    threshold_sweep,
)
from tradeoffs.metrics.cost import cost_per_million_usd, cost_per_request_usd, instances_needed
from tradeoffs.metrics.histograms import (
    HISTOGRAM_UNITS_PER_MS,
    corrected_latency_histogram,
    histogram_percentile_ms,
    latency_histogram,
    merge_histograms,
)
from tradeoffs.metrics.omission import StallingService, closed_loop_latencies, open_loop_latencies
from tradeoffs.metrics.percentiles import PercentileMethod, bootstrap_ci, percentile, percentiles
from tradeoffs.metrics.queues import (
    QueueRun,
    fcfs_queue,
    littles_law_concurrency,
    littles_law_latency_s,
    littles_law_throughput_per_s,
    mm1_latency_percentile_s,
    mm1_mean_latency_s,
    mmc_mean_latency_s,
    simulate_queue,
    utilisation,
)
from tradeoffs.metrics.synthetic import fleet_latencies_ms, mixture_latencies_ms
from tradeoffs.profiling.timing import time_calls_ms

__all__ = [
    "HISTOGRAM_UNITS_PER_MS",
    "PROMETHEUS_DEFAULT_BUCKETS_S",
    "ConfusionMatrix",
    "PercentileMethod",
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
    "fcfs_queue",
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
