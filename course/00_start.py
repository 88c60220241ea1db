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
# their **p99**.
# The exact p99 reads every row. A p99 computed on a random **sample** of 1% of
# the rows reads a hundredth of the data: it answers sooner and burns fewer
# CPU-seconds, but it is off by a sampling error.
#
# The next cell measures that on your machine, for samples from 0.1% to 100%:
#
# - **latency**: wall time of one p99 computation (`time.perf_counter`, median of 5 runs);
# - **cost**: its CPU time (`time.process_time`) priced at an illustrative
#   0.045 USD per vCPU-hour, expressed per million queries;
# - **error**: how far the sampled p99 is from the exact one, in percent
#   (root mean square over up to 100 different random samples).

# %%
from tradeoffs.widgets.triangle import (
    format_table,
    iron_triangle_panel,
    make_latency_dataset,
    tradeoff_frontier,
)

latencies_ms = make_latency_dataset(n_rows=1_000_000, seed=0)
points = tradeoff_frontier(latencies_ms)
by_fraction = {p.fraction: p for p in points}
print(format_table([by_fraction[f] for f in (0.01, 0.1, 1.0)]))

# %% [markdown]
# The error column is the same on every machine (the data and the samples are
# seeded): about 6% for a 1% sample, under 3% for 10%, and exactly 0 for the
# full scan, which *is* the exact answer. The latency and cost columns are
# yours. Put them side by side as ratios against the full scan:

# %%
full = by_fraction[1.0]
for fraction in (0.01, 0.1):
    p = by_fraction[fraction]
    print(
        f"{fraction:>4.0%} sample: {p.sample_rows / full.sample_rows:.0%} of the rows, "
        f"{full.latency_ms / p.latency_ms:5.1f}x faster, "
        f"{full.cost_usd_per_million_queries / p.cost_usd_per_million_queries:5.1f}x cheaper, "
        f"p99 off by {p.error_pct:.1f}% ({p.estimate_ms:.0f} ms vs {p.exact_ms:.0f} ms)"
    )

# %% [markdown]
# What to read in these numbers (on a laptop, expect the 1% sample to be
# roughly 50-100x faster and cheaper than the full scan, and the 10% sample
# about 8-10x):
#
# - **Latency and cost move together here**, because both are the same CPU
#   work on one core. What you trade them for is accuracy. (In later units
#   they come apart: a cache buys latency with memory and staleness; more
#   replicas buy tail latency with money.)
# - **Returns diminish in both directions.** Ten times more rows divides the
#   error by only two to three (sampling error shrinks like one over the square
#   root of the sample size), while the cost grows tenfold. And a 100x smaller sample
#   is usually less than 100x faster: every call pays a fixed overhead that
#   sampling does not remove.
# - **"Good enough" is a requirement, not a feeling.** If the dashboard only
#   needs to say whether p99 is above a 500 ms objective, a few percent of error
#   on a p99 near 400 ms is fine, and the full scan is waste. If an invoice
#   depends on the number, it is not.
#
# Move along the trade-off yourself: the slider picks the sample size, the
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
# Next: [**01 metrics**](01_metrics.ipynb), where the p99 in this table gets a precise definition,
# and the average of p95s turns out to be a trap.
