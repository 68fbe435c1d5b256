"""``plot_hypervolume_history`` with matplotlib: the hypervolume after each COMPLETE trial.

The numbers come from :func:`podbor.visualization._data._hypervolume_history.
hypervolume_history_data`; this module only draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from podbor._study_view import StudyView
from podbor.visualization._data._hypervolume_history import (
    HypervolumeHistoryData,
    check_reference_point,
    hypervolume_history_data,
)
from podbor.visualization._hypervolume_history import _HypervolumeHistoryInfo, _to_data
from podbor.visualization.matplotlib._matplotlib_imports import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_hypervolume_history"]

TITLE = "Hypervolume History Plot"


def plot_hypervolume_history(study: StudyView, reference_point: Sequence[float]) -> Axes:
    """Plot the hypervolume of the feasible COMPLETE trials as trials complete, with matplotlib.

    See :func:`podbor.visualization.plot_hypervolume_history`; this draws the same line.

    Args:
        study: A study with 2 or more objectives.
        reference_point: One value per objective, in the study's directions.

    Returns:
        The ``matplotlib.axes.Axes`` drawn on.

    Raises:
        ValueError: a single-objective study, or a reference point of the wrong length.
        ImportError: matplotlib is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> from podbor.visualization.matplotlib import plot_hypervolume_history
        >>> study = podbor.create_study(directions=["minimize", "minimize"])
        >>> study.optimize(lambda t: (t.suggest_float("x", 0, 1), 0.5), n_trials=3)
        >>> ax = plot_hypervolume_history(study, [1.0, 1.0])
        >>> ax.lines[0].get_xdata().tolist()
        [0, 1, 2]
    """
    check_reference_point(study, reference_point)
    require("plot_hypervolume_history")
    return _axes(hypervolume_history_data(study, reference_point))


def _axes(data: HypervolumeHistoryData) -> Axes:
    plt = require("plot_hypervolume_history")
    with plt.style.context("ggplot"):
        ax: Axes = plt.subplots()[1]
        ax.set_title(TITLE)
        ax.set_xlabel("Trial")
        ax.set_ylabel("Hypervolume")
        ax.plot(data.numbers, data.values, color=plt.get_cmap("tab10")(0), marker="o", alpha=0.5)
    return ax


def _get_hypervolume_history_plot(info: _HypervolumeHistoryInfo) -> Axes:
    """Optuna's private renderer: the axes of an Optuna-style record."""
    return _axes(_to_data(info))
