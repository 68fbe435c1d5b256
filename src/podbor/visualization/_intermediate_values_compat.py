"""Optuna's private names for the intermediate-values data, over podbor's plot data.

Scripts and tests written against Optuna build ``_IntermediatePlotInfo`` records and hand them to
``_get_intermediate_plot``; these adapters translate between those plain-list records and
:class:`~podbor.visualization._data._intermediate_values.IntermediateValuesData`, so both podbor
renderers draw them. New code should use ``intermediate_values_data`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from podbor._study_view import StudyView
from podbor.visualization._data._intermediate_values import (
    IntermediateValuesData,
    intermediate_values_data,
)

__all__ = ["_IntermediatePlotInfo", "_TrialInfo", "_get_intermediate_plot_info", "from_info"]


@dataclass
class _TrialInfo:
    """One trial's curve as a list of ``(step, value)`` pairs, ascending by step."""

    trial_number: int
    sorted_intermediate_values: list[tuple[int, float]]
    feasible: bool


@dataclass
class _IntermediatePlotInfo:
    """Every plotted trial's curve."""

    trial_infos: list[_TrialInfo]


def _get_intermediate_plot_info(study: StudyView) -> _IntermediatePlotInfo:
    """The study's curves as Optuna-style records."""
    data = intermediate_values_data(study)
    infos = []
    for i, number in enumerate(data.trial_numbers.tolist()):
        steps, values = data.curve(i)
        pairs = list(zip(steps.tolist(), values.tolist()))
        infos.append(_TrialInfo(number, pairs, bool(data.feasible[i])))
    return _IntermediatePlotInfo(infos)


def from_info(info: _IntermediatePlotInfo) -> IntermediateValuesData:
    """Optuna-style records as podbor's plot data (each curve sorted by step)."""
    curves = [sorted(t.sorted_intermediate_values) for t in info.trial_infos]
    counts = [len(c) for c in curves]
    return IntermediateValuesData(
        trial_numbers=np.array([t.trial_number for t in info.trial_infos], dtype=np.int64),
        feasible=np.array([t.feasible for t in info.trial_infos], dtype=bool),
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        steps=np.array([s for c in curves for s, _ in c], dtype=np.int64),
        values=np.array([v for c in curves for _, v in c], dtype=float),
        message=None,
    )
