"""The numbers behind ``plot_rank``: trials in pairs of parameters, coloured by their value's rank.

Backend-free (numpy only). Each COMPLETE trial's plotted value (objective or ``target``) is
ranked among all of them (ties share their mean rank) and the rank, scaled to ``[0, 1]``, picks
its colour on a red-yellow-blue scale: blue for the lowest values, red for the highest (as
Optuna colours it, whatever the direction). Trials that violate a constraint are grey. Ranks
make a skewed objective readable where a linear colour scale would paint all but a few outliers
the same; the colour bar's ticks name the values at a few ranks.

Panels: two parameters give one panel (the first on x); one parameter gives one panel of the
parameter against itself; more give a ``k x k`` grid including the diagonal. A trial appears in
a panel when it has both of its parameters. Unlike the contour plot, infinite values are kept
(they rank first or last); NaN values are dropped with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podbor._arrays import FloatArray
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor.logging import get_logger
from podbor.visualization._data._common import (
    DEFAULT_TARGET_NAME,
    Target,
    check_params,
    check_target,
    hovertext,
    target_values,
)
from podbor.visualization._data._pairs import PairAxis, feasibility, pair_columns, pair_grid

__all__ = [
    "INFEASIBLE_RGB",
    "RANK_COLOR_SCALE",
    "RANK_RGB",
    "RankData",
    "RankPanel",
    "average_ranks",
    "rank_colors",
    "rank_data",
]

_logger = get_logger(__name__)


TITLE = "Rank"
NO_TRIALS_MESSAGE = "The study has no complete trials to plot."
NO_PARAMS_MESSAGE = "There are no parameters to plot (params is an empty list)."

RANK_RGB: list[tuple[int, int, int]] = [
    (49, 54, 149),
    (69, 117, 180),
    (116, 173, 209),
    (171, 217, 233),
    (224, 243, 248),
    (255, 255, 191),
    (254, 224, 144),
    (253, 174, 97),
    (244, 109, 67),
    (215, 48, 39),
    (165, 0, 38),
]
"""The rank colour scale's knots, evenly spaced over ``[0, 1]``: blue (lowest rank) through
yellow to red (highest), ColorBrewer's RdYlBu reversed."""
_KNOTS = np.array(RANK_RGB, dtype=float)
RANK_COLOR_SCALE: list[tuple[float, str]] = [
    (i / (len(RANK_RGB) - 1), "rgb({},{},{})".format(*rgb)) for i, rgb in enumerate(RANK_RGB)
]
"""``RANK_RGB`` as a plotly colour scale."""
INFEASIBLE_RGB = (204, 204, 204)
"""The colour of a trial that violates a constraint."""


@dataclass(frozen=True)
class RankPanel:
    """One panel: a parameter on x, another (or the same) on y.

    Positions are parameter values on numeric axes and category indices on categorical ones.

    Attributes:
        x: The parameter on the x axis.
        y: The parameter on the y axis.
        rows: Index into :class:`RankData`'s per-trial arrays of each trial drawn here (those
            that have both parameters), shape ``(n,)``.
        xs: Its x position, ``(n,)``.
        ys: Its y position, ``(n,)``.
    """

    x: str
    y: str
    rows: npt.NDArray[np.intp]
    xs: FloatArray
    ys: FloatArray


@dataclass(frozen=True)
class RankData:
    """Everything a rank figure shows.

    Attributes:
        params: The plotted parameters, in the order given (sorted when all are plotted).
        axes: Each parameter's axis.
        panels: Rows of panels (``panels[i][j]`` has ``params[j]`` on x and ``params[i]`` on
            y); one row of one panel for one or two parameters; empty when nothing is plotted.
        numbers: Trial number of each plotted trial, shape ``(m,)``.
        values: Its plotted value, ``(m,)``.
        color_positions: Its rank scaled to ``[0, 1]`` (0: lowest value), ``(m,)``; the point
            is drawn in ``RANK_COLOR_SCALE`` at this position unless infeasible.
        feasible: True where it satisfies its constraints, ``(m,)``.
        hovertexts: Its hover text (``None`` when not asked for).
        tick_positions: Where the colour bar has ticks (on its ``[0, 1]`` scale).
        tick_labels: The value at each tick.
        target_name: The colour bar's title.
        has_custom_target: True when a ``target`` is plotted instead of the objective.
        message: Why the plot is empty (None when it is not).
    """

    params: list[str]
    axes: dict[str, PairAxis]
    panels: list[list[RankPanel]]
    numbers: npt.NDArray[np.int64]
    values: FloatArray
    color_positions: FloatArray
    feasible: npt.NDArray[np.bool_]
    hovertexts: list[str] | None
    tick_positions: FloatArray
    tick_labels: list[str]
    target_name: str
    has_custom_target: bool
    message: str | None

    def rgb(self) -> npt.NDArray[np.int64]:
        """Each plotted trial's colour as ``(r, g, b)`` in 0-255, shape ``(m, 3)``."""
        colors = rank_colors(self.color_positions)
        colors[~self.feasible] = INFEASIBLE_RGB
        return colors


