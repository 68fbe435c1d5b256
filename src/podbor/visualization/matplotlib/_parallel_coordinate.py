"""``plot_parallel_coordinate`` with matplotlib: every trial as a line through one axis per dimension.

The numbers come from
:func:`~podbor.visualization._data._parallel_coordinate.parallel_coordinate_data`; this module
only draws them: all lines as one ``LineCollection`` on the shared ``[0, 1]`` scale, each axis
labelled with its own ticks as text (cheaper than a twin Axes per dimension).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from podbor._study_view import StudyView
from podbor.visualization._data._common import DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._parallel_coordinate import (
    ParallelCoordinateData,
    line_groups,
    parallel_coordinate_data,
)
from podbor.visualization.matplotlib._matplotlib_imports import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_parallel_coordinate"]

_TITLE = "Parallel Coordinate Plot"
_EXACT_LINES = 256  # above this many trials, lines of one colour bin share a path
_COLOR_LEVELS = 256
# RGB tuples rather than hex strings: matplotlib parses those faster, for each of many texts.
_TEXT_GREY = (1 / 3, 1 / 3, 1 / 3)
_AXIS_GREY = (0.53, 0.53, 0.53)


def _segments(data: ParallelCoordinateData) -> tuple[Any, npt.NDArray[np.int64]]:
    """The LineCollection's segments, and for each the trial whose colour and style it takes.

    Up to :data:`_EXACT_LINES` trials, one segment per trial in drawing order; above, one per
    colour group, its trials' lines separated by NaN (drawn as breaks, far fewer paths).
    """
    n_axes = len(data.axes)
    scaled = np.column_stack([a.scaled for a in data.axes])
    if data.trial_numbers.size <= _EXACT_LINES:
        segments = np.empty((data.draw_order.size, n_axes, 2))
        segments[:, :, 0] = np.arange(n_axes)
        segments[:, :, 1] = scaled[data.draw_order]
        return segments, data.draw_order
    groups = line_groups(data, _COLOR_LEVELS)
    x_one = np.append(np.arange(n_axes, dtype=float), np.nan)
    with_gap = np.hstack([scaled, np.full((scaled.shape[0], 1), np.nan)])
    joined = [np.column_stack([np.tile(x_one, g.size), with_gap[g].ravel()]) for g in groups]
    return joined, np.array([g[0] for g in groups])


def _draw(ax: Axes, data: ParallelCoordinateData) -> None:
    import importlib

    collections = importlib.import_module("matplotlib.collections")
    colors = importlib.import_module("matplotlib.colors")
    lines = importlib.import_module("matplotlib.lines")
    plt = require()

    n_axes = len(data.axes)
    segments, lines_of = _segments(data)
    styles: str | list[str] = "solid"
    if data.feasible is not None:
        styles = np.where(data.feasible[lines_of], "solid", "dotted").tolist()
    cmap = plt.get_cmap("Blues_r" if data.reverse_scale else "Blues")
    collection = collections.LineCollection(
        segments,
        cmap=cmap,
        norm=colors.Normalize(*data.color_range),
        linewidths=1.0,
        linestyles=styles,
        alpha=0.7,
    )
    collection.set_array(data.color_values[lines_of])
    ax.add_collection(collection, autolim=False)
    ax.vlines(range(n_axes), 0.0, 1.0, colors=[_AXIS_GREY], linewidth=1.0, zorder=1)
    for i, axis in enumerate(data.axes):
        for position, label in zip(axis.tick_positions, axis.tick_labels):
            ax.text(
                i - 0.03, position, label, ha="right", va="center", fontsize=7, color=_TEXT_GREY
            )
    ax.set_xlim(-0.35, n_axes - 1 + 0.15)
    ax.set_ylim(-0.04, 1.04)
    ax.set_xticks(range(n_axes))
    ax.set_xticklabels(
        [a.label for a in data.axes],
        rotation=30 if n_axes > 6 else 0,
        ha="right" if n_axes > 6 else "center",
    )
    ax.set_yticks([])
    ax.grid(False)
    figure = ax.get_figure()
    colorbar = figure.colorbar(collection, ax=ax, pad=0.02)  # type: ignore[union-attr]
    colorbar.set_label(data.colorbar_title)
    if data.colorbar_ticks is not None:
        colorbar.set_ticks(data.colorbar_ticks)
    if data.feasible is not None:
        handles = [
            lines.Line2D([], [], color=_TEXT_GREY, linestyle=style, label=name)
            for name, style in (("Feasible", "solid"), ("Infeasible", "dotted"))
        ]
        ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=8)


def _axes(data: ParallelCoordinateData) -> Axes:
    plt = require()
    with plt.style.context("ggplot"):
        n_axes = len(data.axes)
        _, ax = plt.subplots(figsize=(max(6.4, 1.1 * n_axes + 1.5), 4.8))
        ax.set_title(_TITLE)
        if data.trial_numbers.size:
            _draw(ax, data)
    return ax  # type: ignore[no-any-return]


def plot_parallel_coordinate(
    study: StudyView,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Axes:
    """Plot the high-dimensional parameter relationships in a study with matplotlib.

    Each complete trial is a line through one vertical axis per objective and per parameter. A
    trial without a parameter meets that axis at a ``"None"`` tick at its bottom. When some
    trial records constraints, feasible trials are drawn solid and the others dotted (a trial
    without constraint values counts as infeasible then).

    Args:
        study: The study whose trials are plotted.
        params: The parameters to show (default: all), sorted by name as Optuna does.
        target: What to plot for a trial. Without it a single-objective study shows its
            objective; a multi-objective study shows every objective and colours lines by
            Pareto rank (constraints not considered).
        target_name: The objective axis' title and the colour bar's label.

    Returns:
        The ``matplotlib.axes.Axes`` drawn on (the colour bar is the figure's second Axes);
        empty when no trial is complete.

    Raises:
        ValueError: A name in ``params`` that the study's complete trials do not have.
        ImportError: matplotlib is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> from podbor.visualization.matplotlib import plot_parallel_coordinate
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        >>> ax = plot_parallel_coordinate(study)
        >>> [t.get_text() for t in ax.get_xticklabels()], len(ax.collections[0].get_segments())
        (['Objective Value', 'x'], 5)
    """
    require()
    return _axes(parallel_coordinate_data(study, params, target=target, target_name=target_name))
