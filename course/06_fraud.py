# %% [markdown]
# # 06 · Project: choose a fraud model under a 100 ms budget
#
# **The scenario.** A card issuer must decide on every payment, while the customer waits
# at the till, whether to let it through or hold it for review: within **100 ms** end to
# end, of which the model gets a small slice. A data scientist proposes a complex
# ensemble "99.9% accurate, but slow and expensive"; the current model is a logistic
# regression "only 97.5% accurate, but fast and cheap". Which one should run, and is
# there something better than choosing?
#
# In this project you simulate a year's worth of realistic card traffic in miniature,
# train both kinds of model on the past and judge them on the future, put a price on
# every decision (missed fraud, reviews, annoyed customers, compute), measure latency the
# way a scoring service calls a model, and build the answer the skill guide hints at: a
# **cascade**, the fast model first and the ensemble only for the borderline cases,
# served by a real HTTP service whose tier is configuration, and load-tested.
#
# Everything runs for real on your machine: scikit-learn models, threadpoolctl to pin
# threads, FastAPI + uvicorn on a loopback port, Locust in a subprocess. Sizes are knobs
# (`SimConfig(n_customers=...)`), small by default; the notebook runs in about a minute.

# %%
import time

import httpx
import matplotlib.pyplot as plt
import numpy as np

from tradeoffs import prices
from tradeoffs.labs.endpoint import serve
from tradeoffs.labs.fraud import (
    FEATURES,
    Cascade,
    CostModel,
    OnlineFeatures,
    ServiceConfig,
    SimConfig,
    SplitConfig,
    TradeoffData,
    average_precision,
    batch_throughput,
    card_precision_at_k,
    choose_band,
    cost_breakdown,
    create_scoring_app,
    interleaved_latency,
    make_dataset,
    matrix_table,
    mean_interval,
    measure_calls,
    over_seeds,
    overhead_split,
    paired_interval,
    precision_at_k,
    profile_one_call,
    roi_table,
    roi_text,
    segment_decisions,
    train_study,
)
from tradeoffs.labs.fraud.load import BAD_REQUESTS, run_tier, scoring_trace, tier_table
from tradeoffs.labs.fraud.neural import torch_available
from tradeoffs.widgets.fraud import (
    fraud_panel,
    plot_days,
    plot_latency,
    plot_pareto,
    plot_threshold_costs,
)

NOTEBOOK_START = time.perf_counter()

# %% [markdown]
# ## 1. The transactions
#
# The simulator follows the design of the *Fraud Detection Handbook* (Le Borgne et al.),
# rewritten for this course: customers and card terminals at points of a map, each
# customer with a spending profile and a Poisson number of payments per day at the
# terminals near home, and three fraud scenarios: **large amounts** (above $220),
# **compromised terminals** (every payment at the terminal is fraud for four weeks) and
# **compromised cards** (a third of the card's payments for two weeks are fraud, at five
# times the usual amount). 2,000 customers and 77 days give about 300,000 transactions.

# %%
SPLIT = SplitConfig(burn_in_days=28, train_days=21, val_days=14, delay_days=7, test_days=7)
dataset = make_dataset(SimConfig(n_customers=2_000, n_terminals=4_000), seed=0, split=SPLIT)
tx = dataset.transactions
print(f"{len(tx):,} transactions, {tx.fraud_rate:.2%} fraud:", tx.scenario_counts())
print({name: (lo, hi) for name, (lo, hi) in SPLIT.bounds().items()}, "(days)")
for name in ("train", "val", "test"):
    part = getattr(dataset, name)
    print(f"{name:5}: {len(part):7,} transactions, {part.y.sum():4} frauds ({part.fraud_rate:.2%})")

# %%
fig, ax = plt.subplots(figsize=(10, 3.2))
plot_days(tx, ax)
fig.tight_layout()

