# %% [markdown]
# # Exercise 07: a tiered, content-adaptive transcoding pipeline
#
# A video platform transcodes every upload into a ladder of renditions. You write the
# three decisions the lesson's pipeline makes: the **content-adaptive ladder** (preset and
# bitrates chosen from a content analysis), the **tier scheduler** (previews first), and
# the **SLO report** (time to first frame and cost per minute encoded, with error budgets,
# from the job log). A fourth test encodes real clips with the ladders your function
# chooses and scores them with VMAF. Then a written SLO proposal.
#
# Your functions take and return plain data: dicts of numbers, lists of dicts, lists of
# job ids. Write your code where it says `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), then run the test cell below it. Check your work
# at any time with `tradeoffs check exercises/07_transcode`.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import math

from tradeoffs import checks, prices
from tradeoffs.labs.transcode import exercise, ladder, pipeline, slo

ANALYSES = exercise.SEEDED_ANALYSES
print("an analysis:", ANALYSES["zoom"])
print("base bitrates (kbps):", ladder.BASE_KBPS)
print("the fixed ladder for a 360p source:", exercise.fixed_ladder_dicts(360))

# %% [markdown]
# ## Part 1: the content-adaptive ladder (4 points)
#
# Write `choose_ladder(analysis)`. `analysis` is a dict of numbers as the lab's
# `analyse()` returns it: `height` (the source's), `ti` (temporal information: motion),
# `probe_bits_per_pixel` (what a quick CRF probe encode needed: complexity), and more.
# Return the ladder as a list of dicts `{"height": h, "preset": p, "bitrate_kbps": b}`,
# lowest rung first:
#
# - **rungs**: every height of `ladder.BASE_KBPS` (144, 240, 360, 480, 720, 1080) that is
#   at most the source's height (never upscale);
# - **bitrate**: the rung's base bitrate times the complexity factor
#   `probe_bits_per_pixel / 0.30`, with the factor clamped to [0.6, 1.6], then rounded to
#   the nearest multiple of 25 kbps, **halves rounded up** (112.5 becomes 125), as a float;
# - **preset**: `"medium"` when `probe_bits_per_pixel >= 0.30` **and** `ti < 18`
#   (detailed content whose motion a motion search can follow), otherwise `"veryfast"`
#   (simple content needs no search effort; noise and chaotic motion defeat it).


# %% nbgrader={"grade": false, "grade_id": "choose_ladder", "locked": false, "schema_version": 3, "solution": true}
def choose_ladder(analysis):
    """The content-adaptive ladder: a list of {"height", "preset", "bitrate_kbps"} dicts."""
    ### BEGIN SOLUTION
    bpp = analysis["probe_bits_per_pixel"]
    factor = min(1.6, max(0.6, bpp / 0.30))
    # A slower preset pays only where motion search finds matches in detailed content.
    preset = "medium" if bpp >= 0.30 and analysis["ti"] < 18 else "veryfast"
    return [
        {
            "height": h,
            "preset": preset,
            "bitrate_kbps": float(math.floor(base * factor / 25 + 0.5) * 25),
        }
        for h, base in sorted(ladder.BASE_KBPS.items())
        if h <= analysis["height"]
    ]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_tc_ladder", "locked": true, "points": 4, "schema_version": 3, "solution": false}
"""choose_ladder gives the exact rungs, presets and bitrates (floats) of the stated policy"""


def _check_ladder(name, what):
    got = choose_ladder(ANALYSES[name])
    for rung in got if type(got) is list else ():
        kbps = rung.get("bitrate_kbps") if type(rung) is dict else None
        numpy_float = type(kbps).__module__ == "numpy" and kbps.dtype.kind == "f"
        example = f"{float(kbps)!r}, not {kbps!r}" if type(kbps) is int else "e.g. 375.0"
        assert type(kbps) is float or numpy_float, (
            f"{what} gives a bitrate_kbps of {kbps!r} ({type(kbps).__name__}) for the "
            f"{rung.get('height') if type(rung) is dict else '?'}p rung: the statement asks "
            f"for a float ({example})"
        )
    checks.assert_equal(got, exercise.reference_ladder(ANALYSES[name]), what=what)


