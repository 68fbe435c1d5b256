"""Read-only descriptions of a study, as storages list them (core layer).

Both classes take Optuna's arguments: one ``direction`` for a single-objective study, or
``direction=None`` and the keyword ``directions`` for several objectives.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_direction import StudyDirection
from podbor.exceptions import InvalidArgumentError

__all__ = ["FrozenStudy", "StudySummary"]


def _one_of(
    owner: str, direction: StudyDirection | None, directions: Sequence[StudyDirection] | None
) -> list[StudyDirection]:
    """The study's directions from exactly one of ``direction`` and ``directions``."""
    if (direction is None) == (directions is None):
        given = "both" if direction is not None else "neither"
        raise InvalidArgumentError(
            f"{owner} takes exactly one of 'direction' (one objective) and 'directions' "
            f"(several); {given} was given."
        )
    return [direction] if direction is not None else list(directions or ())


class _StudyDescription:
    """What both descriptions share: the name, the directions and the id, which orders them."""

    study_name: str
    _directions: list[StudyDirection]
    _study_id: int

    @property
    def direction(self) -> StudyDirection:
        """The single direction; raises ``RuntimeError`` for a multi-objective study."""
        if len(self._directions) > 1:
            raise RuntimeError(
                "This study has several objectives, so it has no single direction; "
                "use .directions instead."
            )
        return self._directions[0]

    @property
    def directions(self) -> list[StudyDirection]:
        """One direction per objective."""
        return list(self._directions)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, _StudyDescription):
            return NotImplemented
        return self._study_id < other._study_id

    def __le__(self, other: object) -> bool:
        if not isinstance(other, _StudyDescription):
            return NotImplemented
        return self._study_id <= other._study_id

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value


class FrozenStudy(_StudyDescription):
    """A study's name, directions and attributes, without its trials.

    Args:
        study_name: The study's name.
        direction: The direction of a single-objective study; None when ``directions`` is given.
        user_attrs: The study's user attributes.
        system_attrs: The study's system attributes.
        study_id: The study's id in its storage.
        directions: The directions of a study with several objectives (instead of
            ``direction``).

    Raises:
        ValueError: Unless exactly one of ``direction`` and ``directions`` is given.

    Example:
        >>> s = FrozenStudy("s", StudyDirection.MINIMIZE, {}, {}, 0)
        >>> s.direction
        StudyDirection.MINIMIZE
        >>> two = [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]
        >>> len(FrozenStudy("m", None, {}, {}, 1, directions=two).directions)
        2
    """

    def __init__(
        self,
        study_name: str,
        direction: StudyDirection | None,
        user_attrs: dict[str, Any],
        system_attrs: dict[str, Any],
        study_id: int,
        *,
        directions: Sequence[StudyDirection] | None = None,
    ) -> None:
        self.study_name = study_name
        self._directions = _one_of("FrozenStudy", direction, directions)
        self.user_attrs = user_attrs
        self.system_attrs = system_attrs
        self._study_id = study_id

    def __repr__(self) -> str:
        return f"FrozenStudy(study_name={self.study_name!r}, directions={self._directions})"


class StudySummary(_StudyDescription):
    """A study's name, directions, user attributes, number of trials, best trial and start.

    See :func:`~podbor.get_all_study_summaries`.

    Args:
        study_name: The study's name.
        direction: The direction of a single-objective study; None when ``directions`` is given.
        best_trial: The best complete trial, or None (none yet, or several objectives).
        user_attrs: The study's user attributes.
        n_trials: How many trials the study has.
        datetime_start: When its first trial started, or None.
        study_id: The study's id in its storage.
        directions: The directions of a study with several objectives (instead of
            ``direction``).
        system_attrs: The study's system attributes (podbor keeps them on the summary; Optuna
            5 dropped them).

    Raises:
        ValueError: Unless exactly one of ``direction`` and ``directions`` is given.

    Example:
        >>> s = StudySummary("s", StudyDirection.MAXIMIZE, None, {}, 0, None, 3)
        >>> s.direction, s.n_trials
        (StudyDirection.MAXIMIZE, 0)
    """

    def __init__(
        self,
        study_name: str,
        direction: StudyDirection | None,
        best_trial: FrozenTrial | None,
        user_attrs: dict[str, Any],
        n_trials: int,
        datetime_start: datetime.datetime | None,
        study_id: int,
        *,
        directions: Sequence[StudyDirection] | None = None,
        system_attrs: dict[str, Any] | None = None,
    ) -> None:
        self.study_name = study_name
        self._directions = _one_of("StudySummary", direction, directions)
        self.best_trial = best_trial
        self.user_attrs = user_attrs
        self.system_attrs = {} if system_attrs is None else system_attrs
        self.n_trials = n_trials
        self.datetime_start = datetime_start
        self._study_id = study_id

    def __repr__(self) -> str:
        return (
            f"StudySummary(study_name={self.study_name!r}, directions={self._directions}, "
            f"n_trials={self.n_trials})"
        )
