"""``plot_sampler_decisions`` with matplotlib: the default sampler's strategy per trial, under
the objective's progress.

The data comes from
:func:`~podbor.visualization._data._sampler_decisions.sampler_decisions_data`; this module only
draws it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from podbor._study_view import StudyView
from podbor.visualization._data._common import DEFAULT_TARGET_NAME, Target
from podbor.visualization._data._sampler_decisions import (
    MAX_BANDS,
    SamplerDecisionsData,
    sampler_decisions_data,
)
from podbor.visualization.matplotlib._matplotlib_imports import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_sampler_decisions"]

_MAX_LABELLED = 12
"""Switches are labelled with the new strategy up to this many."""


def _draw_values(ax: Axes, data: SamplerDecisionsData) -> None:
    for k, color in enumerate(data.colors):
        shown = (data.strategy_index == k) & np.isfinite(data.values)
        ax.scatter(data.numbers[shown], data.values[shown], color=color, s=14, zorder=3)
    if np.isfinite(data.best).any():
        ax.step(data.numbers, data.best, where="post", color="#d62728", label="Best Value")
        ax.legend(loc="best", fontsize="small")
    ax.set_ylabel(data.target_name)


def _draw_strategies(ax: Axes, data: SamplerDecisionsData) -> None:
    for k, (strategy, color) in enumerate(zip(data.strategy_order, data.colors)):
        mine = data.strategy_index == k
        ax.scatter(
            data.numbers[mine],
            np.full(int(mine.sum()), k),
            color=color,
            marker="|",
            s=120,
            linewidths=2,
            label=strategy,
        )
    ax.set_yticks(range(len(data.strategy_order)))
    ax.set_yticklabels(data.strategy_order)
    ax.set_ylim(-0.6, len(data.strategy_order) - 0.4)
    ax.set_ylabel("Strategy")
    ax.set_xlabel("Trial")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", title="Strategy")


def _draw_bands(axes: tuple[Axes, ...], data: SamplerDecisionsData) -> None:
    if len(data.runs) > MAX_BANDS:
        return
    color = dict(zip(data.strategy_order, data.colors))
    for ax in axes:
        for run in data.runs:
            ax.axvspan(run.first - 0.5, run.last + 0.5, color=color[run.strategy], alpha=0.08)
        for switch in data.switches:
            ax.axvline(switch.number - 0.5, color="#555555", lw=0.8, ls=":")
    if len(data.switches) <= _MAX_LABELLED:  # a static image has no hover: name each switch
        for switch in data.switches:
            axes[0].annotate(
                f"→ {switch.after}",
                xy=(switch.number - 0.5, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -2),
                textcoords="offset points",
                fontsize="x-small",
                rotation=90,
                va="top",
            )


def plot_sampler_decisions(
    study: StudyView,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> tuple[Axes, Axes]:
    """Plot the default sampler's strategy for every trial with matplotlib, under the objective.

    See :func:`podbor.visualization.plot_sampler_decisions`; this draws the same data: the top
    panel shows each complete trial's value (coloured by strategy) and the best so far, the
    bottom one the strategy per trial, with each run of one strategy shaded and each switch
    marked. A study without AutoSampler decisions gives empty panels with a message.

    Args:
        study: The study.
        target: The value to show for each complete trial; by default the objective value (none
            for several objectives).
        target_name: The label of that value.

    Returns:
        The value Axes and the strategy Axes.

    Raises:
        ImportError: If matplotlib is not installed (``pip install 'podbor[plot]'``).

    Example:
        >>> import podbor
        >>> from podbor.visualization.matplotlib import plot_sampler_decisions
        >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
        >>> sampler = podbor.samplers.AutoSampler(seed=0, max_overhead_fraction=None)
        >>> study = podbor.create_study(sampler=sampler)
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=7)
        >>> top, bottom = plot_sampler_decisions(study)
        >>> [label.get_text() for label in bottom.get_yticklabels()]
        ['qmc', 'gp']
        >>> podbor.logging.set_verbosity(podbor.logging.INFO)
    """
    plt = require("plot_sampler_decisions")
    data = sampler_decisions_data(study, target=target, target_name=target_name)
    with plt.style.context("ggplot"):
        fig, (top, bottom) = plt.subplots(
            2, 1, sharex=True, figsize=(9.0, 5.5), gridspec_kw={"height_ratios": [2.0, 1.0]}
        )
        fig.suptitle(data.title)
        if data.message is not None:
            top.text(
                0.5, 0.5, data.message, ha="center", va="center", wrap=True, transform=top.transAxes
            )
            return top, bottom
        _draw_values(top, data)
        _draw_strategies(bottom, data)
        _draw_bands((top, bottom), data)
        fig.tight_layout()
    return top, bottom
