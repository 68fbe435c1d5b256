"""Which module holds each plot function: both backends import their ``plot_*`` names lazily.

``podbor.visualization`` (plotly) and ``podbor.visualization.matplotlib`` name their plot
modules alike (``_contour.py`` draws ``plot_contour`` in each), so one table serves both, and
a plot's module (with its plotting library) is imported only when the plot is first asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["PLOT_MODULES", "plot_function"]

PLOT_MODULES: dict[str, str] = {
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
    "plot_gp": "_gp",
    "plot_terminator_improvement": "_terminator_improvement",
}


def plot_function(package: str, name: str) -> Any:
    """``package``'s plot function ``name`` (its module imported now), or AttributeError."""
    module = PLOT_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{package}.{module}"), name)
