# %% [markdown]
# # Exercise 04: SLOs, burn-rate alerts, buckets and a fleet
#
# Five graded parts of rising difficulty and one written answer. Write your code where it
# says `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line), then run the test
# cell below it. Test cells are read-only; some also hold hidden tests that run only when
# your notebook is graded, so handle the cases the docstrings describe.
#
# Your functions receive plain Python values (numbers, lists, dicts) and must return plain
# values too. Check your work at any time with the **Validate** button, or from a terminal:
# `tradeoffs check exercises/04_slo`.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import math
import re

from tradeoffs import checks, metrics, prices, slo
from tradeoffs.slo import exercise
from tradeoffs.slo.promtool import (
    alert_test_yaml,
    check_rules,
    promtool_available,
    run_promtool_test,
)

# %% [markdown]
# ## Part 1: error budgets and burn rates (3 points)
#
# An SLO of `target` (e.g. `0.999`) over `window_days` days. Write:
#
# - `error_budget_minutes(target, window_days)`: the minutes of complete outage the SLO
#   allows over its window;
# - `budget_left(target, good, valid)`: the share of the error budget **not yet spent**
#   after `valid` valid events of which `good` were good (1.0 = untouched, 0.0 = exactly
#   spent, negative = overspent); with no valid events, nothing is spent;
# - `burn_rate(bad, valid, target)`: how many times faster than the SLO allows the budget
#   is being spent over a window with `valid` valid events, `bad` of them bad (0.0 when
#   nothing valid happened).


# %% nbgrader={"grade": false, "grade_id": "budget", "locked": false, "schema_version": 3, "solution": true}
def error_budget_minutes(target, window_days):
    ### BEGIN SOLUTION
    # The budget is the bad share, 1 - target, of every minute of the window.
    return (1 - target) * window_days * 24 * 60
    ### END SOLUTION


def budget_left(target, good, valid):
    ### BEGIN SOLUTION
    if valid == 0:
        return 1.0
    return 1 - (valid - good) / ((1 - target) * valid)
    ### END SOLUTION


def burn_rate(bad, valid, target):
    ### BEGIN SOLUTION
    if valid == 0:
        return 0.0
    return bad / valid / (1 - target)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_budget", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""error_budget_minutes, budget_left and burn_rate agree with the SLO arithmetic"""
checks.assert_close(error_budget_minutes(0.999, 30), 43.2, what="error_budget_minutes(0.999, 30)")
checks.assert_close(error_budget_minutes(0.999, 28), 40.32, what="error_budget_minutes(0.999, 28)")
checks.assert_close(
    budget_left(0.999, 999_500, 1_000_000), 0.5, what="budget_left(0.999, 999_500, 1_000_000)"
)
checks.assert_close(burn_rate(144, 10_000, 0.999), 14.4, what="burn_rate(144, 10_000, 0.999)")
### BEGIN HIDDEN TESTS
checks.assert_close(
    error_budget_minutes(0.9995, 7),
    slo.error_budget_minutes(0.9995, 7),
    what="error_budget_minutes(0.9995, 7)",
)
checks.assert_close(
    budget_left(0.99, 990, 1_000),
    0.0,
    abs=1e-9,
    what="budget_left(0.99, 990, 1_000), spent exactly",
)
checks.assert_close(
    budget_left(0.99, 970, 1_000), -2.0, what="budget_left(0.99, 970, 1_000), overspent"
)
checks.assert_close(
    budget_left(0.999, 0, 0), 1.0, what="budget_left(0.999, 0, 0): nothing valid yet"
)
checks.assert_close(burn_rate(0, 0, 0.999), 0.0, what="burn_rate(0, 0, 0.999): no traffic")
checks.assert_close(burn_rate(50, 1_000, 0.95), 1.0, what="burn_rate(50, 1_000, 0.95)")
checks.assert_close(
    burn_rate(3, 7_000, 0.9999), slo.burn_rate(3, 7_000, 0.9999), what="burn_rate(3, 7_000, 0.9999)"
)
### END HIDDEN TESTS

