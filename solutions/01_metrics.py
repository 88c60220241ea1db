# %% [markdown]
# # Exercise 01: foundational metrics
#
# Five graded parts of rising difficulty and one written answer. Write your code where it
# says `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line), then run the test
# cell below it. Test cells are read-only; some also hold hidden tests that run only when
# your notebook is graded, so handle the edge cases the docstrings describe.
#
# Check your work at any time with the **Validate** button, or from a terminal:
# `tradeoffs check exercises/01_metrics`, which prints a verdict per part; when you are
# stuck, `tradeoffs hint 01_metrics PART` shows the next hint for that part.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import math

import numpy as np
from hdrh.histogram import HdrHistogram

from tradeoffs import checks

# %% [markdown]
# ## Part 1: nearest-rank percentiles (3 points)
#
# The nearest-rank p-th percentile of `n` samples is the smallest sample such that at least
# p% of the samples are less than or equal to it: sort the samples and take the one at
# 1-based rank `ceil(p/100 * n)`. By convention the 0th percentile is the smallest sample.
# Unlike numpy's default (linear interpolation), it always returns a value that was
# actually measured.


# %% nbgrader={"grade": false, "grade_id": "nearest_rank", "locked": false, "schema_version": 3, "solution": true}
def nearest_rank(samples, q):
    """The nearest-rank `q`-th percentile (0 <= q <= 100) of `samples`.

    Raises ValueError when `samples` is empty or `q` is outside [0, 100].
    Does not modify `samples`.
    """
    ### BEGIN SOLUTION
    # Multiply before dividing so integer q and n give an exact rank.
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within [0, 100], got {q}")
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, math.ceil(q * len(ordered) / 100))
    return ordered[rank - 1]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_nearest_rank", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""nearest_rank follows the nearest-rank definition, not interpolation"""
samples = [35, 20, 50, 15, 40]
for q, want in [(30, 20), (40, 20), (50, 35), (95, 50), (100, 50), (0, 15)]:
    checks.assert_close(nearest_rank(samples, q), want, what=f"nearest_rank({samples}, {q})")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(2024)
_lat = _rng.lognormal(3.0, 1.0, 1001).round(3).tolist()
_copy = list(_lat)
_sorted = sorted(_lat)
for _q in (1, 50, 90, 99, 99.9):
    _rank = max(1, math.ceil(_q * len(_lat) / 100))
    checks.assert_close(
        nearest_rank(_lat, _q), _sorted[_rank - 1], what=f"nearest_rank(<1001 latencies>, {_q})"
    )
