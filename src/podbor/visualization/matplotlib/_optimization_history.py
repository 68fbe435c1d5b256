"""``plot_optimization_history`` with matplotlib: each trial's value and the best value so far.

The numbers come from :func:`~podbor.visualization._data._optimization_history.
optimization_history_data`; this module only draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from podbor._study_view import StudyView
from podbor.visualization._data._common import DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._optimization_history import (
    HistorySeries,
    OptimizationHistoryData,
    optimization_history_data,
)
from podbor.visualization._optimization_history_compat import (
    _OptimizationHistoryInfo,
    from_infos,
)
from podbor.visualization.matplotlib._matplotlib_imports import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_optimization_history"]

INFEASIBLE_COLOR = "#cccccc"
_BEST_LEGEND_MAX_POINTS = 2000


def _draw(ax: Axes, series: HistorySeries, color: Any) -> None:
    shown, infeasible = series.shown, series.infeasible
    if series.value_errors is None:
        ax.scatter(series.numbers[shown], series.values[shown], color=color, label=series.label)
    else:
        ax.errorbar(
            series.numbers[shown],
            series.values[shown],
            yerr=series.value_errors[shown],
            fmt="o",
            capsize=3,
            color=color,
            label=series.label,
        )
    # No label: greyed-out infeasible trials stay out of the legend.
    ax.scatter(series.numbers[infeasible], series.values[infeasible], color=INFEASIBLE_COLOR)
    if series.best_values is None:
        return
    ax.plot(series.numbers, series.best_values, color=color, alpha=0.6, label=series.best_label)
    if series.best_errors is not None:
        ax.fill_between(
            series.numbers,
            series.best_values - series.best_errors,
            series.best_values + series.best_errors,
            color=color,
            alpha=0.2,
        )


def _axes(data: OptimizationHistoryData) -> Axes:
    plt = require()
    with plt.style.context("ggplot"):
        ax: Axes = plt.subplots()[1]
        ax.set_title("Optimization History Plot")
        ax.set_xlabel("Trial")
        ax.set_ylabel(data.target_name)
        cmap = plt.get_cmap("tab10")
        for i, series in enumerate(data.series):
            _draw(ax, series, cmap(i % 10))
        if data.series:
            # Matplotlib's "best" placement scans every point at draw time (seconds for ten
            # thousand); past a few thousand points a fixed corner is used instead.
            n_points = sum(s.numbers.size for s in data.series)
            ax.legend(loc="best" if n_points <= _BEST_LEGEND_MAX_POINTS else "upper right")
    return ax


def plot_optimization_history(
    study: StudyView | Sequence[StudyView],
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
    error_bar: bool = False,
) -> Axes:
    """Plot each trial's value against its number, with the best value so far as a line.

    Args:
        study: A study, or several studies to compare (each in its own colour).
        target: What to plot for a trial; needed for a multi-objective study (e.g.
            ``lambda t: t.values[0]``). No best-value line is drawn for a target.
        target_name: The y axis label.
        error_bar: With several studies, plot the mean over studies per trial number with the
            standard deviation as an error bar (and a band around the best value).

    Returns:
        The ``matplotlib.axes.Axes`` drawn on; empty when no study has a complete trial.

    Raises:
        ValueError: A multi-objective study and no ``target``.
        ImportError: matplotlib is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> from podbor.visualization.matplotlib import plot_optimization_history
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=5)
        >>> ax = plot_optimization_history(study)
        >>> ax.get_ylabel()
        'Objective Value'
    """
    require()
    data = optimization_history_data(
        study, target=target, target_name=target_name, error_bar=error_bar
    )
    return _axes(data)


def _get_optimization_history_plot(
    info_list: Sequence[_OptimizationHistoryInfo], target_name: str
) -> Axes:
    """Optuna's private renderer entry point: draw Optuna-style history records."""
    return _axes(from_infos(info_list, target_name))
