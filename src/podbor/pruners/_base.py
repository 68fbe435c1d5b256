"""The contract every pruner fulfils.

``prune(study, trial)`` is called from ``Trial.should_prune`` with a snapshot of the running
trial, whose ``intermediate_values`` hold its reports so far. It returns True when the trial
should stop.

Contract, for every implementation:

* Deterministic: the same study history and the same trial give the same answer.
* Direction-aware: "better" follows the study's direction.
* Never prunes a trial that has reported nothing, and ignores NaN reports when comparing.
* Sees the study only through ``StudyView``.
"""

from __future__ import annotations

import abc

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_view import StudyView

__all__ = ["BasePruner"]


class BasePruner(abc.ABC):
    """Abstract base of all pruners."""

    @abc.abstractmethod
    def prune(self, study: StudyView, trial: FrozenTrial) -> bool:
        """Return True when ``trial`` should stop now."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
