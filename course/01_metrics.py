# %% [markdown]
# # 01 · Measuring what users feel: percentiles, histograms, queues, cost and accuracy
#
# **The scenario.** The checkout service's dashboard shows an average latency of about
# 73 ms, comfortably under the 100 ms target, and it has for weeks. Support has a different
# picture: a steady trickle of tickets saying "checkout hung for a second or two, then
# worked". Both are true. This unit is about reading latency, throughput, cost and accuracy
# numbers so that they tell you what your users feel, and about the traps that make a
# healthy-looking dashboard lie.
#
# By the end you can:
#
# - compute p50/p95/p99 and say which definition you used (nearest-rank vs interpolated);
# - aggregate latency across hosts correctly (merge histograms, never average percentiles);
# - tell when a Prometheus bucket layout is hiding your SLO;
# - spot coordinated omission in a load test and correct for it;
# - use Little's law and the utilisation knee to reason about throughput vs latency;
# - say how many samples a p99 needs before you can trust it;
# - turn an hourly price into a cost per million requests;
# - read precision, recall and F1 where accuracy misleads.
#
# Everything below runs on your machine in a few seconds. Wherever numbers come from a
# seeded generator or a simulation rather than a live measurement, the text says so.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from tradeoffs import metrics, prices
from tradeoffs.widgets.metrics import (
    p99_intervals_by_size,
    plot_tail_latency,
    tail_latency_panel,
    tail_latency_summary,
)

NOTEBOOK_START = time.perf_counter()

# %% [markdown]
# ## 1. The latency log: why the mean lies
#
# We start from the service's latency log: 20,000 requests. So that everyone sees the same
# numbers, the log comes from a seeded generator that behaves like the real service: most
# requests take the fast path (log-normal, median 45 ms) and about 2% take a slow path
# (a cache miss that rebuilds the cart, median 1.2 s).

# %%
log = tail_latency_summary(tail_fraction=0.02, n_samples=20_000, seed=0)
latency_ms = log.samples_ms
summary = metrics.percentiles(latency_ms, (50, 95, 99, 99.9))
print(f"requests: {latency_ms.size:,}")
print(f"mean:     {latency_ms.mean():8.1f} ms   <- what the dashboard shows")
for q, value in summary.items():
    print(f"p{q:<7g} {value:8.1f} ms")
print(f"max:      {latency_ms.max():8.1f} ms")

# %% [markdown]
# The mean (about 73 ms) describes no one: the typical request (p50) takes 45 ms, and one
# request in a hundred takes about 1.2 s or more. A user who loads ten pages, each making ten
# backend calls, crosses the p99 on most visits (1 - 0.99^100 ≈ 63%). The picture makes the
# shape plain; note the log scale on the latency axis.

# %%
fig, ax = plt.subplots(figsize=(9, 4))
plot_tail_latency(log, ax)
fig.tight_layout()

# %% [markdown]
# Two humps (both axes are logarithmic): the fast path around 45 ms and the slow path around
# 1.2 s, with about 50 times fewer requests, each about 25 times slower. The slow 2% drag the
# mean 28 ms above the median, yet the mean still looks like a fast-path number and says
# nothing about the second hump. A distribution like this one (multi-modal, long-tailed) is
# the rule for services, not the exception.
#
# ### Measure it live
#
# The same shape appears as soon as you time real code. Below, a handler serves 49 of
# every 50 requests from memory and rebuilds (sorts) a 100,000-element list on the 50th, a
# stand-in for a cache miss. We time each call with `time.perf_counter_ns`.

# %%
PAYLOAD = np.random.default_rng(0).random(100_000).tolist()


def handle(request_id: int) -> float:
    if request_id % 50 == 0:  # cache miss: rebuild
        return sorted(PAYLOAD)[request_id % len(PAYLOAD)]
    return PAYLOAD[request_id]  # cache hit: a lookup


live_ms = metrics.time_calls_ms(handle, 2_000)
live = metrics.percentiles(live_ms, (50, 99))
print(f"mean {live_ms.mean():.3f} ms, p50 {live[50]:.4f} ms, p99 {live[99]:.2f} ms")
print(
    f"mean / p50 = {live_ms.mean() / live[50]:,.0f}x, p99 / mean = {live[99] / live_ms.mean():.0f}x"
)

# %% [markdown]
# On a laptop the hit takes well under a microsecond and the miss around 5 to 20 ms, so the
# mean lands hundreds to thousands of times above the median and still tens of times below
# the p99. Your exact numbers depend on your CPU; the shape will not.
#
# ## 2. Percentiles: which definition?
#
# "The p95" is not one number: there are a dozen definitions. The two you meet most:
#
# - **nearest-rank**: sort the n samples and take the ⌈q/100 · n⌉-th smallest (1-based).
#   It always returns a value that was observed. This is numpy's `method="inverted_cdf"`
#   and what `metrics.percentile` does by default.
# - **linear** (numpy's default `method="linear"`): interpolate between the two neighbouring
#   samples at position q/100 · (n - 1). It can return a latency no request ever had.
#
# On ten requests where the last one was slow, the difference is not subtle:

