# %% [markdown]
# # Exercise 08: interview practice
#
# Five trade-off questions of the kind asked in performance and system-design interviews,
# each grounded in numbers you compute. Every variant of this notebook has its own numbers
# (`tradeoffs interview --seed N` makes one, with its own answer key), so there is nothing
# to memorise: work each answer out from the scenario below.
#
# - **Numbers** go in the answer cells, as the variables each question names (plain Python
#   numbers, a string or a list). The visible test under each only checks the kind of value;
#   the comparison with your variant's key is a hidden test, run when your notebook is
#   graded (`tradeoffs interview --submit NOTEBOOK` when you practise alone).
# - **Written answers** are graded by a person against a mark scheme, as an interviewer
#   would listen: a recommendation with its numbers, and what it makes worse. After you
#   submit, the mark scheme and a model answer are shown to you.
# - **Timed practice** (`tradeoffs interview --timed 45`) shows a countdown below; finish
#   with the self-review checklist at the end.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import math

from tradeoffs import checks
from tradeoffs.learner.interview import expect_number, scenario
from tradeoffs.widgets.interview import countdown, show

SEED = 0  # variant seed
SCENARIO = scenario(SEED)
TIME_LIMIT_MIN = None  # variant timer
countdown(TIME_LIMIT_MIN)

# %% [markdown]
# ## Question 1: a more accurate model that costs much more to run (16 points)
#
# Your fraud model catches a share `recall_now` of the fraud. A new model catches
# `recall_gain` more of it (in points of recall: 0.05 is five points more), but it is a
# hosted model billed per call, `usd_per_1k_calls_new` per 1,000 transactions scored,
# where today's model costs only its CPU: `cpu_ms_now` ms per transaction on a fleet kept
# at `utilisation`, at `usd_per_vcpu_hour`. A fraud the models miss costs its whole amount.
# Two mitigations are on the table: serve the new model only to a high-value segment
# (`segment_traffic_share` of the transactions, holding `segment_fraud_share` of the fraud
# value), or distil it into a cheaper model (`distilled_cost_factor` of the new model's
# cost per call, keeping `distilled_gain_kept` of its recall gain).

# %% nbgrader={"grade": false, "grade_id": "q1_card", "locked": true, "schema_version": 3, "solution": false}
show(SCENARIO, "q1")

# %% [markdown]
# **(a)** `q1_value_usd`: the business value of the gain per year, in USD (the fraud
# caught that is missed today, over 365 days).

# %% nbgrader={"grade": false, "grade_id": "q1_value", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
q = SCENARIO["q1"]
q1_value_usd = (
    q["daily_transactions"] * 365 * q["fraud_rate"] * q["avg_fraud_usd"] * q["recall_gain"]
)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q1_value", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Q1 (a): the yearly value of the recall gain matches your variant's key within 1%"""
expect_number(q1_value_usd, "q1_value_usd")
### BEGIN HIDDEN TESTS
KEY = {"q1_value_usd": 2277600.0}  # variant key
checks.assert_close(q1_value_usd, KEY["q1_value_usd"], rel=0.01, what="q1_value_usd")
### END HIDDEN TESTS

# %% [markdown]
# **(b)** `q1_added_cost_usd`: the added cost per year of serving the new model on every
# transaction instead of today's, in USD.

# %% nbgrader={"grade": false, "grade_id": "q1_cost", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
q = SCENARIO["q1"]
_yearly = q["daily_transactions"] * 365
_today = _yearly * q["cpu_ms_now"] / 3_600_000 / q["utilisation"] * q["usd_per_vcpu_hour"]
q1_added_cost_usd = _yearly / 1000 * q["usd_per_1k_calls_new"] - _today
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q1_cost", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Q1 (b): the added yearly cost (the new model's calls less today's CPU) within 1%"""
expect_number(q1_added_cost_usd, "q1_added_cost_usd")
### BEGIN HIDDEN TESTS
KEY = {"q1_added_cost_usd": 284686.506406}  # variant key
checks.assert_close(q1_added_cost_usd, KEY["q1_added_cost_usd"], rel=0.01, what="q1_added_cost_usd")
### END HIDDEN TESTS

# %% [markdown]
# **(c)** `q1_roi`: the return on the added spend, (value - added cost) / added cost, as a
# plain ratio (2.0 means the upgrade returns twice what it costs, on top of it).

