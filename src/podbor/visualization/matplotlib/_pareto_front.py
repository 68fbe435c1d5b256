"""``plot_pareto_front`` with matplotlib: the trials' objective values, the Pareto front in red.

The points come from :func:`podbor.visualization._data._pareto_front.pareto_front_data`; this
module only draws them, one scatter per group (dominated, best, infeasible), on 2-D or 3-D axes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_view import StudyView
from podbor.visualization._data._pareto_front import (
    BEST_NAME,
    DOMINATED_NAME,
    ParetoFrontData,
    Targets,
    pareto_front_data,
)
from podbor.visualization._pareto_front_compat import _ParetoFrontInfo, to_data
from podbor.visualization.matplotlib._matplotlib_imports import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_pareto_front"]

TITLE = "Pareto-front Plot"
# tab10 entries: blue for the dominated trials, red for the best ones.
_TAB10_INDEX = {DOMINATED_NAME: 0, BEST_NAME: 3}


def plot_pareto_front(
    study: StudyView,
    *,
    target_names: list[str] | None = None,
    include_dominated_trials: bool = True,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    targets: Targets | None = None,
) -> Axes:
    """Plot the objective values of a multi-objective study's trials with matplotlib.

    See :func:`podbor.visualization.plot_pareto_front`; this draws the same points: best
    trials in red, the other feasible ones in blue, infeasible ones in grey, with a legend.

    Args:
        study: A study with 2 or 3 objectives (any number with ``targets``).
        target_names: Axis labels; default the study's metric names or "Objective i".
        include_dominated_trials: Also draw the feasible trials off the front.
        constraints_func (Callable[[podbor.FrozenTrial], Sequence[float]] | None): Deprecated
            (``FutureWarning``): a trial's constraint values, > 0 meaning violated. Without it
            the constraints stored on the trials are used.
        targets: The 2 or 3 values to plot for a trial; default its objective values.

    Returns:
        The ``matplotlib.axes.Axes`` drawn on (3-D axes for 3 targets).

    Raises:
        ValueError: not 2 or 3 targets, ``target_names`` of the wrong length, or ``targets``
            without trials or ``target_names`` to infer their number from.
        ImportError: matplotlib is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> from podbor.visualization.matplotlib import plot_pareto_front
        >>> study = podbor.create_study(directions=["minimize", "minimize"])
        >>> study.optimize(lambda t: (t.suggest_int("x", 0, 2), 1.0), n_trials=3)
        >>> ax = plot_pareto_front(study)
        >>> [t.get_text() for t in ax.get_legend().get_texts()]
        ['Trial', 'Best Trial']
    """
    require("plot_pareto_front")
    data = pareto_front_data(
        study,
        target_names=target_names,
        include_dominated_trials=include_dominated_trials,
        constraints_func=constraints_func,
        targets=targets,
        with_hovertexts=False,
    )
    return _axes(data)


def _axes(data: ParetoFrontData) -> Axes:
    plt = require("plot_pareto_front")
    with plt.style.context("ggplot"):
        if data.n_targets == 2:
            ax: Any = plt.subplots()[1]
        else:
            ax = plt.figure().add_subplot(projection="3d")
        ax.set_title(TITLE)
        ax.set_xlabel(data.target_names[0])
        ax.set_ylabel(data.target_names[1])
        if data.n_targets == 3:
            ax.set_zlabel(data.target_names[2])
        cmap = plt.get_cmap("tab10")
        for group in data.groups:
            index = _TAB10_INDEX.get(group.name)
            color = cmap(index) if index is not None else group.color
            ax.scatter(*group.values.T, color=color, label=group.name)
        if any(len(g.numbers) for g in data.groups):
            ax.legend(loc="best")
    result: Axes = ax
    return result


def _get_pareto_front_plot(info: _ParetoFrontInfo) -> Axes:
    """Optuna's private renderer: the axes of an Optuna-style record."""
    return _axes(to_data(info))