# %%
ten_ms = [1, 2, 3, 4, 5, 6, 7, 8, 9, 100]
print("nearest-rank p95:", metrics.percentile(ten_ms, 95))
print("linear       p95:", round(metrics.percentile(ten_ms, 95, method="linear"), 2))
for method in ["inverted_cdf", "lower", "nearest", "midpoint", "linear", "hazen", "weibull"]:
    print(
        f"  np.percentile(..., method={method!r:15}) -> {np.percentile(ten_ms, 95, method=method):6.2f}"
    )

# %% [markdown]
# The nearest-rank p95 is 100 ms (the slow request), while numpy's default says 59.05 ms, a
# latency nobody saw. With 20,000 samples the definitions nearly agree, because neighbouring
# samples are close together; with the small samples typical of a short load test or a
# quiet minute on a dashboard, they do not. Say which definition you used, and prefer
# nearest-rank for SLOs: "99% of requests took at most X" is then literally true.

# %%
for q in (95, 99):
    nr = metrics.percentile(latency_ms, q)
    lin = metrics.percentile(latency_ms, q, method="linear")
    print(f"20,000 samples, p{q}: nearest-rank {nr:.2f} ms, linear {lin:.2f} ms")

# %% [markdown]
# ## 3. The trap: averaging percentiles across hosts
#
# The service runs on four hosts behind a load balancer. Each host reports its own p99, and
# the fleet dashboard shows the average of the four. One host shares its machine with a
# noisy neighbour: 20% of its requests take the slow path. It also gets less traffic
# (10,000 requests against 30,000 for each healthy host). The logs are seeded, as above.

# %%
hosts_ms = metrics.fleet_latencies_ms()
host_p99_ms = [metrics.percentile(h, 99) for h in hosts_ms]
fleet_true_p99_ms = metrics.percentile(np.concatenate(hosts_ms), 99)
mean_of_p99s_ms = float(np.mean(host_p99_ms))
for i, (h, p99) in enumerate(zip(hosts_ms, host_p99_ms, strict=True)):
    print(f"host {i}: {h.size:6,} requests, p99 {p99:7.1f} ms")
print(f"average of host p99s: {mean_of_p99s_ms:7.1f} ms   <- the dashboard")
print(f"true fleet p99:       {fleet_true_p99_ms:7.1f} ms   <- from all requests pooled")

# %% [markdown]
# The average of p99s (about 780 ms) is off by a third from the real fleet p99 (about
# 1,240 ms). It is not even a bound: it weights a host that served 10% of the traffic like
# one that served 30%, and a percentile of a union is not a function of the parts'
# percentiles. Depending on where the slow requests live, the average can be too high or
# too low.
#
# **The fix: merge histograms.** Pooling raw samples works here but does not scale: a busy
# fleet produces billions of latencies a day. An
# [HdrHistogram](http://hdrhistogram.org/) keeps counts in buckets whose width grows with
# the value, so that every value is stored within a fixed relative precision (3 significant
# figures: 0.1%). Histograms from many hosts add up bucket by bucket, and the percentile of
# the sum is the percentile of the pooled data, within that precision.
# `metrics.latency_histogram` records integer microseconds.

# %%
host_hists = [metrics.latency_histogram(h) for h in hosts_ms]
fleet_hist = metrics.merge_histograms(host_hists)
merged_p99_ms = metrics.histogram_percentile_ms(fleet_hist, 99)
print(
    f"merged-histogram p99: {merged_p99_ms:.1f} ms (true {fleet_true_p99_ms:.1f} ms, "
    f"error {abs(merged_p99_ms / fleet_true_p99_ms - 1):.3%})"
)
print(
    f"one histogram holds {fleet_hist.get_total_count():,} values in "
    f"{fleet_hist.counts_len:,} counters, whatever the number of values"
)

# %%
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.bar([f"host {i}" for i in range(len(hosts_ms))], host_p99_ms, color="0.7")
ax.axhline(
    mean_of_p99s_ms,
    color="tab:orange",
    ls="--",
    lw=2,
    label=f"average of p99s: {mean_of_p99s_ms:,.0f} ms",
)
ax.axhline(
    merged_p99_ms, color="tab:red", lw=2, label=f"merged histograms: {merged_p99_ms:,.0f} ms"
)
ax.set_ylabel("p99 latency (ms)")
ax.set_title("Fleet p99: averaging per-host p99s vs merging histograms")
ax.legend(loc="upper left")
fig.tight_layout()

