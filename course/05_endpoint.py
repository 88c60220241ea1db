# %% [markdown]
# # 05 · Project: make a slow database-backed REST endpoint fast
#
# **The scenario.** The shop's `GET /users/{id}` returns a customer and their 100 most
# recent orders, with items and product names: the "my account" page. Most pages load in
# a tenth of a second, but the p99 is about **2 seconds**, and the customers who complain
# are the best ones: people with a long order history. In this project you profile the
# endpoint, find the N+1 queries and the missing index, fix them, add a cache, and measure
# p50/p95/p99 before and after, together with what the cache costs to run.
#
# Everything here is real: a FastAPI service on a real socket (uvicorn on 127.0.0.1),
# SQLAlchemy 2 on a seeded SQLite database, Locust generating load in a subprocess.
#
# **One modelled thing: the network.** SQLite runs inside our process and answers a query
# in microseconds; a production database sits on another machine, and each query costs a
# network round trip (0.5 to 5 ms within a cloud region). The engine below sleeps
# **3 ms + exponential jitter (mean 1 ms)** before every statement to model that round
# trip (`make_engine(..., round_trip_ms=3, jitter_ms=1)`). Against PostgreSQL
# (`make_engine("postgresql+psycopg://...")` or `tradeoffs lab endpoint load --db ...`)
# the round trips are real and the model is off.

# %%
import collections
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

import httpx
import matplotlib.pyplot as plt
from sqlalchemy.orm import Session

