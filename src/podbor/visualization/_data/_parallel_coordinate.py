"""The numbers behind ``plot_parallel_coordinate``: one vertical axis per objective and parameter.

Backend-free (numpy only). Every complete trial with a finite target is one polyline through
all axes. Each axis maps its values onto ``[0, 1]`` (``scaled``) so the renderers draw every
axis on one shared vertical range and label it with its own ticks:

* numeric parameters span the values taken, on a log10 scale for log-sampled ones;
* categorical parameters (numeric choices too) get one evenly spaced tick per value taken, in the
  distribution's order (sorted when all choices are numbers);
* a trial without a parameter (a conditional one) meets that axis at a ``"None"`` tick at the
  bottom, below the values;
* lines are coloured by the target (or, for several objectives and no ``target``, by Pareto rank),
  and drawn dotted for infeasible trials when any trial records constraints.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter, methodcaller
from typing import Any

import numpy as np
import numpy.typing as npt

from podbor._hypervolume import pareto_ranks
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.logging import get_logger
from podbor.visualization._data._common import (
    COLOR_SCALE,
    DEFAULT_TARGET_NAME,
    AxisKind,
    Target,
    check_params,
    check_target,
    filter_nonfinite,
    target_values,
)

__all__ = [
    "MISSING_LABEL",
    "PCAxis",
    "ParallelCoordinateData",
    "axis_value_text",
    "line_colors",
    "line_groups",
    "parallel_coordinate_data",
]

_logger = get_logger(__name__)

MISSING_LABEL = "None"
# Share of a numeric axis kept free below its values for the "None" tick of missing parameters.
_MISSING_GAP = 0.12
_N_LINEAR_TICKS = 5


@dataclass(frozen=True)
class PCAxis:
    """One vertical axis: what it shows for each trial and how it is labelled.

    Attributes:
        label: The axis title (objective or parameter name).
        kind: ``"linear"``, ``"log"`` or ``"categorical"``.
        values: Shape ``(n_trials,)``: the trial's value (numeric axes; NaN where the trial lacks
            the parameter) or the index of its tick (categorical axes).
        scaled: Shape ``(n_trials,)``: where the line meets the axis, in ``[0, 1]``.
        low: Smallest value shown (log10 of it on log axes; 0 on categorical axes).
        high: Largest value shown (likewise).
        tick_positions: Where each tick sits, in the ``scaled`` coordinates.
        tick_labels: The text of each tick.
        has_missing: Some trial lacks this parameter (its line meets the ``"None"`` tick).
    """

    label: str
    kind: AxisKind
    values: npt.NDArray[np.float64]
    scaled: npt.NDArray[np.float64]
    low: float
    high: float
    tick_positions: list[float]
    tick_labels: list[str]
    has_missing: bool = False


@dataclass(frozen=True)
class ParallelCoordinateData:
    """Everything a parallel coordinate figure shows.

    Attributes:
        axes: The objective axes first (one, or one per objective), then one per parameter.
        n_objective_axes: How many of ``axes`` are objectives.
        trial_numbers: Shape ``(n_trials,)``: the trial of each line.
        color_values: Shape ``(n_trials,)``: what colours each line (target or Pareto rank).
        color_range: ``(low, high)`` of the colour scale (never empty).
        reverse_scale: True when low values get the dark end (minimizing, a custom target, or
            Pareto ranks).
        colorbar_title: The colour bar's title.
        colorbar_ticks: Tick values of the colour bar (the Pareto ranks), or None for automatic.
        is_rank_color: Lines are coloured by Pareto rank.
        draw_order: Shape ``(n_trials,)``: the line indices in drawing order (last on top).
        feasible: Shape ``(n_trials,)`` when some trial records constraints, else None.
        message: Why the plot is empty (None when it is not).
    """

    axes: list[PCAxis]
    n_objective_axes: int
    trial_numbers: npt.NDArray[np.int64]
    color_values: npt.NDArray[np.float64]
    color_range: tuple[float, float]
    reverse_scale: bool
    colorbar_title: str
    colorbar_ticks: list[int] | None
    is_rank_color: bool
    draw_order: npt.NDArray[np.int64]
    feasible: npt.NDArray[np.bool_] | None
    message: str | None = None


def _rescale(
    values: npt.NDArray[np.float64], low: float, high: float, offset: float
) -> npt.NDArray[np.float64]:
    span = 1.0 - offset
    if high > low:
        return offset + span * (values - low) / (high - low)
    return np.full(values.shape, offset + span / 2)


def _format(value: float) -> str:
    return f"{value:.3g}"


def _numeric_axis(label: str, raw: npt.NDArray[np.float64], log: bool) -> PCAxis:
    """A linear or log axis over ``raw`` (NaN where the trial lacks the parameter)."""
    missing = np.isnan(raw)
    has_missing = bool(missing.any())
    coords = np.log10(raw) if log else raw
    present = coords[~missing]
    low, high = (float(present.min()), float(present.max())) if present.size else (0.0, 0.0)
    offset = _MISSING_GAP if has_missing else 0.0
    scaled = _rescale(coords, low, high, offset)
    if log:
        decades = np.arange(math.ceil(low - 1e-9), math.floor(high + 1e-9) + 1, dtype=float)
        ticks = sorted({low, high, *decades.tolist()})
        ticks = [t for i, t in enumerate(ticks) if i == 0 or t - ticks[i - 1] > 1e-9]
        labels = [_format(10.0**t) for t in ticks]
    else:
        ticks = np.linspace(low, high, _N_LINEAR_TICKS).tolist() if high > low else [low]
        labels = [_format(t) for t in ticks]
    positions = _rescale(np.array(ticks), low, high, offset).tolist()
    if has_missing:
        scaled[missing] = 0.0
        positions = [0.0, *positions]
        labels = [MISSING_LABEL, *labels]
    kind: AxisKind = "log" if log else "linear"
    return PCAxis(label, kind, raw, scaled, low, high, positions, labels, has_missing)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _category_label(value: Any, taken_labels: set[str]) -> str:
    label = str(value)
    if label == MISSING_LABEL and label in taken_labels:
        return f"{MISSING_LABEL} (value)"
    return label


def _categorical_axis(label: str, raw: list[Any], choices: list[Any], sentinel: object) -> PCAxis:
    """A category axis: one tick per value taken, plus a ``"None"`` tick for missing ones."""
    taken = {repr(v): v for v in raw if v is not sentinel}
    if taken and all(_is_number(v) for v in taken.values()):
        order = sorted(taken.values())
    else:
        order = [c for c in choices if repr(c) in taken]
        order += [v for k, v in taken.items() if k not in {repr(c) for c in order}]
    has_missing = any(v is sentinel for v in raw)
    labels_taken = {MISSING_LABEL} if has_missing else set()
    labels = [_category_label(v, labels_taken) for v in order]
    index = {repr(v): i + has_missing for i, v in enumerate(order)}
    codes = np.array([0 if v is sentinel else index[repr(v)] for v in raw], dtype=float)
    if has_missing:
        labels = [MISSING_LABEL, *labels]
    high = float(len(labels) - 1)
    scaled = codes / high if high > 0 else np.full(codes.shape, 0.5)
    positions = (np.arange(len(labels)) / high if high > 0 else np.array([0.5])).tolist()
    return PCAxis(label, "categorical", codes, scaled, 0.0, high, positions, labels, has_missing)


def _unique(items: list[Any]) -> list[Any]:
    """The distinct objects of ``items`` (by identity: distributions are often shared)."""
    return list(dict(zip(map(id, items), items)).values())


def _param_axis(
    params: list[dict[str, Any]], distributions: list[dict[str, Any]], name: str
) -> PCAxis:
    dists = _unique(list(map(methodcaller("get", name), distributions)))
    if any(isinstance(d, CategoricalDistribution) for d in dists):
        sentinel = object()
        raw = list(map(methodcaller("get", name, sentinel), params))
        choices: list[Any] = []
        for d in dists:
            if isinstance(d, CategoricalDistribution):
                choices.extend(c for c in d.choices if c not in choices)
        return _categorical_axis(name, raw, choices, sentinel)
    values = np.fromiter(map(methodcaller("get", name, math.nan), params), float, len(params))
    log = any(isinstance(d, (FloatDistribution, IntDistribution)) and d.log for d in dists)
    return _numeric_axis(name, values, log)


def _feasibility(trials: Sequence[FrozenTrial]) -> npt.NDArray[np.bool_] | None:
    if not any(map(attrgetter("system_attrs"), trials)):  # the common case, checked fast
        return None
    constraints = [t.constraints for t in trials]
    if not any(constraints):
        return None
    return np.array([bool(c) and all(v <= 0.0 for v in c.values()) for c in constraints])


def _empty(
    label: str, title: str, reverse: bool, is_rank: bool, message: str
) -> ParallelCoordinateData:
    none = np.array([], dtype=float)
    axis = PCAxis(label, "linear", none, none, 0.0, 0.0, [], [])
    no_ints = np.array([], dtype=np.int64)
    return ParallelCoordinateData(
        [axis], 1, no_ints, none, (0.0, 0.0), reverse, title, None, is_rank, no_ints, None, message
    )


def parallel_coordinate_data(
    study: StudyView,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> ParallelCoordinateData:
    """The axes and lines of a parallel coordinate plot of ``study``'s complete trials.

    Args:
        study: The study to plot.
        params: The parameters to show (default: all), sorted by name as Optuna does.
        target: What to plot for a trial; without it a multi-objective study gets one axis per
            objective and lines coloured by Pareto rank.
        target_name: The objective axis' title and colour bar title.

    Raises:
        ValueError: A name in ``params`` that no complete trial has.

    Example:
        >>> import podbor
        >>> from podbor.distributions import FloatDistribution
        >>> study = podbor.create_study()
        >>> for x in [1.0, 2.0, 3.0]:
        ...     study.add_trial(podbor.trial.create_trial(
        ...         value=x * x, params={"x": x}, distributions={"x": FloatDistribution(0, 5)}))
        >>> data = parallel_coordinate_data(study)
        >>> [a.label for a in data.axes], data.axes[1].scaled.tolist()
        (['Objective Value', 'x'], [0.0, 0.5, 1.0])
    """
    n_objectives = len(study.directions)
    is_rank = target is None and n_objectives > 1
    if not is_rank:
        check_target(study, target, target_name)
    reverse = target is not None or is_rank or study.directions[0] == StudyDirection.MINIMIZE
    title = "Pareto Rank" if is_rank else target_name
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    names = sorted(check_params(complete, params)) if complete else []
    if is_rank:
        matrix = np.array([t.values for t in complete], dtype=float).reshape(
            len(complete), n_objectives
        )
        finite = np.isfinite(matrix).all(axis=1)
    else:
        color = target_values(complete, target)
        finite = np.isfinite(color)
    if not finite.all():
        filter_nonfinite([t for t, ok in zip(complete, finite) if not ok], target)
        trials = [t for t, ok in zip(complete, finite) if ok]
    else:
        trials = complete
    if not trials:
        message = "Your study does not have any completed trials."
        _logger.warning(message)
        return _empty(target_name, title, reverse, is_rank, message)

    if is_rank:
        matrix = matrix[finite]
        metric_names = getattr(study, "metric_names", None)
        labels = metric_names or [f"Objective {i}" for i in range(n_objectives)]
        objective_axes = [
            _numeric_axis(labels[i], matrix[:, i], False) for i in range(n_objectives)
        ]
        signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions])
        color = pareto_ranks(matrix * signs).astype(float)
        order = np.argsort(-color, kind="stable")
    else:
        color = color[finite]
        objective_axes = [_numeric_axis(target_name, color, False)]
        order = np.arange(len(trials))
    low, high = float(color.min()), float(color.max())
    if is_rank:
        color_range = (low - 0.5, high + 0.5)
        ticks: list[int] | None = list(range(int(high) + 1)) if high <= 10 else None
    else:
        color_range = (low, high) if high > low else (low - 0.5, high + 0.5)
        ticks = None
    param_dicts = [t.params for t in trials]
    dist_dicts = [t.distributions for t in trials]
    return ParallelCoordinateData(
        axes=objective_axes + [_param_axis(param_dicts, dist_dicts, p) for p in names],
        n_objective_axes=len(objective_axes),
        trial_numbers=np.fromiter((t.number for t in trials), np.int64, len(trials)),
        color_values=color,
        color_range=color_range,
        reverse_scale=reverse,
        colorbar_title=title,
        colorbar_ticks=ticks,
        is_rank_color=is_rank,
        draw_order=order.astype(np.int64),
        feasible=_feasibility(trials),
    )


def axis_value_text(axis: PCAxis) -> list[str]:
    """Each trial's value on ``axis`` as hover text (``"None"`` where it lacks the parameter).

    Example:
        >>> axis = _numeric_axis("x", np.array([1.0, np.nan, 0.25]), False)
        >>> axis_value_text(axis)
        ['1', 'None', '0.25']
    """
    if axis.kind == "categorical":
        labels = np.array(axis.tick_labels, dtype=object)
        return labels[axis.values.astype(np.int64)].tolist()  # type: ignore[no-any-return]
    return [MISSING_LABEL if v != v else f"{v:.6g}" for v in axis.values.tolist()]


def line_colors(
    values: npt.NDArray[np.float64], data: ParallelCoordinateData
) -> npt.NDArray[np.float64]:
    """RGB (0–255) of :data:`COLOR_SCALE` at each of ``values``, shape ``(n, 3)``.

    ``values`` are placed on the colour scale by ``data.color_range``, reversed when
    ``data.reverse_scale`` (so the best trials are the darkest).
    """
    low, high = data.color_range
    t = (
        np.clip((values - low) / (high - low), 0.0, 1.0)
        if high > low
        else np.full(values.shape, 0.5)
    )
    if data.reverse_scale:
        t = 1.0 - t
    stops = np.array([s for s, _ in COLOR_SCALE])
    rgb = np.array([[float(c) for c in col[4:-1].split(",")] for _, col in COLOR_SCALE])
    return np.stack([np.interp(t, stops, rgb[:, k]) for k in range(3)], axis=1)


def line_groups(data: ParallelCoordinateData, levels: int) -> list[npt.NDArray[np.int64]]:
    """Line indices grouped by colour (one of ``levels`` bins) and line style.

    Groups come in the order their first line is drawn; within a group lines keep the drawing
    order. Renderers draw each group as one path broken between lines, which is much cheaper
    than one path per trial and looks the same.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> for v in [0.0, 1.0, 0.0]:
        ...     study.add_trial(podbor.trial.create_trial(value=v))
        >>> [g.tolist() for g in line_groups(parallel_coordinate_data(study), 256)]
        [[0, 2], [1]]
    """
    order = data.draw_order
    low, high = data.color_range
    level = np.clip((data.color_values[order] - low) / (high - low), 0.0, 1.0)
    key = np.rint(level * (levels - 1)).astype(np.int64) * 2
    if data.feasible is not None:
        key += ~data.feasible[order]
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    group = np.argsort(np.argsort(first))[inverse.ravel()]  # numbered by first appearance
    perm = np.argsort(group, kind="stable")
    bounds = np.cumsum(np.bincount(group))[:-1]
    return [order[idx] for idx in np.split(perm, bounds)]
