"""The contract every storage fulfils.

A storage keeps studies and their trials. It is the only place state lives: a ``Study`` object is
a handle, and any number of handles (threads, processes, machines) may share one storage.

Contract, for every implementation:

* **Thread safety.** Every method may be called from several threads at once.
* **Numbers.** ``create_new_trial`` gives trial numbers 0, 1, 2, … per study, unique and gap-free.
* **Immutability.** A finished trial (COMPLETE, PRUNED, FAIL) never changes; any attempt raises
  :class:`~podbor.exceptions.UpdateFinishedTrialError`. ``FrozenTrial`` objects returned with
  ``deepcopy=False`` are snapshots that the storage never mutates afterwards; callers must not
  mutate them either.
* **Claiming.** ``set_trial_state_values(id, RUNNING)`` on a WAITING trial succeeds for exactly
  one caller; the others get ``False``.
* **Workers.** ``create_running_trial`` / ``claim_running_trial`` with ``heartbeat=True`` record
  the trial's first heartbeat in the write that creates or claims it (with heartbeats on), and
  ``create_running_trial(limit=n)`` never lets a study hold more than ``n`` trials outside FAIL.
* **Errors.** Unknown ids raise ``KeyError`` (:class:`~podbor.exceptions.StudyNotFoundError` for
  studies); a reused study name raises :class:`~podbor.exceptions.DuplicatedStudyError`.
* **JSON only.** Attribute values and parameters must be JSON-serializable; nothing is pickled.

The caller's input is checked by the helpers of :mod:`podbor.storages._input_rules` (names,
attribute values, steps, parameter distributions), the same way on every storage.
"""

from __future__ import annotations

import abc
import copy
import datetime
from collections.abc import Callable, Container, Sequence
from typing import Any

from podbor._frozen_study import FrozenStudy
from podbor._gc import BULK, paused_gc
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution
from podbor.exceptions import UpdateFinishedTrialError

# Optuna keeps the prefix in optuna.storages._base; code and tests written for it find it here.
from podbor.storages._input_rules import DEFAULT_STUDY_NAME_PREFIX

__all__ = [
    "DEFAULT_STUDY_NAME_PREFIX",
    "NOT_FAILED",
    "BaseStorage",
    "select_trials",
]

NOT_FAILED = (TrialState.RUNNING, TrialState.WAITING, TrialState.COMPLETE, TrialState.PRUNED)
"""The states that count towards the ``limit`` of :meth:`BaseStorage.create_running_trial`: a
FAIL trial (e.g. of a dead worker) leaves room for another."""


def select_trials(
    trials: Sequence[FrozenTrial], states: Container[TrialState] | None, deepcopy: bool
) -> list[FrozenTrial]:
    """The trials in ``states`` (all when None), copied when ``deepcopy`` (``get_all_trials``)."""
    chosen = list(trials) if states is None else [t for t in trials if t.state in states]
    if not deepcopy:
        return chosen
    with paused_gc(len(chosen) >= BULK):  # many lasting copies, no cycles
        # through ``copy.deepcopy``, as in Optuna (its tests watch it), one memo per trial: one
        # memo for the whole list held 10⁵ entries and ~7 MiB more at 10⁵ trials, for no gain
        return [copy.deepcopy(t) for t in chosen]