# %% [markdown]
# ## 4. Prometheus buckets: a histogram only knows its bucket edges
#
# Prometheus histograms are cumulative bucket counters (`le="0.1"`, `le="0.2"`, ...), and
# `histogram_quantile` estimates a percentile by assuming the observations inside a bucket
# are spread evenly between its edges. The Prometheus documentation gives the example: every
# request takes about 220 ms, the buckets are 0.1, 0.2, 0.3 and 0.45 s. The true p95 is
# 220 ms; the estimate is the point 95% of the way through the 0.2 to 0.3 s bucket.
# `metrics.bucket_quantile` does the same interpolation (q in percent).

# %%
bounds_s = [0.1, 0.2, 0.3, 0.45, float("inf")]
requests_s = np.full(1_000, 0.220)
cumulative = metrics.bucket_counts(requests_s, bounds_s)
print("cumulative bucket counts:", dict(zip(bounds_s, cumulative.tolist(), strict=True)))
print(f"true p95:      {metrics.percentile(requests_s, 95) * 1000:.0f} ms")
print(f"estimated p95: {metrics.bucket_quantile(bounds_s, cumulative, 95) * 1000:.0f} ms")

# %% [markdown]
# The estimate (295 ms) is 75 ms above the truth. Read carefully what that does and does
# not break. The layout has an edge at 0.3 s, so the **verdict** "p95 at most 300 ms" is
# exact: the estimate falls inside the bucket that holds the rank, here (0.2, 0.3], so it
# is at most 0.3 exactly when at least 95% of the requests took at most 300 ms, whatever
# their spread inside the bucket. What misleads is the **number**: 295 ms reads as "5 ms
# from the SLO" when the service has 80 ms of headroom.
#
# A verdict is only as exact as that when the threshold *is* a bucket edge. Move the
# threshold inside a bucket and the interpolation decides it. Two cases on the same
# buckets, both with the threshold at 250 ms, between the 0.2 and 0.3 edges:

# %%
threshold_s = 0.25
all_220 = np.full(1_000, 0.220)  # the documentation's example: truly fine
mostly_fast = np.concatenate([np.full(900, 0.100), np.full(100, 0.290)])  # truly too slow
for name, sample in (
    ("every request at 220 ms", all_220),
    ("90% at 100 ms, 10% at 290 ms", mostly_fast),
):
    true_p95 = metrics.percentile(sample, 95)
    est_p95 = metrics.bucket_quantile(bounds_s, metrics.bucket_counts(sample, bounds_s), 95)
    print(
        f"{name:30}: true p95 {true_p95 * 1000:3.0f} ms ({'meets' if true_p95 <= threshold_s else 'misses'} "
        f"250 ms), estimated {est_p95 * 1000:3.0f} ms ({'meets' if est_p95 <= threshold_s else 'misses'})"
    )

# %% [markdown]
# The first service meets the SLO and the histogram says it misses it (a false alarm);
# the second misses it and the histogram says it meets it (a silent breach). Same buckets,
# same threshold: the interpolation assumes the requests are spread evenly inside a
# bucket, and real requests are not. So place bucket edges **at the thresholds** you make
# decisions on (`le="0.25"` here, or `le="0.3"` for a 300 ms SLO: then "fraction of
# requests under the threshold" is an exact count), and keep buckets narrow where the
# percentiles you watch live.
#
# What do the default buckets do to our checkout log? Python's `prometheus_client` has
# its own defaults (`Histogram.DEFAULT_BUCKETS`, 5 ms to 10 s; the Go client's differ);
# `metrics.PROMETHEUS_DEFAULT_BUCKETS_S` reads them from the installed library:

# %%
default_bounds_s = [*metrics.PROMETHEUS_DEFAULT_BUCKETS_S, float("inf")]
print("prometheus_client default buckets (s):", metrics.PROMETHEUS_DEFAULT_BUCKETS_S)
log_counts = metrics.bucket_counts(latency_ms / 1000, default_bounds_s)
for q in (50, 95, 99):
    exact = metrics.percentile(latency_ms, q)
    est = metrics.bucket_quantile(default_bounds_s, log_counts, q) * 1000
    print(
        f"p{q}: exact {exact:7.1f} ms, from default buckets {est:7.1f} ms ({est / exact - 1:+.0%})"
    )
