"""The optimize loop: sequential, or ``n_jobs`` threads sharing one study."""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from podbor.exceptions import TrialPruned, invalid_argument
from podbor.logging import get_logger
from podbor.study._heartbeat import fail_stale_trials, heartbeat
from podbor.study._progress import ProgressBar
from podbor.study._tell import FAIL_REASON_KEY
from podbor.trial._frozen import FrozenTrial
from podbor.trial._state import TrialState
from podbor.trial._trial import Trial

if TYPE_CHECKING:
    from podbor.study._study import Study

__all__ = ["ObjectiveFuncType", "optimize"]

ObjectiveFuncType = Callable[[Trial], "float | Sequence[float]"]
CallbackType = Callable[["Study", FrozenTrial], None]

_logger = get_logger("podbor.study")


def _validate(
    n_trials: Any, timeout: Any, n_jobs: Any, catch: Any
) -> tuple[int | None, float | None, int, tuple[type[BaseException], ...]]:
    owner = "Study.optimize"
    if n_trials is not None and (
        isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0
    ):
        raise invalid_argument("n_trials", n_trials, "an int >= 0 or None", owner=owner)
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise invalid_argument(
                "timeout", timeout, "a number of seconds > 0 or None", owner=owner
            )
        timeout = float(timeout)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise invalid_argument("n_jobs", n_jobs, "an int >= 1, or -1 for all cores", owner=owner)
    if n_jobs < 0:
        n_jobs = os.cpu_count() or 1
    if isinstance(catch, type):
        catch = (catch,)
    try:
        catch = tuple(catch)
    except TypeError:
        raise invalid_argument(
            "catch", catch, "an exception class or a tuple of them", owner=owner
        ) from None
    if not all(isinstance(c, type) and issubclass(c, BaseException) for c in catch):
        raise invalid_argument("catch", catch, "an exception class or a tuple of them", owner=owner)
    return n_trials, timeout, n_jobs, catch


class _Budget:
    """Counts the trials this call may still start, shared by the worker threads."""

    def __init__(self, n_trials: int | None, timeout: float | None) -> None:
        self._left = n_trials
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._start = time.monotonic()
        self._lock = threading.Lock()

    def take(self, study: Study) -> bool:
        with self._lock:
            if study._stop_flag:
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
    study: Study,
    func: ObjectiveFuncType,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[Exception]] | type[Exception],
    callbacks: Iterable[CallbackType] | None,
    gc_after_trial: bool,
    show_progress_bar: bool,
) -> None:
    """Implement :meth:`Study.optimize` (see there)."""
    n_trials, timeout, n_jobs, catch_tuple = _validate(n_trials, timeout, n_jobs, catch)
    if not callable(func):
        raise invalid_argument("func", func, "a callable taking a trial", owner="Study.optimize")
    callbacks = list(callbacks or [])
    if not study._optimize_lock.acquire(blocking=False):
        raise RuntimeError(
            "Nested optimization: Study.optimize cannot be called from an objective."
        )
    study._stop_flag = False
    budget = _Budget(n_trials, timeout)
    bar = ProgressBar(show_progress_bar, n_trials, timeout)
    start_lock = threading.Lock()
    try:

        def worker() -> None:
            try:
                while True:
                    # Take the budget and start the trial at once, so that a stop() made while a
                    # trial starts (e.g. GridSampler reserving its last point) holds every thread.
                    with start_lock:
                        if not budget.take(study):
                            break
                        trial = start_trial(study)
                    frozen = run_trial(study, func, catch_tuple, trial)
                    bar.update(budget.elapsed(), _best_text(study))
                    for callback in callbacks:
                        callback(study, frozen)
                    if gc_after_trial:
                        gc.collect()
            except BaseException:  # stop the other threads at once, not when joined
                study._stop_flag = True
                raise

        if n_jobs == 1:
            worker()
        else:
            _run_threads(study, worker, n_jobs)
    finally:
        bar.close()
        study._stop_flag = False
        study._optimize_lock.release()


def _run_threads(study: Study, worker: Callable[[], None], n_jobs: int) -> None:
    with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="podbor-worker") as pool:
        futures = [pool.submit(worker) for _ in range(n_jobs)]
        first_error: BaseException | None = None
        try:
            for future in futures:
                try:
                    future.result()
                except BaseException as err:  # stop the others, re-raise the first
                    study._stop_flag = True
                    first_error = first_error or err
        except KeyboardInterrupt:
            study._stop_flag = True
            raise
        if first_error is not None:
            raise first_error


def _best_text(study: Study) -> str | None:
    if len(study.directions) > 1:
        return None
    try:
        best = study._storage.get_best_trial(study._study_id)
    except ValueError:
        return None
    return f"best trial {best.number}: {best.value:.6g}" if best.value is not None else None


def start_trial(study: Study) -> Trial:
    """Fail the trials of dead workers, then ask for the next trial."""
    fail_stale_trials(study)
    return study.ask()


def run_trial(
    study: Study,
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
        with heartbeat(study, trial._trial_id):
            returned = func(trial)
    except TrialPruned as pruned:
        if str(pruned):
            trial.set_system_attr("prune_reason", str(pruned))
        return study.tell(trial, state=TrialState.PRUNED)
    except BaseException as err:  # KeyboardInterrupt too: fail the trial, keep the study
        error = err
    if error is None:  # COMPLETE explicitly: a None return then fails the trial with a warning
        return study.tell(trial, returned, state=TrialState.COMPLETE)

    reason = f"{type(error).__name__}: {error}"
    study._storage.set_trial_system_attr(trial._trial_id, FAIL_REASON_KEY, reason)
    frozen = study.tell(trial, state=TrialState.FAIL)
    is_caught = isinstance(error, catch) and isinstance(error, Exception)
    _logger.warning(
        f"Trial {frozen.number} failed with parameters: {frozen.params} because of the following "
        f"error: {error!r}.",
        exc_info=(type(error), error, error.__traceback__),
    )
    if not is_caught:
        raise error
    return frozen
