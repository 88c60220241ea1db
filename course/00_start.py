# %% [markdown]
# # 00 · Start here: how this course works
#
# This is a course about the three numbers every performance decision moves:
# **latency** (how long a user waits), **cost** (what the machines bill) and
# **accuracy** (how right the answer is). Make one better and, past the easy
# wins, another gets worse. Every unit measures that for real on your machine:
# real profilers, a real web service and database, real models, a real video
# encoder, real load tests.
#
# | Unit | What you learn |
# |---|---|
# | 01 metrics | percentiles and histograms, throughput, Little's law, cost per request, precision and recall |
# | 02 profiling | find the bottleneck with cProfile, line and memory profilers before touching code |
# | 03 caching | TTL and LRU caches, hit ratios, and what staleness costs |
# | 04 SLOs and observability | SLIs, SLOs, error budgets and burn-rate alerts |
# | 05 project: slow REST endpoint | p50/p95/p99 before and after an N+1 fix, an index and a cache |
# | 06 project: fraud model under 100 ms | latency, infrastructure cost and fraud loss of each model, and a cascade |
# | 07 project: tiered video transcoding | time to first frame, CPU-seconds per minute encoded, and VMAF |
#
# Units arrive progressively: if a unit's files are not in your copy yet, it
# has not been released.

# %% [markdown]
# ## How a unit works
#
# Each unit has two notebooks:
#
# - a **lesson** in `course/NN_slug.ipynb` (this is one): read it, run it, change
#   the numbers and run it again;
# - a **graded exercise** in `exercises/NN_slug/NN_slug_exercise.ipynb`.
#
# In the exercise, you write code where a cell says `# YOUR CODE HERE`, and you
# delete the `raise NotImplementedError()` line beneath it:
#
# ```python
# def p99_ms(samples_ms):
#     """Return the 99th percentile of samples_ms (nearest rank)."""
#     # YOUR CODE HERE
#     raise NotImplementedError()
# ```
#
# Below your code come **test cells**. They are read-only: you can run them,
# not edit them. A test cell starts with a one-line docstring saying what it
# checks, and its assertion message says what your function returned and what
# was expected. Some tests are **hidden**: they are not in your copy and run
# only when the instructor grades, so write code that is right, not code that
# satisfies the visible examples.

# %% [markdown]
# ## Running and checking an exercise
#
# 1. Open the exercise in JupyterLab and use **Run > Run All Cells**. A test cell
#    that prints nothing passed; a red traceback is a failing test.
# 2. Press **Validate** in the notebook toolbar (added by nbgrader). It restarts
#    the kernel, runs every cell and tells you which tests fail.
# 3. From a terminal (in JupyterLab: File > New > Terminal, which opens in your
#    work folder), for a verdict per test; `tradeoffs hint 01_metrics PART` then
#    gives hints for a failing part, one at a time:
#
#    ```
#    tradeoffs check exercises/01_metrics
#    ```
#
# 4. Before you submit, **restart the kernel and run all cells**
#    (Kernel > Restart Kernel and Run All Cells). A notebook that only works
#    because of a cell you ran by hand an hour ago fails at grading, where
#    cells run once, top to bottom, in a fresh kernel.
#
# Anything your code writes to stderr, a warning included, makes a test cell
# fail at grading: fix warnings rather than ignore them.

# %% [markdown]
# ## How grading judges speed
#
# Many exercises ask for code that is faster, leaner or cheaper. Grading never
# compares your time with an absolute number such as "under 50 ms":
#
# - **Deterministic counters come first.** Where the work can be counted, it is:
#   SQL statements issued, function calls, allocations, cache hits. A count is
#   the same on every machine and every run.
# - **Time is judged only as a ratio**: your function against a reference
#   solution, both measured in the same run on the same machine, after a
#   warm-up, taking the median of several runs. "At least 5x faster than the
#   baseline" means the same thing on a laptop and on a busy grading server.
# - The measurement happens **outside your notebook's namespace**, so redefining
#   `time.perf_counter` cannot make code look fast.
#
# Why: absolute times differ by several times between machines, and by tens of
# percent between two runs on one machine (turbo clocks, other processes, cold
# caches). The lessons follow the same rule: they state expected ranges and
# ratios, and you read your own numbers off the output.