slo_ms = 1_300
p99_exact = metrics.percentile(latency_ms, 99)
p99_est = metrics.bucket_quantile(default_bounds_s, log_counts, 99) * 1000
with_edge = sorted({*default_bounds_s, slo_ms / 1000})
p99_edge = metrics.bucket_quantile(
    with_edge, metrics.bucket_counts(latency_ms / 1000, with_edge), 99
)
print(
    f"SLO p99 <= {slo_ms:,} ms: truly {'met' if p99_exact <= slo_ms else 'missed'} "
    f"({p99_exact:,.0f} ms); default buckets say {'met' if p99_est <= slo_ms else 'missed'} "
    f"({p99_est:,.0f} ms); with an edge at {slo_ms / 1000:g} s: "
    f"{'met' if p99_edge * 1000 <= slo_ms else 'missed'} ({p99_edge * 1000:,.0f} ms)"
)

# %% [markdown]
# The median is fine (its bucket, 25 to 50 ms, is narrow), the p95 comes out about 6%
# high and the p99 about 11% high: the p99 falls in the wide 1 to 2.5 s bucket. An SLO of
# "p99 at most 1.3 s" sits inside that bucket, and the default buckets turn a met SLO into
# a page; with one more edge at 1.3 s the verdict is exact again (and the estimate, now
# interpolated inside the 1.0 to 1.3 s bucket, happens to land near the truth: what the
# edge guarantees is the verdict, not the number).

# %% [markdown]
# ## 5. Coordinated omission: when the load generator stops asking
#
# Before trusting any of these numbers, check how they were measured. A common load test
# is a *closed loop*: send a request, wait for the answer, send the next one, aiming at
# 100 requests/s. Now let the server freeze for 2 s (a GC pause, a failover). The load
# generator waits too, so during the stall it sends nothing, records *one* slow request and
# skips the ~200 requests that real users, who do not wait for each other, would have sent.
# The tester "coordinates" with the server and omits exactly the bad samples.
#
# An *open-loop* test sends on schedule (request k at k × 10 ms) whether or not earlier
# ones came back, and measures each latency from the time the request *should* have been
# sent (wrk2 does this). HdrHistogram's `record_corrected_value(value, expected_interval)`
# repairs a closed-loop log after the fact: a 2,000 ms sample at a 10 ms interval also
# records 1,990, 1,980, ..., 10 ms, the requests that should have been waiting.
#
# First, a **simulation** on a clock (instant and deterministic): a single server that takes
# 1 ms per request and stalls once for 2 s, 5 s into a 10 s run at 100 requests/s.

# %%
service = metrics.StallingService(service_time_ms=1.0, stall_at_s=5.0, stall_ms=2000.0)
closed_ms = metrics.closed_loop_latencies(service, duration_s=10.0, rate_per_s=100.0)
open_ms = metrics.open_loop_latencies(service, duration_s=10.0, rate_per_s=100.0)
corrected = metrics.corrected_latency_histogram(closed_ms, expected_interval_ms=10.0)

naive_p99_ms = metrics.percentile(closed_ms, 99)
corrected_p99_ms = metrics.histogram_percentile_ms(corrected, 99)
open_p99_ms = metrics.percentile(open_ms, 99)
print(f"closed loop, naive:     {closed_ms.size:5} samples, p99 {naive_p99_ms:8.1f} ms")
print(
    f"closed loop, corrected: {corrected.get_total_count():5} samples, p99 {corrected_p99_ms:8.1f} ms"
)
print(f"open loop:              {open_ms.size:5} samples, p99 {open_p99_ms:8.1f} ms")
print(f"corrected / naive p99 = {corrected_p99_ms / naive_p99_ms:,.0f}x")

# %% [markdown]
# The naive closed-loop p99 is 1 ms: the stall is one sample in 800, and below the 99th
# percentile it is invisible. Measured the way users experience it, about 20% of the
# requests in the run were delayed by the stall and the p99 is about 1.9 s, nineteen hundred
# times the naive figure. The correction recovers it from the closed-loop log alone.

# %%
q_axis = np.array([50, 75, 90, 95, 98, 99, 99.5, 99.9, 99.99])
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
ax1.plot(
    np.arange(open_ms.size) / 100, open_ms, ".", ms=3, label="open loop: every scheduled request"
)
ax1.axhline(
    np.median(closed_ms), color="tab:red", lw=1, label=f"closed loop: {closed_ms.size - 1} samples"
)
ax1.plot(
    [service.stall_at_s],
    [closed_ms.max()],
    "X",
    ms=10,
    color="tab:red",
    label="closed loop: its one slow sample",
)
ax1.set(yscale="log", xlabel="time into run (s)", ylabel="latency (ms)", title="Who saw the stall?")
ax1.legend(fontsize="small")
for label, values in [
    ("closed loop, naive", [metrics.percentile(closed_ms, q) for q in q_axis]),
    ("closed loop, corrected", [metrics.histogram_percentile_ms(corrected, q) for q in q_axis]),
    ("open loop", [metrics.percentile(open_ms, q) for q in q_axis]),
]:
    ax2.plot(range(q_axis.size), values, "o-", label=label)
