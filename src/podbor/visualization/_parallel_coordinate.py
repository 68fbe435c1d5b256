"""``plot_parallel_coordinate`` with plotly: every trial as a line through one axis per dimension.

The numbers come from
:func:`~podbor.visualization._data._parallel_coordinate.parallel_coordinate_data`; this module
only draws them. Lines of (nearly) the same colour and style share one plotly trace, broken
between trials, so a study of 10,000 trials makes a few hundred traces rather than 10,000.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt

from podbor._study_view import StudyView
from podbor.visualization._data._common import COLOR_SCALE, DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._parallel_coordinate import (
    MISSING_LABEL,
    ParallelCoordinateData,
    PCAxis,
    axis_value_text,
    line_colors,
    line_groups,
    parallel_coordinate_data,
)
from podbor.visualization._plotly_imports import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = ["plot_parallel_coordinate"]

_TITLE = "Parallel Coordinate Plot"
_COLOR_LEVELS = 256  # lines whose colours fall in one of this many bins share a trace
_HOVER = "Trial %{customdata[2]}<br>%{customdata[0]}: %{customdata[1]}<extra></extra>"


def _rgb(color: npt.NDArray[np.float64]) -> str:
    return f"rgb({color[0]:.1f}, {color[1]:.1f}, {color[2]:.1f})"


def _line_traces(data: ParallelCoordinateData) -> list[dict[str, Any]]:
    n_axes = len(data.axes)
    labels = np.array([a.label for a in data.axes] + [""], dtype=object)
    scaled = np.column_stack(
        [a.scaled for a in data.axes] + [np.full(data.trial_numbers.size, np.nan)]
    )
    texts = np.empty((data.trial_numbers.size, n_axes + 1), dtype=object)
    for k, axis in enumerate(data.axes):
        texts[:, k] = axis_value_text(axis)
    texts[:, n_axes] = ""
    numbers = data.trial_numbers.astype(object)
    x_one = np.append(np.arange(n_axes, dtype=float), np.nan)
    colors = line_colors(data.color_values, data)
    traces = []
    for members in line_groups(data, _COLOR_LEVELS):
        k = members.size
        custom = np.empty((k * (n_axes + 1), 3), dtype=object)
        custom[:, 0] = np.tile(labels, k)
        custom[:, 1] = texts[members].ravel()
        custom[:, 2] = np.repeat(numbers[members], n_axes + 1)
        dotted = data.feasible is not None and not data.feasible[members[0]]
        traces.append(
            {
                "type": "scatter",
                "x": np.tile(x_one, k),
                "y": scaled[members].ravel(),
                "mode": "lines",
                "line": {
                    "color": _rgb(colors[members[0]]),
                    "width": 1.2,
                    "dash": "dot" if dotted else "solid",
                },
                "opacity": 0.5,
                "showlegend": False,
                "customdata": custom,
                "hovertemplate": _HOVER,
            }
        )
    return traces


def _legend_traces() -> list[dict[str, Any]]:
    return [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "lines",
            "name": name,
            "line": {"color": "#555", "dash": dash},
            "showlegend": True,
            "hoverinfo": "skip",
        }
        for name, dash in (("Feasible", "solid"), ("Infeasible", "dot"))
    ]


def _colorbar_trace(data: ParallelCoordinateData) -> dict[str, Any]:
    low, high = data.color_range
    colorbar: dict[str, Any] = {"title": {"text": data.colorbar_title}}
    if data.colorbar_ticks is not None:
        colorbar["tickvals"] = data.colorbar_ticks
    return {
        "type": "scatter",
        "x": [None, None],
        "y": [None, None],
        "mode": "markers",
        "showlegend": False,
        "hoverinfo": "skip",
        "marker": {
            "color": [low, high],
            "cmin": low,
            "cmax": high,
            "colorscale": [list(stop) for stop in COLOR_SCALE],
            "reversescale": data.reverse_scale,
            "showscale": True,
            "colorbar": colorbar,
        },
    }


def _layout(data: ParallelCoordinateData) -> dict[str, Any]:
    n_axes = len(data.axes)
    annotations = [
        {
            "x": i,
            "y": position,
            "text": label,
            "showarrow": False,
            "xanchor": "right",
            "xshift": -4,
            "font": {"size": 10, "color": "#555"},
        }
        for i, axis in enumerate(data.axes)
        for position, label in zip(axis.tick_positions, axis.tick_labels)
    ]
    shapes = [
        {
            "type": "line",
            "x0": i,
            "x1": i,
            "y0": 0,
            "y1": 1,
            "layer": "below",
            "line": {"color": "#888", "width": 1},
        }
        for i in range(n_axes)
    ]
    return {
        "title": {"text": _TITLE, "y": 1, "yanchor": "bottom", "yref": "paper"},
        "plot_bgcolor": "white",
        "hovermode": "closest",
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1, "yanchor": "bottom"},
        "xaxis": {
            "tickmode": "array",
            "tickvals": list(range(n_axes)),
            "ticktext": [a.label for a in data.axes],
            "range": [-0.2, n_axes - 1 + 0.2],
            "showgrid": False,
            "zeroline": False,
        },
        "yaxis": {"range": [-0.08, 1.08], "visible": False, "fixedrange": True},
        "annotations": annotations,
        "shapes": shapes,
    }


def _figure(data: ParallelCoordinateData) -> go.Figure:
    go = require()
    if data.trial_numbers.size == 0:
        return go.Figure(
            layout={"title": {"text": _TITLE, "y": 1, "yanchor": "bottom", "yref": "paper"}}
        )
    traces = _line_traces(data)
    if data.feasible is not None:
        traces += _legend_traces()
    traces.append(_colorbar_trace(data))
    return go.Figure(data=traces, layout=_layout(data))


def plot_parallel_coordinate(
    study: StudyView,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> go.Figure:
    """Plot the high-dimensional parameter relationships in a study.

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
        target_name: The objective axis' title and the colour bar's.

    Returns:
        A ``plotly.graph_objects.Figure``; empty (title only) when no trial is complete.

    Raises:
        ValueError: A name in ``params`` that the study's complete trials do not have.
        ImportError: plotly is not installed (``pip install 'podbor[plot]'``).

    .. note::
        The colour scale is reversed (dark = low) when ``target`` is given, the study
        minimizes, or lines are coloured by Pareto rank.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 3), n_trials=5)
        >>> fig = podbor.visualization.plot_parallel_coordinate(study)
        >>> fig.layout.xaxis.ticktext
        ('Objective Value', 'n', 'x')
    """
    require()
    return _figure(parallel_coordinate_data(study, params, target=target, target_name=target_name))


# ---- Optuna's private helper names (``optuna.visualization._parallel_coordinate``) ----------
# Optuna's info object keeps axis coordinates (log10 for log axes, tick indices for categories),
# lists trials sorted by their numeric categorical values, and gives ticks only to log and
# category axes; built here from the plot data.


class _DimensionInfo(NamedTuple):
    label: str
    values: tuple[float, ...]
    range: tuple[float, float]
    is_log: bool
    is_cat: bool
    tickvals: list[int | float]
    ticktext: list[str]
    has_missing: bool = False


class _ParallelCoordinateInfo(NamedTuple):
    dims_objectives: list[_DimensionInfo]
    dims_params: list[_DimensionInfo]
    reverse_scale: bool
    colorbar_title: str
    color_values: tuple[float, ...] = ()
    is_rank_color: bool = False
    draw_order: tuple[int, ...] = ()
    feasibility: tuple[bool, ...] | None = None


def _dimension_info(axis: PCAxis, order: list[int]) -> _DimensionInfo:
    values = [axis.values[i] for i in order]
    if axis.kind == "categorical":
        ticks: list[int | float] = list(range(len(axis.tick_labels)))
        return _DimensionInfo(
            axis.label,
            tuple(int(v) for v in values),
            (0, len(ticks) - 1),
            False,
            True,
            ticks,
            list(axis.tick_labels),
            axis.has_missing,
        )
    low, high = axis.low, axis.high
    if axis.kind == "log":
        values = [math.log10(v) if v == v else low for v in values]
        labels = list(axis.tick_labels)
        decades = np.arange(math.ceil(low - 1e-9), math.floor(high + 1e-9) + 1, dtype=float)
        shown = sorted({low, high, *decades.tolist()})
        ticks = [t for i, t in enumerate(shown) if i == 0 or t - shown[i - 1] > 1e-9]
        if axis.has_missing:
            ticks = [low, *ticks]
        return _DimensionInfo(
            axis.label, tuple(values), (low, high), True, False, ticks, labels, axis.has_missing
        )
    values = [v if v == v else low for v in values]
    labels = [MISSING_LABEL] if axis.has_missing else []
    return _DimensionInfo(
        axis.label, tuple(values), (low, high), False, False, [], labels, axis.has_missing
    )


def _numeric_categorical_order(study: StudyView, data: ParallelCoordinateData) -> list[int]:
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    shown = [trials[n] for n in data.trial_numbers.tolist()]
    keys = [
        a.label
        for a in data.axes[data.n_objective_axes :]
        if a.kind == "categorical"
        and not a.has_missing
        and all(_is_number(t.params[a.label]) for t in shown)
    ]
    return sorted(range(len(shown)), key=lambda i: [shown[i].params[k] for k in keys])


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _get_parallel_coordinate_info(
    study: StudyView,
    params: list[str] | None = None,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> _ParallelCoordinateInfo:
    known = {name for t in study.get_trials(deepcopy=False) for name in t.params}
    for name in params or []:
        if name not in known:
            raise ValueError(f"Parameter {name} does not exist in your study.")
    data = parallel_coordinate_data(study, params, target=target, target_name=target_name)
    if data.trial_numbers.size == 0:
        axis = _DimensionInfo(target_name, (), (0, 0), False, False, [], [])
        return _ParallelCoordinateInfo(
            [axis], [], data.reverse_scale, data.colorbar_title, is_rank_color=data.is_rank_color
        )
    order = _numeric_categorical_order(study, data)
    dims = [_dimension_info(a, order) for a in data.axes]
    draw = tuple(range(len(order)))
    if data.is_rank_color:  # worse ranks first, as the plot data draws them
        draw = tuple(int(i) for i in np.argsort(-data.color_values[order], kind="stable"))
    feasible = None if data.feasible is None else tuple(bool(data.feasible[i]) for i in order)
    return _ParallelCoordinateInfo(
        dims_objectives=dims[: data.n_objective_axes],
        dims_params=dims[data.n_objective_axes :],
        reverse_scale=data.reverse_scale,
        colorbar_title=data.colorbar_title,
        color_values=tuple(float(data.color_values[i]) for i in order),
        is_rank_color=data.is_rank_color,
        draw_order=draw,
        feasibility=feasible,
    )
