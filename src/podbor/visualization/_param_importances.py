"""``plot_param_importances`` with plotly: a horizontal bar per parameter, one colour per target.

The numbers come from :func:`~podbor.visualization._data._param_importances.param_importances_data`;
this module only draws them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podbor.importance import BaseImportanceEvaluator
from podbor.visualization._data._common import DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._param_importances import (
    ImportanceBars,
    ParamImportancesData,
    param_importances_data,
)
from podbor.visualization._plotly_imports import require

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = ["plot_param_importances"]

# plotly's default colour sequence, one colour per target
_COLORS = ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692"]


def _figure(data: ParamImportancesData) -> go.Figure:
    go = require()
    several = len(data.bars) > 1
    traces: list[dict[str, Any]] = [
        {
            "type": "bar",
            "orientation": "h",
            "x": bars.importance_values,
            "y": bars.param_names,
            "name": bars.target_name,
            "text": bars.importance_labels,
            "textposition": "outside",
            "cliponaxis": False,
            "customdata": bars.distributions,
            "hovertemplate": "%{y} (%{customdata}): %{x}<extra></extra>",
            "marker": {"color": _COLORS[i % len(_COLORS)]},
            "showlegend": several,
        }
        for i, bars in enumerate(data.bars)
    ]
    layout: dict[str, Any] = {
        "title": {"text": "Hyperparameter Importances"},
        "xaxis": {"title": {"text": "Hyperparameter Importance"}},
        "yaxis": {"title": {"text": "Hyperparameter"}},
        "showlegend": several,
    }
    if several:
        layout["barmode"] = "group"
        order = next((b.param_names for b in data.bars if b.param_names), [])
        layout["yaxis"].update({"categoryorder": "array", "categoryarray": order})
    return go.Figure(data=traces, layout=layout)


def plot_param_importances(
    study: Any,
    evaluator: BaseImportanceEvaluator | None = None,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> go.Figure:
    """Plot each parameter's importance as a horizontal bar, the most important on top.

    Importances are those of :func:`podbor.importance.get_param_importances` (normalized to
    sum to 1), each bar labelled with its value. On a multi-objective study without
    ``target``, each objective gets its own bars (grouped, one colour and legend entry each).

    Args:
        study: An optimized study.
        evaluator: The importance algorithm; None for
            :class:`~podbor.importance.PedAnovaImportanceEvaluator`.
        params: The parameters to show; None for the evaluator's default set.
        target: What to explain (e.g. ``lambda t: t.values[0]``); None for the objective(s).
        target_name: The target's name in the legend and hover texts.

    Returns:
        A ``plotly.graph_objects.Figure``; with no bars when the study has no COMPLETE trial.

    Raises:
        ValueError: a parameter of ``params`` that no COMPLETE trial has.
        ImportError: plotly is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + 0 * t.suggest_int("n", 0, 3),
        ...                n_trials=30)
        >>> fig = podbor.visualization.plot_param_importances(study)
        >>> list(fig.data[0].y), fig.layout.xaxis.title.text
        (['n', 'x'], 'Hyperparameter Importance')
    """
    require()
    return _figure(
        param_importances_data(study, evaluator, params, target=target, target_name=target_name)
    )


# Optuna's private helpers, for code (and Optuna's tests) written against them.
_ImportancesInfo = ImportanceBars


def _get_importances_infos(
    study: Any,
    evaluator: BaseImportanceEvaluator | None,
    params: list[str] | None,
    target: Target | None,
    target_name: str,
) -> tuple[ImportanceBars, ...]:
    data = param_importances_data(study, evaluator, params, target=target, target_name=target_name)
    return tuple(data.bars)


def _get_importances_info(
    study: Any,
    evaluator: BaseImportanceEvaluator | None,
    params: list[str] | None,
    target: Target | None,
    target_name: str,
) -> ImportanceBars:
    if target is None and len(study.directions) > 1:
        raise ValueError(
            "If the `study` is being used for multi-objective optimization, please specify the "
            "`target`."
        )
    return _get_importances_infos(study, evaluator, params, target, target_name)[0]