# %% [markdown]
# ## Part 2: the multiwindow, multi-burn-rate page (4 + 2 points)
#
# Write `page_alert(bad, valid, target)`. `bad` and `valid` are lists with one count per
# minute (valid events: requests that were not client errors; bad: those among them that
# failed). Return a list of booleans, one per minute: does the page fire at the end of
# that minute? It follows the SRE workbook's two page rules for a 30-day SLO:
#
# - **fast burn**: the bad ratio over the last 60 minutes **and** over the last 5 minutes
#   are both above `14.4 * (1 - target)`;
# - **slow burn**: the bad ratio over the last 360 minutes **and** over the last 30 minutes
#   are both above `6 * (1 - target)`.
#
# The page fires when either rule does. At minute `t` (counting from 0) a window of `w`
# minutes covers minutes `t - w + 1` to `t`, only those that exist (at the start of the
# series, windows are shorter). A window's bad ratio is the sum of its bad counts divided by
# the sum of its valid counts, and 0 when it holds no valid event. "Above" is strictly
# above. The series can be a month long (43,200 minutes): loop over it once, or use running
# sums (`itertools.accumulate` or `numpy.cumsum`), but do not re-add a 360-minute window
# at every minute.
#
# The test runs it on a seeded month with incidents of several sizes and with noise (short
# blips of errors that spend little budget), and checks how soon each incident is paged,
# how long the page lasts after it, and that nothing else pages. `slo.alert_outcomes` and
# `exercise.alert_month("visible")` are there for you to try it yourself.


# %% nbgrader={"grade": false, "grade_id": "page_alert", "locked": false, "schema_version": 3, "solution": true}
def page_alert(bad, valid, target):
    ### BEGIN SOLUTION
    # Running sums make every window's total a difference of two prefix sums.
    import numpy as np

    b = np.concatenate(([0], np.cumsum(np.asarray(bad, dtype=float))))
    v = np.concatenate(([0], np.cumsum(np.asarray(valid, dtype=float))))
    end = np.arange(1, len(valid) + 1)

    def ratio(w):
        start = np.maximum(end - w, 0)
        bad_w, valid_w = b[end] - b[start], v[end] - v[start]
        out = np.zeros(len(end))
        np.divide(bad_w, valid_w, out=out, where=valid_w > 0)
        return out

    budget = 1 - target
    fast = (ratio(60) > 14.4 * budget) & (ratio(5) > 14.4 * budget)
    slow = (ratio(360) > 6 * budget) & (ratio(30) > 6 * budget)
    return (fast | slow).tolist()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_page_alert", "locked": true, "points": 4, "schema_version": 3, "solution": false}
"""page_alert pages each serious incident of the seeded month as soon as the two rules allow, stops soon after, never pages on noise, nor on a ratio exactly at a threshold"""
month = exercise.alert_month("visible")
fires = page_alert(month["bad"], month["valid"], 0.999)
checks.assert_equal(
    len(fires), len(month["valid"]), what="len(page_alert(bad, valid, 0.999)) over a month"
)
incidents = [slo.Incident(*i) for i in month["incidents"]]
got = slo.alert_outcomes([bool(f) for f in fires], incidents)
want = slo.alert_outcomes(
    slo.alert_fires(slo.PAGE_RULES, month["bad"], month["valid"], 0.999), incidents
)
checks.assert_equal(
    got.false_alarms, 0, what="pages outside every incident over the month (false alarms)"
)
checks.assert_equal(
    list(got.detection_min),
    list(want.detection_min),
    what="minutes from each incident's start to its first page (None: never paged)",
)
checks.assert_equal(
    list(got.reset_min),
    list(want.reset_min),
    what="minutes each page kept firing after its incident ended",
)
### BEGIN HIDDEN TESTS
for _case, _target in (
    ("hidden-edges", 0.999),
    ("hidden-noisy", 0.999),
    ("hidden-quiet", 0.99),
    ("visible", 0.9995),
):
    _m = exercise.alert_month(_case)
    _got = [bool(f) for f in page_alert(_m["bad"], _m["valid"], _target)]
    _want = slo.alert_fires(slo.PAGE_RULES, _m["bad"], _m["valid"], _target).tolist()
    _wrong = [i for i, (g, w) in enumerate(zip(_got, _want, strict=True)) if g != w]
    assert not _wrong, (
        f"page_alert on the {_case!r} month with target {_target} differs from the rules at "
        f"{len(_wrong)} minutes, first at minute {_wrong[0]} (returned {_got[_wrong[0]]})"
    )
