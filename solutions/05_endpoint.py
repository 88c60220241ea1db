# %% [markdown]
# # Exercise 05: make the slow endpoint fast
#
# `GET /users/{id}` returns a user and their 100 most recent orders, with items and product
# names. The baseline handler lets serialisation trigger lazy loads: about 420 queries for
# a heavy customer, and no index to find their orders. You write the optimised handler,
# the index, the cache and its write path. Four graded parts of rising difficulty, a speed
# check measured as a ratio, and a written answer.
#
# Write your code where it says `# YOUR CODE HERE` (delete the `raise NotImplementedError()`
# line), then run the test cell below it. The tests give your functions a fresh database of
# their own and count every statement it receives on their side. Check your work at any time
# with `tradeoffs check exercises/05_endpoint`.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import functools
import tempfile
from pathlib import Path

from sqlalchemy import select  # noqa: F401  (yours to use)
from sqlalchemy.orm import Session, joinedload, selectinload  # noqa: F401

from tradeoffs import checks
from tradeoffs.labs.endpoint import (
    Order,
    OrderItem,
    QueryLog,
    User,
    baseline_user_json,
    explain,
    make_engine,
    recent_orders_stmt,
    sqlite_url,
    user_json,
)
from tradeoffs.labs.endpoint import exercise as endpoint_exercise

WORKDIR = Path(tempfile.mkdtemp(prefix="exercise05-"))
DB_PATH = str(WORKDIR / "shop.db")
shop = endpoint_exercise.exercise_database(DB_PATH)
HEAVY = shop.heavy_user_ids[0]
engine = make_engine(sqlite_url(DB_PATH), round_trip_ms=0)  # no modelled delay: count queries

with QueryLog(engine) as log, Session(engine) as session:
    body = baseline_user_json(session, HEAVY)
print(f"{shop.n_users} users, {shop.n_orders:,} orders, {shop.n_items:,} items")
print(f"baseline, heavy user {HEAVY}: {len(body['orders'])} orders, {log.total} queries")

# %% [markdown]
# ## Part 1: the optimised handler (4 points)
#
# Write `fast_user_json(session, user_id)`: it must return **exactly** what
# `baseline_user_json` returns (the same dict; `None` for an unknown user) in **at most 4
# queries**, whatever the number of orders. Reuse `recent_orders_stmt(user_id)` (the 100
# most recent orders, newest first) and `user_json(user, orders)` (the serialiser, which
# reads `order.items` and `item.product`): the fix is in how the related rows are loaded.
# `selectinload` and `joinedload` are imported.


