"""Prune a trial whose learning curve predicts it will not beat the best complete trial."""

from __future__ import annotations

import math

from podbor._learning_curve import PREDICTION_KEY, predict_final
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor._validation import check_int, check_real
from podbor.pruners._base import BasePruner
from podbor.pruners._common import StepSchedule, best_report, single_direction

__all__ = ["LearningCurvePruner"]


class LearningCurvePruner(BasePruner):
    """Stop a trial when its learning curve so far predicts that it will not end better than
    the best complete trial.

    Not in Optuna. At each step the final values of the COMPLETE trials are regressed on two
    features of their curves at that step, the value and how much it moved since half the
    steps (see ``podbor/_learning_curve.py``); a trial whose predicted probability of ending
    better than the best complete trial is below ``probability`` is pruned. Unlike the median
    rule, a trial that is behind now but still improving fast (a small learning rate heading
    for a better plateau) is kept when the complete trials show that such curves end well.

    A pruned trial keeps its prediction in ``trial.system_attrs["learning_curve"]`` (value,
    standard error, step, number of trials fitted), and the GP samplers (the default
    :class:`~podbor.samplers.AutoSampler` and :class:`~podbor.samplers.GPSampler`) take it as
    an observation at that predicted value: pruned trials teach the sampler, and the sampler
    and the pruner agree on what a curve is worth.

    Args:
        probability: In ``(0, 1)``. Prune when the predicted probability of beating the best
            complete trial is below this. Smaller prunes less.
        n_startup_trials: No pruning until this many trials are COMPLETE (at least 4: the
            regression has three coefficients).
        n_warmup_steps: No pruning before this step.
        interval_steps: Consider pruning once per this many steps.

    A trial whose reports are all NaN is pruned, as by Optuna's median pruner. The curve needs
    two reports (at or before the step and at or before half of it) for a prediction; the
    COMPLETE trials need the same, and those whose reports stop earlier are left out. The
    regression takes the latest 1,000 such trials, so a call costs about as much at 10⁴
    trials as at 10³.

    Example:
        >>> import podbor
        >>> def objective(trial):
        ...     rate = trial.suggest_float("rate", 0.1, 10.0, log=True)
        ...     plateau = 0.5 / (1.0 + rate)  # slow learners reach a better plateau
        ...     for epoch in range(1, 21):
        ...         loss = plateau + (1.0 - plateau) / (1.0 + rate * epoch)
        ...         trial.report(loss, epoch)
        ...         if trial.should_prune():
        ...             raise podbor.TrialPruned()
        ...     return loss
        >>> study = podbor.create_study(pruner=LearningCurvePruner())
        >>> study.optimize(objective, n_trials=30)
        >>> pruned = study.get_trials(states=[podbor.trial.TrialState.PRUNED])
        >>> all("learning_curve" in t.system_attrs for t in pruned)
        True
    """

    def __init__(
        self,
        probability: float = 0.05,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        owner = type(self).__name__
        self._probability = check_real(
            probability,
            "probability",
            owner=owner,
            minimum=0.0,
            maximum=1.0,
            include_minimum=False,
            include_maximum=False,
        )
        self._n_startup_trials = check_int(
            n_startup_trials, "n_startup_trials", owner=owner, minimum=4
        )
        self._schedule = StepSchedule.checked(n_warmup_steps, interval_steps, owner=owner)

    def prune(self, study: StudyView, trial: FrozenTrial) -> bool:
        step = self._schedule.step_to_judge(trial)
        if step is None:
            return False
        direction = single_direction(study.directions, type(self).__name__)
        completes = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if len(completes) < self._n_startup_trials:
            return False
        if math.isnan(best_report(trial, direction)):
            return True
        prediction = predict_final(completes, trial, step)
        if prediction is None:  # also when fewer than four complete trials have finite values
            return False
        finals = [t.value for t in completes if t.value is not None and math.isfinite(t.value)]
        minimize = direction == StudyDirection.MINIMIZE
        best = min(finals) if minimize else max(finals)
        if prediction.probability_better(best, minimize=minimize) >= self._probability:
            return False
        study.set_trial_system_attr(trial, PREDICTION_KEY, prediction.to_json())
        return True

    def __repr__(self) -> str:
        return (
            f"LearningCurvePruner(probability={self._probability}, "
            f"n_startup_trials={self._n_startup_trials}, "
            f"n_warmup_steps={self._schedule.n_warmup_steps}, "
            f"interval_steps={self._schedule.interval_steps})"
        )
