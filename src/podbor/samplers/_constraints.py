"""Constraints of a sampler: evaluating ``constraints_func`` after a trial, and the violation of
each trial (shared by the NSGA-II, TPE and GP samplers).

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

from podbor._deprecated import warn_deprecated
from podbor._records.base_trial import CONSTRAINTS_KEY, constraints_from_system_attrs
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor._validation import is_real
from podbor.exceptions import InvalidArgumentError

__all__ = [
    "ConstraintsFunc",
    "NSGAIIAfterTrialStrategy",
    "evaluate_constraints",
    "total_violation",
    "violations",
    "warn_deprecated_constraints_func",
]

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


def total_violation(trial: FrozenTrial) -> float:
    """The sum of the positive constraint values of ``trial`` (0 when feasible or unconstrained).

    A NaN value counts as an infinite violation.

    Example:
        >>> from podbor.trial import create_trial
        >>> total_violation(create_trial(value=0.0, system_attrs={"constraints": [0.5, 2, -1]}))
        2.5
    """
    values = constraints_from_system_attrs(trial.system_attrs).values()
    if any(math.isnan(v) for v in values):
        return math.inf
    return float(sum(v for v in values if v > 0))


def warn_deprecated_constraints_func(
    constraints_func: Any, owner: str, *, stacklevel: int = 3
) -> None:
    """Warn (``FutureWarning``, as Optuna 5.0) when ``constraints_func`` is given to ``owner``;
    ``stacklevel`` 3 is the line that called ``owner``'s ``__init__``."""
    if constraints_func is not None:
        warn_deprecated(
            f"{owner}'s 'constraints_func' argument",
            since="0.1.0",
            removed_in="a future version",
            replacement="Trial.set_constraint",
            stacklevel=stacklevel,
        )


def evaluate_constraints(
    constraints_func: ConstraintsFunc,
    study: StudyView,
    trial: FrozenTrial,
    state: TrialState,
    *,
    owner: str = "NSGAIISampler",
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
            f"The 'constraints_func' parameter of {owner} must return a sequence of "
            f"floats. Got {returned!r} instead (trial {trial.number})."
        )
    values = list(returned)
    if not all(is_real(v) for v in values) or any(math.isnan(float(v)) for v in values):
        raise InvalidArgumentError(
            f"The 'constraints_func' parameter of {owner} must return real numbers, "
            f"none of them NaN. Got {values!r} instead (trial {trial.number})."
        )
    study.set_trial_system_attr(trial, CONSTRAINTS_KEY, [float(v) for v in values])


class NSGAIIAfterTrialStrategy:
    """The default after-trial step: store the constraints of ``constraints_func``, if any.

    Args:
        constraints_func: The user's function, or None.
        owner: The sampler named in the errors of a bad ``constraints_func`` return.

    Example:
        >>> NSGAIIAfterTrialStrategy()(None, None, TrialState.FAIL)  # nothing to do
    """

    def __init__(
        self, *, constraints_func: ConstraintsFunc | None = None, owner: str = "NSGAIISampler"
    ) -> None:
        self._constraints_func = constraints_func
        self._owner = owner

    def __call__(
        self,
        study: Any,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None = None,
    ) -> None:
        if self._constraints_func is not None:
            evaluate_constraints(self._constraints_func, study, trial, state, owner=self._owner)
