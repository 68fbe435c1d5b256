"""``plot_slice`` with matplotlib: the target against each parameter, one panel per parameter.

The numbers come from :func:`~podbor.visualization._data._slice.slice_data`; this module only
draws them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from podbor._study_view import StudyView
from podbor.visualization._data._common import DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._slice import SliceData, SlicePanel, slice_data
from podbor.visualization.matplotlib._matplotlib_imports import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_slice"]

_TITLE = "Slice Plot"


def _draw_panel(ax: Axes, panel: SlicePanel, data: SliceData) -> Any:
    low, high = data.color_range
    feasible = panel.feasible
    points = ax.scatter(
        panel.x[feasible],
        panel.y[feasible],
        c=panel.trial_numbers[feasible],
        cmap="Blues",
        vmin=low,
        vmax=high if high > low else low + 1,
        edgecolors="grey",
        linewidths=0.5,
    )
    if not feasible.all():
        ax.scatter(panel.x[~feasible], panel.y[~feasible], color="#cccccc")
    ax.set_xlabel(panel.param)
    if panel.is_log:
        ax.set_xscale("log")
    elif panel.is_categorical:
        ax.set_xticks(range(len(panel.categories)))
        ax.set_xticklabels(panel.categories, rotation=30 if len(panel.categories) > 4 else 0)
        ax.set_xlim(-0.5, len(panel.categories) - 0.5)
    return points


def _axes(data: SliceData) -> Axes | np.ndarray[Any, Any]:
    plt = require()
    n = len(data.panels)
    with plt.style.context("ggplot"):
        if n == 0:
            _, ax = plt.subplots()
            ax.set_title(_TITLE)
            return ax  # type: ignore[no-any-return]
        figure, axes = plt.subplots(
            1, n, sharey=True, figsize=(max(6.4, 3.2 * n), 4.8), squeeze=False
        )
        row = axes[0]
        mappables = [_draw_panel(ax, panel, data) for ax, panel in zip(row, data.panels)]
        row[0].set_ylabel(data.target_name)
        if n == 1:
            row[0].set_title(_TITLE)
        else:
            figure.suptitle(_TITLE)
        colorbar = figure.colorbar(mappables[0], ax=list(row), pad=0.02 if n > 1 else 0.05)
        colorbar.set_label("Trial")
    return row[0] if n == 1 else row  # type: ignore[no-any-return]


def plot_slice(
    study: StudyView,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Axes | np.ndarray[Any, Any]:
    """Plot the target of every complete trial against each parameter with matplotlib.

    One panel per parameter, points coloured by trial number on one shared scale. A panel holds
    only the trials that have its parameter; trials that break a constraint are drawn grey.

    Args:
        study: The study whose trials are plotted.
        params: The parameters to show (default: all), sorted by name as Optuna does.
        target: What to plot for a trial; needed for a multi-objective study.
        target_name: The y axis label.

    Returns:
        The ``Axes`` for one parameter (or none), else a numpy array of ``Axes``, one per
        parameter.

    Raises:
        ValueError: A multi-objective study and no ``target``; a name in ``params`` that the
            study's complete trials do not have.
        ImportError: matplotlib is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> from podbor.visualization.matplotlib import plot_slice
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 3), n_trials=5)
        >>> axes = plot_slice(study)
        >>> [ax.get_xlabel() for ax in axes], axes[0].get_ylabel()
        (['n', 'x'], 'Objective Value')
    """
    require()
    return _axes(slice_data(study, params, target=target, target_name=target_name))
