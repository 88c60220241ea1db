# %% [markdown]
# # 02 · Find the bottleneck before you fix it: timing, profilers, memory and traces
#
# **The scenario.** Finance's nightly sales report used to finish before anyone looked at
# it. The order feed has grown four-fold since, and the job now takes sixteen times as
# long; last week it was still running when the morning reconciliation started. The team
# has a theory: "formatting the CSV export is slow, let's rewrite it". Before anyone
# rewrites anything, this unit measures the job, finds where the time and the memory
# really go, and shows what a fix can buy before you write it.
#
# By the end you can:
#
# - time code properly: warm-up, repeated runs, medians, and why one run proves nothing;
# - read a cProfile/pstats table (tottime vs cumtime, callers and callees) and draw it;
# - time line by line with line_profiler (`%lprun`, and `@profile` with `LINE_PROFILE=1`);
# - measure memory with memory_profiler (`%memit`, `%mprun`) and tracemalloc, and tell a
#   peak from what stays allocated;
# - say what measuring costs (profiler overhead as a ratio) and when to sample instead;
# - read a profile as a Pareto chart and use Amdahl's law to bound what a fix can buy;
# - export a run as a Chrome trace and look at it on a timeline (Perfetto, chrome://tracing).
#
# The job is real code in the course package, `tradeoffs.labs.report` (`slow.py` is the job
# as written, `fast.py` the fix); its input is a seeded order feed, so everyone profiles the
# same data. Timings are measured live on your machine: your numbers will differ from the
# ranges in the text, the shape will not.

# %%
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from tradeoffs import profiling
from tradeoffs.labs.report import build_report, build_report_fast, make_orders, slow
from tradeoffs.labs.report.graph import customer_graph
from tradeoffs.widgets.profiling import amdahl_panel, plot_icicle, plot_pareto, plot_timeline

NOTEBOOK_START = time.perf_counter()
N_ORDERS = 6_000  # distinct orders in the feed; raise it to see the trend more sharply

# %% [markdown]
# ## 1. Timing properly: one run proves nothing
#
# The feed delivers orders with about 5% replayed (the same order twice). The report
# de-duplicates, totals revenue by region and customer, and hashes the CSV export that
# finance reconciles against.

# %%
orders = make_orders(N_ORDERS, seed=0)
start = time.perf_counter()
report = build_report(orders)
one_run_ms = (time.perf_counter() - start) * 1000
print(f"{len(orders):,} rows in the feed -> {report['orders']:,} distinct orders")
print(f"revenue ${report['revenue_cents'] / 100:,.2f}; top customer {report['top_customers'][0]}")
print(f"one run: {one_run_ms:.1f} ms")

# %% [markdown]
# One number from one run mixes the code's cost with whatever else happened in that
# instant: the first call pays for cold caches and lazy imports, another process may have
# taken the CPU, the garbage collector may have run. Time it again, several times, and look
# at the spread. `profiling.time_repeats_s` wraps `timeit` (which switches the garbage
# collector off while timing): warm-up calls first, then repeated timed calls.

# %%
timing = profiling.time_repeats_s(build_report, orders, repeats=7, warmup=1)
print("runs (ms):", " ".join(f"{t * 1000:.1f}" for t in timing.samples_s))
print(
    f"median {timing.median_s * 1000:.1f} ms, min {timing.min_s * 1000:.1f} ms, "
    f"max {timing.max_s * 1000:.1f} ms, max/min {timing.spread:.2f}"
)

# %% [markdown]
# Report the **median** of several runs after a warm-up (robust to the odd slow run), and
# the spread. The minimum is what the code can do on an idle machine, useful for comparing
# two versions of a small function. On a laptop, expect the runs to agree within 5 to 20%;
# on a busy shared machine the spread can reach 2x, and a single "before" run against a
# single "after" run can show a 30% "improvement" that is pure noise.
#
# One caveat about timeit's median as "what a user sees": timeit switches the cyclic
# garbage collector **off** while it times. For this report that changes nothing (its dicts
# hold only numbers and strings, which CPython does not even track), but code that builds
# many containers pointing at each other (a graph, an ORM session's objects) pays for
# collections that timeit hides. `gc_enabled=True` keeps the collector on, as it is in
# production; here on a job that links 100,000 orders to their customers:

