"""``plot_rank`` with matplotlib: draws :func:`~podbor.visualization._data._rank.rank_data`.

Each panel is one scatter of the trials that have both of its parameters, each point coloured
by the rank of its value (grey when infeasible); one colour bar, its ticks labelled with the
values at a few ranks, serves the whole figure.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from podbor._study_view import StudyView
from podbor.visualization._data._common import DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._rank import RANK_RGB, TITLE, RankData, rank_data
from podbor.visualization.matplotlib._matplotlib_imports import require
from podbor.visualization.matplotlib._pair_axes import style_axis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_rank"]


def plot_rank(
    study: StudyView,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Axes | np.ndarray[Any, Any]:
    """Plot trials in pairs of parameters, each coloured by the rank of its value, with matplotlib.

    The same plot as :func:`podbor.visualization.plot_rank`: blue for the lowest values, red
    for the highest, grey for infeasible trials; one panel for one or two parameters, a grid of
    every pair for more; a trial that lacks one of a panel's parameters is not drawn there.

    Args:
        study: The study whose COMPLETE trials are plotted.
        params: The parameters to plot, in this order (default: all of them, sorted).
        target: What to rank for a trial instead of its objective value; required for a
            study with several objectives.
        target_name: Named in the title, ``"Rank (<target_name>)"``, and on the colour bar.

    Returns:
        The ``Axes`` for one or two parameters (or an empty plot), else an ``n x n`` numpy array
        of ``Axes``.

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
        >>> ax = plot_rank(study)
        >>> ax.get_xlabel(), ax.get_ylabel(), len(ax.collections[0].get_offsets())
        ('x', 'y', 20)
    """
    plt = require()
    data = rank_data(study, params, target=target, target_name=target_name)
    with plt.style.context("ggplot"):
        drawn: Axes | np.ndarray[Any, Any] = _draw(plt, data)
    return drawn


def _draw(plt: Any, data: RankData) -> Any:
    title = f"{TITLE} ({data.target_name})"
    if not data.panels:
        _, ax = plt.subplots()
        ax.set_title(title)
        if data.message:
            ax.text(0.5, 0.5, data.message, ha="center", va="center", transform=ax.transAxes)
        return ax
    n = len(data.panels)
    size = (6.4, 4.8) if n == 1 else (2.4 * n + 1.5, 2.4 * n)
    fig, axes = plt.subplots(n, n, figsize=size, squeeze=False)
    colors = data.rgb() / 255.0
    for i, row in enumerate(data.panels):
        for j, panel in enumerate(row):
            ax = axes[i, j]
            style_axis(ax, data.axes[panel.x], "x", label=n == 1 or i == n - 1)
            style_axis(ax, data.axes[panel.y], "y", label=n == 1 or j == 0)
            ax.scatter(
                panel.xs,
                panel.ys,
                c=colors[panel.rows].reshape(-1, 3),
                s=16,
                edgecolors="grey",
                linewidths=0.5,
            )
    if n == 1:
        axes[0, 0].set_title(title)
    else:
        fig.suptitle(title)
    colorbar = fig.colorbar(
        _mappable(), ax=axes.ravel().tolist(), ticks=data.tick_positions, fraction=0.05
    )
    colorbar.ax.set_yticklabels(data.tick_labels)
    colorbar.set_label(data.target_name)
    return axes[0, 0] if n == 1 else axes


def _mappable() -> Any:
    """A colour source for the colour bar: ``RANK_RGB`` spread evenly over ``[0, 1]``."""
    colors = importlib.import_module("matplotlib.colors")
    cm = importlib.import_module("matplotlib.cm")
    cmap = colors.LinearSegmentedColormap.from_list(
        "podbor_rank", [tuple(c / 255.0 for c in rgb) for rgb in RANK_RGB]
    )
    return cm.ScalarMappable(norm=colors.Normalize(0.0, 1.0), cmap=cmap)
