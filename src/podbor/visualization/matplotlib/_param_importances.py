"""``plot_param_importances`` with matplotlib: a horizontal bar per parameter, one colour per target.

The numbers come from :func:`~podbor.visualization._data._param_importances.param_importances_data`;
this module only draws them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from podbor.importance import BaseImportanceEvaluator
from podbor.visualization._data._common import DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._param_importances import (
    ParamImportancesData,
    param_importances_data,
)
from podbor.visualization.matplotlib._matplotlib_imports import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_param_importances"]


def _axes(data: ParamImportancesData) -> Axes:
    plt = require()
    with plt.style.context("ggplot"):
        ax: Axes = plt.subplots()[1]
        ax.set_title("Hyperparameter Importances")
        ax.set_xlabel("Hyperparameter Importance")
        ax.set_ylabel("Hyperparameter")
        order = next((b.param_names for b in data.bars if b.param_names), [])
        if not order:
            return ax
        cmap = plt.get_cmap("tab10")
        n_sets = len(data.bars)
        height = 0.8 / n_sets
        base = np.arange(len(order), dtype=float)
        for i, bars in enumerate(data.bars):
            found = dict(zip(bars.param_names, zip(bars.importance_values, bars.importance_labels)))
            values = [found.get(name, (0.0, ""))[0] for name in order]
            labels = [found.get(name, (0.0, ""))[1] for name in order]
            offset = (i - (n_sets - 1) / 2) * height
            container = ax.barh(
                base + offset,
                values,
                height=height,
                color=cmap(i % 10),
                label=bars.target_name,
                align="center",
            )
            ax.bar_label(container, labels=labels, padding=3, fontsize=8)
        ax.set_yticks(base)
        ax.set_yticklabels(order)
        ax.set_xlim(
            0.0,
            1.1 * max(1e-12, max(max(b.importance_values, default=0.0) for b in data.bars)) + 0.05,
        )
        if n_sets > 1:
            ax.legend(loc="lower right")
    return ax


def plot_param_importances(
    study: Any,
    evaluator: BaseImportanceEvaluator | None = None,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Axes:
    """Plot each parameter's importance as a horizontal bar, the most important on top.

    The same data as :func:`podbor.visualization.plot_param_importances`; on a multi-objective
    study without ``target``, one bar per objective and parameter, side by side.

    Args:
        study: An optimized study.
        evaluator: The importance algorithm; None for
            :class:`~podbor.importance.PedAnovaImportanceEvaluator`.
        params: The parameters to show; None for the evaluator's default set.
        target: What to explain (e.g. ``lambda t: t.values[0]``); None for the objective(s).
        target_name: The target's name (legend).

    Returns:
        The ``matplotlib.axes.Axes`` drawn on; with no bars when no trial is COMPLETE.

    Raises:
        ValueError: a parameter of ``params`` that no COMPLETE trial has.
        ImportError: matplotlib is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> from podbor.visualization.matplotlib import plot_param_importances
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + 0 * t.suggest_int("n", 0, 3),
        ...                n_trials=30)
        >>> ax = plot_param_importances(study)
        >>> [t.get_text() for t in ax.get_yticklabels()], len(ax.patches)
        (['n', 'x'], 2)
    """
    require()
    return _axes(
        param_importances_data(study, evaluator, params, target=target, target_name=target_name)
    )