# Ratios exactly at a threshold (exact in floating point at this target): not "above".
for _tie in exercise.alert_ties():
    _got = [bool(f) for f in page_alert(_tie["bad"], _tie["valid"], _tie["target"])]
    _want = slo.alert_fires(slo.PAGE_RULES, _tie["bad"], _tie["valid"], _tie["target"]).tolist()
    _wrong = [i for i, (g, w) in enumerate(zip(_got, _want, strict=True)) if g != w]
    assert not _wrong, (
        f"page_alert on the {_tie['name']!r} series (target {_tie['target']}) differs from the "
        f"rules at minute {_wrong[0]}: returned {_got[_wrong[0]]}; a ratio equal to the "
        "threshold is not above it"
    )
### END HIDDEN TESTS

# %% [markdown]
# Now the same page as a **Prometheus alerting rule**, so that Prometheus evaluates it on
# the service's real counters. Write `page_alert_rules(target)`, which returns the text of a
# Prometheus rule file (YAML) with one group holding one alerting rule:
#
# - named `ErrorBudgetBurn`, with the single label `severity: page`, no `for:` and no
#   annotations (promtool compares labels and annotations exactly);
# - on the counter `http_requests_total`, whose `code` label is the HTTP status: valid
#   requests are those whose code does not match `4..`, bad ones those that match `5..`;
#   aggregate with `sum(...)` so that no series label reaches the alert;
# - expressing both rules above with `rate(...[1h])`, `[5m]`, `[6h]` and `[30m]`, joined
#   with `and` and `or`. A window with no 5xx series at all must count as 0 bad: `sum` of
#   nothing is empty, so write `(sum(rate(...)) or vector(0))`.
#
# Where `promtool` is installed (it comes with Debian's `prometheus` package), the test runs
# `promtool test rules` on your text against generated counters and checks when your alert
# fires. Elsewhere it checks only the rule's shape.


# %% nbgrader={"grade": false, "grade_id": "page_alert_rules", "locked": false, "schema_version": 3, "solution": true}
def page_alert_rules(target):
    ### BEGIN SOLUTION
    # One ratio per window; `or vector(0)` keeps a window with no 5xx series at 0.
    def ratio(window):
        bad = f'(sum(rate(http_requests_total{{code=~"5.."}}[{window}])) or vector(0))'
        valid = f'sum(rate(http_requests_total{{code!~"4.."}}[{window}]))'
        return f"({bad} / {valid})"

    budget = 1 - target
    fast = f"({ratio('1h')} > {14.4 * budget!r} and {ratio('5m')} > {14.4 * budget!r})"
    slow = f"({ratio('6h')} > {6 * budget!r} and {ratio('30m')} > {6 * budget!r})"
    return (
        "groups:\n"
        "  - name: slo\n"
        "    rules:\n"
        "      - alert: ErrorBudgetBurn\n"
        f"        expr: {fast} or {slow}\n"
        "        labels:\n"
        "          severity: page\n"
    )
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_page_alert_rules", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""page_alert_rules(0.999) is a rule file (no `for:`) whose ErrorBudgetBurn alert fires when it should, as promtool test rules evaluates it"""
text = page_alert_rules(0.999)
checks.assert_equal(type(text).__name__, "str", what="type of page_alert_rules(0.999)'s result")
assert not re.search(r"^[\s-]*for\s*:", text, re.MULTILINE), (
    "page_alert_rules(0.999) has a `for:` clause: it delays every page by that long after "
    "both windows are over the threshold (the short window already filters blips); remove it"
)


