# %% [markdown]
# # Exercise 06: choose a fraud model under a latency budget
#
# The card issuer of the lesson scores every payment in real time. You price its
# decisions, choose thresholds that minimise what fraud costs, pick a model under a
# latency budget, tune the cascade's escalation band, and put an interval on the saving
# before you recommend anything. Six graded parts of rising difficulty and a written memo.
#
# Your functions take and return plain data: arrays of scores, labels and amounts,
# thresholds, a band, a name. Whatever is graded as a measurement (a cost, a p99, an
# escalation rate) is measured by the tests themselves from the decisions your functions
# return, with the lab's own models and timings. Write your code where it says
# `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line), then run the test
# cell below it. Check your work at any time with the **Validate** button, or from a
# terminal: `tradeoffs check exercises/06_fraud`.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import math

import numpy as np
from scipy import stats  # noqa: F401  (yours to use)

from tradeoffs import checks, metrics
from tradeoffs.labs.fraud import CostModel, cost_breakdown, exercise

COSTS = CostModel()
case = exercise.scores_case()
val, test = case["val"], case["test"]
print(COSTS)
print(
    f"validation week: {val['is_fraud'].size:,} transactions, {val['is_fraud'].mean():.2%} "
    f"fraud; test week: {test['is_fraud'].size:,}, {test['is_fraud'].mean():.2%} fraud"
)
print(
    "scores: probabilities of fraud from", [k for k in val if k not in ("is_fraud", "amount_usd")]
)

# %% [markdown]
# ## Part 1: the expected cost of a threshold (4 points)
#
# Write `expected_cost(scores, is_fraud, amounts, threshold, cpu_ms, costs)`. A
# transaction is **flagged** when its score is at or above `threshold`. With `costs` a
# `CostModel` (fields `review_usd`, `friction_usd`, `loss_share`, `usd_per_vcpu_hour`,
# `utilisation`), return a dict of five floats (US dollars):
#
# - `"fraud_loss_usd"`: `loss_share` times the amounts of the frauds that were **not**
#   flagged;
# - `"review_usd"`: `review_usd` for every flagged transaction, fraud or not;
# - `"friction_usd"`: `friction_usd` for every flagged **legitimate** transaction;
# - `"infra_usd"`: the compute that scored **every** transaction: `cpu_ms` milliseconds of
#   one vCPU each, at `usd_per_vcpu_hour`, divided by `utilisation` (the fleet is paid for
#   whether busy or idle);
# - `"total_usd"`: the sum of the four.


# %% nbgrader={"grade": false, "grade_id": "expected_cost", "locked": false, "schema_version": 3, "solution": true}
def expected_cost(scores, is_fraud, amounts, threshold, cpu_ms, costs):
    """The cost in USD of flagging scores >= threshold, by component, and the total."""
    ### BEGIN SOLUTION
    # Every transaction is scored (and paid for), whatever the decision.
    scores = np.asarray(scores, dtype=float)
    fraud = np.asarray(is_fraud, dtype=bool)
    amounts = np.asarray(amounts, dtype=float)
    flagged = scores >= threshold
    out = {
        "fraud_loss_usd": float(costs.loss_share * amounts[fraud & ~flagged].sum()),
        "review_usd": float(costs.review_usd * flagged.sum()),
        "friction_usd": float(costs.friction_usd * (flagged & ~fraud).sum()),
        "infra_usd": scores.size * cpu_ms / 3.6e6 * costs.usd_per_vcpu_hour / costs.utilisation,
    }
    out["total_usd"] = sum(out.values())
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_expected_cost", "locked": true, "points": 4, "schema_version": 3, "solution": false}
"""expected_cost gives the exact loss, review, friction, compute and total of a threshold"""


from tradeoffs.labs.fraud import CostModel, exercise


def _check_cost(got, scores, y, amounts, threshold, cpu_ms, costs, label):
    want = cost_breakdown(np.asarray(scores) >= threshold, y, amounts, cpu_ms, costs).as_dict()
    assert isinstance(got, dict) and set(got) == set(want), (
        f"{label} returned {got!r:.120}; expected a dict with the keys {sorted(want)}"
    )
    if want["infra_usd"] > 0 and got["infra_usd"] == 0:
        raise AssertionError(
            f"{label}: infra_usd is 0, expected {want['infra_usd']:.3g}: every scored "
            f"transaction costs {cpu_ms} ms of CPU, flagged or not"
        )
    for key in want:
        checks.assert_close(got[key], want[key], rel=1e-9, abs=1e-12, what=f"{label}[{key!r}]")


