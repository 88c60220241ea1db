"""Tests for the Amdahl panel of unit 02 (tradeoffs.widgets.profiling)."""

from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest

from tradeoffs.profiling import ParetoRow
from tradeoffs.widgets.profiling import amdahl_panel, amdahl_projection, plot_amdahl

ROWS = [
    ParetoRow("slow.dedupe", 0.9, 0.9, 0.9),
    ParetoRow("slow.csv", 0.06, 0.06, 0.96),
    ParetoRow("slow.rest", 0.04, 0.04, 1.0),
]


def test_projection_is_amdahls_law_on_the_top_shares() -> None:
    p = amdahl_projection([0.9, 0.06, 0.04], 1, 10)
    assert p.fraction == pytest.approx(0.9)
    assert p.speedup == pytest.approx(1 / (0.1 + 0.09))
    assert p.limit == pytest.approx(10)
    assert p.new_time_share == pytest.approx(0.19)
    both = amdahl_projection([0.9, 0.06, 0.04], 2, 1000)
    assert both.limit == pytest.approx(25) and both.speedup < both.limit
    assert amdahl_projection([0.9, 0.06, 0.04], 0, 100).speedup == 1.0
    assert amdahl_projection([0.5, 0.5], 2, 10).limit == math.inf


def test_projection_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        amdahl_projection([0.5, 0.2], 1, 2)
    with pytest.raises(ValueError, match="n_fixed"):
        amdahl_projection([1.0], 2, 2)
    with pytest.raises(ValueError, match="empty"):
        amdahl_projection([], 0, 2)
    with pytest.raises(ValueError, match="empty"):
        amdahl_panel([])


def test_plot_and_panel_build_headless() -> None:
    fig, axes = plt.subplots(1, 2)
    proj = plot_amdahl(ROWS, 1, 10.0, axes)
    assert proj.speedup == pytest.approx(amdahl_projection([0.9, 0.06, 0.04], 1, 10).speedup)
    assert len(axes[0].patches) == 4
    plt.close(fig)
    panel = amdahl_panel(ROWS)
    assert isinstance(panel, widgets.VBox)
    assert [w.description for w in panel.children[:2]] == [
        "functions fixed (top n)",
        "each made x times faster",
    ]
    assert "slow.dedupe" in panel.children[2].value
    panel.children[0].value = 2
    assert "slow.csv" in panel.children[2].value
    plt.close("all")