def promtool_verdict(rules_text, target):
    """Run promtool on `rules_text` against exercise.promtool_case(target); return a failure message or None."""
    case = exercise.promtool_case(target)
    checked = check_rules(rules_text)
    if not checked.passed:
        return (
            f"promtool check rules rejected page_alert_rules({target}):\n{checked.output[-1200:]}"
        )
    expected = {m: ([{"severity": "page"}] if f else []) for m, f in case["expected"].items()}
    result = run_promtool_test(
        rules_text, alert_test_yaml(case["series"], "ErrorBudgetBurn", expected)
    )
    if not result.passed:
        return (
            f"promtool test rules failed for page_alert_rules({target}):\n{result.output[-1500:]}"
        )
    return None


if promtool_available():
    failure = promtool_verdict(text, 0.999)
    assert failure is None, failure
else:
    print("promtool is not installed here: only the rule's shape is checked (CI runs promtool)")
    for needed in (
        "alert: ErrorBudgetBurn",
        "severity: page",
        "http_requests_total",
        "[6h]",
        "[5m]",
    ):
        assert needed in text, f"page_alert_rules(0.999) has no {needed!r}"
### BEGIN HIDDEN TESTS
if promtool_available():
    _failure = promtool_verdict(page_alert_rules(0.995), 0.995)
    assert _failure is None, _failure
### END HIDDEN TESTS

# %% [markdown]
# ## Part 3: percentiles from buckets, and buckets that keep a verdict exact (2 + 2 points)
#
# A Prometheus histogram stores cumulative counts per bucket: `counts[i]` observations were
# at most `bounds[i]` (seconds); the last bound is always `math.inf`. Write
# `histogram_quantile(phi, bounds, counts)` exactly as PromQL's `histogram_quantile` does
# (phi in [0, 1]; assume at least one observation):
#
# - the rank is `phi * total`, where `total` is the count of the `+Inf` bucket;
# - the bucket is the first one whose cumulative count is **at least** the rank;
# - inside it, interpolate linearly between its lower bound (the previous bucket's upper
#   bound, or 0 for the first bucket) and its upper bound;
# - if the rank falls in the `+Inf` bucket, return the highest finite bound.


# %% nbgrader={"grade": false, "grade_id": "histogram_quantile", "locked": false, "schema_version": 3, "solution": true}
def histogram_quantile(phi, bounds, counts):
    ### BEGIN SOLUTION
    rank = phi * counts[-1]
    # The first bucket (+Inf excluded) whose cumulative count reaches the rank.
    for b in range(len(bounds) - 1):
        if counts[b] >= rank:
            break
    else:
        return bounds[-2]
    start = 0.0 if b == 0 else bounds[b - 1]
    below = 0 if b == 0 else counts[b - 1]
    return start + (bounds[b] - start) * (rank - below) / (counts[b] - below)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_histogram_quantile", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""histogram_quantile interpolates within the right bucket as PromQL does (at the rank phi * total, whole or not), from 0 in the first bucket and capped at the highest finite bound"""
bounds = [0.1, 0.2, 0.3, 0.45, math.inf]
counts = [0, 0, 1000, 1000, 1000]  # every request took about 220 ms (the Prometheus docs' example)
checks.assert_close(
    histogram_quantile(0.95, bounds, counts),
    0.295,
    what="histogram_quantile(0.95, [0.1, 0.2, 0.3, 0.45, inf], [0, 0, 1000, 1000, 1000])",
)
checks.assert_close(
    histogram_quantile(0.5, [0.1, 1.0, math.inf], [40, 100, 100]),
    0.25,
    what="histogram_quantile(0.5, [0.1, 1.0, inf], [40, 100, 100])",
)
checks.assert_close(
    histogram_quantile(0.2, [0.1, 1.0, math.inf], [40, 100, 100]),
    0.05,
    what="histogram_quantile(0.2, [0.1, 1.0, inf], [40, 100, 100]) (first bucket, from 0)",
)
### BEGIN HIDDEN TESTS
for _phi, _bounds, _counts, _want, _note in (
    (0.99, [0.1, 0.5, math.inf], [50, 90, 100], 0.5, "rank in +Inf"),
    (0.5, [0.1, 0.2, 0.3, math.inf], [10, 10, 20, 20], 0.1, "rank equal to a bucket's count"),
    (1.0, [0.1, 0.2, math.inf], [3, 8, 8], 0.2, "phi = 1"),
    # Ranks that are not whole numbers: phi * total is used as it is, not rounded.
    (0.5, [1, 2, math.inf], [1, 3, 3], 1.25, "rank 1.5"),
    (0.9, [0.1, 0.2, 0.4, math.inf], [3, 5, 7, 7], 0.33, "rank 6.3"),
    (0.1, [0.05, 0.1, math.inf], [4, 9, 9], 0.01125, "rank 0.9, first bucket"),
):
    checks.assert_close(
        histogram_quantile(_phi, _bounds, _counts),
        _want,
        what=f"histogram_quantile({_phi}, {_bounds}, {_counts}) ({_note})",
    )