from tradeoffs import metrics, prices
from tradeoffs.labs.endpoint import (
    AppConfig,
    QueryLog,
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
from tradeoffs.labs.endpoint.load import (
    STAGES,
    Stage,
    request_trace,
    results_table,
    run_stage,
)
from tradeoffs.widgets.endpoint import CACHE_NODE, DB_INSTANCE, endpoint_panel, endpoint_tradeoff
from tradeoffs.widgets.load import plot_stages

NOTEBOOK_START = time.perf_counter()
FIGURES = Path(tempfile.gettempdir()) / "tradeoffs-05"
FIGURES.mkdir(exist_ok=True)

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

# %% [markdown]
# Four hundred queries for one page. Where does the time go? cProfile on the heavy
# request, sorted by total time spent in each function itself:

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
print(f"heavy page, in-process SQLite, no network: {(time.perf_counter() - started) * 1000:.0f} ms")

# %% [markdown]
# Without a network, 400 queries cost a few tens of milliseconds, and the N+1 goes
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
# ## 5. Load-test each stage
#
# A single request tells you little about a p99. Each stage below is served by uvicorn
# on a free loopback port and loaded for 4 s by Locust (16 users, about 48 requests/s in
# total, exponential think times), walking the same seeded trace: 3% of requests for heavy
# customers, the rest spread over the other users by a Zipf law, 1% bad requests (unknown
# or malformed ids, which must get a 404 or 422, not a crash). The stages add one change
# at a time: eager loading, the index, and an in-process response cache (cache-aside, TTL
# 60 s, invalidated on write; `Stage(..., cache="redis")` uses Redis instead).
#
# Locust rounds response times (to 10 ms above 100 ms, to 100 ms above 1 s), so the table
# also gives exact server-side percentiles from the app's own per-request timings
# (nearest-rank). The stages take about 25 s.

# %%
trace = request_trace(shop.n_users, heavy_user_ids=shop.heavy_user_ids, bad_fraction=0.01)
results = [run_stage(engine, stage, trace, users=16, rate_rps=48, duration_s=4) for stage in STAGES]
print(results_table(results))

# %%
fig, ax = plt.subplots(figsize=(10, 4.5))
plot_stages(results, ax)
fig.tight_layout()
fig.savefig(FIGURES / "stages.png", dpi=110)

# %%
base, final = results[0], results[-1]
print(
    f"p99: {base.server_p99_ms:,.0f} ms -> {final.server_p99_ms:,.0f} ms "
    f"({base.server_p99_ms / final.server_p99_ms:.0f}x); "
    f"p50: {base.server_p50_ms:.0f} ms -> {final.server_p50_ms:.0f} ms"
)
print(f"queries per request: {base.queries_per_request:.1f} -> {final.queries_per_request:.1f}")
print(
    "errors:",
    [f"{r.locust.error_rate:.1%}" for r in results],
    "| status codes served by the baseline:",
    base.snapshot["statuses"],
)

# %% [markdown]
# The baseline's p99 lands around 2 s: the heavy pages. Eager loading takes the p99 down
# by one to two orders of magnitude (typically 20x to 60x on a quiet machine; other work
# on your machine shows up directly in these tails), because latency here is round trips
# times round-trip time, and the heavy page went from about 420 round trips to 4. The
# index adds little at this size, as measured above. The cache lowers the median and the
# database load (fewer queries per request), but not the p99: the p99 is made of cache
# *misses* on heavy pages, and a 4-second test starts from a cold cache. Bad requests got
# their 404/422 (error rate 0%: every status was the expected one), and nothing crashed.
#
# ## 6. Connection pool size under concurrency
#
# Each request holds a database connection for its 4 round trips. With a pool of one
# connection, requests queue for it; with five (SQLAlchemy's default) they do not. Same
# optimised service, same load, 3 s each:

# %%
pool_rows = []
for pool_size in (1, 5):
    pooled = make_engine(url, pool_size=pool_size, max_overflow=0)
    r = run_stage(pooled, Stage(f"pool_size={pool_size}", "optimized", True), trace, duration_s=3)
    pool_rows.append(r)
    pooled.dispose()
print(results_table(pool_rows))

# %% [markdown]
# At about 48 requests/s and roughly 16 ms of connection time per request, one connection
# is busy about 80% of the time, and queueing (section 01's utilisation knee) multiplies
# the tail. A bigger pool is not free: each connection is a process on the PostgreSQL
# server (several MB of memory), and many app instances times a big pool can exhaust the
# server's `max_connections`. Size the pool from Little's law: connections needed = request
# rate x connection hold time, plus headroom.
#
# ## 7. Moving a slow side task off the request path
#
# Suppose each read must also be written to an audit log (an INSERT and a COMMIT: two more
# round trips). Done inline (`audit="sync"`) the user waits for it; as a FastAPI background
# task (`audit="background"`) it runs after the response is sent.

# %%
for audit in ("off", "sync", "background"):
    app = create_app(engine, AppConfig(mode="optimized", audit=audit))
    with serve(app) as server, httpx.Client(base_url=server.url) as client:
        for _ in range(30):
            client.get(f"/users/{LIGHT}")
        lat = app.state.lab.snapshot()["latencies_ms"]
    print(f"audit={audit:10}: server-side median {metrics.percentile(lat, 50):5.1f} ms")
    app.state.lab.queries.close()

# %% [markdown]
# The background version is as fast as no audit at all. What it costs: the write can be
# lost if the process dies after answering and before writing, it still uses a database
# connection (background tasks share the pool), and errors happen where no user sees them.
# A durable queue (a Redis stream, Kafka) is the next step when the audit must not be lost.
#
# ## 8. The cost side: what does the cache buy?
#
# The cache's price is a cache node (and the staleness it introduces); its benefit is
# database capacity freed. With the illustrative list prices of the course's price book:

# %%
print(prices.CACHE_NODES[CACHE_NODE])
print(prices.DATABASES[DB_INSTANCE])
for rps in (300, 1_000, 3_000):
    none = endpoint_tradeoff(ttl_s=0, rps=rps)
    cached = endpoint_tradeoff(ttl_s=60, rps=rps)
    print(
        f"{rps:5} req/s: no cache {none.db_qps:7,.0f} DB q/s, {none.db_instances} DB, "
        f"${none.monthly_cost_usd:6,.0f}/month | TTL 60 s: hit {cached.hit_ratio:.0%}, "
        f"{cached.db_qps:6,.0f} DB q/s, {cached.db_instances} DB, ${cached.monthly_cost_usd:6,.0f}/month"
    )

# %% [markdown]
# These numbers come from a model (Zipf popularity over 100,000 users, a TTL cache's hit
# ratio of λT/(1+λT) per key, an M/G/c queue for the pool), not a measurement. At low
# traffic the cache only adds cost: one database already has room. At higher traffic it
# replaces database instances with a much cheaper node. And it makes responses up to a TTL
# stale for changes that bypass our invalidation. Through our own write path there is no
# staleness, because `PATCH /users/{id}` deletes the entry after the commit:

# %%
app = create_app(engine, AppConfig(mode="optimized", cache="memory", cache_ttl_s=60))
with serve(app) as server, httpx.Client(base_url=server.url) as client:
    client.get(f"/users/{LIGHT}")
    with engine.begin() as conn:  # another service writes to the database directly
        conn.exec_driver_sql(f"UPDATE users SET email = 'direct@x.org' WHERE id = {LIGHT}")
    print("after a direct write:    ", client.get(f"/users/{LIGHT}").json()["email"], "(stale)")
    client.patch(f"/users/{LIGHT}", json={"email": "patched@x.org"})
    print("after PATCH /users/{id}:  ", client.get(f"/users/{LIGHT}").json()["email"])
    print(
        "bad requests:",
        [client.get(p).status_code for p in ("/users/abc", "/users/0", "/users/99999")],
    )
app.state.lab.queries.close()

# %% [markdown]
# Move along the trade-off: TTL (hit ratio vs staleness), popularity skew, round trip and
# pool size (a pool too small saturates), and traffic (when the cache starts paying for
# itself).

# %%
endpoint_panel()

# %% [markdown]
# ## Check yourself
#
# The exercise (`exercises/05_endpoint`) asks you to write the optimised handler (same
# JSON, at most 4 queries), the index, a TTL cache-aside graded on a seeded trace with a
# fake clock, the write path with correct invalidation, and a written report: your
# before/after table with the cache's cost and a recommendation.
#
# Outside Jupyter: `tradeoffs lab endpoint seed`, `... serve --mode optimized --index
# --cache memory`, and `... load --plot stages.png` (add `--db postgresql+psycopg://...` or
# `--cache redis` to use real servers).
#
# ## Where to go next
#
# - SQLAlchemy, [Relationship Loading Techniques](https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html):
#   lazy, `selectinload`, `joinedload`, and `raiseload` to make N+1 an error in tests.
# - SQLite, [The Query Planner](https://www.sqlite.org/queryplanner.html), and PostgreSQL,
#   [Using EXPLAIN](https://www.postgresql.org/docs/current/using-explain.html).
# - Nishtala et al., [Scaling Memcache at Facebook](https://www.usenix.org/conference/nsdi13/technical-sessions/presentation/nishtala)
#   (NSDI 2013): cache-aside, invalidation after the write, and stale sets.

# %%
drop_recent_orders_index(engine)
log.close()
engine.dispose()
print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.0f} s")
