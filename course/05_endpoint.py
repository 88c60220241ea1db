# %% [markdown]
# # 05 · Project: make a slow database-backed REST endpoint fast
#
# **The scenario.** The shop's `GET /users/{id}` returns a customer and their 100 most
# recent orders, with items and product names: the "my account" page. Most pages load in
# a tenth of a second, but the p99 is about **2 seconds**, and the customers who complain
# are the best ones: people with a long order history. In this project you profile the
# endpoint, find the N+1 queries and the missing index, fix them, add a cache, and measure
# p50/p95/p99 before and after (with the intervals unit 01 asks for, at the client and at
# the server, under closed- and open-loop load), the capacity the fixes buy, and what the
# cache costs to run and what it risks.
#
# Everything here is real: a FastAPI service on a real socket (uvicorn on 127.0.0.1),
# SQLAlchemy 2 on a seeded SQLite database, Locust and k6 generating load in subprocesses.
#
# **One modelled thing: the network.** SQLite runs inside our process and answers a query
# in microseconds; a production database sits on another machine, and each query costs a
# network round trip (0.5 to 5 ms within a cloud region). The engine below sleeps
# **3 ms + exponential jitter (mean 1 ms)** before every statement to model that round
# trip (`make_engine(..., round_trip_ms=3, jitter_ms=1)`). Against PostgreSQL
# (`make_engine("postgresql+psycopg://...")` or `tradeoffs lab endpoint load --db ...`)
# the round trips are real and the model is off.
#
# **How long it takes.** The load tests run about two and a half minutes at the default
# `LOAD_SCALE = 1` (500 requests per run; progress bars show each run). Every figure below
# scales with it: 0.2 is a quick look (the course's own tests run it so), 10 gives each p99
# the 5,000 samples of unit 01's rule of thumb (about 25 minutes). Set it here or with the
# environment variable `TRADEOFFS_LOAD_SCALE`.

# %%
import collections
import cProfile
import os
import pstats
import tempfile
import time
from pathlib import Path

import httpx
import matplotlib.pyplot as plt
from sqlalchemy import update
from sqlalchemy.orm import Session

from tradeoffs import metrics, prices
from tradeoffs.labs.endpoint import (
    AppConfig,
    QueryLog,
    User,
    baseline_user_json,
    create_app,
    create_recent_orders_index,
    drop_recent_orders_index,
    explain,
    make_engine,
    optimized_user_json,
    recent_orders_stmt,
    seed_database,
    serve,
    sqlite_url,
)
from tradeoffs.labs.endpoint.capacity import run_capacity
from tradeoffs.labs.endpoint.load import (
    STAGES,
    Stage,
    measure_stage,
    pool_sweep,
    request_trace,
    results_table,
    run_cold_then_warm,
    run_loops,
    serve_stage,
)
from tradeoffs.labs.endpoint.loading import compare_loading, loading_table
from tradeoffs.labs.endpoint.races import invalidation_race, stampede
from tradeoffs.widgets.endpoint import CACHE_NODE, DB_INSTANCE, endpoint_panel, endpoint_tradeoff
from tradeoffs.widgets.load import plot_capacity, plot_over_time, plot_stages

NOTEBOOK_START = time.perf_counter()
LOAD_SCALE = float(os.environ.get("TRADEOFFS_LOAD_SCALE", "1"))  # the size knob (see above)
RUN_REQUESTS = max(100, round(500 * LOAD_SCALE))  # requests per load-test run

# %% [markdown]
# ## 1. The shop
#
# A seeded generator fills the database: 2,000 users (the size knob is `n_users`), about
# 20,000 orders and 70,000 items. 3% of the users are heavy customers with 110 to 160
# orders each; the others have a handful.

# %%
workdir = Path(tempfile.mkdtemp(prefix="lesson05-"))
url = sqlite_url(workdir / "shop.db")
shop = seed_database(make_engine(url, round_trip_ms=0), n_users=2_000, seed=0)
engine = make_engine(url)  # 3 ms + jitter per statement: the modelled network
HEAVY, LIGHT = shop.heavy_user_ids[0], shop.light_user_id
print(f"{shop.n_users:,} users, {shop.n_orders:,} orders, {shop.n_items:,} items")
print(f"a heavy customer: user {HEAVY}; a typical one: user {LIGHT}")

