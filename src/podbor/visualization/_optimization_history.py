"""``plot_optimization_history`` with plotly: each trial's value and the best value so far.

The numbers come from :func:`~podbor.visualization._data._optimization_history.
optimization_history_data`; this module only draws them.
"""

from __future__ import annotations

import importlib
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
    _get_optimization_history_info_list,
    _OptimizationHistoryInfo,
    _ValuesInfo,
    _ValueState,
    from_infos,
)
from podbor.visualization._plotly_imports import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = ["plot_optimization_history"]

# Optuna's private names, for scripts and tests written against Optuna.
_OPTUNA_NAMES = (_get_optimization_history_info_list, _ValuesInfo, _ValueState)

INFEASIBLE_NAME = "Infeasible Trial"
INFEASIBLE_COLOR = "#cccccc"


def _traces(series: HistorySeries, color: str) -> list[dict[str, Any]]:
    """The values, the greyed-out infeasible trials and the best line (with its band)."""
    shown, infeasible = series.shown, series.infeasible
    values: dict[str, Any] = {
        "type": "scatter",
        "x": series.numbers[shown],
        "y": series.values[shown],
        "mode": "markers",
        "marker": {"color": color},
        "name": series.label,
    }
    if series.value_errors is not None:
        values["error_y"] = {"type": "data", "array": series.value_errors[shown], "visible": True}
    traces = [
        values,
        {
            "type": "scatter",
            "x": series.numbers[infeasible],
            "y": series.values[infeasible],
            "mode": "markers",
            "marker": {"color": INFEASIBLE_COLOR},
            "name": INFEASIBLE_NAME,
            "showlegend": False,
        },
    ]
    if series.best_values is None:
        return traces
    traces.append(
        {
            "type": "scatter",
            "x": series.numbers,
            "y": series.best_values,
            "mode": "lines",
            "line": {"color": color},
            "name": series.best_label,
        }
    )
    if series.best_errors is not None:
        band = {"type": "scatter", "x": series.numbers, "mode": "lines", "showlegend": False}
        traces.append({**band, "y": series.best_values + series.best_errors, "line": {"width": 0}})
        traces.append(
            {
                **band,
                "y": series.best_values - series.best_errors,
                "line": {"width": 0},
                "fill": "tonexty",
                "fillcolor": color.replace("rgb(", "rgba(").replace(")", ", 0.2)"),
            }
        )
    return traces


def _figure(data: OptimizationHistoryData) -> go.Figure:
    go = require()
    colors = importlib.import_module("plotly.colors").DEFAULT_PLOTLY_COLORS
    traces: list[dict[str, Any]] = []
    for i, series in enumerate(data.series):
        traces.extend(_traces(series, colors[i % len(colors)]))
    layout = {
        "title": {"text": "Optimization History Plot"},
        "xaxis": {"title": {"text": "Trial"}},
        "yaxis": {"title": {"text": data.target_name}},
    }
    return go.Figure(data=traces, layout=layout)


def plot_optimization_history(
    study: StudyView | Sequence[StudyView],
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
    error_bar: bool = False,
) -> go.Figure:
    """Plot each trial's value against its number, with the best value so far as a line.

    Args:
        study: A study, or several studies to compare (each in its own colour).
        target: What to plot for a trial; needed for a multi-objective study (e.g.
            ``lambda t: t.values[0]``). No best-value line is drawn for a target.
        target_name: The y axis title.
        error_bar: With several studies, plot the mean over studies per trial number with the
            standard deviation as an error bar (and a band around the best value).

    Returns:
        A ``plotly.graph_objects.Figure``; empty when no study has a complete trial.

    Raises:
        ValueError: A multi-objective study and no ``target``.
        ImportError: plotly is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=5)
        >>> fig = podbor.visualization.plot_optimization_history(study)
        >>> [trace.name for trace in fig.data]
        ['Objective Value', 'Infeasible Trial', 'Best Value']
    """
    require()
    data = optimization_history_data(
        study, target=target, target_name=target_name, error_bar=error_bar
    )
    return _figure(data)


def _get_optimization_history_plot(
    info_list: Sequence[_OptimizationHistoryInfo], target_name: str
) -> go.Figure:
    """Optuna's private renderer entry point: draw Optuna-style history records."""
    return _figure(from_infos(info_list, target_name))