_small = exercise.small_cost_case()
_got = expected_cost(
    _small["scores"], _small["is_fraud"], _small["amount_usd"], 0.3, 2.0, CostModel()
)
# Flagged: 0.9 0.8 0.6 0.3 0.3 (five reviews, two of them legitimate); missed frauds 35.25.
checks.assert_close(
    _got["fraud_loss_usd"], 35.25, what="expected_cost(<8 transactions>, 0.3)['fraud_loss_usd']"
)
checks.assert_close(
    _got["review_usd"], 20.0, what="expected_cost(<8 transactions>, 0.3)['review_usd']"
)
checks.assert_close(
    _got["friction_usd"], 20.0, what="expected_cost(<8 transactions>, 0.3)['friction_usd']"
)
_check_cost(
    _got,
    _small["scores"],
    _small["is_fraud"],
    _small["amount_usd"],
    0.3,
    2.0,
    CostModel(),
    "expected_cost(<8 transactions>, threshold=0.3, cpu_ms=2.0)",
)
_val = exercise.scores_case()["val"]
_check_cost(
    expected_cost(_val["logistic"], _val["is_fraud"], _val["amount_usd"], 0.1, 0.3, CostModel()),
    _val["logistic"],
    _val["is_fraud"],
    _val["amount_usd"],
    0.1,
    0.3,
    CostModel(),
    "expected_cost(<validation week, logistic>, threshold=0.1, cpu_ms=0.3)",
)
### BEGIN HIDDEN TESTS
for _name, _scores, _t, _cpu in (
    ("half loss", _val["forest"], float(np.sort(_val["forest"])[-150]), 2.0),
    ("cheap review", _val["logistic"], math.inf, 0.5),
    ("default", _val["forest"], 0.0, 0.0),
):
    _costs = exercise.costs_for(_name)
    _check_cost(
        expected_cost(_scores, _val["is_fraud"], _val["amount_usd"], _t, _cpu, _costs),
        _scores,
        _val["is_fraud"],
        _val["amount_usd"],
        _t,
        _cpu,
        _costs,
        f"expected_cost(<validation week>, threshold={_t:.6g}, cpu_ms={_cpu}, costs={_name!r})",
    )
### END HIDDEN TESTS

# %% [markdown]
# ## Part 2: thresholds that minimise the cost (3 + 3 points)
#
# **(a)** Write `best_threshold(scores, is_fraud, amounts, costs)`: the threshold with
# the lowest expected cost on these labelled transactions. Candidates are every distinct
# score and `math.inf` (flag nothing). If several thresholds cost the same, return the
# **highest** of them (fewest reviews). Compute does not depend on the threshold, so
# leave it out (`cpu_ms=0`). Make it fast enough for a few tens of thousands of
# transactions (sort once; a loop calling `expected_cost` for every candidate is too slow).
#
# **(b)** Write `bayes_flags(proba, amounts, costs)`: decide each transaction from its
# probability of fraud `p` and its amount `a`. Letting it through costs
# `p * loss_share * a` on average; flagging it costs `review_usd + (1 - p) * friction_usd`.
# Flag it (True) when letting it through costs **strictly more**. Return one bool per
# transaction.


# %% nbgrader={"grade": false, "grade_id": "best_threshold", "locked": false, "schema_version": 3, "solution": true}
def best_threshold(scores, is_fraud, amounts, costs):
    """The cost-minimising threshold (the highest one among equal costs)."""
    ### BEGIN SOLUTION
    # Sort once, highest score first: flagging the k top scores has a cumulative cost.
    scores = np.asarray(scores, dtype=float)
    fraud = np.asarray(is_fraud, dtype=bool)
    amounts = np.asarray(amounts, dtype=float)
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    caught = np.concatenate(([0.0], np.cumsum(np.where(fraud[order], amounts[order], 0.0))))
    false_pos = np.concatenate(([0], np.cumsum(~fraud[order])))
    k = np.arange(s.size + 1)
    cost = costs.loss_share * (caught[-1] - caught) + costs.review_usd * k
    cost = cost + costs.friction_usd * false_pos
    # Only the end of a run of equal scores is a threshold: ties are flagged together.
    ends = np.concatenate(([0], np.flatnonzero(np.diff(s) != 0) + 1, [s.size]))
    best = int(ends[np.argmin(cost[ends])])
    return math.inf if best == 0 else float(s[best - 1])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_best_threshold", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""best_threshold reaches the lowest cost, beats the default 0.5 on the test week, and breaks ties upwards"""
