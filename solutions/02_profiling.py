# %% [markdown]
# # Exercise 02: profile, then optimise
#
# The risk team's nightly scoring job, `tradeoffs.labs.scoring.score_accounts`, has grown
# too slow and too hungry for its machine, and nobody knows why: it is not the program of
# the lesson, and nobody has profiled it. For every card transaction it finds the
# merchant, works out the risk of the merchant's category (the category's own base risk
# plus half of its parent category's risk, all the way up to a root), adds amount x risk to
# the account's exposure, and writes a line to an audit log. It returns each account's
# exposure and the SHA-256 of the audit log. Read its code first: in JupyterLab, run
# `scoring.score_accounts??` in a cell, or open `src/tradeoffs/labs/scoring/slow.py`. Then
# measure before you change anything: the profile, not the code's looks, says what to fix.
#
# Four graded parts of rising difficulty and one written answer. Write your code where it
# says `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line), then run the
# test cell below it. Test cells are read-only; some also hold hidden tests that run only
# when your notebook is graded. Speed and memory are measured in a fresh Python process,
# against the original job, in the same run: as ratios, never as absolute times.
#
# Check your work at any time with the **Validate** button, or from a terminal:
# `tradeoffs check exercises/02_profiling`, which prints a verdict per part; when you are
# stuck, `tradeoffs hint 02_profiling PART` shows the next hint for that part.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import cProfile
import hashlib
import pstats
import time

from tradeoffs import checks
from tradeoffs.labs import scoring
from tradeoffs.labs.scoring import make_data, score_accounts
from tradeoffs.labs.scoring.slow import BP_PER_UNIT, audit_line

data = make_data(n_transactions=2_000, seed=0)
transactions, merchants, categories = data
print(
    f"{len(transactions):,} transactions, {len(merchants)} merchants, {len(categories)} categories"
)
print("first transaction:", transactions[0])
print("its merchant:     ", merchants[0])
print("a category:       ", categories[0])
start = time.perf_counter()
scores, digest = score_accounts(*data)
print(f"score_accounts: {len(scores)} accounts, audit log {digest[:12]}...")
print(f"one run took {(time.perf_counter() - start) * 1000:.0f} ms (one run proves nothing)")

# %% [markdown]
# ## Part 1: name the bottleneck (3 points)
#
# Write `find_bottleneck(fn, *args)`: run `fn(*args)` once under `cProfile`, and return
# `(function_name, total_calls)` for the function that **spends the most time in its own
# code** (what pstats calls tottime). `function_name` is the function's name as pstats
# records it (the third element of a stats key, e.g. `"score_accounts"`), and
# `total_calls` counts every call, recursive ones included: when pstats prints
# `ncalls` as `120/30`, that is 120.
#
# The test runs cProfile on the job itself and compares: call counts are exact, so this is
# graded on facts, not seconds. Hidden tests profile other programs, with other shapes of
# profile: write the function for any program, not for this one.


# %% nbgrader={"grade": false, "grade_id": "find_bottleneck", "locked": false, "schema_version": 3, "solution": true}
def find_bottleneck(fn, *args):
    """(name, total calls) of the function with the largest own time (tottime)."""
    ### BEGIN SOLUTION
    profiler = cProfile.Profile()
    profiler.runcall(fn, *args)
    stats = pstats.Stats(profiler).stats
    # Own time finds the code that burns the CPU; cumtime would name the entry point.
    key, (_primitive, total, _tottime, _cumtime, _callers) = max(
        stats.items(), key=lambda item: item[1][2]
    )
    return key[2], total
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_bottleneck", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""find_bottleneck names the function with the most own time and its total call count"""
small = tuple(make_data(n_transactions=1_500, seed=1))
want = checks.run_isolated(scoring.profile_top, score_accounts, *small, what="cProfile")
checks.assert_equal(
    find_bottleneck(score_accounts, *small),
    want,
    what="find_bottleneck(score_accounts, *make_data(n_transactions=1_500, seed=1))",
)
### BEGIN HIDDEN TESTS
from tradeoffs.labs.report import build_report, make_orders

_feed = make_orders(6_000, seed=5)
checks.assert_equal(
    find_bottleneck(build_report, _feed),
    checks.run_isolated(scoring.profile_top, build_report, _feed, what="cProfile"),
    what="find_bottleneck(build_report, <6,000 orders>)",
)
_deep = tuple(make_data(n_transactions=1_200, n_merchants=50, n_categories=300, depth=7, seed=4))
checks.assert_equal(
    find_bottleneck(score_accounts, *_deep),
    checks.run_isolated(scoring.profile_top, score_accounts, *_deep, what="cProfile"),
    what="find_bottleneck(score_accounts, <a 7-level category tree>)",
)
from tradeoffs.labs.scoring.exercise import rank_events