ax2.set_xticks(range(q_axis.size), [f"p{q:g}" for q in q_axis], rotation=45)
ax2.set(yscale="log", ylabel="latency (ms)", title="Percentile spectrum")
ax2.legend(fontsize="small")
fig.tight_layout()

# %% [markdown]
# **Now for real.** The same service can run on the wall clock: `handle()` really sleeps
# 1 ms, and through the whole stall if one is in progress. A 1.5 s run at 200 requests/s
# with a 300 ms stall, once closed-loop and once open-loop, takes about 3 s. Sleeps
# overshoot by a fraction of a millisecond, so expect a naive p99 of 1.1 to 2 ms and a
# ratio in the low hundreds rather than the simulation's exact figure.

# %%
real_service = metrics.StallingService(service_time_ms=1.0, stall_at_s=0.5, stall_ms=300.0)
real_closed_ms = metrics.closed_loop_latencies(real_service, 1.5, 200.0, real_time=True)
real_open_ms = metrics.open_loop_latencies(real_service, 1.5, 200.0, real_time=True)
real_naive = metrics.percentile(real_closed_ms, 99)
real_open = metrics.percentile(real_open_ms, 99)
print(
    f"measured: closed loop {real_closed_ms.size} samples, p99 {real_naive:.2f} ms; "
    f"open loop {real_open_ms.size} samples, p99 {real_open:.1f} ms; ratio {real_open / real_naive:,.0f}x"
)

# %% [markdown]
# Lesson: before reading a load test's percentiles, ask whether the generator kept sending
# on schedule while the server was slow. If it did not, the tail is missing, and no amount
# of statistics on the samples it did record will bring it back (except the correction,
# which needs the intended interval).
#
# ## 6. Throughput, Little's law and the utilisation knee
#
# **Little's law**: in any stable system, the mean number of requests inside it equals the
# arrival rate times the mean time each spends inside, L = λW. It needs no assumption about
# distributions. A service doing 200 requests/s at 50 ms mean latency has 10 requests in
# flight on average; if it can only hold 8 (threads, connections), it cannot sustain 200/s
# at that latency.
#
# To see throughput and latency trade against each other we **simulate** a queue (exact
# discrete-event simulation, seeded): requests arrive at random (Poisson) and a server
# handles them one at a time, first come first served, taking 10 ms on average (exponential
# service times, the M/M/1 model). First, check Little's law on the simulated run by
# counting the requests in the system at 20,000 instants:

# %%
run = metrics.simulate_queue(
    arrival_rate_per_s=80.0, service_rate_per_s=100.0, n_requests=50_000, seed=0
)
t0_s, t1_s = run.window()
observed_l = run.mean_in_system(t0_s, t1_s)
lam = run.arrival_rate_per_s(t0_s, t1_s)
w_s = run.mean_latency_s(t0_s, t1_s)
print(f"arrival rate {lam:.1f}/s, mean latency {w_s * 1000:.1f} ms")
print(f"L observed {observed_l:.2f}, lambda * W = {metrics.littles_law_concurrency(lam, w_s):.2f}")
print(f"M/M/1 formula 1 / (mu - lambda) = {metrics.mm1_mean_latency_s(80, 100) * 1000:.1f} ms")

# %% [markdown]
# Now sweep the utilisation ρ = λ/μ (how busy the server is) and watch the latency. The
# lines are the M/M/1 formulas: mean 1/(μ - λ), p99 ln(100)/(μ - λ).

# %%
mu_per_s = 100.0
rhos = np.array([0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95])
sims = [metrics.simulate_queue(r * mu_per_s, mu_per_s, 100_000, seed=3) for r in rhos]
sim_mean_ms = [s.latency_ms.mean() for s in sims]
sim_p99_ms = [metrics.percentile(s.latency_ms, 99) for s in sims]
rho_line = np.linspace(0.05, 0.96, 200)
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(
    rho_line,
    [metrics.mm1_latency_percentile_s(r * mu_per_s, mu_per_s, 99) * 1000 for r in rho_line],
    color="tab:red",
    label="p99, M/M/1 formula",
)
ax.plot(rhos, sim_p99_ms, "o", color="tab:red", label="p99, simulated")
ax.plot(
    rho_line,
    [metrics.mm1_mean_latency_s(r * mu_per_s, mu_per_s) * 1000 for r in rho_line],
    color="tab:blue",
    label="mean, M/M/1 formula",
)
ax.plot(rhos, sim_mean_ms, "o", color="tab:blue", label="mean, simulated")
ax.set(
    xlabel="utilisation ρ = λ/μ",
    ylabel="latency (ms)",
    ylim=(0, 1000),
    title="Latency vs utilisation (10 ms mean service time)",
)
ax.legend()
fig.tight_layout()
for r, mean, p99 in zip(rhos, sim_mean_ms, sim_p99_ms, strict=True):
    print(f"rho {r:.2f}: mean {mean:6.1f} ms, p99 {p99:6.1f} ms")

