"""The optimize loop: sequential, or ``n_jobs`` threads sharing one study."""

from __future__ import annotations

import copy
import gc
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_core import FAIL_REASON_KEY, PRUNE_REASON_KEY, StudyCore, StudyHandle, core_of
from podbor._validation import check_int, check_optional_int, check_optional_real
from podbor.exceptions import TrialPruned, invalid_argument, podbor_equivalent
from podbor.logging import get_logger
from podbor.study._heartbeat import fail_stale_trials, heartbeat
from podbor.study._progress import ProgressBar
from podbor.study._tell import tell
from podbor.trial._trial import Trial, new_trial

__all__ = ["ObjectiveFuncType", "TrialCallback", "optimize", "run_trial", "start_trial"]

ObjectiveFuncType = Callable[[Trial], "float | Sequence[float]"]
TrialCallback = Callable[[FrozenTrial], None]
"""A callback bound to its study (``Study.optimize`` binds the user's ``callback(study, trial)``)."""

_logger = get_logger("podbor.study")


def _validate(
    n_trials: Any, timeout: Any, n_jobs: Any, catch: Any
) -> tuple[int | None, float | None, int, tuple[type[BaseException], ...]]:
    owner = "Study.optimize"
    n_trials = check_optional_int(n_trials, "n_trials", owner=owner, minimum=0)
    timeout = check_optional_real(
        timeout,
        "timeout",
        owner=owner,
        minimum=0.0,
        include_minimum=False,
        allowed="a number of seconds > 0 or None",
    )
    n_jobs = check_int(n_jobs, "n_jobs", owner=owner, allowed="an int >= 1, or -1 for all cores")
    if n_jobs == 0:
        raise invalid_argument("n_jobs", n_jobs, "an int >= 1, or -1 for all cores", owner=owner)
    if n_jobs < 0:
        n_jobs = os.cpu_count() or 1
    if isinstance(catch, type):
        catch = (catch,)
    try:
        catch = tuple(catch)
    except TypeError:
        raise _catch_error(catch) from None
    if not all(isinstance(c, type) and issubclass(c, BaseException) for c in catch):
        raise _catch_error(catch)
    return n_trials, timeout, n_jobs, catch


def _catch_error(catch: Any) -> TypeError:
    """A wrong type for ``catch`` is a ``TypeError``, as in Optuna (the usual message shape)."""
    message = invalid_argument(
        "catch", catch, "an exception class or an iterable of them", owner="Study.optimize"
    )
    return TypeError(str(message))


class _Budget:
    """Counts the trials this call may still start, shared by the worker threads."""

    def __init__(self, n_trials: int | None, timeout: float | None) -> None:
        self._left = n_trials
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._halted = False

    def halt(self) -> None:
        """Start no more trials in this call (a worker raised)."""
        self._halted = True

    def take(self, core: StudyCore) -> bool:
        with self._lock:
            if self._halted or core.stop_requested:
                return False
            if self._deadline is not None and time.monotonic() >= self._deadline:
                return False
            if self._left is not None:
                if self._left <= 0:
                    return False
                self._left -= 1
            return True

    def elapsed(self) -> float:
        return time.monotonic() - self._start


def optimize(
    study: StudyHandle,
    func: ObjectiveFuncType,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[Exception]] | type[Exception],
    callbacks: Sequence[TrialCallback],
    gc_after_trial: bool,
    show_progress_bar: bool,
) -> None:
    """Implement :meth:`Study.optimize` (see there); ``callbacks`` come bound to the study."""
    n_trials, timeout, n_jobs, catch_tuple = _validate(n_trials, timeout, n_jobs, catch)
    if not callable(func):
        raise invalid_argument("func", func, "a callable taking a trial", owner="Study.optimize")
    core = core_of(study)
    core.enter_optimize()
    budget = _Budget(n_trials, timeout)
    try:
        bar = ProgressBar(show_progress_bar, n_trials, timeout, n_jobs)

        def worker() -> None:
            try:
                while True:
                    # Take the budget and start the trial at once, so that a stop() made while a
                    # trial starts (e.g. GridSampler reserving its last point) holds every thread.
                    with core.start_lock:
                        if not budget.take(core):
                            break
                        if n_jobs != 1:  # threads share the sampler: let each trial diverge
                            core.sampler.reseed_rng()
                        trial = start_trial(study)
                    frozen = run_trial(study, func, catch_tuple, trial)
                    bar.update(budget.elapsed(), core.best_trial)
                    for callback in callbacks:  # each its own copy, as in Optuna
                        callback(copy.deepcopy(frozen))
                    if gc_after_trial:
                        gc.collect()
            except BaseException:  # stop this call's other threads at once, not when joined
                budget.halt()
                raise

        try:
            if n_jobs == 1:
                worker()
            else:
                _run_threads(core, budget, worker, n_jobs)
        finally:
            bar.close()
    finally:
        core.exit_optimize()