# %%
graph_orders = make_orders(100_000, seed=1)
gc_off = profiling.time_repeats_s(customer_graph, graph_orders, repeats=5)
gc_on = profiling.time_repeats_s(customer_graph, graph_orders, repeats=5, gc_enabled=True)
print(
    f"customer_graph: median {gc_off.median_s * 1000:.0f} ms with the collector off (timeit's "
    f"default), {gc_on.median_s * 1000:.0f} ms with it on ({gc_on.median_s / gc_off.median_s:.1f}x)"
)

# %% [markdown]
# Expect it several times slower with the collector on (3x to 7x on our runs, the most in
# a notebook kernel), and more in a long-running process that already holds millions of
# objects (a big kernel, a web server): a full collection scans them all. Time such code with the collector on, or measure it where it
# runs (unit 05's server freezes its startup objects with `gc.freeze()` for that reason).
#
# IPython's `%timeit` does the same and picks the number of loops for you (`-r` runs of
# `-n` loops each; `-o` returns the result object):

# %%
# %timeit -r 5 -n 1 build_report(orders)

# %% [markdown]
# A better question than "how long does it take" is "how does the time grow with the
# input". Double the feed a few times and plot the medians on log-log axes: the slope is
# the exponent (1 for linear work, 2 for quadratic).

# %%
sizes = [750, 1_500, 3_000, 6_000]
medians_s = [
    profiling.time_repeats_s(build_report, make_orders(n, seed=0), repeats=3).median_s
    for n in sizes
]
slope = np.polyfit(np.log(sizes), np.log(medians_s), 1)[0]
fig, ax = plt.subplots(figsize=(6.5, 3.6))
ax.loglog(sizes, np.array(medians_s) * 1000, "o-", label=f"measured (slope {slope:.2f})")
ax.loglog(
    sizes,
    medians_s[0] * 1000 * (np.array(sizes) / sizes[0]) ** 2,
    ":",
    color="0.5",
    label="quadratic (slope 2)",
)
ax.loglog(
    sizes,
    medians_s[0] * 1000 * np.array(sizes) / sizes[0],
    "--",
    color="0.5",
    label="linear (slope 1)",
)
ax.set(xlabel="distinct orders in the feed", ylabel="median run time (ms)")
ax.set_title("The report's run time against the feed's size")
ax.legend()
fig.tight_layout()
for n, m in zip(sizes, medians_s, strict=True):
    print(f"{n:6,} orders: {m * 1000:7.1f} ms")

# %% [markdown]
# The slope comes out close to 2 (typically 1.7 to 2.1; the small sizes still carry some
# linear work, and timings wobble): each doubling of the feed nearly quadruples the run. Something in the job is quadratic, and
# that is what explains "four times the orders, sixteen times the time". CSV formatting is
# one line per order: linear. Time to find out what is not.
#
# ## 2. cProfile: where does the time go?
#
# `cProfile` is Python's built-in **deterministic** profiler: it records every function
# call and return, with how long was spent. `profiling.profile_call` runs one call under it
# and returns the `pstats.Stats`. (From a shell: `python -m cProfile -s tottime script.py`;
# in IPython: `%prun`.) First, sorted the way most people sort it, by cumulative time:

# %%
run = profiling.profile_call(build_report, orders)
print(profiling.stats_text(run.stats, sort="cumtime", limit=6))

