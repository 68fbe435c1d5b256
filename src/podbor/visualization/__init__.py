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

from typing import Any

from podbor.visualization import matplotlib
from podbor.visualization._data._gp import GPContourData, GPPlotData, gp_plot_data
from podbor.visualization._lazy import PLOT_MODULES, plot_function
from podbor.visualization._plotly_imports import is_available

__all__ = [
    "GPContourData",
    "GPPlotData",
    "gp_plot_data",
    "is_available",
    "matplotlib",
    *PLOT_MODULES,
]


def __getattr__(name: str) -> Any:
    return plot_function(__name__, name)