def _run_threads(core: StudyCore, budget: _Budget, worker: Callable[[], None], n_jobs: int) -> None:
    def marked_worker() -> None:  # stop() and the nesting check work from the worker threads
        core.mark_worker(True)
        try:
            worker()
        finally:
            core.mark_worker(False)

    with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="podbor-worker") as pool:
        futures = [pool.submit(marked_worker) for _ in range(n_jobs)]
        first_error: BaseException | None = None
        try:
            for future in futures:
                try:
                    future.result()
                except BaseException as err:  # stop the others, re-raise the first
                    budget.halt()
                    first_error = first_error or err
        except KeyboardInterrupt:
            budget.halt()
            raise
        if first_error is not None:
            raise first_error


def start_trial(study: StudyHandle) -> Trial:
    """Fail the trials of dead workers, then start the next trial (an enqueued one first)."""
    fail_stale_trials(study)
    return new_trial(study, heartbeat=True)  # beats from the write that creates it


def run_trial(
    study: StudyHandle,
    func: ObjectiveFuncType,
    catch: tuple[type[BaseException], ...],
    trial: Trial | None = None,
) -> FrozenTrial:
    """Run one trial: ask, call the objective, tell; re-raise errors not in ``catch``.

    ``trial``, when given, was started already with :func:`start_trial` (the loop starts trials
    under a lock); otherwise it is started here.
    """
    if trial is None:
        trial = start_trial(study)
    error: BaseException | None = None
    try:
        with heartbeat(core_of(study), trial._trial_id):
            returned = func(trial)
    except BaseException as err:  # KeyboardInterrupt too: fail the trial, keep the study
        error = err
    try:
        if error is None:  # state None: a None or NaN return fails the trial with a warning
            return tell(study, trial, returned, None, False)
        kind = podbor_equivalent(error)  # Optuna's TrialPruned, raised by code written for Optuna
        if issubclass(kind, TrialPruned):
            reason = _error_text(error)
            if reason:
                trial.set_system_attr(PRUNE_REASON_KEY, reason)
            return tell(study, trial, None, TrialState.PRUNED, False)
        trial.set_system_attr(FAIL_REASON_KEY, f"{type(error).__name__}: {_error_text(error)}")
        frozen = tell(study, trial, None, TrialState.FAIL, False)
    except BaseException as tell_error:  # e.g. a storage error midway: never leave it RUNNING
        _fail_if_running(core_of(study), trial, tell_error)
        raise
    is_caught = issubclass(kind, catch) and isinstance(error, Exception)
    _logger.warning(
        f"Trial {frozen.number} failed with parameters: {frozen.params} because of the following "
        f"error: {error!r}.",
        exc_info=(type(error), error, error.__traceback__),
    )
    if not is_caught:
        raise error
    return frozen


def _error_text(error: BaseException) -> str:
    """``str(error)``, or a placeholder when the exception's ``__str__`` itself fails."""
    try:
        return str(error)
    except Exception:
        return f"<{type(error).__name__} whose message cannot be shown>"


def _fail_if_running(core: StudyCore, trial: Trial, error: BaseException) -> None:
    """Finish ``trial`` as FAIL when finishing it normally raised ``error`` midway.

    The error is re-raised by the caller; a second failure here is logged, not raised over it.
    """
    try:
        if core.get_trial(trial._trial_id).state != TrialState.RUNNING:
            return
        reason = f"Finishing the trial failed: {type(error).__name__}: {_error_text(error)}"
        core.set_trial_system_attr(trial._trial_id, FAIL_REASON_KEY, reason)
        core.finish_trial(trial._trial_id, TrialState.FAIL, None)
    except Exception as second:
        _logger.error(f"Trial {trial.number} could not be marked FAIL: {second!r}")