# %% [markdown]
# The columns:
#
# - **ncalls**: how many times the function was called (`12/3` means 12 calls, of which 3
#   were not recursive, "primitive");
# - **tottime**: time spent *in the function's own code*, not counting functions it called;
# - **cumtime**: time from entering to leaving the function, *including* everything it
#   called (so the entry point always has about 100%);
# - **percall**: tottime / ncalls and cumtime / primitive calls.
#
# **The trap.** Sorted by cumtime, the top row is `build_report`, the entry point: true and
# useless, since everything is inside it. Cumulative time tells you which *subtree* to look
# into; own time (tottime) tells you which *code* burns the CPU. Sort by tottime:

# %%
print(profiling.stats_text(run.stats, sort="tottime", limit=8))
top = profiling.top_function(run.stats, by="tottime")
print(
    f"\ntop by tottime: {top.label}, {top.ncalls_text} call(s), "
    f"{top.tottime_s / run.total_s:.0%} of the profiled time"
)

# %% [markdown]
# `dedupe_orders` is called once and takes 85 to 95% of the run in its own code. The
# CSV functions the team suspected (`csv_line`, `render_csv`) take a few percent together.
# pstats also keeps the call graph, per caller-callee pair: who called a function
# (`Stats.print_callers`) and what it called (`Stats.print_callees`), with the time spent
# on each edge:

# %%
print("build_report called:")
for label, calls, cum_s in profiling.callees_of(run.stats, "build_report")[:6]:
    print(f"  {label:32} {calls:6,} call(s) {cum_s * 1000:8.2f} ms")
print("csv_line was called by:")
for label, calls, cum_s in profiling.callers_of(run.stats, "csv_line"):
    print(f"  {label:32} {calls:6,} call(s) {cum_s * 1000:8.2f} ms")

# %% [markdown]
# A picture of the same profile: an **icicle chart** (a flame graph drawn top-down). Each
# box is a function; its width is the time spent inside it, callees below their caller.
# Tools like snakeviz and speedscope draw the same from a saved profile
# (`python -m cProfile -o run.prof ...`); here we draw it from the call graph in the stats.

# %%
boxes = profiling.icicle_boxes(run.stats, root="build_report", max_depth=4)
fig, ax = plt.subplots(figsize=(10, 2.8))
plot_icicle(boxes, ax, title="build_report under cProfile (width = cumulative time)")
fig.tight_layout()

# %% [markdown]
# One wide box under the root: `dedupe_orders`, and almost nothing below it. Its time is
# in its own lines, not in anything it calls, so the next question is: *which line*?
#
# ## 3. line_profiler: which line?
#
# line_profiler times every line of the functions you name. In a notebook:
# `%load_ext line_profiler`, then `%lprun -f function statement`. The report opens in
# JupyterLab's pager (a panel at the bottom), which is not saved with the notebook, so
# we also print the same table with `profiling.line_profile`, which runs line_profiler's
# `LineProfiler` from code and returns its report as text (and the numbers behind it).

# %%
# %load_ext line_profiler

# %%
# %lprun -f slow.dedupe_orders build_report(orders)

# %%
lines = profiling.line_profile(build_report, orders, functions=[slow.dedupe_orders])
print(lines.text)

# %% [markdown]
# Nearly all the time is on one line, `if order.order_id not in seen:`, hit once per row.
# `seen` is a **list**: `in` compares the id with every id seen so far, so the k-th order
# costs k comparisons and the whole loop n²/2. The fix is a data structure, not faster
# code: a `set` answers `in` with one hash lookup. The numbers behind the table:

# %%
hot = lines.hottest("dedupe_orders")
print(f"hottest line {hot.lineno}: {hot.source!r}: {hot.hits:,} hits, {hot.time_s * 1000:.1f} ms")

# %% [markdown]
# **Outside a notebook**, current line_profiler releases (4.1 and later) have a workflow
# with no special runner: decorate the function with `from line_profiler import profile`,
# `@profile`, and run the program with `LINE_PROFILE=1` in the environment. Without the
# variable the decorator does nothing, so it can stay in the code. `slow.dedupe_orders`
# carries it; below we run the report as a program in a scratch folder, the way you would
# from a shell:
#
# ```sh
# LINE_PROFILE=1 python -m tradeoffs.labs.report --orders 3000
# ```

