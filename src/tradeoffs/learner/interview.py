"""Unit 08, interview practice: seeded variants of five trade-off questions, each with its
own numbers and its own answer key.

    scenario(seed)  the numbers a candidate is given (plain dicts, one per question)
    key(seed)       the numbers a full-marks answer computes from them
    variant_master(course, seed, timed_min)   the master copy of that variant: the course's
                    master (solutions/08_interview.py) with its seed, its key (in the hidden
                    tests, which nbgrader strips from the student version) and its model
                    answers; variant_student(...) is nbgrader's student version of it,
                    reference_answers(...) that version with every part answered right
    seed_of(nb)     which variant a submitted notebook is (its metadata, else its seed line)

The master copy is written for seed 0 and marked where a variant differs:
`SEED = 0  # variant seed`, `TIME_LIMIT_MIN = None  # variant timer`, one
`KEY = {...}  # variant key` line in each hidden test, and the model answer of each written
part (`**Model answer.** ...`, made by `model_answer`). The committed master copy is the
seed-0 variant (a test holds it to that), so every variant is the same notebook with other
numbers: the same cells, ids, points and mark schemes.

Prices come from the price book (`prices.VCPU_HOUR_USD`); every other number is drawn from
ranges that keep each question's trade-off real (for example the upgrade in question 1 is
worth it in some variants and not in others).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
from nbformat import NotebookNode

from tradeoffs import prices

UNIT_ID = "08_interview"
DEFAULT_SEED = 0
META_KEY = "tradeoffs"

VCPU_USD = prices.VCPU_HOUR_USD["on-demand VM"]
STANDARD_TARGETS = (0.99, 0.995, 0.999, 0.9995, 0.9999)
RUNGS = (240, 360, 480, 720, 1080, 1440)


def _r(rng: np.random.Generator, low: float, high: float, digits: int = 3) -> float:
    """A uniform draw rounded to `digits` significant figures (numbers people are given)."""
    value = float(rng.uniform(low, high))
    if value == 0:
        return 0.0
    return float(f"{value:.{digits}g}")


def scenario(seed: int) -> dict[str, dict[str, Any]]:
    """The numbers of variant `seed`, one dict per question (plain values only)."""
    rng = np.random.default_rng([8, int(seed)])
    tier = str(rng.choice(sorted(prices.HOSTED_MODEL_USD_PER_1K_CALLS)))
    q1 = {
        "daily_transactions": int(rng.integers(5, 31)) * 100_000,
        "fraud_rate": _r(rng, 0.0005, 0.003, 2),
        "avg_fraud_usd": float(int(rng.integers(3, 13)) * 10),
        "recall_now": _r(rng, 0.70, 0.80, 2),
        "recall_gain": float(int(rng.integers(3, 8))) / 100,
        "cpu_ms_now": _r(rng, 0.3, 1.0, 2),
        "utilisation": prices.FRAUD_OPS.serving_utilisation,
        "usd_per_vcpu_hour": VCPU_USD,
        "new_model": f"hosted {tier} model",
        "usd_per_1k_calls_new": prices.HOSTED_MODEL_USD_PER_1K_CALLS[tier],
        "segment_traffic_share": float(int(rng.integers(10, 26))) / 100,
        "segment_fraud_share": float(int(rng.integers(45, 71))) / 100,
        "distilled_cost_factor": float(int(rng.integers(15, 41))) / 100,
        "distilled_gain_kept": float(int(rng.integers(55, 86))) / 100,
    }
    q2 = {
        "p99_before_ms": float(int(rng.integers(60, 121)) * 10),
        "p99_after_ms": 0.0,
        "monthly_cost_before_usd": float(int(rng.integers(20, 81)) * 1000),
        "monthly_cost_after_usd": 0.0,
        "monthly_revenue_usd": float(int(rng.integers(20, 151)) * 100_000),
        "revenue_lost_per_100ms": _r(rng, 0.002, 0.008, 2),
    }
    q2["p99_after_ms"] = float(int(q2["p99_before_ms"] * _r(rng, 0.35, 0.7, 2) / 10) * 10)
    q2["monthly_cost_after_usd"] = q2["monthly_cost_before_usd"] + float(
        int(rng.integers(3, 31)) * 1000
    )
    q3 = {
        "requests_per_s": float(int(rng.integers(8, 41)) * 100),
        "hit_ratio_before": _r(rng, 0.90, 0.97, 2),
        "hit_ratio_after": _r(rng, 0.70, 0.87, 2),
        "hit_ms": _r(rng, 1.0, 3.0, 2),
        "miss_base_ms": float(int(rng.integers(15, 41))),
        "miss_mean_extra_ms": float(int(rng.integers(20, 81))),
        "origin_rps_per_instance": float(int(rng.integers(6, 21)) * 10),
    }
    deps = sorted(
        (float(rng.choice([0.999, 0.9995, 0.9999, 0.99995, 0.99999])) for _ in range(3)),
        reverse=True,
    )
    q4 = {
        "requests_per_day": int(rng.integers(2, 41)) * 500_000,
        "dependency_availability": deps,
        "own_availability": float(rng.choice([0.9995, 0.9999, 0.99995])),
        "product_asks": 0.9999,
        "window_days": 30,
        "fast_burn_rate": 14.4,
    }
    cpu = [_r(rng, lo, hi, 2) for lo, hi in ((1, 2), (2, 4), (4, 7), (8, 14), (18, 30), (32, 55))]
    q5 = {
        "rungs": list(RUNGS),
        "cpu_s_per_minute": cpu,
        "minutes_per_month": int(rng.integers(8, 81)) * 25_000,
        "usd_per_vcpu_hour": VCPU_USD,
        "monthly_cap_usd": 0.0,
    }
    full, lowest = _ladder_cost(q5, len(RUNGS)), _ladder_cost(q5, 1)
    cap = max(full * _r(rng, 0.25, 0.9, 2), 1.5 * lowest)
    q5["monthly_cap_usd"] = float(int(cap / 10) * 10)
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5}


def _ladder_cost(q5: dict[str, Any], n: int) -> float:
    cpu_s = sum(q5["cpu_s_per_minute"][:n])
    return q5["minutes_per_month"] * cpu_s / 3600 * q5["usd_per_vcpu_hour"]


def _miss_p99_ms(q3: dict[str, Any], hit_ratio: float) -> float:
    """The p99 of a mix of hits and misses, misses = base + exponential(mean): with a miss
    share m > 1%, P(latency > x) = m * exp(-(x - base) / mean) = 1%."""
    miss = 1.0 - hit_ratio
    if miss <= 0.01:
        return q3["hit_ms"]
    return q3["miss_base_ms"] + q3["miss_mean_extra_ms"] * math.log(miss / 0.01)


def key(seed: int) -> dict[str, Any]:
    """The answer key of variant `seed`: what a full-marks answer computes."""
    s = scenario(seed)
    q1, q2, q3, q4, q5 = (s[k] for k in ("q1", "q2", "q3", "q4", "q5"))
    yearly = q1["daily_transactions"] * 365
    value = yearly * q1["fraud_rate"] * q1["avg_fraud_usd"] * q1["recall_gain"]

    now = yearly * q1["cpu_ms_now"] / 3_600_000 / q1["utilisation"] * q1["usd_per_vcpu_hour"]
    new = yearly / 1000 * q1["usd_per_1k_calls_new"]
    added = new - now
    options = {
        "keep": 0.0,
        "full": value - added,
        "segment": value * q1["segment_fraud_share"] - added * q1["segment_traffic_share"],
        "distilled": value * q1["distilled_gain_kept"] - (new * q1["distilled_cost_factor"] - now),
    }
    best = max(options, key=lambda k: options[k])
    cut_ms = q2["p99_before_ms"] - q2["p99_after_ms"]
    gain = q2["monthly_revenue_usd"] * q2["revenue_lost_per_100ms"] * cut_ms / 100
    added2 = q2["monthly_cost_after_usd"] - q2["monthly_cost_before_usd"]
    ceiling = float(np.prod([*q4["dependency_availability"], q4["own_availability"]]))
    target = max(t for t in STANDARD_TARGETS if t <= ceiling + 1e-12)
    fits = [n for n in range(1, len(RUNGS) + 1) if _ladder_cost(q5, n) <= q5["monthly_cap_usd"]]
    chosen = max(fits) if fits else 1
    origin_after = q3["requests_per_s"] * (1 - q3["hit_ratio_after"])
    return {
        "q1_value_usd": value,
        "q1_added_cost_usd": added,
        "q1_roi": (value - added) / added,
        "q1_best": best,
        "q1_net_usd": options,
        "q2_p99_cut_pct": 100 * cut_ms / q2["p99_before_ms"],
        "q2_net_usd_per_month": gain - added2,
        "q3_p99_before_ms": _miss_p99_ms(q3, q3["hit_ratio_before"]),
        "q3_p99_after_ms": _miss_p99_ms(q3, q3["hit_ratio_after"]),
        "q3_origin_instances_after": math.ceil(origin_after / q3["origin_rps_per_instance"]),
        "q4_ceiling": ceiling,
        "q4_target": target,
        "q4_budget_minutes": q4["window_days"] * 24 * 60 * (1 - target),
        "q4_page_bad_per_hour": q4["fast_burn_rate"] * (1 - target) * q4["requests_per_day"] / 24,
        "q5_full_cost_usd": _ladder_cost(q5, len(RUNGS)),
        "q5_ladder": list(RUNGS[:chosen]),
        "q5_ladder_cost_usd": _ladder_cost(q5, chosen),
    }


def _usd(x: float) -> str:
    return f"${x:,.0f}"


def model_answer(part: str, seed: int) -> str:
    """The model answer of written part `part` for variant `seed`, with its numbers."""
    s, k = scenario(seed), key(seed)
    if part == "answer_q1_memo":
        q1 = s["q1"]
        nets = k["q1_net_usd"]
        names = {
            "keep": "keep the current model",
            "full": "serve the new model to every transaction",
            "segment": "serve it only to the high-value segment",
            "distilled": "serve a distilled version of it",
        }
        others = ", ".join(f"{names[o]} {_usd(v)}" for o, v in nets.items() if o != k["q1_best"])
        return (
            f"Recommendation: {names[k['q1_best']]}. The {q1['recall_gain']:.0%} more fraud "
            f"caught is worth {_usd(k['q1_value_usd'])} a year ({q1['daily_transactions']:,} "
            f"transactions a day x 365 x {q1['fraud_rate']:.2%} fraud x "
            f"{_usd(q1['avg_fraud_usd'])} x the recall gain); running it everywhere adds "
            f"{_usd(k['q1_added_cost_usd'])} a year (the {q1['new_model']} at "
            f"${q1['usd_per_1k_calls_new']:g} per 1,000 calls, less today's "
            f"{q1['cpu_ms_now']:g} ms of CPU per transaction at {q1['utilisation']:.0%} "
            f"utilisation and ${q1['usd_per_vcpu_hour']} per vCPU-hour), an ROI of "
            f"{k['q1_roi']:.1f}x. Net value per year of each option: "
            f"{names[k['q1_best']]} {_usd(nets[k['q1_best']])}; {others}. Risks: the gain "
            "is measured offline (confirm it in a shadow or A/B test on recent labelled "
            "weeks), fraud drifts, labels arrive late, and the heavier model's p99 must "
            "still fit the latency budget; monitor recall on confirmed fraud, compute cost "
            "per 1,000 transactions and the p99."
        )
    if part == "answer_q2_star":
        q2 = s["q2"]
        return (
            "Situation: checkout's p99 was "
            f"{q2['p99_before_ms']:g} ms and each 100 ms of it cost about "
            f"{q2['revenue_lost_per_100ms']:.1%} of {_usd(q2['monthly_revenue_usd'])} monthly "
            "revenue. Task: bring the tail down without an open-ended bill. Action: profiled "
            "the slow path, found the database round trips, added a cache and one more "
            f"replica; Result: p99 {q2['p99_after_ms']:g} ms ({k['q2_p99_cut_pct']:.0f}% "
            "lower), measured on a week of production traffic, for "
            f"{_usd(q2['monthly_cost_after_usd'] - q2['monthly_cost_before_usd'])} a month more "
            f"infrastructure: net {_usd(k['q2_net_usd_per_month'])} a month. The trade-off: "
            "more cost and a staleness window (the cache's TTL) for the tail; what I would do "
            "differently: set the SLO first, so the stopping point was agreed."
        )
    if part == "answer_q3_regression":
        q3 = s["q3"]
        return (
            f"The hit ratio fell from {q3['hit_ratio_before']:.0%} to "
            f"{q3['hit_ratio_after']:.0%}: misses went from "
            f"{1 - q3['hit_ratio_before']:.0%} to {1 - q3['hit_ratio_after']:.0%} of requests, "
            "and with more than 1% misses the p99 is a miss's latency, deeper in the miss "
            f"tail: {k['q3_p99_before_ms']:.0f} ms before, {k['q3_p99_after_ms']:.0f} ms after. "
            f"The origin now needs {k['q3_origin_instances_after']} instances at "
            f"{q3['origin_rps_per_instance']:g} requests/s each. First: roll the cache change "
            "back (or restore its TTL/key scheme) and confirm the hit ratio and p99 recover; "
            "then find why it fell (a key that now includes a per-user field, a shorter TTL, "
            "an eviction storm), and add an alert on hit ratio, not only on p99."
        )
    if part == "answer_q4_slo":
        q4 = s["q4"]
        return (
            f"The service can promise at most {k['q4_ceiling']:.4%}: it calls three "
            "dependencies in series and availabilities multiply. Product's 99.99% is "
            + (
                "possible"
                if k["q4_ceiling"] >= 0.9999
                else "not possible without removing a dependency from the path"
            )
            + f". Propose {k['q4_target']:.2%} over a rolling {q4['window_days']} days, "
            "measured at the load balancer as good (non-5xx, under the latency threshold) "
            f"over valid requests: a budget of {k['q4_budget_minutes']:.0f} minutes, or "
            f"{(1 - k['q4_target']) * q4['requests_per_day'] * q4['window_days']:,.0f} failed "
            f"requests, a month. Page when the 1-hour burn rate exceeds 14.4 (about "
            f"{k['q4_page_bad_per_hour']:,.0f} bad requests in an hour, confirmed over 5 "
            "minutes); ticket on slow burns. To reach more nines: cache or degrade around "
            "the weakest dependency, or call it asynchronously."
        )
    if part == "answer_q5_ladder":
        q5 = s["q5"]
        top = k["q5_ladder"][-1]
        return (
            f"Encoding every rung costs {_usd(k['q5_full_cost_usd'])} a month "
            f"({q5['minutes_per_month']:,} minutes x {sum(q5['cpu_s_per_minute']):.0f} "
            f"CPU-seconds per minute at ${q5['usd_per_vcpu_hour']} per vCPU-hour), over the "
            f"{_usd(q5['monthly_cap_usd'])} cap. The tallest ladder under the cap stops at "
            f"{top}p ({_usd(k['q5_ladder_cost_usd'])} a month): viewers on large screens lose "
            "the top rungs. Alternatives that keep them: encode the top rungs only for titles "
            "that get watched (most minutes are rarely played), use spot capacity for the "
            "background tier (about a third of the price), a faster preset on simple content, "
            "or per-title ladders that drop rungs a title does not need."
        )
    raise KeyError(part)


WRITTEN_PARTS = (
    "answer_q1_memo",
    "answer_q2_star",
    "answer_q3_regression",
    "answer_q4_slo",
    "answer_q5_ladder",
)

_SEED_LINE = re.compile(r"^SEED = -?\d+  # variant seed$", re.M)
_TIMER_LINE = re.compile(r"^TIME_LIMIT_MIN = (?:None|\d+)  # variant timer$", re.M)
_KEY_LINE = re.compile(r"^(\s*)KEY = (\{.*\})  # variant key$", re.M)
# The model answer is the last paragraph of a written part's solution region.
_MODEL = re.compile(
    r"^(?P<p>(?:# )?)\*\*Model answer\.\*\*.*?(?=\n(?P=p)### END SOLUTION)", re.S | re.M
)
_PART = re.compile(r'"grade_id": "(answer_q\w+)"')


def _literal(value: Any) -> str:
    """Python source for a key value, as ruff would format it (double quotes)."""
    import json

    if isinstance(value, float):
        return repr(round(value, 6))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


def rewrite(text: str, seed: int, timed_min: int | None = None, part: str | None = None) -> str:
    """Variant `seed` of master-copy text: a cell's source (`part`: its grade id), or the
    whole py:percent file (each model answer's part is the cell header above it)."""
    import ast
    import textwrap

    answers = key(seed)
    text = _SEED_LINE.sub(f"SEED = {int(seed)}  # variant seed", text)
    timer = str(int(timed_min)) if timed_min else "None"
    text = _TIMER_LINE.sub(f"TIME_LIMIT_MIN = {timer}  # variant timer", text)

    def key_line(match: re.Match[str]) -> str:
        names = list(ast.literal_eval(match.group(2)))
        body = ", ".join(f"{_literal(n)}: {_literal(answers[n])}" for n in names)
        return f"{match.group(1)}KEY = {{{body}}}  # variant key"

    text = _KEY_LINE.sub(key_line, text)
    for match in reversed(list(_MODEL.finditer(text))):
        parts = _PART.findall(text[: match.start()])
        gid = part or (parts[-1] if parts else None)
        if gid not in WRITTEN_PARTS:
            continue
        prefix = match.group("p")
        body = textwrap.fill(
            "**Model answer.** " + model_answer(gid, seed),
            width=90 + len(prefix),
            initial_indent=prefix,
            subsequent_indent=prefix,
            break_on_hyphens=False,
        )
        text = text[: match.start()] + body + text[match.end() :]
    return text


def apply_variant(nb: NotebookNode, seed: int, timed_min: int | None = None) -> NotebookNode:
    """Rewrite a master copy (in place) into variant `seed`; returns it."""
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        cell.source = rewrite(cell.source, seed, timed_min, gid if gid in WRITTEN_PARTS else None)
    nb.metadata.setdefault(META_KEY, {})["interview"] = {
        "seed": int(seed),
        "timed_min": int(timed_min) if timed_min else None,
    }
    return nb


def seed_of(nb: NotebookNode) -> int:
    """The variant of a notebook: its metadata, else its seed line, else the default."""
    meta = nb.get("metadata", {}).get(META_KEY, {}).get("interview", {})
    seed = meta.get("seed") if isinstance(meta, dict) else None
    if isinstance(seed, int) and not isinstance(seed, bool):
        return seed
    for cell in nb.get("cells", []):
        found = re.search(r"^SEED = (-?\d+)  # variant seed$", str(cell.get("source", "")), re.M)
        if found:
            return int(found.group(1))
    return DEFAULT_SEED


def timed_of(nb: NotebookNode) -> int | None:
    meta = nb.get("metadata", {}).get(META_KEY, {}).get("interview", {})
    value = meta.get("timed_min") if isinstance(meta, dict) else None
    return int(value) if isinstance(value, int) and value > 0 else None


def variant_master(course: Any, seed: int, timed_min: int | None = None) -> NotebookNode:
    """The master copy (solutions and hidden tests with this variant's key) of `seed`."""
    from tradeoffs.authoring.build import source_notebook

    return apply_variant(source_notebook(course, course.unit(UNIT_ID)), seed, timed_min)


def variant_student(course: Any, seed: int, timed_min: int | None = None) -> NotebookNode:
    """nbgrader's student version of variant `seed` (no solution, no key), with its seed in
    the notebook's metadata."""
    from tradeoffs.authoring.build import canonical, release_notebook
    from tradeoffs.authoring.config import nbgrader_config

    master = variant_master(course, seed, timed_min)
    student = canonical(release_notebook(master, UNIT_ID, nbgrader_config(course)))
    student.metadata[META_KEY] = {"interview": {"seed": int(seed), "timed_min": timed_min}}
    return student


def reference_answers(course: Any, seed: int, timed_min: int | None = None) -> NotebookNode:
    """Variant `seed`'s student version with the master copy's answers filled in: what a
    candidate who got every part right hands in (no hidden tests, checksums as released)."""
    master = {c.id: c.source for c in variant_master(course, seed, timed_min).cells}
    nb = variant_student(course, seed, timed_min)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = master[cell.id]
    return nb


def variant_assignment(course: Any, seed: int, timed_min: int | None = None) -> Any:
    """The grader's Assignment for variant `seed` (the same notebook name as the course's)."""
    from pathlib import Path

    from tradeoffs.authoring.build import release_notebook
    from tradeoffs.authoring.config import nbgrader_config
    from tradeoffs.grading.grade import Assignment

    unit = course.unit(UNIT_ID)
    master = variant_master(course, seed, timed_min)
    released = release_notebook(master, UNIT_ID, nbgrader_config(course))
    name = Path(str(unit.exercise_notebook)).name
    return Assignment(UNIT_ID, course.id, {name: master}, {name: released})


def expect_number(value: Any, name: str, *, positive: bool = True) -> None:
    """A visible check: `name` is a number (and positive), so the hidden check can compare
    it with the key. Says what came back otherwise."""
    from tradeoffs.checks import CheckFailed

    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise CheckFailed(f"{name} must be a number, got {type(value).__name__}: {value!r:.60}")
    if not math.isfinite(float(value)) or (positive and float(value) <= 0):
        raise CheckFailed(f"{name} = {value!r} is not a positive, finite number")
