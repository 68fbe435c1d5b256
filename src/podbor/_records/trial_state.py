"""The life cycle of a trial."""

from __future__ import annotations

import enum

__all__ = ["TrialState"]


class TrialState(enum.IntEnum):
    """State of a trial.

    ``WAITING`` (enqueued, not yet claimed) → ``RUNNING`` → one of the finished states
    ``COMPLETE``, ``PRUNED`` or ``FAIL``. A finished trial never changes again.

    Example:
        >>> TrialState.PRUNED.is_finished()
        True
    """

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def __repr__(self) -> str:
        return f"TrialState.{self.name}"

    def is_finished(self) -> bool:
        """Return True for COMPLETE, PRUNED and FAIL."""
        return self in _FINISHED  # a set lookup: called several times per write of a trial


_FINISHED = frozenset({TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL})