assert _lat == _copy, "nearest_rank changed the list it was given; sort a copy instead"
checks.assert_close(nearest_rank([7.5], 99), 7.5, what="nearest_rank([7.5], 99)")
checks.assert_close(
    nearest_rank(np.array([3.0, 1.0, 2.0]), 50),
    2.0,
    what="nearest_rank(np.array([3., 1., 2.]), 50)",
)
for _bad in ([], [1, 2, 3]):
    for _q in (50,) if not _bad else (-1, 100.5):
        try:
            nearest_rank(_bad, _q)
        except ValueError:
            pass
        else:
            raise AssertionError(f"nearest_rank({_bad}, {_q}) should raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## Part 2: the fleet p99 from per-host histograms (3 points)
#
# Three web hosts each keep an HdrHistogram of request latencies, recorded in
# **microseconds**. The dashboard shows the average of the three hosts' p99s. Write
# `fleet_p99_ms`, which merges the histograms and returns the p99 of all requests in
# **milliseconds**, without changing the histograms it is given.


# %% nbgrader={"grade": false, "grade_id": "fleet_setup", "locked": true, "schema_version": 3, "solution": false}
def host_histograms(seed=7):
    """Per-host latency histograms (microseconds) and the raw latencies (ms) behind them."""
    rng = np.random.default_rng(seed)
    raw_ms = {
        "web-1": rng.lognormal(np.log(20), 0.4, 6000),
        "web-2": rng.lognormal(np.log(22), 0.4, 3600),
        # web-3 takes little traffic, but a slow dependency stalls a quarter of it.
        "web-3": np.concatenate(
            [rng.lognormal(np.log(25), 0.4, 180), rng.lognormal(np.log(900), 0.2, 60)]
        ),
    }
    hists = {}
    for host, latencies_ms in raw_ms.items():
        hist = HdrHistogram(1, 60_000_000, 3)
        for value_ms in latencies_ms:
            hist.record_value(int(round(value_ms * 1000)))
        hists[host] = hist
    return hists, raw_ms


hists, raw_ms = host_histograms()
per_host_p99_ms = {h: hist.get_value_at_percentile(99) / 1000 for h, hist in hists.items()}
print("per-host p99 (ms):", {h: round(v, 1) for h, v in per_host_p99_ms.items()})
print(
    "the dashboard's 'p99' (average of the three):",
    round(np.mean(list(per_host_p99_ms.values())), 1),
)


# %% nbgrader={"grade": false, "grade_id": "fleet_p99", "locked": false, "schema_version": 3, "solution": true}
def fleet_p99_ms(host_hists):
    """The p99, in ms, of all requests recorded in `host_hists` (name -> HdrHistogram in µs)."""
    ### BEGIN SOLUTION
    # Percentiles do not average; counts do. Add the histograms into a fresh one.
    merged = HdrHistogram(1, 60_000_000, 3)
    for hist in host_hists.values():
        merged.add(hist)
    return merged.get_value_at_percentile(99) / 1000
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_fleet_p99", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""fleet_p99_ms merges histograms instead of averaging percentiles"""
hists, raw_ms = host_histograms()
average_of_p99s_ms = np.mean([h.get_value_at_percentile(99) / 1000 for h in hists.values()])
pooled_ms = np.concatenate(list(raw_ms.values()))
want = float(np.sort(pooled_ms)[math.ceil(0.99 * len(pooled_ms)) - 1])
got = fleet_p99_ms(hists)
checks.assert_differs(
    got,
    average_of_p99s_ms,
    what="fleet_p99_ms(hists)",
    why="the average of the hosts' p99s: percentiles of different hosts cannot be averaged",
)
# HdrHistogram keeps 3 significant digits, so allow 0.2 %.
checks.assert_close(got, want, what="fleet_p99_ms(hists)", rel=2e-3)
### BEGIN HIDDEN TESTS
_hists, _raw = host_histograms(seed=99)
_counts = {h: hist.get_total_count() for h, hist in _hists.items()}
_pooled = np.sort(np.concatenate(list(_raw.values())))
checks.assert_close(
    fleet_p99_ms(_hists),
    float(_pooled[math.ceil(0.99 * len(_pooled)) - 1]),
    what="fleet_p99_ms(<hosts, seed 99>)",
    rel=2e-3,
)
assert {h: hist.get_total_count() for h, hist in _hists.items()} == _counts, (
    "fleet_p99_ms changed the histograms it was given (HdrHistogram.add adds into the "
    "histogram it is called on): add them into a new HdrHistogram"
)
# Another fleet shape: one busy host, slow this time, and an idle one that recorded nothing.
_busy = HdrHistogram(1, 60_000_000, 3)
for _v in np.random.default_rng(5).lognormal(np.log(300), 0.3, 2000):
    _busy.record_value(int(round(_v * 1000)))
_fleet = {"busy": _busy, "idle": HdrHistogram(1, 60_000_000, 3), "web-1": _hists["web-1"]}
_all = np.sort(
    np.concatenate([np.random.default_rng(5).lognormal(np.log(300), 0.3, 2000), _raw["web-1"]])
)
checks.assert_close(
    fleet_p99_ms(_fleet),
    float(_all[math.ceil(0.99 * len(_all)) - 1]),
    what="fleet_p99_ms(<a busy slow host, an idle host with no requests, a fast host>)",
    rel=2e-3,
)
### END HIDDEN TESTS

# %% [markdown]
# ## Part 3: what a million requests cost (2 points)
#
# An instance costs `cost_usd_per_hour` whether it is busy or not, and can serve
# `capacity_rps` requests per second at most. Run at `utilisation` (0 < u <= 1) of that
# capacity, it serves `capacity_rps * utilisation` requests per second.
#
# Write `cost_per_million_usd`, the cost of serving one million requests, and
# `monthly_cost_usd`: the bill for a 730-hour month when the fleet is sized (whole
# instances) so that each instance runs at no more than `target_utilisation` at
# `peak_rps`. Both raise ValueError on a non-positive price, capacity or load, or a
# utilisation outside (0, 1].

# %% nbgrader={"grade": false, "grade_id": "cost", "locked": false, "schema_version": 3, "solution": true}
from tradeoffs.prices import HOURS_PER_MONTH  # 730 hours: the price book's month


def cost_per_million_usd(cost_usd_per_hour, capacity_rps, utilisation):
    """USD per one million requests for an instance run at `utilisation` of its capacity."""
    ### BEGIN SOLUTION
    if cost_usd_per_hour <= 0 or capacity_rps <= 0:
        raise ValueError("price and capacity must be positive")
    if not 0 < utilisation <= 1:
        raise ValueError(f"utilisation must be within (0, 1], got {utilisation}")
    # Idle capacity is paid for too: divide by the requests actually served.
    requests_per_hour = capacity_rps * utilisation * 3600
    return cost_usd_per_hour / requests_per_hour * 1_000_000
    ### END SOLUTION


def monthly_cost_usd(peak_rps, capacity_rps, target_utilisation, cost_usd_per_hour):
    """USD per 730-hour month for the fewest instances that keep each at or under the target."""
    ### BEGIN SOLUTION
    if min(peak_rps, capacity_rps, cost_usd_per_hour) <= 0:
        raise ValueError("load, capacity and price must be positive")
    if not 0 < target_utilisation <= 1:
        raise ValueError(f"target_utilisation must be within (0, 1], got {target_utilisation}")
    # A fraction of an instance cannot be rented: round up.
    instances = math.ceil(peak_rps / (capacity_rps * target_utilisation))
    return instances * cost_usd_per_hour * HOURS_PER_MONTH
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_cost", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""cost per million requests accounts for utilisation; the fleet is sized in whole instances"""
checks.assert_close(
    cost_per_million_usd(0.192, 400, 0.6),
    0.192 / (400 * 0.6 * 3600) * 1e6,
    what="cost_per_million_usd(0.192, 400, 0.6)",
    rel=1e-6,
)
checks.assert_close(
    monthly_cost_usd(1000, 400, 0.6, 0.192),
    5 * 0.192 * 730,
    what="monthly_cost_usd(peak_rps=1000, capacity_rps=400, target_utilisation=0.6, cost_usd_per_hour=0.192)",
    rel=1e-6,
)
### BEGIN HIDDEN TESTS
checks.assert_close(
    monthly_cost_usd(960, 400, 0.6, 0.5),
    4 * 0.5 * 730,
    what="monthly_cost_usd(960, 400, 0.6, 0.5)",
    rel=1e-6,
)
for _args in [(0.192, 400, 0), (0.192, 400, 1.2), (0, 400, 0.5), (0.192, -1, 0.5)]:
    try:
        cost_per_million_usd(*_args)
    except ValueError:
        pass
    else:
        raise AssertionError(f"cost_per_million_usd{_args} should raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## Part 4: precision and recall at a threshold (2 points)
#
# A fraud model gives each transaction a score; transactions scoring **at or above** the
# threshold are flagged. `y_true` holds 1 for fraud and 0 for a legitimate transaction.
# Return `(precision, recall)` as floats. When nothing is flagged, precision is 0.0; when
# there is no fraud at all, recall is 0.0. Raise ValueError when the two inputs differ in
# length.


# %% nbgrader={"grade": false, "grade_id": "precision_recall", "locked": false, "schema_version": 3, "solution": true}
def precision_recall_at(y_true, scores, threshold):
    """(precision, recall) when every score >= `threshold` is flagged as fraud."""
    ### BEGIN SOLUTION
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape:
        raise ValueError(f"{len(y)} labels but {len(s)} scores")
    flagged = s >= threshold
    tp = int(np.sum(flagged & y))
    precision = tp / int(flagged.sum()) if flagged.any() else 0.0
    recall = tp / int(y.sum()) if y.any() else 0.0
    return precision, recall
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_precision_recall", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""precision_recall_at flags scores at or above the threshold"""
y_true = [1, 0, 1, 1, 0, 0, 0, 1, 0, 0]
scores = [0.9, 0.8, 0.5, 0.3, 0.5, 0.1, 0.2, 0.7, 0.05, 0.6]
# Flagged at 0.5: 0.9 (fraud), 0.8, 0.5 (fraud), 0.5, 0.7 (fraud), 0.6 -> 3 of 6; 3 of 4 frauds.
checks.assert_close(
    precision_recall_at(y_true, scores, 0.5),
    (0.5, 0.75),
    what="precision_recall_at(y_true, scores, 0.5)",
)
### BEGIN HIDDEN TESTS
checks.assert_close(
    precision_recall_at(y_true, scores, 0.95),
    (0.0, 0.0),
    what="precision_recall_at(y_true, scores, 0.95) (nothing flagged)",
)
checks.assert_close(
    precision_recall_at(np.array([0, 0, 1]), np.array([0.2, 0.4, 0.4]), 0.4),
    (0.5, 1.0),
    what="precision_recall_at(np.array([0, 0, 1]), np.array([0.2, 0.4, 0.4]), 0.4)",
)
try:
    precision_recall_at([1, 0], [0.5], 0.5)
except ValueError:
    pass
else:
    raise AssertionError("precision_recall_at([1, 0], [0.5], 0.5) should raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## Part 5: the cheapest threshold (3 points)
#
# Fraud is rare (0.8 % of transactions here), so accuracy says little: flagging nothing is
# 99.2 % accurate. What the business pays is the cost of mistakes: reviewing a flagged
# legitimate transaction costs `cost_fp_usd`, and a fraud that is not flagged costs
# `cost_fn_usd`.
#
# Write `cheapest_threshold`: among the thresholds worth trying (every distinct score, plus
# `math.inf`, which flags nothing), return `(threshold, total_cost_usd)` for the one with
# the lowest total cost. When several tie, return the highest such threshold.


# %% nbgrader={"grade": false, "grade_id": "fraud_setup", "locked": true, "schema_version": 3, "solution": false}
def fraud_scores(seed=11, n=5000, fraud_rate=0.008):
    """Labels (1 = fraud) and model scores for `n` synthetic transactions."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < fraud_rate).astype(int)
    s = np.where(y == 1, rng.beta(5, 2, n), rng.beta(1.2, 6, n)).round(3)
    return y, s


y_fraud, s_fraud = fraud_scores()
print(f"{y_fraud.sum()} frauds in {len(y_fraud)} transactions")


# %% nbgrader={"grade": false, "grade_id": "cheapest", "locked": false, "schema_version": 3, "solution": true}
def cheapest_threshold(y_true, scores, cost_fp_usd, cost_fn_usd):
    """(threshold, total cost in USD) of the cheapest threshold; ties go to the highest."""
    ### BEGIN SOLUTION
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=float)
    # Sweep thresholds from high to low: each step flags one more distinct score.
    candidates = [math.inf, *sorted(set(s.tolist()), reverse=True)]
    best = None
    for threshold in candidates:
        flagged = s >= threshold
        cost = cost_fp_usd * int(np.sum(flagged & ~y)) + cost_fn_usd * int(np.sum(~flagged & y))
        if best is None or cost < best[1]:
            best = (threshold, float(cost))
    return best
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_cheapest", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""cheapest_threshold minimises the cost of mistakes, not accuracy or F1"""
checks.assert_close(
    cheapest_threshold([0, 1, 0, 1, 0], [0.1, 0.4, 0.45, 0.8, 0.3], 1.0, 10.0),
    (0.4, 1.0),
    what="cheapest_threshold([0, 1, 0, 1, 0], [0.1, 0.4, 0.45, 0.8, 0.3], cost_fp_usd=1, cost_fn_usd=10)",
)
checks.assert_close(
    cheapest_threshold([0, 0, 1], [0.9, 0.8, 0.1], 5.0, 1.0),
    (math.inf, 1.0),
    what="cheapest_threshold([0, 0, 1], [0.9, 0.8, 0.1], cost_fp_usd=5, cost_fn_usd=1)",
)
### BEGIN HIDDEN TESTS
_y, _s = fraud_scores(seed=11)
checks.assert_close(
    cheapest_threshold(_y, _s, 5.0, 200.0),
    (0.467, 1205.0),
    what="cheapest_threshold(<5000 transactions>, cost_fp_usd=5, cost_fn_usd=200)",
)
_y, _s = fraud_scores(seed=3, n=3000)
_best = min(
    (5.0 * np.sum((_s >= t) & (_y == 0)) + 200.0 * np.sum((_s < t) & (_y == 1)), -t)
    for t in [math.inf, *set(_s.tolist())]
)
checks.assert_close(
    cheapest_threshold(_y, _s, 5.0, 200.0),
    (-_best[1], float(_best[0])),
    what="cheapest_threshold(<3000 transactions, seed 3>, cost_fp_usd=5, cost_fn_usd=200)",
)
checks.assert_close(
    cheapest_threshold([0, 1], [0.5, 0.5], 1.0, 1.0),
    (math.inf, 1.0),
    what="cheapest_threshold([0, 1], [0.5, 0.5], 1, 1) (a tie goes to the highest threshold)",
)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_dashboard", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# ## Part 6 (written, graded by hand, 3 points)
#
# Your team's dashboard shows a "p99" of about 500 ms: the average of the three hosts'
# p99s from Part 2. Work out the fleet's p99 **and p99.9** from the merged histograms (your
# `fleet_p99_ms` shows how). Then, in four to six sentences: what each of the two numbers
# tells the team about their users; why the dashboard's number is wrong (in which
# direction, and could it be wrong the other way?); what they should change in how latency
# is collected; and one thing the histogram approach costs them.
#
# ### BEGIN SOLUTION
# **Mark scheme** (3 points):
# - The fleet values from the merged histograms, about 60 ms at p99 and about 1.1 s at p99.9, each read correctly: 99% of requests are fast, but about 0.6% (the stalled quarter of web-3's traffic) take around a second.
# - Why the average of p99s is wrong: it weights each host equally whatever its traffic (web-3 serves 2.4% of requests), so here it overstates the fleet p99 by about eight times and understates the p99.9; with a slow busy host and fast idle ones it would understate the p99; percentiles of parts cannot be combined.
# - The fix and its cost: export histograms (HdrHistogram or Prometheus buckets) and merge counts; costs more series per host, precision limited by the buckets or significant digits, and a fleet number that hides one bad host (keep per-host views).
#
# **Model answer.** Merged, the fleet's p99 is about 60 ms and its p99.9 about 1.1 s: 99% of
# requests are quick, but one request in about 160 (the quarter of web-3's traffic that
# waits on a slow dependency) takes a second, which the p99 alone hides and the p99.9
# shows. The dashboard's 500 ms is the mean of 50, 54 and about 1,400 ms: it gives web-3,
# which serves 2.4% of the requests, a third of the weight, so it overstates the fleet's p99
# eightfold while saying nothing true about the slow hump; with a slow busy host and fast
# idle ones it would understate instead. Percentiles of parts cannot be combined, but
# histogram counts add: each host should export a histogram (HdrHistogram or Prometheus
# buckets) and the fleet percentiles come from the merged counts. It costs more data per host
# (a series per bucket), precision limited by the bucket layout or the significant digits,
# and a fleet figure can hide one sick host, so keep per-host panels for debugging.
# ### END SOLUTION