import math

import numpy as np

from tradeoffs import checks
from tradeoffs.labs.fraud import CostModel, exercise
from tradeoffs.labs.fraud import best_threshold as _lab_best
from tradeoffs.labs.fraud import expected_cost as _lab_cost


def _check_threshold(got, scores, y, amounts, costs, label):
    assert isinstance(got, int | float) and not isinstance(got, bool), (
        f"{label} returned {got!r}, not a number"
    )
    want_t, want_cost = _lab_best(scores, y, amounts, costs)
    got_cost = _lab_cost(scores, y, amounts, got, 0.0, costs).total_usd
    if got == 0.5 and want_t != 0.5:
        raise AssertionError(
            f"{label} returned 0.5, the default threshold: it costs ${got_cost:,.2f}, the best "
            f"threshold ({want_t:.4g}) ${want_cost:,.2f}. Search the thresholds for the lowest cost."
        )
    checks.assert_close(
        got_cost, want_cost, rel=1e-9, what=f"the cost (USD) at {label}'s threshold {got!r}"
    )
    return got


_case = exercise.scores_case()
_val, _test = _case["val"], _case["test"]
_t = _check_threshold(
    best_threshold(_val["forest"], _val["is_fraud"], _val["amount_usd"], CostModel()),
    _val["forest"],
    _val["is_fraud"],
    _val["amount_usd"],
    CostModel(),
    "best_threshold(<validation week, forest>)",
)
_lr = best_threshold(_val["logistic"], _val["is_fraud"], _val["amount_usd"], CostModel())
for _name, _thr in (("forest", _t), ("logistic", _lr)):
    _at_best = _lab_cost(
        _test[_name], _test["is_fraud"], _test["amount_usd"], _thr, 0.0, CostModel()
    ).per_1000_usd
    _at_half = _lab_cost(
        _test[_name], _test["is_fraud"], _test["amount_usd"], 0.5, 0.0, CostModel()
    ).per_1000_usd
    print(
        f"test week, {_name}: ${_at_best:,.2f} per 1,000 at your threshold {_thr:.4f}, ${_at_half:,.2f} at 0.5"
    )
# Ties: flagging 0.6 costs a review (4) and saves 4 of loss: equal costs, so the higher threshold.
checks.assert_equal(
    best_threshold([0.9, 0.6, 0.2], [True, True, False], [50.0, 4.0, 10.0], CostModel()),
    0.9,
    what="best_threshold([0.9, 0.6, 0.2], [True, True, False], [50, 4, 10]) (0.6 and 0.9 cost the same)",
)
### BEGIN HIDDEN TESTS
_check_threshold(
    best_threshold(
        _val["logistic"], _val["is_fraud"], _val["amount_usd"], exercise.costs_for("cheap review")
    ),
    _val["logistic"],
    _val["is_fraud"],
    _val["amount_usd"],
    exercise.costs_for("cheap review"),
    "best_threshold(<validation week, logistic>, cheap review)",
)
checks.assert_equal(
    best_threshold([0.3, 0.2, 0.2, 0.1], [False] * 4, [10.0, 20.0, 30.0, 40.0], CostModel()),
    math.inf,
    what="best_threshold(<no fraud at all>) (flag nothing: math.inf)",
)
checks.assert_equal(
    best_threshold([0.7, 0.2, 0.2, 0.1], [True] * 4, [500.0, 90.0, 80.0, 70.0], CostModel()),
    0.1,
    what="best_threshold(<all fraud, large amounts>) (flag everything: the lowest score)",
)
checks.assert_equal(
    best_threshold(
        [0.8, 0.4, 0.4, 0.1], [True, True, False, False], [100.0, 30.0, 20.0, 5.0], CostModel()
    ),
    0.4,
    what="best_threshold([0.8, 0.4, 0.4, 0.1], ...) (the two 0.4s are flagged together)",
)
### END HIDDEN TESTS


# %% nbgrader={"grade": false, "grade_id": "bayes_flags", "locked": false, "schema_version": 3, "solution": true}
def bayes_flags(proba, amounts, costs):
    """True where letting the transaction through costs more than flagging it."""
    ### BEGIN SOLUTION
    # The threshold depends on the amount: a $2,000 payment is worth a review at p = 1%.
    p = np.asarray(proba, dtype=float)
    a = np.asarray(amounts, dtype=float)
    return p * costs.loss_share * a > costs.review_usd + (1 - p) * costs.friction_usd
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_bayes_flags", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""bayes_flags matches the expected-cost rule (amount-dependent, strict) and costs less than 0.5"""
import numpy as np