# %%
with tempfile.TemporaryDirectory() as scratch:
    proc = subprocess.run(
        [sys.executable, "-m", "tradeoffs.labs.report", "--orders", "3000"],
        env={**os.environ, "LINE_PROFILE": "1"},
        cwd=scratch,
        capture_output=True,
        text=True,
        check=True,
    )
    print(proc.stdout.strip())
    print("\n--- profile_output.txt ---")
    print((Path(scratch) / "profile_output.txt").read_text().strip())

# %% [markdown]
# (`kernprof -l -v script.py` is the older runner and still works.) line_profiler's cost is
# per line executed, so profile the one or two functions cProfile pointed at, not the
# whole program.
#
# ## 4. Memory: peak, retained, and where it was allocated
#
# Time is one budget; memory is another, and the report's second step spends it freely:
# `enrich_orders` turns every order into a dict and keeps all of them until the end.
# memory_profiler measures the process's resident memory (RSS, what the operating system
# charges you for). `%memit` runs a statement and reports the peak:

# %%
# %load_ext memory_profiler

# %%
# %memit build_report(orders)

# %% [markdown]
# `%mprun` samples RSS at every line of the functions you name (only functions defined in
# a module file, which is one reason the job lives in the package). Like `%lprun`, it shows
# its report in the pager, so we print the same table with
# `profiling.memory_line_profile` (memory_profiler's `LineProfiler` and `show_results`):

# %%
# %mprun -f slow.enrich_orders build_report(orders)

# %%
print(profiling.memory_line_profile(build_report, orders, functions=[slow.enrich_orders]))

# %% [markdown]
# RSS is coarse: Python's allocator keeps freed memory for reuse and asks the operating
# system for more in arenas of 256 KiB or 1 MiB, so increments appear on whichever line
# happened to need a new arena, and on a second run there may be none at all.
# **tracemalloc**, in the standard library, counts Python allocations exactly, with the
# line that made them. Two numbers matter:
#
# - **peak**: the most memory held at any moment during the call: this is what must fit;
# - **retained**: what is still allocated when the call returns (its result, or a leak).

# %%
traced = profiling.trace_memory(build_report, orders)
print(
    f"build_report: peak {traced.peak_bytes / 2**20:.2f} MiB, "
    f"retained {traced.retained_bytes / 2**10:.1f} KiB"
)
unique = slow.dedupe_orders(orders)
enriched = profiling.trace_memory(slow.enrich_orders, unique, top=3)
print(f"enrich_orders keeps {enriched.retained_bytes / 2**20:.2f} MiB; largest sites:")
for site, size, blocks in enriched.top_sites:
    print(f"  {site:22} {size / 2**20:6.2f} MiB in {blocks:,} blocks")

# %% [markdown]
# The report returns a few kilobytes, yet holds a few megabytes at its peak, 300 to 500
# bytes per order: a dict per order (`_asdict` in collections) and its CSV line, plus the
# joined export and its encoded copy. The peak grows with the feed; at 10 million orders
# a night it would be gigabytes, for a result that fits in a screenful. Peak is what sizes
# the machine (and the bill); retained is what leaks look like.
#
# memory_profiler, which this course shows because so much writing about Python memory
# uses it, is no longer maintained. A maintained alternative is **memray** (Bloomberg):
# it records every allocation, from Python and from C extensions, with its stack, and says
# which stacks held memory *at the peak*, the question that sizes a machine.
# `profiling.memray_peak` runs the call under `memray.Tracker` and reads the capture back
# (from a shell: `memray run script.py`, then `memray flamegraph` or `memray stats`;
# memray has no Windows build, and the cell says so if it is missing):

