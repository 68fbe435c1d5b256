"""Helpers shared by the pruners: the study's direction and reading a trial's reports.

Arguments are checked with :mod:`podbor._validation`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_direction import StudyDirection

__all__ = ["best_report", "is_first_in_interval", "single_direction", "step_to_judge"]


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


def step_to_judge(trial: FrozenTrial, n_warmup_steps: int, interval_steps: int) -> int | None:
    """The trial's last step if a pruner with these settings judges the trial now, else None:
    not before ``n_warmup_steps``, and once per interval (:func:`is_first_in_interval`)."""
    step = trial.last_step
    if step is None or step < n_warmup_steps:
        return None
    if not is_first_in_interval(trial, step, n_warmup_steps, interval_steps):
        return None
    return step
