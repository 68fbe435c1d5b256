"""``plot_pareto_front`` with plotly: the trials' objective values, the Pareto front in red.

The points come from :func:`podbor.visualization._data._pareto_front.pareto_front_data`; this
module only draws them: dominated trials (blue, by trial number), best trials (red, by trial
number) and infeasible trials (grey), in that order, on 2-D or 3-D axes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_view import StudyView
from podbor.visualization._data._pareto_front import (
    ParetoFrontData,
    ParetoGroup,
    Targets,
    pareto_front_data,
)
from podbor.visualization._pareto_front_compat import (
    _get_pareto_front_info,
    _ParetoFrontInfo,
    to_data,
)
from podbor.visualization._plotly_imports import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = ["plot_pareto_front"]

# Optuna's private names, for scripts and tests written against Optuna.
_OPTUNA_NAMES = (_get_pareto_front_info, _ParetoFrontInfo)

TITLE = "Pareto-front Plot"


def plot_pareto_front(
    study: StudyView,
    *,
    target_names: list[str] | None = None,
    include_dominated_trials: bool = True,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    targets: Targets | None = None,
) -> go.Figure:
    """Plot the objective values of a multi-objective study's trials, the Pareto front marked.

    Feasible trials on the front are red and the other feasible ones blue (both coloured by
    trial number, with a colour bar each); trials violating a constraint are grey. Whether a
    trial is on the front is decided among the feasible trials, on the study's objectives.

    Args:
        study: A study with 2 or 3 objectives (any number with ``targets``).
        target_names: Axis titles; default the study's metric names or "Objective i".
        include_dominated_trials: Also draw the feasible trials off the front.
        constraints_func (Callable[[podbor.FrozenTrial], Sequence[float]] | None): Deprecated
            (``FutureWarning``): a trial's constraint values, > 0 meaning violated. Without it
            the constraints stored on the trials (``Trial.set_constraint``) are used.
        targets: The 2 or 3 values to plot for a trial; default its objective values.

    Returns:
        A ``plotly.graph_objects.Figure``.

    Raises:
        ValueError: not 2 or 3 targets, ``target_names`` of the wrong length, or ``targets``
            without trials or ``target_names`` to infer their number from.
        ImportError: plotly is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> study = podbor.create_study(directions=["minimize", "minimize"])
        >>> study.optimize(lambda t: (t.suggest_int("x", 0, 2), 1.0), n_trials=3)
        >>> fig = podbor.visualization.plot_pareto_front(study)
        >>> [trace.name for trace in fig.data]
        ['Trial', 'Best Trial']
    """
    go = require("plot_pareto_front")
    data = pareto_front_data(
        study,
        target_names=target_names,
        include_dominated_trials=include_dominated_trials,
        constraints_func=constraints_func,
        targets=targets,
    )
    return _figure(go, data)


def _marker(group: ParetoGroup, data: ParetoFrontData) -> dict[str, Any]:
    if group.color_scale is None:
        return {"color": group.color}
    colorbar: dict[str, Any] = {"title": {"text": group.name}}
    if group is data.best and data.dominated is not None:
        colorbar.update(x=1.1, xpad=40)  # beside the dominated trials' colour bar
    return {
        "line": {"width": 0.5, "color": "Grey"},
        "color": group.numbers,
        "colorscale": group.color_scale,
        "colorbar": colorbar,
    }


def _trace(group: ParetoGroup, data: ParetoFrontData) -> dict[str, Any]:
    values = group.values
    trace: dict[str, Any] = {
        "type": "scatter" if data.n_targets == 2 else "scatter3d",
        "name": group.name,
        "x": values[:, 0],
        "y": values[:, 1],
        "mode": "markers",
        # an object array: plotly checks a list's strings one by one, an array at once
        "text": np.array(group.hovertexts, dtype=object),
        "hovertemplate": f"%{{text}}<extra>{group.name}</extra>",
        "marker": _marker(group, data),
        "showlegend": False,
    }
    if data.n_targets == 3:
        trace["z"] = values[:, 2]
    return trace


def _figure(go: Any, data: ParetoFrontData) -> go.Figure:
    names = data.target_names
    layout: dict[str, Any] = {"title": {"text": TITLE}}
    if data.n_targets == 2:
        layout["xaxis"] = {"title": {"text": names[0]}}
        layout["yaxis"] = {"title": {"text": names[1]}}
    else:
        layout["scene"] = {
            axis: {"title": {"text": name}}
            for axis, name in zip(("xaxis", "yaxis", "zaxis"), names)
        }
    return go.Figure({"data": [_trace(g, data) for g in data.groups], "layout": layout})


def _get_pareto_front_plot(info: _ParetoFrontInfo) -> go.Figure:
    """Optuna's private renderer: the figure of an Optuna-style record."""
    return _figure(require("plot_pareto_front"), to_data(info))
