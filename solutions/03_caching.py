# %% [markdown]
# # Exercise 03: caching
#
# Three graded parts of rising difficulty and one written answer. Write your code where it
# says `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line), then run the test
# cell below it. Test cells are read-only; some also hold hidden tests that run only when
# your notebook is graded, so handle the cases the docstrings describe.
#
# Check your work at any time with the **Validate** button, or from a terminal:
# `tradeoffs check exercises/03_caching`, which prints a verdict per part; when you are
# stuck, `tradeoffs hint 03_caching PART` shows the next hint for that part.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import threading
import time

import cachetools

from tradeoffs import caching, checks
from tradeoffs.caching import FakeClock

# %% [markdown]
# ## Part 1: a TTL+LRU cache-aside wrapper (4 points)
#
# The catalogue service loads product pages from a slow store. Write `TTLLRUCacheAside`,
# a bounded, expiring cache in front of it: `get(key)` returns the cached value when there
# is a fresh one (a **hit**), otherwise calls `load(key)` (the origin), stores the result
# and returns it (a **miss**). Count both in the attributes `hits` and `misses`.
#
# - At most `maxsize` entries. When a new entry does not fit, entries that have expired
#   are dropped first; if it still does not fit, the **least recently used** entry (by
#   lookups and stores) is evicted.
# - An entry stored at time `t` is fresh while `clock() < t + ttl_s`. Reading it does not
#   extend its life.
# - `load` may return any value, `None` included: a stored `None` is a value like any
#   other.
# - `invalidate(key)`: the write path calls it after changing a product at the origin, so
#   the next `get(key)` loads the new page. Invalidating a key that is not cached does
#   nothing. It counts neither a hit nor a miss.
# - Time comes only from `clock()`, a function returning seconds (the tests pass a
#   `FakeClock` and move it by hand).
#
# Work out what each rule means for a short sequence of requests on paper before you
# code it, as the lesson did; the tests replay such sequences, and longer ones.


# %% nbgrader={"grade": false, "grade_id": "ttl_lru", "locked": false, "schema_version": 3, "solution": true}
class TTLLRUCacheAside:
    """Cache-aside in front of `load`, with at most `maxsize` entries living `ttl_s` seconds."""

    def __init__(self, load, maxsize, ttl_s, clock):
        ### BEGIN SOLUTION
        # cachetools' TTLCache is TTL+LRU with expired entries dropped before evicting,
        # and it reads the time from the timer it is given.
        self.load = load
        self.cache = cachetools.TTLCache(maxsize=maxsize, ttl=ttl_s, timer=clock)
        self.hits = 0
        self.misses = 0
        ### END SOLUTION

    def get(self, key):
        ### BEGIN SOLUTION
        # `key in cache` does not refresh the LRU order; cache[key] does, on a hit.
        if key in self.cache:
            self.hits += 1
            return self.cache[key]
        self.misses += 1
        value = self.load(key)
        self.cache[key] = value
        return value
        ### END SOLUTION

    def invalidate(self, key):
        ### BEGIN SOLUTION
        self.cache.pop(key, None)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_ttl_lru", "locked": true, "points": 4, "schema_version": 3, "solution": false}
"""TTLLRUCacheAside counts hits and misses exactly (LRU eviction, TTL from the store time) and reloads after invalidate"""
clock = FakeClock()
origin = {"x": "page x", "y": "page y", "z": "page z", "w": "page w"}
loaded = []


def load_page(key):
    loaded.append(key)
    return origin[key]


cache = TTLLRUCacheAside(load_page, maxsize=3, ttl_s=8, clock=clock)
trace = [(0, "x"), (1, "y"), (2, "z"), (3, "x"), (4, "w"), (5, "y"), (8.5, "x"), (9, "w")]
for t, key in trace:
    clock.set(t)
    checks.assert_equal(cache.get(key), origin[key], what=f"get({key!r}) at t={t}")