for _seed in range(6):
    _samples = metrics.mixture_latencies_ms(2_999, seed=_seed) / 1000
    _bounds = [*metrics.PROMETHEUS_DEFAULT_BUCKETS_S, math.inf]
    _counts = metrics.bucket_counts(_samples, _bounds).tolist()
    for _phi in (0.5, 0.9, 0.99):
        checks.assert_close(
            histogram_quantile(_phi, _bounds, _counts),
            metrics.bucket_quantile(_bounds, _counts, _phi * 100),
            rel=1e-9,
            what=f"histogram_quantile({_phi}, default buckets, counts of seeded latencies #{_seed})",
        )
### END HIDDEN TESTS

# %% [markdown]
# The SLO "p99 at most 300 ms" is judged from the histogram: is
# `histogram_quantile(0.99, ...)` at most 0.3? With the client library's default buckets
# (no edge at 0.3) the verdict can be wrong either way. Write
# `exact_buckets(bounds, thresholds_s, max_buckets)`: a new list of bucket bounds, strictly
# increasing and ending with `math.inf`, with at most `max_buckets` entries (`+Inf`
# included), on which **the verdict "estimated quantile <= threshold" equals the true
# (nearest-rank) verdict for every threshold, every quantile and every set of
# observations**. Keep as many of the original finite bounds as the limit allows (every
# bucket is one more time series to store), and do not change `bounds`. Think about what
# `histogram_quantile` returns when the rank falls in the `+Inf` bucket.


# %% nbgrader={"grade": false, "grade_id": "exact_buckets", "locked": false, "schema_version": 3, "solution": true}
def exact_buckets(bounds, thresholds_s, max_buckets):
    ### BEGIN SOLUTION
    # Each threshold must be an edge, and some finite edge must lie above the highest one:
    # a rank in +Inf returns the highest finite bound, which must then be > threshold.
    keep = set(thresholds_s)
    top = max(thresholds_s)
    above = [b for b in bounds if top < b < math.inf]
    keep.add(min(above) if above else 2 * top)
    others = sorted(
        (b for b in bounds if b < math.inf and b not in keep),
        key=lambda b: min(abs(math.log(b / t)) for t in thresholds_s),
    )
    room = max_buckets - 1 - len(keep)
    return sorted(keep | set(others[: max(room, 0)])) + [math.inf]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_exact_buckets", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""exact_buckets returns a valid layout within the bucket limit, keeping as many original bounds as fit, that keeps the SLO verdict exact on observations at, below and beyond the threshold, also when the limit leaves no room to spare"""