# %% [markdown]
# ## 2. Measure one request, then profile it
#
# First, time the handler directly for a typical and a heavy customer, and count the SQL
# statements it sends with `QueryLog` (a SQLAlchemy `before_cursor_execute` listener).

# %%
log = QueryLog(engine, keep=True)


def one_request(handler, user_id):
    """Serve one request in a fresh session; return (ms, statements)."""
    log.reset()
    started = time.perf_counter()
    with Session(engine) as session:
        handler(session, user_id)
    return (time.perf_counter() - started) * 1000, log.total


for who, uid in (("typical", LIGHT), ("heavy", HEAVY)):
    ms, n = one_request(baseline_user_json, uid)
    print(f"baseline, {who:7} user {uid:4}: {ms:7.1f} ms, {n:4} queries")
HEAVY_QUERIES = n

# %% [markdown]
# About four hundred queries for one page (the count is printed above: it depends on how
# many distinct products the customer bought). Where does the time go? cProfile on the
# heavy request, sorted by total time spent in each function itself:

# %%
log.reset()
profiler = cProfile.Profile()
profiler.enable()
with Session(engine) as session:
    baseline_user_json(session, HEAVY)
profiler.disable()
stats = pstats.Stats(profiler)
rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:6]
print(f"{'calls':>7} {'own time (s)':>13}  function")
for (file, line, name), (_cc, calls, own_s, _cum_s, _callers) in rows:
    print(f"{calls:>7} {own_s:>13.3f}  {Path(file).name}:{line} {name}")

# %% [markdown]
# Almost all of the time is in `time.sleep`, called once per statement: the round trips
# (the modelled network; with a real database the same time would be spent waiting in the
# socket read of the driver). The CPU work (SQLAlchemy building objects, JSON) is a small
# slice. A profiler that only sees CPU time (`pyinstrument` in CPU mode, `perf`) would
# point at the wrong thing here: this request is **waiting**, not computing.
#
# ### The query log: what is it waiting for?

# %%
shapes = collections.Counter(" ".join(s.split())[:90] for s in log.statements)
print(f"{len(log.statements)} statements, {len(shapes)} distinct shapes:")
for shape, count in shapes.most_common():
    print(f"{count:5} x  {shape}")

# %% [markdown]
# The classic **N+1** pattern: one query for the orders, then one per order for its items
# (100) and one per product not yet loaded (about 300). Nothing in the handler's code
# looks like a loop over queries: the serialiser reads `order.items` and `item.product`,
# and SQLAlchemy's default lazy loading fetches each relationship on first access.
#
# ## 3. The trap: "it is fast on my machine"
#
# On a developer laptop with SQLite in process, the same page looks fine:

# %%
local = make_engine(url, round_trip_ms=0)
with Session(local) as session:
    started = time.perf_counter()
    baseline_user_json(session, HEAVY)
print(
    f"heavy page, in-process SQLite, no network: {(time.perf_counter() - started) * 1000:.0f} ms "
    f"for {HEAVY_QUERIES} queries"
)

# %% [markdown]
# Without a network, those queries cost a few tens of milliseconds, and the N+1 goes
# unnoticed until the database moves to its own machine. Latency that scales with the
# number of round trips is invisible wherever round trips are free: count queries per
# request in tests, not just milliseconds.
#
# ## 4. The fix: eager loading, then the index
#
# `optimized_user_json` asks for the same rows up front:
# `recent_orders_stmt(user_id).options(selectinload(Order.items).selectinload(OrderItem.product))`
# sends one `SELECT ... WHERE order_id IN (...)` per relationship level: 4 queries whatever
# the number of orders. The JSON must be identical:

# %%
with Session(engine) as s1, Session(engine) as s2:
    same = baseline_user_json(s1, HEAVY) == optimized_user_json(s2, HEAVY)
for who, uid in (("typical", LIGHT), ("heavy", HEAVY)):
    ms, n = one_request(optimized_user_json, uid)
    print(f"optimised, {who:7} user {uid:4}: {ms:6.1f} ms, {n} queries")
print("identical JSON:", same)