# %% [markdown]
# Latency is flat-ish up to about 60 to 70% utilisation, then climbs steeply: the mean goes
# as 1/(1 - ρ), so going from 80% to 90% busy doubles it and 95% doubles it again. This is
# the **knee**. The server itself did not get slower; requests spend longer waiting for it.
# (Near the knee the simulated points wander by up to ±20% from seed to seed: a queue that
# busy has long slow spells, so even 100,000 requests are a small sample of it.)
# Two servers sharing one queue (M/M/c) push the knee to the right for the same
# utilisation, which is one reason pooled capacity beats separate queues:

# %%
for servers in (1, 2, 4):
    rho = 0.85
    w_ms = metrics.mmc_mean_latency_s(rho * servers * mu_per_s, mu_per_s, servers) * 1000
    print(f"{servers} server(s) at {rho:.0%} utilisation: mean latency {w_ms:5.1f} ms")

# %% [markdown]
# ## 7. How many samples does a p99 need?
#
# A p99 is set by the slowest 1% of the samples. With 100 samples that is one request,
# essentially the maximum; with 1,000 it is ten. The bootstrap tells you how much the
# estimate would move with another sample of the same size: resample with replacement,
# recompute the p99, and take the central 95% of the results. Below, samples of growing size
# from the checkout log's generator, against the p99 of one million requests (the dashed
# line, close to the true value).

# %%
sizes = [100, 300, 1_000, 3_000, 10_000, 30_000, 100_000]
reference_p99_ms = metrics.percentile(metrics.mixture_latencies_ms(1_000_000, seed=99), 99)
# The median over nine independent samples of each size: one sample alone can, by chance,
# give a wider interval at n = 300 than at n = 100.
cis = p99_intervals_by_size(sizes, draws=9)
est, low, high = (np.array(col) for col in zip(*cis, strict=True))
fig, ax = plt.subplots(figsize=(8, 3.8))
ax.errorbar(
    sizes, est, yerr=[est - low, high - est], fmt="o", capsize=4, label="p99 with 95% bootstrap CI"
)
ax.axhline(
    reference_p99_ms,
    color="0.4",
    ls="--",
    label=f"p99 of 1,000,000 requests: {reference_p99_ms:,.0f} ms",
)
ax.set(
    xscale="log",
    xlabel="number of samples",
    ylabel="p99 latency (ms)",
    title="The p99's uncertainty shrinks with n",
)
ax.legend()
fig.tight_layout()
for n, (e, lo, hi) in zip(sizes, cis, strict=True):
    print(
        f"n = {n:7,}: p99 {e:7.0f} ms, 95% CI {lo:7.0f} to {hi:7.0f} ms ({(hi - lo) / e:.0%} of the estimate)"
    )

# %% [markdown]
# With a few hundred samples the 95% interval of the p99 spans from the fast path to the
# slow path: the number is a coin toss. From a few thousand samples the interval is within
# about ±25%, and from about 10,000 within ±10%. What matters is how many samples lie
# *beyond* the percentile: 1% of n for a p99. A rule of thumb is at least 50 of them,
# n ≳ 50 / (1 - q/100): 5,000 samples for a p99, 50,000 for a p99.9. A one-minute dashboard
# panel at 20 requests/s (1,200 samples) cannot show a stable p99; widen the window, merge
# more hosts, or watch a lower percentile.
#
# ## 8. Cost per request
#
# Capacity costs money by the hour, and users arrive by the request, so convert:
# cost per request = price per hour / (capacity × utilisation × 3,600 s). Prices below come
# from the course's price book, `tradeoffs.prices`: illustrative round numbers of the right
# order for cloud machines, not a quote.

# %%
for name, price in prices.INSTANCES.items():
    print(
        f"{name:16} {price.vcpus:2} vCPU {price.memory_gib:3} GiB  ${price.cost_usd_per_hour:.2f}/h"
    )

# %% [markdown]
# Suppose a load test shows one `general.large` serves the checkout API at 400 requests/s
# when fully busy (2.5 ms of work per request). Running it busier makes each request
# cheaper, and, as the knee showed, slower. Modelling the machine as one M/M/1 server:

