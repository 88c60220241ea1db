"""SLOs of the transcoding pipeline: time to first frame and cost per minute encoded.

:func:`error_budget` turns counts of good and total titles into compliance and error budget
with the course's SLO arithmetic (:mod:`tradeoffs.slo`, unit 04); :func:`slo_report` applies
it to a pipeline's job log.

Definitions (the exercise's, too):

- a title's **time to first frame** (TTFF) is the time from its upload to the end of its
  preview job (its first playable segment); titles without a preview job count the first
  of their jobs to finish;
- a title's **cost per minute encoded** is the CPU-seconds of all its jobs times the
  vCPU-hour price / 3600, divided by the title's length in minutes;
- a title is *good* for an SLO when its value is **at or below** the target;
- compliance = good / total; the error budget allows ``1 - objective`` of titles to be
  bad; ``budget_remaining`` = 1 - (bad / total) / (1 - objective) (negative: overspent).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from tradeoffs import prices, slo

__all__ = ["error_budget", "slo_report", "title_costs", "title_ttff"]


def error_budget(good: int, total: int, objective: float) -> dict[str, float]:
    """Compliance and error budget of ``good`` out of ``total`` events against ``objective``.

    Returns ``compliance`` (1.0 when there are no events), ``budget_remaining`` (fraction
    of the budget left; negative when overspent, from :func:`tradeoffs.slo.budget_remaining`)
    and ``met`` (1.0 or 0.0).
    """
    if total < 0 or not 0 <= good <= total:
        raise ValueError(f"need 0 <= good <= total, got good={good}, total={total}")
    remaining = slo.budget_remaining(objective, good, total)
    compliance = good / total if total else 1.0
    return {
        "compliance": compliance,
        "budget_remaining": remaining,
        "met": float(compliance >= objective),
    }


def title_ttff(job_log: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Each title's time to first frame (s) from a job log (see the module's definitions)."""
    first: dict[str, float] = {}
    preview: dict[str, float] = {}
    for job in job_log:
        title = str(job["title"])
        wait = float(job["finished_s"]) - float(job["uploaded_s"])
        first[title] = min(first.get(title, wait), wait)
        if job["tier"] == "preview":
            preview[title] = min(preview.get(title, wait), wait)
    return {t: preview.get(t, first[t]) for t in first}


def title_costs(
    job_log: Iterable[Mapping[str, Any]], vcpu_hour_usd: float
) -> dict[str, tuple[float, float]]:
    """Each title's (cost in USD, minutes of video) from a job log."""
    cpu: dict[str, float] = defaultdict(float)
    minutes: dict[str, float] = {}
    for job in job_log:
        title = str(job["title"])
        cpu[title] += float(job["cpu_s"])
        minutes[title] = float(job["duration_s"]) / 60.0
    return {t: (cpu[t] * vcpu_hour_usd / 3600.0, minutes[t]) for t in cpu}


def slo_report(
    job_log: Iterable[Mapping[str, Any]],
    *,
    ttff_target_s: float,
    cost_target_usd_per_min: float,
    objective: float = 0.95,
    vcpu_hour_usd: float | None = None,
) -> dict[str, float]:
    """Both SLOs over the titles of ``job_log`` (a list of job dicts with ``title``,
    ``tier``, ``uploaded_s``, ``finished_s``, ``cpu_s`` and ``duration_s``).

    Returns plain numbers: ``titles``, ``ttff_good``, ``ttff_compliance``,
    ``ttff_budget_remaining``, ``cost_good``, ``cost_compliance``,
    ``cost_budget_remaining``, and ``cost_per_min_usd`` over all titles (total cost /
    total minutes). The price defaults to an on-demand vCPU-hour from the price book.
    """
    jobs = list(job_log)
    price = prices.VCPU_HOUR_USD["on-demand VM"] if vcpu_hour_usd is None else vcpu_hour_usd
    ttff = title_ttff(jobs)
    costs = title_costs(jobs, price)
    n = len(ttff)
    ttff_good = sum(v <= ttff_target_s for v in ttff.values())
    cost_good = sum(usd / m <= cost_target_usd_per_min for usd, m in costs.values())
    t = error_budget(ttff_good, n, objective)
    c = error_budget(cost_good, n, objective)
    total_usd = sum(usd for usd, _ in costs.values())
    total_min = sum(m for _, m in costs.values())
    return {
        "titles": n,
        "ttff_good": ttff_good,
        "ttff_compliance": t["compliance"],
        "ttff_budget_remaining": t["budget_remaining"],
        "cost_good": cost_good,
        "cost_compliance": c["compliance"],
        "cost_budget_remaining": c["budget_remaining"],
        "cost_per_min_usd": total_usd / total_min if total_min else 0.0,
    }