# %% nbgrader={"grade": false, "grade_id": "q1_roi", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
q1_roi = (q1_value_usd - q1_added_cost_usd) / q1_added_cost_usd
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q1_roi", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Q1 (c): the ROI is (value - added cost) / added cost, within 1%"""
expect_number(q1_roi, "q1_roi", positive=False)
### BEGIN HIDDEN TESTS
KEY = {"q1_roi": 7.000379}  # variant key
checks.assert_close(q1_roi, KEY["q1_roi"], rel=0.01, abs=0.01, what="q1_roi")
### END HIDDEN TESTS

# %% [markdown]
# **(d)** `q1_best`: the option with the largest net value per year (value gained less
# cost added): `"keep"` (today's model, net 0), `"full"` (the new model everywhere),
# `"segment"` (the new model on the high-value segment only) or `"distilled"`.

# %% nbgrader={"grade": false, "grade_id": "q1_choice", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
q = SCENARIO["q1"]
_yearly = q["daily_transactions"] * 365
_value = _yearly * q["fraud_rate"] * q["avg_fraud_usd"] * q["recall_gain"]
_today = _yearly * q["cpu_ms_now"] / 3_600_000 / q["utilisation"] * q["usd_per_vcpu_hour"]
_new = _yearly / 1000 * q["usd_per_1k_calls_new"]
_net = {
    "keep": 0.0,
    "full": _value - (_new - _today),
    "segment": _value * q["segment_fraud_share"] - (_new - _today) * q["segment_traffic_share"],
    "distilled": _value * q["distilled_gain_kept"] - (_new * q["distilled_cost_factor"] - _today),
}
q1_best = max(_net, key=_net.get)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q1_best", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Q1 (d): the option with the largest net value per year for your variant's numbers"""
checks.assert_equal(
    q1_best in ("keep", "full", "segment", "distilled"),
    True,
    what=f"q1_best = {q1_best!r} is one of the four options",
)
### BEGIN HIDDEN TESTS
KEY = {"q1_best": "full"}  # variant key
checks.assert_equal(q1_best, KEY["q1_best"], what="q1_best")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_q1_memo", "locked": false, "points": 4, "schema_version": 3, "solution": true}
# **(e), written (4 points).** The head of payments asks: "should we switch?" Answer in
# five to eight sentences: your recommendation, the value and the added cost per year
# behind it, the ROI, the mitigations you compared (with their net value), and the risks
# of acting on these numbers.
#
# ### BEGIN SOLUTION
# **Mark scheme** (4 points):
# - a clear recommendation that follows from the net values (not from accuracy alone)
# - the yearly value of the gain and the added cost, each with how it was computed
# - the ROI, and the mitigations (segment, distillation) compared by their net value
# - at least two risks of the estimate (offline gain, drift, late labels, latency) and what to monitor
#
# **Model answer.** Recommendation: serve the new model to every transaction. The 4% more
# fraud caught is worth $2,277,600 a year (1,300,000 transactions a day x 365 x 0.30% fraud
# x $40 x the recall gain); running it everywhere adds $284,687 a year (the hosted small
# model at $0.6 per 1,000 calls, less today's 0.91 ms of CPU per transaction at 40%
# utilisation and $0.045 per vCPU-hour), an ROI of 7.0x. Net value per year of each option:
# serve the new model to every transaction $1,992,913; keep the current model $0, serve it
# only to the high-value segment $1,224,211, serve a distilled version of it $1,466,218.
# Risks: the gain is measured offline (confirm it in a shadow or A/B test on recent labelled
# weeks), fraud drifts, labels arrive late, and the heavier model's p99 must still fit the
# latency budget; monitor recall on confirmed fraud, compute cost per 1,000 transactions and
# the p99.
# ### END SOLUTION

# %% [markdown]
# ## Question 2: tell a trade-off story, with the trade-off quantified (7 points)
#
# "Tell me about a time you made something faster, and what it cost." Use these numbers
# as your story's: checkout's p99 went from `p99_before_ms` to `p99_after_ms` after you
# added a cache and a replica, which raised the monthly infrastructure bill from
# `monthly_cost_before_usd` to `monthly_cost_after_usd`. The business measured that each
# 100 ms of p99 cost `revenue_lost_per_100ms` of `monthly_revenue_usd`.

# %% nbgrader={"grade": false, "grade_id": "q2_card", "locked": true, "schema_version": 3, "solution": false}
show(SCENARIO, "q2")

