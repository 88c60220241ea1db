"""Tests of the fraud lab (unit 06): simulator, features, split, models, costs, cascade,
latency, evaluation, study, ROI and the trade-off computation."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from tradeoffs import prices
from tradeoffs.labs.fraud import (
    FEATURES,
    SCENARIOS,
    Cascade,
    CostModel,
    FlatForest,
    LeanLogistic,
    OnlineFeatures,
    SimConfig,
    SplitConfig,
    TradeoffData,
    Transactions,
    average_precision,
    bayes_flags,
    bayes_threshold,
    best_threshold,
    card_precision_at_k,
    cascade_flags,
    choose_band,
    combined_latency_ms,
    cost_breakdown,
    expected_cost,
    fraud_probability,
    fraud_tradeoff,
    infra_usd,
    interleaved_latency,
    make_dataset,
    matrix_table,
    mean_interval,
    measure_calls,
    offline_features,
    overhead_split,
    paired_interval,
    pareto_front,
    precision_at_k,
    roi_table,
    roi_text,
    segment_decisions,
    simulate,
    train_model,
    train_study,
)
from tradeoffs.labs.fraud.cascade import check_band
from tradeoffs.labs.fraud.latency import batch_throughput, profile_one_call
from tradeoffs.labs.fraud.simulate import SECONDS_PER_DAY

SMALL = SimConfig(n_customers=400, n_terminals=800)
SMALL_SPLIT = SplitConfig(burn_in_days=14, train_days=14, val_days=7, delay_days=7, test_days=7)


@pytest.fixture(scope="module")
def study():
    dataset = make_dataset(SMALL, seed=3, split=SMALL_SPLIT)
    return train_study(dataset, CostModel(), ("logistic", "forest"), seed=3, progress=False)


def _tx(rows: list[tuple[int, int, int, float, bool]]) -> Transactions:
    """Hand-made transactions: (time_s, customer, terminal, amount, is_fraud), in time order."""
    t, c, term, a, f = (np.array(col) for col in zip(*rows, strict=True))
    n = len(rows)
    return Transactions(
        tx_id=np.arange(n),
        time_s=t.astype(np.int64),
        day=(t // SECONDS_PER_DAY).astype(np.int64),
        customer_id=c.astype(np.int64),
        terminal_id=term.astype(np.int64),
        amount_usd=a.astype(float),
        is_fraud=f.astype(bool),
        scenario=f.astype(np.int8),
        customer_xy=np.zeros((int(c.max()) + 1, 2)),
        terminal_xy=np.zeros((int(term.max()) + 1, 2)),
        config=SimConfig(n_customers=int(c.max()) + 1, n_terminals=int(term.max()) + 1),
        seed=0,
    )


# ---------------------------------------------------------------- simulator


def test_simulator_is_seeded_and_has_a_low_fraud_rate_from_every_scenario() -> None:
    a, b = simulate(SMALL, seed=1), simulate(SMALL, seed=1)
    assert len(a) == len(b) and np.array_equal(a.amount_usd, b.amount_usd)
    assert np.array_equal(a.is_fraud, b.is_fraud)
    c = simulate(SMALL, seed=2)
    assert len(c) != len(a) or not np.array_equal(c.amount_usd, a.amount_usd)
    big = simulate(SimConfig(n_customers=1_500, n_terminals=3_000, n_days=60), seed=0)
    assert 0.002 < big.fraud_rate < 0.012, big.fraud_rate
    counts = big.scenario_counts()
    assert set(counts) == set(SCENARIOS) and all(v > 0 for v in counts.values()), counts
    # Transactions are in time order; compromised cards pay five times their usual amount.
    assert np.all(np.diff(big.time_s) >= 0)
    assert (big.amount_usd[big.scenario == 1] > 220).all()
    cards = big.amount_usd[big.scenario == 3].mean()
    assert cards > 3 * big.amount_usd[big.scenario == 0].mean()
    assert np.all((big.time_s % SECONDS_PER_DAY >= 0) & (big.day < 60))


def test_simulator_sizes_scale_and_bad_configs_are_refused() -> None:
    small = simulate(replace(SMALL, n_days=10), seed=0)
    double = simulate(replace(SMALL, n_days=10).scaled(2.0), seed=0)
    assert 1.5 < len(double) / len(small) < 2.6
    for bad in (
        {"n_customers": 0},
        {"n_days": 2.5},
        {"radius": 0},
        {"card_fraud_share": 1.5},
        {"cards_compromised_per_1000": -1},
    ):
        with pytest.raises(ValueError):
            replace(SMALL, **bad)


# ---------------------------------------------------------------- features


def test_features_by_hand_customer_windows_and_delayed_terminal_labels() -> None:
    day = SECONDS_PER_DAY
    rows = [
        (0, 0, 0, 10.0, True),  # day 0, 00:00, at terminal 0: a fraud
        (2 * day, 1, 0, 20.0, False),
        (8 * day, 0, 0, 30.0, False),  # 8 days after the fraud: its label is known
        (8 * day + 60, 0, 1, 50.0, False),  # same customer a minute later
        (10 * day + 3 * 3600, 1, 0, 40.0, False),  # at night
    ]
    X = offline_features(_tx(rows), delay_days=7)
    col = {name: i for i, name in enumerate(FEATURES)}
    assert X.shape == (5, len(FEATURES))
    # customer 0 at 8 days + 60 s: itself and the 30.0 within a day; three within 28 days.
    assert X[3, col["customer_n_1d"]] == 2 and X[3, col["customer_mean_usd_1d"]] == 40.0
    assert X[3, col["customer_n_28d"]] == 3 and X[3, col["customer_mean_usd_28d"]] == 30.0
    # terminal 0 on day 8: the fraud of day 0 is more than 7 days old, so it counts; the
    # payment of day 2 is not (within the delay).
    assert X[2, col["terminal_n_28d"]] == 1 and X[2, col["terminal_risk_28d"]] == 1.0
    assert X[1, col["terminal_n_28d"]] == 0 and X[1, col["terminal_risk_28d"]] == 0.0
    # on day 10, terminal 0's window (day -25, day 3] holds the fraud and day 2's payment.
    assert X[4, col["terminal_n_28d"]] == 2 and X[4, col["terminal_risk_28d"]] == 0.5
    assert X[:, col["is_night"]].tolist() == [
        1,
        1,
        1,
        1,
        1,
    ]  # all before 06:00 (days start at 00:00)
    assert X[1, col["is_weekend"]] == 0 and X[4, col["is_weekend"]] == 0
    noon = offline_features(_tx([(5 * day + 12 * 3600, 0, 0, 1.0, False)]))
    assert noon[0, col["is_night"]] == 0 and noon[0, col["is_weekend"]] == 1  # day 5: weekend


def test_online_features_equal_the_offline_ones() -> None:
    dataset = make_dataset(SMALL, seed=4, split=SMALL_SPLIT)
    store = OnlineFeatures(SMALL_SPLIT.delay_days).load_history(dataset.before("test"))
    test = dataset.period("test")
    online = store.rows(test)
    np.testing.assert_allclose(online, dataset.test.X, rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="time order"):
        store.observe(int(test.customer_id[-1]), 0, int(test.time_s[-1]) - 10, 5.0)
    with pytest.raises(ValueError):
        OnlineFeatures(-1)


def test_split_periods_are_in_time_order_with_a_delay_gap() -> None:
    dataset = make_dataset(SMALL, seed=5, split=SMALL_SPLIT)
    b = SMALL_SPLIT.bounds()
    assert dataset.train.day.min() == b["train"][0] and dataset.train.day.max() < b["val"][0]
    assert dataset.val.day.max() < b["delay"][0]
    assert dataset.test.day.min() == b["test"][0] == b["delay"][1]
    assert dataset.transactions.config.n_days == SMALL_SPLIT.total_days
    assert len(dataset.before("test")) + len(dataset.period("test")) == len(dataset.transactions)
    ids = [set(getattr(dataset, p).tx_id.tolist()) for p in ("train", "val", "test")]
    assert not (ids[0] & ids[1]) and not (ids[1] & ids[2])
    with pytest.raises(ValueError):
        SplitConfig(train_days=0)


# ---------------------------------------------------------------- models


def test_lean_paths_compute_the_models_probabilities(study) -> None:
    X = study.dataset.test.X
    lean = LeanLogistic.from_pipeline(study.models["logistic"])
    np.testing.assert_allclose(lean.predict(X), study.test_scores["logistic"], atol=1e-12)
    assert lean.predict_one(X[5]) == pytest.approx(study.test_scores["logistic"][5], abs=1e-12)
    flat = FlatForest.from_forest(study.models["forest"])
    assert flat.n_trees == 50 and flat.depth > 5
    np.testing.assert_allclose(flat.predict(X), study.test_scores["forest"], atol=1e-12)
    for i in (0, 7, 99):
        assert flat.predict_one(X[i]) == pytest.approx(study.test_scores["forest"][i], abs=1e-12)
    with pytest.raises(TypeError):
        FlatForest.from_forest(study.models["logistic"])


def test_train_model_refuses_bad_input() -> None:
    X = np.random.default_rng(0).random((50, 3))
    with pytest.raises(ValueError, match="single class"):
        train_model("logistic", X, np.zeros(50, dtype=bool))
    with pytest.raises(ValueError):
        train_model("logistic", X, np.zeros(10, dtype=bool))
    with pytest.raises(ValueError, match="unknown model"):
        train_model("deep", X, np.arange(50) % 2 == 0)  # type: ignore[arg-type]
    y = X[:, 0] > 0.5
    model = train_model("boosting", X, y)
    assert fraud_probability(model, X).shape == (50,)


# ---------------------------------------------------------------- costs


def test_cost_breakdown_by_hand() -> None:
    costs = CostModel(review_usd=4, friction_usd=10, loss_share=0.5, usd_per_vcpu_hour=0.036,
                      utilisation=0.5)  # fmt: skip
    scores = [0.9, 0.8, 0.6, 0.3, 0.3, 0.2, 0.05, 0.01]
    y = [1, 0, 1, 1, 0, 0, 1, 0]
    amounts = [120.0, 40.0, 300.0, 55.5, 20.0, 80.0, 35.25, 10.0]
    b = expected_cost(scores, y, amounts, 0.3, 2.0, costs)
    assert (b.flagged, b.true_positives, b.false_positives, b.false_negatives) == (5, 3, 2, 1)
    assert b.fraud_loss_usd == pytest.approx(0.5 * 35.25)
    assert b.review_usd == 20 and b.friction_usd == 20
    # 8 transactions * 2 ms = 16 ms of CPU = 16 / 3.6e6 hours, at 0.036 / 0.5 USD per hour.
    assert b.infra_usd == pytest.approx(8 * 2 / 3.6e6 * 0.072)
    assert b.total_usd == pytest.approx(17.625 + 40 + b.infra_usd)
    assert b.per_1000_usd == pytest.approx(b.total_usd / 8 * 1000)
    assert b.precision == 0.6 and b.recall == 0.75 and b.accuracy == 5 / 8
    assert set(b.as_dict()) == {"fraud_loss_usd", "review_usd", "friction_usd", "infra_usd",
                                "total_usd"}  # fmt: skip
    assert infra_usd(1_000_000, 1.0, CostModel()) == pytest.approx(
        1000 / 3600 * prices.VCPU_HOUR_USD["on-demand VM"] / prices.FRAUD_OPS.serving_utilisation
    )
    with pytest.raises(ValueError):
        expected_cost(scores, y[:-1], amounts, 0.3, 0, costs)
    with pytest.raises(ValueError):
        expected_cost(scores, y, amounts, math.nan, 0, costs)
    with pytest.raises(ValueError):
        cost_breakdown(np.ones(8, bool), [2] * 8, amounts, 0, costs)
    for bad in ({"review_usd": -1}, {"utilisation": 0}, {"loss_share": 2}, {"friction_usd": "x"}):
        with pytest.raises(ValueError):
            CostModel(**bad)


def test_best_threshold_matches_a_brute_force_search_with_ties() -> None:
    rng = np.random.default_rng(7)
    costs = CostModel()
    for _ in range(20):
        n = int(rng.integers(1, 40))
        scores = rng.choice([0.1, 0.2, 0.3, 0.5, 0.7, 0.9], n)  # many ties
        y = rng.random(n) < 0.3
        amounts = rng.choice([4.0, 10.0, 50.0], n)
        got_t, got_cost = best_threshold(scores, y, amounts, costs)
        candidates = [math.inf, *sorted(set(scores.tolist()), reverse=True)]
        totals = [expected_cost(scores, y, amounts, t, 0, costs).total_usd for t in candidates]
        best = min(totals)
        assert got_cost == pytest.approx(best)
        first = next(t for t, c in zip(candidates, totals, strict=True) if abs(c - best) < 1e-9)
        assert got_t == first  # the highest threshold among the cheapest
    assert best_threshold([], [], [], costs) == (math.inf, 0.0)


def test_bayes_rule_flags_when_letting_through_costs_strictly_more() -> None:
    costs = CostModel()
    p = np.array([0.5, 0.5, 0.01, 0.01, 0.9])
    a = np.array([18.0, 18.5, 2_000.0, 100.0, 0.0])
    assert bayes_flags(p, a, costs).tolist() == [False, True, True, False, False]
    t = bayes_threshold(a, costs)
    assert t[0] == pytest.approx(0.5) and math.isfinite(t[4])
    assert (bayes_threshold([0.0], replace(costs, friction_usd=0.0)) == np.inf).all()
    with pytest.raises(ValueError):
        bayes_flags(p, a[:2], costs)


# ---------------------------------------------------------------- cascade


def test_cascade_flags_follow_the_band() -> None:
    fast = np.array([0.01, 0.05, 0.1, 0.2, 0.3])
    slow = np.array([0.9, 0.9, 0.1, 0.9, 0.0])
    flags, esc = cascade_flags(fast, slow, (0.05, 0.3), 0.5)
    assert esc.tolist() == [False, True, True, True, False]
    assert flags.tolist() == [False, True, False, True, True]
    flags, esc = cascade_flags(fast, slow, (0.2, 0.2), 0.5)  # empty band: fast alone at 0.2
    assert not esc.any() and flags.tolist() == [False, False, False, True, True]
    for bad in ((0.3, 0.1), (math.nan, 1), "ab", 1):
        with pytest.raises(ValueError):
            check_band(bad)


def test_choose_band_is_the_cheapest_band_under_the_cap() -> None:
    rng = np.random.default_rng(11)
    costs = CostModel()
    n = 60
    y = rng.random(n) < 0.2
    fast = np.round(np.clip(rng.normal(0.2 + 0.4 * y, 0.2), 0, 1), 2)  # ties
    slow = np.clip(rng.normal(0.15 + 0.6 * y, 0.15), 0, 1)
    amounts = rng.choice([5.0, 30.0, 200.0], n)
    for cap in (0.0, 0.1, 0.3):
        band, cost = choose_band(fast, slow, y, amounts, 0.5, costs, cap)
        flags, esc = cascade_flags(fast, slow, band, 0.5)
        assert esc.mean() <= cap + 1e-12
        assert cost == pytest.approx(cost_breakdown(flags, y, amounts, 0, costs).total_usd)
        edges = [*sorted(set(fast.tolist())), math.inf]
        brute = math.inf
        for lo, hi in itertools.combinations_with_replacement(edges, 2):
            f, e = cascade_flags(fast, slow, (lo, hi), 0.5)
            if e.mean() <= cap + 1e-12:
                brute = min(brute, cost_breakdown(f, y, amounts, 0, costs).total_usd)
        assert cost == pytest.approx(brute)
    with pytest.raises(ValueError):
        choose_band(fast, slow, y, amounts, 0.5, costs, 1.5)


def test_cascade_decides_like_cascade_flags_and_calls_the_slow_model_only_in_the_band(
    study,
) -> None:
    calls = []
    slow = study.scorers["forest"]
    counting = replace(slow, one=lambda x: calls.append(1) or slow.one(x))
    band, t = study.band("logistic", "forest", 0.05)
    cascade = Cascade(study.scorers["logistic lean"], counting, band, t)
    X = study.dataset.test.X[:400]
    decided = [cascade.decide(x) for x in X]
    flags, esc = cascade_flags(
        study.test_scores["logistic"][:400], study.test_scores["forest"][:400], band, t
    )
    assert [d[0] for d in decided] == flags.tolist()
    assert [d[1] for d in decided] == esc.tolist()
    assert len(calls) == int(esc.sum())


def test_combined_latency_adds_slow_samples_for_escalated_only() -> None:
    fast, slow = np.full(100, 0.01), np.full(100, 2.0)
    esc = np.zeros(1000, dtype=bool)
    esc[:5] = True
    out = combined_latency_ms(fast, slow, esc)
    assert out.size == 1000 and np.isclose(out[:5], 2.01).all() and np.isclose(out[5:], 0.01).all()
    with pytest.raises(ValueError):
        combined_latency_ms([], slow, esc)


# ---------------------------------------------------------------- latency


def test_interleaved_latency_times_every_call_and_subsamples_slow_ones(study) -> None:
    X = study.dataset.test.X[:50]
    lat = interleaved_latency(
        {"fast": study.scorers["logistic lean"].one, "forest": study.scorers["forest"].one},
        X, n_calls=120, warmup=5, every={"forest": 4},
    )  # fmt: skip
    assert lat["fast"].n == 120 and lat["forest"].n == 30
    f, s = lat["fast"], lat["forest"]
    assert 0 < f.p50_ms <= f.p99_ms and f.mean_ms > 0 and s.cpu_ms_per_call > 0
    assert s.p50_ms > f.p50_ms  # a 50-tree forest is slower than one dot product
    lo, hi = s.p99_interval_ms()
    assert lo <= s.p99_ms <= hi
    assert set(s.summary()) >= {"p50_ms", "p99_ms", "cpu_ms"}
    one = measure_calls(study.scorers["logistic"].one, X, 20, warmup=2, name="lr")
    assert one.name == "lr" and one.n == 20
    with pytest.raises(ValueError):
        interleaved_latency({}, X)
    with pytest.raises(ValueError):
        measure_calls(len, np.zeros((0, 3)))


def test_batch_is_faster_per_row_than_one_row_calls_and_overhead_dominates(study) -> None:
    forest = study.scorers["forest"]
    X = study.dataset.test.X
    per_row_ms = 1000 / batch_throughput(forest, X[:2000])
    one = measure_calls(forest.one, X, 50, warmup=5)
    assert per_row_ms * 20 < one.p50_ms
    split = overhead_split(forest, X, sizes=(1, 10, 100), repeats=5)
    assert split.per_call_ms > 0 and split.overhead_share_one_row > 0.5
    rows = profile_one_call(forest, X[0], calls=5)
    assert rows and rows[0].tottime_s >= rows[-1].tottime_s


# ---------------------------------------------------------------- evaluation


def test_precision_at_k_and_card_precision_by_hand() -> None:
    y = [1, 0, 0, 1, 0, 1]
    s = [0.9, 0.8, 0.1, 0.7, 0.6, 0.2]
    day = [0, 0, 0, 1, 1, 1]
    card = [1, 1, 2, 3, 4, 3]
    # day 0: top 2 = 0.9 (fraud), 0.8 (legit) -> 0.5; day 1: 0.7 (fraud), 0.6 -> 0.5
    assert precision_at_k(y, s, day, 2) == 0.5
    # day 0: cards 1 (max 0.9, fraud) and 2; top 1 -> 1.0; day 1: card 3 (0.7, fraud) -> 1.0
    assert card_precision_at_k(y, s, day, card, 1) == 1.0
    assert card_precision_at_k(y, s, day, card, 2) == pytest.approx(0.5 * (0.5 + 0.5))
    assert average_precision([0, 1, 1], [0.1, 0.9, 0.8]) == 1.0
    with pytest.raises(ValueError):
        precision_at_k(y, s, day, 0)
    with pytest.raises(ValueError):
        average_precision([0, 0], [0.1, 0.2])


def test_intervals_use_student_t_and_pair_by_seed() -> None:
    values = [3.0, 5.0, 4.0, 8.0]
    iv = mean_interval(values, 0.95)
    half = stats.t.ppf(0.975, 3) * np.std(values, ddof=1) / 2
    assert iv.mean == 5.0 and iv.high - iv.mean == pytest.approx(half)
    assert iv.excludes(0) and not iv.excludes(5) and "±" in str(iv)
    a = np.array([100.0, 300.0, 200.0])
    b = a - np.array([2.0, 3.0, 4.0])
    paired = paired_interval(a, b, 0.9)
    assert paired.mean == 3.0 and paired.excludes(0)
    with pytest.raises(ValueError):
        mean_interval([1.0])
    with pytest.raises(ValueError):
        paired_interval([1.0, 2.0], [1.0])


# ---------------------------------------------------------------- study, ROI, trade-off


def test_study_rules_matrix_and_pareto_front(study) -> None:
    test = study.dataset.test
    t = study.threshold("logistic")
    assert np.array_equal(study.flags("logistic", "best"), study.test_scores["logistic"] >= t)
    assert np.array_equal(study.flags("forest", "0.5"), study.test_scores["forest"] >= 0.5)
    with pytest.raises(ValueError):
        study.flags("logistic", "median")  # type: ignore[arg-type]
    lat = measure_calls(study.scorers["logistic"].one, test.X, 30, warmup=2)
    row = study.row("lr", study.flags("logistic", "bayes"), lat, study.test_scores["logistic"])
    assert row.cost.n == len(test) and row.p99_ms == lat.p99_ms
    text = matrix_table([row, replace(row, option="slow", p99_ms=row.p99_ms * 10)])
    assert "lr *" in text and "slow *" not in text
    assert pareto_front([(1, 5), (2, 1), (3, 3), (1, 5)]) == [True, True, False, True]
    assert 0 <= study.card_precision("forest") <= 1 and study.alerts_per_day >= 1


def test_roi_table_and_segment_decisions() -> None:
    costs = CostModel()
    y = np.array([True, False, False, False])
    amounts = np.array([100.0, 10.0, 10.0, 500.0])
    cheap = cost_breakdown(np.zeros(4, bool), y, amounts, 0.1, costs)  # misses the fraud
    good = cost_breakdown(y, y, amounts, 2.0, costs)  # catches it: one review
    rows = roi_table({"cheap": cheap, "good": good}, "cheap", daily_volume=1000)
    base, best = rows
    assert base.savings_usd == 0 and base.added_compute_usd == 0
    assert best.savings_usd == pytest.approx((100 - 4) / 4 * 1000 * 365)
    assert best.added_compute_usd == pytest.approx(
        (infra_usd(4, 2.0, costs) - infra_usd(4, 0.1, costs)) / 4 * 1000 * 365
    )
    assert best.roi == pytest.approx(best.savings_usd / best.added_compute_usd)
    assert best.net_usd < best.savings_usd and "ROI" in roi_text(rows, 1000)
    with pytest.raises(ValueError):
        roi_table({"a": cheap}, "b", 1)
    flags, cpu, share = segment_decisions(amounts, 100, y, np.zeros(4, bool), 2.0, 0.1)
    assert flags.tolist() == [True, False, False, False]
    assert share == 0.5 and cpu == pytest.approx(0.5 * 2.0 + 0.5 * 0.1)


def test_fraud_tradeoff_moves_with_its_sliders() -> None:
    rng = np.random.default_rng(0)
    n = 5_000
    y = rng.random(n) < 0.01
    data = TradeoffData(
        fast_scores=np.clip(rng.normal(0.05 + 0.3 * y, 0.05), 0, 1),
        slow_scores=np.clip(rng.normal(0.05 + 0.6 * y, 0.05), 0, 1),
        y=y,
        amount_usd=rng.uniform(5, 200, n),
        fast_ms=np.full(100, 0.01),
        slow_ms=np.full(100, 2.0),
        fast_cpu_ms=0.01,
        slow_cpu_ms=2.0,
    )
    narrow = fraud_tradeoff(data, band=(0.2, 0.22))
    wide = fraud_tradeoff(data, band=(0.05, 0.5))
    assert set(narrow) == {"fast", "slow", "cascade"}
    assert narrow["cascade"].escalation < 0.01 < wide["cascade"].escalation
    assert narrow["cascade"].p99_ms < 0.1 and wide["cascade"].p99_ms > 1.9
    assert wide["cascade"].mean_ms < wide["slow"].mean_ms
    pricey = fraud_tradeoff(data, review_usd=20.0, daily_volume=2_000_000)
    base = fraud_tradeoff(data, daily_volume=1_000_000)
    assert pricey["fast"].daily_cost_usd > 2 * base["fast"].daily_cost_usd
    assert fraud_tradeoff(data, loss_share=0.0)["slow"].cost.fraud_loss_usd == 0
    with pytest.raises(ValueError):
        fraud_tradeoff(data, daily_volume=0)


def test_the_price_book_has_a_dated_fraud_section() -> None:
    assert prices.FRAUD_OPS_AS_OF.startswith("20")
    ops = prices.FRAUD_OPS
    assert ops.review_usd_per_alert > 0 and 0 < ops.fraud_loss_share <= 1
    assert CostModel().review_usd == ops.review_usd_per_alert
    assert CostModel().usd_per_vcpu_hour == prices.VCPU_HOUR_USD["on-demand VM"]


def test_a_recalibrated_world_keeps_the_order_and_the_cascade_judged_from_its_scores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tradeoffs.labs.fraud import exercise

    rng = np.random.default_rng(0)
    n = 4_000
    y = rng.random(n) < 0.02
    logistic = np.clip(rng.beta(1, 30, n) + 0.3 * y, 0, 0.999)
    forest = np.clip(rng.beta(1, 40, n) + 0.6 * y, 0, 0.999)
    week = {"logistic": logistic, "forest": forest, "is_fraud": y, "amount_usd": np.full(n, 80.0)}
    fake = {"seed": 1, "val": week, "test": week, "thresholds": {"logistic": 0.2, "forest": 0.3}}
    monkeypatch.setattr(exercise, "scores_case", lambda seed=6: fake)

    same = exercise.recalibrated_case(1, 1.0)
    assert np.allclose(same["test"]["logistic"], logistic)
    heavy = exercise.recalibrated_case(1, 20.0)
    p, q = logistic, heavy["test"]["logistic"]
    assert np.all(np.argsort(p, kind="stable") == np.argsort(q, kind="stable"))
    mid = (p > 0.01) & (p < 0.99)
    log_odds = np.log(q[mid] / (1 - q[mid])) - np.log(p[mid] / (1 - p[mid]))
    assert np.allclose(log_odds, math.log(20.0))
    assert heavy["thresholds"]["forest"] == 0.3 and heavy["thresholds"]["logistic"] > 0.2

    # The same transactions escalated cost the same, whatever the calibration.
    band = (float(np.quantile(p, 0.99)), float(np.quantile(p, 0.995)))
    moved = tuple(float(v) for v in exercise._reweighted(np.array(band), 20.0))
    plain, shifted = exercise.band_costs(band, 1, 1.0), exercise.band_costs(moved, 1, 20.0)
    assert plain["escalation"] == pytest.approx(0.005, abs=1e-3)
    for key in ("logistic_per_1000_usd", "forest_per_1000_usd", "cascade_per_1000_usd"):
        assert shifted[key] == pytest.approx(plain[key])
    assert exercise.band_costs(band, 1, 20.0)["escalation"] != plain["escalation"]
    with pytest.raises(ValueError, match="low <= high"):
        exercise.band_costs((0.5, 0.1), 1, 20.0)
