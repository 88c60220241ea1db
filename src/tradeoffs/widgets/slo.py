"""Figures and the SLO explorer panel of unit 04.

:func:`explore_slo` is the pure computation behind the panel (a seeded month with one
incident of the chosen size: the budget left over the window, the burn rate, when each
workbook rule fires); :func:`slo_explorer` wires it to sliders. The alert figures draw
what :mod:`tradeoffs.slo` computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from tradeoffs.slo import (
    WORKBOOK_RULES,
    AlertOutcome,
    BurnRateRule,
    Incident,
    Month,
    alert_fires,
    error_budget_minutes,
    error_ratio,
    rule_fires,
    simulate_month,
)
from tradeoffs.slo.budget import MINUTES_PER_DAY

__all__ = [
    "SloExploration",
    "explore_slo",
    "plot_alert_timeline",
    "plot_detection_vs_false_alarms",
    "plot_exploration",
    "slo_explorer",
]


def plot_alert_timeline(
    month: Month, rules: Mapping[str, Sequence[BurnRateRule]], target: float, ax: Axes
) -> None:
    """The hourly error ratio over the month (log scale), the incidents shaded, and a row of
    firing marks per alert."""
    hours = month.minutes // 60
    bad = month.bad[: hours * 60].reshape(hours, 60).sum(axis=1)
    valid = month.valid[: hours * 60].reshape(hours, 60).sum(axis=1)
    ratio = np.where(valid > 0, bad / np.maximum(valid, 1), 0)
    days = np.arange(hours) / 24
    ax.semilogy(days, np.maximum(ratio, 1e-6), color="0.3", lw=0.8, label="error ratio per hour")
    ax.axhline(
        1 - target, color="tab:green", lw=1, ls="--", label=f"budget rate ({1 - target:.2%})"
    )
    for inc in month.incidents:
        ax.axvspan(
            inc.start_min / MINUTES_PER_DAY,
            inc.end_min / MINUTES_PER_DAY,
            color="tab:red",
            alpha=0.15,
        )
    for k, (name, group) in enumerate(rules.items()):
        fires = alert_fires(group, month.bad, month.valid, target)
        t = np.flatnonzero(fires) / MINUTES_PER_DAY
        ax.plot(t, np.full(t.size, 3.0 * 2.2**k), "|", ms=8, label=name)
    ax.set_ylim(1e-5, 3.0 * 2.2 ** len(rules) * 2)
    ax.set_xlabel("day of the month")
    ax.set_ylabel("error ratio (log)")
    ax.legend(fontsize="x-small", loc="upper left", ncol=2)


def plot_detection_vs_false_alarms(outcomes: Mapping[str, AlertOutcome], ax: Axes) -> None:
    """Each alert as a point: false alarms in the month against the median detection time
    of the incidents it caught, labelled with its recall."""
    for name, o in outcomes.items():
        caught = [d for d in o.detection_min if d is not None]
        x = float(np.median(caught)) if caught else np.nan
        ax.plot(x, o.false_alarms, "o", ms=8)
        ax.annotate(
            f"{name}\nrecall {o.recall:.0%}",
            (x, o.false_alarms),
            fontsize="x-small",
            xytext=(5, 3),
            textcoords="offset points",
        )
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("median minutes to detect (incidents caught)")
    ax.set_ylabel("false alarms in the month")
    ax.set_title("Faster detection vs fewer false alarms")


@dataclass(frozen=True)
class SloExploration:
    """One position of the explorer: budget left per minute, burn rate over 1 h, and the
    first minute each rule fired (None: never)."""

    budget_minutes: float
    budget_left: NDArray[np.float64] = field(repr=False)
    burn_1h: NDArray[np.float64] = field(repr=False)
    first_fire_min: dict[str, int | None]
    spent_by_incident: float


def explore_slo(
    target: float = 0.999,
    window_days: int = 30,
    background_ratio: float = 1e-4,
    incident_ratio: float = 0.02,
    incident_min: int = 120,
    *,
    seed: int = 0,
) -> SloExploration:
    """Simulate ``window_days`` days with one incident (``incident_ratio`` errors for
    ``incident_min`` minutes, starting on the middle day at 14:00) and evaluate the budget
    and the workbook's rules."""
    start = (window_days // 2) * MINUTES_PER_DAY + 14 * 60
    incidents = (Incident(start, max(1, int(incident_min)), float(incident_ratio), "incident"),)
    month = simulate_month(
        days=window_days, background_ratio=background_ratio, incidents=incidents, seed=seed
    )
    allowed = (1 - target) * month.valid.sum()
    left = 1 - np.cumsum(month.bad) / allowed
    firsts: dict[str, int | None] = {}
    for rule in WORKBOOK_RULES:
        hits = np.flatnonzero(rule_fires(rule, month.bad, month.valid, target))
        after = hits[hits >= start]
        firsts[rule.name] = int(after[0]) if after.size else None
    spent = month.bad[start : start + incident_min].sum() / allowed
    return SloExploration(
        budget_minutes=error_budget_minutes(target, window_days),
        budget_left=left,
        burn_1h=error_ratio(month.bad, month.valid, 60) / (1 - target),
        first_fire_min=firsts,
        spent_by_incident=float(spent),
    )


def plot_exploration(e: SloExploration, axes: tuple[Axes, Axes]) -> None:
    ax1, ax2 = axes
    days = np.arange(e.budget_left.size) / MINUTES_PER_DAY
    ax1.plot(days, e.budget_left * 100, color="tab:blue")
    ax1.axhline(0, color="black", lw=1)
    ax1.set_ylabel("budget left (%)")
    ax1.set_title(
        f"budget {e.budget_minutes:.1f} min of full outage; the incident spent "
        f"{e.spent_by_incident:.0%}"
    )
    ax2.semilogy(days, np.maximum(e.burn_1h, 1e-2), color="0.3", lw=0.8)
    for k, (name, first) in enumerate(e.first_fire_min.items()):
        color = f"C{k + 1}"
        label = f"{name}: " + (
            "silent" if first is None else f"fires at day {first / MINUTES_PER_DAY:.2f}"
        )
        if first is not None:
            ax2.axvline(first / MINUTES_PER_DAY, color=color, lw=1.5)
        ax2.plot([], [], color=color, label=label)
    ax2.set_ylabel("burn rate over 1 h (log)")
    ax2.set_xlabel("day of the window")
    ax2.legend(fontsize="x-small", loc="upper left")


def _draw(nines: float, window_days: int, background_pct: float, burn: float, minutes: int) -> None:
    target = 1 - 10 ** (-nines)
    ratio = min(1.0, burn * (1 - target))
    e = explore_slo(target, window_days, background_pct / 100, ratio, minutes)
    fig, axes = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True)
    fig.suptitle(
        f"SLO {target:.4%} over {window_days} days; incident: {ratio:.2%} errors "
        f"(burn rate {ratio / (1 - target):.0f}) for {minutes} min",
        fontsize="small",
    )
    plot_exploration(e, (axes[0], axes[1]))
    fig.tight_layout()
    # No plt.show(): interactive_output flushes the figure into its Output widget.


