"""The same plots drawn with matplotlib (``pip install podbor[plot]``), from the same plot data.

Each function returns the ``matplotlib.axes.Axes`` it drew on, as Optuna's do.
"""

from __future__ import annotations

import importlib
from typing import Any

from podbor.visualization.matplotlib._gp import plot_gp
from podbor.visualization.matplotlib._matplotlib_imports import is_available

_PLOTS: dict[str, str] = {
    "plot_optimization_history": "_optimization_history",
    "plot_intermediate_values": "_intermediate_values",
    "plot_edf": "_edf",
    "plot_parallel_coordinate": "_parallel_coordinate",
    "plot_slice": "_slice",
    "plot_contour": "_contour",
    "plot_rank": "_rank",
    "plot_pareto_front": "_pareto_front",
    "plot_hypervolume_history": "_hypervolume_history",
    "plot_param_importances": "_param_importances",
    "plot_timeline": "_timeline",
    "plot_sampler_decisions": "_sampler_decisions",
}

__all__ = ["is_available", "plot_gp", *_PLOTS]


def __getattr__(name: str) -> Any:
    module = _PLOTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