for _name in ("animation", "zoom", "grain"):
    _check_ladder(_name, f"choose_ladder(ANALYSES[{_name!r}])")
### BEGIN HIDDEN TESTS
for _name in (
    "sports",
    "detail_at_threshold",
    "motion_at_threshold",
    "half_up",
    "flat_1080p",
    "odd_height",
):
    _check_ladder(
        _name,
        f"choose_ladder(ANALYSES[{_name!r}]) (boundaries: ti exactly 18, bpp exactly "
        "0.30, a half to round up, the clamp, a source between rung heights)",
    )
### END HIDDEN TESTS

# %% [markdown]
# ## Part 2: previews first (3 points)
#
# The job engine takes jobs from a queue in the order your scheduler gives. Write
# `tier_schedule(jobs)`: `jobs` is a list of dicts with `id`, `title`, `tier`
# (`"preview"` or `"hq"`), `height` and `uploaded_s` (plus `cpu_s`, which you do not
# need). Return the job ids in the order to run them:
#
# - every preview job before every hq job;
# - previews in upload order (`uploaded_s`), ties broken by `id` (string order);
# - hq jobs in upload order, then lowest `height` first within an upload time, then by `id`.
#
# The test also plays your order out on two workers (`pipeline.simulate_schedule`) and
# compares each title's time to first frame with the reference order's.

# %%
queue = exercise.upload_queue(seed=0)
for job in queue[:4]:
    print(job)


# %% nbgrader={"grade": false, "grade_id": "tier_schedule", "locked": false, "schema_version": 3, "solution": true}
def tier_schedule(jobs):
    """Job ids in run order: previews first (by upload), then hq jobs (by upload, height)."""
    ### BEGIN SOLUTION
    # Sort keys in tuples: Python compares them element by element.
    previews = sorted(
        (j for j in jobs if j["tier"] == "preview"), key=lambda j: (j["uploaded_s"], j["id"])
    )
    hq = sorted(
        (j for j in jobs if j["tier"] != "preview"),
        key=lambda j: (j["uploaded_s"], j["height"], j["id"]),
    )
    return [j["id"] for j in previews + hq]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_tc_schedule", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""tier_schedule runs every preview first, in the stated order, and gives the reference TTFF"""
_order = tier_schedule(queue)
checks.assert_equal(_order, pipeline.schedule(queue), what="tier_schedule(upload_queue(seed=0))")
_tiers = [next(j["tier"] for j in queue if j["id"] == i) for i in _order]
checks.assert_equal(
    _tiers, sorted(_tiers, key=lambda t: t != "preview"), what="the tiers in your order"
)
### BEGIN HIDDEN TESTS
for _seed, _n in ((1, 6), (2, 9), (3, 1)):
    _q = exercise.upload_queue(seed=_seed, n_titles=_n)
    _mine = tier_schedule(_q)
    checks.assert_equal(
        _mine, pipeline.schedule(_q), what=f"tier_schedule(upload_queue({_seed}, {_n}))"
    )
    _ttff = slo.title_ttff(pipeline.simulate_schedule(_q, _mine, workers=2))
    _want = slo.title_ttff(pipeline.simulate_schedule(_q, pipeline.schedule(_q), workers=2))
    checks.assert_close(_ttff, _want, what=f"time to first frame per title (seed {_seed})")
### END HIDDEN TESTS

# %% [markdown]
# ## Part 3: the SLO report (3 points)
#
# Write `slo_summary(job_log, ttff_target_s, cost_target_usd_per_min, objective,
# vcpu_hour_usd)`. Each job in `job_log` is a dict with `title`, `tier`, `uploaded_s`,
# `finished_s`, `cpu_s` and `duration_s` (the title's length in seconds). Per title:
#
# - its **time to first frame** is its preview job's `finished_s - uploaded_s`;
# - its **cost per minute encoded** is the `cpu_s` of all its jobs times
#   `vcpu_hour_usd / 3600`, divided by its length in minutes;
# - it is *good* for an SLO when its value is **at or below** the target.
#
# Return a dict of numbers: `titles`; `ttff_good`, `ttff_compliance` (good / titles),
# `ttff_budget_remaining`; the same three for cost (`cost_good`, `cost_compliance`,
# `cost_budget_remaining`); and `cost_per_min_usd`, the total cost of all titles divided
# by their total minutes. The error budget allows a fraction `1 - objective` of titles
# to be bad: budget remaining = `1 - (bad / titles) / (1 - objective)` (it goes negative
# when the budget is overspent).