from tradeoffs import checks
from tradeoffs.labs.fraud import CostModel, exercise
from tradeoffs.labs.fraud import bayes_flags as _lab_bayes


def _check_flags(got, p, a, costs, label):
    got = np.asarray(checks.plain(got, what=f"{label} returned a value that"))
    assert got.shape == np.shape(p), (
        f"{label} returned {got.size} decisions for {np.size(p)} transactions"
    )
    want = _lab_bayes(p, a, costs)
    margin = np.asarray(p) * (costs.loss_share * np.asarray(a) + costs.friction_usd) - (
        costs.review_usd + costs.friction_usd
    )
    wrong = np.flatnonzero((got.astype(bool) != want) & (np.abs(margin) > 1e-9))
    if wrong.size:
        i = int(wrong[0])
        raise AssertionError(
            f"{label}: {wrong.size} decisions differ from the expected-cost rule, e.g. p={p[i]:.4g}, "
            f"amount={a[i]:.2f}: flagging costs {costs.review_usd + (1 - p[i]) * costs.friction_usd:.4f}, "
            f"letting it through {p[i] * costs.loss_share * a[i]:.4f}, so flag={bool(want[i])}"
        )
    return got.astype(bool)


_test = exercise.scores_case()["test"]
_flags = _check_flags(
    bayes_flags(_test["logistic"], _test["amount_usd"], CostModel()),
    _test["logistic"],
    _test["amount_usd"],
    CostModel(),
    "bayes_flags(<test week, logistic>)",
)
_cost = cost_breakdown(
    _flags, _test["is_fraud"], _test["amount_usd"], 0.0, CostModel()
).per_1000_usd
_half = cost_breakdown(
    _test["logistic"] >= 0.5, _test["is_fraud"], _test["amount_usd"], 0.0, CostModel()
).per_1000_usd
print(f"test week, logistic: ${_cost:,.2f} per 1,000 with your decisions, ${_half:,.2f} at 0.5")
assert _cost < _half, f"your decisions cost ${_cost:,.2f} per 1,000, no better than the default 0.5"
# At p = 0.5 and $18, both options cost $9 (4 + 0.5 * 10 = 0.5 * 18): not flagged.
checks.assert_equal(
    [
        bool(v)
        for v in bayes_flags(
            np.array([0.5, 0.5, 0.02]), np.array([18.0, 18.5, 2000.0]), CostModel()
        )
    ],
    [False, True, True],
    what="bayes_flags([0.5, 0.5, 0.02], [18, 18.5, 2000]) (at $18 both cost $9: strictly more to flag)",
)
### BEGIN HIDDEN TESTS
_half_loss = exercise.costs_for("half loss")
_check_flags(
    bayes_flags(_test["forest"], _test["amount_usd"], _half_loss),
    _test["forest"],
    _test["amount_usd"],
    _half_loss,
    "bayes_flags(<test week, forest>, half loss)",
)
checks.assert_equal(
    [bool(v) for v in bayes_flags(np.array([0.5, 0.51]), np.array([54.0, 54.0]), _half_loss)],
    [False, True],
    what="bayes_flags([0.5, 0.51], [54, 54], half loss) (at p = 0.5 both cost $13.50)",
)
checks.assert_equal(
    [
        bool(v)
        for v in bayes_flags(
            np.array([0.99, 0.9]), np.array([0.0, 5000.0]), CostModel(loss_share=0.0)
        )
    ],
    [False, False],
    what="bayes_flags(...) when missed fraud costs nothing (loss_share=0): flag nothing",
)
### END HIDDEN TESTS

# %% [markdown]
# ## Part 3: choose a model under a latency budget (4 points)
#
# `exercise.latency_case()` holds five candidates, each with its validation-week
# `"scores"`, `"latency_ms"` (one-row calls as the service makes them, measured just now
# on your machine: one transaction per call, warm, one thread), `"cpu_ms"` (CPU time per
# call) and `"batch_ms_per_row"` (the time per row when scoring 5,000 rows in one call).
#
# Write `choose_model(candidates, is_fraud, amounts, costs, budget_p99_ms)`: among the
# candidates whose **per-request** p99 (the nearest-rank 99th percentile,
# `metrics.percentile(latency_ms, 99)`) is at most `budget_p99_ms`, return the name of
# the one with the lowest expected total cost on these transactions, each at its own best
# threshold (Part 2a) and with its own compute (Part 1). Return `None` if no candidate
# meets the budget. Among equal costs, keep the first in the order given.