# %%
try:
    held = profiling.memray_peak(build_report, orders, top=4)
    print(f"memray: peak {held.peak_bytes / 2**20:.2f} MiB, {held.total_allocations:,} allocations")
    for site in held.top_sites:
        print(
            f"  {site.location:34} held {site.bytes / 2**20:5.2f} MiB at the peak "
            f"({site.allocations:,} allocation{'s' if site.allocations != 1 else ''})"
        )
except profiling.ToolUnavailable as exc:
    print("SKIPPED:", exc)

# %% [markdown]
# Same verdict as tracemalloc, from the other side: at the peak, the memory is held by the
# per-order dicts (`_asdict`) and CSV lines, and the joined export. memray also sees what
# numpy or a C extension allocates, which tracemalloc cannot.
#
# ## 5. The fix, measured the same way
#
# `build_report_fast` makes one pass: a `set` for the ids seen, running totals, and the
# CSV export hashed line by line (`hashlib`'s `update`) instead of built as one string.
# First check that it returns *exactly* the same report, then measure both the same way.

# %%
fast_report = build_report_fast(orders)
assert fast_report == report, "the fast report differs from the original"
slow_t = profiling.time_repeats_s(build_report, orders, repeats=5)
fast_t = profiling.time_repeats_s(build_report_fast, orders, repeats=5)
fast_mem = profiling.trace_memory(build_report_fast, orders)
print(f"same report: {fast_report == report}")
print(
    f"time: {slow_t.median_s * 1000:.1f} ms -> {fast_t.median_s * 1000:.2f} ms "
    f"({slow_t.median_s / fast_t.median_s:.0f}x faster, medians of 5 after warm-up)"
)
print(
    f"peak memory: {traced.peak_bytes / 2**20:.2f} MiB -> {fast_mem.peak_bytes / 2**20:.2f} MiB "
    f"({traced.peak_bytes / fast_mem.peak_bytes:.0f}x less)"
)

# %% [markdown]
# At 6,000 orders expect 20 to 60 times faster and 3 to 6 times less peak memory (what
# remains is mostly the set of ids seen, which the dedupe needs). Since one version is
# quadratic and the other linear, the time ratio grows with the feed: double the orders,
# double the ratio. Now profile the fixed version: the bottleneck has moved.

# %%
fast_run = profiling.profile_call(build_report_fast, orders)
print(profiling.stats_text(fast_run.stats, sort="tottime", limit=5))

# %% [markdown]
# The top is now the loop itself and the CSV formatting the team suspected at first: it
# *is* the biggest cost now, but only after the quadratic step is gone. Optimise in the
# order the profile gives, and profile again after every fix.
#
# ## 6. The cost of measuring
#
# A deterministic profiler runs extra code at every call (cProfile), every line
# (line_profiler, memory_profiler's `%mprun`) or every allocation (tracemalloc), so the
# program under it is slower, and unevenly so: code made of many small calls is slowed
# more than code that loops inside one function. That skews the profile itself: functions
# called millions of times look more expensive than they are. Measure it as a ratio to
# the plain run, on two workloads: the slow report (one hot loop) and the fast one (a few
# calls per order).

# %%
overheads = {
    "slow report (one hot loop)": profiling.profiler_overhead(build_report, orders, repeats=3),
    "fast report, 40k orders (many calls)": profiling.profiler_overhead(
        build_report_fast, make_orders(40_000, seed=1), repeats=3
    ),
}
tools = [o.tool for o in next(iter(overheads.values()))[1:]]
fig, ax = plt.subplots(figsize=(8, 3.4))
width = 0.38
for i, (name, rows) in enumerate(overheads.items()):
    ratios = [o.ratio for o in rows[1:]]
    ax.bar(np.arange(len(tools)) + (i - 0.5) * width, ratios, width, label=name)
    print(name + ": " + ", ".join(f"{o.tool} {o.ratio:.2f}x" for o in rows[1:]))