checks.assert_equal(
    find_bottleneck(rank_events, 40_000, 25),
    checks.run_isolated(scoring.profile_top, rank_events, 40_000, 25, what="cProfile"),
    what="find_bottleneck(rank_events, 40_000, 25) (a program whose time is in a built-in)",
)
### END HIDDEN TESTS

# %% [markdown]
# ## Part 2: an optimised job with identical results (3 points)
#
# Work the way the lesson did: profile the job (your Part 1 names the function to look
# at first), find the lines where its time goes (line_profiler on that function), fix what
# the measurements point at, then profile again and see what rises to the top. Repeat
# until the next part's test passes; Part 4 measures memory too, so look at where the
# job's peak comes from as well (tracemalloc) before you settle on a design.
#
# Write `score_accounts_fast(transactions, merchants, categories)`, returning **exactly**
# what `score_accounts` returns for the same inputs: the same exposures (integers, accounts
# in ascending order) and the same audit-log digest. You may use `audit_line` and
# `BP_PER_UNIT`, imported above. Do not change the inputs. The hidden tests use other
# inputs, including trees of other shapes.


# %% nbgrader={"grade": false, "grade_id": "score_fast", "locked": false, "schema_version": 3, "solution": true}
def score_accounts_fast(transactions, merchants, categories):
    """Exactly score_accounts(transactions, merchants, categories), faster and leaner."""
    ### BEGIN SOLUTION
    # Index once (dicts instead of a scan per lookup), compute each category's risk once
    # (memoised walk up the tree), and hash the audit log as it is written.
    category_of = {m.merchant_id: m.category_id for m in merchants}
    by_id = {c.category_id: c for c in categories}
    risk_bp = {}

    def risk_of(category_id):
        risk = risk_bp.get(category_id)
        if risk is None:
            category = by_id[category_id]
            risk = category.base_risk_bp
            if category.parent_id is not None:
                risk += risk_of(category.parent_id) // 2
            risk_bp[category_id] = risk
        return risk

    exposure = {}
    log = hashlib.sha256()
    for tx in transactions:
        risk = risk_of(category_of[tx.merchant_id])
        exposure[tx.account_id] = exposure.get(tx.account_id, 0) + tx.amount_cents * risk
        log.update(audit_line(tx, risk).encode())
    scores = {account: total // BP_PER_UNIT for account, total in sorted(exposure.items())}
    return scores, log.hexdigest()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_equivalent", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""score_accounts_fast returns exactly what score_accounts returns, accounts in ascending order"""
checks.assert_equal(
    score_accounts_fast(*data),
    score_accounts(*data),
    what="score_accounts_fast(*make_data(n_transactions=2_000, seed=0)) (accounts in order)",
    ordered=True,
)
### BEGIN HIDDEN TESTS
for _kwargs in (
    {"n_transactions": 1_500, "n_categories": 300, "depth": 7, "seed": 8},
    {"n_transactions": 500, "n_accounts": 5, "n_merchants": 3, "n_categories": 2, "depth": 1},
    {"n_transactions": 0, "seed": 3},
    {"n_transactions": 400, "n_accounts": 1, "n_categories": 60, "depth": 60, "seed": 2},
):
    _d = make_data(**_kwargs)
    checks.assert_equal(
        score_accounts_fast(*_d),
        score_accounts(*_d),
        what=f"score_accounts_fast(*make_data(**{_kwargs})) (accounts in order)",
        ordered=True,
    )
_d = make_data(n_transactions=300, seed=9)
_copies = [list(part) for part in _d]
score_accounts_fast(*_d)
assert [list(part) for part in _d] == _copies, "score_accounts_fast changed its inputs"
### END HIDDEN TESTS

# %% [markdown]
# ## Part 3: at least 5 times faster (3 points)
#
# The test times your function against the original on 2,000 transactions, interleaved,
# after a warm-up, and compares the medians of 7 runs, each on transactions of its own
# (fresh seeds: remembering earlier results cannot help). It counts the CPU time each call
# uses, measured from outside the process that runs it, so nothing in this notebook can
# speed up or slow down either. It also checks the results are identical first: a fast
# wrong answer earns nothing. A good fix is 20 to 40 times faster;
# the bar is 5x, so a loaded machine does not fail a good answer. No new code is needed
# here if Part 2 is already fast.

# %% nbgrader={"grade": true, "grade_id": "test_speed", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""score_accounts_fast is at least 5x faster than score_accounts (interleaved medians, fresh inputs)"""
runs = [tuple(make_data(n_transactions=2_000, seed=checks.fresh_seed())) for _ in range(8)]
checks.assert_equal(
    score_accounts_fast(*runs[0]),
    score_accounts(*runs[0]),
    what="score_accounts_fast(*make_data(n_transactions=2_000, seed=<fresh>)) (accounts in order)",
    ordered=True,
)
result = checks.assert_faster(
    score_accounts_fast,
    score_accounts,
    inputs=runs,
    at_least=5,
    what="score_accounts_fast on 2,000 transactions",
)
print(f"{result.speedup:.1f}x faster than the original (medians of {result.repeats} runs)")

# %% [markdown]
# ## Part 4: at least 3 times less peak memory (2 points)
#
# The job's machine is also short of memory. The test measures the peak memory of one
# call of your function and one of the original, on 20,000 fresh transactions, each in a
# fresh process (in your kernel with tracemalloc; when graded, from outside your process);
# your peak must be at most a third of the original's. Find out what makes the original's
# peak before you change anything (`profiling.trace_memory` or tracemalloc's snapshots, as
# in the lesson: which lines allocate, and what is still held at the peak), and keep only
# what the result needs.

# %% nbgrader={"grade": true, "grade_id": "test_memory", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""score_accounts_fast's peak memory is at most a third of score_accounts' (one call each)"""
checks.assert_equal(
    score_accounts_fast(*make_data(n_transactions=1_000, seed=3)),
    score_accounts(*make_data(n_transactions=1_000, seed=3)),
    what="score_accounts_fast(*make_data(n_transactions=1_000, seed=3)) (accounts in order)",
    ordered=True,
)
lean = checks.assert_leaner(
    score_accounts_fast,
    score_accounts,
    tuple(make_data(n_transactions=20_000, seed=checks.fresh_seed())),
    at_least=3,
    what="score_accounts_fast on 20,000 transactions",
)
print(
    f"peak: {lean.candidate_peak_bytes / 1024:.0f} KiB vs "
    f"{lean.reference_peak_bytes / 1024:.0f} KiB for the original ({lean.measure})"
)

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_cost", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# ## Part 5 (written, graded by hand, 3 points)
#
# Your optimisation is not free. In four to six sentences, for the team that maintains
# the job: what did it cost, in **readability** (what a reader must now understand that
# they did not before), **memory** (what does your version hold that the original did
# not, and how does that grow?) and **generality** (what assumption does it make about the
# data that the original did not: think of a category tree that changes, a cycle in it,
# or a merchant that is missing)? Would you keep the optimisation, and what would you add
# so the next person does not undo it?
#
# ### BEGIN SOLUTION
# **Mark scheme** (3 points):
# - Readability: a real cost named, e.g. the indexes and the memoised walk up the tree (or an iterative pass) a reader must now understand, and why the log is hashed as it goes.
# - Memory and generality: what the new version holds (dicts of merchants and categories, a memo of risks: they grow with merchants and categories, not transactions) and an assumption it makes that the original did not (the tree does not change during a run, so a memo must not outlive it; duplicate ids resolve to the last entry, not the first; a missing merchant fails differently).
# - A reasoned keep-or-revert decision with a guard against regression: a test that compares it with the original on random inputs, a comment on the memo's assumption, a benchmark.
#
# **Model answer.** The fast version trades a plain per-transaction loop for two indexes
# (merchant to category, category id to category) and a memo of category risks, so a
# reader must follow a memoised walk up the tree and see why the audit log is hashed line
# by line instead of built and hashed at the end. It holds the indexes and the memo, which
# grow with the number of merchants and categories (not transactions): far less than the
# audit log the original held here, but with millions of merchants they would matter.
# Generality: the memo assumes the tree does not change during a run (a memo reused across
# runs would serve stale risks); duplicate ids now resolve to the last entry instead of the
# first; a missing merchant raises a KeyError from a dict rather than from find_merchant; a
# cycle in the tree recurses forever in both. I would keep it, since the job is 20 to 40
# times faster with a flat memory profile, with a comment on the memo's assumption, a test
# that compares it with the original on random inputs, and a benchmark in CI so that the
# next person does not undo it.
# ### END SOLUTION