# %%
latency = exercise.latency_case()
for name, c in latency["candidates"].items():
    print(
        f"{name:14} p50 {metrics.percentile(c['latency_ms'], 50):8.4f} ms  "
        f"p99 {metrics.percentile(c['latency_ms'], 99):8.4f} ms  cpu {c['cpu_ms']:.4f} ms  "
        f"batch {c['batch_ms_per_row']:.5f} ms/row"
    )


# %% nbgrader={"grade": false, "grade_id": "choose_model", "locked": false, "schema_version": 3, "solution": true}
def choose_model(candidates, is_fraud, amounts, costs, budget_p99_ms):
    """The cheapest candidate whose one-row p99 meets the budget, or None."""
    ### BEGIN SOLUTION
    # A request scores one row: the batch time per row is not anyone's latency.
    best = None
    for name, c in candidates.items():
        if metrics.percentile(c["latency_ms"], 99) > budget_p99_ms:
            continue
        t = best_threshold(c["scores"], is_fraud, amounts, costs)
        total = expected_cost(c["scores"], is_fraud, amounts, t, c["cpu_ms"], costs)["total_usd"]
        if best is None or total < best[0]:
            best = (total, name)
    return None if best is None else best[1]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_choose_model", "locked": true, "points": 4, "schema_version": 3, "solution": false}
"""choose_model picks the cheapest model (cost, not accuracy, compute included) whose one-row p99 is at most the budget (equal to it included), the first of equal costs"""
import numpy as np

from tradeoffs import checks, metrics
from tradeoffs.labs.fraud import CostModel, exercise

_case = exercise.latency_case()


def _check_choice(case, budget, label):
    got = choose_model(
        case["candidates"], case["is_fraud"], case["amount_usd"], CostModel(), budget
    )
    want = exercise.reference_choice(case, budget, CostModel())
    label = f"{label} with budget_p99_ms={budget:.4g}"
    if got == want:
        return got
    cand = case["candidates"]
    if got in cand and metrics.percentile(cand[got]["latency_ms"], 99) > budget:
        raise AssertionError(
            f"{label} returned {got!r}, whose one-row p99 is "
            f"{metrics.percentile(cand[got]['latency_ms'], 99):.4g} ms, over the budget: a "
            f"request scores one transaction ({cand[got]['batch_ms_per_row']:.4g} ms per row "
            "is a batch job's figure, and the mean or median is not the p99)"
        )
    accuracy, total = {}, {}
    for name, c in cand.items():
        t, decision = _lab_best(c["scores"], case["is_fraud"], case["amount_usd"], CostModel())
        accuracy[name] = float(((np.asarray(c["scores"]) >= t) == case["is_fraud"]).mean())
        total[name] = decision + len(case["is_fraud"]) * c["cpu_ms"] / 3.6e6 * (
            CostModel().usd_per_vcpu_hour / CostModel().utilisation
        )
    hint = ""
    if want in cand and metrics.percentile(cand[want]["latency_ms"], 99) == budget:
        hint += (
            f" {want!r} has a one-row p99 of exactly {budget:.4g} ms, which meets a budget of"
            " at most that."
        )
    if got in cand and want in cand and total[got] == total[want]:
        hint += (
            f" {got!r} and {want!r} cost the same: among equal costs, keep the first in the "
            "order given."
        )
    elif got in cand and want in cand and accuracy[got] > accuracy[want]:
        hint += (
            f" {got!r} is more accurate than {want!r} ({accuracy[got]:.2%} against "
            f"{accuracy[want]:.2%}), but accuracy is not what the decisions cost: rank by "
            "expected cost."
        )
    if {got, want} in ({"forest", "forest lean"}, {"logistic", "logistic lean"}):
        hint += (
            f" Both flag the same transactions, but {want!r} uses less CPU per call "
            f"({cand[want]['cpu_ms']:.4f} vs {cand[got]['cpu_ms']:.4f} ms): include the compute "
            "(infrastructure) cost."
        )
    raise AssertionError(f"{label} returned {got!r}, expected {want!r}.{hint}")


checks.assert_equal(
    _check_choice(_case, 100.0, "choose_model(<five candidates>)"),
    exercise.reference_choice(_case, 100.0, CostModel()),
    what="choose_model(<five candidates>, budget_p99_ms=100)",
)
### BEGIN HIDDEN TESTS
for _budget in _case["budgets_ms"][1:]:
    _check_choice(_case, _budget, "choose_model(<five candidates>)")