ax.axhline(1, color="0.3", lw=1)
ax.set_xticks(range(len(tools)), tools)
ax.set_ylabel("run time / plain run time")
ax.set_title("What each tool costs (medians of interleaved runs)")
ax.legend(fontsize="small")
fig.tight_layout()

# %% [markdown]
# Expect cProfile to add 5 to 30% to the loop-heavy job and 1.5 to 3x to the call-heavy
# one; tracemalloc slows allocation-heavy code the most (every object is recorded with its
# traceback). line_profiler here times the lines of one function only; on a whole program
# it is far costlier. None of these belongs in production as it is.
#
# A **sampling** profiler instead looks at the call stack every millisecond or so and
# counts what it sees. What it records does not grow with the number of calls, and the
# best samplers (py-spy, austin) read the stack from *outside* the process, costing the
# program almost nothing: they attach to a live production process without a restart.
# pyinstrument samples from inside: it is woken by Python's profiling hook and checks the
# clock at each call, which is why its overhead above still grows on call-heavy code,
# though it records far less. What sampling gives up: no exact call counts, and short
# functions may never be sampled. pyinstrument's call tree of the slow report:

# %%
_, tree = profiling.sampling_profile(build_report, orders, interval_s=0.001)
print(tree.strip())

# %% [markdown]
# The same verdict, from about 200 samples: `dedupe_orders` holds the time.
#
# **py-spy** samples from outside: it reads the stacks out of the process's memory, so the
# program runs unmodified and unslowed, and a live server can be sampled without a
# restart (`py-spy top --pid PID`, `py-spy record --pid PID -o profile.svg`). Here it runs
# the report as a program and counts, per function, the samples in which it was running.
# It needs permission to read another process's memory: fine for a child process on
# Linux, `sudo` on macOS, and in some containers not at all (the cell then says why):

# %%
try:
    spied = profiling.py_spy_record(
        ["-m", "tradeoffs.labs.report", "--orders", str(2 * N_ORDERS)], rate_hz=250
    )
    print(f"py-spy: {spied.samples} samples at {spied.rate_hz} Hz; own time by function:")
    for name, share in spied.top(4):
        print(f"  {share:6.1%}  {name}")
except profiling.ToolUnavailable as exc:
    print("SKIPPED:", exc)

# %% [markdown]
# Its samples cover the whole program, start-up included (imports, making the feed), and
# still put most of the time in `dedupe_orders`. For *counts* (how many calls, how many
# queries, how many allocations), which is what you want to assert in a test, use a
# deterministic tool: counts do not vary between runs; seconds do.
#
# ## 7. The Pareto view and Amdahl's law
#
# Profiles of real programs are usually lopsided: a few functions take most of the time
# (the 80/20 rule). Sort the functions by own time and add up their shares:

# %%
pareto = profiling.pareto_table(run.stats)
fig, ax = plt.subplots(figsize=(9, 3.6))
plot_pareto(pareto, ax, top=8)
ax.set_title("build_report: share of run time by function (cProfile tottime)")
fig.tight_layout()
n80 = next(i for i, r in enumerate(pareto, 1) if r.cumulative_share >= 0.8)
print(f"{len(pareto)} functions; the top {n80} take {pareto[n80 - 1].cumulative_share:.0%}")

# %% [markdown]
# **Amdahl's law** turns a share into a bound. If a part takes a fraction *f* of the run
# and you make it *s* times faster, the whole run becomes 1 / ((1 - f) + f / s) times
# faster, and never more than 1 / (1 - f), however good the fix. The team's plan, making
# the CSV formatting 10 times faster, against fixing the top item:

