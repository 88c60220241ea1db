"""Unit 02's figures: the icicle chart, the Pareto chart and the trace timeline of a
measured profile, and the Amdahl panel (what fixing the top of the profile can buy).

:func:`amdahl_projection` is the pure computation (numbers only, unit-tested) on the shares
of a real profile (:func:`tradeoffs.profiling.pareto_table`); :func:`plot_amdahl` draws
one projection; :func:`amdahl_panel` wires both to sliders. :func:`plot_icicle`,
:func:`plot_pareto` and :func:`plot_timeline` draw what :mod:`tradeoffs.profiling` returns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from tradeoffs.profiling import IcicleBox, ParetoRow, TraceRun, amdahl_speedup
from tradeoffs.widgets._panel import figure_panel, slider

__all__ = [
    "AmdahlProjection",
    "amdahl_panel",
    "amdahl_projection",
    "plot_amdahl",
    "plot_icicle",
    "plot_pareto",
    "plot_timeline",
]


@dataclass(frozen=True)
class AmdahlProjection:
    """Speeding up the top `n_fixed` functions of a profile by `factor`."""

    n_fixed: int
    factor: float
    fraction: float  # share of the run those functions take (0..1)
    speedup: float  # overall speed-up of the run
    limit: float  # the speed-up if they took no time at all

    @property
    def new_time_share(self) -> float:
        """The new run time as a share of the old one."""
        return 1 / self.speedup


def amdahl_projection(shares: Sequence[float], n_fixed: int, factor: float) -> AmdahlProjection:
    """Amdahl's law on a measured profile: `shares` are the functions' shares of the run
    (largest first, summing to about 1); the first `n_fixed` become `factor` times faster.
    """
    if not shares:
        raise ValueError("shares is empty: profile something first")
    if any(s < 0 for s in shares) or not math.isclose(sum(shares), 1.0, abs_tol=1e-6):
        raise ValueError(f"shares must be non-negative and sum to 1, got sum {sum(shares):.6f}")
    if not 0 <= n_fixed <= len(shares):
        raise ValueError(f"n_fixed must be within [0, {len(shares)}], got {n_fixed}")
    fraction = min(1.0, float(sum(shares[:n_fixed])))
    return AmdahlProjection(
        n_fixed=n_fixed,
        factor=float(factor),
        fraction=fraction,
        speedup=amdahl_speedup(fraction, factor),
        limit=amdahl_speedup(fraction, math.inf),
    )


def plot_amdahl(
    rows: Sequence[ParetoRow], n_fixed: int, factor: float, axes: Sequence[Axes]
) -> AmdahlProjection:
    """Left: the run's time by function, before and after the fix (stacked bars).
    Right: overall speed-up against the fix's factor, with the ceiling 1 / (1 - f)."""
    proj = amdahl_projection([r.share for r in rows], n_fixed, factor)
    ax_bar, ax_curve = axes
    fixed = proj.fraction
    rest = 1 - fixed
    ax_bar.bar(["before", "after"], [rest, rest], color="0.7", label="everything else")
    ax_bar.bar(
        ["before", "after"],
        [fixed, fixed / factor],
        bottom=[rest, rest],
        color="tab:red",
        label=f"top {n_fixed} function(s)",
    )
    ax_bar.set_ylabel("run time (share of before)")
    ax_bar.set_title(f"{proj.speedup:.2f}x faster overall")
    ax_bar.legend(fontsize="small")
    factors = np.geomspace(1, 1000, 200)
    ax_curve.plot(factors, [amdahl_speedup(fixed, f) for f in factors], color="tab:red")
    ax_curve.plot([factor], [proj.speedup], "o", color="tab:red")
    if math.isfinite(proj.limit):
        ax_curve.axhline(
            proj.limit, color="0.4", ls="--", label=f"ceiling 1/(1-f) = {proj.limit:.1f}x"
        )
        ax_curve.legend(fontsize="small")
    ax_curve.set(
        xscale="log",
        xlabel="how much faster the fixed part gets",
        ylabel="overall speed-up",
        title=f"f = {fixed:.1%} of the run",
    )
    return proj


def _draw(rows: Sequence[ParetoRow], n_fixed: int, factor: float) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1, 2]})
    plot_amdahl(rows, n_fixed, factor, axes)
    fig.tight_layout()


