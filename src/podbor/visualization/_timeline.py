"""``plot_timeline`` with plotly: each trial's lifetime as a horizontal bar, coloured by state.

The bars come from :func:`podbor.visualization._data._timeline.timeline_data`; this module only
draws them, one bar trace per legend entry.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor.visualization._data._timeline import (
    INFEASIBLE,
    TimelineData,
    check_n_recent_trials,
    timeline_data,
)
from podbor.visualization._plotly_imports import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = ["plot_timeline"]


def plot_timeline(
    study: StudyView, n_recent_trials: int | None = None, *, by_worker: bool = False
) -> go.Figure:
    """Plot each trial's lifetime: a bar from its start to its end (now, if it still runs).

    Bars are coloured by state, with one legend entry per state present (and "INFEASIBLE" for
    complete trials that violate a constraint). Trials that have not started are left out, with
    a warning in the log.

    Args:
        study: The study whose trials are drawn.
        n_recent_trials: Draw only the last this many trials; None draws them all.
        by_worker: One lane per worker (the process or thread of ``optimize`` that ran the
            trial, as ``trial.system_attrs["worker"]`` records it) instead of one row per
            trial, to see how busy each worker was. Not in Optuna.

    Returns:
        A ``plotly.graph_objects.Figure``.

    Raises:
        ValueError: ``n_recent_trials`` is 0, negative or not an integer.
        ImportError: plotly is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> fig = podbor.visualization.plot_timeline(study)
        >>> [trace.name for trace in fig.data], fig.data[0].y.tolist()
        (['COMPLETE'], [0, 1, 2])
    """
    check_n_recent_trials(n_recent_trials)
    go = require("plot_timeline")
    return _figure(go, timeline_data(study, n_recent_trials), by_worker=by_worker)


def _figure(go: object, data: TimelineData, *, by_worker: bool = False) -> go.Figure:
    duration = data.duration_ms
    yaxis: dict[str, object] = {"title": {"text": data.ylabel}}
    y: Any = data.numbers
    if by_worker:
        lanes, labels = data.worker_lanes()
        y = np.array(labels, dtype=object)[lanes] if labels else lanes
        yaxis = {
            "title": {"text": "Worker"},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": list(labels),
        }
    traces = [
        go.Bar(  # type: ignore[attr-defined]
            name=group.name,
            x=duration[group.index],
            y=y[group.index],
            base=data.start[group.index].astype(str),
            text=[data.hovertexts[i] for i in group.index],
            hovertemplate="%{text}<extra></extra>",
            textposition="none",
            orientation="h",
            marker={"color": group.color},
        )
        for group in data.groups
    ]
    fig = go.Figure(  # type: ignore[attr-defined]
        data=traces,
        layout={
            "title": {"text": data.title},
            "xaxis": {"title": {"text": data.xlabel}, "type": "date"},
            "yaxis": yaxis,
            "showlegend": True,  # even with one state, say which it is
            "barmode": "overlay",
        },
    )
    return fig


# -- Optuna's private names, for scripts and tests written against Optuna -----------------------
class _TimelineBarInfo(NamedTuple):
    number: int
    start: datetime.datetime
    complete: datetime.datetime
    state: TrialState
    hovertext: str
    infeasible: bool


class _TimelineInfo(NamedTuple):
    bars: list[_TimelineBarInfo]


def _get_timeline_info(study: StudyView, n_recent_trials: int | None = None) -> _TimelineInfo:
    """:func:`timeline_data` as Optuna's ``_get_timeline_info`` returns it (one record per bar)."""
    data = timeline_data(study, n_recent_trials)
    starts = data.start.astype(datetime.datetime).tolist()
    ends = data.complete.astype(datetime.datetime).tolist()
    bars = [
        _TimelineBarInfo(
            number=int(number),
            start=start,
            complete=end,
            state=TrialState.COMPLETE if name == INFEASIBLE else TrialState[name],
            hovertext=text,
            infeasible=bad,
        )
        for number, start, end, name, text, bad in zip(
            data.numbers.tolist(),
            starts,
            ends,
            data.states,
            data.hovertexts,
            data.infeasible.tolist(),
        )
    ]
    return _TimelineInfo(bars)