def slo_explorer() -> widgets.VBox:
    """Sliders for the target (in nines: 3 = 99.9%), the window, the background error
    rate, and one incident's burn rate and length, above the budget and alert plots.

    Only FloatSlider and IntSlider are used, like the course's other panels: with a
    FloatLogSlider, nbclient (which runs the notebooks in tests) hung on this cell in three
    of seven runs here, as in nbclient's open issue #312; without it, in none of four."""
    style = {"description_width": "190px"}
    layout = widgets.Layout(width="560px")

    def slider(cls: type, **kw: object) -> widgets.Widget:
        return cls(style=style, layout=layout, continuous_update=False, **kw)

    controls = {
        "nines": slider(
            widgets.FloatSlider, value=3.0, min=2.0, max=4.0, step=0.1, description="target (nines)"
        ),
        "window_days": slider(
            widgets.IntSlider, value=30, min=7, max=30, description="window (days)"
        ),
        "background_pct": slider(
            widgets.FloatSlider,
            value=0.01,
            min=0.0,
            max=0.2,
            step=0.005,
            readout_format=".3f",
            description="background errors (%)",
        ),
        "burn": slider(
            widgets.FloatSlider,
            value=20.0,
            min=1.0,
            max=1000.0,
            step=1.0,
            description="incident burn rate",
        ),
        "minutes": slider(
            widgets.IntSlider, value=120, min=1, max=2880, description="incident (minutes)"
        ),
    }
    out = widgets.interactive_output(_draw, controls)
    return widgets.VBox([*controls.values(), out])