# %% [markdown]
# The days are laid out in order: a **burn-in** that only feeds the rolling windows, three
# weeks to **train** on, two weeks of **validation** (to choose thresholds), a week of
# **delay**, then the **test** week. The delay is the point: a fraud is only known when
# the card holder disputes it, days later, so on the day the model goes live the most
# recent labels do not exist yet. A random train/test split would let the model learn from
# the future (a compromised terminal spans four weeks) and flatter every score.
#
# ## 2. Features a service can compute online
#
# Each transaction gets the handbook's features: its amount, weekend and night flags, the
# customer's number of payments and mean amount over the last 1, 7 and 28 days, and the
# terminal's number of payments and fraud share over 1, 7 and 28 days **shifted back by
# the 7-day label delay**. The scoring service computes them from its own history as each
# payment arrives (`OnlineFeatures`); training used the same definitions in batch
# (`offline_features`). Any difference would be training/serving skew, so check:

# %%
print(", ".join(FEATURES))
store = OnlineFeatures(SPLIT.delay_days).load_history(dataset.before("test"))
replay = dataset.period("test").subset(np.arange(len(dataset.period("test"))) < 2_000)
online = store.rows(replay)
print(f"online vs offline features, 2,000 replayed payments: max difference "
      f"{np.abs(online - dataset.test.X[:2_000]).max():.1e}")  # fmt: skip

# %% [markdown]
# ## 3. Train on the past, score the future
#
# Three candidates: a **logistic regression** (standardised features), **gradient
# boosting** (`HistGradientBoostingClassifier`), and a **random forest** of 50 deep trees,
# the "complex ensemble". Each is trained on the training weeks and scores the validation
# and test weeks; `train_study` also builds the lean inference paths of section 6.

# %%
started = time.perf_counter()
study = train_study(dataset, CostModel(), ("logistic", "boosting", "forest"), n_jobs=2)
print(f"trained in {time.perf_counter() - started:.1f} s; review capacity "
      f"{study.alerts_per_day} alerts a day")  # fmt: skip

# %% [markdown]
# ## 4. The trap: accuracy
#
# With well under 1% fraud, a "model" that lets every payment through is already more
# than 99% accurate. Accuracy, precision and recall at the default threshold of 0.5, next
# to the yardsticks that do not reward doing nothing: average precision (the area under
# the precision-recall curve), precision among the day's top alerts the review team can
# check (P@k), the same per card (CP@k), and what the decisions cost.

# %%
test = dataset.test
approve_all = np.zeros(len(test))
print(f"{'model @ 0.5':<14}{'accuracy':>9}{'precision':>10}{'recall':>7}{'AP':>6}{'P@k':>6}"
      f"{'CP@k':>6}{'$/1000':>8}")  # fmt: skip
for name, scores in [("approve all", approve_all)] + [
    (n, study.test_scores[n]) for n in study.models
]:
    b = cost_breakdown(scores >= 0.5, test.y, test.amount_usd, 0.0, study.costs)
    ap = average_precision(test.y, scores)
    pk = precision_at_k(test.y, scores, test.day, study.alerts_per_day)
    cpk = card_precision_at_k(test.y, scores, test.day, test.customer_id, study.alerts_per_day)
    print(f"{name:<14}{b.accuracy:>9.2%}{b.precision:>10.0%}{b.recall:>7.0%}{ap:>6.2f}"
          f"{pk:>6.0%}{cpk:>6.0%}{b.per_1000_usd:>8.0f}")  # fmt: skip

# %% [markdown]
# Every row scores above 99% accuracy, and the differences between the models (a few
# tenths of a point) say nothing about what they are worth: "99.9% against 97.5%" would
# be a difference in how many legitimate payments each flags, not in how much fraud each
# catches. Doing nothing costs about $900 per 1,000 transactions in lost fraud; the
# models at 0.5 cost between a sixth and a third of that. Rank on cost, average precision and precision at the
# review capacity, never on accuracy.
#
# ## 5. What a decision costs
#
# A missed fraud loses its amount (`loss_share` of it); every flagged payment costs an
# analyst's review; a flagged legitimate one also costs friction (a customer whose card
# was held, who may not use it again); every scored payment costs compute. The prices are
# the course's price book (`tradeoffs.prices`, illustrative, dated):