# %% [markdown]
# **(a)** `q2_p99_cut_pct`: how much lower the p99 is, in percent of the old p99.

# %% nbgrader={"grade": false, "grade_id": "q2_cut", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
q = SCENARIO["q2"]
q2_p99_cut_pct = 100 * (q["p99_before_ms"] - q["p99_after_ms"]) / q["p99_before_ms"]
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q2_cut", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Q2 (a): the p99 reduction in percent of the old p99, within 1%"""
expect_number(q2_p99_cut_pct, "q2_p99_cut_pct")
### BEGIN HIDDEN TESTS
KEY = {"q2_p99_cut_pct": 57.831325}  # variant key
checks.assert_close(q2_p99_cut_pct, KEY["q2_p99_cut_pct"], rel=0.01, what="q2_p99_cut_pct")
### END HIDDEN TESTS

# %% [markdown]
# **(b)** `q2_net_usd_per_month`: revenue recovered per month less the added
# infrastructure cost per month, in USD (negative if the change does not pay).

# %% nbgrader={"grade": false, "grade_id": "q2_net", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
q = SCENARIO["q2"]
_recovered = (
    q["monthly_revenue_usd"]
    * q["revenue_lost_per_100ms"]
    * (q["p99_before_ms"] - q["p99_after_ms"])
    / 100
)
q2_net_usd_per_month = _recovered - (q["monthly_cost_after_usd"] - q["monthly_cost_before_usd"])
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q2_net", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Q2 (b): revenue recovered per month less the added cost per month, within 1%"""
expect_number(q2_net_usd_per_month, "q2_net_usd_per_month", positive=False)
### BEGIN HIDDEN TESTS
KEY = {"q2_net_usd_per_month": 53800.0}  # variant key
checks.assert_close(
    q2_net_usd_per_month,
    KEY["q2_net_usd_per_month"],
    rel=0.01,
    abs=1.0,
    what="q2_net_usd_per_month",
)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_q2_star", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# **(c), written (3 points).** Tell the story in the STAR form (situation, task, action,
# result), in six to ten sentences, with the trade-off quantified: what got better, by how
# much and how it was measured, what it cost, and what got worse.
#
# ### BEGIN SOLUTION
# **Mark scheme** (3 points):
# - situation and task with the starting numbers and why they mattered to the business
# - the actions taken and how the result was measured (a p99 from enough samples, over time)
# - the result with the trade-off quantified: the p99 cut, the added cost, the net per month and what got worse
#
# **Model answer.** Situation: checkout's p99 was 830 ms and each 100 ms of it cost about
# 0.5% of $2,500,000 monthly revenue. Task: bring the tail down without an open-ended bill.
# Action: profiled the slow path, found the database round trips, added a cache and one more
# replica; Result: p99 350 ms (58% lower), measured on a week of production traffic, for
# $5,000 a month more infrastructure: net $53,800 a month. The trade-off: more cost and a
# staleness window (the cache's TTL) for the tail; what I would do differently: set the SLO
# first, so the stopping point was agreed.
# ### END SOLUTION

# %% [markdown]
# ## Question 3: the p99 regressed after a cache change (7 points)
#
# After a deploy that changed the cache's keys, the hit ratio of a service serving
# `requests_per_s` fell from `hit_ratio_before` to `hit_ratio_after`. A hit takes `hit_ms`;
# a miss goes to the origin and takes `miss_base_ms` plus an exponentially distributed
# extra with mean `miss_mean_extra_ms` (so P(miss latency > base + x) = exp(-x / mean)).
# Each origin instance serves `origin_rps_per_instance` requests per second.

# %% nbgrader={"grade": false, "grade_id": "q3_card", "locked": true, "schema_version": 3, "solution": false}
show(SCENARIO, "q3")

# %% [markdown]
# **(a)** `q3_p99_before_ms` and `q3_p99_after_ms`: the p99 latency before and after, in
# ms. (With more than 1% misses, the slowest 1% of all requests are all misses.)