def layout_problems(case_name, seed):
    """Check exact_buckets on exercise.bucket_case(case_name); return a list of problems."""
    case = exercise.bucket_case(case_name)
    layout = exact_buckets(list(case["bounds"]), list(case["thresholds_s"]), case["max_buckets"])
    call = f"exact_buckets({case['bounds']}, {case['thresholds_s']}, {case['max_buckets']})"
    if type(layout) is not list or not layout or layout[-1] != math.inf:
        return [f"{call} must return a list ending with math.inf, got {layout!r}"]
    problems = []
    if any(b <= a for a, b in zip(layout, layout[1:], strict=False)):
        problems.append(f"{call} returned bounds that are not strictly increasing: {layout}")
    if len(layout) > case["max_buckets"]:
        problems.append(
            f"{call} returned {len(layout)} buckets, over the limit of {case['max_buckets']}"
        )
    finite = set(b for b in case["bounds"] if b < math.inf) | set(case["thresholds_s"])
    needs_top = not any(b > max(case["thresholds_s"]) for b in finite)
    want_len = min(case["max_buckets"], len(finite) + needs_top + 1)
    if len(layout) < want_len:
        problems.append(f"{call} returned {len(layout)} buckets; {want_len} fit within the limit")
    original = set(b for b in case["bounds"] if b < math.inf)
    new_edges = len(set(case["thresholds_s"]) - original) + (
        not any(b > max(case["thresholds_s"]) for b in original)
    )
    want_kept = min(len(original), case["max_buckets"] - 1 - new_edges)
    kept = len(original & set(layout))
    if kept < want_kept:
        problems.append(
            f"{call} keeps {kept} of the original finite bounds; {want_kept} can be kept "
            "within the limit (keep the original edges, adding only what exactness needs)"
        )
    for t in case["thresholds_s"]:
        for samples in exercise.verdict_samples(t, seed):
            counts = metrics.bucket_counts(samples, layout)
            for q in (90, 95, 99):
                estimated = metrics.bucket_quantile(layout, counts, q) <= t
                true = metrics.percentile(samples, q) <= t
                if estimated != true:
                    problems.append(
                        f"with {call}, a p{q} of {metrics.percentile(samples, q):.4f} s is estimated "
                        f"{metrics.bucket_quantile(layout, counts, q):.4f} s: the verdict at {t} s is wrong"
                    )
                    return problems
    return problems


problems = layout_problems("visible", 0)
assert not problems, "; ".join(problems[:2])
### BEGIN HIDDEN TESTS
for _case in ("hidden-top", "hidden-two", "hidden-roomy", "hidden-present", "hidden-squeeze"):
    _problems = layout_problems(_case, 5)
    assert not _problems, "; ".join(_problems[:2])
### END HIDDEN TESTS

# %% [markdown]
# ## Part 4: size the fleet from a load test (3 points)
#
# A capacity test loaded one machine of each type at increasing rates. `table` is a list of
# rows, dicts with `instance` (a machine type), `rps` (requests per second offered to one
# machine), `p99_ms` and `utilisation` (0 to 1). Write
# `size_fleet(table, peak_rps, target_p99_ms, max_utilisation, usd_per_hour)` returning the
# cheapest fleet that serves `peak_rps` as a dict `{"instance": name, "count": machines,
# "monthly_usd": cost}`:
#
# - a machine type can be run at a rate if that row **and every row of that type at a lower
#   rate** has `p99_ms <= target_p99_ms` and `utilisation <= max_utilisation` (a rate
#   above the first failure is not trusted, however good it looks); run it at the highest
#   such rate, and use only measured rates;
# - it then needs `ceil(peak_rps / rate)` machines, costing
#   `machines * usd_per_hour[instance] * prices.HOURS_PER_MONTH` a month;
# - ties in cost go to the fleet with fewer machines, then to the type whose name sorts
#   first; return `None` if no type meets the limits even at its lowest rate.


