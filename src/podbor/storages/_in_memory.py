"""A storage that keeps everything in this process's memory (the default without a URL)."""

from __future__ import annotations

import copy
import datetime
import threading
import time
import uuid
from collections.abc import Container, Sequence
from typing import Any

from podbor._frozen_study import FrozenStudy
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution
from podbor.storages._heartbeat import HeartbeatSettings, HeartbeatStorage, StaleTrialCallback
from podbor.storages._input_rules import (
    DEFAULT_STUDY_NAME_PREFIX,
    attr_value,
    check_name,
    check_step,
    check_study_name,
    check_template_trial,
)
from podbor.storages._records import StudyTable

__all__ = ["InMemoryStorage"]


class InMemoryStorage(HeartbeatStorage):
    """Studies and trials in a dict, guarded by one lock; gone when the process ends.

    Trials are copy-on-write: an update of a trial that was handed out replaces the stored
    ``FrozenTrial`` with a new one, so snapshots already handed out never change and reading the
    history costs no copies (a trial nobody has read since its last update is changed in place).

    Heartbeats are off by default. With ``heartbeat_interval``, a trial whose worker thread
    stopped beating for ``grace_period`` seconds is marked FAIL by the next trial any thread
    starts, as with the storages that processes share.

    Args:
        heartbeat_interval: Seconds between "still alive" records of a running trial.
        grace_period: Seconds without a heartbeat after which a trial counts as dead; twice the
            interval by default.
        heartbeat_stale_trial_callback: Called as ``callback(study, trial)`` for each trial
            marked FAIL that way.
        failed_trial_callback: Deprecated old name of ``heartbeat_stale_trial_callback``.

    Raises:
        ValueError: If the heartbeat settings are invalid.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(storage=InMemoryStorage())
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> len(study.trials)
        3
    """

    def __init__(
        self,
        *,
        heartbeat_interval: float | None = None,
        grace_period: float | None = None,
        heartbeat_stale_trial_callback: StaleTrialCallback | None = None,
        failed_trial_callback: StaleTrialCallback | None = None,
    ) -> None:
        self._heartbeat = HeartbeatSettings(
            "InMemoryStorage",
            heartbeat_interval,
            grace_period,
            heartbeat_stale_trial_callback,
            failed_trial_callback,
        )
        self._lock = threading.RLock()
        self._table = StudyTable("this storage")

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    # -- studies ------------------------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        if study_name is None:
            study_name = DEFAULT_STUDY_NAME_PREFIX + str(uuid.uuid4())
        check_study_name(study_name, owner="InMemoryStorage.create_new_study")
        with self._lock:
            return self._table.add_study(study_name, directions)

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            self._table.remove_study(study_id)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        value = attr_value(value, "user", key)
        with self._lock:
            self._table.study(study_id).user_attrs[key] = value

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        value = attr_value(value, "system", key)
        with self._lock:
            self._table.study(study_id).system_attrs[key] = value

    def get_study_id_from_name(self, study_name: str) -> int:
        check_study_name(study_name, owner="InMemoryStorage.get_study_id_from_name")
        with self._lock:
            return self._table.study_id(study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        with self._lock:
            return self._table.study(study_id).name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        with self._lock:
            return list(self._table.study(study_id).directions)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._table.study(study_id).user_attrs)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._table.study(study_id).system_attrs)

    def get_all_studies(self) -> list[FrozenStudy]:
        with self._lock:
            return self._table.frozen_studies()

    # -- trials -------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        template = None
        if template_trial is not None:
            user, system = check_template_trial(
                template_trial, owner="InMemoryStorage.create_new_trial"
            )
            template = template_trial._copy()
            template.user_attrs, template.system_attrs = user, system
        with self._lock:
            return self._table.add_trial(study_id, datetime.datetime.now(), template)

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        check_name(param_name, "param_name", owner="InMemoryStorage.set_trial_param")
        with self._lock:
            self._table.set_param(trial_id, param_name, param_value_internal, distribution)

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        with self._lock:
            return self._table.set_state(trial_id, state, values, datetime.datetime.now())

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        step = check_step(step, owner="InMemoryStorage.set_trial_intermediate_value")
        with self._lock:
            self._table.set_report(trial_id, step, intermediate_value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        value = attr_value(value, "user", key)
        with self._lock:
            self._table.set_trial_attr(trial_id, "user", key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        value = attr_value(value, "system", key)
        with self._lock:
            self._table.set_trial_attr(trial_id, "system", key, value)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            return self._table.handed_out(trial_id)

    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock:
            trials = self._table.study(study_id).select(states)
            if deepcopy:  # copied under the lock: an unseen snapshot may be updated in place
                return [copy.deepcopy(t) for t in trials]
            self._table.handed_out_all(study_id, states)  # never mutated from here on
            return trials

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        with self._lock:
            return self._table.study(study_id).trial_id(study_id, trial_number)

    def claim_waiting_trial(self, study_id: int) -> int | None:
        with self._lock:
            waiting = self._table.study(study_id).waiting
            if not waiting:
                return None
            trial_id = next(iter(waiting))
            self._table.set_state(trial_id, TrialState.RUNNING, None, datetime.datetime.now())
            return trial_id

    def create_running_trial(
        self,
        study_id: int,
        template_trial: FrozenTrial | None = None,
        *,
        heartbeat: bool = False,
        limit: int | None = None,
    ) -> int | None:
        template = None
        if template_trial is not None:
            user, system = check_template_trial(
                template_trial, owner="InMemoryStorage.create_running_trial"
            )
            template = template_trial._copy()
            template.user_attrs, template.system_attrs = user, system
        with self._lock:  # the limit, the trial and its first beat: one step for other threads
            if limit is not None and self._table.study(study_id).count_not_failed() >= limit:
                return None
            trial_id = self._table.add_trial(study_id, datetime.datetime.now(), template)
            if heartbeat and self._heartbeat.interval is not None:
                self._table.beat(trial_id, time.time())
            return trial_id

    def claim_running_trial(self, study_id: int, *, heartbeat: bool = False) -> int | None:
        with self._lock:
            trial_id = self.claim_waiting_trial(study_id)
            if trial_id is not None and heartbeat and self._heartbeat.interval is not None:
                self._table.beat(trial_id, time.time())
            return trial_id

    def get_trial_number_from_id(self, trial_id: int) -> int:
        with self._lock:
            return self._table.trial(trial_id)[1].number

    def get_n_trials(
        self, study_id: int, state: Container[TrialState] | TrialState | None = None
    ) -> int:
        states = (state,) if isinstance(state, TrialState) else state
        with self._lock:
            return self._table.study(study_id).count(states)

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        with self._lock:
            study = self._table.study(study_id)
            if len(study.directions) == 1 and study.best is not None:
                return study.best
        return super().get_best_trial(study_id)  # raises the contract's errors

    # -- heartbeat ----------------------------------------------------------------------
    def record_heartbeat(self, trial_id: int) -> None:
        if self._heartbeat.interval is None:
            return
        with self._lock:
            self._table.beat(trial_id, time.time())

    def get_trial_heartbeat(self, trial_id: int) -> datetime.datetime | None:
        with self._lock:
            return self._table.last_beat(trial_id)

    def fail_stale_trials(self, study_id: int) -> list[int]:
        grace = self._heartbeat.grace_period
        if grace is None:
            return []
        with self._lock:
            stale = self._table.stale_trials(study_id, time.time() - grace)
            return self._table.fail_stale(stale, datetime.datetime.now())