# %% nbgrader={"grade": false, "grade_id": "q3_p99", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
q = SCENARIO["q3"]
# The slowest 1% of requests: misses whose tail beyond the p99 holds 1% of all requests.
q3_p99_before_ms = q["miss_base_ms"] + q["miss_mean_extra_ms"] * math.log(
    (1 - q["hit_ratio_before"]) / 0.01
)
q3_p99_after_ms = q["miss_base_ms"] + q["miss_mean_extra_ms"] * math.log(
    (1 - q["hit_ratio_after"]) / 0.01
)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q3_p99", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Q3 (a): the p99 before and after, within 1% (a mix of fast hits and slow misses)"""
expect_number(q3_p99_before_ms, "q3_p99_before_ms")
expect_number(q3_p99_after_ms, "q3_p99_after_ms")
### BEGIN HIDDEN TESTS
KEY = {"q3_p99_before_ms": 172.608496, "q3_p99_after_ms": 248.412744}  # variant key
checks.assert_close(q3_p99_before_ms, KEY["q3_p99_before_ms"], rel=0.01, what="q3_p99_before_ms")
checks.assert_close(q3_p99_after_ms, KEY["q3_p99_after_ms"], rel=0.01, what="q3_p99_after_ms")
### END HIDDEN TESTS

# %% [markdown]
# **(b)** `q3_origin_instances_after`: how many origin instances the misses now need (a
# whole number).

# %% nbgrader={"grade": false, "grade_id": "q3_origin", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
q = SCENARIO["q3"]
q3_origin_instances_after = math.ceil(
    q["requests_per_s"] * (1 - q["hit_ratio_after"]) / q["origin_rps_per_instance"]
)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q3_origin", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Q3 (b): whole origin instances for the misses after the change (rounded up)"""
expect_number(q3_origin_instances_after, "q3_origin_instances_after")
### BEGIN HIDDEN TESTS
KEY = {"q3_origin_instances_after": 9}  # variant key
checks.assert_equal(
    q3_origin_instances_after, KEY["q3_origin_instances_after"], what="q3_origin_instances_after"
)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_q3_regression", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# **(c), written (3 points).** You are on call. Explain the regression with your numbers,
# and say what you do first, what you check next, and what you change so it is caught
# earlier next time.
#
# ### BEGIN SOLUTION
# **Mark scheme** (3 points):
# - explains the p99 from the miss share (more than 1% misses puts the p99 in the miss tail), with the numbers
# - a first action that restores service (roll back or restore the key scheme) and how to confirm it worked
# - the origin capacity needed, and a monitoring change (an alert on hit ratio or origin load, not only p99)
#
# **Model answer.** The hit ratio fell from 91% to 73%: misses went from 9% to 27% of
# requests, and with more than 1% misses the p99 is a miss's latency, deeper in the miss
# tail: 173 ms before, 248 ms after. The origin now needs 9 instances at 120 requests/s
# each. First: roll the cache change back (or restore its TTL/key scheme) and confirm the
# hit ratio and p99 recover; then find why it fell (a key that now includes a per-user
# field, a shorter TTL, an eviction storm), and add an alert on hit ratio, not only on p99.
# ### END SOLUTION

# %% [markdown]
# ## Question 4: propose an SLO for a new service (7 points)
#
# A new service answers `requests_per_day` requests. Each request calls three dependencies
# in series (their availabilities: `dependency_availability`), and the service's own code
# and machines are available `own_availability` of the time. Product asks for
# `product_asks`. Error budgets are counted over `window_days`; the fast page fires at a
# burn rate of `fast_burn_rate`.

# %% nbgrader={"grade": false, "grade_id": "q4_card", "locked": true, "schema_version": 3, "solution": false}
show(SCENARIO, "q4")

# %% [markdown]
# **(a)** `q4_target`: the highest of the usual targets 0.99, 0.995, 0.999, 0.9995 and
# 0.9999 that the service can meet, given what its dependencies deliver.

# %% nbgrader={"grade": false, "grade_id": "q4_target", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
q = SCENARIO["q4"]
# Serial dependencies: availabilities multiply.
_ceiling = math.prod([*q["dependency_availability"], q["own_availability"]])
q4_target = max(t for t in (0.99, 0.995, 0.999, 0.9995, 0.9999) if t <= _ceiling)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q4_target", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Q4 (a): the highest usual target at or under the product of the availabilities"""
expect_number(q4_target, "q4_target")
### BEGIN HIDDEN TESTS
KEY = {"q4_target": 0.995}  # variant key
checks.assert_close(q4_target, KEY["q4_target"], rel=1e-9, what="q4_target")
### END HIDDEN TESTS

# %% [markdown]
# **(b)** At that target: `q4_budget_minutes`, the error budget of the window in minutes,
# and `q4_page_bad_per_hour`, how many failed requests in an hour make the fast page fire
# (a burn rate of `fast_burn_rate` sustained for the hour).

