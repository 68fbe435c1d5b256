"""Callbacks that ship with podbor."""

from __future__ import annotations

from collections.abc import Container

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor._validation import check_int

__all__ = ["MaxTrialsCallback"]


class MaxTrialsCallback:
    """Stop the study once it holds ``n_trials`` trials in ``states``, counted over all workers.

    ``optimize(n_trials=…)`` counts the trials of one call in one process; this callback gives a
    global budget to every worker sharing a storage.

    Args:
        n_trials: The budget, an int >= 0.
        states: The states that count, ``(COMPLETE,)`` by default; ``None`` counts every trial.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=50,
        ...                callbacks=[MaxTrialsCallback(10)])
        >>> len(study.trials)
        10
    """

    def __init__(
        self, n_trials: int, states: Container[TrialState] | None = (TrialState.COMPLETE,)
    ) -> None:
        self._n_trials = check_int(n_trials, "n_trials", owner="MaxTrialsCallback", minimum=0)
        self._states = states

    def __call__(self, study: StudyView, trial: FrozenTrial) -> None:
        if len(study.get_trials(deepcopy=False, states=self._states)) >= self._n_trials:
            study.stop()