def rank_data(
    study: StudyView,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
    with_hovertext: bool = False,
) -> RankData:
    """The rank plot of ``study``'s COMPLETE trials.

    Args:
        study: The study to plot.
        params: The parameters to plot, in this order (default: all, sorted).
        target: What to plot for a trial instead of its objective value; required for a
            study with several objectives.
        target_name: The colour bar's title.
        with_hovertext: Also compute each trial's hover text (plotly shows it; matplotlib
            does not need it).

    Raises:
        ValueError: ``study`` has several objectives and no ``target``; or a name in
            ``params`` is not a parameter of the study.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> for x in [0.0, 2.0, 1.0]:
        ...     study.enqueue_trial({"x": x, "y": -x})
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 2) - t.suggest_float("y", -2, 0),
        ...                n_trials=3)
        >>> data = rank_data(study)
        >>> data.values.tolist(), data.color_positions.tolist()
        ([0.0, 4.0, 2.0], [0.0, 1.0, 0.5])
    """
    check_target(study, target, target_name)
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    values = target_values(trials, target)
    if np.isnan(values).any():
        for trial in (t for t, v in zip(trials, values) if np.isnan(v)):
            _logger.warning(
                f"Trial {trial.number} is omitted in visualization because its value is nan."
            )
        trials = [t for t, v in zip(trials, values) if not np.isnan(v)]
        values = values[~np.isnan(values)]

    names = check_params(trials, params) if trials else []
    message = None
    if not trials:
        message = NO_TRIALS_MESSAGE
    elif not names:
        message = NO_PARAMS_MESSAGE
    if message is not None:
        _logger.warning(message)
        trials, values, names = [], np.empty(0), []

    columns, axes = pair_columns(trials, names)
    positions = _scaled_ranks(values)
    panels: list[list[RankPanel]] = []
    for row in pair_grid(names, diagonal=True) if names else []:
        out = []
        for pair in row:
            assert pair is not None
            x, y = pair
            rows = np.flatnonzero(~np.isnan(columns[x]) & ~np.isnan(columns[y]))
            out.append(RankPanel(x, y, rows, columns[x][rows], columns[y][rows]))
        panels.append(out)
    tick_positions, tick_labels = _ticks(values, positions)
    return RankData(
        params=names,
        axes=axes,
        panels=panels,
        numbers=np.array([t.number for t in trials], dtype=np.int64),
        values=values,
        color_positions=positions,
        feasible=feasibility(trials),
        hovertexts=[hovertext(t) for t in trials] if with_hovertext else None,
        tick_positions=tick_positions,
        tick_labels=tick_labels,
        target_name=target_name,
        has_custom_target=target is not None,
        message=message,
    )


def average_ranks(values: FloatArray) -> FloatArray:
    """0-based ranks of ``values``, ties sharing the mean of their ranks.

    Example:
        >>> average_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist()
        [2.5, 0.0, 2.5, 1.0]
    """
    order = np.argsort(values, kind="stable")
    ordinal = np.empty(values.size)
    ordinal[order] = np.arange(values.size)
    _, group = np.unique(values, return_inverse=True)
    group = group.reshape(-1)
    means = np.bincount(group, weights=ordinal) / np.bincount(group)
    return np.asarray(means[group], dtype=float)


def _scaled_ranks(values: FloatArray) -> FloatArray:
    """Ranks scaled to ``[0, 1]``; a single value sits in the middle (0.5)."""
    if values.size < 2:
        return np.full(values.size, 0.5)
    return average_ranks(values) / (values.size - 1)


def rank_colors(positions: FloatArray) -> npt.NDArray[np.int64]:
    """The ``RANK_COLOR_SCALE`` colour at each position in ``[0, 1]``, shape ``(n, 3)``, 0-255.

    Example:
        >>> rank_colors(np.array([0.1, 0.2])).tolist()
        [[69, 117, 180], [116, 173, 209]]
    """
    knots = np.linspace(0.0, 1.0, len(_KNOTS))
    channels = [np.interp(positions, knots, _KNOTS[:, c]) for c in range(3)]
    return np.asarray(np.rint(np.column_stack(channels)), dtype=np.int64).reshape(-1, 3)


def _ticks(
    values: FloatArray, positions: FloatArray, n_ticks: int = 5
) -> tuple[FloatArray, list[str]]:
    """Colour-bar ticks: evenly spaced ranks, each labelled with the value ranked there."""
    if values.size == 0:
        return np.empty(0), []
    if values.size == 1:
        return positions.copy(), [f"{values[0]:.3g}"]
    ordered = np.sort(values)
    ticks = np.linspace(0.0, 1.0, n_ticks)
    at = ordered[np.rint(ticks * (values.size - 1)).astype(np.intp)]
    return ticks, [f"{v:.3g}" for v in at]