# %%
print(prices.FRAUD_OPS, "| vCPU-hour:", prices.VCPU_HOUR_USD["on-demand VM"], "USD")
fig, ax = plt.subplots(figsize=(8, 3.8))
best = {n: study.threshold(n) for n in study.models}
plot_threshold_costs(
    {n: study.val_scores[n] for n in study.models}, dataset.val.y, dataset.val.amount_usd,
    study.costs, ax, best,
)  # fmt: skip
ax.set_title("validation weeks: cost against threshold (dots: the cheapest)")
fig.tight_layout()
for n in study.models:
    row = [cost_breakdown(study.flags(n, r), test.y, test.amount_usd, 0, study.costs).per_1000_usd
           for r in ("0.5", "best", "bayes")]  # fmt: skip
    print(f"{n:9} test week, $/1000: at 0.5 {row[0]:6.1f} | best validation threshold "
          f"({best[n]:.3f}) {row[1]:6.1f} | Bayes, per amount {row[2]:6.1f}")  # fmt: skip

# %% [markdown]
# The cheapest threshold is far below 0.5 for the calibrated models: a review costs $4
# and a missed fraud about $130 on average, so a payment is worth a look at a few percent
# probability. The **Bayes-risk rule** goes further and uses the amount: flag when
# `p * amount > review + (1 - p) * friction`, so a $2,000 payment is held at a 1% risk
# and a $3 one never is. It needs probabilities that mean what they say (the logistic
# regression's are calibrated; a random forest's vote shares are not, which is why its
# default 0.5 is less bad than the logistic regression's).
#
# ## 6. Latency, measured the way a service calls a model
#
# A scoring service receives one payment per request: one row per call, on a warm model,
# with one thread per call (threadpoolctl pins BLAS and OpenMP pools, which would
# otherwise fight over the cores of a busy server). `interleaved_latency` times each
# scorer once per row in rotating order, so noise from the rest of the machine falls on
# all of them alike; trust the ratios more than the absolute numbers, which depend on
# your machine.

# %%
rows = dataset.test.X[np.random.default_rng(0).choice(len(dataset.test), 1_000, replace=False)]
lat = interleaved_latency({n: s.one for n, s in study.scorers.items()}, rows, n_calls=1_000)
print(
    f"{'scorer':<15}{'p50 ms':>9}{'p99 ms':>9}{'p99 95% CI':>18}{'CPU ms':>9}{'batch µs/row':>14}"
)
for n, s in lat.items():
    lo, hi = s.p99_interval_ms()
    per_row_us = 1e6 / batch_throughput(study.scorers[n], dataset.test.X[:10_000])
    print(f"{n:<15}{s.p50_ms:>9.3f}{s.p99_ms:>9.3f}{f'[{lo:.3f}, {hi:.3f}]':>18}"
          f"{s.cpu_ms_per_call:>9.3f}{per_row_us:>14.2f}")  # fmt: skip
fig, ax = plt.subplots(figsize=(8, 3.5))
plot_latency(lat, ax)
fig.tight_layout()

# %% [markdown]
# **The trap: latency measured in batch.** Scoring 10,000 rows in one call, the forest
# spends a few microseconds per row; called as a service calls it, one row at a time, it
# takes about two milliseconds. Both are true; only the second is a request's latency.
# Where does the one-row time go? Fitting `time(batch) = per_call + batch * per_row`:

# %%
for n in ("logistic", "forest"):
    split_ = overhead_split(study.scorers[n], dataset.test.X)
    print(f"{n:9}: {split_.per_call_ms:.3f} ms per call + {split_.per_row_ms * 1000:.2f} µs per "
          f"row: {split_.overhead_share_one_row:.0%} of a one-row call is overhead")  # fmt: skip
