"""``plot_timeline`` with matplotlib: each trial's lifetime as a horizontal bar, by state.

The bars come from :func:`podbor.visualization._data._timeline.timeline_data`. Each legend
entry's bars are one ``PolyCollection`` (not one patch per bar), so 10,000 trials draw quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import numpy as np

from podbor._study_view import StudyView
from podbor.visualization._data._timeline import (
    TimelineData,
    check_n_recent_trials,
    timeline_data,
)
from podbor.visualization.matplotlib._matplotlib_imports import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_timeline"]

_BAR_HEIGHT = 0.8


def plot_timeline(
    study: StudyView, n_recent_trials: int | None = None, *, by_worker: bool = False
) -> Axes:
    """Plot each trial's lifetime with matplotlib: a bar from its start to its end, by state.

    See :func:`podbor.visualization.plot_timeline`; this draws the same bars.

    Args:
        study: The study whose trials are drawn.
        n_recent_trials: Draw only the last this many trials; None draws them all.
        by_worker: One lane per worker instead of one row per trial (not in Optuna).

    Returns:
        The ``matplotlib.axes.Axes`` drawn on.

    Raises:
        ValueError: ``n_recent_trials`` is 0, negative or not an integer.
        ImportError: matplotlib is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> from podbor.visualization.matplotlib import plot_timeline
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> ax = plot_timeline(study)
        >>> [c.get_label() for c in ax.collections]
        ['COMPLETE']
    """
    check_n_recent_trials(n_recent_trials)
    plt = require("plot_timeline")
    data = timeline_data(study, n_recent_trials)
    with plt.style.context("ggplot"):
        ax: Axes = plt.subplots()[1]
        _draw(ax, data, by_worker=by_worker)
    return ax


def _draw(ax: Axes, data: TimelineData, *, by_worker: bool = False) -> None:
    mdates: Any = importlib.import_module("matplotlib.dates")
    collections: Any = importlib.import_module("matplotlib.collections")
    ax.set_title(data.title)
    ax.set_xlabel(data.xlabel)
    ax.set_ylabel(data.ylabel)
    left = mdates.date2num(data.start) if data.numbers.size else np.empty(0)
    right = mdates.date2num(data.complete) if data.numbers.size else np.empty(0)
    y = data.numbers.astype(float)
    labels: tuple[str, ...] = ()
    if by_worker:
        lanes, labels = data.worker_lanes()
        y = lanes.astype(float)
        ax.set_ylabel("Worker")
        ax.set_yticks(np.arange(len(labels)), labels)
    for group in data.groups:
        i = group.index
        x0, x1 = left[i], right[i]
        lo, hi = y[i] - _BAR_HEIGHT / 2, y[i] + _BAR_HEIGHT / 2
        corners = np.stack(
            [np.stack(pair, axis=-1) for pair in ((x0, lo), (x0, hi), (x1, hi), (x1, lo))],
            axis=1,
        )  # k x 4 x 2
        bars = collections.PolyCollection(
            corners, facecolors=group.color, edgecolors="none", label=group.name
        )
        ax.add_collection(bars)
    if data.numbers.size:
        pad = max(float(right.max() - left.min()) * 0.02, 1e-6)
        ax.set_xlim(float(left.min()) - pad, float(max(right.max(), left.max())) + pad)
        ax.set_ylim(float(y.min()) - 1.0, float(y.max()) + 1.0)
    ax.xaxis_date()
    if data.groups:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.figure.autofmt_xdate()