# The scenario's trap in miniature: "precise" is the more accurate, "catches big" the cheaper.
_y = np.zeros(1000, dtype=bool)
_y[:10] = True
_amount = np.full(1000, 30.0)
_amount[:5], _amount[5:10] = 5.0, 500.0
_precise = np.zeros(1000)
_precise[:5] = 0.9
_big = np.zeros(1000)
_big[5:30] = 0.7  # the five large frauds among 20 legitimate payments: 97.5% accurate
_fast = {"latency_ms": np.full(200, 0.01), "cpu_ms": 0.01, "batch_ms_per_row": 0.001}
_trap = {
    "is_fraud": _y,
    "amount_usd": _amount,
    "candidates": {
        "precise": {"scores": _precise, **_fast},
        "catches big": {"scores": _big, **_fast},
    },
}
_check_choice(_trap, 100.0, "choose_model(<precise vs catches big>)")
# The budget met exactly: "at most budget_p99_ms" keeps a p99 equal to it.
_at_budget = {"latency_ms": np.full(200, 2.5), "cpu_ms": 0.01, "batch_ms_per_row": 0.001}
_exact = dict(_trap)
_exact["candidates"] = {
    "precise": {"scores": _precise, **_fast},
    "catches big": {"scores": _big, **_at_budget},
}
_check_choice(_exact, 2.5, "choose_model(<the cheaper one's p99 exactly at the budget>)")
# Equal costs: the first in the order given, not the last, nor the first by name.
_tie = dict(_trap)
_tie["candidates"] = {
    "zeta": {"scores": _big, **_fast},
    "alpha": {"scores": _big.copy(), **_fast},
    "precise": {"scores": _precise, **_fast},
}
_check_choice(_tie, 100.0, "choose_model(<'zeta' and 'alpha' cost the same>)")
### END HIDDEN TESTS

# %% [markdown]
# ## Part 4: the cascade's escalation band (5 points)
#
# The cascade scores every transaction with the fast model (the lean logistic regression).
# With a band `(low, high)`: a fast score below `low` lets the transaction through, a
# score at or above `high` flags it, and a score in between (`low <= score < high`) is
# **escalated** to the forest, which flags it when its own score is at least
# `slow_threshold`.
#
# Write `choose_band(fast_scores, slow_scores, is_fraud, amounts, slow_threshold, costs)`
# returning `(low, high)`, chosen on the validation week you are given. The test builds
# the cascade from your band with the lab's models and judges it on the **test week**:
#
# - it must keep at least **half of the forest's saving**: (cost of the logistic
#   regression alone - cost of the cascade) >= 0.5 * (cost of the logistic regression
#   alone - cost of the forest alone), each model alone at its best validation threshold;
# - it must be **fast at the tail**: its p99 one-row latency must be under **half the
#   forest's median**, measured in the same run, as the service calls it.
#
# Think about what the 99th percentile of a mix of fast and slow calls is. The hidden test
# also runs your function on another world, whose fast model gives the same ranking on
# other numbers (fitted with frauds weighted 20 times): choose the band from the scores
# you are given, and escalate at most 1% of that world's test week.


# %% nbgrader={"grade": false, "grade_id": "choose_band", "locked": false, "schema_version": 3, "solution": true}
def choose_band(fast_scores, slow_scores, is_fraud, amounts, slow_threshold, costs):
    """(low, high): escalate fast scores in [low, high) to the slow model."""
    ### BEGIN SOLUTION
    # The p99 stays on the fast path only if well under 1% of transactions escalate:
    # search bands among the top fast scores, escalating at most 0.5%.
    fast = np.asarray(fast_scores, dtype=float)
    slow_flag = np.asarray(slow_scores, dtype=float) >= slow_threshold
    edges = np.unique(np.quantile(fast, np.linspace(0.95, 1.0, 51)))
    best = None
    for i, low in enumerate(edges):
        for high in edges[i:]:
            escalated = (fast >= low) & (fast < high)
            if escalated.mean() > 0.005:
                break
            flags = np.where(escalated, slow_flag, fast >= high)
            cost = expected_cost(flags.astype(float), is_fraud, amounts, 0.5, 0.0, costs)
            if best is None or cost["total_usd"] < best[0]:
                best = (cost["total_usd"], float(low), float(high))
    return best[1], best[2]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_choose_band", "locked": true, "points": 5, "schema_version": 3, "solution": false}
