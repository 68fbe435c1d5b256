"""``plot_terminator_improvement`` with plotly: the terminator's improvement (and error) curves.

The numbers come from :func:`podbor.visualization._data._terminator_improvement.
terminator_improvement_data`; this module only draws them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from podbor._study_view import StudyView
from podbor.terminator.erroreval import BaseErrorEvaluator
from podbor.terminator.improvement.evaluator import DEFAULT_MIN_N_TRIALS, BaseImprovementEvaluator
from podbor.visualization._data._terminator_improvement import (
    TerminatorImprovementData,
    improvement_y_range,
    terminator_improvement_data,
)
from podbor.visualization._plotly_imports import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = ["plot_terminator_improvement"]

TITLE = "Terminator Improvement Plot"
IMPROVEMENT_COLOR = "rgb(31,119,180)"
EARLY_COLOR = "rgb(158,202,225)"
ERROR_COLOR = "rgb(214,39,40)"


class _ImprovementInfo(NamedTuple):
    """Optuna's private record of the plot: trial numbers, improvements and errors as lists."""

    trial_numbers: list[int]
    improvements: list[float]
    errors: list[float] | None


def _get_improvement_info(
    study: StudyView,
    get_error: bool = False,
    improvement_evaluator: BaseImprovementEvaluator | None = None,
    error_evaluator: BaseErrorEvaluator | None = None,
) -> _ImprovementInfo:
    """Optuna's private builder: :func:`terminator_improvement_data` as plain lists."""
    data = terminator_improvement_data(study, get_error, improvement_evaluator, error_evaluator)
    return _to_info(data)


def _to_info(data: TerminatorImprovementData) -> _ImprovementInfo:
    errors = None if data.errors is None else data.errors.tolist()
    return _ImprovementInfo(data.numbers.tolist(), data.improvements.tolist(), errors)


def _get_y_range(info: _ImprovementInfo, min_n_trials: int) -> tuple[float, float]:
    """Optuna's private helper: the y range of an Optuna-style record."""
    return improvement_y_range(info.improvements, info.errors, min_n_trials)


def _to_data(info: _ImprovementInfo, min_n_trials: int) -> TerminatorImprovementData:
    errors = None if info.errors is None else np.array(info.errors, dtype=float)
    return TerminatorImprovementData(
        np.array(info.trial_numbers, dtype=np.int64),
        np.array(info.improvements, dtype=float),
        errors,
        min_n_trials,
        _get_y_range(info, min_n_trials),
        None if info.trial_numbers else "There are no complete trials.",
    )


def _get_improvement_plot(info: _ImprovementInfo, min_n_trials: int) -> go.Figure:
    """Optuna's private renderer: the figure of an Optuna-style record."""
    return _figure(require("plot_terminator_improvement"), _to_data(info, min_n_trials))


def plot_terminator_improvement(
    study: StudyView,
    plot_error: bool = False,
    improvement_evaluator: BaseImprovementEvaluator | None = None,
    error_evaluator: BaseErrorEvaluator | None = None,
    min_n_trials: int = DEFAULT_MIN_N_TRIALS,
) -> go.Figure:
    """Plot the room left for improvement after each complete trial, and optionally the error.

    This is what :class:`~podbor.terminator.Terminator` sees: it would stop the study at the
    first trial (from ``min_n_trials`` on) where the improvement line falls below the error line.
    Each point is the improvement evaluator computed on the complete trials up to that trial;
    the points before ``min_n_trials`` rest on few trials and are drawn in a lighter colour.

    Args:
        study: A single-objective study.
        plot_error: Also draw the error evaluator's values (for the default error evaluator the
            objective must have reported its fold scores with
            :func:`~podbor.terminator.report_cross_validation_scores`).
        improvement_evaluator: :class:`~podbor.terminator.RegretBoundEvaluator` if None.
        error_evaluator: The terminator's default if None.
        min_n_trials: The terminator's ``min_n_trials`` (an int >= 1).

    Returns:
        A ``plotly.graph_objects.Figure``: trial number against improvement (and error).

    Raises:
        ValueError: A study with several objectives, a bad argument, or an evaluator that cannot
            judge the trials.
        ImportError: plotly is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> from podbor.terminator import BestValueStagnationEvaluator
        >>> study = podbor.create_study()
        >>> for value in (3.0, 1.0, 2.0):
        ...     _ = study.tell(study.ask(), value)
        >>> fig = podbor.visualization.plot_terminator_improvement(
        ...     study, improvement_evaluator=BestValueStagnationEvaluator(5), min_n_trials=2)
        >>> [trace.name for trace in fig.data]
        ['Terminator Improvement (before min_n_trials)', 'Terminator Improvement']
    """
    go = require("plot_terminator_improvement")
    data = terminator_improvement_data(
        study, plot_error, improvement_evaluator, error_evaluator, min_n_trials
    )
    return _figure(go, data)


def _figure(go: Any, data: TerminatorImprovementData) -> go.Figure:
    traces: list[dict[str, Any]] = []
    k = data.min_n_trials
    if data.numbers.size:
        early = slice(0, min(k, data.numbers.size))
        traces.append(
            {
                "type": "scatter",
                "x": data.numbers[early],
                "y": data.improvements[early],
                "mode": "lines+markers",
                "marker": {"color": EARLY_COLOR},
                "line": {"color": EARLY_COLOR},
                "name": "Terminator Improvement (before min_n_trials)",
            }
        )
        if data.numbers.size >= k:
            late = slice(k - 1, None)
            traces.append(
                {
                    "type": "scatter",
                    "x": data.numbers[late],
                    "y": data.improvements[late],
                    "mode": "lines+markers",
                    "marker": {"color": IMPROVEMENT_COLOR},
                    "line": {"color": IMPROVEMENT_COLOR},
                    "name": "Terminator Improvement",
                }
            )
        if data.errors is not None:
            traces.append(
                {
                    "type": "scatter",
                    "x": data.numbers,
                    "y": data.errors,
                    "mode": "lines+markers",
                    "marker": {"color": ERROR_COLOR},
                    "line": {"color": ERROR_COLOR, "dash": "dash"},
                    "name": "Error",
                }
            )
    layout = {
        "title": {"text": TITLE},
        "xaxis": {"title": {"text": "Trial"}},
        "yaxis": {"title": {"text": "Terminator Improvement"}, "range": list(data.y_range)},
    }
    return go.Figure({"data": traces, "layout": layout})