# %% nbgrader={"grade": false, "grade_id": "fast_handler", "locked": false, "schema_version": 3, "solution": true}
def fast_user_json(session, user_id):
    """The user's JSON-ready dict (or None if unknown), in at most 4 queries."""
    ### BEGIN SOLUTION
    # Eager loading: one SELECT ... WHERE order_id IN (...) per relationship level.
    user = session.get(User, user_id)
    if user is None:
        return None
    stmt = recent_orders_stmt(user_id).options(
        selectinload(Order.items).selectinload(OrderItem.product)
    )
    return user_json(user, list(session.scalars(stmt)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_ep_handler", "locked": true, "points": 4, "schema_version": 3, "solution": false}
"""fast_user_json returns the baseline's JSON in at most 4 queries"""
with endpoint_exercise.ExerciseDatabase(seed=5) as db:
    for uid in db.probe_user_ids():
        session = checks.inside(endpoint_exercise.remote_session, db.serve)
        db.statements = 0
        got = fast_user_json(session, uid)
        n = db.statements
        checks.assert_equal(got, db.expected_json(uid), what=f"fast_user_json(session, {uid})")
        assert n <= 4, f"fast_user_json(session, {uid}) issued {n} queries, expected at most 4"
### BEGIN HIDDEN TESTS
with endpoint_exercise.ExerciseDatabase(seed=9) as _db:
    for _uid in _db.probe_user_ids(987654, 3):
        _session = checks.inside(endpoint_exercise.remote_session, _db.serve)
        _db.statements = 0
        _got = fast_user_json(_session, _uid)
        _n = _db.statements
        checks.assert_equal(
            _got, _db.expected_json(_uid), what=f"fast_user_json(session, {_uid}) (seed 9)"
        )
        assert _n <= 4, f"fast_user_json(session, {_uid}) issued {_n} queries (seed 9)"
### END HIDDEN TESTS

# %% [markdown]
# ## Part 2: the index (2 points)
#
# Finding a user's recent orders scans the whole `orders` table and sorts the matches
# (`SCAN orders`, `USE TEMP B-TREE FOR ORDER BY`). Write `add_recent_orders_index(engine)`,
# which creates an index so that the query plan becomes a `SEARCH` that needs no separate
# sort. Look at the plan before and after with `explain(engine, recent_orders_stmt(HEAVY))`.

# %%
print(explain(engine, recent_orders_stmt(HEAVY)))


# %% nbgrader={"grade": false, "grade_id": "index", "locked": false, "schema_version": 3, "solution": true}
def add_recent_orders_index(engine):
    """Create the index that serves `recent_orders_stmt` without a scan or a sort."""
    ### BEGIN SOLUTION
    # Equality column first, then the sort column: the index hands rows over in order.
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS ix_orders_user_created ON orders (user_id, created_at)"
        )
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_ep_index", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""the recent-orders query searches an index and needs no sort"""
with endpoint_exercise.ExerciseDatabase(seed=5) as db:
    heavy = db.summary.heavy_user_ids[0]
    print("before:", db.recent_orders_plan(heavy))
    add_recent_orders_index(checks.inside(endpoint_exercise.remote_engine, db.serve))
    after = db.recent_orders_plan(heavy)
    print("after: ", after)
    assert endpoint_exercise.plan_uses_index(after), (
        f"after add_recent_orders_index the plan is {after}; expected a SEARCH of "
        "orders using an index and no TEMP B-TREE (sort)"
    )
### BEGIN HIDDEN TESTS
with endpoint_exercise.ExerciseDatabase(seed=11) as _db:
    add_recent_orders_index(checks.inside(endpoint_exercise.remote_engine, _db.serve))
    _plan = _db.recent_orders_plan(_db.summary.heavy_user_ids[1])
    assert endpoint_exercise.plan_uses_index(_plan), f"plan (seed 11): {_plan}"
### END HIDDEN TESTS

# %% [markdown]
# ## Part 3: a cache-aside with a TTL (3 points)
#
# Write the class `TTLCache(ttl_s, clock)`. `clock()` returns the current time in seconds
# (the tests use a fake clock). `get_or_load(user_id, load)` returns the cached value if
# it was stored less than `ttl_s` seconds ago (an entry stored at `t` is fresh while
# `clock() < t + ttl_s`, and expired from `t + ttl_s` on); otherwise it calls `load()`,
# stores the result with the current time and returns it. Reading an entry does not make
# it live longer. `invalidate(user_id)` removes the entry, if any.


# %% nbgrader={"grade": false, "grade_id": "cache", "locked": false, "schema_version": 3, "solution": true}
class TTLCache:
    """Cache-aside by user id: entries live `ttl_s` seconds on `clock`."""

    def __init__(self, ttl_s, clock):
        ### BEGIN SOLUTION
        self.ttl_s = ttl_s
        self.clock = clock
        self.entries = {}  # user_id -> (stored_at_s, value)
        ### END SOLUTION

    def get_or_load(self, user_id, load):
        ### BEGIN SOLUTION
        # Expiry counts from when the value was loaded, not from the last read.
        now = self.clock()
        entry = self.entries.get(user_id)
        if entry is not None and now < entry[0] + self.ttl_s:
            return entry[1]
        value = load()
        self.entries[user_id] = (now, value)
        return value
        ### END SOLUTION

    def invalidate(self, user_id):
        ### BEGIN SOLUTION
        self.entries.pop(user_id, None)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_ep_cache", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""TTLCache gives the exact hits and misses of a seeded trace on a fake clock"""
trace = endpoint_exercise.cache_trace(seed=0)
want = endpoint_exercise.replay_cache_trace(endpoint_exercise.ReferenceCache, trace, 10.0)
got = checks.run_isolated(
    endpoint_exercise.replay_cache_trace, TTLCache, trace, 10.0, what="TTLCache"
)
checks.assert_equal(
    (got["hits"], got["misses"]),
    (want["hits"], want["misses"]),
    what="(hits, misses) of TTLCache(ttl_s=10) on the seeded trace",
)
checks.assert_equal(got["served"], want["served"], what="the values TTLCache served")
### BEGIN HIDDEN TESTS
for _seed, _ttl in ((3, 7.0), (4, 1.0), (5, 30.0)):
    _trace = endpoint_exercise.cache_trace(seed=_seed, n=300, n_keys=8)
    _want = endpoint_exercise.replay_cache_trace(endpoint_exercise.ReferenceCache, _trace, _ttl)
    _got = checks.run_isolated(
        endpoint_exercise.replay_cache_trace, TTLCache, _trace, _ttl, what="TTLCache"
    )
    checks.assert_equal(
        _got["served"], _want["served"], what=f"TTLCache(ttl_s={_ttl}) on trace seed {_seed}"
    )
### END HIDDEN TESTS

# %% [markdown]
# ## Part 4: invalidation on write (2 points)
#
# A user changes their email. Write `change_email(session, cache, user_id, email)`: set
# the user's email in the database, commit, and make sure the next read of that user
# through `cache` returns the new email, without dropping other users' entries. Think
# about the order of the steps: another request may read the user at any moment.


# %% nbgrader={"grade": false, "grade_id": "invalidation", "locked": false, "schema_version": 3, "solution": true}
def change_email(session, cache, user_id, email):
    """Store the new email and keep `cache` from serving the old one."""
    ### BEGIN SOLUTION
    user = session.get(User, user_id)
    user.email = email
    session.commit()
    # Invalidate after the commit: a reader that slips in between reloads committed data.
    cache.invalidate(user_id)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_ep_invalidation", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""after change_email the next read serves the new email; other entries stay cached"""
with endpoint_exercise.ExerciseDatabase(seed=5) as db:
    session = checks.inside(endpoint_exercise.remote_session, db.serve)
    w = endpoint_exercise.write_path(change_email, db, session)
checks.assert_equal(
    w["db_email"], w["new_email"], what="the email in the database after change_email"
)
checks.assert_equal(
    w["served_email"],
    w["new_email"],
    what="the email served for the user right after change_email (a concurrent reader "
    "raced in at the moment the cache entry was invalidated)",
)
### BEGIN HIDDEN TESTS
checks.assert_equal(
    w["loads"],
    [w["a"], w["b"], w["a"]],
    what="the loads from the database (user a, user b, then a once after the write; "
    "user b's entry must stay cached)",
)
checks.assert_equal(w["b_served_id"], w["b"], what="the user served for user b")
### END HIDDEN TESTS

# %% [markdown]
# ## Part 5: how much faster? (2 points)
#
# The test below times your handler against the baseline on the heavy user, with a
# modelled 1 ms round trip per query: the two run interleaved after a warm-up, and the test
# compares their medians. It passes at a speed-up of 5x or more
# (expect 20x to 60x). Nothing to write: if Part 1 passes and this fails, look for work
# your handler does per order or per item.

# %% nbgrader={"grade": true, "grade_id": "test_ep_speed", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""fast_user_json is at least 5x faster than the baseline on a heavy user (ratio)"""
with endpoint_exercise.ExerciseDatabase(seed=5, round_trip_ms=1.0) as db:
    heavy = db.summary.heavy_user_ids[0]
    speed = checks.assert_faster(
        functools.partial(endpoint_exercise.serve_user, fast_user_json),
        functools.partial(endpoint_exercise.serve_user, baseline_user_json),
        (db.serve, heavy),
        at_least=5.0,
        what=f"fast_user_json(session, {heavy}) with a 1 ms round trip",
        repeats=3,
        clock="wall",
    )
print(f"speed-up over the baseline: {speed.speedup:.1f}x")

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_ep_report", "locked": false, "points": 4, "schema_version": 3, "solution": true}
# ## Part 6 (written, graded by hand, 4 points)
#
# Run the lesson's load tests (or `tradeoffs lab endpoint load`) and fill in a table with
# one row per stage (baseline, eager loading, + index, + cache): p50, p95, p99, queries
# per request and throughput, and say how you measured them. Then, in five to eight
# sentences: which change bought most of the p99, and why; what the cache costs per month
# (node price from the lesson's price table) against the database capacity it frees; how
# stale a response can get with your TTL and invalidation; and what you would ship.
#
# ### BEGIN SOLUTION
# Model answer (for the grader): a table like the lesson's, e.g. baseline p50 ~140 ms,
# p99 ~2 s, ~45 queries/request (about 420 for a heavy user); eager loading p99 ~40-100 ms,
# 4 queries; index: the plan goes from SCAN + temp B-tree to SEARCH USING INDEX, a small
# gain at this size that grows with the table; cache: p50 drops further, ~2-3 queries per
# request at a 30-60% hit ratio. Most of the p99 comes from the N+1 fix: the heavy page went
# from ~420 round trips to 4, and at a few ms per round trip latency is round trips times
# RTT. The cache: a small node (~$25-50/month in the price table) against DB capacity freed
# in proportion to the hit ratio (e.g. 50% fewer reads, maybe a smaller DB instance or a
# replica fewer); staleness up to the TTL for changes that bypass the invalidation (other
# writers, other services), none for writes through our PATCH path, which deletes after the
# commit. Recommendation: ship eager loading and the index now (no trade-off), add the cache
# only if the DB is the capacity bottleneck, with a TTL matched to how stale a page may be.
# Full marks: a measured table with the method stated, the round-trip argument, the cost vs
# freed capacity, the staleness bound, and a justified recommendation.
# ### END SOLUTION