# %%
log = exercise.job_log(seed=0)
PRICE = prices.VCPU_HOUR_USD["on-demand VM"]
print(f"{len(log)} jobs; a vCPU-hour costs ${PRICE}")
print(log[0])


# %% nbgrader={"grade": false, "grade_id": "slo_summary", "locked": false, "schema_version": 3, "solution": true}
def slo_summary(job_log, ttff_target_s, cost_target_usd_per_min, objective, vcpu_hour_usd):
    """Both SLOs over the titles of the job log, as a dict of numbers."""
    ### BEGIN SOLUTION
    ttff, cpu, minutes = {}, {}, {}
    for job in job_log:
        t = job["title"]
        cpu[t] = cpu.get(t, 0.0) + job["cpu_s"]
        minutes[t] = job["duration_s"] / 60
        if job["tier"] == "preview":
            ttff[t] = job["finished_s"] - job["uploaded_s"]
    cost = {t: cpu[t] * vcpu_hour_usd / 3600 for t in cpu}
    n = len(cpu)
    ttff_good = sum(ttff[t] <= ttff_target_s for t in cpu)
    cost_good = sum(cost[t] / minutes[t] <= cost_target_usd_per_min for t in cpu)

    def remaining(good):
        # The budget is the share of titles allowed to miss; spend it by the bad ones.
        return 1 - ((n - good) / n) / (1 - objective)

    return {
        "titles": n,
        "ttff_good": ttff_good,
        "ttff_compliance": ttff_good / n,
        "ttff_budget_remaining": remaining(ttff_good),
        "cost_good": cost_good,
        "cost_compliance": cost_good / n,
        "cost_budget_remaining": remaining(cost_good),
        "cost_per_min_usd": sum(cost.values()) / sum(minutes.values()),
    }
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_tc_slo", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""slo_summary matches the lab's SLO report: compliance, error budgets, cost per minute"""
_got = slo_summary(log, 5.0, 0.0006, 0.9, PRICE)
_want = slo.slo_report(
    log, ttff_target_s=5.0, cost_target_usd_per_min=0.0006, objective=0.9, vcpu_hour_usd=PRICE
)
checks.assert_close(_got, _want, rel=1e-9, what="slo_summary(log, 5.0, 0.0006, 0.9, PRICE)")
### BEGIN HIDDEN TESTS
_log = exercise.job_log(seed=4, n_titles=33)
_ttffs = sorted(slo.title_ttff(_log).values())
for _target, _cost, _obj in ((_ttffs[20], 0.0004, 0.95), (_ttffs[0], 0.01, 0.5), (60.0, 0.0, 0.99)):
    checks.assert_close(
        slo_summary(_log, _target, _cost, _obj, 0.015),
        slo.slo_report(
            _log,
            ttff_target_s=_target,
            cost_target_usd_per_min=_cost,
            objective=_obj,
            vcpu_hour_usd=0.015,
        ),
        rel=1e-9,
        what=f"slo_summary(job_log(seed=4), {_target}, {_cost}, {_obj}, 0.015) (a target "
        "equal to a title's time to first frame counts as met)",
    )
### END HIDDEN TESTS

# %% [markdown]
# ## Part 4: the quality floor, measured (3 points)
#
# Nothing new to write. The test renders three small clips (flat animation, a detailed
# zoom, film grain; 640x360, 1 s), measures their analysis with the lab's `analyse`,
# asks your `choose_ladder` for a ladder, and encodes every rung with the lab's encoder,
# then does the same with the fixed ladder (every rung at `medium`). It passes when
# **every clip's top rung scores VMAF >= 90** (at display resolution, every third frame)
# **and your ladders use at most 0.9x the CPU-seconds of the fixed ladder** in total,
# measured in the same run. Expect about 0.75x and VMAF 92 to 97. It takes about 15 s.

