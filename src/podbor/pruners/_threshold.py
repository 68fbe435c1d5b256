"""Prune a trial whose latest report leaves a fixed range."""

from __future__ import annotations

import math

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_view import StudyView
from podbor._validation import check_optional_real, is_real
from podbor.exceptions import invalid_argument
from podbor.pruners._base import BasePruner
from podbor.pruners._common import StepSchedule

__all__ = ["ThresholdPruner"]


class ThresholdPruner(BasePruner):
    """Stop a trial as soon as its latest report is below ``lower`` or above ``upper``.

    Useful to stop diverging training (a loss above any sensible value). A NaN report is not
    within any range: it prunes (as in Optuna).

    Args:
        lower: Reports below it prune; None for no lower bound.
        upper: Reports above it prune; None for no upper bound.
        n_warmup_steps: No pruning before this step.
        interval_steps: Consider pruning once per this many steps.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(pruner=ThresholdPruner(upper=1e3))
    """

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        owner = "ThresholdPruner"
        for name, bound in (("lower", lower), ("upper", upper)):
            if bound is not None and not is_real(bound):
                raise invalid_argument(
                    name, bound, "a real number or None", owner=owner, wrong_type=True
                )
        self._lower = check_optional_real(lower, "lower", owner=owner)
        self._upper = check_optional_real(upper, "upper", owner=owner)
        if self._lower is None and self._upper is None:
            raise invalid_argument(
                "lower", lower, "a number when upper is None", owner=owner, wrong_type=True
            )
        if self._lower is not None and self._upper is not None and self._lower > self._upper:
            raise invalid_argument("lower", lower, f"<= upper ({upper})", owner=owner)
        self._schedule = StepSchedule.checked(n_warmup_steps, interval_steps, owner=owner)

    def prune(self, study: StudyView, trial: FrozenTrial) -> bool:
        step = self._schedule.step_to_judge(trial)
        if step is None:
            return False
        value = trial.intermediate_values[step]
        if math.isnan(value):
            return True  # as in Optuna: a NaN report is outside every range
        if self._lower is not None and value < self._lower:
            return True
        return self._upper is not None and value > self._upper

    def __repr__(self) -> str:
        return (
            f"ThresholdPruner(lower={self._lower}, upper={self._upper}, "
            f"n_warmup_steps={self._schedule.n_warmup_steps}, "
            f"interval_steps={self._schedule.interval_steps})"
        )