"""the cascade from choose_band keeps half of the forest's saving on the test week, with a p99 under half the forest's median; hidden: also on another world whose fast model is calibrated differently, escalating at most 1%"""
from tradeoffs.labs.fraud import exercise


def _check_band(seed):
    c = exercise.scores_case(seed)
    v = c["val"]
    band = choose_band(
        v["logistic"],
        v["forest"],
        v["is_fraud"],
        v["amount_usd"],
        c["thresholds"]["forest"],
        exercise.costs_for("default"),
    )
    label = f"the cascade with choose_band(...) = {band!r:.60} (seed {seed})"
    r = exercise.cascade_run(band, seed)
    print(
        f"seed {seed}: band {band}, escalates {r['escalation']:.2%} of the test week; per 1,000: logistic "
        f"${r['logistic_per_1000_usd']:.2f}, forest ${r['forest_per_1000_usd']:.2f}, cascade "
        f"${r['cascade_per_1000_usd']:.2f} (keeps {r['kept']:.0%} of the saving); p99 cascade "
        f"{r['cascade_p99_ms']:.4f} ms, forest p50 {r['forest_p50_ms']:.3f} ms"
    )
    assert r["kept"] >= 0.5, (
        f"{label} keeps {r['kept']:.0%} of the forest's saving on the test week (cascade "
        f"${r['cascade_per_1000_usd']:.2f} per 1,000, logistic alone ${r['logistic_per_1000_usd']:.2f}, "
        f"forest alone ${r['forest_per_1000_usd']:.2f}); expected at least 50%"
    )
    assert r["cascade_p99_ms"] < 0.5 * r["forest_p50_ms"], (
        f"{label} has a p99 of {r['cascade_p99_ms']:.3f} ms, not under half the forest's median "
        f"({r['forest_p50_ms']:.3f} ms): it escalated {r['escalation_measured']:.2%} of the measured "
        "transactions, and once more than 1% take the slow path, the 99th percentile is a "
        "slow-path latency. Escalate fewer."
    )


_check_band(exercise.EXERCISE_SEED)
### BEGIN HIDDEN TESTS
# Another world (seed 5) whose fast model was fitted with frauds weighted 20 times: the
# same ranking on other numbers. Judged from stored scores, on cost and on the share
# escalated (over 1%, the p99 is a slow-path latency), without timing.
_w = exercise.recalibrated_case(5, 20.0)
_band = choose_band(
    _w["val"]["logistic"],
    _w["val"]["forest"],
    _w["val"]["is_fraud"],
    _w["val"]["amount_usd"],
    _w["thresholds"]["forest"],
    exercise.costs_for("default"),
)
_r = exercise.band_costs(_band, 5, 20.0)
_label = f"the cascade with choose_band(...) = {_band!r:.60} on another world (recalibrated scores)"
assert _r["kept"] >= 0.5, (
    f"{_label} keeps {_r['kept']:.0%} of the forest's saving on the test week; expected at "
    "least 50% (choose the band from the scores you are given, not from fixed numbers)"
)
assert _r["escalation"] <= 0.01, (
    f"{_label} escalates {_r['escalation']:.2%} of the test week: over 1%, the p99 is a "
    "slow-path latency"
)
### END HIDDEN TESTS

# %% [markdown]
# ## Part 5: an interval over seeds (3 points)
#
# One simulated world is one draw: would the saving hold on another? `exercise.seeds_case()`
# gives the cost per 1,000 test transactions of the logistic regression alone and of the
# cascade on five fresh worlds (seeds 2 to 6), each trained and tuned on its own data.
# The two options were measured on the same worlds, so compare them **paired**.
#
# Write `paired_interval(a, b, confidence)`: the mean of the differences `a - b` and its
# two-sided Student-t confidence interval, `mean ± t * s / sqrt(n)`, where `s` is the
# sample standard deviation of the differences (`ddof=1`) and `t` the
# `(1 + confidence) / 2` quantile of Student's t with `n - 1` degrees of freedom
# (`stats.t.ppf`). Return `(mean, low, high)`. When all the differences are equal
# (`s = 0`) the interval has no width: return `(mean, mean, mean)` (`stats.t.interval`
# with `scale=0` gives `nan` there, so handle that case yourself if you use it).

# %%
seeds = exercise.seeds_case()
print("logistic:", np.round(seeds["logistic"], 1))
print("cascade: ", np.round(seeds["cascade"], 1))