top = profile_one_call(study.scorers["forest"], rows[0])[:6]
print("forest, one-row calls under cProfile, largest own time first:")
for f in top:
    print(f"  {f.tottime_s * 1000:7.1f} ms  {f.total_calls:6} calls  {f.label}")

# %% [markdown]
# Almost all of a one-row call is overhead. For the forest: joblib dispatches one task per
# tree, each setting up a warnings filter and scikit-learn's configuration and checking
# its input again, then calls that tree's `predict_proba`. The arithmetic (50 walks down a
# tree) takes microseconds. The **lean
# paths** compute the same probabilities without the overhead: the logistic regression as
# one dot product with the scaler folded into the weights (`LeanLogistic`), the forest as
# flat node arrays walked for all trees at once with numpy (`FlatForest`). Same numbers,
# checked:

# %%
for fast, ref in (("logistic lean", "logistic"), ("forest lean", "forest")):
    same = np.abs(study.scorers[fast].many(test.X) - study.test_scores[ref]).max()
    print(f"{fast:13}: max difference from {ref} {same:.1e}; p50 {lat[ref].p50_ms / lat[fast].p50_ms:5.0f}x "
          f"faster, p99 {lat[ref].p99_ms / lat[fast].p99_ms:4.0f}x")  # fmt: skip
slow_thread = measure_calls(study.scorers["boosting"].one, rows, 300, name="any", threads=None)
pinned = measure_calls(study.scorers["boosting"].one, rows, 300, name="one")
print(f"boosting, thread pools free vs pinned to one thread: p50 {slow_thread.p50_ms:.3f} vs "
      f"{pinned.p50_ms:.3f} ms")  # fmt: skip

# %% [markdown]
# The lean paths are 20x to 100x faster at the median with the same probabilities: the
# forest, called leanly, is faster than the logistic regression called through
# scikit-learn. And gradient boosting, whose prediction uses an OpenMP pool, is slower on
# one row with the pool free than pinned to one thread: starting threads for one row costs
# more than it saves (more so on a server with many cores and many requests at once).

# %% [markdown]
# ## 7. The cost-accuracy-latency matrix
#
# One row per option: model, decision rule and inference path, priced on the test week
# with the CPU time measured above (the infrastructure column: a hundred-thousandth of a
# dollar per 1,000 at cloud CPU prices). `*` marks the Pareto front of cost against p99:
# the options that no other beats on both. The table is printed with the cascade below.

# %%
matrix = []
for n in ("logistic", "boosting", "forest"):
    for rule in ("0.5", "best", "bayes"):
        matrix.append(
            study.row(f"{n} @ {rule}", study.flags(n, rule), lat[n], study.test_scores[n])
        )
for n, ref in (("logistic lean", "logistic"), ("forest lean", "forest")):
    matrix.append(
        study.row(f"{n} @ bayes", study.flags(ref, "bayes"), lat[n], study.test_scores[ref])
    )

# %% [markdown]
# ## 8. The cascade: fast model first, the forest for the borderline
#
# Most payments are obviously fine: the logistic regression gives them a fraud
# probability of a fraction of a percent. The cascade lets those through, flags the
# obviously bad, and **escalates** the band in between to the forest. `choose_band` finds
# the cheapest band on the validation weeks among those escalating at most 0.5% of
# payments. Why so few? Because of the p99:

# %%
band, slow_t = study.band("logistic", "forest", max_escalation=0.005)
flags, esc = study.cascade_decisions("logistic", "forest", band, slow_t)
cascade = Cascade(study.scorers["logistic lean"], study.scorers["forest"], band, slow_t)
clat = interleaved_latency(
    {"cascade": cascade.decide, "forest": study.scorers["forest"].one},
    rows, n_calls=3_000, every={"forest": 6},
)  # fmt: skip
cascade_scores = np.where(esc, study.test_scores["forest"], study.test_scores["logistic"])
matrix.append(study.row("cascade", flags, clat["cascade"], cascade_scores, float(esc.mean())))
print(f"band [{band[0]:.4f}, {band[1]:.4f}), forest flags at {slow_t:.3f}; escalates "
      f"{esc.mean():.2%} of the test week")  # fmt: skip