# %% nbgrader={"grade": false, "grade_id": "size_fleet", "locked": false, "schema_version": 3, "solution": true}
def size_fleet(table, peak_rps, target_p99_ms, max_utilisation, usd_per_hour):
    ### BEGIN SOLUTION
    best = None
    for name in sorted({row["instance"] for row in table}):
        rate = None
        # Walk up the rates; the first failing row ends the trusted range.
        for row in sorted((r for r in table if r["instance"] == name), key=lambda r: r["rps"]):
            if row["p99_ms"] > target_p99_ms or row["utilisation"] > max_utilisation:
                break
            rate = row["rps"]
        if rate is None:
            continue
        count = math.ceil(peak_rps / rate)
        cost = count * usd_per_hour[name] * prices.HOURS_PER_MONTH
        if best is None or (cost, count) < (best["monthly_usd"], best["count"]):
            best = {"instance": name, "count": count, "monthly_usd": cost}
    return best
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_size_fleet", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""size_fleet picks the cheapest machine type and count that meet the p99 and utilisation limits, trusting rates only up to the first failure"""
PRICES = {name: p.cost_usd_per_hour for name, p in prices.INSTANCES.items()}
table = exercise.fleet_table("visible")
got = size_fleet(table, 1_200, 100, 0.7, PRICES)
checks.assert_close(
    got,
    slo.size_fleet(table, 1_200, 100, 0.7, PRICES),
    what="size_fleet(visible table, 1_200, 100, 0.7, PRICES)",
)
### BEGIN HIDDEN TESTS
for _case, _peak, _p99, _util in (
    ("hidden-noisy", 400, 100, 0.9),
    ("hidden-edges", 600, 100, 0.75),
    ("hidden-edges", 600, 100, 0.7),
    ("visible", 450, 60, 0.65),
    ("visible", 1_200, 20, 0.7),
):
    _table = exercise.fleet_table(_case)
    checks.assert_close(
        size_fleet(_table, _peak, _p99, _util, PRICES),
        slo.size_fleet(_table, _peak, _p99, _util, PRICES),
        what=f"size_fleet({_case} table, {_peak}, {_p99}, {_util}, PRICES)",
    )
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_slo_proposal", "locked": false, "points": 4, "schema_version": 3, "solution": true}
# ## Part 5 (written, graded by hand, 4 points)
#
# The payments team runs `POST /authorize`, which checkout calls before charging a card:
# about 3 million calls a day, peaking at 120 per second in the evening. A failed call loses
# the sale unless the customer retries; product says an hour of full outage costs about
# $40,000 in lost sales, and that customers abandon checkout when authorisation takes more
# than a second. The card network's own availability is about 99.95%. Today there is one
# alert: "error rate over 1% for 5 minutes", which woke the on-call engineer 11 times last
# month, twice for real.
#
# Propose an SLO for this service in six to ten sentences: the SLIs (what counts as valid
# and good, measured where), the targets and the window, the error budget in minutes and in
# failed calls, an error-budget policy (what the team does as the budget runs out), and the
# alerts that replace today's (rules, windows, who gets paged).
#
# ### BEGIN SOLUTION
# Model answer. SLIs, measured at the load balancer (what checkout sees, including
# queueing): availability = authorisations answered without a 5xx or timeout / valid
# authorisations (4xx for malformed requests and declined cards are not failures of the
# service); latency = authorisations answered within 1 s / valid authorisations (1 s must be
# a histogram bucket edge). Targets over a rolling 30-day window: availability 99.9% (the
# card network itself delivers about 99.95%, so 99.99% would be spent by our dependency and
# could not be met), latency 99% within 1 s. Budget: 0.1% of 30 days = 43.2 minutes, or
# about 90,000 failed calls of 90 million; at $40,000 an hour a fully spent budget is
# about $29,000 of lost sales a month, which is the figure to weigh against the cost of
# another nine (a second region). Policy: above 50% spent, releases need a rollback plan and
# reliability work is prioritised; above 100%, feature releases freeze except fixes until
# the 30-day SLI is back above target; a single incident spending over 20% gets a
# postmortem. Alerts: page on the multiwindow burn rates (14.4 over 1 h and 5 min: 2% of the
# budget; 6 over 6 h and 30 min: 5%), ticket on 1 over 3 days and 6 h (10%); the same for
# the latency SLI. This replaces the 5-minute threshold, which paged on short blips that
# spent little budget and stayed silent on slow burns.
#
# Mark scheme (4 points): 1 point for SLIs as good/valid ratios with valid and good defined
# (client errors excluded, measured where the client feels it, a latency threshold rather
# than a mean); 1 point for a target below 100% that is justified by the dependency's
# availability or by cost, with a window; 1 point for the budget computed correctly (43.2
# minutes, about 90,000 calls at 99.9%, or the equivalent for the chosen target) and a
# policy that says what changes as it runs out; 1 point for burn-rate alerts with long and
# short windows and severities (page vs ticket), saying why they beat the current threshold.
# ### END SOLUTION
