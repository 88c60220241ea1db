"""An icicle (flame) chart laid out from a cProfile call graph (drawn by
:func:`tradeoffs.widgets.profiling.plot_icicle`)."""

from __future__ import annotations

import pstats
from dataclasses import dataclass

from tradeoffs.profiling.cprofile import (
    PROFILER_NOISE,
    StatsKey,
    find_function,
    function_label,
    raw_stats,
    top_function,
)

__all__ = ["IcicleBox", "icicle_boxes"]


@dataclass(frozen=True)
class IcicleBox:
    """One box of an icicle chart: a function at `depth` below the root, spanning
    [start_s, start_s + width_s) of the root's cumulative time."""

    label: str
    depth: int
    start_s: float
    width_s: float


def icicle_boxes(
    stats: pstats.Stats,
    root: str | None = None,
    max_depth: int = 8,
    min_share: float = 0.002,
) -> list[IcicleBox]:
    """Lay out an icicle chart (a flame graph drawn top-down) from a cProfile call graph.

    The root is the function named `root`, or the one with the largest cumulative time.
    Each child's width is the cumulative time it spent on behalf of its parent (pstats
    keeps that per caller-callee edge), scaled to the parent's box where the parent was
    itself called from several places. cProfile keeps one level of call context only, so
    deeper boxes are an estimate; recursive calls are folded into their first box.
    Boxes narrower than `min_share` of the root are dropped.
    """
    if max_depth < 1 or not 0 <= min_share < 1:
        raise ValueError("need max_depth >= 1 and 0 <= min_share < 1")
    raw = raw_stats(stats)
    top = find_function(stats, root) if root is not None else top_function(stats, "cumtime")
    children: dict[StatsKey, list[tuple[StatsKey, float]]] = {}
    for key, value in raw.items():
        for caller, edge in value[4].items():
            children.setdefault(caller, []).append((key, float(edge[3])))
    boxes: list[IcicleBox] = []
    root_s = top.cumtime_s
    if root_s <= 0:
        return [IcicleBox(top.label, 0, 0.0, 0.0)]

    def walk(
        key: StatsKey, depth: int, start_s: float, width_s: float, path: set[StatsKey]
    ) -> None:
        boxes.append(IcicleBox(function_label(key), depth, start_s, width_s))
        if depth + 1 >= max_depth:
            return
        own_cum_s = float(raw[key][3])
        scale = width_s / own_cum_s if own_cum_s > 0 else 0.0
        offset = start_s
        for child, edge_s in sorted(children.get(key, []), key=lambda c: -c[1]):
            if child in path or PROFILER_NOISE in child[2]:
                continue
            child_w = min(edge_s * scale, start_s + width_s - offset)
            if child_w < min_share * root_s:
                continue
            walk(child, depth + 1, offset, child_w, path | {child})
            offset += child_w

    walk(top.key, 0, 0.0, root_s, {top.key})
    return boxes