# %% nbgrader={"grade": true, "grade_id": "test_tc_floor", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""choose_ladder keeps VMAF >= 90 on every clip at <= 0.9x the fixed ladder's CPU (measured)"""
_cpu_mine = _cpu_fixed = 0.0
for _clip in exercise.FLOOR_CLIPS:
    _analysis = exercise.clip_analysis(_clip)
    _mine = exercise.measure_ladder(_clip, choose_ladder(_analysis))
    _fixed = exercise.measure_ladder(
        _clip, exercise.fixed_ladder_dicts(_analysis["height"]), score_top=False
    )
    print(
        f"{_clip:9}: your ladder {_mine['cpu_s']:.2f} CPU-s, top rung VMAF "
        f"{_mine['top_vmaf']:.1f}; fixed ladder {_fixed['cpu_s']:.2f} CPU-s"
    )
    assert _mine["top_vmaf"] >= 90, (
        f"the top rung of choose_ladder(analysis of {_clip!r}) scored VMAF "
        f"{_mine['top_vmaf']:.1f}, expected at least 90"
    )
    _cpu_mine += _mine["cpu_s"]
    _cpu_fixed += _fixed["cpu_s"]
_ratio = _cpu_mine / _cpu_fixed
print(f"CPU ratio, yours / fixed: {_ratio:.2f}")
assert _ratio <= 0.9, (
    f"your ladders took {_ratio:.2f}x the fixed ladder's CPU-seconds on the three clips, "
    "expected at most 0.9x"
)

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_tc_slo", "locked": false, "points": 4, "schema_version": 3, "solution": true}
# ## Part 5 (written, graded by hand, 4 points)
#
# Propose the platform's two SLOs, using the lesson's measurements (its table, the
# pipeline's time to first frame and cost per minute for the fixed and the adaptive
# ladder, and the viewer simulation). For each: the SLI (what exactly is measured, from
# which log, over what window), the target and the objective (e.g. "99% of uploads..."),
# and the error budget in events per month at a stated upload rate. Give the cost per
# minute encoded you measured, scaled to 1080p, and compare it with the managed service
# price in `prices.MANAGED_TRANSCODE_USD_PER_MINUTE`. Say what you would do when each
# budget runs out, and which of the two you would trade against the other.
#
# ### BEGIN SOLUTION
# Model answer (for the grader). TTFF SLO: SLI = time from upload complete to the first
# playable segment of the preview (from the job log's preview finished_s - uploaded_s),
# over a rolling 28 days; target 5 s for a 720p upload of up to 10 minutes, objective 99%
# of uploads. Viewer-side companion: 95% of sessions start within 2 s on the 4G profile
# (the viewer simulation gives about 0.3-1 s on fibre/4G and 2-4 s on 3G, so 3G is
# excluded or gets its own target). Budget: at 10,000 uploads/day, 1% is 100 uploads a
# day (2,800 per 28 days) allowed over 5 s. Cost SLO: SLI = CPU-seconds of all jobs of a
# title x vCPU-hour price / 3600 / minutes of video; target e.g. $0.004 per minute at
# 1080p for 99% of titles. Measured: the lesson's 360p pipeline costs a few hundredths of
# a cent per minute (about 1-2 CPU-seconds per 2 s of 360p); 1080p has 9x the pixels and
# the ladder gets three more rungs, so roughly 10-15x: about $0.003-0.006 per minute on
# demand, a third of that on spot VMs, well under the managed service's $0.015 per HD
# minute per rendition. The adaptive ladder cost about 25% less CPU than the fixed one at
# VMAF >= 90 on the top rung, and the same TTFF (the preview does not wait for the
# analysis). When the TTFF budget runs out: freeze ladder changes, reserve workers for
# previews (a priority queue, as the scheduler does), or make the preview cheaper (lower
# resolution, ultrafast, shorter first segment); when the cost budget runs out: move hq
# jobs to spot capacity, use faster presets on simple content, drop rungs no viewer
# uses. Trade: TTFF is what viewers feel, so it wins; cost can be bought back in the
# background tier, which has no latency target beyond "within the hour".
# Full marks: both SLIs defined precisely (source of data, window, the boundary), targets
# and objectives with a budget in events, measured numbers from the lesson with the
# scaling argument to 1080p, the comparison with the managed price, and actions per
# budget with a justified trade-off.
# ### END SOLUTION
