"""``plot_hypervolume_history`` with plotly: the hypervolume after each COMPLETE trial.

The numbers come from :func:`podbor.visualization._data._hypervolume_history.
hypervolume_history_data`; this module only draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from podbor._study_view import StudyView
from podbor.visualization._data._hypervolume_history import (
    HypervolumeHistoryData,
    check_reference_point,
    hypervolume_history_data,
)
from podbor.visualization._plotly_imports import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = ["plot_hypervolume_history"]

TITLE = "Hypervolume History Plot"


class _HypervolumeHistoryInfo(NamedTuple):
    """Optuna's private record of the plot: trial numbers and hypervolumes as lists."""

    trial_numbers: list[int]
    values: list[float]


def _get_hypervolume_history_info(
    study: StudyView, reference_point: Sequence[float]
) -> _HypervolumeHistoryInfo:
    """Optuna's private builder: :func:`hypervolume_history_data` as plain lists."""
    data = hypervolume_history_data(study, reference_point)
    return _HypervolumeHistoryInfo(data.numbers.tolist(), data.values.tolist())


def _get_hypervolume_history_plot(info: _HypervolumeHistoryInfo) -> go.Figure:
    """Optuna's private renderer: the figure of an Optuna-style record."""
    return _figure(require("plot_hypervolume_history"), _to_data(info))


def _to_data(info: _HypervolumeHistoryInfo) -> HypervolumeHistoryData:
    numbers = np.array(info.trial_numbers, dtype=np.int64)
    return HypervolumeHistoryData(numbers, np.array(info.values, dtype=float), None)


def plot_hypervolume_history(study: StudyView, reference_point: Sequence[float]) -> go.Figure:
    """Plot the hypervolume of the feasible COMPLETE trials as trials complete.

    Args:
        study: A study with 2 or more objectives.
        reference_point: One value per objective, in the study's directions: the hypervolume
            counts what the trials dominate between them and this point (a trial not strictly
            better than it in every objective adds nothing).

    Returns:
        A ``plotly.graph_objects.Figure`` with one line: trial number against hypervolume.

    Raises:
        ValueError: a single-objective study, or a reference point of the wrong length.
        ImportError: plotly is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> study = podbor.create_study(directions=["minimize", "minimize"])
        >>> study.optimize(lambda t: (t.suggest_float("x", 0, 1), 0.5), n_trials=3)
        >>> fig = podbor.visualization.plot_hypervolume_history(study, [1.0, 1.0])
        >>> fig.data[0].x.tolist()
        [0, 1, 2]
    """
    check_reference_point(study, reference_point)
    go = require("plot_hypervolume_history")
    return _figure(go, hypervolume_history_data(study, reference_point))


def _figure(go: Any, data: HypervolumeHistoryData) -> go.Figure:
    trace = {"type": "scatter", "x": data.numbers, "y": data.values, "mode": "lines+markers"}
    layout = {
        "title": {"text": TITLE},
        "xaxis": {"title": {"text": "Trial"}},
        "yaxis": {"title": {"text": "Hypervolume"}},
    }
    return go.Figure({"data": [trace], "layout": layout})