# %%
large = prices.INSTANCES["general.large"]
capacity_rps = 400.0
print("utilisation  $/million requests  p99 latency (M/M/1)")
for u in (0.2, 0.4, 0.6, 0.8, 0.9, 0.95):
    usd = metrics.cost_per_million_usd(large.cost_usd_per_hour, capacity_rps, u)
    p99_ms = metrics.mm1_latency_percentile_s(u * capacity_rps, capacity_rps, 99) * 1000
    print(f"   {u:4.0%}         ${usd:6.3f}           {p99_ms:6.1f} ms")
peak_rps = 5_000
for target in (0.5, 0.8):
    n = metrics.instances_needed(peak_rps, capacity_rps, target)
    print(
        f"peak {peak_rps:,} rps at <= {target:.0%} utilisation: {n} machines, ${n * large.cost_usd_per_hour:.2f}/h"
    )

# %% [markdown]
# Going from 40% to 80% utilisation halves the cost per million requests (from about $0.17
# to $0.09) and multiplies the p99 by three (from about 19 ms to 58 ms). That is the
# latency-cost trade-off in one table: the cheapest fleet is the one running at the knee,
# and the SLO decides how close to the knee you can afford to go.
#
# ## 9. Accuracy metrics: when 99.2% accuracy catches nothing
#
# Latency is not the only number that lies on a dashboard. A fraud model screens
# transactions, of which 0.8% are fraudulent. The data below is seeded and synthetic:
# 100,000 transactions and a model score for each (fraud tends to score high, but the
# distributions overlap). First, the laziest possible model: "never fraud".

# %%
is_fraud, score = metrics.make_fraud_scores(n=100_000, fraud_rate=0.008, seed=0)
never = metrics.confusion_matrix(is_fraud, np.zeros_like(is_fraud))
print(
    f"fraud rate {is_fraud.mean():.1%}; 'never fraud': accuracy {never.accuracy:.1%}, "
    f"recall {never.recall:.0%}, precision {never.precision:.0%}"
)
at_half = metrics.scores_at_threshold(is_fraud, score, threshold=0.5)
cm = at_half.confusion
print(f"model at threshold 0.5: TP {cm.tp}, FP {cm.fp}, FN {cm.fn}, TN {cm.tn}")
print(
    f"  accuracy {at_half.accuracy:.1%}, precision {at_half.precision:.1%}, recall {at_half.recall:.1%}, F1 {at_half.f1:.2f}"
)

# %% [markdown]
# "Never fraud" scores 99.2% accuracy and catches no fraud at all; the real model scores
# *lower* accuracy (about 97.9%) while catching 90% of it. With a rare positive class,
# accuracy mostly counts the easy negatives. Use the confusion matrix and:
#
# - **precision** = TP / (TP + FP): of the transactions we block, how many were fraud (here
#   about 27%; the rest are annoyed customers);
# - **recall** = TP / (TP + FN): of the fraud, how much we catch;
# - **F1**, their harmonic mean, when you need one number.
#
# The threshold moves along the trade-off:

# %%
thresholds = np.linspace(0.05, 0.95, 37)
sweep = metrics.threshold_sweep(is_fraud, score, thresholds)
best = max(sweep, key=lambda s: s.f1)
fig, ax = plt.subplots(figsize=(8, 3.8))
for attr, color in (("precision", "tab:blue"), ("recall", "tab:orange"), ("f1", "tab:green")):
    ax.plot(thresholds, [getattr(s, attr) for s in sweep], color=color, label=attr)
ax.axvline(
    best.threshold, color="0.5", ls=":", label=f"best F1 {best.f1:.2f} at {best.threshold:.2f}"
)
ax.set(
    xlabel="threshold (flag if score >= threshold)",
    ylabel="score",
    title="Precision, recall and F1 vs threshold (0.8% fraud)",
)
ax.legend()
fig.tight_layout()
print(
    f"best F1 {best.f1:.2f} at threshold {best.threshold:.2f}: precision {best.precision:.0%}, recall {best.recall:.0%}"
)

# %% [markdown]
# Which threshold is right is a cost question, not a metric question: a missed fraud costs
# its amount, a false alarm costs a support call and maybe a customer. The fraud lab later in
# the course puts prices on both.
#
# ## 10. Your turn: move along the tail
#
# The panel draws a fresh latency log from the generator of section 1. Move the slow-path
# share and watch the mean barely move while the p99 jumps between the two humps; shrink
# the sample size and watch the p99's confidence band (red) widen. Things to try:
#
# - at 1% slow path, where does the p99 land, and why does it jump between seeds?
# - with 300 samples, how wide is the band? At 100,000?
# - what slow-path share makes the mean cross 100 ms, and what is the p99 then?

# %%
tail_latency_panel()

