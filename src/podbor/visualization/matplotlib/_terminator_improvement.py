"""``plot_terminator_improvement`` with matplotlib: the terminator's improvement (and error) curves.

The numbers come from :func:`podbor.visualization._data._terminator_improvement.
terminator_improvement_data`; this module only draws them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from podbor._study_view import StudyView
from podbor.terminator.erroreval import BaseErrorEvaluator
from podbor.terminator.improvement.evaluator import DEFAULT_MIN_N_TRIALS, BaseImprovementEvaluator
from podbor.visualization._data._terminator_improvement import (
    TerminatorImprovementData,
    terminator_improvement_data,
)
from podbor.visualization._terminator_improvement import (
    EARLY_COLOR,
    ERROR_COLOR,
    IMPROVEMENT_COLOR,
    TITLE,
    _ImprovementInfo,
    _to_data,
)
from podbor.visualization.matplotlib._matplotlib_imports import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_terminator_improvement"]


def plot_terminator_improvement(
    study: StudyView,
    plot_error: bool = False,
    improvement_evaluator: BaseImprovementEvaluator | None = None,
    error_evaluator: BaseErrorEvaluator | None = None,
    min_n_trials: int = DEFAULT_MIN_N_TRIALS,
) -> Axes:
    """Plot the room left for improvement after each complete trial with matplotlib.

    See :func:`podbor.visualization.plot_terminator_improvement`; this draws the same curves.

    Args:
        study: A single-objective study.
        plot_error: Also draw the error evaluator's values.
        improvement_evaluator: :class:`~podbor.terminator.RegretBoundEvaluator` if None.
        error_evaluator: The terminator's default if None.
        min_n_trials: The terminator's ``min_n_trials`` (an int >= 1).

    Returns:
        The ``matplotlib.axes.Axes`` drawn on.

    Raises:
        ValueError: A study with several objectives, a bad argument, or an evaluator that cannot
            judge the trials.
        ImportError: matplotlib is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> from podbor.terminator import BestValueStagnationEvaluator
        >>> from podbor.visualization.matplotlib import plot_terminator_improvement
        >>> study = podbor.create_study()
        >>> for value in (3.0, 1.0, 2.0):
        ...     _ = study.tell(study.ask(), value)
        >>> ax = plot_terminator_improvement(
        ...     study, improvement_evaluator=BestValueStagnationEvaluator(5), min_n_trials=2)
        >>> ax.lines[1].get_ydata().tolist()
        [5.0, 4.0]
    """
    require("plot_terminator_improvement")
    data = terminator_improvement_data(
        study, plot_error, improvement_evaluator, error_evaluator, min_n_trials
    )
    return _axes(data)


def _axes(data: TerminatorImprovementData) -> Axes:
    plt = require("plot_terminator_improvement")
    with plt.style.context("ggplot"):
        ax: Axes = plt.subplots()[1]
        ax.set_title(TITLE)
        ax.set_xlabel("Trial")
        ax.set_ylabel("Terminator Improvement")
        k = data.min_n_trials
        if data.numbers.size:
            early = slice(0, min(k, data.numbers.size))
            ax.plot(
                data.numbers[early],
                data.improvements[early],
                marker="o",
                color=_rgb(EARLY_COLOR),
                label="Terminator Improvement (before min_n_trials)",
            )
            if data.numbers.size >= k:
                late = slice(k - 1, None)
                ax.plot(
                    data.numbers[late],
                    data.improvements[late],
                    marker="o",
                    color=_rgb(IMPROVEMENT_COLOR),
                    label="Terminator Improvement",
                )
            if data.errors is not None:
                ax.plot(
                    data.numbers,
                    data.errors,
                    marker="o",
                    linestyle="--",
                    color=_rgb(ERROR_COLOR),
                    label="Error",
                )
            ax.legend()
        ax.set_ylim(*data.y_range)
    return ax


def _rgb(color: str) -> tuple[float, float, float]:
    """``"rgb(r,g,b)"`` as matplotlib's ``(r, g, b)`` in ``[0, 1]``."""
    r, g, b = (int(part) / 255.0 for part in color[4:-1].split(","))
    return (r, g, b)


def _get_improvement_plot(info: _ImprovementInfo, min_n_trials: int) -> Axes:
    """Optuna's private renderer: the axes of an Optuna-style record."""
    return _axes(_to_data(info, min_n_trials))
