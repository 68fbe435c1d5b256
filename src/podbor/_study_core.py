"""The study's internal interface: one object through which the study layer reaches a study.

(This module sits beside ``_study_view.py`` rather than in ``study/`` so that the live ``Trial``, which
``podbor.trial`` exports, can use it without importing the ``study`` package.)

A :class:`~podbor.study.Study` is a thin public handle. What its machinery needs — the storage
and the study's id in it, the directions, the sampler and the pruner, the optimize loop's lock
and stop flag — lives in one :class:`StudyCore`. The optimize loop (``study/_optimize.py``), ``tell``
(``study/_tell.py``), heartbeats (``study/_heartbeat.py``) and the live :class:`~podbor.trial.Trial` take a
study's core with :func:`core_of` (the one place that reads it off a study) and use its
methods; none of them reaches into ``Study`` privates, and none imports ``Study``.

Example:
    >>> import podbor
    >>> study = podbor.create_study(study_name="demo")
    >>> core = core_of(study)
    >>> core.study_name, core.n_trials()
    ('demo', 0)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Container, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from podbor._study_view import StudyView

if TYPE_CHECKING:  # downward only: at run time this module imports nothing but the StudyView
    from podbor._records.frozen_trial import FrozenTrial
    from podbor._records.trial_state import TrialState
    from podbor._study_direction import StudyDirection
    from podbor.pruners import BasePruner
    from podbor.samplers import BaseSampler
    from podbor.storages import BaseStorage

__all__ = [
    "FAIL_REASON_KEY",
    "FIXED_PARAMS_KEY",
    "METRIC_NAMES_KEY",
    "PRUNE_REASON_KEY",
    "StudyCore",
    "StudyHandle",
    "core_of",
]

# Keys podbor itself writes into system attributes (Optuna's names where Optuna has one).
FAIL_REASON_KEY = "fail_reason"
PRUNE_REASON_KEY = "prune_reason"
FIXED_PARAMS_KEY = "fixed_params"
METRIC_NAMES_KEY = "study:metric_names"


class StudyCore:
    """A study's storage, id, directions, sampler, pruner and loop state, in one place.

    One core belongs to one :class:`~podbor.study.Study` handle (several handles on the same
    stored study each have their own, as each has its own sampler and loop). Every method is
    safe to call from the worker threads of ``optimize(n_jobs=…)``.

    Args:
        storage: Where the study lives.
        study_id: The study's id in ``storage``.
        study_name: Its name.
        sampler: The search strategy.
        pruner: The early-stopping rule.
    """

    def __init__(
        self,
        storage: BaseStorage,
        study_id: int,
        study_name: str,
        sampler: BaseSampler,
        pruner: BasePruner,
    ) -> None:
        self.storage = storage
        self.study_id = study_id
        self.study_name = study_name
        self.directions: list[StudyDirection] = storage.get_study_directions(study_id)
        self.sampler = sampler
        self.pruner = pruner
        self._optimize_lock = threading.Lock()
        self._stop_requested = False

    # -- the optimize loop's state -------------------------------------------------------
    def enter_optimize(self) -> None:
        """Mark the start of ``optimize``; refuse a nested call from inside an objective.

        Raises:
            RuntimeError: If ``optimize`` already runs on this handle.
        """
        if not self._optimize_lock.acquire(blocking=False):
            raise RuntimeError(
                "Nested optimization: Study.optimize cannot be called from an objective."
            )
        self._stop_requested = False

    def exit_optimize(self) -> None:
        """Mark the end of ``optimize`` (a later ``stop()`` outside the loop has no effect)."""
        self._stop_requested = False
        self._optimize_lock.release()

    def request_stop(self) -> None:
        """Let the running loop start no new trial."""
        self._stop_requested = True

    @property
    def stop_requested(self) -> bool:
        """True once :meth:`request_stop` was called during the running loop."""
        return self._stop_requested

    # -- trials ----------------------------------------------------------------------------
    def start_trial(self) -> int:
        """Claim the oldest WAITING trial, or create a RUNNING one; return its id."""
        trial_id = self.storage.claim_waiting_trial(self.study_id)
        if trial_id is None:
            trial_id = self.storage.create_new_trial(self.study_id)
        return trial_id

    def get_trial(self, trial_id: int) -> FrozenTrial:
        """The stored record of one trial of this study."""
        return self.storage.get_trial(trial_id)

    def trial_id_of(self, number: int) -> int:
        """The id of trial ``number``; raises ``KeyError`` when the study has no such trial."""
        return self.storage.get_trial_id_from_study_id_trial_number(self.study_id, number)

    def n_trials(self) -> int:
        """How many trials the study holds, in any state."""
        return self.storage.get_n_trials(self.study_id)

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The study's trials in number order, optionally only those in ``states``."""
        return self.storage.get_all_trials(self.study_id, deepcopy=deepcopy, states=states)

    def add_trial(self, template: FrozenTrial) -> int:
        """Store a trial made with :func:`~podbor.trial.create_trial`; return its id."""
        return self.storage.create_new_trial(self.study_id, template_trial=template)

    def best_trial(self) -> FrozenTrial | None:
        """The best COMPLETE trial of a one-objective study (not a copy), or None."""
        if len(self.directions) != 1:
            return None
        try:
            return self.storage.get_best_trial(self.study_id)
        except ValueError:  # no COMPLETE trial yet
            return None

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Record a JSON-serializable value on a running trial."""
        self.storage.set_trial_system_attr(trial_id, key, value)

    def finish_trial(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None
    ) -> FrozenTrial:
        """Store a trial's final state and values; return the finished record."""
        self.storage.set_trial_state_values(trial_id, state, values)
        return self.storage.get_trial(trial_id)

    def metric_names(self) -> list[str] | None:
        """The objectives' names set with ``Study.set_metric_names``, or None."""
        names = self.storage.get_study_system_attrs(self.study_id).get(METRIC_NAMES_KEY)
        return list(names) if names is not None else None

    def is_same_study(self, other: StudyCore) -> bool:
        """True when ``other`` is a handle on this very study (same storage object and id)."""
        return other.storage is self.storage and other.study_id == self.study_id

    # -- heartbeats of running trials --------------------------------------------------------
    @property
    def heartbeat_interval(self) -> float | None:
        """Seconds between heartbeats, or None when the storage keeps none."""
        return self.storage.heartbeat_interval

    def record_heartbeat(self, trial_id: int) -> None:
        """Note that the worker running ``trial_id`` is alive now."""
        self.storage.record_heartbeat(trial_id)

    def fail_stale_trials(self) -> list[FrozenTrial]:
        """Mark FAIL the running trials whose worker stopped beating; return them (copies)."""
        return [
            self.storage.get_trial(trial_id)._copy()
            for trial_id in self.storage.fail_stale_trials(self.study_id)
        ]

    @property
    def failed_trial_callback(self) -> Callable[[Any, FrozenTrial], None] | None:
        """The storage's callback for trials failed by :meth:`fail_stale_trials`, if any."""
        return self.storage.failed_trial_callback


class StudyHandle(StudyView, Protocol):
    """What the study layer's internals know of a :class:`~podbor.study.Study`.

    The sampler- and pruner-facing :class:`~podbor._study_view.StudyView`, the handle's name
    and user attributes (for objectives that read ``trial.study``), and its :class:`StudyCore`,
    read only through :func:`core_of`. ``Study`` satisfies it; the internals name this protocol
    instead of ``Study``, so that nothing below ``study/_study.py`` imports it.
    """

    _core: StudyCore

    @property
    def study_name(self) -> str:
        """The study's name."""
        ...

    @property
    def user_attrs(self) -> dict[str, Any]:
        """The study's user attributes."""
        ...

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to the study."""
        ...


def core_of(study: StudyHandle) -> StudyCore:
    """The :class:`StudyCore` of a study handle: the one place that reads it.

    Example:
        >>> import podbor
        >>> core_of(podbor.create_study()).directions
        [StudyDirection.MINIMIZE]
    """
    return study._core