# %% [markdown]
# ## Check yourself
#
# Open the graded exercise, [01_metrics_exercise.ipynb](../exercises/01_metrics/01_metrics_exercise.ipynb).
# Its parts rise in difficulty:
#
# 1. nearest-rank percentiles, without numpy's interpolating default;
# 2. the fleet p99 from per-host HdrHistograms, by merging them (and not changing them);
# 3. the cost per million requests of a machine at a given utilisation, and the monthly
#    bill of a fleet sized for a peak;
# 4. precision and recall of a fraud model at a threshold;
# 5. the threshold that minimises the cost of mistakes at a 0.8 % fraud rate;
# 6. a short written answer for your team about the dashboard's "p99" (graded by hand).
#
# From a JupyterLab terminal (it opens in your work folder) `tradeoffs check
# exercises/01_metrics` runs the tests on your copy and says which fail; each graded part
# has a ladder of hints, and `tradeoffs hint 01_metrics PART` shows the next rung (a
# nudge first, the near-answer last).
#
# ## Where to go next
#
# - Gil Tene, *How NOT to Measure Latency* (talk, Strange Loop 2015): coordinated
#   omission, why percentiles and not averages, and the HdrHistogram correction.
#   <https://www.youtube.com/watch?v=lJ8ydIuPFeU>
# - Prometheus documentation, *Histograms and summaries*: bucket layout, the 295 ms example,
#   and why summaries' quantiles cannot be aggregated.
#   <https://prometheus.io/docs/practices/histograms/>
# - HdrHistogram: the data structure, its precision guarantees and the corrected recording.
#   <http://hdrhistogram.org/> and the Python port <https://github.com/HdrHistogram/HdrHistogram_py>
# - John D. C. Little, "A Proof for the Queuing Formula: L = λW", *Operations Research* 9(3),
#   1961, and Little's own retrospective "Little's Law as Viewed on Its 50th Anniversary",
#   *Operations Research* 59(3), 2011.
#
# ## Trade-off questions (as an interviewer would ask them)
#
# **1. The dashboard shows a mean latency of 73 ms against a 100 ms target, and support
# gets "it hung for two seconds" tickets. Who is right?**
#
# <details><summary>Model answer</summary>
#
# Both. A mean describes no request when the distribution has two humps: 98% of requests
# around 45 ms and 2% around 1.2 s give a mean of about 73 ms and a p99 over a second. The
# tickets are the slow hump. Report percentiles (p50, p99, p99.9) from enough samples, say
# which definition, and look at the histogram; then find out what the slow path is (a
# cache miss, a retry, a GC pause).
# </details>
#
# **2. Each of 40 hosts exports its p99. How do you get the fleet's p99, and what does
# your answer cost?**
#
# <details><summary>Model answer</summary>
#
# Not by averaging: a percentile of a union is not a function of the parts' percentiles,
# and an average weights an idle host like a busy one. Export histograms (HdrHistogram, or
# Prometheus buckets) and add their counts, then read the percentile of the sum. The cost:
# more series per host (one per bucket), precision limited by the bucket layout (or
# HdrHistogram's significant digits), and a fleet number that can hide one bad host, so
# keep per-host views for debugging.
# </details>
#
# **3. A load test reports p99 = 5 ms; production shows 400 ms. What could the test have
# missed?**
#
# <details><summary>Model answer</summary>
#
# Coordinated omission first: a closed-loop generator that waits for each response sends
# nothing during a stall and records one slow sample instead of the hundreds users would
# have had; use an open loop (requests on a schedule, latency measured from the intended
# start) or correct with the intended interval. Then: too few samples for a p99 (ask for
# the interval), a load below production's utilisation (the knee), warm caches and a
# small data set, and a generator sharing the server's cores.
# </details>
#
# **4. Running the fleet at 80% utilisation instead of 40% halves the bill. Why not do
# it?**
#
# <details><summary>Model answer</summary>
#
# Queueing: latency grows like 1 / (1 - utilisation), so from 40% to 80% the M/M/1 p99
# triples (section 8: about 19 ms to 58 ms), and bursts or a lost machine push 80% over the
# knee. The right utilisation is the highest at which the SLO still holds with headroom for
# a failure and the daily peak: measure the knee with a capacity run, then size for peak
# at that utilisation, in whole machines.
# </details>
#
# **5. A fraud model is 99.2% accurate. Is it good?**
#
# <details><summary>Model answer</summary>
#
# Unknown: with 0.8% fraud, "never fraud" is 99.2% accurate and catches nothing. Ask for
# precision and recall at the operating threshold (or the whole curve), and above all the
# cost of the mistakes: a missed fraud costs its amount, a false alarm a review and maybe a
# customer. Choose the threshold that minimises that cost, not accuracy or F1.
# </details>

# %%
print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.1f} s")