print(matrix_table(matrix))

# %%
fig, ax = plt.subplots(figsize=(9, 4.5))
plot_pareto(matrix, ax)
fig.tight_layout()

# %% [markdown]
# The cascade's latency is the fast call for everyone plus the forest for the escalated
# few, so its **mean** falls in proportion to the escalation rate. Its **p99** is another
# matter: once more than 1% of payments take the slow path, the 99th percentile *is* a
# slow-path latency. Widen the band and watch:

# %%
print(
    f"{'max escalation':>15}{'escalated':>10}{'$/1000':>8}{'mean ms':>9}{'p50 ms':>8}{'p99 ms':>8}"
)
for cap in (0.005, 0.01, 0.02, 0.05):
    b, _ = choose_band(study.val_scores["logistic"], study.val_scores["forest"], dataset.val.y,
                       dataset.val.amount_usd, slow_t, study.costs, cap)  # fmt: skip
    f, e = study.cascade_decisions("logistic", "forest", b, slow_t)
    c = Cascade(study.scorers["logistic lean"], study.scorers["forest"], b, slow_t)
    s = measure_calls(c.decide, rows, 1_000, name="cascade")
    cost = cost_breakdown(f, test.y, test.amount_usd, s.cpu_ms_per_call, study.costs)
    print(f"{cap:>15.1%}{e.mean():>10.2%}{cost.per_1000_usd:>8.1f}{s.mean_ms:>9.3f}"
          f"{s.p50_ms:>8.3f}{s.p99_ms:>8.3f}")  # fmt: skip

# %% [markdown]
# A wider band buys more of the forest's accuracy (here about $20 per 1,000 from 0.5% to
# 2% escalation) and gives up the tail: from about 1% on, the p99 is the forest's median.
# Even at 0.7% it can be: the share of escalated payments among the 1,000 measured (and
# in tomorrow's traffic) varies, so keep a margin. A cascade improves the p99 only when
# the slow path is rarer than the percentile you care about; the p99.9 is the slow path's
# at any escalation above 0.1%.
#
# Read the matrix with that in mind. Every option here is far inside 100 ms: the question
# is cost at an acceptable tail. The forest's lean path with the Bayes rule is the cheapest
# (about $99 per 1,000, against $126 for the logistic regression with the same rule and
# $167 at its best single threshold), at a p99 of a fraction of a millisecond. The cascade
# (single thresholds, $114) keeps the forest's saving over the logistic regression at the
# best single threshold at a tenth of the lean forest's p99: the choice when the accurate
# path cannot be made lean (a bigger model, features from a remote store).
#
# ## 9. Fast path and accurate path as tiers of one scoring service
#
# The skill guide's "architect for trade-offs": one service, both paths, the tier and the
# escalation band as configuration. `POST /score` takes a payment (customer, terminal,
# amount, time), computes the features from the service's own history, scores, and
# answers with the decision and the path taken. It runs on uvicorn on a loopback port
# (the endpoint lab's `serve`), and Locust replays the test week against it: 16 users,
# each replaying its own customers' payments in time order, about 200 requests a second,
# with 1% bad requests that must get a 422. Two seconds per tier:

# %%
fast_t = study.threshold("logistic")
trace = scoring_trace(dataset, n_requests=4_000, bad_fraction=0.01)
tiers = [
    run_tier(dataset, study.scorers["logistic lean"], study.scorers["forest"],
             ServiceConfig(tier, band, fast_t, slow_t), trace, duration_s=2, rate_rps=200)
    for tier in ("fast", "accurate", "cascade")
]  # fmt: skip
print(tier_table(tiers))

