"""Figures and the slider panel of unit 07 (transcoding), drawn from measured tables.

A *table* is a list of dicts, one per encode the lesson measured, with at least
``clip``, ``height``, ``preset``, ``bitrate_kbps`` or ``crf``, ``kbps`` (reached),
``cpu_s``, ``bytes``, ``duration_s`` and ``vmaf``. :func:`pareto_hull` and
:func:`lookup` are pure (unit-tested); the plots and :func:`transcode_panel` only draw
what they return. Nothing here is simulated: every number is an encode that ran.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
from matplotlib.axes import Axes

from tradeoffs import prices

__all__ = ["lookup", "pareto_hull", "plot_curves", "row_cost_usd_per_min", "transcode_panel"]


def pareto_hull(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The upper convex hull of (cost, quality) points: the best quality for each cost.

    Points sorted by cost; only those on the upper-left concave frontier are kept (no
    point of the hull is beaten by a mix of two others), as per-title encoding picks
    its rungs from.
    """
    pts = sorted(set((float(x), float(y)) for x, y in points))
    frontier: list[tuple[float, float]] = []
    for p in pts:  # drop points no better than a cheaper one
        if not frontier or p[1] > frontier[-1][1]:
            frontier.append(p)
    hull: list[tuple[float, float]] = []
    for p in frontier:
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            # keep hull[-1] only if it lies above the chord from hull[-2] to p
            if (y2 - y1) * (p[0] - x1) <= (p[1] - y1) * (x2 - x1):
                hull.pop()
            else:
                break
        hull.append(p)
    return hull


def row_cost_usd_per_min(row: Mapping[str, Any], vcpu_hour_usd: float | None = None) -> float:
    """Compute cost of one encode per minute of video (USD), at a vCPU-hour price."""
    price = prices.VCPU_HOUR_USD["on-demand VM"] if vcpu_hour_usd is None else vcpu_hour_usd
    return float(row["cpu_s"]) * price / 3600 / (float(row["duration_s"]) / 60)


def lookup(
    table: Sequence[Mapping[str, Any]], *, clip: str, height: int, preset: str, rate: float
) -> Mapping[str, Any]:
    """The measured row for (clip, height, preset) whose target rate (``bitrate_kbps`` or
    ``crf``) is nearest to ``rate``; KeyError if nothing was measured there."""
    rows = [
        r for r in table if r["clip"] == clip and r["height"] == height and r["preset"] == preset
    ]
    if not rows:
        raise KeyError(f"nothing measured for {clip} at {height}p {preset}")
    key = "bitrate_kbps" if "bitrate_kbps" in rows[0] else "crf"
    return min(rows, key=lambda r: abs(float(r[key]) - rate))


def plot_curves(table: Sequence[Mapping[str, Any]], clip: str, axes: tuple[Axes, Axes]) -> None:
    """Rate-quality (left) and CPU-quality (right) of one clip, one line per
    (height, preset), with the convex hull over all of them dashed."""
    ax1, ax2 = axes
    rows = [r for r in table if r["clip"] == clip]
    groups = sorted({(r["height"], r["preset"]) for r in rows})
    for height, preset in groups:
        g = sorted(
            (r for r in rows if (r["height"], r["preset"]) == (height, preset)),
            key=lambda r: r["kbps"],
        )
        label = f"{height}p {preset}"
        ax1.plot([r["kbps"] for r in g], [r["vmaf"] for r in g], "o-", label=label, ms=3)
        ax2.plot([r["cpu_s"] for r in g], [r["vmaf"] for r in g], "o", label=label, ms=4)
    for ax, key in ((ax1, "kbps"), (ax2, "cpu_s")):
        hull = pareto_hull([(r[key], r["vmaf"]) for r in rows])
        ax.plot(*zip(*hull, strict=True), "k--", lw=1, label="convex hull")
        ax.set_ylabel("VMAF (at display size)")
        ax.grid(alpha=0.3)
    ax1.set_xlabel("bitrate reached (kbps)")
    ax1.set_xscale("log")
    ax2.set_xlabel("CPU-seconds per encode")
    ax1.set_title(f"{clip}: rate-quality")
    ax2.set_title(f"{clip}: CPU-quality")
    ax2.legend(fontsize="x-small", ncol=2)


def transcode_panel(table: Sequence[Mapping[str, Any]]) -> widgets.VBox:
    """Sliders for clip, preset, bitrate and resolution over the measured table: shows the
    VMAF, file size, CPU time and compute cost per minute of the nearest measured encode."""
    clips = sorted({r["clip"] for r in table})
    heights = sorted({r["height"] for r in table})
    presets = [
        p
        for p in (
            "ultrafast",
            "superfast",
            "veryfast",
            "faster",
            "fast",
            "medium",
            "slow",
            "slower",
            "veryslow",
        )
        if any(r["preset"] == p for r in table)
    ]
    rates = sorted({float(r.get("bitrate_kbps", r.get("crf", 0))) for r in table})
    style = {"description_width": "120px"}
    layout = widgets.Layout(width="480px")
    controls = {
        "clip": widgets.Dropdown(options=clips, description="clip", style=style),
        "preset": widgets.SelectionSlider(
            options=presets,
            description="preset",
            style=style,
            layout=layout,
            continuous_update=False,
        ),
        "rate": widgets.SelectionSlider(
            options=rates,
            value=rates[len(rates) // 2],
            description="target kbps",
            style=style,
            layout=layout,
            continuous_update=False,
        ),
        "height": widgets.SelectionSlider(
            options=heights,
            value=heights[-1],
            description="height (px)",
            style=style,
            layout=layout,
            continuous_update=False,
        ),
    }
    out = widgets.Output()

    def draw(*_: object) -> None:
        values = {k: w.value for k, w in controls.items()}
        out.clear_output(wait=True)
        with out:
            try:
                row = lookup(
                    table,
                    clip=values["clip"],
                    height=values["height"],
                    preset=values["preset"],
                    rate=values["rate"],
                )
            except KeyError as exc:
                print(exc)
                return
            print(
                f"{row['height']}p {row['preset']} at {row['kbps']:.0f} kbps: "
                f"VMAF {row['vmaf']:.1f}, file {row['bytes'] / 1000:.0f} kB for "
                f"{row['duration_s']:g} s, {row['cpu_s']:.2f} CPU-s, compute "
                f"${row_cost_usd_per_min(row) * 1000:.3f} per 1,000 minutes"
            )

    for w in controls.values():
        w.observe(draw, names="value")
    draw()
    return widgets.VBox([*controls.values(), out])
