"""Pictures of a study, with Optuna's names: plot data computed once, drawn by thin renderers.

``podbor.visualization.plot_*`` draw with plotly and ``podbor.visualization.matplotlib.plot_*``
with matplotlib; both are optional (``pip install podbor[plot]``) and imported only when a plot
is drawn. The numbers behind every plot come from one backend-free module
(``podbor.visualization._data``), which the dashboard reads too.

Example:
    >>> import podbor
    >>> from podbor.visualization import gp_plot_data
    >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=5)
    >>> gp_plot_data(study, "x", n_points=20).mean.shape
    (20,)
"""

from __future__ import annotations

import importlib
from typing import Any

from podbor.visualization import matplotlib
from podbor.visualization._data._gp import GPContourData, GPPlotData, gp_plot_data
from podbor.visualization._plotly_imports import is_available

# Public plot functions and the module each lives in (imported on first use).
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
    "plot_gp": "_gp",
}

__all__ = ["GPContourData", "GPPlotData", "gp_plot_data", "is_available", "matplotlib", *_PLOTS]


def __getattr__(name: str) -> Any:
    module = _PLOTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
