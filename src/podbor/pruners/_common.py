"""Helpers shared by the pruners: the study's direction and reading a trial's reports.

Arguments are checked with :mod:`podbor._validation`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_direction import StudyDirection
from podbor._validation import check_int

__all__ = ["StepSchedule", "best_report", "is_first_in_interval", "single_direction"]


def single_direction(directions: Sequence[StudyDirection], owner: str) -> StudyDirection:
    """The study's only direction; pruning is defined for single-objective studies."""
    if len(directions) != 1:
        raise NotImplementedError(f"{owner} does not support multi-objective studies.")
    return directions[0]


def best_report(trial: FrozenTrial, direction: StudyDirection) -> float:
    """The trial's best non-NaN report so far (NaN when it has none)."""
    values = [v for v in trial.intermediate_values.values() if not math.isnan(v)]
    if not values:
        return math.nan
    return max(values) if direction == StudyDirection.MAXIMIZE else min(values)


def is_first_in_interval(
    trial: FrozenTrial, step: int, n_warmup_steps: int, interval_steps: int
) -> bool:
    """True when ``step`` is the first step the trial reported in its interval window.

    Windows are ``[n_warmup_steps + k * interval_steps, … + interval_steps)``; pruning is
    considered once per window, so a trial that reports every step is judged every
    ``interval_steps`` steps.
    """
    window = (step - n_warmup_steps) // interval_steps
    return not any(
        s < step and s >= n_warmup_steps and (s - n_warmup_steps) // interval_steps == window
        for s in trial.intermediate_values
    )


@dataclass(frozen=True)
class StepSchedule:
    """When a pruner judges a trial: not before ``n_warmup_steps``, and once per interval of
    ``interval_steps`` steps (:func:`is_first_in_interval`). Build it with :meth:`checked`.

    Example:
        >>> from podbor.trial import create_trial
        >>> schedule = StepSchedule.checked(2, 1, owner="MyPruner")
        >>> schedule.step_to_judge(create_trial(value=0.0, intermediate_values={0: 1.0, 1: 0.5}))
        >>> schedule.step_to_judge(create_trial(value=0.0, intermediate_values={2: 0.4}))
        2
    """

    n_warmup_steps: int
    interval_steps: int

    @classmethod
    def checked(cls, n_warmup_steps: int, interval_steps: int, *, owner: str) -> StepSchedule:
        """The schedule, with a clear error naming a negative warm-up or an interval below 1."""
        return cls(
            check_int(n_warmup_steps, "n_warmup_steps", owner=owner, minimum=0),
            check_int(interval_steps, "interval_steps", owner=owner, minimum=1),
        )

    def step_to_judge(self, trial: FrozenTrial) -> int | None:
        """The trial's last step if the pruner judges the trial now, else None."""
        step = trial.last_step
        if step is None or step < self.n_warmup_steps:
            return None
        if not is_first_in_interval(trial, step, self.n_warmup_steps, self.interval_steps):
            return None
        return step
