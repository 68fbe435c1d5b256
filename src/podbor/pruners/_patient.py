"""Tolerate a plateau: prune only after ``patience`` steps without improvement."""

from __future__ import annotations

import numpy as np

from podbor._deprecated import experimental
from podbor._records.frozen_trial import FrozenTrial
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor._validation import check_instance, check_int, check_real
from podbor.pruners._base import BasePruner
from podbor.pruners._common import single_direction

__all__ = ["PatientPruner"]


@experimental("0.1.0")
class PatientPruner(BasePruner):
    """Ask the wrapped pruner only once the trial has not improved for ``patience`` steps.

    The trial has stalled when the best of its last ``patience + 1`` reports is worse, by more
    than ``min_delta``, than the best report before them (NaN reports are ignored). A stalled
    trial is pruned when the wrapped pruner agrees (or always, if ``wrapped_pruner`` is None).

    Args:
        wrapped_pruner: The pruner consulted once the trial stalls, or None.
        patience: Steps without improvement to tolerate, an int >= 0.
        min_delta: Improvements smaller than this do not count, a number >= 0.

    Example:
        >>> import podbor
        >>> pruner = PatientPruner(podbor.pruners.MedianPruner(), patience=3)
    """

    def __init__(
        self, wrapped_pruner: BasePruner | None, patience: int, min_delta: float = 0.0
    ) -> None:
        owner = "PatientPruner"
        self._wrapped: BasePruner | None = check_instance(
            wrapped_pruner,
            "wrapped_pruner",
            BasePruner,
            owner=owner,
            allowed="a BasePruner",
            allow_none=True,
        )
        self._patience = check_int(patience, "patience", owner=owner, minimum=0)
        self._min_delta = check_real(min_delta, "min_delta", owner=owner, minimum=0.0)

    def prune(self, study: StudyView, trial: FrozenTrial) -> bool:
        if trial.last_step is None:
            return False
        direction = single_direction(study.directions, type(self).__name__)
        steps = sorted(trial.intermediate_values)
        if len(steps) <= self._patience + 1:
            return False
        values = np.array([trial.intermediate_values[s] for s in steps], dtype=float)
        before, recent = values[: -self._patience - 1], values[-self._patience - 1 :]
        if np.all(np.isnan(before)) or np.all(np.isnan(recent)):
            return False
        # As Optuna's tests define it: stalled once the recent best falls behind the earlier best
        # by more than ``min_delta`` (a tie, or a loss within ``min_delta``, is tolerated).
        if direction == StudyDirection.MAXIMIZE:
            stalled = np.nanmax(recent) < np.nanmax(before) - self._min_delta
        else:
            stalled = np.nanmin(recent) > np.nanmin(before) + self._min_delta
        if not stalled:
            return False
        return True if self._wrapped is None else self._wrapped.prune(study, trial)

    def __repr__(self) -> str:
        return (
            f"PatientPruner({self._wrapped!r}, patience={self._patience}, "
            f"min_delta={self._min_delta})"
        )
