"""Trials: the live :class:`Trial` handed to an objective, and immutable records of finished ones.

Example:
    >>> from podbor.trial import FixedTrial
    >>> FixedTrial({"x": 1.5}).suggest_float("x", 0, 2)
    1.5
"""

from podbor.trial._fixed import FixedTrial
from podbor.trial._frozen import FrozenTrial, create_trial
from podbor.trial._state import TrialState
from podbor.trial._trial import BaseTrial, Trial

__all__ = ["BaseTrial", "FixedTrial", "FrozenTrial", "Trial", "TrialState", "create_trial"]
