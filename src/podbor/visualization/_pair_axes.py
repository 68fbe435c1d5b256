"""plotly helpers shared by the pair plots (``plot_contour``, ``plot_rank``): axes and positions.

A pair plot stores positions as numbers (parameter values, or category indices on a categorical
axis); plotly wants category labels on a category axis and log10 units in a log axis's range.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from podbor.visualization._data._pairs import PairAxis

__all__ = ["message_annotation", "plotly_positions", "style_axis", "subplot_refs"]


def plotly_positions(axis: PairAxis, positions: npt.NDArray[np.float64]) -> Any:
    """Positions as plotly takes them: numbers, or category labels on a category axis."""
    if axis.is_categorical:
        return np.array(axis.labels(positions), dtype=object)
    return positions


def style_axis(layout_axis: Any, axis: PairAxis, *, title: bool) -> None:
    """Set a layout axis's type, range and (when ``title``) title for ``axis``.

    The range is in log10 units on a log axis and in category indices on a category axis,
    whose categories keep the parameter's order. A one-value axis keeps plotly's autorange.
    """
    if title:
        layout_axis.title = {"text": axis.name}
    if axis.is_categorical:
        layout_axis.type = "category"
        layout_axis.categoryorder = "array"
        layout_axis.categoryarray = list(axis.categories)
    elif axis.is_log:
        layout_axis.type = "log"
    if axis.low < axis.high:
        if axis.is_log:
            layout_axis.range = [float(np.log10(axis.low)), float(np.log10(axis.high))]
        else:
            layout_axis.range = [axis.low, axis.high]


def subplot_refs(subplot: Any) -> tuple[str, str]:
    """The trace references (``"x3"``, ``"y3"``) of a ``make_subplots`` subplot's axes."""
    return (
        subplot.xaxis.plotly_name.replace("axis", ""),
        subplot.yaxis.plotly_name.replace("axis", ""),
    )


def message_annotation(text: str) -> dict[str, Any]:
    """A centred annotation that says why a figure is empty."""
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
        "showarrow": False,
        "font": {"size": 14},
    }