# %%
csv_share = sum(r.share for r in pareto if r.label in ("slow.csv_line", "slow.render_csv"))
dedupe_share = pareto[0].share
print(
    f"CSV formatting: {csv_share:.1%} of the run; 10x faster -> "
    f"{profiling.amdahl_speedup(csv_share, 10):.3f}x overall "
    f"(ceiling {profiling.amdahl_limit(csv_share):.3f}x)"
)
print(
    f"dedupe_orders:  {dedupe_share:.1%} of the run; 10x faster -> "
    f"{profiling.amdahl_speedup(dedupe_share, 10):.2f}x overall "
    f"(ceiling {profiling.amdahl_limit(dedupe_share):.1f}x)"
)

# %% [markdown]
# Rewriting the CSV code would have bought a few percent at best. Fixing `dedupe_orders`
# alone is bounded by the rest of the job (10 to 15x here); the measured fix beat that
# bound only because it also removed work elsewhere (the dicts, the joined string). To go
# further than 1 / (1 - f), you have to change what the rest of the program does, not
# just the top item.
#
# ## 8. The same run on a timeline: a Chrome trace
#
# A profile sums everything up; a **trace** keeps each call with its start and end, so you
# see *when* things happen (phases, stalls, what ran in parallel). The Chrome trace event
# format is a JSON list of events that Chrome's `chrome://tracing` and Perfetto
# (<https://ui.perfetto.dev>, "Open trace file") both read. `profiling.trace_events` records
# every Python call of one run as a "complete" event (`"ph": "X"`, start `ts` and
# duration `dur` in µs). We use a smaller feed: tracing is deterministic and costly.

# %%
trace = profiling.trace_events(build_report, make_orders(1_500, seed=0))
trace_path = profiling.write_chrome_trace(trace, "report_trace.json")
print(f"{len(trace.events):,} events written to {trace_path.resolve()}")
print(json.dumps(trace.events[1], indent=None))
fig, ax = plt.subplots(figsize=(10, 2.6))
plot_timeline(trace, ax, max_depth=3)
ax.set_title("build_report on a timeline (what Perfetto shows, drawn here)")
fig.tight_layout()

# %% [markdown]
# Open `report_trace.json` (in the folder this notebook runs in) in <https://ui.perfetto.dev>:
# zoom in and you find the thousands of tiny `csv_line` and `_asdict` calls that the
# profile summed into one row each. The first bar is the dedupe, a single call with nothing
# inside: the loop is all its own time, as the profile said.
#
# Look at the proportions, though: here the dedupe is only a third of the run, where
# cProfile said 90%. Two reasons, both worth remembering. The feed is four times smaller,
# and a quadratic step shrinks sixteen-fold while the linear ones shrink four-fold. And the
# tracer runs Python code at every call and return, which inflates the call-heavy
# enrichment step far more than the one-call dedupe: the cost of measuring again, this time
# changing the picture, not just the total. Read a trace for *order and shape*; take
# shares from a cheaper profile of a realistic input. For services, OpenTelemetry records
# traces like this one across processes; later units use it.
#
# ## 9. Your turn: what can a fix buy?
#
# The panel below takes the measured profile of the slow report. Choose how many of the
# top functions you fix and how much faster each becomes; the left plot shows the run
# before and after, the right one the overall speed-up against the factor, with Amdahl's
# ceiling. Things to try:
#
# - fix the top function 1,000x: how close do you get to the ceiling?
# - fix everything but the top function 1,000x: what does that buy?
# - how many functions must you fix to reach 20x?

# %%
amdahl_panel(pareto)

