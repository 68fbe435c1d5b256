"""Re-queue trials whose worker died: a ``heartbeat_stale_trial_callback`` for heartbeat
storages.

The storage only marks a stale trial FAIL; what happens next is the study's business, so the
callback lives in the study layer. ``podbor.storages.RetryHeartbeatStaleTrialCallback`` and the
deprecated ``podbor.storages.RetryFailedTrialCallback`` (Optuna's paths) name these same
classes: the top-level package sets them there, so that ``storages`` never imports upward.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podbor._deprecated import experimental, warn_deprecated
from podbor._records.frozen_trial import FrozenTrial, create_trial
from podbor._records.trial_state import TrialState
from podbor._study_core import FIXED_PARAMS_KEY
from podbor._validation import check_optional_int

if TYPE_CHECKING:
    from podbor.study._study import Study

__all__ = ["RetryFailedTrialCallback", "RetryHeartbeatStaleTrialCallback"]

_FAILED_TRIAL = "failed_trial"
_RETRY_HISTORY = "retry_history"


@experimental("0.1.0")
class RetryHeartbeatStaleTrialCallback:
    """Enqueue a copy of a trial whose worker died, with the same parameters.

    The copy records ``failed_trial`` (the number of the first trial of the chain) and
    ``retry_history`` (all earlier numbers) in its system attributes. Experimental, as in
    Optuna: making one emits an :class:`~podbor.exceptions.ExperimentalWarning`.

    Args:
        max_retry: How many times one configuration may be retried; None for no limit.
        inherit_intermediate_values: Carry the dead trial's reports over to the retry.

    Example:
        >>> import podbor, tempfile, os
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "s.db")
        >>> retry = RetryHeartbeatStaleTrialCallback(max_retry=2)
        >>> storage = podbor.storages.RDBStorage(
        ...     url, heartbeat_interval=60, heartbeat_stale_trial_callback=retry
        ... )
    """

    def __init__(
        self, max_retry: int | None = None, inherit_intermediate_values: bool = False
    ) -> None:
        self._max_retry = check_optional_int(
            max_retry, "max_retry", owner=type(self).__name__, minimum=0
        )
        self._inherit = inherit_intermediate_values

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        history: list[int] = list(trial.system_attrs.get(_RETRY_HISTORY, []))
        if self._max_retry is not None and len(history) >= self._max_retry:
            return
        system_attrs: dict[str, Any] = {
            _FAILED_TRIAL: trial.system_attrs.get(_FAILED_TRIAL, trial.number),
            _RETRY_HISTORY: [*history, trial.number],
            FIXED_PARAMS_KEY: dict(trial.params),
        }
        study.add_trial(
            create_trial(
                state=TrialState.WAITING,
                params=dict(trial.params),
                distributions=dict(trial.distributions),
                user_attrs=dict(trial.user_attrs),
                system_attrs=system_attrs,
                intermediate_values=dict(trial.intermediate_values) if self._inherit else None,
            )
        )

    @staticmethod
    def retried_trial_number(trial: FrozenTrial) -> int | None:
        """The number of the first trial of the retry chain ``trial`` belongs to, or None."""
        number = trial.system_attrs.get(_FAILED_TRIAL)
        return None if number is None else int(number)

    @staticmethod
    def retry_history(trial: FrozenTrial) -> list[int]:
        """The numbers of the earlier trials of the retry chain, oldest first."""
        return [int(n) for n in trial.system_attrs.get(_RETRY_HISTORY, [])]


class RetryFailedTrialCallback(RetryHeartbeatStaleTrialCallback):
    """Deprecated old name of :class:`RetryHeartbeatStaleTrialCallback` (as in Optuna 4.9+)."""

    def __init__(
        self, max_retry: int | None = None, inherit_intermediate_values: bool = False
    ) -> None:
        warn_deprecated(
            "RetryFailedTrialCallback",
            since="0.1.0",
            removed_in="1.0.0",
            replacement="RetryHeartbeatStaleTrialCallback",
        )
        super().__init__(max_retry, inherit_intermediate_values)