# %% [markdown]
# Next, the orders query itself. Its plan, before and after adding an index on
# `orders(user_id, created_at)` (SQLite's `EXPLAIN QUERY PLAN`; on PostgreSQL `explain`
# runs `EXPLAIN`):

# %%
stmt = recent_orders_stmt(HEAVY)
print("before:", explain(engine, stmt))


def time_query_ms(n=200):
    """Median ms of the recent-orders query on the network-free engine."""
    samples = []
    with local.connect() as conn:
        for _ in range(n):
            started = time.perf_counter()
            conn.execute(stmt).all()
            samples.append((time.perf_counter() - started) * 1000)
    return metrics.percentile(samples, 50)


before_ms = time_query_ms()
create_recent_orders_index(engine)
print("after: ", explain(engine, stmt))
after_ms = time_query_ms()
print(f"query alone (no network): {before_ms:.2f} ms -> {after_ms:.3f} ms")

# %% [markdown]
# `SCAN orders` + `USE TEMP B-TREE FOR ORDER BY` (read all 20,000 orders, sort the
# matches) becomes `SEARCH orders USING INDEX` with no sort: the index holds each user's
# orders in time order. At this size the scan costs a few milliseconds, next to 3 ms of
# network; it grows linearly with the table while the search stays flat, so at 20 million
# orders the missing index would dominate.
#
# ### Two ways to load eagerly: one query per level, or one JOIN
#
# `selectinload` is not the only eager loading. `joinedload` fetches orders, items and
# products in **one** statement with LEFT OUTER JOINs (`joined_user_json`): two queries
# for the page instead of four. The price is the **row explosion**: the JOIN returns one
# row per item, and every row repeats its order's columns (and the product's, for each
# time it was bought). Measured on the heavy page, with and without the modelled network:

# %%
print(loading_table(compare_loading(url, HEAVY)))

# %% [markdown]
# The JOIN sends fewer rows but more values (each item row carries its order again); with
# a network it wins by its two saved round trips, and without one the two are close (on
# our runs the JOIN was a little faster with the index, and slower without it, when the
# database sorts the joined rows). The explosion grows with what you join: order columns
# repeated four times here, but join two collections side by side (a user's orders *and*
# their addresses) and the rows multiply. The rule of thumb SQLAlchemy's documentation
# gives: `joinedload` for many-to-one (an item's product, an order's customer: no
# repetition), `selectinload` for collections. Which one a page needs is a question for
# the query log and a measurement, not for taste.
#
# ## 5. Load-test each stage
#
# A single request tells you little about a p99. Each stage below is served by uvicorn
# on a free loopback port and loaded twice at the same offered rate, 50 requests/s, for
# `RUN_REQUESTS` requests: once by **Locust** (16 users with exponential think times: a
# *closed loop*, each user waits for its response before thinking again) and once by
# **k6**'s constant-arrival-rate executor (an *open loop*, which starts requests on a
# schedule whatever the responses do). The trace is the same: 3% of requests for heavy
# customers, the rest spread over the other users by a Zipf law, 1% bad requests (unknown
# or malformed ids, which must get a 404 or 422, not a crash). The stages add one change
# at a time: eager loading, the index, and an in-process response cache (cache-aside, TTL
# 60 s, invalidated on write, with the leases and single flight of section 9;
# `Stage(..., cache="redis")` uses Redis instead).
#
# Two latencies per run, and they are different things. The **response time** is
# measured by the load generator, from sending the request to the last byte of the answer:
# it includes the connection, the server's accept queue and event loop, and the transfer.
# That is what users feel. The **service time** is measured by the app's own middleware,
# from the moment it sees the request to the moment the handler's response comes back: it
# misses whatever queueing happens before the app (unit 01's distinction). Every p99 comes
# with its bootstrap 95% interval, and the closed loop's also **corrected** for
# coordinated omission (HdrHistogram, with each user's mean interval as the expected one).

# %%
trace = request_trace(shop.n_users, heavy_user_ids=shop.heavy_user_ids, bad_fraction=0.01)
RATE = 50
results = run_loops(engine, STAGES, trace, rate_rps=RATE, n_requests=RUN_REQUESTS, users=16)
print(results_table(results))

# %%
fig, ax = plt.subplots(figsize=(11, 4.8))
plot_stages(results, ax)
fig.tight_layout()

