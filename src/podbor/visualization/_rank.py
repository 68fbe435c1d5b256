"""``plot_rank`` with plotly: draws :func:`~podbor.visualization._data._rank.rank_data`.

Each panel holds two scatter traces (feasible trials coloured by rank, infeasible ones grey);
a last, empty trace carries the colour bar, whose ticks name the values at a few ranks. The
colours are given as rank positions on a colour scale (numbers), not as one colour string per
point, so plotly validates arrays instead of strings: a 10 x 10 grid over 10,000 trials stays
fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from podbor._study_view import StudyView
from podbor.visualization._data._common import DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._rank import (
    INFEASIBLE_RGB,
    RANK_COLOR_SCALE,
    TITLE,
    RankData,
    RankPanel,
    rank_data,
)
from podbor.visualization._pair_axes import (
    message_annotation,
    plotly_positions,
    style_axis,
    subplot_refs,
)
from podbor.visualization._plotly_imports import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = ["plot_rank"]


def plot_rank(
    study: StudyView,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> go.Figure:
    """Plot trials in pairs of parameters, each coloured by the rank of its value.

    Blue marks the lowest values and red the highest (ties share their rank); infeasible trials
    are grey. Two parameters give one panel; one parameter gives one panel of it against
    itself; more give a grid of every pair. A trial that lacks one of a panel's parameters is
    not drawn there. Log parameters get log axes and categorical ones category axes.

    Args:
        study: The study whose COMPLETE trials are plotted.
        params: The parameters to plot, in this order (default: all of them, sorted).
        target: What to rank for a trial instead of its objective value; required for a
            study with several objectives.
        target_name: Named in the title, ``"Rank (<target_name>)"``.

    Returns:
        A ``plotly.graph_objects.Figure``; without points (the reason as an annotation) when
        there are no complete trials or no parameters.

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
        >>> figure = plot_rank(study)
        >>> figure.layout.title.text, len(figure.data[0].x)
        ('Rank (Objective Value)', 20)
    """
    go = require()
    data = rank_data(study, params, target=target, target_name=target_name, with_hovertext=True)
    return _figure(go, data)


def _figure(go: Any, data: RankData) -> Any:
    title = {"text": f"{TITLE} ({data.target_name})"}
    if not data.panels:
        layout = go.Layout(title=title)
        if data.message:
            layout.annotations = [message_annotation(data.message)]
        return go.Figure(layout=layout)
    hovertexts = np.array(data.hovertexts or [""] * data.values.size, dtype=object)
    traces: list[Any] = []
    if len(data.panels) == 1:
        panel = data.panels[0][0]
        traces.extend(_traces(go, data, panel, hovertexts, "x", "y"))
        traces.append(_colorbar(go, data))
        figure = go.Figure(data=traces, layout=go.Layout(title=title))
        style_axis(figure.layout.xaxis, data.axes[panel.x], title=True)
        style_axis(figure.layout.yaxis, data.axes[panel.y], title=True)
        return figure
    n = len(data.params)
    make_subplots = importlib.import_module("plotly.subplots").make_subplots
    figure = make_subplots(rows=n, cols=n, horizontal_spacing=0.04, vertical_spacing=0.04)
    for i, row in enumerate(data.panels):
        for j, panel in enumerate(row):
            subplot = figure.get_subplot(i + 1, j + 1)
            style_axis(subplot.xaxis, data.axes[panel.x], title=i == n - 1)
            style_axis(subplot.yaxis, data.axes[panel.y], title=j == 0)
            x_ref, y_ref = subplot_refs(subplot)
            traces.extend(_traces(go, data, panel, hovertexts, x_ref, y_ref))
    traces.append(_colorbar(go, data))
    figure.add_traces(traces)
    figure.update_layout(title=title, width=220 * n + 120, height=220 * n)
    return figure


def _traces(
    go: Any,
    data: RankData,
    panel: RankPanel,
    hovertexts: np.ndarray[Any, Any],
    x_ref: str,
    y_ref: str,
) -> list[Any]:
    """The feasible trials coloured by rank, then the infeasible ones in grey."""
    x_axis, y_axis = data.axes[panel.x], data.axes[panel.y]
    feasible = data.feasible[panel.rows]
    traces = []
    for shown in (feasible, ~feasible):
        rows = panel.rows[shown]
        if shown is feasible:
            marker: dict[str, Any] = {
                "color": data.color_positions[rows],
                "colorscale": RANK_COLOR_SCALE,
                "cmin": 0.0,
                "cmax": 1.0,
            }
        else:
            marker = {"color": "rgb({},{},{})".format(*INFEASIBLE_RGB)}
        marker["line"] = {"width": 0.5, "color": "Grey"}
        traces.append(
            go.Scatter(
                x=plotly_positions(x_axis, panel.xs[shown]),
                y=plotly_positions(y_axis, panel.ys[shown]),
                mode="markers",
                marker=marker,
                hovertext=hovertexts[rows],
                hoverinfo="text",
                showlegend=False,
                xaxis=x_ref,
                yaxis=y_ref,
            )
        )
    return traces


def _colorbar(go: Any, data: RankData) -> Any:
    """An invisible trace whose only purpose is the colour bar (value labels at ranks)."""
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        marker={
            "colorscale": RANK_COLOR_SCALE,
            "showscale": True,
            "cmin": 0.0,
            "cmax": 1.0,
            "colorbar": {
                "thickness": 10,
                "tickvals": data.tick_positions,
                "ticktext": data.tick_labels,
            },
        },
        hoverinfo="none",
        showlegend=False,
    )