# %% [markdown]
# The server-side percentiles include the web framework (parsing, validation, routing,
# about half a millisecond), the feature lookups and the model: measured service latency,
# not a model call. The cascade serves at about the fast tier's median and p99; the
# accurate tier's median is several times higher and its p99 several times again (one
# request's forest call holds up the ones behind it). Absolute tails on a shared laptop
# move from run to run; the ordering does not. Every bad request got its 422 (the failure
# column counts any other status). What they look like, and the tier switched at run time
# with `PUT /config`:

# %%
app = create_scoring_app(study.scorers["logistic lean"], study.scorers["forest"],
                         OnlineFeatures().load_history(dataset.before("test")),
                         ServiceConfig("cascade", band, fast_t, slow_t))  # fmt: skip
with serve(app) as server, httpx.Client(base_url=server.url) as client:
    for what, body in BAD_REQUESTS[:4]:
        r = client.post("/score", content=body, headers={"content-type": "application/json"})
        print(f"{what:16} -> {r.status_code} {r.json()['detail'][0]['msg']}")
    print("PUT /config tier=fast ->", client.put("/config", json={"tier": "fast"}).json()["tier"])
    print(
        "PUT /config band=(0.5, 0.1) ->",
        client.put("/config", json={"band": [0.5, 0.1]}).status_code,
    )

# %% [markdown]
# ## 10. Would it hold on another world? Intervals over seeds
#
# One simulated world is one draw: the test week's cost is dominated by a handful of
# compromised terminals. Before recommending anything, repeat the whole comparison on
# fresh worlds (new customers, terminals and frauds: the seed) and put a confidence
# interval on each figure. The options are measured on the same worlds, so compare them
# paired: the swing that all options share from world to world cancels out.


# %%
def evaluate(st):
    b, t = st.band("logistic", "forest", 0.005)
    f, _ = st.cascade_decisions("logistic", "forest", b, t)
    ts = st.dataset.test
    return {
        "logistic": cost_breakdown(
            st.flags("logistic", "best"), ts.y, ts.amount_usd, 0, st.costs
        ).per_1000_usd,
        "forest": cost_breakdown(
            st.flags("forest", "best"), ts.y, ts.amount_usd, 0, st.costs
        ).per_1000_usd,
        "cascade": cost_breakdown(f, ts.y, ts.amount_usd, 0, st.costs).per_1000_usd,
        "AP logistic": average_precision(ts.y, st.test_scores["logistic"]),
        "AP forest": average_precision(ts.y, st.test_scores["forest"]),
    }


WORLD = SimConfig(n_customers=1_500, n_terminals=3_000)
per_seed = over_seeds(range(2, 7), evaluate, WORLD, SPLIT, n_jobs=2)
for key, values in per_seed.items():
    print(f"{key:12} {mean_interval(values)}  (per seed: {np.round(values, 2).tolist()})")
print(
    "saving of the forest over the logistic regression:",
    paired_interval(per_seed["logistic"], per_seed["forest"]),
)
print(
    "saving of the cascade over the logistic regression:",
    paired_interval(per_seed["logistic"], per_seed["cascade"]),
)
print("forest against cascade:", paired_interval(per_seed["cascade"], per_seed["forest"]))

# %% [markdown]
# Five worlds of 1,500 customers (seeds 2 to 6). Each option's own interval is wide (the
# cost of fraud swings from world to world by a factor of two), but paired, the saving of
# both the forest and the cascade over the logistic regression excludes zero: about $30
# per 1,000. Whether the forest beats the cascade is not established: its interval
# straddles zero. A difference whose paired interval excludes zero is one to act on; one
# that does not is a hypothesis, and the reason to ask for more weeks of data. (On smaller
# worlds, with less to learn from, the forest's advantage shrinks or vanishes: try
# `SimConfig(n_customers=800)`.) The exercise asks you for this interval.
#
# ## 11. The interview question: "a model 5% more accurate costs much more to run"
#
# Quantify the value of the gain, the added annual cost, and the mitigations (optimise
# the model, serve it only to a high-value segment), with an ROI table. At 1 million
# payments a day, from the test week above:

# %%
VOLUME = 1_000_000
options = {
    "logistic @ best": study.breakdown(
        study.flags("logistic", "best"), lat["logistic"].cpu_ms_per_call
    ),
    "forest @ best": study.breakdown(study.flags("forest", "best"), lat["forest"].cpu_ms_per_call),
    "forest lean @ best": study.breakdown(
        study.flags("forest", "best"), lat["forest lean"].cpu_ms_per_call
    ),
}
seg_flags, seg_cpu, share = segment_decisions(
    test.amount_usd, 50.0, study.flags("forest", "best"), study.flags("logistic", "best"),
    lat["forest"].cpu_ms_per_call, lat["logistic"].cpu_ms_per_call,
)  # fmt: skip
options[f"forest for >= $50 ({share:.0%})"] = study.breakdown(seg_flags, seg_cpu)
options["cascade"] = study.breakdown(flags, clat["cascade"].cpu_ms_per_call)
print(roi_text(roi_table(options, "logistic @ best", VOLUME), VOLUME))

# %% [markdown]
# Read it the way the question asks. **The gain**: "5% more accurate" is the wrong unit;
# accuracy moves by tenths of a point while the cost of fraud moves by tens of percent,
# so quote the saving in dollars. **The added cost**: at cloud CPU prices a model this
# size adds a few dollars to a few hundred a year even at 2 ms per call, a rounding
# error next to the fraud it catches; what the forest really costs is **latency** (a 2 ms
# median, a p99 several times that, against a budget shared with the network and the
# feature store) and operational weight (memory, deploy size, a model that is harder to
# explain to a regulator). **The mitigations**: the lean path removes most of the latency
# at no accuracy cost; the segment rule spends the slow model only where amounts are
# large; the cascade keeps (here: exceeds) the forest's saving at the fast tier's p99.
# When would the ROI turn negative? When the accurate path needs accelerators or a paid
# data source per call, or when the saving's interval includes zero.
#
# ## 12. Move along the trade-off
#
# Review cost, how much of a missed fraud the issuer loses, daily volume, the flagging
# threshold and the escalation band, against the daily cost and the latency of each tier
# (latencies recombined from the samples measured above, not re-measured).

# %%
panel_data = TradeoffData(
    fast_scores=study.test_scores["logistic"], slow_scores=study.test_scores["forest"],
    y=test.y, amount_usd=test.amount_usd,
    fast_ms=lat["logistic lean"].wall_ms, slow_ms=lat["forest"].wall_ms,
    fast_cpu_ms=lat["logistic lean"].cpu_ms_per_call, slow_cpu_ms=lat["forest"].cpu_ms_per_call,
    fast_name="logistic", slow_name="forest",
)  # fmt: skip
fraud_panel(panel_data)

# %% [markdown]
# ## 13. Optional: a small neural network (PyTorch)
#
# With PyTorch installed (`pip install torch`; it is not a dependency of the course), a
# two-layer perceptron joins the matrix as a third point on the curve, and the PyTorch
# profiler shows where a one-row call goes (mostly framework dispatch, as with
# scikit-learn). Without it, this section is skipped.

# %%
if torch_available():
    from tradeoffs.labs.fraud.neural import profile_one_row, train_mlp

    mlp = train_mlp(dataset.train.X, dataset.train.y)
    mlp_scores = mlp.predict(test.X)
    mlp_lat = measure_calls(mlp.predict_one, rows, 500, name="mlp")
    mlp_cost = cost_breakdown(mlp_scores >= study.threshold("logistic"), test.y, test.amount_usd,
                              mlp_lat.cpu_ms_per_call, study.costs)  # fmt: skip
    print(f"MLP: AP {average_precision(test.y, mlp_scores):.2f}, ${mlp_cost.per_1000_usd:.1f} per "
          f"1,000, p50 {mlp_lat.p50_ms:.3f} ms, p99 {mlp_lat.p99_ms:.3f} ms")  # fmt: skip
    print(profile_one_row(mlp, rows[0]))
