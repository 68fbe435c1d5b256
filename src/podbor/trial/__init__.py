"""Trials: the live :class:`Trial` handed to an objective, and immutable records of finished ones.

Example:
    >>> from podbor.trial import FixedTrial
    >>> FixedTrial({"x": 1.5}).suggest_float("x", 0, 2)
    1.5
"""

from podbor._records.fixed_trial import FixedTrial
from podbor._records.frozen_trial import FrozenTrial, create_trial
from podbor._records.trial_state import TrialState
from podbor.trial._trial import BaseTrial, Trial

__all__ = ["BaseTrial", "FixedTrial", "FrozenTrial", "Trial", "TrialState", "create_trial"]
