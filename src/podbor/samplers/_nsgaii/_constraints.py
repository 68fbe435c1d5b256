"""Constraints of a genetic sampler: evaluating ``constraints_func`` after a trial, and the
violation of each trial of a population.

Constraint values are stored as Optuna keeps them: the list of values under the trial system
attribute ``"constraints"`` (``Trial.set_constraint`` adds named ones); a value > 0 violates.

Example:
    >>> from podbor.trial import create_trial
    >>> trials = [create_trial(value=0.0, system_attrs={"constraints": [0.5, -1.0]}),
    ...           create_trial(value=1.0, system_attrs={"constraints": [-2.0]})]
    >>> violations(trials, expect_constraints=False).tolist()
    [0.5, 0.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from podbor._records.base_trial import CONSTRAINTS_KEY, constraints_from_system_attrs
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor._validation import is_real
from podbor.exceptions import InvalidArgumentError

__all__ = ["NSGAIIAfterTrialStrategy", "evaluate_constraints", "violations"]

ConstraintsFunc = Callable[[FrozenTrial], Sequence[float]]


def violations(
    trials: Sequence[FrozenTrial], *, expect_constraints: bool
) -> npt.NDArray[np.float64] | None:
    """``(n,)`` summed positive constraint values of ``trials``, or None when none has any.

    A trial without constraints counts as infinitely violating when ``expect_constraints``
    (a ``constraints_func`` was given, so its values are missing), else as feasible. A NaN
    value counts as an infinite violation.
    """
    recorded = [constraints_from_system_attrs(t.system_attrs) for t in trials]
    if not expect_constraints and not any(recorded):
        return None
    out = np.empty(len(trials))
    for i, values in enumerate(recorded):  # a population, not the history
        if not values:
            out[i] = math.inf if expect_constraints else 0.0
            continue
        array = np.asarray(list(values.values()), dtype=float)
        out[i] = math.inf if np.isnan(array).any() else float(np.maximum(array, 0.0).sum())
    return out


def evaluate_constraints(
    constraints_func: ConstraintsFunc, study: StudyView, trial: FrozenTrial, state: TrialState
) -> None:
    """Run ``constraints_func`` on a COMPLETE or PRUNED trial and store its values.

    Raises:
        InvalidArgumentError: (a ``ValueError``) the function returned something other than a
            sequence of real numbers, or a NaN. Nothing is stored then.
    """
    if state not in (TrialState.COMPLETE, TrialState.PRUNED):
        return
    returned: Any = constraints_func(trial)
    if isinstance(returned, (str, bytes)) or not isinstance(returned, (Sequence, np.ndarray)):
        raise InvalidArgumentError(
            "The 'constraints_func' parameter of NSGAIISampler must return a sequence of "
            f"floats. Got {returned!r} instead (trial {trial.number})."
        )
    values = list(returned)
    if not all(is_real(v) for v in values) or any(math.isnan(float(v)) for v in values):
        raise InvalidArgumentError(
            "The 'constraints_func' parameter of NSGAIISampler must return real numbers, "
            f"none of them NaN. Got {values!r} instead (trial {trial.number})."
        )
    study.set_trial_system_attr(trial, CONSTRAINTS_KEY, [float(v) for v in values])


class NSGAIIAfterTrialStrategy:
    """The default after-trial step: store the constraints of ``constraints_func``, if any.

    Args:
        constraints_func: The user's function, or None.

    Example:
        >>> NSGAIIAfterTrialStrategy()(None, None, TrialState.FAIL)  # nothing to do
    """

    def __init__(self, *, constraints_func: ConstraintsFunc | None = None) -> None:
        self._constraints_func = constraints_func

    def __call__(
        self,
        study: Any,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None = None,
    ) -> None:
        if self._constraints_func is not None:
            evaluate_constraints(self._constraints_func, study, trial, state)
