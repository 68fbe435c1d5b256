"""The pruner that never prunes."""

from __future__ import annotations

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_view import StudyView
from podbor.pruners._base import BasePruner

__all__ = ["NopPruner"]


class NopPruner(BasePruner):
    """Never prune: every trial runs to the end.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(pruner=NopPruner())
    """

    def prune(self, study: StudyView, trial: FrozenTrial) -> bool:
        return False
