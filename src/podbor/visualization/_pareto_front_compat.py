"""Optuna's private names for the Pareto-front data, over podbor's plot data.

Scripts and tests written against Optuna build a ``_ParetoFrontInfo`` (trials paired with their
plotted values) and hand it to ``_get_pareto_front_plot``; these adapters translate between that
record and :class:`~podbor.visualization._data._pareto_front.ParetoFrontData`, so both podbor
renderers draw it. New code should use ``pareto_front_data`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_view import StudyView
from podbor.visualization._data._common import COLOR_SCALE
from podbor.visualization._data._fast_hovertext import fast_hovertexts
from podbor.visualization._data._pareto_front import (
    BEST_NAME,
    DOMINATED_NAME,
    INFEASIBLE_COLOR,
    INFEASIBLE_NAME,
    RED_SCALE,
    ParetoFrontData,
    ParetoGroup,
    Targets,
    pareto_front_data,
)

__all__ = ["_ParetoFrontInfo", "_get_pareto_front_info", "to_data"]

_Pairs = list[tuple[FrozenTrial, list[float]]]


class _ParetoFrontInfo(NamedTuple):
    """The Pareto-front plot as Optuna records it: each group as (trial, plotted values) pairs."""

    n_targets: int
    target_names: list[str]
    best_trials_with_values: _Pairs
    non_best_trials_with_values: _Pairs
    infeasible_trials_with_values: _Pairs
    axis_order: list[int]
    include_dominated_trials: bool
    has_constraints: bool


def _get_pareto_front_info(
    study: StudyView,
    target_names: list[str] | None = None,
    include_dominated_trials: bool = True,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    targets: Targets | None = None,
) -> _ParetoFrontInfo:
    """:func:`pareto_front_data` as Optuna's record (the arguments are the same)."""
    data = pareto_front_data(
        study,
        target_names=target_names,
        include_dominated_trials=include_dominated_trials,
        constraints_func=constraints_func,
        targets=targets,
        with_hovertexts=False,
    )
    by_number = {t.number: t for t in study.get_trials(deepcopy=False)}

    def pairs(group: ParetoGroup | None) -> _Pairs:
        if group is None:
            return []
        return [(by_number[int(n)], v) for n, v in zip(group.numbers, group.values.tolist())]

    return _ParetoFrontInfo(
        n_targets=data.n_targets,
        target_names=data.target_names,
        best_trials_with_values=pairs(data.best),
        non_best_trials_with_values=pairs(data.dominated),
        infeasible_trials_with_values=pairs(data.infeasible),
        axis_order=list(range(data.n_targets)),
        include_dominated_trials=include_dominated_trials,
        has_constraints=data.infeasible is not None,
    )


def to_data(info: _ParetoFrontInfo) -> ParetoFrontData:
    """The plot data an Optuna-style record describes (axes in ``info.axis_order``)."""
    order = list(info.axis_order)

    def group(pairs: _Pairs, name: str, scale: list[tuple[float, str]] | None) -> ParetoGroup:
        values = np.array([v for _, v in pairs], dtype=float).reshape(len(pairs), info.n_targets)
        return ParetoGroup(
            name=name,
            numbers=np.array([t.number for t, _ in pairs], dtype=np.int64),
            values=values[:, order],
            hovertexts=fast_hovertexts([t for t, _ in pairs]),
            color_scale=scale,
            color=None if scale is not None else INFEASIBLE_COLOR,
        )

    return ParetoFrontData(
        n_targets=info.n_targets,
        target_names=[info.target_names[i] for i in order],
        best=group(info.best_trials_with_values, BEST_NAME, RED_SCALE),
        dominated=(
            group(info.non_best_trials_with_values, DOMINATED_NAME, COLOR_SCALE)
            if info.include_dominated_trials
            else None
        ),
        infeasible=(
            group(info.infeasible_trials_with_values, INFEASIBLE_NAME, None)
            if info.has_constraints
            else None
        ),
        message=None,
    )