# %%
by = {(r.stage.name, r.generator): r for r in results}
base_open, final_open = by[STAGES[0].name, "k6"], by[STAGES[-1].name, "k6"]
base_closed = by[STAGES[0].name, "locust"]
eager_open = by[STAGES[1].name, "k6"]
print(
    f"client p99 (open loop): {base_open.client.p99_ms:,.0f} ms -> {eager_open.client.p99_ms:,.0f} "
    f"ms with eager loading ({base_open.client.p99_ms / eager_open.client.p99_ms:.0f}x); "
    f"p50 {base_open.client.p50_ms:.0f} ms -> {final_open.client.p50_ms:.1f} ms with the cache"
)
print(
    f"queries per request: {base_open.queries_per_request:.1f} -> "
    f"{final_open.queries_per_request:.1f}"
)
print(
    f"the baseline under the closed loop: {base_closed.throughput_rps:.0f} requests/s sent of "
    f"{RATE} offered, {base_closed.client.n} samples, p99 {base_closed.client.p99_text()} ms, "
    f"corrected {base_closed.corrected_p99_ms:,.0f} ms"
)
print(
    "errors:",
    [f"{r.error_rate:.1%}" for r in results],
    "| status codes served by the baseline:",
    base_open.snapshot["statuses"],
)

# %% [markdown]
# What to read in this table (ranges from quiet and busy runs of a 2-core laptop; yours
# will differ):
#
# - **The N+1 fix buys almost all of the p99.** The baseline's p99 is about 2 s (the
#   heavy pages); eager loading takes it to tens of milliseconds, one to two orders of
#   magnitude (40x to 70x on our runs), because latency here is round trips times
#   round-trip time, and the heavy page went from 425 round trips (section 2's count) to
#   4. The index adds little at this size, as measured in section 4. The cache lowers the
#   median and the database load (fewer queries per request) but not the p99: the p99 is
#   made of cache *misses* (a miss costs what the eager-loading stage costs), and each run
#   starts from a cold cache.
# - **What the closed loop hides.** At the baseline, Locust's users spend seconds waiting
#   on heavy pages, and a waiting user sends nothing: the offered 50 requests/s quietly fell
#   to about 29, so the test never applied the load it claims, and its p99 rests on a few
#   heavy pages among 300-odd samples: its interval runs from a few hundred milliseconds to
#   2 s, where the open loop's is a tenth as wide. HdrHistogram's correction barely moves
#   it here: it adds back the requests a user would have sent during a stall longer than
#   its mean interval (0.32 s), and those land below the p99. At this rate the baseline is
#   not yet queueing, so the two loops agree on the tail itself; past its capacity they do
#   not (unit 04 measured it): the closed loop keeps reporting the service time of a
#   server that its own slowing users protect.
# - **Client against server.** At this load the service time is within a few
#   milliseconds of the response time under k6: little queues before the app. Under
#   Locust the client's p99 is higher than the server's: Locust's own CPU (Python, on the
#   machine's two shared cores) delays its measurements, and its exponential think times
#   send bursts. Users feel the response time, so an SLO is measured as close to them as
#   you can (unit 04).
# - **The intervals.** With 500 samples a p99 rests on the 5 slowest requests: the
#   interval says how far another run of the same length could land. It covers the
#   sampling error of one run, not a machine that got busier between two runs (other work
#   on your machine shows up directly in these tails): rerun, or raise `LOAD_SCALE`, before
#   you read a difference between two stages as real.
#
# ## 6. Capacity: where does the optimised service break?
#
# A p99 at one rate is not a capacity. Step the offered rate (k6, open loop) on the
# optimised service with its index, a pool of 4 connections and no cache, until the p99
# breaks a 100 ms target: the last rate that met it is the **knee** (unit 04's capacity
# run, `run_capacity`). The baseline needs no such run: its p99 misses 100 ms at any rate.

# %%
pooled = make_engine(url, pool_size=4, max_overflow=0)
CAPACITY_STAGE = Stage("+ index, pool 4", "optimized", True)
with serve_stage(pooled, CAPACITY_STAGE) as server:
    cap = run_capacity(
        server,
        CAPACITY_STAGE,
        trace,
        [80, 140, 200, 260],
        target_p99_ms=100,
        requests_per_step=RUN_REQUESTS,
        min_step_s=max(1.0, 2 * LOAD_SCALE),
        warmup_s=max(1.0, 2 * LOAD_SCALE),
    )
