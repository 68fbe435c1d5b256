"""A storage whose every call runs elsewhere: a method name and its arguments go to ``_call``.

Two storages work this way: :class:`~podbor.storages.GrpcStorageProxy` (calls over gRPC to a
proxy server) and ``podbor.integration.dask.DaskStorage`` (calls to the Dask scheduler). Each
says how a call travels (``_call``) and where the heartbeat settings come from
(``_heartbeat_settings``); the forwarding itself is here, once.
"""

from __future__ import annotations

import abc
import datetime
from collections.abc import Callable, Container, Sequence
from typing import Any

from podbor._frozen_study import FrozenStudy
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution
from podbor.storages._base import BaseStorage

__all__ = ["ForwardingStorage"]


class ForwardingStorage(BaseStorage):
    """Every storage method as ``self._call(name, *args, **kwargs)`` on the storage behind.

    Subclasses give :meth:`_call` and :meth:`_heartbeat_settings`; they override a method
    where they do more (check arguments before sending, keep what they read).
    """

    @abc.abstractmethod
    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Run ``method`` on the storage behind and return its result (or raise its error)."""

    @abc.abstractmethod
    def _heartbeat_settings(self) -> tuple[float | None, float | None, Any]:
        """The storage behind's heartbeat interval, grace period and stale-trial callback."""

    # -- studies ------------------------------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        study_id: int = self._call("create_new_study", list(directions), study_name)
        return study_id

    def delete_study(self, study_id: int) -> None:
        self._call("delete_study", study_id)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call("set_study_user_attr", study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call("set_study_system_attr", study_id, key, value)

    def get_study_id_from_name(self, study_name: str) -> int:
        study_id: int = self._call("get_study_id_from_name", study_name)
        return study_id

    def get_study_name_from_id(self, study_id: int) -> str:
        name: str = self._call("get_study_name_from_id", study_id)
        return name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        directions: list[StudyDirection] = self._call("get_study_directions", study_id)
        return directions

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        attrs: dict[str, Any] = self._call("get_study_user_attrs", study_id)
        return attrs

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        attrs: dict[str, Any] = self._call("get_study_system_attrs", study_id)
        return attrs

    def get_all_studies(self) -> list[FrozenStudy]:
        studies: list[FrozenStudy] = self._call("get_all_studies")
        return studies

    def get_study_trial_stats(self, study_id: int) -> tuple[int, datetime.datetime | None]:
        n, last = self._call("get_study_trial_stats", study_id)
        return int(n), last

    # -- trials: writes -----------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        trial_id: int = self._call("create_new_trial", study_id, template_trial)
        return trial_id

    def create_running_trial(
        self,
        study_id: int,
        template_trial: FrozenTrial | None = None,
        *,
        heartbeat: bool = False,
        limit: int | None = None,
    ) -> int | None:
        trial_id: int | None = self._call(
            "create_running_trial", study_id, template_trial, heartbeat=heartbeat, limit=limit
        )
        return trial_id

    def claim_waiting_trial(self, study_id: int) -> int | None:
        trial_id: int | None = self._call("claim_waiting_trial", study_id)
        return trial_id

    def claim_running_trial(self, study_id: int, *, heartbeat: bool = False) -> int | None:
        trial_id: int | None = self._call("claim_running_trial", study_id, heartbeat=heartbeat)
        return trial_id

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        self._call("set_trial_param", trial_id, param_name, param_value_internal, distribution)

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        done: bool = self._call(
            "set_trial_state_values", trial_id, state, None if values is None else list(values)
        )
        return done

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        self._call("set_trial_intermediate_value", trial_id, step, intermediate_value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._call("set_trial_user_attr", trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._call("set_trial_system_attr", trial_id, key, value)

    # -- trials: reads ------------------------------------------------------------------------
    def get_trial(self, trial_id: int) -> FrozenTrial:
        trial: FrozenTrial = self._call("get_trial", trial_id)
        return trial

    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        chosen = None if states is None else [s for s in TrialState if s in states]
        trials: list[FrozenTrial] = self._call("get_all_trials", study_id, False, chosen)
        return trials  # fresh objects, made for this caller alone

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        trial_id: int = self._call(
            "get_trial_id_from_study_id_trial_number", study_id, trial_number
        )
        return trial_id

    def get_trial_number_from_id(self, trial_id: int) -> int:
        number: int = self._call("get_trial_number_from_id", trial_id)
        return number

    def get_trial_param(self, trial_id: int, param_name: str) -> float:
        value: float = self._call("get_trial_param", trial_id, param_name)
        return value

    def get_n_trials(
        self, study_id: int, state: Container[TrialState] | TrialState | None = None
    ) -> int:
        if state is not None and not isinstance(state, TrialState):
            state = tuple(s for s in TrialState if s in state)  # any container: its members
        count: int = self._call("get_n_trials", study_id, state)
        return count

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        trial: FrozenTrial = self._call("get_best_trial", study_id)
        return trial

    def get_best_trial_only(self, study_id: int) -> FrozenTrial:
        trial: FrozenTrial = self._call("get_best_trial_only", study_id)
        return trial

    # -- heartbeats: the settings of the storage behind ---------------------------------------
    @property
    def heartbeat_interval(self) -> float | None:
        return self._heartbeat_settings()[0]

    @property
    def grace_period(self) -> float | None:
        """Seconds without a heartbeat after which a running trial is failed (the setting of
        the storage behind); None when heartbeats are off."""
        return self._heartbeat_settings()[1]

    @property
    def heartbeat_stale_trial_callback(self) -> Callable[[Any, FrozenTrial], None] | None:
        callback: Callable[[Any, FrozenTrial], None] | None = self._heartbeat_settings()[2]
        return callback

    def record_heartbeat(self, trial_id: int) -> None:
        self._call("record_heartbeat", trial_id)

    def get_trial_heartbeat(self, trial_id: int) -> datetime.datetime | None:
        beat: datetime.datetime | None = self._call("get_trial_heartbeat", trial_id)
        return beat

    def fail_stale_trials(self, study_id: int) -> list[int]:
        failed: list[int] = self._call("fail_stale_trials", study_id)
        return failed
