"""``plot_contour`` with matplotlib: draws :func:`~podbor.visualization._data._contour.contour_data`.

Each panel is a ``contourf`` of the interpolated objective (one set of levels for all panels,
so a colour means the same value everywhere) with the trials on top; one colour bar, titled with
the target's name, serves the whole figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from podbor._study_view import StudyView
from podbor.visualization._data._common import DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._contour import TITLE, ContourData, ContourPanel, contour_data
from podbor.visualization.matplotlib._matplotlib_imports import require
from podbor.visualization.matplotlib._pair_axes import style_axis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_contour"]

LEVELS = 20
"""Colour bands of a single contour plot."""
GRID_LEVELS = 12
"""Colour bands of each small panel of a grid (fewer: the panels are small, and a noisy
surface over thousands of trials costs matplotlib time per band)."""
INFEASIBLE_COLOR = "#cccccc"


def plot_contour(
    study: StudyView,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Axes | np.ndarray[Any, Any]:
    """Plot the objective over pairs of parameters as filled contours, with matplotlib.

    The same plot as :func:`podbor.visualization.plot_contour`: one panel for two parameters,
    a grid of every pair (the diagonal left empty) for more; a trial that lacks one of a
    pair's parameters is not drawn in that panel; log and category axes as the parameters
    need; the best values dark (the colour map reversed when minimizing or plotting a
    ``target``).

    Args:
        study: The study whose COMPLETE trials are plotted.
        params: The parameters to plot (default: all of them), shown sorted by name.
        target: What to plot for a trial instead of its objective value; required for a
            study with several objectives.
        target_name: The colour bar's label.

    Returns:
        The ``Axes`` for two parameters (or an empty plot), else an ``n x n`` numpy array of
        ``Axes``.

    Raises:
        ValueError: ``study`` has several objectives and no ``target``; or a name in
            ``params`` is not a parameter of the study.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(
        ...     lambda t: t.suggest_float("x", -1, 1) ** 2 + t.suggest_float("y", -1, 1) ** 2,
        ...     n_trials=20,
        ... )
        >>> ax = plot_contour(study)
        >>> ax.get_xlabel(), ax.get_ylabel(), ax.figure.axes[-1].get_ylabel()
        ('x', 'y', 'Objective Value')
    """
    plt = require()
    data = contour_data(study, params, target=target, target_name=target_name)
    with plt.style.context("ggplot"):
        drawn: Axes | np.ndarray[Any, Any] = _draw(plt, data)
    return drawn


def _draw(plt: Any, data: ContourData) -> Any:
    if not data.panels:
        _, ax = plt.subplots()
        ax.set_title(TITLE)
        if data.message:
            ax.text(0.5, 0.5, data.message, ha="center", va="center", transform=ax.transAxes)
        return ax
    n = len(data.panels)
    size = (6.4, 4.8) if n == 1 else (2.4 * n + 1.5, 2.4 * n)
    fig, axes = plt.subplots(n, n, figsize=size, squeeze=False)
    cmap = plt.get_cmap("Blues_r" if data.reverse_scale else "Blues")
    low, high = data.z_range
    bands = LEVELS if n == 1 else GRID_LEVELS
    levels = np.linspace(low, high if high > low else low + 1.0, bands + 1)
    filled = None
    for i, row in enumerate(data.panels):
        for j, panel in enumerate(row):
            ax = axes[i, j]
            x_name, y_name = (
                (data.params[0], data.params[1]) if n == 1 else (data.params[j], data.params[i])
            )
            style_axis(ax, data.axes[x_name], "x", label=n == 1 or i == n - 1)
            style_axis(ax, data.axes[y_name], "y", label=n == 1 or j == 0)
            if panel is None or not panel.drawn:
                continue
            filled = _draw_panel(ax, panel, levels, cmap)
    if n == 1:
        axes[0, 0].set_title(TITLE)
    else:
        fig.suptitle(TITLE)
    if filled is not None:
        fig.colorbar(filled, ax=axes.ravel().tolist()).set_label(data.target_name)
    return axes[0, 0] if n == 1 else axes


def _draw_panel(ax: Any, panel: ContourPanel, levels: np.ndarray[Any, Any], cmap: Any) -> Any:
    filled = ax.contourf(panel.x_grid, panel.y_grid, panel.z_grid, levels=levels, cmap=cmap)
    for shown, color in ((panel.feasible, "black"), (~panel.feasible, INFEASIBLE_COLOR)):
        if shown.any():
            ax.scatter(
                panel.xs[shown],
                panel.ys[shown],
                c=color,
                s=12,
                edgecolors="grey",
                linewidths=0.5,
                zorder=3,
            )
    return filled
