"""What samplers and pruners may see of a study: a small, typed, read-mostly view.

Samplers and pruners never touch a storage or private ids. A :class:`~podbor.Study`
satisfies this protocol; so may any test double.
"""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # annotations only; keeps this module importable from anywhere below
    from podbor._records.frozen_trial import FrozenTrial
    from podbor._records.trial_state import TrialState
    from podbor._study_direction import StudyDirection

__all__ = ["StudyView"]


class StudyView(Protocol):
    """The part of a study that samplers and pruners rely on."""

    @property
    def directions(self) -> list[StudyDirection]:
        """One direction per objective."""
        ...

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The study's trials in number order, optionally filtered by state."""
        ...

    @property
    def system_attrs(self) -> dict[str, Any]:
        """The study's system attributes (a sampler keeps its JSON state under its own key)."""
        ...

    def set_system_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serializable study-level value (e.g. sampler state)."""
        ...

    def set_trial_system_attr(self, trial: FrozenTrial, key: str, value: Any) -> None:
        """Record a JSON-serializable value on a running trial (e.g. a sampler's decision)."""
        ...

    def stop(self) -> None:
        """Ask the running ``optimize`` loop to start no new trial.

        Raises ``RuntimeError`` outside of ``optimize`` (e.g. in ``tell``), as in Optuna: a
        sampler that may run in both suppresses it.
        """
        ...
