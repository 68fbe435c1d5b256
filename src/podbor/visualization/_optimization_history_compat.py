"""Optuna's private names for the optimization-history data, over podbor's plot data.

Scripts and tests written against Optuna build ``_OptimizationHistoryInfo`` lists and hand them to
``_get_optimization_history_plot``; these adapters translate between those plain-list records
and :class:`~podbor.visualization._data._optimization_history.HistorySeries`, so both podbor
renderers draw them. New code should use ``optimization_history_data`` instead.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from podbor._study_view import StudyView
from podbor.visualization._data._common import Target
from podbor.visualization._data._optimization_history import (
    HistorySeries,
    OptimizationHistoryData,
    optimization_history_data,
)

__all__ = [
    "_OptimizationHistoryInfo",
    "_ValueState",
    "_ValuesInfo",
    "_get_optimization_history_info_list",
    "from_infos",
]


class _ValueState(enum.Enum):
    """Whether a point is drawn in colour, greyed out, or not at all."""

    Feasible = 0
    Infeasible = 1
    Incomplete = 2


@dataclass
class _ValuesInfo:
    """One line of points as plain lists: values, their errors, legend name, states."""

    values: list[float]
    stds: list[float] | None
    label_name: str
    states: list[_ValueState]


@dataclass
class _OptimizationHistoryInfo:
    """A study's history as plain lists: trial numbers, values, and the best line."""

    trial_numbers: list[int]
    values_info: _ValuesInfo
    best_values_info: _ValuesInfo | None


def _states(series: HistorySeries) -> list[_ValueState]:
    codes = np.where(series.complete, np.where(series.feasible, 0, 1), 2)
    return [_ValueState(c) for c in codes.tolist()]


def _errors(errors: np.ndarray | None) -> list[float] | None:
    return None if errors is None else errors.tolist()


def _to_info(series: HistorySeries) -> _OptimizationHistoryInfo:
    states = _states(series)
    best = None
    if series.best_values is not None:
        best = _ValuesInfo(
            series.best_values.tolist(),
            _errors(series.best_errors),
            series.best_label or "",
            states,
        )
    return _OptimizationHistoryInfo(
        series.numbers.tolist(),
        _ValuesInfo(series.values.tolist(), _errors(series.value_errors), series.label, states),
        best,
    )


def _to_series(info: _OptimizationHistoryInfo) -> HistorySeries:
    states = np.array([s.value for s in info.values_info.states], dtype=np.int64)
    best = info.best_values_info

    def array(values: list[float] | None) -> np.ndarray | None:
        return None if values is None else np.asarray(values, dtype=float)

    return HistorySeries(
        numbers=np.asarray(info.trial_numbers, dtype=np.int64),
        values=np.asarray(info.values_info.values, dtype=float),
        value_errors=array(info.values_info.stds),
        label=info.values_info.label_name,
        complete=states != _ValueState.Incomplete.value,
        feasible=states != _ValueState.Infeasible.value,
        best_values=None if best is None else array(best.values),
        best_errors=None if best is None else array(best.stds),
        best_label=None if best is None else best.label_name,
    )


def from_infos(
    info_list: Sequence[_OptimizationHistoryInfo], target_name: str
) -> OptimizationHistoryData:
    """Optuna-style records as podbor's plot data (what both renderers draw)."""
    return OptimizationHistoryData([_to_series(i) for i in info_list], target_name, None)


def _get_optimization_history_info_list(
    study: StudyView | Sequence[StudyView],
    target: Target | None,
    target_name: str,
    error_bar: bool,
) -> list[_OptimizationHistoryInfo]:
    """The history of each study (or the averaged one) as Optuna-style records."""
    data = optimization_history_data(
        study, target=target, target_name=target_name, error_bar=error_bar
    )
    return [_to_info(s) for s in data.series]
