"""``plot_slice`` with plotly: the target against each parameter, one panel per parameter.

The numbers come from :func:`~podbor.visualization._data._slice.slice_data`; this module only
draws them. The panels' axes are laid out directly (one row, shared y range) rather than through
``make_subplots``, which costs more than the data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from podbor._study_view import StudyView
from podbor.distributions import CategoricalDistribution
from podbor.visualization._data._common import COLOR_SCALE, DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._slice import SliceData, SlicePanel, category_label, slice_data
from podbor.visualization._plotly_imports import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = ["plot_slice"]

_TITLE = "Slice Plot"
_HOVER = "Trial %{customdata}<br>%{x}<br>%{y}<extra></extra>"


def _panel_traces(
    panel: SlicePanel, data: SliceData, suffix: str, first: bool
) -> list[dict[str, Any]]:
    x: Any = panel.x_labels() if panel.is_categorical else panel.x
    feasible = panel.feasible
    all_feasible = bool(feasible.all())
    low, high = data.color_range
    traces = [
        {
            "type": "scatter",
            "x": x if all_feasible else _take(x, feasible),
            "y": panel.y if all_feasible else panel.y[feasible],
            "customdata": panel.trial_numbers if all_feasible else panel.trial_numbers[feasible],
            "hovertemplate": _HOVER,
            "mode": "markers",
            "name": "Feasible Trial",
            "showlegend": False,
            "xaxis": f"x{suffix}",
            "yaxis": f"y{suffix}",
            "marker": {
                "color": panel.trial_numbers if all_feasible else panel.trial_numbers[feasible],
                "colorscale": [list(stop) for stop in COLOR_SCALE],
                "cmin": low,
                "cmax": high if high > low else low + 1,
                "line": {"width": 0.5, "color": "Grey"},
                "showscale": first,
                "colorbar": {"title": {"text": "Trial"}, "x": 1.0, "xpad": 40},
            },
        }
    ]
    if not all_feasible:
        traces.append(
            {
                "type": "scatter",
                "x": _take(x, ~feasible),
                "y": panel.y[~feasible],
                "customdata": panel.trial_numbers[~feasible],
                "hovertemplate": _HOVER,
                "mode": "markers",
                "name": "Infeasible Trial",
                "showlegend": False,
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "marker": {"color": "#cccccc"},
            }
        )
    return traces


def _take(x: Any, mask: Any) -> Any:
    if isinstance(x, list):
        return [v for v, keep in zip(x, mask.tolist()) if keep]
    return x[mask]


def _x_axis(panel: SlicePanel) -> dict[str, Any]:
    axis: dict[str, Any] = {"title": {"text": panel.param}}
    if panel.is_log:
        axis["type"] = "log"
    elif panel.is_categorical:
        axis.update(type="category", categoryorder="array", categoryarray=panel.categories)
    return axis


def _figure(data: SliceData) -> go.Figure:
    go = require()
    layout: dict[str, Any] = {"title": {"text": _TITLE}}
    n = len(data.panels)
    if n == 0:
        return go.Figure(layout=layout)
    traces: list[dict[str, Any]] = []
    gap = 0.2 / n
    width = (1.0 - gap * (n - 1)) / n
    for i, panel in enumerate(data.panels):
        suffix = "" if i == 0 else str(i + 1)
        traces += _panel_traces(panel, data, suffix, first=i == 0)
        x_axis = _x_axis(panel)
        y_axis: dict[str, Any] = {}
        if n > 1:
            x_axis.update(
                anchor=f"y{suffix}", domain=[i * (width + gap), min(1.0, i * (width + gap) + width)]
            )
            y_axis.update(anchor=f"x{suffix}", domain=[0.0, 1.0])
        if i == 0:
            y_axis["title"] = {"text": data.target_name}
        else:
            y_axis.update(matches="y", showticklabels=False)
        layout[f"xaxis{suffix}"] = x_axis
        layout[f"yaxis{suffix}"] = y_axis
    if n > 3:
        layout["width"] = 300 * n
    return go.Figure(data=traces, layout=layout)


def plot_slice(
    study: StudyView,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> go.Figure:
    """Plot the target of every complete trial against each parameter, one panel per parameter.

    Points are coloured by trial number (one scale for every panel), so the panels show where
    the search went over time. A panel holds only the trials that have its parameter; trials
    that break a constraint are drawn grey.

    Args:
        study: The study whose trials are plotted.
        params: The parameters to show (default: all), sorted by name as Optuna does.
        target: What to plot for a trial; needed for a multi-objective study (e.g.
            ``lambda t: t.values[0]``).
        target_name: The y axis title.

    Returns:
        A ``plotly.graph_objects.Figure``; empty (title only) when no trial is complete.

    Raises:
        ValueError: A multi-objective study and no ``target``; a name in ``params`` that the
            study's complete trials do not have.
        ImportError: plotly is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", 1e-3, 1, log=True), n_trials=5)
        >>> fig = podbor.visualization.plot_slice(study)
        >>> fig.layout.xaxis.type, len(fig.data[0].x)
        ('log', 5)
    """
    require()
    return _figure(slice_data(study, params, target=target, target_name=target_name))


# ---- Optuna's private helper names (``optuna.visualization._slice``), over the plot data ----


class _SliceSubplotInfo(NamedTuple):
    param_name: str
    x: list[Any]
    y: list[float]
    trial_numbers: list[int]
    is_log: bool
    is_numerical: bool
    x_labels: tuple[Any, ...] | None
    constraints: list[bool]


class _SlicePlotInfo(NamedTuple):
    target_name: str
    subplots: list[_SliceSubplotInfo]


def _get_slice_plot_info(
    study: StudyView,
    params: list[str] | None,
    target: Target | None,
    target_name: str,
) -> _SlicePlotInfo:
    data = slice_data(study, params, target=target, target_name=target_name)
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    subplots = []
    for panel in data.panels:
        shown = [trials[n] for n in panel.trial_numbers.tolist()]
        choices = next(
            (
                d.choices
                for t in shown
                if isinstance(d := t.distributions[panel.param], CategoricalDistribution)
            ),
            None,
        )
        subplots.append(
            _SliceSubplotInfo(
                param_name=panel.param,
                x=[t.params[panel.param] for t in shown],
                y=panel.y.tolist(),
                trial_numbers=panel.trial_numbers.tolist(),
                is_log=panel.is_log,
                is_numerical=not panel.is_categorical,
                x_labels=choices,
                constraints=panel.feasible.tolist(),
            )
        )
    return _SlicePlotInfo(data.target_name, subplots)


def _generate_slice_subplot(info: _SliceSubplotInfo) -> list[go.Scatter]:
    go = require()
    keep = [x is not None or not info.is_numerical for x in info.x]
    x = [x if info.is_numerical else category_label(x) for x, k in zip(info.x, keep) if k]
    y = [y for y, k in zip(info.y, keep) if k]
    feasible = [c for c, k in zip(info.constraints, keep) if k]
    numbers = [n for n, k in zip(info.trial_numbers, keep) if k]
    traces = [
        go.Scatter(
            x=[v for v, f in zip(x, feasible) if f],
            y=[v for v, f in zip(y, feasible) if f],
            mode="markers",
            name="Feasible Trial",
            showlegend=False,
            marker={"color": [n for n, f in zip(numbers, feasible) if f]},
        )
    ]
    if not all(feasible):
        traces.append(
            go.Scatter(
                x=[v for v, f in zip(x, feasible) if not f],
                y=[v for v, f in zip(y, feasible) if not f],
                mode="markers",
                name="Infeasible Trial",
                showlegend=False,
                marker={"color": "#cccccc"},
            )
        )
    return traces