# %% nbgrader={"grade": false, "grade_id": "paired_interval", "locked": false, "schema_version": 3, "solution": true}
def paired_interval(a, b, confidence=0.95):
    """(mean, low, high) of the paired differences a - b, Student-t interval."""
    ### BEGIN SOLUTION
    # Five seeds: t with 4 degrees of freedom (2.78 at 95%), not the normal 1.96.
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    mean = float(d.mean())
    half = stats.t.ppf((1 + confidence) / 2, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    return mean, mean - float(half), mean + float(half)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_paired_interval", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""paired_interval gives the mean difference and its Student-t interval (n - 1 degrees of freedom), and (mean, mean, mean) when all differences are equal"""
from tradeoffs import checks
from tradeoffs.labs.fraud import exercise
from tradeoffs.labs.fraud import paired_interval as _lab_paired


def _check_interval(a, b, confidence, label):
    got = paired_interval(a, b, confidence)
    want = _lab_paired(a, b, confidence)
    checks.assert_close(
        tuple(float(v) for v in got),
        (want.mean, want.low, want.high),
        rel=1e-9,
        abs=1e-9,
        what=label,
    )


_s = exercise.seeds_case()
_check_interval(
    _s["logistic"], _s["cascade"], 0.95, "paired_interval(logistic, cascade, 0.95) over five seeds"
)
_m, _lo, _hi = (float(v) for v in paired_interval(_s["logistic"], _s["cascade"], 0.95))
print(
    f"saving of the cascade: ${_m:.2f} per 1,000 transactions, 95% interval [{_lo:.2f}, {_hi:.2f}]"
)
### BEGIN HIDDEN TESTS
_check_interval(
    [3.0, 5.0, 10.0], [1.0, 2.0, 4.0], 0.9, "paired_interval([3, 5, 10], [1, 2, 4], 0.9)"
)
_check_interval(
    [7.0, 7.5, 8.0, 8.5],
    [6.0, 6.5, 7.0, 7.5],
    0.99,
    "paired_interval(<all differences equal: s = 0, no width>, 0.99)",
)
_check_interval(
    [100.0, 210.0, 150.0, 400.0, 90.0, 300.0],
    [90.0, 205.0, 141.0, 385.0, 86.0, 290.0],
    0.95,
    "paired_interval(<six seeds, large common swing>, 0.95)",
)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_fraud_memo", "locked": false, "points": 5, "schema_version": 3, "solution": true}
# ## Part 6 (written, graded by hand, 5 points)
#
# Write the recommendation memo for the head of payments (six to ten sentences). Say which
# option to run in production (logistic regression, forest, its lean path, or the cascade,
# and at which threshold or band), at what expected cost per 1,000 transactions against
# the alternatives, and at what p99. Quantify the saving per year at 1 million
# transactions a day with its interval over seeds, say what the compute costs in
# comparison, and name the risks: what in your numbers could be wrong, and what you would
# monitor after launch.
#
# ### BEGIN SOLUTION
# Model answer (for the grader): run the cascade: the lean logistic regression on every
# payment, the forest on the fast scores of the chosen band (about 0.5% of payments),
# each at its cost-minimising validation threshold. On the test week (seed 6) it costs
# about $196 per 1,000 payments, against $231 for the logistic regression alone and $206
# for the forest alone (the cascade even beats the forest: the two models err on different
# payments), with a one-row p99 of about 0.02 ms against the forest's 2 ms median and
# 5-15 ms p99, so it stays far inside a 100 ms budget shared with the network and the
# feature store. Over five worlds (seeds 2 to 6) it saves $27.5 per 1,000 against the
# logistic regression, 95% interval about $9 to $46: at 1 million payments a day that is
# about $10 million a year ($3 to $17 million). Compute is a rounding error beside it: a
# forest call costs about 2 ms of CPU, some $60 a year at this volume at cloud prices, and
# the cascade spends it on 0.5% of payments only. Risks: the interval is from simulated
# worlds and five weeks; fraud patterns drift and labels arrive a week late, so the band
# and thresholds age; the forest's probabilities are not calibrated (the Bayes rule would
# need calibration); and the escalation rate can creep past 1%, after which the p99 is
# the forest's. Monitor the escalation rate, the one-row p99 per path, the alert volume
# against review capacity, precision of reviewed alerts, and the confirmed fraud loss per
# week, and retune the band on fresh labelled weeks. Full marks: a clear choice with its
# configuration; cost per 1,000 for it and the alternatives; p99 against the budget; the
# annual saving with its interval; compute priced and compared; at least three concrete
# risks with what to monitor.
# ### END SOLUTION
