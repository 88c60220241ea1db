"""Tests for tradeoffs.caching (the in-process parts; Redis is in test_caching_redis.py)."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from tradeoffs import caching
from tradeoffs.caching import MISS, CacheAside, FakeClock, LocalCache


def test_fake_clock_moves_only_forward() -> None:
    clock = FakeClock(5.0)
    assert clock() == 5.0
    assert clock.advance(2.5) == 7.5
    clock.set(10.0)
    assert clock() == 10.0
    with pytest.raises(ValueError, match="cannot go back"):
        clock.set(9.0)
    with pytest.raises(ValueError, match="seconds"):
        clock.advance(-1)


def test_local_cache_ttl_is_exact_with_a_fake_clock() -> None:
    clock = FakeClock()
    cache = LocalCache(maxsize=10, ttl_s=10.0, clock=clock)
    cache.set("a", None)  # None is a value, not a miss
    assert cache.get("a") is None
    clock.set(9.999)
    assert cache.get("a") is None
    clock.set(10.0)  # fresh while now < stored + ttl
    assert cache.get("a") is MISS
    assert not MISS and repr(MISS) == "MISS"


def test_local_cache_evicts_least_recently_used() -> None:
    cache = LocalCache(maxsize=2)
    cache.set("a", 1)
    cache.set("b", 2)
    assert cache.get("a") == 1  # a is now the most recently used
    cache.set("c", 3)
    assert cache.get("b") is MISS and cache.get("a") == 1 and cache.get("c") == 3
    cache.delete("a")
    cache.delete("missing")  # deleting an absent key is fine
    assert len(cache) == 1
    cache.clear()
    assert len(cache) == 0


def test_local_cache_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        LocalCache(0)
    with pytest.raises(TypeError, match="maxsize"):
        LocalCache(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ttl_s"):
        LocalCache(5, ttl_s=0)


def _hand_trace() -> list[tuple[float, str]]:
    return [(0, "a"), (1, "b"), (2, "a"), (3, "c"), (4, "b"), (5, "c"), (11, "c"), (12, "b"),
            (13.5, "c")]  # fmt: skip


def test_cache_aside_counts_ttl_and_lru_exactly() -> None:
    clock = FakeClock()
    loads: list[str] = []

    def load(key: str) -> str:
        loads.append(key)
        return key.upper()

    cache = CacheAside(LocalCache(2, ttl_s=10, clock=clock), load)
    for t, key in _hand_trace():
        clock.set(t)
        assert cache.get(key) == key.upper()
    # hits at t = 2 (a), 5 (c), 11 (c, stored at 3), 12 (b, stored at 4); c expired at 13.
    assert (cache.stats.hits, cache.stats.misses, cache.stats.loads) == (4, 5, 5)
    assert loads == ["a", "b", "c", "b", "c"]
    assert cache.stats.hit_ratio == pytest.approx(4 / 9)


def test_write_policies() -> None:
    origin = {"k": 1}
    cache = CacheAside(LocalCache(10), origin.__getitem__, origin.__setitem__)
    assert cache.get("k") == 1
    cache.write("k", 2)  # invalidate: the next read goes to the origin
    assert cache.backend.get("k") is MISS
    assert cache.get("k") == 2 and cache.stats.loads == 2
    through = CacheAside(
        LocalCache(10), origin.__getitem__, origin.__setitem__, write_policy="write-through"
    )
    through.write("k", 3)
    assert through.get("k") == 3 and through.stats.loads == 0 and origin["k"] == 3
    with pytest.raises(TypeError, match="save"):
        CacheAside(LocalCache(10), origin.__getitem__).write("k", 4)
    with pytest.raises(ValueError, match="write_policy"):
        CacheAside(LocalCache(10), origin.__getitem__, write_policy="later")  # type: ignore[arg-type]


def _racing_cache(backend: caching.CacheBackend, leases: bool) -> tuple[CacheAside, dict]:
    """Cache-aside over an origin whose first read is overtaken by a write: the read returns
    the old value, and before it can be stored the writer commits and invalidates."""
    origin = {"k": "old"}
    cache: CacheAside

    def load(key: str) -> str:
        value = origin[key]
        if value == "old" and not race["done"]:
            race["done"] = True
            origin[key] = "new"  # the writer commits ...
            cache.invalidate(key)  # ... and deletes, while our read is still in flight
        return value

    race = {"done": False}
    cache = CacheAside(backend, load, leases=leases)
    return cache, origin


def test_invalidation_race_leaves_a_stale_entry_that_leases_refuse() -> None:
    cache, _ = _racing_cache(LocalCache(10, ttl_s=60), leases=False)
    assert cache.get("k") == "old"
    assert cache.get("k") == "old"  # stale: stored after the invalidation, for a whole TTL
    leased, _ = _racing_cache(LocalCache(10, ttl_s=60), leases=True)
    assert leased.get("k") == "old"  # this reader saw the old value (it read first) ...
    assert leased.stats.refused == 1  # ... but could not store it
    assert leased.get("k") == "new" and leased.stats.loads == 2
    assert leased.get("k") == "new" and leased.stats.hits == 1


def test_local_cache_leases() -> None:
    clock = FakeClock()
    cache = LocalCache(10, ttl_s=60, clock=clock)
    token = cache.lease("a")
    assert cache.set_if_leased("a", 1, token) and cache.get("a") == 1
    assert not cache.set_if_leased("a", 2, token)  # a lease is used once
    first, second = cache.lease("b"), cache.lease("b")
    assert not cache.set_if_leased("b", 1, first)  # replaced by the newer lease
    assert cache.set_if_leased("b", 2, second)
    token = cache.lease("c")
    cache.delete("c")  # a delete revokes the lease, even with no entry to delete
    assert not cache.set_if_leased("c", 1, token) and cache.get("c") is MISS
    token = cache.lease("d")
    clock.advance(caching.LEASE_TTL_S)  # a lease expires like an entry
    assert not cache.set_if_leased("d", 1, token)
    with pytest.raises(TypeError, match="lease"):

        class Plain:
            get = set = delete = clear = staticmethod(lambda *a: None)

        CacheAside(Plain(), str, leases=True)  # type: ignore[arg-type]


def test_stampede_is_coalesced_to_one_origin_call() -> None:
    naive = caching.run_stampede(16, coalesce=False, load_delay_s=0.2)
    fixed = caching.run_stampede(16, coalesce=True, load_delay_s=0.2)
    assert naive.origin_calls == 16 and naive.misses == 16
    assert fixed.origin_calls == 1
    assert fixed.coalesced + 1 + fixed.hits == 16
    assert naive.all_same_value and fixed.all_same_value


def test_coalescing_keeps_different_keys_parallel_and_propagates_errors() -> None:
    active = peak = 0
    lock = threading.Lock()

    def load(key: str) -> str:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        threading.Event().wait(0.2)
        with lock:
            active -= 1
        if key == "bad":
            raise KeyError(key)
        return key

    cache = CacheAside(LocalCache(10), load, coalesce=True)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def client(key: str) -> None:
        barrier.wait()
        try:
            cache.get(key)
        except KeyError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(k,)) for k in ("a", "bad")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2
    assert len(errors) == 1
    assert cache.backend.get("bad") is MISS  # a failed load caches nothing


def test_zipf_probabilities_and_traces() -> None:
    p = caching.zipf_probabilities(4, 1.0)
    assert p == pytest.approx(np.array([1, 1 / 2, 1 / 3, 1 / 4]) / (25 / 12))
    assert caching.zipf_probabilities(5, 0) == pytest.approx(np.full(5, 0.2))
    trace = caching.request_trace(20_000, 100, skew=1.0, rate_per_s=50, seed=1)
    assert len(trace) == 20_000 and trace.keys.max() < 100
    assert np.all(np.diff(trace.times_s) > 0)
    assert trace.rate_per_s == pytest.approx(50, rel=0.05)
    share_of_key0 = float(np.mean(trace.keys == 0))
    assert share_of_key0 == pytest.approx(caching.zipf_probabilities(100, 1.0)[0], rel=0.05)
    again = caching.request_trace(20_000, 100, skew=1.0, rate_per_s=50, seed=1)
    assert np.array_equal(trace.keys, again.keys)
    with pytest.raises(ValueError, match="skew"):
        caching.zipf_probabilities(10, -1)
    with pytest.raises(ValueError, match="n_requests"):
        caching.request_trace(0, 10)


@pytest.mark.parametrize(
    ("size", "ttl_s"), [(40, 7.0), (5, 30.0), (300, 2.5), (100, None), (1, 1.0)]
)
def test_simulation_follows_the_rules_of_local_cache(size: int, ttl_s: float | None) -> None:
    """simulate_cache replays with its own containers; it must count exactly as a
    CacheAside over LocalCache (cachetools) does."""
    trace = caching.request_trace(4_000, 300, skew=0.8, rate_per_s=20, seed=size)
    clock = FakeClock()
    cache = CacheAside(LocalCache(size, ttl_s=ttl_s, clock=clock), lambda k: k)
    for t, key in zip(trace.times_s.tolist(), trace.keys.tolist(), strict=True):
        clock.set(t)
        cache.get(str(key))
    sim = caching.simulate_cache(trace, size, ttl_s, warmup_fraction=0.0)
    assert (sim.hits, sim.misses) == (cache.stats.hits, cache.stats.misses)
    assert sim.stale_hits == 0 and sim.max_staleness_s == 0


def test_simulated_lru_hit_ratio_agrees_with_che() -> None:
    trace = caching.request_trace(60_000, 2_000, skew=0.9, seed=0)
    probs = caching.zipf_probabilities(2_000, 0.9)
    for size in (50, 200, 800):
        sim = caching.simulate_cache(trace, size)
        assert sim.hit_ratio == pytest.approx(caching.che_hit_ratio(probs, size), abs=0.015)
    uniform = caching.request_trace(40_000, 1_000, skew=0.0, seed=0)
    sim = caching.simulate_cache(uniform, 250)
    assert sim.hit_ratio == pytest.approx(0.25, abs=0.015)
    assert caching.che_hit_ratio(caching.zipf_probabilities(1_000, 0), 250) == pytest.approx(
        0.25, abs=1e-3
    )
    assert caching.simulate_cache(trace, 0).hit_ratio == 0.0


def test_che_characteristic_time_solves_its_equation() -> None:
    p = caching.zipf_probabilities(500, 0.8)
    t = caching.che_characteristic_time(p, 100)
    assert float(np.sum(-np.expm1(-p * t))) == pytest.approx(100, rel=1e-9)
    assert caching.che_characteristic_time(p, 500) == math.inf
    assert caching.che_hit_ratio(p, 500) == 1.0
    assert caching.che_hit_ratio(p, 0) == 0.0
    ratios = [caching.che_hit_ratio(p, c) for c in (10, 50, 100, 400)]
    assert ratios == sorted(ratios)
    with pytest.raises(ValueError, match="summing to 1"):
        caching.che_hit_ratio([0.5, 0.4], 1)


def test_ttl_formula_agrees_with_simulation() -> None:
    trace = caching.request_trace(80_000, 1_000, skew=0.9, rate_per_s=200, seed=2)
    probs = caching.zipf_probabilities(1_000, 0.9)
    for ttl in (0.5, 5.0):
        sim = caching.simulate_cache(trace, 1_000, ttl)
        assert sim.hit_ratio == pytest.approx(caching.ttl_hit_ratio(probs, 200, ttl), abs=0.02)


def test_staleness_is_bounded_by_ttl_and_removed_by_invalidation() -> None:
    trace = caching.request_trace(40_000, 500, skew=0.9, rate_per_s=200, seed=3)
    sim = caching.simulate_cache(trace, 500, 20.0, write_interval_s=100.0)
    assert sim.stale_hits > 0 and sim.writes > 0
    assert 0 < sim.max_staleness_s < 20.0
    assert np.all(sim.staleness_s > 0) and sim.staleness_s.size == sim.stale_hits
    longer = caching.simulate_cache(trace, 500, 60.0, write_interval_s=100.0)
    assert longer.stale_fraction > sim.stale_fraction and longer.hit_ratio > sim.hit_ratio
    inval = caching.simulate_cache(
        trace, 500, 20.0, write_interval_s=100.0, invalidate_on_write=True
    )
    assert inval.stale_hits == 0 and inval.hit_ratio < sim.hit_ratio
    assert sim.origin_reads_per_s == pytest.approx(sim.misses / sim.duration_s)


def test_evaluate_config_prices_node_and_origin() -> None:
    sc = caching.CacheScenario(n_requests=20_000)
    none = caching.evaluate_config(0, None, sc)
    assert none.hit_ratio == 0 and none.node is None and none.cache_cost_usd_per_month == 0
    big = caching.evaluate_config(4_000, 120, sc)
    assert big.hit_ratio > 0.8 and big.p50_ms < 2 < big.p99_ms
    assert big.node == caching.cheapest_node(4_000 * 500 * 1.3 / 2**20).name == "cache.medium"
    assert big.origin_instances < none.origin_instances
    assert big.monthly_cost_usd < none.monthly_cost_usd
    assert caching.evaluate_config(4_000, 120, sc) is big  # memoised
    assert big.p50_ms <= big.p90_ms <= big.p99_ms


def test_request_latencies_follow_hits() -> None:
    lat = caching.request_latencies_ms([True] * 1000 + [False] * 1000, 1.0, 40.0, seed=0)
    assert np.median(lat[:1000]) == pytest.approx(1.0, rel=0.1)
    assert np.median(lat[1000:]) == pytest.approx(40.0, rel=0.1)


def test_economics() -> None:
    h = caching.break_even_hit_ratio(0.07, 100.0, 1.0)
    # 100 rps * 3600 s * h hits/hour * $1e-6 each = $0.07/h
    assert h == pytest.approx(0.07 / 0.36)
    assert caching.cache_net_saving_usd_per_month(h, 100.0, 1.0, 0.07) == pytest.approx(0, abs=1e-9)
    assert caching.cache_net_saving_usd_per_month(0.9, 100.0, 1.0, 0.07) > 0
    assert caching.break_even_hit_ratio(0.07, 1.0, 1.0) > 1  # too little traffic: never pays
    assert caching.cheapest_node(0.4).name == "cache.micro"
    assert caching.cheapest_node(2.0).name == "cache.medium"
    with pytest.raises(ValueError, match="shard"):
        caching.cheapest_node(1000)
    assert caching.origin_cost_usd_per_million() > 0


def test_edge_model() -> None:
    e = caching.edge_model(1_000, 0.95, 100.0)
    assert e.origin_rps == pytest.approx(50)
    assert e.p50_ms == 15.0 and e.p99_ms == 15.0 + 90 + 30
    assert e.mean_ms == pytest.approx(0.95 * 15 + 0.05 * 135)
    gb = 1_000 * 100e3 * 730 * 3600 / 1e9
    assert e.egress_usd_per_month == pytest.approx(gb * (0.06 + 0.05 * 0.01))
    assert e.egress_without_cdn_usd_per_month == pytest.approx(gb * 0.09)
    assert caching.edge_model(1_000, 0.995, 100.0).p99_ms == 15.0
    with pytest.raises(ValueError, match="edge_hit_ratio"):
        caching.edge_model(1_000, 1.5, 100.0)


def test_xfetch_spreads_refreshes_and_prevents_the_herd() -> None:
    rng = np.random.default_rng(0)
    far = sum(caching.xfetch_should_refresh(0.0, 100.0, 0.2, 1.0, rng) for _ in range(1000))
    near = sum(caching.xfetch_should_refresh(99.9, 100.0, 0.2, 1.0, rng) for _ in range(1000))
    assert far == 0 and near > 300
    herd = caching.simulate_expiry(beta=None, seed=1)
    early = caching.simulate_expiry(beta=1.0, seed=1)
    assert herd.max_concurrent_recomputes > 100
    assert early.max_concurrent_recomputes == 1 and early.misses == 0
    assert early.recomputes <= herd.recomputes


def test_serialization_cost_measures_both_codecs() -> None:
    cost = caching.serialization_cost({"id": 1, "tags": ["a"] * 50}, repeats=20)
    assert set(cost) == {"pickle", "json"}
    for numbers in cost.values():
        assert numbers["bytes"] > 0 and numbers["dumps_us"] > 0 and numbers["loads_us"] > 0
    timings = caching.time_backend_us(LocalCache(4), {"x": 1}, n=50)
    assert timings["get"].shape == (50,) and np.all(timings["set"] > 0)


@pytest.mark.parametrize(("ttl_s", "warmup"), [(3.0, 0.0), (20.0, 0.2), (0.4, 0.5)])
def test_key_by_key_staleness_counts_as_the_replay(ttl_s: float, warmup: float) -> None:
    """simulate_ttl_staleness (numpy, key by key) must give simulate_cache's counts for an
    unbounded cache, request by request."""
    trace = caching.request_trace(6_000, 200, skew=0.9, rate_per_s=150, seed=4)
    kwargs = {"write_interval_s": 15.0, "warmup_fraction": warmup, "seed": 7}
    ref = caching.simulate_cache(trace, 200, ttl_s, **kwargs)
    fast = caching.simulate_ttl_staleness(trace, ttl_s, **kwargs)
    assert (fast.hits, fast.misses, fast.stale_hits, fast.writes) == (
        ref.hits,
        ref.misses,
        ref.stale_hits,
        ref.writes,
    )
    assert np.array_equal(fast.hit, ref.hit) and np.array_equal(fast.stale, ref.stale)
    assert np.allclose(fast.staleness_s, ref.staleness_s)
    assert fast.duration_s == pytest.approx(ref.duration_s)
    with pytest.raises(ValueError, match="ttl_s"):
        caching.simulate_ttl_staleness(trace, 0.0, 15.0)


def test_stale_share_agrees_with_the_steady_state_formula() -> None:
    """Over a trace of many TTLs, the simulated stale share (averaged over the writes of
    four seeds) sits on the analytic one, and both grow with the TTL."""
    probs = caching.zipf_probabilities(500, 0.9)
    trace = caching.request_trace(200_000, 500, skew=0.9, rate_per_s=100, seed=5)
    shares = []
    for ttl in (5.0, 20.0, 60.0):
        sims = [caching.simulate_ttl_staleness(trace, ttl, 120.0, seed=s) for s in range(4)]
        want = caching.ttl_stale_fraction(probs, 100, ttl, 120.0)
        got = float(np.mean([sim.stale_fraction for sim in sims]))
        assert got == pytest.approx(want, rel=0.12)
        assert sims[0].hit_ratio == pytest.approx(caching.ttl_hit_ratio(probs, 100, ttl), abs=0.01)
        shares.append(want)
    assert shares == sorted(shares)
    assert caching.ttl_stale_fraction(probs, 100, 0.0, 300.0) == 0.0


def test_staleness_study_gives_one_figure_per_seed_beside_the_formula() -> None:
    rows = caching.ttl_staleness_study(
        (10, 40),
        600.0,
        n_keys=300,
        duration_s=400.0,
        rate_per_s=100,
        seeds=(0, 1, 2),
        progress=False,
    )
    assert [r.ttl_s for r in rows] == [10.0, 40.0]
    for row in rows:
        assert len(row.stale_fractions) == len(row.hit_ratios) == 3
        assert len(set(row.stale_fractions)) > 1  # the seeds differ
        assert 0 < row.max_staleness_s < row.ttl_s
        assert np.mean(row.hit_ratios) == pytest.approx(row.formula_hit_ratio, abs=0.03)
    assert rows[1].formula_stale_fraction > rows[0].formula_stale_fraction
    with pytest.raises(ValueError, match="one seed"):
        caching.ttl_staleness_study((10,), 600.0, seeds=())