# hits: x at 3, w at 9. w (at 4) evicts y, the least recently used; y (at 5) evicts z;
# x, stored at 0, has expired by 8.5 although it was read at 3.
checks.assert_equal(
    (cache.hits, cache.misses),
    (2, 6),
    what="(hits, misses) after x y z x w y x w at t = 0 1 2 3 4 5 8.5 9 (maxsize 3, ttl_s 8)",
)
checks.assert_equal(loaded, ["x", "y", "z", "w", "y", "x"], what="the keys load() was called with")
origin["w"] = "page w, new price"
cache.invalidate("w")
clock.set(10)
checks.assert_equal(
    cache.get("w"),
    "page w, new price",
    what="get('w') at t=10 after the origin changed w and invalidate('w') was called",
)
checks.assert_equal(
    (cache.hits, cache.misses), (2, 7), what="(hits, misses) after invalidate('w'), get('w')"
)
### BEGIN HIDDEN TESTS
_trace = caching.request_trace(4_000, 300, skew=0.9, rate_per_s=25, seed=11)
for _maxsize, _ttl in ((40, 6.0), (5, 30.0), (300, 2.5)):
    _clock, _ref_clock = FakeClock(), FakeClock()
    _mine = TTLLRUCacheAside(lambda k: k * 2, _maxsize, _ttl, _clock)
    _ref = caching.CacheAside(caching.LocalCache(_maxsize, _ttl, clock=_ref_clock), lambda k: k)
    for _t, _k in zip(_trace.times_s.tolist(), _trace.keys.tolist(), strict=True):
        _clock.set(_t)
        _ref_clock.set(_t)
        _got = _mine.get(_k)
        _ref.get(_k)
        assert _got == _k * 2, f"get({_k}) returned {_got!r}, expected load's value {_k * 2}"
    checks.assert_equal(
        (_mine.hits, _mine.misses),
        (_ref.stats.hits, _ref.stats.misses),
        what=f"(hits, misses) over a 4,000-request Zipf trace, maxsize={_maxsize}, ttl_s={_ttl}",
    )
_clock = FakeClock()
_edge = TTLLRUCacheAside(str, 4, 10, _clock)
_edge.get(1)
_clock.set(10.0)
_edge.get(1)
checks.assert_equal(
    (_edge.hits, _edge.misses),
    (0, 2),
    what="(hits, misses) for get(1) at t=0 then at t=10 with ttl_s=10 (expired at exactly 10)",
)
# Expired entries go before the least recently used: a (stored at 0) has expired at 11,
# b (stored at 6) has not, though a was read more recently.
_clock = FakeClock()
_lru = TTLLRUCacheAside(str, 2, 10, _clock)
for _t, _k in ((0, "a"), (6, "b"), (7, "a"), (11, "c"), (12, "b")):
    _clock.set(_t)
    _lru.get(_k)
checks.assert_equal(
    (_lru.hits, _lru.misses),
    (2, 3),
    what="(hits, misses) for a b a c b at t = 0 6 7 11 12 (maxsize 2, ttl_s 10): "
    "c must replace the expired a, not the fresh b",
)
# None is a value; keys of another kind (tuples); invalidating what is not cached.
_clock = FakeClock()
_calls = []


def _load_none(key):
    _calls.append(key)
    return None


_none = TTLLRUCacheAside(_load_none, 4, 10, _clock)
_none.invalidate(("p", 1))
for _t in (0, 1, 2):
    _clock.set(_t)
    checks.assert_equal(
        _none.get(("p", 1)), None, what=f"get(('p', 1)) at t={_t} (load returns None)"
    )
checks.assert_equal(
    (_none.hits, _none.misses, len(_calls)),
    (2, 1, 1),
    what="(hits, misses, load calls) for three get(('p', 1)) whose load returns None",
)
_none.invalidate(("p", 2))
_none.invalidate(("p", 1))
_none.invalidate(("p", 1))
_clock.set(3)
_none.get(("p", 1))
checks.assert_equal(
    (_none.hits, _none.misses, len(_calls)),
    (2, 2, 2),
    what="(hits, misses, load calls) after invalidating a key never stored, then ('p', 1) "
    "twice, then get(('p', 1))",
)
### END HIDDEN TESTS

# %% [markdown]
# ## Part 2: stop the stampede (4 points)
#
# When a popular entry is missing, every request that arrives before the first reload
# finishes goes to the origin too. Write `SingleFlight`, which coalesces them: while a
# `load(key)` is running, other callers of `get(key)` wait for it and receive its result
# (or its exception) instead of calling `load` themselves.
#
# - Different keys must still load **in parallel**: one slow key must not hold up others.
# - `SingleFlight` is not a cache: once a load has finished, the next `get(key)` calls
#   `load` again.
# - It must be safe to call from many threads at once.
#
# The test below runs requests in threads that start together behind a barrier and counts
# the origin's calls.


