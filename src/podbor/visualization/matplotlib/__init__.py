"""The same plots drawn with matplotlib (``pip install podbor[plot]``), from the same plot data.

Each function returns the ``matplotlib.axes.Axes`` it drew on, as Optuna's do.
"""

from __future__ import annotations

from typing import Any

from podbor.visualization._lazy import PLOT_MODULES, plot_function
from podbor.visualization.matplotlib._matplotlib_imports import is_available

__all__ = ["is_available", *PLOT_MODULES]


def __getattr__(name: str) -> Any:
    return plot_function(__name__, name)
