"""What every slider panel shares: a labelled control that updates on release, and a
figure redrawn below the controls on every change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as widgets

W = TypeVar("W", bound=widgets.Widget)

CONTROL_WIDTH = "520px"


def control(cls: type[W], *, label_width: str = "150px", **kw: Any) -> W:
    """A ``cls`` widget (a slider, mostly) with the panels' label width and layout, that
    reports a new value only when the learner lets go (no redraw per pixel)."""
    return cls(
        style={"description_width": label_width},
        layout=widgets.Layout(width=CONTROL_WIDTH),
        continuous_update=False,
        **kw,
    )


def slider(cls: type[W], description: str, value: float, low: float, high: float, **kw: Any) -> W:
    """A numeric slider ``cls`` from ``low`` to ``high`` starting at ``value``."""
    return control(cls, description=description, value=value, min=low, max=high, **kw)


def choice(description: str, options: list[Any], value: Any, **kw: Any) -> widgets.Widget:
    """A slider over the given ``options`` (sizes, TTLs), starting at ``value``."""
    return control(
        widgets.SelectionSlider, description=description, options=options, value=value, **kw
    )


def figure_panel(
    draw: Callable[..., None], controls: dict[str, widgets.Widget], *extra: widgets.Widget
) -> widgets.VBox:
    """The controls (then any ``extra`` widgets) above an output that calls
    ``draw(**values)`` on every change.

    ``draw`` makes a matplotlib figure and does not call ``plt.show()``:
    ``interactive_output`` flushes the figure into its Output widget under the notebook's
    inline backend, and a non-GUI backend (tests) must not be asked to show.
    """
    out = widgets.interactive_output(draw, controls)
    return widgets.VBox([*controls.values(), *extra, out])
