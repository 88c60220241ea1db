"""The Amdahl panel of unit 02: what fixing the top of a measured profile can buy.

:func:`amdahl_projection` is the pure computation (numbers only, unit-tested) on the shares
of a real profile (:func:`tradeoffs.profiling.pareto_table`); :func:`plot_amdahl` draws
one projection; :func:`amdahl_panel` wires both to sliders.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from tradeoffs.profiling import ParetoRow, amdahl_speedup

__all__ = ["AmdahlProjection", "amdahl_panel", "amdahl_projection", "plot_amdahl"]


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
    style = {"description_width": "170px"}
    layout = widgets.Layout(width="520px")
    n_fixed = widgets.IntSlider(
        value=1,
        min=0,
        max=min(8, len(rows)),
        description="functions fixed (top n)",
        style=style,
        layout=layout,
        continuous_update=False,
    )
    factor = widgets.FloatLogSlider(
        value=10.0,
        base=10,
        min=0,
        max=3,
        step=0.1,
        readout_format=",.1f",
        description="each made x times faster",
        style=style,
        layout=layout,
        continuous_update=False,
    )
    names = widgets.HTML()

    def _names(change: object = None) -> None:
        fixed = ", ".join(r.label for r in rows[: n_fixed.value]) or "nothing"
        names.value = f"<small>fixed: {fixed}</small>"

    n_fixed.observe(_names, names="value")
    _names()
    out = widgets.interactive_output(
        lambda n_fixed, factor: _draw(rows, n_fixed, factor),
        {"n_fixed": n_fixed, "factor": factor},
    )
    return widgets.VBox([n_fixed, factor, names, out])