pooled.dispose()
print(cap.table())
hold_ms = cap.steps[0].server.p50_ms
print(
    f"Little's law: 4 connections / {hold_ms:.0f} ms held per request = "
    f"{4 / hold_ms * 1000:.0f} requests/s at most"
)

# %%
fig, ax = plt.subplots(figsize=(8, 3.8))
plot_capacity(cap, ax)
fig.tight_layout()

# %% [markdown]
# The knee lands near what Little's law allows: each request holds a connection for
# about 20 ms (four round trips plus work), so 4 connections serve at most about 200
# requests a second; at 100% of that the queue for the pool grows without bound and the
# p99 goes from tens of milliseconds to a second. On our runs the knee was 140 to 200
# requests/s; a busy machine moves it down (the generator and the server share its cores).
#
# ## 7. Connection pool size on the real service
#
# The pool is a queue in front of the database, so size it like one. The same open-loop
# load, 90 requests/s, on the running service with pools of 1, 2 and 4 connections (no
# overflow):

# %%
pools = pool_sweep(
    lambda n: make_engine(url, pool_size=n, max_overflow=0),
    [1, 2, 4],
    trace,
    rate_rps=90,
    n_requests=round(0.8 * RUN_REQUESTS),
)
print(results_table(pools))
print(
    f"Little's law: 90 requests/s x {hold_ms:.0f} ms = {90 * hold_ms / 1000:.1f} "
    "connections busy on average"
)

# %% [markdown]
# One connection cannot serve 90 requests/s at about 20 ms each (that would be 170-190%
# busy): the queue grows for the whole run and latencies reach seconds (a p50 of 1.6-1.8 s and
# a p99 of 3.2 to 3.8 s on our runs; a longer run only makes them worse, and an open loop
# that runs out of virtual users starts dropping requests). Two connections are about 85-90%
# busy: that is the knee, where a little more load or a slightly slower machine moves the
# tail a lot (their p99 was 42 ms on one of our runs, 330 ms on a busier one). Four leave
# headroom for bursts and slow queries (p99 40 to 48 ms). Size the pool from Little's law, connections
# needed = request rate x connection hold time, plus headroom for bursts: here 4. A bigger pool is
# not free: each connection is a process on the PostgreSQL server (several MB of memory
# each), and many app instances times a big pool can exhaust its `max_connections`;
# beyond what the database can run in parallel, more connections only move the queue into
# the database. (With `TRADEOFFS_POSTGRES_URL`, or `tradeoffs lab endpoint load --db ...`,
# the same runs go to a real PostgreSQL, whose round trips are real.)
#
# ## 8. Moving a slow side task off the request path
#
# Suppose each read must also be written to an audit log (an INSERT and a COMMIT: two more
# round trips). Three places to do it: on the request path (`audit="sync"`, the user
# waits); as a FastAPI background task (`audit="background"`: after the response is sent,
# but in the server's thread pool and on the same connection pool, one commit per row);
# or on a **task queue** (`audit="queue"`: the request only enqueues the row; one worker
# takes what has queued up and writes it in one INSERT and one COMMIT per batch; the queue
# is in process, or a Redis list with `audit_queue="redis"`, which survives the app). The
# app's middleware cannot tell background work from none (it stops timing when the response
# leaves), so this is measured **at the client**: k6 at 80 requests/s against a pool of 2,
# close to what it can serve.

# %%
side = []
queue_lag = None
for audit in ("off", "sync", "background", "queue"):
    st = Stage(f"audit={audit}", "optimized", True, "off", audit)
    side_engine = make_engine(url, pool_size=2, max_overflow=0)
    with serve_stage(side_engine, st) as server:
        side.append(
            measure_stage(
                server,
                st,
                trace,
                generator="k6",
                rate_rps=80,
                duration_s=max(1.0, 0.8 * RUN_REQUESTS / 80),
            )
        )
        server.app.state.lab.wait_idle()
        queue_lag = server.app.state.lab.snapshot().get("audit_queue", queue_lag)
    side_engine.dispose()