# %% [markdown]
# ## The iron triangle, measured
#
# A small, real example of the trade-off the whole course is about. A service
# logged one million request latencies (simulated here: most requests take a
# fast path around 40 ms, 2% a slow path around 400 ms) and a dashboard wants
# their **p99**. There are three ways to answer.
#
# 1. **Scan** every row: the exact answer, and the most work per question.
# 2. **Sample**: compute the p99 of rows drawn at random positions (never a
#    contiguous slice: real logs are ordered in time, and a slice holds one
#    period's traffic, a quiet hour or a bad minute). Reading 1% of the rows
#    answers sooner and burns fewer CPU-seconds, but is off by a sampling error.
# 3. **Keep a histogram** as the requests complete (an HdrHistogram, which unit 01
#    explains): each request pays a small recording cost, whether or not anyone
#    ever asks, and the question then reads a few thousand counters instead of a
#    million rows, within the histogram's bucket width (about 1%).
#
# The next cell measures the first two on your machine, for samples from 0.1% to 100%:
#
# - **latency**: wall time of one p99 computation (`time.perf_counter`, median of 5 runs);
# - **cost**: its CPU time (`time.process_time`) priced at an illustrative
#   0.045 USD per vCPU-hour, expressed per million queries;
# - **error**: how far the sampled p99 is from the exact one, in percent
#   (root mean square over up to 100 different random samples).

# %%
from tradeoffs.widgets.triangle import (
    compare_strategies,
    format_strategies,
    format_table,
    iron_triangle_panel,
    make_latency_dataset,
    measure_histogram,
    tradeoff_frontier,
)

latencies_ms = make_latency_dataset(n_rows=1_000_000, seed=0)
points = tradeoff_frontier(latencies_ms)
by_fraction = {p.fraction: p for p in points}
print(format_table([by_fraction[f] for f in (0.01, 0.1, 0.3, 1.0)]))

# %% [markdown]
# The error column is the same on every machine (the data and the samples are
# seeded): about 7% for a 1% sample, about 2% for 10%, and exactly 0 for the
# full scan, which *is* the exact answer. The latency and cost columns are
# yours. Put them side by side as ratios against the full scan:

# %%
full = by_fraction[1.0]
for fraction in (0.01, 0.1, 0.3):
    p = by_fraction[fraction]
    print(
        f"{fraction:>4.0%} sample: {p.sample_rows / full.sample_rows:.0%} of the rows, "
        f"{full.latency_ms / p.latency_ms:5.1f}x faster, "
        f"{full.cost_usd_per_million_queries / p.cost_usd_per_million_queries:5.1f}x cheaper, "
        f"p99 off by {p.error_pct:.1f}% ({p.estimate_ms:.0f} ms vs {p.exact_ms:.0f} ms)"
    )

# %% [markdown]
# What to read in these numbers (measured on a 2-core laptop: the 1% sample
# was 15-22x faster and cheaper than the full scan, the 10% sample only 2-3x,
# and the 30% sample *slower* than reading everything):
#
# - **Returns diminish in both directions.** Ten times more rows divides the
#   error by only about three (sampling error shrinks like one over the square
#   root of the sample size), while the work grows tenfold. And a 100x smaller
#   sample is far less than 100x faster: every call pays a fixed overhead, and a
#   sampled row costs more than a scanned one: its position must be drawn at
#   random, and gathering rows from random positions misses the CPU's caches,
#   where the scan streams through memory in order. For 30% of a million rows,
#   drawing the positions and gathering the rows took about 1.7 ms here, nearly
#   what the whole scan took (1.8 ms), before any p99 was computed.
# - **Along this line, latency and cost move together**, because both are the
#   same CPU work on one core, done when the question is asked. All a sample
#   trades them for is accuracy: two corners, not three.
#
# The third way moves the cost off the question's path. The histogram is
# recorded once per request, so what an answer costs depends on how many
# requests are logged between two questions. Two dashboards on a service
# serving 1,000 requests a second: one refreshed every ten minutes (600,000
# new rows per question), one every second (1,000 rows):

# %%
histogram = measure_histogram(latencies_ms)
print(
    f"recording: {histogram.ingest_cpu_s_per_row * 1e6:.2f} µs of CPU per request; "
    f"the histogram's p99 {histogram.estimate_ms:.1f} ms vs exact {histogram.exact_ms:.1f} ms"
)
for label, rows_per_query in (("every ten minutes", 600_000), ("every second", 1_000)):
    print(f"\nasked {label} ({rows_per_query:,} new requests per question):")
    rows = compare_strategies(full, by_fraction[0.01], histogram, rows_per_query=rows_per_query)
    print(format_strategies(rows))

