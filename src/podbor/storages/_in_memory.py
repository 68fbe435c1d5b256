"""A storage that keeps everything in this process's memory (the default without a URL)."""

from __future__ import annotations

import collections
import copy
import datetime
import threading
import uuid
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from typing import Any

from podbor._frozen_study import FrozenStudy
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution, check_distribution_compatibility
from podbor.exceptions import DuplicatedStudyError, StudyNotFoundError
from podbor.storages._base import DEFAULT_STUDY_NAME_PREFIX, BaseStorage
from podbor.trial._frozen import FrozenTrial
from podbor.trial._state import TrialState

__all__ = ["InMemoryStorage"]


@dataclass
class _StudyRecord:
    name: str
    directions: list[StudyDirection]
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    trials: list[FrozenTrial] = field(default_factory=list)
    param_distribution: dict[str, BaseDistribution] = field(default_factory=dict)
    best_trial_id: int | None = None
    best_value: float | None = None
    waiting: collections.deque[int] = field(default_factory=collections.deque)


class InMemoryStorage(BaseStorage):
    """Studies and trials in a dict, guarded by one lock; gone when the process ends.

    Trials are copy-on-write: each update replaces the stored ``FrozenTrial`` with a new one, so
    snapshots already handed out never change and reading the history costs no copies.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(storage=InMemoryStorage())
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> len(study.trials)
        3
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _StudyRecord] = {}
        self._name_to_id: dict[str, int] = {}
        self._trial_owner: dict[int, tuple[int, int]] = {}  # trial id → (study id, number)
        self._next_study_id = 0
        self._next_trial_id = 0

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
        with self._lock:
            if study_name is None:
                study_name = DEFAULT_STUDY_NAME_PREFIX + str(uuid.uuid4())
            if study_name in self._name_to_id:
                raise DuplicatedStudyError(
                    f"Another study with name {study_name!r} already exists in this storage."
                )
            study_id = self._next_study_id
            self._next_study_id += 1
            self._studies[study_id] = _StudyRecord(name=study_name, directions=list(directions))
            self._name_to_id[study_name] = study_id
            return study_id

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            record = self._study(study_id)
            for trial in record.trials:
                del self._trial_owner[trial._trial_id]
            del self._name_to_id[record.name]
            del self._studies[study_id]

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._study(study_id).user_attrs[key] = value

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._study(study_id).system_attrs[key] = value

    def get_study_id_from_name(self, study_name: str) -> int:
        with self._lock:
            if study_name not in self._name_to_id:
                raise StudyNotFoundError(
                    f"No study named {study_name!r} exists in this storage. "
                    f"Existing studies: {sorted(self._name_to_id)}."
                )
            return self._name_to_id[study_name]

    def get_study_name_from_id(self, study_id: int) -> str:
        with self._lock:
            return self._study(study_id).name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        with self._lock:
            return list(self._study(study_id).directions)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).user_attrs)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).system_attrs)

    def get_all_studies(self) -> list[FrozenStudy]:
        with self._lock:
            return [
                FrozenStudy(
                    r.name,
                    r.directions,
                    copy.deepcopy(r.user_attrs),
                    copy.deepcopy(r.system_attrs),
                    sid,
                )
                for sid, r in self._studies.items()
            ]

    # -- trials -------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        with self._lock:
            record = self._study(study_id)
            trial_id = self._next_trial_id
            self._next_trial_id += 1
            number = len(record.trials)
            if template_trial is None:
                trial = FrozenTrial(
                    number,
                    TrialState.RUNNING,
                    None,
                    datetime.datetime.now(),
                    None,
                    {},
                    {},
                    {},
                    {},
                    {},
                    trial_id,
                )
            else:
                for name, dist in template_trial.distributions.items():
                    self._check_and_record_distribution(record, name, dist)
                trial = template_trial._copy()
                trial.number = number
                trial._trial_id = trial_id
            record.trials.append(trial)
            if trial.state == TrialState.WAITING:
                record.waiting.append(trial_id)
            self._trial_owner[trial_id] = (study_id, number)
            if trial.state == TrialState.COMPLETE:
                self._update_best(record, trial)
            return trial_id

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        with self._lock:
            record, trial = self._updatable(trial_id)
            self._check_and_record_distribution(record, param_name, distribution)
            new = trial._copy()
            new.params[param_name] = distribution.to_external_repr(param_value_internal)
            new.distributions[param_name] = distribution
            record.trials[trial.number] = new

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        with self._lock:
            record, trial = self._trial(trial_id)
            if state == TrialState.RUNNING and trial.state != TrialState.WAITING:
                return False
            self.check_trial_is_updatable(trial_id, trial.state)
            new = trial._copy()
            new.state = state
            if values is not None:
                new.values = values
            now = datetime.datetime.now()
            if state == TrialState.RUNNING:
                new.datetime_start = now
            if state.is_finished():
                new.datetime_complete = now
            record.trials[trial.number] = new
            if state == TrialState.COMPLETE:
                self._update_best(record, new)
            return True

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        with self._lock:
            record, trial = self._updatable(trial_id)
            new = trial._copy()
            new.intermediate_values[step] = intermediate_value
            record.trials[trial.number] = new

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            record, trial = self._updatable(trial_id)
            new = trial._copy()
            new.user_attrs[key] = value
            record.trials[trial.number] = new

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            record, trial = self._updatable(trial_id)
            new = trial._copy()
            new.system_attrs[key] = value
            record.trials[trial.number] = new

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            return self._trial(trial_id)[1]

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        with self._lock:
            trials = self._study(study_id).trials
            if states is not None:
                trials = [t for t in trials if t.state in states]
            else:
                trials = list(trials)
        return [t._copy() for t in trials] if deepcopy else trials

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        with self._lock:
            trials = self._study(study_id).trials
            if not 0 <= trial_number < len(trials):
                raise KeyError(f"No trial with number {trial_number} exists in study {study_id}.")
            return trials[trial_number]._trial_id

    def claim_waiting_trial(self, study_id: int) -> int | None:
        with self._lock:
            waiting = self._study(study_id).waiting
            while waiting:
                trial_id = waiting.popleft()
                if self.set_trial_state_values(trial_id, TrialState.RUNNING):
                    return trial_id
            return None

    def get_trial_number_from_id(self, trial_id: int) -> int:
        with self._lock:
            return self._owner(trial_id)[1]

    def get_n_trials(
        self, study_id: int, states: Container[TrialState] | TrialState | None = None
    ) -> int:
        with self._lock:
            if states is None:
                return len(self._study(study_id).trials)
        return super().get_n_trials(study_id, states)

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        with self._lock:
            record = self._study(study_id)
            if len(record.directions) > 1 or record.best_trial_id is None:
                return super().get_best_trial(study_id)
            return self._trial(record.best_trial_id)[1]

    # -- helpers ------------------------------------------------------------------------
    def _study(self, study_id: int) -> _StudyRecord:
        try:
            return self._studies[study_id]
        except KeyError:
            raise StudyNotFoundError(
                f"No study with id {study_id} exists in this storage."
            ) from None

    def _owner(self, trial_id: int) -> tuple[int, int]:
        try:
            return self._trial_owner[trial_id]
        except KeyError:
            raise KeyError(f"No trial with id {trial_id} exists in this storage.") from None

    def _trial(self, trial_id: int) -> tuple[_StudyRecord, FrozenTrial]:
        study_id, number = self._owner(trial_id)
        record = self._studies[study_id]
        return record, record.trials[number]

    def _updatable(self, trial_id: int) -> tuple[_StudyRecord, FrozenTrial]:
        record, trial = self._trial(trial_id)
        self.check_trial_is_updatable(trial_id, trial.state)
        return record, trial

    @staticmethod
    def _check_and_record_distribution(
        record: _StudyRecord, name: str, distribution: BaseDistribution
    ) -> None:
        old = record.param_distribution.get(name)
        if old is not None:
            check_distribution_compatibility(old, distribution)
        else:
            record.param_distribution[name] = distribution

    @staticmethod
    def _update_best(record: _StudyRecord, trial: FrozenTrial) -> None:
        if len(record.directions) != 1 or trial.values is None:
            return
        value = trial.values[0]
        if record.best_value is not None:
            if record.directions[0] == StudyDirection.MAXIMIZE:
                better = value > record.best_value
            else:
                better = value < record.best_value
            if not better:
                return
        record.best_trial_id = trial._trial_id
        record.best_value = value
