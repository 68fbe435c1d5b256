"""Read-only descriptions of a study, as storages list them (core layer)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_direction import StudyDirection

__all__ = ["FrozenStudy", "StudySummary"]


class FrozenStudy:
    """A study's name, directions and attributes, without its trials.

    Example:
        >>> s = FrozenStudy("s", [StudyDirection.MINIMIZE], {}, {}, 0)
        >>> s.direction
        StudyDirection.MINIMIZE
    """

    def __init__(
        self,
        study_name: str,
        directions: Sequence[StudyDirection],
        user_attrs: dict[str, Any],
        system_attrs: dict[str, Any],
        study_id: int,
    ) -> None:
        self.study_name = study_name
        self._directions = list(directions)
        self.user_attrs = user_attrs
        self.system_attrs = system_attrs
        self._study_id = study_id

    @property
    def direction(self) -> StudyDirection:
        """The single direction; raises for a multi-objective study."""
        if len(self._directions) > 1:
            raise RuntimeError("This study has several directions; use .directions instead.")
        return self._directions[0]

    @property
    def directions(self) -> list[StudyDirection]:
        """One direction per objective."""
        return list(self._directions)

    def __repr__(self) -> str:
        return f"FrozenStudy(study_name={self.study_name!r}, directions={self._directions})"


class StudySummary(FrozenStudy):
    """A :class:`FrozenStudy` plus the number of trials, the best trial and the start time."""

    def __init__(
        self,
        study_name: str,
        directions: Sequence[StudyDirection],
        user_attrs: dict[str, Any],
        system_attrs: dict[str, Any],
        study_id: int,
        *,
        n_trials: int,
        best_trial: FrozenTrial | None,
        datetime_start: datetime.datetime | None,
    ) -> None:
        super().__init__(study_name, directions, user_attrs, system_attrs, study_id)
        self.n_trials = n_trials
        self.best_trial = best_trial
        self.datetime_start = datetime_start

    def __repr__(self) -> str:
        return (
            f"StudySummary(study_name={self.study_name!r}, directions={self._directions}, "
            f"n_trials={self.n_trials})"
        )