print(results_table(side))
print(
    f"queue: {queue_lag['rows']} rows in {queue_lag['batches']} batches; "
    f"enqueue to commit p50 {metrics.percentile(queue_lag['lag_ms'], 50):.0f} ms, "
    f"p99 {metrics.percentile(queue_lag['lag_ms'], 99):.0f} ms"
)

# %% [markdown]
# At the client, `sync` costs the two round trips on every request, and with the pool
# already nearly full it can tip the service into queueing. The background task is cheaper
# for the request that ordered it, but not free for the *others*: it still takes a thread
# and a connection from the same small pool, one commit per row. Both sit near the pool's
# knee, so their tails move a lot between runs (on two of ours, `sync`'s p99 was 1.1 s and
# 0.2 s, the background's 0.15 s and 0.36 s): neither is a fix. The queue keeps the request
# path close to `off` (a p99 of 57 and 91 ms against 55 and 44 ms) and pays its writes in
# batches, about ten milliseconds after the response at the median (the lag above). What
# the queue costs: the audit row is written later, it is lost if the process dies with
# rows still queued in memory (a Redis list, a stream or a real broker such as RabbitMQ
# or SQS keeps them), and its errors happen where no user sees them, so they need their
# own monitoring.
#
# ## 9. The cache's consistency: bypasses, a race, and a herd
#
# The cache makes responses up to a TTL stale for changes that **bypass** our write path.
# Another service writes to the database directly (parameters bound, never formatted into
# the SQL), and our cache keeps serving the old email; `PATCH /users/{id}` commits and
# then invalidates, so a read after it gets the new one:

# %%
app = create_app(engine, AppConfig(mode="optimized", cache="memory", cache_ttl_s=60))
with serve(app) as server, httpx.Client(base_url=server.url) as client:
    client.get(f"/users/{LIGHT}")
    with engine.begin() as conn:  # another service, straight to the database
        conn.execute(update(User).where(User.id == LIGHT).values(email="direct@x.org"))
    print("after a direct write:    ", client.get(f"/users/{LIGHT}").json()["email"], "(stale)")
    client.patch(f"/users/{LIGHT}", json={"email": "patched@x.org"})
    print("after PATCH /users/{id}:  ", client.get(f"/users/{LIGHT}").json()["email"])
    print(
        "bad requests:",
        [client.get(p).status_code for p in ("/users/abc", "/users/0", "/users/99999")],
    )
app.state.lab.close()

# %% [markdown]
# Is our own write path then free of staleness? "Commit, then delete" closes one race (a
# reader that arrives between an early delete and the commit would re-cache the old row).
# It leaves another open, the one unit 03 described: a reader misses and reads the old
# row **just before** the commit, the writer commits and deletes, and then the reader
# stores what it read, **after** the delete. The old page is now cached for a whole TTL.
# `invalidation_race` makes that happen on the real service, deterministically: the
# reader's store is held at a gate while a `PATCH` commits and invalidates, then let
# through. Once with the plain cache, once with **leases** (Nishtala et al., *Scaling
# Memcache at Facebook*): the reader takes a token at its miss, before it reads the
# database; the invalidation revokes it; a store with a revoked token is refused.

# %%
for leases in (False, True):
    race = invalidation_race(engine, shop.heavy_user_ids[1], leases=leases)
    print(
        f"leases={leases!s:5}: the racing reader got {race.racing_reader_got}; the next read "
        f"got {race.next_read_got} (database: {race.db_email}); stale: {race.stale}; "
        f"stores refused: {race.refused_stores}"
    )

# %% [markdown]
# Without leases the next read serves the old email, and would for 60 s; with them the
# late store is refused and the next read loads the new row. (The racing reader itself got
# the old email both times: it read before the commit, which is correct for it.) Leases
# cost a token per miss (in Redis, one more key and a script: `RedisCache.set_if_leased`),
# and a miss whose store was refused is paid again by the next reader. The lab's cache uses
# them by default.
#
# The last concurrency problem is the **stampede** (unit 03): a heavy page that is not
# cached (a cold start, just invalidated, just expired) and 32 requests for it at once.
# Without single flight every one of them loads it; with it (unit 03's `CacheAside(...,
# coalesce=True)`, reused by the lab's cache) one loads and the others wait for its result:

# %%
for coalesce in (False, True):
    herd = stampede(engine, HEAVY, coalesce=coalesce, clients=32)
    print(
        f"single flight {'on ' if coalesce else 'off'}: {herd.clients} requests -> "
        f"{herd.loads} database loads ({herd.statements} statements), {herd.coalesced} waited "
        f"for another's load; all got the same page: {herd.all_same}"
    )

# %% [markdown]
# ## 10. What the cache really costs, and what it risks
#
# The cache's price is more than a node. A cache people rely on needs a **replica** for
# failover (a second node), and the database behind it must survive the moments when the
# cache is **cold**: after a restart, a failover to an empty replica, or a flush. Here is
# one, measured: the cached stage on a database sized for the *warm* cache (one
# connection: enough for the misses of a warm cache, far too little for every request),
# loaded at 90 requests/s from an empty cache, then again with the cache as the first run
# left it:

# %%
small_db = make_engine(url, pool_size=1, max_overflow=0)
cold, warm = run_cold_then_warm(
    small_db, STAGES[-1], trace, rate_rps=90, duration_s=max(1.0, 0.9 * RUN_REQUESTS / 90)
)
small_db.dispose()
print(results_table([cold, warm]))
fig, ax = plt.subplots(figsize=(8, 3.5))
plot_over_time({"cold cache (restart or flush)": cold, "warm cache": warm}, ax)
ax.axhline(100, color="black", lw=1, ls=":")
ax.set_title("p99 per second, database sized for a warm cache")
fig.tight_layout()

# %% [markdown]
# From cold, every request misses, the one connection is far over 100% busy, and the
# p99 spikes to hundreds of milliseconds (on our runs 300 to 900 ms in the first seconds)
# until enough pages are cached; warm, the same database keeps the p99 at tens of
# milliseconds. So "the cache replaces database instances" holds only while the cache is
# warm. Either keep the database sized for the cold load (and the cache buys latency, not
# money), or warm the cache before it takes traffic, and shed or queue load while it
# warms. In the price book's illustrative list prices:

# %%
print(prices.CACHE_NODES[CACHE_NODE])
print(prices.DATABASES[DB_INSTANCE])
for rps in (300, 1_000, 3_000):
    none = endpoint_tradeoff(ttl_s=0, rps=rps)
    cached = endpoint_tradeoff(ttl_s=60, rps=rps)
    print(
        f"{rps:5} req/s: no cache {none.db_instances} DB, ${none.monthly_cost_usd:6,.0f}/month | "
        f"TTL 60 s (hit {cached.hit_ratio:.0%}): {cached.db_instances} DB + cache and replica "
        f"${cached.monthly_cost_usd:6,.0f}/month; sized for a cold cache "
        f"{cached.cold_db_instances} DB, ${cached.cold_safe_monthly_cost_usd:6,.0f}/month"
    )

# %% [markdown]
# These numbers come from a model (Zipf popularity over 100,000 users, a TTL cache's hit
# ratio of λT/(1+λT) per key, an M/G/c queue for the pool), not a measurement. At low
# traffic the cache only adds cost: one database already has room. At higher traffic it
# replaces database instances with two much cheaper nodes, as long as you accept the cold
# start's spike; sized to survive a cold cache, it saves nothing and buys latency. And it
# makes responses up to a TTL stale for changes that bypass the write path.
#
# Move along the trade-off: TTL (hit ratio vs staleness), popularity skew, round trip and
# pool size (a pool too small saturates), and traffic (when the cache starts paying for
# itself).

# %%
endpoint_panel()

