"""Pieces the conformance suites share: a strictly read-only study view and quiet logging."""

from __future__ import annotations

import contextlib
from collections.abc import Container, Iterator, Mapping
from typing import Any

from podbor import logging as podbor_logging
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView

__all__ = ["RestrictedStudyView", "check_unsupported", "quiet_podbor_logging"]


class RestrictedStudyView:
    """Forward exactly the ``StudyView`` protocol, and nothing else.

    The suites hand this to samplers and pruners instead of the ``Study`` itself, so that an
    implementation reaching for a storage, a private id or any other ``Study`` attribute fails
    loudly instead of working by accident.

    Args:
        study: The study (or any other view) to forward to.

    Example:
        >>> import podbor
        >>> view = RestrictedStudyView(podbor.create_study())
        >>> view.directions
        [StudyDirection.MINIMIZE]
        >>> hasattr(view, "_storage")
        False
    """

    __slots__ = ("__study",)

    def __init__(self, study: StudyView) -> None:
        self.__study = study

    @property
    def directions(self) -> list[StudyDirection]:
        """One direction per objective."""
        return self.__study.directions

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The study's trials in number order, optionally filtered by state."""
        return self.__study.get_trials(deepcopy=deepcopy, states=states)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """The study's system attributes."""
        return self.__study.system_attrs

    def set_system_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serializable study-level value."""
        self.__study.set_system_attr(key, value)

    def set_trial_system_attr(self, trial: FrozenTrial, key: str, value: Any) -> None:
        """Record a JSON-serializable value on a running trial."""
        self.__study.set_trial_system_attr(trial, key, value)

    def stop(self) -> None:
        """Ask the running ``optimize`` loop to start no new trial."""
        self.__study.stop()

    def __repr__(self) -> str:
        return f"RestrictedStudyView({self.__study!r})"


@contextlib.contextmanager
def quiet_podbor_logging() -> Iterator[None]:
    """Hide podbor's per-trial INFO lines for the duration of a check, then restore the level."""
    level = podbor_logging.get_verbosity()
    podbor_logging.set_verbosity(podbor_logging.WARNING)
    try:
        yield
    finally:
        podbor_logging.set_verbosity(level)


def check_unsupported(
    owner: str, declared: Mapping[str, str], optional: Mapping[str, str]
) -> list[str]:
    """Return what is wrong with a suite subclass's ``unsupported_features`` declaration.

    Args:
        owner: The name of the subclass, for the messages.
        declared: Feature → reason, as the subclass declares them.
        optional: Feature → description of every feature an implementation may opt out of.

    Returns:
        One message per problem: an unknown feature name, or a missing reason.

    Example:
        >>> check_unsupported("TestX", {"typo": "why"}, {"threads": "runs in threads"})
        ["TestX declares unknown unsupported feature 'typo'; optional features are ['threads']."]
    """
    problems = []
    for feature, reason in declared.items():
        if feature not in optional:
            problems.append(
                f"{owner} declares unknown unsupported feature {feature!r}; "
                f"optional features are {sorted(optional)}."
            )
        elif not isinstance(reason, str) or not reason.strip():
            problems.append(f"{owner} must give a reason why {feature!r} is unsupported.")
    return problems
