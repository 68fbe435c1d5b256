"""``plot_intermediate_values`` with plotly: the learning curve of every trial that reported one.

The numbers come from :func:`~podbor.visualization._data._intermediate_values.
intermediate_values_data`; this module only draws them. Up to :data:`MAX_SEPARATE_TRACES`
trials each get their own trace, named ``"Trial<number>"``; past that, curves sharing a colour
are drawn as one trace broken by gaps (a browser cannot draw ten thousand traces quickly), and
hovering a point still names its trial.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import numpy as np

from podbor._study_view import StudyView
from podbor.visualization._data._intermediate_values import (
    IntermediateValuesData,
    intermediate_values_data,
)
from podbor.visualization._intermediate_values_compat import (
    _get_intermediate_plot_info,
    _IntermediatePlotInfo,
    _TrialInfo,
    from_info,
)
from podbor.visualization._plotly_imports import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = ["MAX_SEPARATE_TRACES", "plot_intermediate_values"]

# Optuna's private names, for scripts and tests written against Optuna.
_OPTUNA_NAMES = (_get_intermediate_plot_info, _TrialInfo)

MAX_SEPARATE_TRACES = 100
INFEASIBLE_COLOR = "#CCCCCC"


def _separate(data: IntermediateValuesData, colors: list[str]) -> list[dict[str, Any]]:
    traces = []
    for i, number in enumerate(data.trial_numbers.tolist()):
        steps, values = data.curve(i)
        trace: dict[str, Any] = {
            "type": "scatter",
            "x": steps,
            "y": values,
            "mode": "lines+markers",
            "marker": {"maxdisplayed": 10},
            "name": f"Trial{number}",
        }
        color = colors[i % len(colors)] if data.feasible[i] else INFEASIBLE_COLOR
        trace["line"] = {"color": color}
        trace["marker"]["color"] = color
        traces.append(trace)
    return traces


def _grouped(data: IntermediateValuesData, colors: list[str]) -> list[dict[str, Any]]:
    """One trace per colour: its curves joined end to end with a NaN gap between curves."""
    n = data.trial_numbers.size
    group = np.where(data.feasible, np.arange(n) % len(colors), len(colors))
    counts = np.diff(data.offsets)
    point_group = np.repeat(group, counts)
    point_trial = np.repeat(data.trial_numbers, counts)
    # A gap after each curve's last point: insert NaN rows at the curve ends.
    ends = data.offsets[1:]
    x = np.insert(data.steps.astype(float), ends, np.nan)
    y = np.insert(data.values, ends, np.nan)
    trial = np.insert(point_trial, ends, -1)
    point_group = np.insert(point_group, ends, group)
    traces = []
    for g in np.unique(group).tolist():
        mask = point_group == g
        color = colors[g] if g < len(colors) else INFEASIBLE_COLOR
        traces.append(
            {
                "type": "scatter",
                "x": x[mask],
                "y": y[mask],
                "customdata": trial[mask],
                "hovertemplate": "Trial%{customdata}<br>step %{x}: %{y}<extra></extra>",
                "mode": "lines+markers",
                "connectgaps": False,
                "line": {"color": color},
                "marker": {"color": color, "size": 4},
                "name": "infeasible trials" if g == len(colors) else f"trials ≡ {g} (mod 10)",
            }
        )
    return traces


def _figure(data: IntermediateValuesData) -> go.Figure:
    go = require()
    colors = list(importlib.import_module("plotly.colors").DEFAULT_PLOTLY_COLORS)
    if data.trial_numbers.size <= MAX_SEPARATE_TRACES:
        traces = _separate(data, colors)
    else:
        traces = _grouped(data, colors)
    layout = {
        "title": {"text": "Intermediate Values Plot"},
        "xaxis": {"title": {"text": "Step"}},
        "yaxis": {"title": {"text": "Intermediate Value"}},
        "showlegend": False,
    }
    return go.Figure(data=traces, layout=layout)


def plot_intermediate_values(study: StudyView) -> go.Figure:
    """Plot the intermediate values (learning curve) each trial reported, against the step.

    Complete, pruned and running trials that called ``trial.report`` are drawn; trials that
    violate a constraint are greyed out.

    Args:
        study: The study.

    Returns:
        A ``plotly.graph_objects.Figure``; empty (with a logged warning) when no trial
        reported an intermediate value.

    Raises:
        ImportError: plotly is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", 0, 1)
        ...     for step in range(3):
        ...         trial.report(x / (step + 1), step)
        ...     return x / 3
        >>> study = podbor.create_study()
        >>> study.optimize(objective, n_trials=2)
        >>> [trace.name for trace in podbor.visualization.plot_intermediate_values(study).data]
        ['Trial0', 'Trial1']
    """
    require()
    return _figure(intermediate_values_data(study))


def _get_intermediate_plot(info: _IntermediatePlotInfo) -> go.Figure:
    """Optuna's private renderer entry point: draw Optuna-style curve records."""
    return _figure(from_info(info))
