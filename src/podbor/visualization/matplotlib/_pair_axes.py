"""matplotlib helpers shared by the pair plots (``plot_contour``, ``plot_rank``).

A pair plot stores positions as numbers (parameter values, or category indices on a categorical
axis); here an Axes gets the matching scale, limits and category tick labels.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from podbor.visualization._data._pairs import PairAxis

__all__ = ["style_axis"]


def style_axis(ax: Any, axis: PairAxis, which: Literal["x", "y"], *, label: bool) -> None:
    """Scale (log), limits, category ticks and (when ``label``) label of one axis of ``ax``."""
    if label:
        getattr(ax, f"set_{which}label")(axis.name)
    if axis.is_log:
        getattr(ax, f"set_{which}scale")("log")
    if axis.is_categorical:
        positions = np.arange(len(axis.categories))
        getattr(ax, f"set_{which}ticks")(positions, labels=list(axis.categories))
    if axis.low < axis.high:
        getattr(ax, f"set_{which}lim")(axis.low, axis.high)
