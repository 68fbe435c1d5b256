"""``plot_gp`` with plotly: the GP posterior along one parameter or over two, with the next
proposal.

The numbers come from :func:`~podbor.visualization.gp_plot_data` (the same data the matplotlib
``plot_gp`` draws); this module only draws them.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from podbor._study_view import StudyView
from podbor.visualization._data._common import COLOR_SCALE
from podbor.visualization._data._gp import GPContourData, GPPlotData, gp_plot_data
from podbor.visualization._plotly_imports import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = ["plot_gp"]

_BLUE, _GREEN, _RED, _ORANGE = "#1f77b4", "#2ca02c", "#d62728", "#ff7f0e"
_STD_SCALE = [(0.0, "rgb(255,245,235)"), (0.5, "rgb(253,141,60)"), (1.0, "rgb(127,39,4)")]


def _make_subplots(**kwargs: Any) -> go.Figure:
    return importlib.import_module("plotly.subplots").make_subplots(**kwargs)


def _slice_figure(go: Any, data: GPPlotData) -> go.Figure:
    fig = _make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3])
    band = "rgba(31,119,180,0.18)"
    fig.add_trace(
        go.Scatter(x=data.x, y=data.upper, mode="lines", line={"width": 0}, showlegend=False),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=data.x,
            y=data.lower,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=band,
            name="μ ± 2σ",
        ),
        row=1,
        col=1,
    )
    for i, path in enumerate(data.samples):
        fig.add_trace(
            go.Scatter(
                x=data.x,
                y=path,
                mode="lines",
                line={"color": _BLUE, "width": 1, "dash": "dash"},
                opacity=0.55,
                name="posterior samples",
                legendgroup="samples",
                showlegend=i == 0,
            ),
            row=1,
            col=1,
        )
    fig.add_trace(
        go.Scatter(
            x=data.x,
            y=data.mean,
            mode="lines",
            line={"color": _BLUE, "width": 2},
            name="posterior mean μ",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=data.observed_x,
            y=data.observed_y,
            mode="markers",
            name="observations",
            marker={"color": "black", "size": 7},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=data.x,
            y=data.acquisition,
            mode="lines",
            line={"color": _GREEN},
            name=data.acquisition_name,
        ),
        row=2,
        col=1,
    )
    peak = float(np.max(data.acquisition))
    fig.add_trace(
        go.Scatter(
            x=[data.argmax],
            y=[peak],
            mode="markers",
            name="next point",
            marker={"color": _RED, "symbol": "triangle-down", "size": 12},
        ),
        row=2,
        col=1,
    )
    for row in (1, 2):
        fig.add_vline(
            x=data.argmax, line={"color": _RED, "dash": "dot", "width": 1}, row=row, col=1
        )
    axis_type = "log" if data.log_scale else "linear"
    fig.update_xaxes(type=axis_type)
    fig.update_xaxes(title_text=data.param, row=2, col=1)
    fig.update_yaxes(title_text=f"objective ({data.direction})", row=1, col=1)
    fig.update_yaxes(title_text="acquisition", row=2, col=1)
    n = data.observed_x.size
    fig.update_layout(title={"text": f"GP posterior along {data.param!r} after {n} trials"})
    return fig


def _markers(go: Any, data: GPContourData, show: bool) -> list[Any]:
    hover = [f"{v:.6g}" for v in data.observed_value.tolist()]
    return [
        go.Scatter(
            x=data.observed_x,
            y=data.observed_y,
            mode="markers",
            name="observations",
            legendgroup="observations",
            showlegend=show,
            text=hover,
            hovertemplate="%{x}, %{y}: %{text}<extra>observation</extra>",
            marker={"color": "black", "size": 7, "line": {"color": "white", "width": 1}},
        ),
        go.Scatter(
            x=[data.observed_x[data.best]],
            y=[data.observed_y[data.best]],
            mode="markers",
            name="best trial",
            legendgroup="best",
            showlegend=show,
            marker={"color": "rgba(0,0,0,0)", "size": 15, "line": {"color": _ORANGE, "width": 2}},
        ),
        go.Scatter(
            x=[data.next_point[0]],
            y=[data.next_point[1]],
            mode="markers",
            name="next point",
            legendgroup="next",
            showlegend=show,
            marker={
                "color": _RED,
                "symbol": "star",
                "size": 16,
                "line": {"color": "white", "width": 1},
            },
        ),
    ]


def _grid_figure(go: Any, data: GPContourData) -> go.Figure:
    fig = _make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(f"posterior mean μ ({data.direction})", "posterior σ (uncertainty)"),
        horizontal_spacing=0.14,
    )
    panels = [
        (data.mean, COLOR_SCALE, data.direction == "minimize", 0.43, "μ"),
        (data.std, _STD_SCALE, False, 1.0, "σ"),
    ]
    for col, (z, scale, reverse, bar_x, name) in enumerate(panels, start=1):
        fig.add_trace(
            go.Contour(
                x=data.x,
                y=data.y,
                z=z,
                colorscale=scale,
                reversescale=reverse,
                name=name,
                colorbar={"x": bar_x, "len": 0.9},
                contours={"coloring": "heatmap"},
                hovertemplate=f"%{{x}}, %{{y}}: %{{z}}<extra>{name}</extra>",
            ),
            row=1,
            col=col,
        )
        for trace in _markers(go, data, show=col == 1):
            fig.add_trace(trace, row=1, col=col)
    for col in (1, 2):
        fig.update_xaxes(
            title_text=data.params[0], type="log" if data.log_scale[0] else "linear", col=col
        )
        fig.update_yaxes(
            title_text=data.params[1], type="log" if data.log_scale[1] else "linear", col=col
        )
    fixed = ", ".join(f"{k}={v:.4g}" for k, v in data.fixed.items())
    title = f"GP posterior over {data.params[0]!r} and {data.params[1]!r} after "
    title += f"{data.observed_x.size} trials" + (f" ({fixed})" if fixed else "")
    fig.update_layout(title={"text": title}, legend={"orientation": "h", "y": -0.2, "x": 0.0})
    return fig


def plot_gp(
    study: StudyView,
    param: str | Sequence[str],
    *,
    n_samples: int = 3,
    acquisition: str | None = None,
    n_points: int | None = None,
) -> go.Figure:
    """Plot the GP posterior along one parameter, or over two, with the next proposal.

    The other parameters are fixed at the best trial's values (the GP is the one
    :class:`~podbor.samplers.GPSampler` fits on the complete trials).

    * One parameter: the posterior (mean, ±2σ band, sample paths, observations) on top, the
      acquisition function under it, the next point marked.
    * Two parameters: the posterior mean and σ as contour panels side by side, with the
      observations, the best trial and the next point (the acquisition's maximum on the grid).

    Args:
        study: A single-objective study with complete trials.
        param: A numeric parameter that every complete trial has, or a pair of them.
        n_samples: Number of posterior sample paths (one parameter only).
        acquisition: ``"logei"``, ``"ei"``, ``"pi"`` or ``"ucb"``; by default the study's
            :class:`~podbor.samplers.GPSampler`'s, else ``"logei"``.
        n_points: Points per axis; by default 200 (one parameter) or 60 (two).

    Returns:
        A ``plotly.graph_objects.Figure``.

    Raises:
        ImportError: If plotly is not installed (``pip install 'podbor[plot]'``).
        InvalidArgumentError: If ``param`` is not a numeric parameter of every complete trial.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) * t.suggest_float("y", 1, 2),
        ...                n_trials=6)
        >>> fig = podbor.visualization.plot_gp(study, ("x", "y"), n_points=20)
        >>> [trace.type for trace in fig.data][:2]
        ['contour', 'scatter']
    """
    go = require("plot_gp")
    data = gp_plot_data(
        study, param, n_samples=n_samples, acquisition=acquisition, n_points=n_points
    )
    if isinstance(data, GPPlotData):
        return _slice_figure(go, data)
    return _grid_figure(go, data)