# %% [markdown]
# Now no option wins everything:
#
# - the **sample** is the cheapest answer on demand (about a tenth of a millisecond
#   here), and the least accurate;
# - the **histogram** answers as quickly (about 0.1 ms, 15-25x sooner than the scan,
#   and it stays 0.1 ms however long the log grows, where a 1% sample grows with it) and
#   within a third of a percent, but its cost is paid by every request (about 0.7 µs
#   of CPU each): asked every ten minutes, one answer carries the recording of
#   600,000 requests, a couple of hundred times the scan's CPU; asked every second,
#   it costs about half as much as the scan, still more than the sample;
# - the **scan** is the only exact one, and the slowest.
#
# That is a real three-way trade-off: which corner you give up depends on the
# requirement and on the workload (how often the question is asked), not on a
# universal best. Production monitoring mostly keeps histograms (Prometheus,
# unit 04), because dashboards and alerts ask every few seconds, and because
# the raw rows, 8 MB here, are not kept at all; the price is a precision fixed
# in advance by the buckets.
#
# - **"Good enough" is a requirement, not a feeling.** If the dashboard only
#   needs to say whether p99 is above a 500 ms objective, a few percent of error
#   on a p99 near 400 ms is fine, and the full scan is waste. If an invoice
#   depends on the number, it is not.
#
# Move along the sampling line yourself: the slider picks the sample size, the
# dropdown re-prices the same CPU time on another kind of machine. The left
# plot is the frontier (every point measured above); the right bars show the
# chosen point's three corners, each as a share of its worst value.

# %%
iron_triangle_panel(points)

# %% [markdown]
# ## For interview candidates
#
# Each unit ends with **trade-off questions** of the kind asked in performance
# and system-design interviews: "the p99 doubled after a deploy, what do you
# measure first?", "what does this cache cost when the hit ratio drops?". Answer
# them with a number and how you would measure it, then say what your choice
# made worse. That last part is what interviewers listen for.
#
# ## Trade-off questions (as an interviewer would ask them)
#
# **1. A dashboard's p99 query scans a billion rows and takes 40 s. How would
# you make it fast, and what would each option cost you?**
#
# <details><summary>Model answer</summary>
#
# Three families, each giving up something else. Sample rows at random: the
# work falls with the sample, the error grows like one over the square root of
# its size (measure it against the exact answer, and remember a p99 needs
# thousands of rows beyond the 99th percentile to be stable). Pre-aggregate at
# ingest (histograms, sketches): answers in milliseconds, precision fixed in
# advance by the buckets, and a recording cost on every request whether anyone
# asks or not. Or keep the exact scan and buy latency with parallel hardware,
# which costs money. Choose from the requirement (how exact must it be, how
# often is it asked) and the numbers, not from habit.
# </details>
#
# **2. Why is a contiguous slice of a log not a random sample?**
#
# <details><summary>Model answer</summary>
#
# A log is ordered in time, and latency is correlated in time: a deploy, a
# garbage-collection storm, a slow dependency or the daily peak fill whole
# minutes. A slice measures one period, so its p99 can be far from the whole
# log's in either direction, and its error does not shrink the way a random
# sample's does. Draw rows at random positions (or sample requests at random as
# they arrive), and check the estimate against the exact answer on data where
# you have both.
# </details>
#
# **3. "Make it faster and cheaper": when do latency and cost move together, and
# when do they pull apart?**
#
# <details><summary>Model answer</summary>
#
# They move together when both are the same work done on demand: less work per
# request is both sooner and cheaper (an index, a smaller sample, a better
# algorithm). They pull apart when latency is bought with resources that sit
# idle or are duplicated: precomputation and caches (cost paid ahead, memory,
# staleness), replicas and headroom (lower utilisation, lower queueing delay,
# higher bill), hedged requests (a second copy of the slow requests). Ask what
# each option does to all three numbers, then which one the business can give.
# </details>
#
# Next: [**01 metrics**](01_metrics.ipynb), where the p99 in this table gets a precise definition,
# and the average of p95s turns out to be a trap.