# %% [markdown]
# ## Check yourself
#
# The exercise (`exercises/05_endpoint`) hands you a second slow page that this lesson did
# not touch, the product page: find out why it is slow (count its queries), choose the
# eager loading that suits its relationships, read its query plan and add the index it
# needs, write the cache it sits behind so that an overtaken load cannot store a stale
# page, write the write path, and report this lesson's measurements to your team.
#
# Outside Jupyter: `tradeoffs lab endpoint seed`, `... serve --mode optimized --index
# --cache memory`, `... load --generator k6 --rate-rps 50 --duration-s 10 --plot
# stages.png` (or `--generator locust`), and `... capacity --rates 80 140 200 260` (add
# `--db postgresql+psycopg://...` or `--cache redis` to use real servers).
#
# ## Where to go next
#
# - SQLAlchemy, [Relationship Loading Techniques](https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html):
#   lazy, `selectinload`, `joinedload`, and `raiseload` to make N+1 an error in tests.
# - SQLite, [The Query Planner](https://www.sqlite.org/queryplanner.html), and PostgreSQL,
#   [Using EXPLAIN](https://www.postgresql.org/docs/current/using-explain.html).
# - Nishtala et al., [Scaling Memcache at Facebook](https://www.usenix.org/conference/nsdi13/technical-sessions/presentation/nishtala)
#   (NSDI 2013): cache-aside, invalidation after the write, leases against stale sets and
#   thundering herds, and cold-cluster warm-up.
# - k6, [Open and closed models](https://grafana.com/docs/k6/latest/using-k6/scenarios/concepts/open-vs-closed/),
#   and Gil Tene, *How NOT to Measure Latency* (unit 01).
#
# ## Trade-off questions
#
# **1. The p99 of an endpoint is 2 s, the p50 100 ms, and CPU is at 20%. Where do you look
# first, and what would convince you?**
#
# <details><summary>Model answer</summary>
#
# Low CPU and a long tail say the requests are waiting, not computing: round trips, locks,
# a pool, a downstream call. Count queries per request (a `before_cursor_execute` listener,
# or the database's statement log) for slow and fast requests: if the slow ones send
# hundreds, it is N+1 and latency is round trips times RTT. A wall-clock profile (not a CPU
# one) of one slow request confirms where it waits. What convinces: the query count and
# the latency both fall with eager loading, and the p99 (with enough samples and an
# interval) moves by the ratio of round trips.
# </details>
#
# **2. `selectinload` or `joinedload`?**
#
# <details><summary>Model answer</summary>
#
# `joinedload` saves round trips (one statement) but repeats the parent's columns on every
# child row, and two collections joined side by side multiply rows; it also complicates
# LIMIT (SQLAlchemy wraps the parent query in a subquery). `selectinload` sends one more
# query per level with no repetition. Many-to-one (an item's order, an order's customer):
# JOIN. Collections, especially large or several: selectin. Measure both with a realistic
# round trip: on our page the JOIN saved two round trips and sent about a third more
# values.
# </details>
#
# **3. Your load test says p99 = 80 ms at 500 requests/s. What do you ask before you
# believe it?**
#
# <details><summary>Model answer</summary>
#
# How many samples (and the interval: 500 samples put the p99 on the 5 slowest); closed or
# open loop (did the generator actually send 500/s while the server slowed down, or did
# its users wait?); measured where (client response time or middleware service time); on
# what data (a cold or warm cache, a realistic mix of heavy and light requests, bad
# requests); and what else ran on the machine (a generator on the same cores steals CPU).
# Then ask for the knee: one rate says nothing about headroom.
# </details>
#
# **4. The cache cut the database fleet from 8 instances to 3. What can go wrong, and what
# does it cost to make it safe?**
#
# <details><summary>Model answer</summary>
#
# A cold cache (restart, failover to an empty replica, a flush, a deploy that changes the
# key format) sends every request to a database sized for the misses of a warm cache: the
# queue explodes and the p99 goes to seconds, possibly into a retry storm. Making it safe:
# a replica (a second node), warming the cache before taking traffic, single flight or
# leases against herds on hot keys, load shedding while warm-up runs, or keeping enough
# database for the cold load (then the cache buys latency, not money). Staleness also
# comes with it: up to the TTL for writes that bypass invalidation.
# </details>
#
# **5. How big should the connection pool be?**
#
# <details><summary>Model answer</summary>
#
# From Little's law: connections busy = request rate x time each request holds one. At 90
# requests/s and 20 ms, 1.8 on average; add headroom for bursts (a pool busy 90% of the
# time has a long tail), so 3 to 4 per instance here. Then check the other side: instances
# x pool must stay under the database's `max_connections` (and what it can run in parallel,
# roughly its cores); past that, a bigger pool moves the queue into the database. Measure
# it: step the offered rate and watch the p99 per pool size.
# </details>

# %%
drop_recent_orders_index(engine)
log.close()
engine.dispose()
print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.0f} s")