else:
    print("PyTorch is not installed here: the optional neural-network section is skipped.")

# %% [markdown]
# ## Check yourself
#
# The exercise (`exercises/06_fraud`) asks you to write the expected-cost function
# (exact to the cent, compute included), the cost-minimising threshold and the Bayes-risk
# decisions, the model choice under a latency budget, the cascade's band (judged on a
# test week it has not seen, for cost and measured p99), a paired interval over seeds,
# and a recommendation memo.
#
# ## Where to go next
#
# - Le Borgne, Siblini, Lebichot, Bontempi, [Reproducible Machine Learning for Credit Card
#   Fraud Detection: Practical Handbook](https://fraud-detection-handbook.github.io/fraud-detection-handbook/)
#   (2022): the simulator, the features, the delayed-label validation and CP@k.
# - Elkan, [The Foundations of Cost-Sensitive Learning](https://cseweb.ucsd.edu/~elkan/rescale.pdf)
#   (IJCAI 2001): Bayes-risk thresholds from a cost matrix.
# - Viola and Jones, [Rapid Object Detection using a Boosted Cascade of Simple Features](https://www.cs.cmu.edu/~efros/courses/LBMV07/Papers/viola-cvpr-01.pdf)
#   (CVPR 2001): the cascade idea; and Dean and Barroso, [The Tail at Scale](https://research.google/pubs/the-tail-at-scale/)
#   (CACM 2013): why the p99 is what users feel.
#
# ## Trade-off questions (the kind an interviewer asks)
#
# 1. *Our new fraud model is 99.9% accurate against the old one's 97.5%. Ship it?*
#
# <details><summary>Model answer</summary>
#
# Accuracy is the wrong yardstick at a 0.7% fraud rate: flagging nothing is 99.3%
# accurate. Ask for the cost of each model's decisions at its own best threshold (missed
# fraud, reviews, friction, compute) on a later period than it was trained on, average
# precision, precision at the review team's daily capacity, and the one-row p99 against the
# budget; then an interval over several periods or seeds for the difference.
# </details>
#
# 2. *Why not keep the default threshold of 0.5?*
#
# <details><summary>Model answer</summary>
#
# 0.5 minimises errors when both errors cost the same. Here a missed fraud costs about
# 30 times a review, so the cheapest threshold is a few percent for a calibrated model, and
# with the amount in the rule (flag when p * amount > review + (1 - p) * friction) large
# payments are held at lower probabilities than small ones. It needs calibrated
# probabilities; choose it on validation data from after the training period.
# </details>
#
# 3. *The cascade cut the mean latency by 90%. Did it cut the p99?*
#
# <details><summary>Model answer</summary>
#
# Only if fewer than 1% of requests take the slow path (and with margin, since the
# escalation rate moves from week to week). Above that, the p99 is a slow-path latency,
# and the p99.9 is one at any escalation rate above 0.1%. Measure the p99 of the cascade
# as the service calls it, not by averaging the two models' numbers.
# </details>
#
# 4. *The ensemble costs 10x the CPU of the logistic regression. Is it worth it?*
#
# <details><summary>Model answer</summary>
#
# Price both sides per year: the saving in fraud, reviews and friction against the added
# compute. At CPU prices the compute of a 2 ms model is small next to fraud losses, so the
# question is latency and risk, not the bill; mitigate with a lean inference path, a
# cascade, or the ensemble only for a high-value segment, and check that the saving's
# interval over seeds or weeks excludes zero before claiming it.
# </details>

# %%
print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.0f} s")
