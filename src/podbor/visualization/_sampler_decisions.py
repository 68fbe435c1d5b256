"""``plot_sampler_decisions`` with plotly: the default sampler's strategy per trial, with the
objective beside it, so a user sees when and why it switched.

The data comes from
:func:`~podbor.visualization._data._sampler_decisions.sampler_decisions_data`; this module only
draws it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import numpy as np

from podbor._study_view import StudyView
from podbor.visualization._data._common import DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._sampler_decisions import (
    MAX_BANDS,
    SamplerDecisionsData,
    sampler_decisions_data,
)
from podbor.visualization._plotly_imports import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = ["plot_sampler_decisions"]


def _empty(go: Any, data: SamplerDecisionsData) -> go.Figure:
    return go.Figure(
        layout={
            "title": {"text": data.title},
            "annotations": [
                {
                    "text": data.message,
                    "showarrow": False,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                }
            ],
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
        }
    )


def _traces(go: Any, data: SamplerDecisionsData) -> list[tuple[Any, int]]:
    """(trace, row) pairs: per strategy, its values (row 1) and its trials (row 2)."""
    out: list[tuple[Any, int]] = []
    hover = np.array(data.hovertexts, dtype=object)
    for k, (strategy, color) in enumerate(zip(data.strategy_order, data.colors)):
        mine = data.strategy_index == k
        shown = mine & np.isfinite(data.values)
        common = {
            "name": strategy,
            "legendgroup": strategy,
            "hovertemplate": "%{text}<extra></extra>",
        }
        if data.has_values:
            out.append(
                (
                    go.Scatter(
                        x=data.numbers[shown],
                        y=data.values[shown],
                        mode="markers",
                        marker={"color": color, "size": 6},
                        text=hover[shown].tolist(),
                        showlegend=False,
                        **common,
                    ),
                    1,
                )
            )
        out.append(
            (
                go.Scatter(
                    x=data.numbers[mine],
                    y=[strategy] * int(mine.sum()),
                    mode="markers",
                    marker={
                        "color": color,
                        "symbol": "line-ns-open",
                        "size": 12,
                        "line": {"width": 2},
                    },
                    text=hover[mine].tolist(),
                    **common,
                ),
                2,
            )
        )
    if np.isfinite(data.best).any():
        out.append(
            (
                go.Scatter(
                    x=data.numbers,
                    y=data.best,
                    mode="lines",
                    name="Best Value",
                    line={"color": "#d62728", "shape": "hv"},
                    hoverinfo="skip",
                ),
                1,
            )
        )
    return out


def _bands(fig: go.Figure, data: SamplerDecisionsData) -> None:
    """Shade each run of one strategy and mark each switch (when there are few enough)."""
    if len(data.runs) > MAX_BANDS:
        return
    color = dict(zip(data.strategy_order, data.colors))
    shapes = [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": run.first - 0.5,
            "x1": run.last + 0.5,
            "y0": 0,
            "y1": 1,
            "fillcolor": color[run.strategy],
            "opacity": 0.08,
            "line": {"width": 0},
            "layer": "below",
        }
        for run in data.runs
    ] + [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": s.number - 0.5,
            "x1": s.number - 0.5,
            "y0": 0,
            "y1": 1,
            "line": {"color": "#555555", "width": 1, "dash": "dot"},
        }
        for s in data.switches
    ]
    fig.update_layout(shapes=shapes)


def plot_sampler_decisions(
    study: StudyView,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> go.Figure:
    """Plot the default sampler's strategy for every trial, under the objective's progress.

    :class:`~podbor.samplers.AutoSampler` records why it chose a strategy (start-up points, a
    GP, one GP per branch, TPE) for each trial. The top panel shows each complete trial's value
    (coloured by strategy) and the best so far; the bottom panel shows the strategy per trial.
    Runs of one strategy are shaded, each switch is marked, and hovering a trial shows the
    reason. The switches themselves are listed by the (private)
    ``podbor.visualization._data._sampler_decisions.sampler_decisions_data``.

    Args:
        study: The study; a study that never used AutoSampler gives an empty figure that says so.
        target: The value to show for each complete trial; by default the objective value (none
            for several objectives: the strategies are shown alone).
        target_name: The label of that value.

    Returns:
        A ``plotly.graph_objects.Figure``.

    Raises:
        ImportError: If plotly is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
        >>> study = podbor.create_study(sampler=podbor.samplers.AutoSampler(seed=0, max_overhead_fraction=None))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=7)
        >>> fig = podbor.visualization.plot_sampler_decisions(study)
        >>> sorted({trace.name for trace in fig.data})
        ['Best Value', 'gp', 'qmc']
        >>> podbor.logging.set_verbosity(podbor.logging.INFO)
    """
    go = require("plot_sampler_decisions")
    data = sampler_decisions_data(study, target=target, target_name=target_name)
    if data.message is not None:
        return _empty(go, data)
    make_subplots = importlib.import_module("plotly.subplots").make_subplots
    rows = 2 if data.has_values else 1  # no value to show: the strategies take the whole height
    heights = [0.65, 0.35] if rows == 2 else [1.0]
    fig = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, row_heights=heights, vertical_spacing=0.06
    )
    for trace, row in _traces(go, data):
        fig.add_trace(trace, row=min(row, rows), col=1)
    _bands(fig, data)
    if rows == 2:
        fig.update_yaxes(title_text=data.target_name, row=1, col=1)
    fig.update_yaxes(
        title_text="Strategy",
        type="category",
        categoryorder="array",
        categoryarray=list(data.strategy_order),
        row=rows,
        col=1,
    )
    fig.update_xaxes(title_text="Trial", row=rows, col=1)
    fig.update_layout(title={"text": data.title}, legend={"title": {"text": "Strategy"}})
    return fig
