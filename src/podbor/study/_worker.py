"""One worker of a study shared by many processes or machines (what ``podbor worker`` runs).

Each worker loads the study and runs trials until the *study's* total is reached, whoever ran
them: ``n_trials`` counts the study's trials that are not FAIL (COMPLETE, PRUNED, and those
RUNNING or WAITING that may still become so), so the budget is the one
:class:`~podbor.study.MaxTrialsCallback` gives, without its overshoot: a worker starts a new trial
only through :meth:`~podbor._study_core.StudyCore.start_trial_within`, which checks the total and
creates the trial in one write. When the budget is taken but trials are still running elsewhere,
a worker with heartbeats waits: if one of those workers dies, its trial is failed after the grace
period and re-queued by the retry callback, and a waiting worker runs it. So the study ends with
exactly ``n_trials`` COMPLETE or PRUNED trials, however many workers were killed on the way.

A stop request (:meth:`Worker.request_stop`, which ``podbor worker`` calls on SIGTERM and
SIGINT) starts no new trial; a trial whose objective is running is interrupted (the objective
gets :class:`WorkerInterrupted`), stored as FAIL with the reason, and re-queued like a dead
worker's trial, so another worker runs it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_core import FAIL_REASON_KEY, StudyHandle, core_of
from podbor._validation import check_optional_real, check_positive_int
from podbor.exceptions import PodborError, UpdateFinishedTrialError
from podbor.logging import get_logger
from podbor.storages._base import NOT_FAILED
from podbor.study._heartbeat import fail_stale_trials
from podbor.study._optimize import run_trial
from podbor.trial._trial import Trial

__all__ = ["ObjectiveValuesError", "Worker", "WorkerInterrupted", "WorkerOutcome"]

_logger = get_logger("podbor.study")

_COUNTED = (TrialState.COMPLETE, TrialState.PRUNED)
RetryCallback = Callable[[Any, FrozenTrial], None]


class WorkerInterrupted(BaseException):
    """Raised inside a running objective when its worker is asked to stop (SIGTERM).

    A ``BaseException``, like ``KeyboardInterrupt``, so that an objective's ``except
    Exception`` does not swallow it.
    """


class ObjectiveValuesError(PodborError, ValueError):
    """The objective returned a number of values that is not the study's number of objectives.

    Every trial would fail the same way, so the worker stops at the first one.
    """


@dataclass(frozen=True)
class WorkerOutcome:
    """What one worker did.

    Attributes:
        n_run: The trials this worker ran (each one told, whatever its state).
        reason: Why it stopped: ``"done"`` (the study's total is reached), ``"timeout"``,
            ``"stopped"`` (a stop request, e.g. SIGTERM) or ``"budget taken"`` (no
            heartbeats: nothing left to start, the other workers run the rest).
    """

    n_run: int
    reason: str


class Worker:
    """Run trials of one study until its total is reached (see the module's description).

    Args:
        study: The study (loaded on a storage that many workers share).
        func: The objective.
        n_trials: The study's total of trials that are not FAIL; None for no total (the worker
            then runs until ``timeout`` or a stop request).
        timeout: Seconds after which the worker starts no new trial; None for no limit.
        retry: Called as ``retry(study, trial)`` on a trial this worker failed because it was
            asked to stop (e.g. a :class:`RetryHeartbeatStaleTrialCallback`), to re-queue it.
        max_failures_in_a_row: After so many trials of this worker failed one after the other,
            it stops with a :class:`~podbor.exceptions.PodborError` (an objective that always
            fails must not fill the study with failures).
        poll_interval: Seconds between looks at the study while the budget is taken and other
            workers' trials still run.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> Worker(study, lambda t: t.suggest_float("x", 0, 1), n_trials=3).run()
        WorkerOutcome(n_run=3, reason='done')
    """

    def __init__(
        self,
        study: StudyHandle,
        func: Callable[[Trial], Any],
        *,
        n_trials: int | None,
        timeout: float | None = None,
        retry: RetryCallback | None = None,
        max_failures_in_a_row: int = 10,
        poll_interval: float = 0.5,
    ) -> None:
        owner = "Worker"
        self._study = study
        self._func = func
        self._n_trials = (
            None if n_trials is None else check_positive_int(n_trials, "n_trials", owner=owner)
        )
        self._timeout = check_optional_real(
            timeout, "timeout", owner=owner, minimum=0.0, include_minimum=False, finite=True
        )
        self._retry = retry
        self._max_failures = check_positive_int(
            max_failures_in_a_row, "max_failures_in_a_row", owner=owner
        )
        self._poll = poll_interval
        self._stop = threading.Event()
        self._in_objective = False
        self._bad_values: str | None = None
        self._thread = threading.current_thread()  # the loop's, set again by run()

    # -- stopping ------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Start no new trial, and interrupt the objective if one runs in the calling thread.

        Meant for a signal handler, which Python runs in the main thread, where ``podbor
        worker`` runs the loop: the objective then gets :class:`WorkerInterrupted`. Called from
        another thread, it only lets the current trial finish and starts no other.
        """
        self._stop.set()
        if self._in_objective and threading.current_thread() is self._thread:
            self._in_objective = False
            raise WorkerInterrupted("the worker was asked to stop")

    def _objective(self, trial: Trial) -> Any:
        self._in_objective = True
        try:
            if self._stop.is_set():
                raise WorkerInterrupted("the worker was asked to stop")
            returned = self._func(trial)
        finally:
            self._in_objective = False
        self._bad_values = _wrong_count(returned, len(core_of(self._study).directions))
        return returned

    # -- the loop ------------------------------------------------------------------------
    def run(self) -> WorkerOutcome:
        """Run trials until the study's total is reached, the timeout, or a stop request.

        Raises:
            ObjectiveValuesError: The objective returned the wrong number of values (that
                trial is stored as FAIL, with the reason).
            PodborError: ``max_failures_in_a_row`` trials of this worker failed in a row.
        """
        self._thread = threading.current_thread()
        core = core_of(self._study)
        core.enter_optimize()  # the trials record this worker and beat from their creation
        try:
            return self._loop()
        finally:
            core.exit_optimize()

    def _loop(self) -> WorkerOutcome:
        core = core_of(self._study)
        start, n_run, failures, idle = time.monotonic(), 0, 0, False
        while True:
            if self._stop.is_set():
                return WorkerOutcome(n_run, "stopped")
            if self._timeout is not None and time.monotonic() - start >= self._timeout:
                return WorkerOutcome(n_run, "timeout")
            fail_stale_trials(self._study)
            if self._n_trials is None:
                trial_id: int | None = core.start_trial(heartbeat=True)
            elif core.storage.get_n_trials(core.study_id, _COUNTED) >= self._n_trials:
                return WorkerOutcome(n_run, "done")
            elif idle and self._budget_still_taken():
                trial_id = None  # looked with reads only: no write while waiting
            else:
                trial_id = core.start_trial_within(self._n_trials)
            idle = trial_id is None
            if trial_id is None:  # the budget is taken: the rest runs elsewhere
                if core.heartbeat_interval is None:
                    return WorkerOutcome(n_run, "budget taken")
                self._stop.wait(self._poll)  # a dead worker's trial comes back after its grace
                continue
            frozen = self._run_one(Trial(self._study, trial_id))
            n_run += 1
            failures = failures + 1 if frozen.state == TrialState.FAIL else 0
            if failures >= self._max_failures:
                raise PodborError(
                    f"{failures} trials in a row failed in this worker; the last, trial "
                    f"{frozen.number}: {frozen.system_attrs.get(FAIL_REASON_KEY, 'no reason stored')}"
                )

    def _budget_still_taken(self) -> bool:
        """Whether no trial waits and the study still holds its total outside FAIL."""
        core = core_of(self._study)
        assert self._n_trials is not None
        if core.storage.get_n_trials(core.study_id, TrialState.WAITING):
            return False
        return core.storage.get_n_trials(core.study_id, NOT_FAILED) >= self._n_trials

    def _run_one(self, trial: Trial) -> FrozenTrial:
        """Run one trial: an error of the objective fails it (and is logged), a stop request
        fails and re-queues it; return it as stored."""
        self._bad_values = None
        try:
            frozen = run_trial(self._study, self._objective, (Exception,), trial)
        except WorkerInterrupted:
            frozen = core_of(self._study).get_trial(trial._trial_id)
            if self._retry is not None and frozen.state == TrialState.FAIL:
                self._retry(self._study, frozen)
            _logger.warning(f"Trial {frozen.number} was interrupted: the worker is stopping.")
            return frozen
        except UpdateFinishedTrialError:  # FinishedTrialTellError too
            # another worker failed it as stale (its heartbeats did not reach the storage for
            # the grace period, e.g. during a database restart); its retry runs it again
            frozen = core_of(self._study).get_trial(trial._trial_id)
            _logger.warning(
                f"Trial {frozen.number} was marked {frozen.state.name} by another worker while "
                "it ran here (its heartbeats stopped reaching the storage); its result is dropped."
            )
            return frozen
        if self._bad_values is not None:
            raise ObjectiveValuesError(f"trial {frozen.number}: {self._bad_values}")
        return frozen


def _wrong_count(returned: Any, n_objectives: int) -> str | None:
    """Why ``returned`` has the wrong number of values for the study, or None."""
    if isinstance(returned, Sequence) and not isinstance(returned, (str, bytes)):
        count = len(returned)
    else:
        count = 1
    if count == n_objectives:
        return None
    return f"the objective returned {count} value(s), but the study has {n_objectives} objective(s)"
