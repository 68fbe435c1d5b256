"""``plot_intermediate_values`` with matplotlib: the learning curve of every reporting trial.

The numbers come from :func:`~podbor.visualization._data._intermediate_values.
intermediate_values_data`; this module only draws them, all curves as one line collection
(and their points as one scatter), so ten thousand trials draw as fast as ten.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import numpy as np

from podbor._study_view import StudyView
from podbor.visualization._data._intermediate_values import (
    IntermediateValuesData,
    intermediate_values_data,
)
from podbor.visualization._intermediate_values_compat import _IntermediatePlotInfo, from_info
from podbor.visualization.matplotlib._matplotlib_imports import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_intermediate_values"]

INFEASIBLE_COLOR = (0.8, 0.8, 0.8, 1.0)


def _colors(data: IntermediateValuesData) -> np.ndarray:
    """RGBA per trial, shape ``(k, 4)``: a tab20 cycle, grey for infeasible trials."""
    plt = require()
    n = data.trial_numbers.size
    rgba = np.asarray(plt.get_cmap("tab20").colors)[np.arange(n) % 20]
    rgba = np.column_stack([rgba, np.ones(n)])
    rgba[~data.feasible] = INFEASIBLE_COLOR
    return rgba


def _draw(ax: Axes, data: IntermediateValuesData) -> None:
    collections = importlib.import_module("matplotlib.collections")
    colors = _colors(data)
    points = np.column_stack([data.steps.astype(float), data.values])
    segments = np.split(points, data.offsets[1:-1])
    ax.add_collection(collections.LineCollection(segments, colors=colors, alpha=0.7))
    point_colors = np.repeat(colors, np.diff(data.offsets), axis=0)
    ax.scatter(points[:, 0], points[:, 1], c=point_colors, s=12, alpha=0.7, zorder=3)
    ax.autoscale_view()


def _axes(data: IntermediateValuesData) -> Axes:
    plt = require()
    with plt.style.context("ggplot"):
        ax: Axes = plt.subplots()[1]
        ax.set_title("Intermediate Values Plot")
        ax.set_xlabel("Step")
        ax.set_ylabel("Intermediate Value")
        if data.trial_numbers.size:
            _draw(ax, data)
    return ax


def plot_intermediate_values(study: StudyView) -> Axes:
    """Plot the intermediate values (learning curve) each trial reported, against the step.

    Complete, pruned and running trials that called ``trial.report`` are drawn; trials that
    violate a constraint are greyed out.

    Args:
        study: The study.

    Returns:
        The ``matplotlib.axes.Axes`` drawn on; empty (with a logged warning) when no trial
        reported an intermediate value.

    Raises:
        ImportError: matplotlib is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> from podbor.visualization.matplotlib import plot_intermediate_values
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", 0, 1)
        ...     for step in range(3):
        ...         trial.report(x / (step + 1), step)
        ...     return x / 3
        >>> study = podbor.create_study()
        >>> study.optimize(objective, n_trials=2)
        >>> len(plot_intermediate_values(study).collections[0].get_segments())
        2
    """
    require()
    return _axes(intermediate_values_data(study))


def _get_intermediate_plot(info: _IntermediatePlotInfo) -> Axes:
    """Optuna's private renderer entry point: draw Optuna-style curve records."""
    return _axes(from_info(info))