# %% nbgrader={"grade": false, "grade_id": "q4_budget", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
q = SCENARIO["q4"]
_ceiling = math.prod([*q["dependency_availability"], q["own_availability"]])
_target = max(t for t in (0.99, 0.995, 0.999, 0.9995, 0.9999) if t <= _ceiling)
q4_budget_minutes = q["window_days"] * 24 * 60 * (1 - _target)
q4_page_bad_per_hour = q["fast_burn_rate"] * (1 - _target) * q["requests_per_day"] / 24
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q4_budget", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Q4 (b): the budget in minutes over the window and the fast page's failed requests per hour, within 1%"""
expect_number(q4_budget_minutes, "q4_budget_minutes")
expect_number(q4_page_bad_per_hour, "q4_page_bad_per_hour")
### BEGIN HIDDEN TESTS
KEY = {"q4_budget_minutes": 216.0, "q4_page_bad_per_hour": 37500.0}  # variant key
checks.assert_close(q4_budget_minutes, KEY["q4_budget_minutes"], rel=0.01, what="q4_budget_minutes")
checks.assert_close(
    q4_page_bad_per_hour, KEY["q4_page_bad_per_hour"], rel=0.01, what="q4_page_bad_per_hour"
)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_q4_slo", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# **(c), written (3 points).** Propose the SLO to product in five to eight sentences: the
# SLI (what is valid and good, measured where), the target and window and why not what
# product asked for, the budget, the alerts, and what it would take to promise more.
#
# ### BEGIN SOLUTION
# **Mark scheme** (3 points):
# - the SLI as good over valid requests, measured where users feel it, with a latency threshold
# - a target justified by the product of the dependencies' availabilities (why product's ask is or is not possible), with the window
# - the budget and burn-rate alerts with numbers, and what would buy another nine (cache, degrade or decouple the weakest dependency)
#
# **Model answer.** The service can promise at most 99.8301%: it calls three dependencies in
# series and availabilities multiply. Product's 99.99% is not possible without removing a
# dependency from the path. Propose 99.50% over a rolling 30 days, measured at the load
# balancer as good (non-5xx, under the latency threshold) over valid requests: a budget of
# 216 minutes, or 1,875,000 failed requests, a month. Page when the 1-hour burn rate exceeds
# 14.4 (about 37,500 bad requests in an hour, confirmed over 5 minutes); ticket on slow
# burns. To reach more nines: cache or degrade around the weakest dependency, or call it
# asynchronously.
# ### END SOLUTION

# %% [markdown]
# ## Question 5: a transcoding ladder under a cost cap (7 points)
#
# A video platform encodes every uploaded minute at each rung of its ladder (`rungs`,
# heights in pixels); each rung costs `cpu_s_per_minute` CPU-seconds per minute of video
# (same order as `rungs`), at `usd_per_vcpu_hour`. It encodes `minutes_per_month` minutes
# a month and finance caps the encoding bill at `monthly_cap_usd`.

# %% nbgrader={"grade": false, "grade_id": "q5_card", "locked": true, "schema_version": 3, "solution": false}
show(SCENARIO, "q5")

# %% [markdown]
# **(a)** `q5_full_cost_usd`: the monthly bill of encoding every rung, in USD.

# %% nbgrader={"grade": false, "grade_id": "q5_full", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
q = SCENARIO["q5"]
q5_full_cost_usd = (
    q["minutes_per_month"] * sum(q["cpu_s_per_minute"]) / 3600 * q["usd_per_vcpu_hour"]
)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q5_full", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Q5 (a): the monthly cost of encoding every rung, within 1%"""
expect_number(q5_full_cost_usd, "q5_full_cost_usd")
### BEGIN HIDDEN TESTS
KEY = {"q5_full_cost_usd": 1184.625}  # variant key
checks.assert_close(q5_full_cost_usd, KEY["q5_full_cost_usd"], rel=0.01, what="q5_full_cost_usd")
### END HIDDEN TESTS

# %% [markdown]
# **(b)** `q5_ladder`: the tallest ladder under the cap, as the list of its heights from the
# lowest rung up (rungs are kept from the bottom: a ladder without its lowest rungs leaves
# slow connections with nothing to play), and `q5_ladder_cost_usd`, its monthly bill.

