"""The numbers behind ``plot_intermediate_values``: the learning curve each trial reported.

Backend-free (numpy only). Every COMPLETE, PRUNED or RUNNING trial that reported at least one
intermediate value gives one curve, its points sorted by step; trials that reported nothing
and failed trials are left out. The curves are stored flat (all points of all trials in two
arrays, with offsets), so a renderer can draw thousands of them as one collection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor.logging import get_logger

__all__ = ["IntermediateValuesData", "intermediate_values_data"]

_logger = get_logger(__name__)

NO_TRIALS_MESSAGE = "Study instance does not contain trials."
NO_VALUES_MESSAGE = (
    "No trial reported an intermediate value: report them with trial.report(value, step) "
    "(as pruning does) to use plot_intermediate_values."
)


@dataclass(frozen=True)
class IntermediateValuesData:
    """Everything an intermediate-values figure shows, one curve per trial.

    Attributes:
        trial_numbers: The number of each plotted trial, ascending, shape ``(k,)``.
        feasible: True where the trial satisfies its constraints (or has none), ``(k,)``.
        offsets: Trial ``i``'s points are ``steps[offsets[i]:offsets[i + 1]]``, ``(k + 1,)``.
        steps: The report steps of all curves, each curve's ascending, ``(m,)``.
        values: The reported values, aligned with ``steps``, ``(m,)``.
        message: Why the plot is empty (None when it is not).
    """

    trial_numbers: npt.NDArray[np.int64]
    feasible: npt.NDArray[np.bool_]
    offsets: npt.NDArray[np.int64]
    steps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    message: str | None

    def curve(self, i: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The steps and values of the ``i``-th plotted trial."""
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.steps[lo:hi], self.values[lo:hi]


def _feasible(trial: FrozenTrial) -> bool:
    if not trial.system_attrs:
        return True
    return all(v <= 0.0 for v in trial.constraints.values())


def _empty(message: str) -> IntermediateValuesData:
    _logger.warning(message)
    return IntermediateValuesData(
        trial_numbers=np.zeros(0, dtype=np.int64),
        feasible=np.zeros(0, dtype=bool),
        offsets=np.zeros(1, dtype=np.int64),
        steps=np.zeros(0, dtype=np.int64),
        values=np.zeros(0, dtype=float),
        message=message,
    )


def intermediate_values_data(study: StudyView) -> IntermediateValuesData:
    """Each reporting trial's intermediate values, sorted by step.

    Args:
        study: The study; COMPLETE, PRUNED and RUNNING trials with reports are plotted.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> study.add_trial(podbor.trial.create_trial(value=0.5, intermediate_values={1: 0.7, 0: 0.9}))
        >>> study.add_trial(podbor.trial.create_trial(value=0.4))  # reported nothing: left out
        >>> data = intermediate_values_data(study)
        >>> data.trial_numbers.tolist(), data.curve(0)[0].tolist(), data.curve(0)[1].tolist()
        ([0], [0, 1], [0.9, 0.7])
    """
    trials = study.get_trials(
        deepcopy=False, states=(TrialState.PRUNED, TrialState.COMPLETE, TrialState.RUNNING)
    )
    if not trials:
        return _empty(NO_TRIALS_MESSAGE)
    reporting = sorted((t for t in trials if t.intermediate_values), key=lambda t: t.number)
    if not reporting:
        return _empty(NO_VALUES_MESSAGE)
    counts = np.array([len(t.intermediate_values) for t in reporting], dtype=np.int64)
    steps = np.fromiter(
        (s for t in reporting for s in t.intermediate_values), dtype=np.int64, count=counts.sum()
    )
    values = np.fromiter(
        (v for t in reporting for v in t.intermediate_values.values()),
        dtype=float,
        count=counts.sum(),
    )
    # Sort each trial's points by step: by (trial index, step) over the flat arrays.
    owner = np.repeat(np.arange(len(reporting)), counts)
    order = np.lexsort((steps, owner))
    return IntermediateValuesData(
        trial_numbers=np.array([t.number for t in reporting], dtype=np.int64),
        feasible=np.array([_feasible(t) for t in reporting], dtype=bool),
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        steps=steps[order],
        values=values[order],
        message=None,
    )
