"""Whether a study minimizes or maximizes an objective (core layer, used by storages and studies)."""

from __future__ import annotations

import enum

__all__ = ["StudyDirection"]


class StudyDirection(enum.IntEnum):
    """Direction of one objective.

    Example:
        >>> StudyDirection["MAXIMIZE"]
        StudyDirection.MAXIMIZE
    """

    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2

    def __repr__(self) -> str:
        return f"StudyDirection.{self.name}"