def amdahl_panel(rows: Sequence[ParetoRow]) -> widgets.VBox:
    """Sliders for how many of the profile's top functions to fix and by how much, above
    the plot of :func:`plot_amdahl`. Display it as a cell's last expression."""
    if not rows:
        raise ValueError("rows is empty: pass tradeoffs.profiling.pareto_table(stats)")
    wide = "170px"
    controls = {
        "n_fixed": slider(
            widgets.IntSlider, "functions fixed (top n)", 1, 0, min(8, len(rows)), label_width=wide
        ),
        "factor": slider(
            widgets.FloatLogSlider,
            "each made x times faster",
            10.0,
            0,
            3,
            base=10,
            step=0.1,
            readout_format=",.1f",
            label_width=wide,
        ),
    }
    names = widgets.HTML()

    def _names(change: object = None) -> None:
        fixed = ", ".join(r.label for r in rows[: controls["n_fixed"].value]) or "nothing"
        names.value = f"<small>fixed: {fixed}</small>"

    controls["n_fixed"].observe(_names, names="value")
    _names()
    return figure_panel(lambda n_fixed, factor: _draw(rows, n_fixed, factor), controls, names)


# ------------------------------------------------------------------------ profile figures


def plot_icicle(boxes: Sequence[IcicleBox], ax: Axes, title: str = "") -> None:
    """Draw :func:`icicle_boxes` top-down; the root spans the whole width (in ms)."""
    if not boxes:
        raise ValueError("no boxes to draw")
    cmap = plt.get_cmap("YlOrRd")
    labels = sorted({b.label for b in boxes})
    total_ms = max(b.start_s + b.width_s for b in boxes) * 1000
    for box in boxes:
        color = cmap(0.2 + 0.6 * (labels.index(box.label) / max(len(labels) - 1, 1)))
        ax.barh(
            -box.depth,
            box.width_s * 1000,
            left=box.start_s * 1000,
            height=0.9,
            color=color,
            edgecolor="white",
            linewidth=0.5,
        )
        if box.width_s * 1000 > 0.06 * total_ms:
            ax.text(
                (box.start_s + box.width_s / 2) * 1000,
                -box.depth,
                box.label,
                ha="center",
                va="center",
                fontsize="small",
                clip_on=True,
            )
    depth = max(b.depth for b in boxes)
    ax.set_yticks([-d for d in range(depth + 1)], [f"depth {d}" for d in range(depth + 1)])
    ax.set_xlim(0, total_ms)
    ax.set_xlabel("cumulative time (ms)")
    ax.set_title(title or "Icicle chart: each box is a function, width = time inside it")


def plot_pareto(rows: Sequence[ParetoRow], ax: Axes, top: int = 10) -> None:
    """Bars of each function's share (top `top`, the rest pooled) and the cumulative line,
    with the 80% mark."""
    if not rows:
        raise ValueError("no rows to draw")
    shown = list(rows[:top])
    labels = [r.label for r in shown]
    shares = [r.share * 100 for r in shown]
    if len(rows) > top:
        labels.append(f"{len(rows) - top} others")
        shares.append(sum(r.share for r in rows[top:]) * 100)
    cumulative = [sum(shares[: i + 1]) for i in range(len(shares))]
    x = list(range(len(labels)))
    ax.bar(x, shares, color="tab:blue", alpha=0.8, label="share of run time")
    ax.plot(x, cumulative, "o-", color="tab:red", label="cumulative share")
    ax.axhline(80, color="0.5", ls=":", lw=1, label="80%")
    ax.set_xticks(x, labels, rotation=35, ha="right", fontsize="small")
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of profiled time (tottime)")
    ax.legend(loc="center right", fontsize="small")


def plot_timeline(run: TraceRun, ax: Axes, max_depth: int = 4, min_dur_us: float = 0.0) -> None:
    """Draw the trace as a timeline (flame chart over time): one row per call depth."""
    shown = [e for e in run.events if e["args"]["depth"] < max_depth and e["dur"] >= min_dur_us]
    if not shown:
        raise ValueError("no events to draw")
    names = sorted({e["name"] for e in shown})
    cmap = plt.get_cmap("tab10")
    drawn: set[str] = set()
    for e in shown:
        color = cmap(names.index(e["name"]) % 10)
        label = e["name"] if e["name"] not in drawn and len(drawn) < 10 else None
        drawn.add(e["name"])
        ax.barh(
            -e["args"]["depth"],
            e["dur"] / 1000,
            left=e["ts"] / 1000,
            height=0.85,
            color=color,
            label=label,
        )
    depth = max(e["args"]["depth"] for e in shown)
    ax.set_yticks([-d for d in range(depth + 1)], [f"depth {d}" for d in range(depth + 1)])
    ax.set_xlabel("time since the call started (ms)")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