# %% [markdown]
# ## Check yourself
#
# Open the graded exercise, `exercises/02_profiling/02_profiling.ipynb`. A different slow
# program, a nightly risk-scoring job, needs the same treatment:
#
# 1. profile it and name its bottleneck, the way cProfile ranks it, with its call count;
# 2. write an optimised version that returns identical results;
# 3. make it at least 5 times faster (timed against the original in a fresh process);
# 4. make its peak memory at least 3 times smaller (tracemalloc, in a fresh process);
# 5. say what your optimisation cost (graded by hand).
#
# From a terminal, `tradeoffs check exercises/02_profiling` runs the tests on your copy and
# says which fail; `tradeoffs hint 02_profiling PART` shows the next rung of that part's
# hint ladder (a nudge first, the near-answer last).
#
# ## Where to go next
#
# - The Python Profilers (cProfile and pstats), the standard library documentation:
#   <https://docs.python.org/3/library/profile.html>; and tracemalloc:
#   <https://docs.python.org/3/library/tracemalloc.html>.
# - line_profiler's documentation, including the `LINE_PROFILE=1` workflow:
#   <https://kernprof.readthedocs.io/>
# - Micha Gorelick and Ian Ozsvald, *High Performance Python*, 2nd ed. (O'Reilly, 2020),
#   chapter 2, "Profiling to Find Bottlenecks".
# - Gene Amdahl, "Validity of the single processor approach to achieving large scale
#   computing capabilities", AFIPS 1967; and the Trace Event Format specification
#   (Google, linked from <https://perfetto.dev/docs/>).
#
# ## Trade-off questions (as an interviewer would ask them)
#
# **1. A colleague says "the CSV export is slow, let's rewrite it in Rust". What do you do
# first?**
#
# <details><summary>Model answer</summary>
#
# Measure: time the job on a realistic input (median of several runs after a warm-up),
# then profile it sorted by own time (tottime). If the export is a few percent of the run,
# Amdahl's law caps what any rewrite can buy (a 10x faster export at 5% of the run is 1.05x
# overall); fix the top of the profile instead, often a data structure (a list used as a
# set) rather than a language. Profile again after each fix: the bottleneck moves.
# </details>
#
# **2. cProfile says one function takes 40% of the run; pyinstrument says 20%. Which do
# you believe?**
#
# <details><summary>Model answer</summary>
#
# Neither blindly: a deterministic profiler adds a fixed cost to every call, so code made
# of many small calls looks more expensive under cProfile than it is; a sampler's error is
# statistical (a few hundred samples give a few percent of resolution) and it cannot count
# calls. Measure each tool's overhead as a ratio to the plain run; take shares from the
# cheaper tool on a realistic input, counts from the deterministic one, and confirm by
# timing the program with and without the fix.
# </details>
#
# **3. The job's memory grows with its input and the machine runs out at 10 million rows.
# How do you find out why, and what are your options?**
#
# <details><summary>Model answer</summary>
#
# Measure the peak, not the end state: tracemalloc or memray give the sites that held the
# most at the peak (RSS tools are coarse, since the allocator keeps freed arenas). Typical
# culprits are intermediate collections kept whole only to be consumed once (a list of
# lines joined and then hashed, a dict per row). Options: stream (process and drop each
# row, hash incrementally), use leaner representations (tuples, arrays, `__slots__`),
# spill to disk, or buy a bigger machine; the trade-offs are code complexity, and
# sometimes a second pass over the input.
# </details>
#
# **4. Your optimisation made a benchmark 30% faster. How do you know it is real?**
#
# <details><summary>Model answer</summary>
#
# Compare medians of interleaved repeated runs, on the same machine, in the same session,
# on fresh but equal inputs (a cache keyed on the input would otherwise look like speed),
# and look at the spread: if max/min of either version is above 1.3, 30% is noise. State
# the ratio with its range over several sessions. Mind what the timer leaves out (timeit
# turns the garbage collector off) and what the input leaves out (a quadratic step hides on
# a small input).
# </details>
#
# **5. When would you use a sampling profiler in production, and when not?**
#
# <details><summary>Model answer</summary>
#
# When a live service is slow and you cannot reproduce it: py-spy or austin attach from
# outside with almost no overhead and need no restart or code change, at the price of
# needing ptrace rights and giving statistical shares, not call counts. Not for counts you
# want to assert (queries per request, calls per item: use deterministic counters in
# tests), and not for short functions a sampler may never catch. Continuous low-rate
# sampling (a fleet profiler) is the compromise many teams run.
# </details>

# %%
print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.1f} s")