class BaseStorage(abc.ABC):
    """Abstract base of in-memory, journal and relational-database storages."""

    # -- studies ------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        """Create a study and return its id; a name is generated when ``study_name`` is None.

        Raises:
            DuplicatedStudyError: If a study of that name exists.
        """

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study and all its trials."""

    @abc.abstractmethod
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        """Set a user attribute of a study.

        Raises:
            ValueError: If the value is not JSON-serializable (checked by :func:`attr_to_json`).
        """

    @abc.abstractmethod
    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        """Like :meth:`set_study_user_attr`, for a system attribute (sampler state lives here)."""

    @abc.abstractmethod
    def get_study_id_from_name(self, study_name: str) -> int:
        """Return the id of the named study; the error lists the names that exist."""

    @abc.abstractmethod
    def get_study_name_from_id(self, study_id: int) -> str:
        """Return the name of a study."""

    @abc.abstractmethod
    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        """Return the directions of a study, one per objective."""

    @abc.abstractmethod
    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        """Return a copy of a study's user attributes."""

    @abc.abstractmethod
    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        """Return a copy of a study's system attributes."""

    @abc.abstractmethod
    def get_all_studies(self) -> list[FrozenStudy]:
        """Return every study, without trials."""

    # -- trials -------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        """Create a trial and return its id.

        Without a template the trial is RUNNING, started now. With one, the trial copies the
        template's state, values, params, attributes, reports and times (``Study.add_trial``).
        """

    @abc.abstractmethod
    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        """Store one parameter of a running trial.

        Raises:
            ValueError: If the distribution is incompatible with the one the study used before
                for that name (checked by :func:`check_param_distribution`).
            UpdateFinishedTrialError: If the trial is finished.
        """

    @abc.abstractmethod
    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        """Move a trial to ``state`` and store its values.

        Returns:
            False when ``state`` is RUNNING and the trial is no longer WAITING (another worker
            claimed it); True otherwise.

        Raises:
            UpdateFinishedTrialError: If the trial is finished.
        """

    @abc.abstractmethod
    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        """Store the value reported at ``step`` (a later report of the same step replaces it)."""

    @abc.abstractmethod
    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Set a user attribute of a running trial.

        Raises:
            ValueError: If the value is not JSON-serializable (checked by :func:`attr_to_json`).
            UpdateFinishedTrialError: If the trial is finished.
        """

    @abc.abstractmethod
    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Like :meth:`set_trial_user_attr`, for a system attribute."""

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial:
        """Return a snapshot of one trial."""

    @abc.abstractmethod
    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Return a study's trials in number order, optionally only those in ``states``.

        With ``deepcopy=False`` the returned snapshots are shared and must not be mutated.
        """

    # -- derived, overridable for speed -------------------------------------------------
    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        """Return the id of the trial with that number in that study."""
        trials = self.get_all_trials(study_id, deepcopy=False)
        if not 0 <= trial_number < len(trials):
            raise KeyError(f"No trial with number {trial_number} exists in study {study_id}.")
        return trials[trial_number]._trial_id

    def claim_waiting_trial(self, study_id: int) -> int | None:
        """Move the oldest WAITING trial to RUNNING and return its id; ``None`` if none waits.

        Each WAITING trial is claimed by exactly one caller, also across processes.
        """
        for trial in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.WAITING,)):
            try:
                if self.set_trial_state_values(trial._trial_id, TrialState.RUNNING):
                    return trial._trial_id
            except UpdateFinishedTrialError:
                continue  # claimed and finished by another worker since the listing
        return None

    def create_running_trial(
        self,
        study_id: int,
        template_trial: FrozenTrial | None = None,
        *,
        heartbeat: bool = False,
        limit: int | None = None,
    ) -> int | None:
        """Create a RUNNING trial for a worker, in one write; return its id (None at ``limit``).

        With ``heartbeat`` (and heartbeats on) its first heartbeat is recorded in that write, so
        the trial is protected from the moment it exists (``Study.ask()`` trials, made by
        :meth:`create_new_trial`, never beat and are never failed as stale). With ``limit`` it
        is created only while the study holds fewer than ``limit`` trials outside FAIL (a
        budget racing workers cannot overshoot). ``template_trial`` is as in
        :meth:`create_new_trial`. This default takes several calls (a storage that keeps it
        still works, with a short unprotected window); podbor's storages take one write.
        """
        if limit is not None and self.get_n_trials(study_id, NOT_FAILED) >= limit:
            return None
        trial_id = self.create_new_trial(study_id, template_trial)
        if heartbeat:
            self.record_heartbeat(trial_id)
        return trial_id

    def claim_running_trial(self, study_id: int, *, heartbeat: bool = False) -> int | None:
        """Like :meth:`claim_waiting_trial`, with the claimed trial's first heartbeat recorded in
        the same write when ``heartbeat`` (see :meth:`create_running_trial`).

        Returns:
            The claimed trial's id, or None when no trial waits.
        """
        trial_id = self.claim_waiting_trial(study_id)
        if trial_id is not None and heartbeat:
            self.record_heartbeat(trial_id)
        return trial_id

    def get_trial_number_from_id(self, trial_id: int) -> int:
        """Return the number of a trial in its study."""
        return self.get_trial(trial_id).number

    def get_trial_param(self, trial_id: int, param_name: str) -> float:
        """Return the internal value of one parameter of a trial.

        Raises:
            KeyError: If the trial does not exist or has no parameter of that name.
        """
        trial = self.get_trial(trial_id)
        return trial.distributions[param_name].to_internal_repr(trial.params[param_name])

    def get_trial_params(self, trial_id: int) -> dict[str, Any]:
        """Return a trial's parameters by name, in their external representation.

        Raises:
            KeyError: If the trial does not exist.

        Example:
            >>> import podbor
            >>> from podbor.distributions import CategoricalDistribution
            >>> storage = podbor.storages.InMemoryStorage()
            >>> trial_id = storage.create_new_trial(storage.create_new_study([StudyDirection.MINIMIZE]))
            >>> storage.set_trial_param(trial_id, "opt", 1, CategoricalDistribution(["sgd", "adam"]))
            >>> storage.get_trial_params(trial_id)
            {'opt': 'adam'}
        """
        return dict(self.get_trial(trial_id).params)

    def get_trial_user_attrs(self, trial_id: int) -> dict[str, Any]:
        """Return a trial's user attributes.

        Raises:
            KeyError: If the trial does not exist.

        Example:
            >>> import podbor
            >>> storage = podbor.storages.InMemoryStorage()
            >>> trial_id = storage.create_new_trial(storage.create_new_study([StudyDirection.MINIMIZE]))
            >>> storage.set_trial_user_attr(trial_id, "fold", 3)
            >>> storage.get_trial_user_attrs(trial_id)
            {'fold': 3}
        """
        return dict(self.get_trial(trial_id).user_attrs)

    def get_trial_system_attrs(self, trial_id: int) -> dict[str, Any]:
        """Return a trial's system attributes (those podbor and samplers set).

        Raises:
            KeyError: If the trial does not exist.
        """
        return dict(self.get_trial(trial_id).system_attrs)

    def get_n_trials(
        self, study_id: int, state: Container[TrialState] | TrialState | None = None
    ) -> int:
        """Return how many trials a study has, optionally only those in ``state`` (one state or
        several)."""
        states = (state,) if isinstance(state, TrialState) else state
        return len(self.get_all_trials(study_id, deepcopy=False, states=states))

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        """Return the best COMPLETE trial of a single-objective study.

        Raises:
            ValueError: If no trial is complete yet.
            RuntimeError: If the study has several objectives (use the Pareto front).
        """
        directions = self.get_study_directions(study_id)
        if len(directions) > 1:
            raise RuntimeError(
                "A multi-objective study has no single best trial; use Study.best_trials."
            )
        trials = self.get_all_trials(study_id, deepcopy=False, states=(TrialState.COMPLETE,))
        if not trials:
            raise ValueError("No trials are completed yet.")
        pick = min if directions[0] != StudyDirection.MAXIMIZE else max
        return pick(trials, key=lambda t: t.values[0] if t.values else float("nan"))

    def get_study_trial_stats(self, study_id: int) -> tuple[int, datetime.datetime | None]:
        """Return the number of trials and the earliest start, for study summaries.

        Database storages override it with one aggregate query, so that listing many studies
        does not load their trials.
        """
        trials = self.get_all_trials(study_id, deepcopy=False)
        starts = [t.datetime_start for t in trials if t.datetime_start is not None]
        return len(trials), min(starts) if starts else None

    def get_best_trial_only(self, study_id: int) -> FrozenTrial:
        """Like :meth:`get_best_trial`, for a one-off look (a summary): database storages
        override it with a query that loads the best trial alone, not the whole history."""
        return self.get_best_trial(study_id)

    def check_trial_is_updatable(self, trial_id: int, trial_state: TrialState) -> None:
        """Raise :class:`UpdateFinishedTrialError` when the trial is finished."""
        if trial_state.is_finished():
            number = self.get_trial_number_from_id(trial_id)
            raise UpdateFinishedTrialError(
                f"Trial {number} has already finished as {trial_state.name} and cannot be updated."
            )

    # -- heartbeat (optional; podbor's storages implement it, off unless an interval is set) --
    @property
    def heartbeat_interval(self) -> float | None:
        """Seconds between heartbeats of a running trial; None when heartbeats are off."""
        return None

    @property
    def heartbeat_stale_trial_callback(self) -> Callable[[Any, FrozenTrial], None] | None:
        """Called as ``callback(study, trial)`` for each stale trial this handle marks FAIL."""
        return None

    @property
    def failed_trial_callback(self) -> Callable[[Any, FrozenTrial], None] | None:
        """The old name of :attr:`heartbeat_stale_trial_callback` (Optuna's, before 4.9)."""
        return self.heartbeat_stale_trial_callback

    def record_heartbeat(self, trial_id: int) -> None:
        """Record that the worker running ``trial_id`` is alive (no-op without heartbeats)."""

    def get_trial_heartbeat(self, trial_id: int) -> datetime.datetime | None:
        """When the worker running ``trial_id`` last sent a heartbeat (UTC, timezone-aware).

        None when heartbeats are off, when the trial has sent none, or when the storage forgets
        them once a trial finishes. The dashboard shows it beside a running trial.

        Args:
            trial_id: The trial's id.

        Returns:
            The time of the last heartbeat, or None.
        """
        return None

    def fail_stale_trials(self, study_id: int) -> list[int]:
        """Mark FAIL the RUNNING trials whose worker stopped beating for longer than the grace
        period, and return their ids. Each stale trial is returned to exactly one caller."""
        return []

    def remove_session(self) -> None:
        """Release connections held by this handle (no-op for storages without any)."""