# %% nbgrader={"grade": false, "grade_id": "stampede_setup", "locked": true, "schema_version": 3, "solution": false}
def counting_origin(delay_s=0.3, fail_keys=()):
    """A slow origin: load(key) sleeps `delay_s`, counts its calls and how many overlap."""
    state = {"calls": 0, "active": 0, "peak": 0}
    lock = threading.Lock()

    def load(key):
        with lock:
            state["calls"] += 1
            state["active"] += 1
            state["peak"] = max(state["peak"], state["active"])
        time.sleep(delay_s)
        with lock:
            state["active"] -= 1
        if key in fail_keys:
            raise KeyError(f"origin has no {key!r}")
        return f"value of {key}"

    return load, state


def concurrently(get, keys):
    """Call get(key) for each key, each in its own thread, all released at once."""
    barrier = threading.Barrier(len(keys))
    results, errors = [None] * len(keys), [None] * len(keys)

    def run(i, key):
        barrier.wait()
        try:
            results[i] = get(key)
        except Exception as exc:
            errors[i] = exc

    threads = [threading.Thread(target=run, args=(i, k)) for i, k in enumerate(keys)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


# %% nbgrader={"grade": false, "grade_id": "single_flight", "locked": false, "schema_version": 3, "solution": true}
class SingleFlight:
    """Concurrent get(key) calls share one running load(key); different keys run in parallel."""

    def __init__(self, load):
        ### BEGIN SOLUTION
        # One short lock guards the table of loads in flight; the loads run outside it.
        self.load = load
        self._lock = threading.Lock()
        self._flights = {}
        ### END SOLUTION

    def get(self, key):
        ### BEGIN SOLUTION
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = {"done": threading.Event(), "value": None, "error": None}
                self._flights[key] = flight
        if not leader:
            flight["done"].wait()
            if flight["error"] is not None:
                raise flight["error"]
            return flight["value"]
        try:
            flight["value"] = self.load(key)
            return flight["value"]
        except Exception as exc:
            flight["error"] = exc
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight["done"].set()
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_single_flight", "locked": true, "points": 4, "schema_version": 3, "solution": false}
"""SingleFlight makes one origin call for 16 concurrent requests, and keeps keys parallel"""
load, origin = counting_origin()
flight = SingleFlight(load)
results, errors = concurrently(flight.get, ["hot"] * 16)
checks.assert_equal(errors, [None] * 16, what="exceptions raised in 16 concurrent get('hot')")
checks.assert_equal(results, ["value of hot"] * 16, what="results of 16 concurrent get('hot')")
checks.assert_equal(origin["calls"], 1, what="origin calls for 16 concurrent get('hot')")
load, origin = counting_origin()
flight = SingleFlight(load)
concurrently(flight.get, ["a", "b"])
checks.assert_equal(
    origin["peak"],
    2,
    what="loads running at once for concurrent get('a') and get('b') (different keys)",
)
### BEGIN HIDDEN TESTS
_load, _origin = counting_origin(delay_s=0.05)
_flight = SingleFlight(_load)
_flight.get("x")
_flight.get("x")
checks.assert_equal(
    _origin["calls"], 2, what="origin calls for get('x') twice in a row (SingleFlight is no cache)"
)
_load, _origin = counting_origin(fail_keys=("bad",))
_flight = SingleFlight(_load)
_results, _errors = concurrently(_flight.get, ["bad"] * 6)
checks.assert_equal(
    [type(e).__name__ for e in _errors],
    ["KeyError"] * 6,
    what="exceptions seen by 6 concurrent get('bad') when load raises KeyError",
)
checks.assert_equal(_origin["calls"], 1, what="origin calls for 6 concurrent failing get('bad')")
_results, _errors = concurrently(_flight.get, ["bad", "ok"])
checks.assert_equal(
    _origin["calls"],
    3,
    what="origin calls when retrying get('bad') after a failure, with get('ok')",
)
checks.assert_equal(_results[1], "value of ok", what="get('ok') next to a failing get('bad')")
_state = {"calls": 0}
_gate = threading.Event()


def _load_none(key):
    _state["calls"] += 1
    _gate.wait(0.3)
    return None


_flight = SingleFlight(_load_none)
_results, _errors = concurrently(_flight.get, ["gone"] * 8)
checks.assert_equal(
    (_results, _errors, _state["calls"]),
    ([None] * 8, [None] * 8, 1),
    what="(results, exceptions, origin calls) of 8 concurrent get('gone') whose load returns None",
)
### END HIDDEN TESTS

# %% [markdown]
# ## Part 3: the cheapest configuration that meets the targets (3 points)
#
# The product API of the lesson (`caching.CacheScenario()`: 5,000 products, 400 requests/s,
# Zipf 0.9, each product changing about once an hour). `caching.evaluate_config(size, ttl_s,
# scenario)` simulates a cache of `size` entries with TTL `ttl_s` seconds on a seeded trace
# and returns, among others, `p90_ms` (the 90th-percentile latency), `max_staleness_s` (how
# out of date the oldest stale answer was) and `monthly_cost_usd` (cache node plus origin
# machines). Each call takes a fraction of a second and is remembered.
#
# Write `choose_config`: among every combination of `sizes` and `ttls_s`, return
# `(size, ttl_s)` of a configuration whose `p90_ms <= max_p90_ms` and
# `max_staleness_s <= max_staleness_s` at the **lowest monthly cost**, or `None` when no
# configuration meets both targets.

# %% nbgrader={"grade": false, "grade_id": "config_setup", "locked": true, "schema_version": 3, "solution": false}
SCENARIO = caching.CacheScenario()
SIZES = (1_000, 2_000, 3_000, 4_000, 5_000)
TTLS_S = (15, 30, 60, 120, 240)
example = caching.evaluate_config(2_000, 60, SCENARIO)
print(
    f"2,000 entries, TTL 60 s: hit ratio {example.hit_ratio:.1%}, p90 {example.p90_ms:.1f} ms, "
    f"oldest stale answer {example.max_staleness_s:.0f} s, ${example.monthly_cost_usd:,.2f}/month "
    f"({example.node} + {example.origin_instances} origin machines)"
)


# %% nbgrader={"grade": false, "grade_id": "choose_config", "locked": false, "schema_version": 3, "solution": true}
def choose_config(scenario, sizes, ttls_s, max_p90_ms, max_staleness_s):
    """(size, ttl_s) meeting both targets at the lowest monthly cost, or None."""
    ### BEGIN SOLUTION
    # Try every pair: cost moves in steps (whole machines), so it is not monotone in size.
    best = None
    for size in sizes:
        for ttl_s in ttls_s:
            ev = caching.evaluate_config(size, ttl_s, scenario)
            if ev.p90_ms > max_p90_ms or ev.max_staleness_s > max_staleness_s:
                continue
            if best is None or ev.monthly_cost_usd < best[0]:
                best = (ev.monthly_cost_usd, size, ttl_s)
    return None if best is None else (best[1], best[2])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_choose_config", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""choose_config meets the latency and staleness targets at the lowest monthly cost"""
got = choose_config(SCENARIO, SIZES, TTLS_S, max_p90_ms=40, max_staleness_s=60)
checks.assert_equal(type(got).__name__, "tuple", what="type of choose_config(...)'s result")
size, ttl_s = got
ev = caching.evaluate_config(size, ttl_s, SCENARIO)
assert ev.p90_ms <= 40, f"({size}, {ttl_s}) has p90 {ev.p90_ms:.1f} ms, over the 40 ms target"
assert ev.max_staleness_s <= 60, (
    f"({size}, {ttl_s}) served an answer {ev.max_staleness_s:.0f} s stale, over the 60 s target"
)
checks.assert_close(
    ev.monthly_cost_usd,
    197.1,
    rel=1e-6,
    what=f"the monthly cost (USD) of your choice ({size}, {ttl_s}) for p90 <= 40 ms, staleness <= 60 s",
)
### BEGIN HIDDEN TESTS
for _p90, _stale in ((10, 240), (45, 30), (10, 60), (45, 120)):
    _feasible = [
        caching.evaluate_config(_s, _t, SCENARIO)
        for _s in SIZES
        for _t in TTLS_S
        if caching.evaluate_config(_s, _t, SCENARIO).p90_ms <= _p90
        and caching.evaluate_config(_s, _t, SCENARIO).max_staleness_s <= _stale
    ]
    _got = choose_config(SCENARIO, SIZES, TTLS_S, _p90, _stale)
    _what = f"choose_config(SCENARIO, SIZES, TTLS_S, max_p90_ms={_p90}, max_staleness_s={_stale})"
    if not _feasible:
        assert _got is None, f"{_what} returned {_got!r}; no configuration meets both targets"
        continue
    assert _got is not None, f"{_what} returned None, but some configurations meet the targets"
    _ev = caching.evaluate_config(_got[0], _got[1], SCENARIO)
    assert _ev.p90_ms <= _p90 and _ev.max_staleness_s <= _stale, f"{_what} misses a target"
    checks.assert_close(
        _ev.monthly_cost_usd,
        min(e.monthly_cost_usd for e in _feasible),
        rel=1e-9,
        what=f"the monthly cost of {_what}",
    )
# Targets met exactly count as met: those of (2,000, 60) themselves.
_edge = caching.evaluate_config(2_000, 60, SCENARIO)
_got = choose_config(SCENARIO, SIZES, TTLS_S, _edge.p90_ms, _edge.max_staleness_s)
_what = "choose_config with the targets set to exactly the p90 and staleness of (2000, 60)"
assert _got is not None, f"{_what} returned None; (2000, 60) meets them exactly"
checks.assert_close(
    caching.evaluate_config(_got[0], _got[1], SCENARIO).monthly_cost_usd,
    _edge.monthly_cost_usd,
    rel=1e-9,
    what=f"the monthly cost of {_what} (a target met exactly is met)",
)
# Another workload (flatter popularity, prices changing every 5 minutes), unsorted grids.
_other = caching.CacheScenario(skew=0.6, write_interval_s=300, n_requests=40_000, seed=2)
_sizes, _ttls = (4_000, 500, 2_500), (90, 10, 30)
_grid = [caching.evaluate_config(_s, _t, _other) for _s in _sizes for _t in _ttls]
_feasible = [e for e in _grid if e.p90_ms <= 45 and e.max_staleness_s <= 40]
_got = choose_config(_other, _sizes, _ttls, 45, 40)
_what = "choose_config(<skew 0.6, writes every 300 s>, (4000, 500, 2500), (90, 10, 30), 45, 40)"
assert _feasible and _got is not None, f"{_what} returned {_got!r}"
checks.assert_close(
    caching.evaluate_config(_got[0], _got[1], _other).monthly_cost_usd,
    min(e.monthly_cost_usd for e in _feasible),
    rel=1e-9,
    what=f"the monthly cost of {_what}",
)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_ttl", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# ## Part 4 (written, graded by hand, 3 points)
#
# To cut the bill, a colleague proposes raising the product cache's TTL from 60 s to
# 240 s (4,000 entries). Use `caching.evaluate_config` for both settings, then in four to
# six sentences tell the team what it saves, what customers would see (how stale, and how
# often: is the five-minute trace behind `evaluate_config` enough to say how often?),
# whether the p99 improves, and what you would do instead or as well to keep most of the
# saving without serving prices that are minutes old.
#
# ### BEGIN SOLUTION
# **Mark scheme** (3 points):
# - The saving with numbers: about $197/month (two origin machines, p90 33 ms) against about $124 (one machine, p90 under 2 ms), about $73/month, because the hit ratio rises from about 87% to 94% and the miss rate drops below one machine's capacity.
# - What customers see: the oldest stale answer grows from about a minute to about four; the share of stale answers, taken from a trace many TTLs long or the steady-state formula (`caching.ttl_stale_fraction`, or the lesson's study over seeds), from about 0.7% to about 3% of requests (not the 0.4% and 1.5% of the five-minute trace, which spans barely one 240 s TTL), falling on the popular products; and the p99 barely moves (about 62 to 54 ms) because misses are still over 1% of requests.
# - The better option, with one cost of it: invalidate (or write through) on price and stock changes with the long TTL as a backstop, so staleness is bounded by the invalidation delay; its costs are write-path complexity, a miss per change, and the race where a reader that loaded before the commit stores the old value after the delete (leases or versioned writes close it); optionally coalescing or early refresh so the smaller origin is not stampeded.
#
# **Model answer.** With 4,000 entries, a 60 s TTL costs about $197 a month (two origin
# machines, p90 33 ms) and a 240 s TTL about $124 (one machine, p90 under 2 ms): about $73 a
# month saved, because the hit ratio rises from about 87% to 94%. Customers would see
# prices up to four minutes old instead of one; how often cannot be read from a five-minute
# trace (it says 0.4% and 1.5%, but it holds barely one 240 s window), and over hours of
# traffic the steady state is about 0.7% and 3.1% of requests, most of them on the popular
# products that customers look at. The p99 barely moves (about 62 to 54 ms): over 1% of
# requests still miss, so the tail is still the database. I would keep the long TTL but
# invalidate the entry when a price or stock level changes, so staleness is bounded by the
# invalidation delay and the TTL only backs up lost invalidations; the cost is a more
# complex write path, a miss per change and the read-fill race (closed with leases or
# versioned writes), and I would add single flight or early refresh so the one remaining
# origin machine is not stampeded when popular keys expire.
# ### END SOLUTION
