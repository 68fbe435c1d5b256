"""Prune a trial whose best report is worse than a percentile of the other trials at that step."""

from __future__ import annotations

import math

import numpy as np

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor._validation import check_int, check_real
from podbor.pruners._base import BasePruner
from podbor.pruners._common import StepSchedule, best_report, single_direction

__all__ = ["MedianPruner", "PercentilePruner"]


class PercentilePruner(BasePruner):
    """Stop a trial whose best report so far is worse than the ``percentile``-th best of the
    COMPLETE trials' reports at the same step.

    Args:
        percentile: In ``[0, 100]``; 25 keeps only trials in the best quarter. For minimization
            a trial is pruned above the percentile, for maximization below ``100 - percentile``.
        n_startup_trials: No pruning until this many trials are COMPLETE.
        n_warmup_steps: No pruning before this step.
        interval_steps: Consider pruning once per this many steps.
        n_min_trials: No pruning at a step that fewer COMPLETE trials reported.

    As in Optuna, a trial whose reports so far are all NaN is pruned (once a trial is
    COMPLETE), and NaN reports of the COMPLETE trials are left out of the percentile.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(pruner=PercentilePruner(25.0, n_startup_trials=5))
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        owner = type(self).__name__
        self._percentile = check_real(
            percentile, "percentile", owner=owner, minimum=0.0, maximum=100.0
        )
        self._n_startup_trials = check_int(
            n_startup_trials, "n_startup_trials", owner=owner, minimum=0
        )
        self._schedule = StepSchedule.checked(n_warmup_steps, interval_steps, owner=owner)
        self._n_min_trials = check_int(n_min_trials, "n_min_trials", owner=owner, minimum=1)

    def prune(self, study: StudyView, trial: FrozenTrial) -> bool:
        step = self._schedule.step_to_judge(trial)
        if step is None:
            return False
        direction = single_direction(study.directions, type(self).__name__)
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not complete or len(complete) < self._n_startup_trials:
            return False
        best = best_report(trial, direction)
        if math.isnan(best):
            return True
        at_step = np.array(
            [t.intermediate_values[step] for t in complete if step in t.intermediate_values],
            dtype=float,
        )
        at_step = at_step[~np.isnan(at_step)]
        if at_step.size < max(self._n_min_trials, 1):
            return False
        if direction == StudyDirection.MAXIMIZE:
            return bool(best < np.percentile(at_step, 100.0 - self._percentile))
        return bool(best > np.percentile(at_step, self._percentile))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(percentile={self._percentile}, "
            f"n_startup_trials={self._n_startup_trials}, "
            f"n_warmup_steps={self._schedule.n_warmup_steps}, "
            f"interval_steps={self._schedule.interval_steps}, n_min_trials={self._n_min_trials})"
        )


class MedianPruner(PercentilePruner):
    """Stop a trial whose best report so far is worse than the median of the COMPLETE trials'
    reports at the same step (:class:`PercentilePruner` with ``percentile=50``).

    Example:
        >>> import podbor
        >>> study = podbor.create_study(pruner=MedianPruner(n_startup_trials=5, n_warmup_steps=2))
    """

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(
            50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials=n_min_trials
        )

    def __repr__(self) -> str:
        return (
            f"MedianPruner(n_startup_trials={self._n_startup_trials}, "
            f"n_warmup_steps={self._schedule.n_warmup_steps}, "
            f"interval_steps={self._schedule.interval_steps}, "
            f"n_min_trials={self._n_min_trials})"
        )
