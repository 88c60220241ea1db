# %% [markdown]
# # 08 · Interview practice: trade-offs with numbers
#
# The interviewer says: "a new model is 5% more accurate, but it costs ten times as much to
# run. Do we ship it?" A candidate who answers "accuracy matters, yes" has lost the room; one
# who says "it depends" without saying on what, too. The answer they are listening for has
# a number in it, says how it was computed, and says what the choice makes worse.
#
# This unit trains that answer on five questions drawn from the course (a costly model,
# a STAR story, a p99 regression after a cache change, an SLO for a new service, a
# transcoding ladder under a cost cap). The graded exercise comes in variants: each has
# its own numbers and its own answer key, so practising it twice is practising twice.
#
# ```sh
# tradeoffs interview --seed 7            # a variant of your own, in work/interview/seed-7/
# tradeoffs interview --seed 7 --timed 45 # the same with a 45-minute countdown
# tradeoffs interview --submit work/interview/seed-7   # graded against its key; shows the model answers
# ```

# %%
import time

from tradeoffs.widgets.interview import roi_example, roi_panel

NOTEBOOK_START = time.perf_counter()

# %% [markdown]
# ## The shape of a good answer, measured on an example
#
# A payments company scores 1 million transactions a day; 0.2% are fraud, averaging 60 USD.
# A hosted model would catch 5 more points of the fraud, at 2.50 USD per 1,000 calls. Put
# both sides of the trade in the same unit, per year:

# %%
full = roi_example(gain=0.05, usd_per_1k=2.5)
print(
    f"value of the gain ${full['value_usd']:,.0f}/year against ${full['cost_usd']:,.0f}/year "
    f"of calls: net ${full['net_usd']:,.0f}, ROI {full['roi']:.2f}x"
)

# %% [markdown]
# **The trap** is to stop at the accuracy: "5% better" says nothing until it is priced. Here
# the gain is worth about 2.2 million USD a year and the calls cost about 0.9 million: it
# pays, by a ratio a finance team will ask about (ROI = net / cost). Change one number and it
# does not: at 7 USD per 1,000 calls the same model loses money.
#
# **The fix is usually a mitigation, not a yes or a no.** Fraud is concentrated: the
# riskiest fifth of the traffic holds about half of the fraud value (this example assumes
# `segment ** 0.4` of it). Serving the costly model to that segment only:

# %%
for share in (1.0, 0.5, 0.2):
    row = roi_example(gain=0.05, usd_per_1k=7.0, segment=share)
    print(
        f"new model on {share:>4.0%} of traffic at $7/1k: value ${row['value_usd']:>11,.0f}, "
        f"cost ${row['cost_usd']:>11,.0f}, net ${row['net_usd']:>11,.0f}"
    )

# %% [markdown]
# At 7 USD per 1,000 calls the full rollout loses money, and serving the segment makes it
# pay: the ROI of the mitigation is what the recommendation rests on. What it made worse:
# two models to run and monitor, and a segment rule that can drift out of date.
#
# Move along the trade-off: the recall gain, the price per call, and the share of traffic
# that gets the new model.

# %%
roi_panel()

# %% [markdown]
# ## How to answer each kind of question
#
# - **A costly upgrade** (question 1): value per year, added cost per year, ROI, then the
#   mitigations priced the same way; recommend the largest net value and name the risks of
#   the estimate (offline gains shrink online, fraud drifts, labels arrive late).
# - **A STAR story** (question 2): situation and task with the starting numbers; the
#   actions; the result with the trade-off quantified (what got better, how measured, what
#   it cost, what got worse).
# - **A p99 regression** (question 3): the p99 is set by the slowest 1%: when more than 1%
#   of requests are misses, the p99 is a miss's latency, deeper in the miss tail the more
#   misses there are. Roll back first, explain second.
# - **An SLO** (question 4): availabilities of serial dependencies multiply, so a service
#   cannot promise more than their product; the budget follows from the target.
# - **A ladder under a cap** (question 5): cost per rung in CPU-seconds per minute times
#   minutes times the price; keep rungs from the bottom up, then buy back the top.
#
# ## Check yourself
#
# Make a variant (`tradeoffs interview --seed N`), answer it in the notebook it writes,
# and submit it to yourself (`tradeoffs interview --submit ...`): numbers are graded against
# that variant's key, and the model answers and mark schemes of the written parts are shown
# only then. The course's own copy of the exercise is the variant of seed 0.
#
# ## Trade-off questions
#
# 1. A model is 5% more accurate and costs 10x as much per call. What two numbers do you
#    need before you answer?
#
# <details><summary>Model answer</summary>
#
# What the accuracy gain is worth per year (the errors it removes times what each costs)
# and what the added calls cost per year at the real volume. Then the ROI, and the same two
# numbers for a mitigation (a segment, a distilled model).
# </details>
#
# 2. Why does a hit ratio falling from 95% to 80% multiply the p99, when the mean rises
#    only a little?
#
# <details><summary>Model answer</summary>
#
# With 5% misses, the p99 is the miss latency exceeded by a fifth of the misses; with 20%
# misses, the one exceeded by a twentieth, further into the miss tail. The mean moves with
# the miss share times the miss latency, linearly.
# </details>
#
# 3. Product wants 99.99% and the service calls three dependencies at 99.95% each. What do
#    you say?
#
# <details><summary>Model answer</summary>
#
# That 0.9995 cubed is about 99.85%, so 99.99% cannot be met while those calls are on the
# path: propose 99.8% or 99.5%, and say what would buy more (caching, degrading gracefully
# or calling the weakest dependency asynchronously).
# </details>

# %%
print(f"notebook ran in {time.perf_counter() - NOTEBOOK_START:.1f} s")