# %% nbgrader={"grade": false, "grade_id": "q5_ladder", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
q = SCENARIO["q5"]
q5_ladder, q5_ladder_cost_usd = q["rungs"][:1], 0.0
for _n in range(1, len(q["rungs"]) + 1):
    _cost = q["minutes_per_month"] * sum(q["cpu_s_per_minute"][:_n]) / 3600 * q["usd_per_vcpu_hour"]
    if _cost <= q["monthly_cap_usd"]:
        q5_ladder, q5_ladder_cost_usd = q["rungs"][:_n], _cost
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q5_ladder", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Q5 (b): the tallest ladder from the lowest rung up that fits the cap, and its cost within 1%"""
checks.assert_equal(
    isinstance(q5_ladder, list) and q5_ladder == sorted(q5_ladder) and q5_ladder[:1] == [240],
    True,
    what=f"q5_ladder = {q5_ladder!r:.60} is a list of heights from 240 up",
)
expect_number(q5_ladder_cost_usd, "q5_ladder_cost_usd")
### BEGIN HIDDEN TESTS
KEY = {"q5_ladder": [240, 360, 480, 720], "q5_ladder_cost_usd": 323.375}  # variant key
checks.assert_equal(q5_ladder, KEY["q5_ladder"], what="q5_ladder")
checks.assert_close(
    q5_ladder_cost_usd, KEY["q5_ladder_cost_usd"], rel=0.01, what="q5_ladder_cost_usd"
)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_q5_ladder", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# **(c), written (3 points).** Finance will not move the cap. Say what the capped ladder
# costs viewers, and two ways to keep more of the ladder within the same bill, each with the
# trade-off it makes.
#
# ### BEGIN SOLUTION
# **Mark scheme** (3 points):
# - the full ladder's cost against the cap, and the rungs the cap removes, with who loses them
# - at least two alternatives (per-title ladders, encoding top rungs only for watched titles, spot capacity, faster presets)
# - the trade-off of each alternative (quality, delay, complexity, preemption)
#
# **Model answer.** Encoding every rung costs $1,185 a month (1,300,000 minutes x 73
# CPU-seconds per minute at $0.045 per vCPU-hour), over the $430 cap. The tallest ladder
# under the cap stops at 720p ($323 a month): viewers on large screens lose the top rungs.
# Alternatives that keep them: encode the top rungs only for titles that get watched (most
# minutes are rarely played), use spot capacity for the background tier (about a third of
# the price), a faster preset on simple content, or per-title ladders that drop rungs a
# title does not need.
# ### END SOLUTION

# %% [markdown]
# ## Self-review before you submit
#
# Go through this list as an interviewer would; each item is a point of a mark scheme.
#
# - [ ] every answer cell runs, top to bottom, in a fresh kernel (Kernel > Restart Kernel and Run All Cells)
# - [ ] Q1: a clear recommendation that follows from the net values (not from accuracy alone)
# - [ ] Q1: the yearly value of the gain and the added cost, each with how it was computed
# - [ ] Q1: the ROI, and the mitigations (segment, distillation) compared by their net value
# - [ ] Q1: at least two risks of the estimate (offline gain, drift, late labels, latency) and what to monitor
# - [ ] Q2: situation and task with the starting numbers and why they mattered to the business
# - [ ] Q2: the actions taken and how the result was measured (a p99 from enough samples, over time)
# - [ ] Q2: the result with the trade-off quantified: the p99 cut, the added cost, the net per month and what got worse
# - [ ] Q3: explains the p99 from the miss share (more than 1% misses puts the p99 in the miss tail), with the numbers
# - [ ] Q3: a first action that restores service (roll back or restore the key scheme) and how to confirm it worked
# - [ ] Q3: the origin capacity needed, and a monitoring change (an alert on hit ratio or origin load, not only p99)
# - [ ] Q4: the SLI as good over valid requests, measured where users feel it, with a latency threshold
# - [ ] Q4: a target justified by the product of the dependencies' availabilities (why product's ask is or is not possible), with the window
# - [ ] Q4: the budget and burn-rate alerts with numbers, and what would buy another nine (cache, degrade or decouple the weakest dependency)
# - [ ] Q5: the full ladder's cost against the cap, and the rungs the cap removes, with who loses them
# - [ ] Q5: at least two alternatives (per-title ladders, encoding top rungs only for watched titles, spot capacity, faster presets)
# - [ ] Q5: the trade-off of each alternative (quality, delay, complexity, preemption)
