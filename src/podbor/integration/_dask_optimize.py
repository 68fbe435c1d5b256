"""``optimize``: run ``n_trials`` of a study across a Dask cluster's workers or any executor.

The caller's process is the driver. It sends one task per trial, keeping ``n_concurrent`` of
them in flight; each task runs one whole trial in its worker: it loads the study by name from
its storage (a database URL, a journal file or a :class:`DaskStorage`, which every worker
process can open), starts the trial, runs the objective and stores the result, and sends the
finished trial back. The driver counts them and runs the callbacks, so a callback sees every
trial in the caller's process and may call ``study.stop()``.

Counting, as ``Study.optimize`` counts: ``n_trials`` trials whose objective finished, in any
state (COMPLETE, PRUNED, or FAIL by an error in ``catch``). Each task starts its trial with
:meth:`~podbor._study_core.StudyCore.start_trial_within` (``podbor worker``'s budget: the
count of the study's trials outside FAIL and the creation of the trial are one storage write),
so however tasks race, are retried by Dask, or run twice, the study never holds more than
``n_trials`` trials of this call outside FAIL. A trial whose worker died is not counted: with
heartbeats on (the storage's ``heartbeat_interval``) it is failed after the grace period and
another trial runs in its place. (A Dask worker that dies also loses the results of the tasks
it had finished but not yet handed over; Dask runs those tasks again, and they find the budget
taken: the study is right, but those trials reach no callback.)

Losing every worker (a Dask cluster without a worker for a few seconds while trials remain, or
a ``ProcessPoolExecutor`` whose worker process died) raises one :class:`WorkersLostError`: the
finished trials are kept as they are, and the trials the lost workers ran are marked FAIL when
heartbeats allow (the driver waits out a grace period of up to 30 s), or named in the message.

Sampling: the study's sampler and pruner are pickled to the workers with each task; each
worker process (and thread) keeps the first copy it gets for the rest of the call and draws a
fresh seed for it (``reseed_rng``, from the operating system's entropy), so that no two workers
repeat each other's draws, as ``n_jobs`` threads do in ``Study.optimize``. A seeded sampler
therefore does not give the same trials twice across runs.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import importlib
import os
import pickle
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from podbor import logging as podbor_logging
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_core import StudyHandle, core_of
from podbor._validation import check_optional_real, check_positive_int
from podbor.exceptions import PodborError, invalid_argument
from podbor.integration._common import require
from podbor.logging import get_logger
from podbor.storages import InMemoryStorage
from podbor.storages._base import NOT_FAILED, BaseStorage
from podbor.study import Study, load_study
from podbor.study._heartbeat import fail_stale_trials
from podbor.study._optimize import run_trial
from podbor.trial._trial import Trial

if TYPE_CHECKING:
    from distributed import Client

    from podbor.pruners import BasePruner
    from podbor.samplers import BaseSampler

__all__ = ["WorkersLostError", "optimize"]

_logger = get_logger("podbor.integration.dask")
_OWNER = "podbor.integration.dask.optimize"
_LOST_AFTER = 5.0
"""Seconds a Dask cluster may have no worker while trials remain (a nanny restarts a dead
worker in less) before the call gives up."""
_WAIT_FOR_STALE = 30.0
"""The longest grace period the driver waits out to fail the trials of lost workers."""
_CACHED_STUDIES = 16


class WorkersLostError(PodborError, RuntimeError):
    """The workers that ran the trials are gone: every worker of the Dask cluster left, or a
    worker process of the executor died.

    The study keeps every trial that finished; the trials the lost workers were running are
    failed (with heartbeats on) or left RUNNING, as the message says.
    """


@dataclass(frozen=True)
class _Task:
    """What a worker needs to run one trial of the call ``call_id``."""

    call_id: str
    storage: BaseStorage
    study_name: str
    sampler: BaseSampler
    pruner: BasePruner
    func: Callable[[Trial], Any]
    catch: tuple[type[BaseException], ...]
    limit: int
    verbosity: int
    seq: int = 0
    """The task's place in the call: no two tasks are equal, so that an executor that reuses
    the result of an equal call (Dask's ``ClientExecutor`` hashes its arguments) runs each."""


# -- the worker's side ---------------------------------------------------------------------
_studies: OrderedDict[tuple[str, int], Study] = OrderedDict()
_studies_lock = threading.Lock()


def _study_for(task: _Task) -> Study:
    """This worker thread's handle on the call's study (loaded, and its sampler reseeded, once)."""
    key = (task.call_id, threading.get_ident())
    with _studies_lock:
        study = _studies.get(key)
        if study is not None:
            _studies.move_to_end(key)
            return study
    study = load_study(
        study_name=task.study_name,
        storage=task.storage,
        sampler=task.sampler,
        pruner=task.pruner,
    )
    study.sampler.reseed_rng()
    with _studies_lock:
        _studies[key] = study
        while len(_studies) > _CACHED_STUDIES:
            _studies.popitem(last=False)
    return study


def _run_task(task: _Task) -> FrozenTrial | None:
    """Run one trial of the call in this worker; None when the call's budget is taken."""
    if podbor_logging.get_verbosity() != task.verbosity:  # log as the caller's process does
        podbor_logging.set_verbosity(task.verbosity)
    study = _study_for(task)
    core = core_of(study)
    core.enter_optimize()  # the trial records this worker and beats from its creation
    try:
        fail_stale_trials(study)
        trial_id = core.start_trial_within(task.limit)
        if trial_id is None:
            return None
        return run_trial(study, task.func, task.catch, Trial(study, trial_id))
    finally:
        core.exit_optimize()


# -- the driver's side -----------------------------------------------------------------------
def _check_catch(catch: Any) -> tuple[type[BaseException], ...]:
    if isinstance(catch, type):
        catch = (catch,)
    try:
        caught = tuple(catch)
    except TypeError:
        caught = (catch,)
    if not all(isinstance(c, type) and issubclass(c, BaseException) for c in caught):
        raise invalid_argument(
            "catch",
            catch,
            "an exception class or an iterable of them",
            owner=_OWNER,
            wrong_type=True,
        )
    return caught


def _check_shared(storage: BaseStorage, threads: bool) -> None:
    """Refuse a storage that the workers' processes cannot open."""
    if threads:
        return
    url = getattr(storage, "url", None)
    in_memory = isinstance(storage, InMemoryStorage) or (
        isinstance(url, str)
        and url.startswith("sqlite")
        and url.rstrip("/") in ("sqlite:", "sqlite:///:memory:")
    )
    if in_memory:
        raise invalid_argument(
            "study",
            f"<study on {type(storage).__name__}>",
            "a study whose storage every worker process can open: a DaskStorage, a database "
            "URL (e.g. 'sqlite:///study.db') or a JournalStorage on a file; an in-memory "
            "storage works only with a ThreadPoolExecutor",
            owner=_OWNER,
        )


def _check_picklable(func: Any, dask: bool) -> None:
    try:
        if dask:
            importlib.import_module("distributed.protocol.pickle").dumps(func)
        else:
            pickle.dumps(func)
    except Exception as err:
        raise invalid_argument(
            "func",
            func,
            "a picklable callable: a function defined at the top level of a module (or, for "
            f"Dask, any function cloudpickle can send); pickling failed with {err!r}",
            owner=_OWNER,
            wrong_type=True,
        ) from err


class _Runner:
    """Submits tasks and waits for them on a Dask client or an executor, alike."""

    def __init__(self, client: Client | None, executor: concurrent.futures.Executor | None):
        self.client: Any = client
        self.executor = executor
        self._finished = threading.Event()  # set by each future as it finishes

    def submit(self, task: _Task) -> Any:
        if self.client is not None:
            future: Any = self.client.submit(_run_task, task, pure=False)
        else:
            assert self.executor is not None
            future = self.executor.submit(_run_task, task)
        with contextlib.suppress(AttributeError):  # futures without callbacks: looked at often
            future.add_done_callback(lambda _: self._finished.set())
        return future

    def wait(self, futures: set[Any], seconds: float) -> set[Any]:
        """The futures that are done, waiting up to ``seconds`` for one."""
        deadline = time.monotonic() + seconds
        while True:
            self._finished.clear()  # before looking: a future finishing from now on sets it
            done = {f for f in futures if f.done()}
            left = deadline - time.monotonic()
            if done or left <= 0:
                return done
            self._finished.wait(min(left, 0.05))

    def n_workers(self) -> int:
        if self.client is None:
            return 1
        return sum(self.client.nthreads().values())

    def default_concurrency(self) -> int:
        if self.client is not None:
            return max(1, self.n_workers())
        return int(getattr(self.executor, "_max_workers", 0) or os.cpu_count() or 1)

    def describe(self) -> str:
        if self.client is not None:
            return f"the Dask cluster at {self.client.scheduler.address}"
        return f"the {type(self.executor).__name__}"


def _running(study: StudyHandle, first_number: int) -> list[FrozenTrial]:
    """The RUNNING trials of this call (numbered from ``first_number``)."""
    core = core_of(study)
    trials = core.storage.get_all_trials(
        core.study_id, deepcopy=False, states=(TrialState.RUNNING,)
    )
    return [t for t in trials if t.number >= first_number]


def _may_fail(study: StudyHandle, first_number: int) -> bool:
    """Whether a RUNNING trial of this call holds the budget and heartbeats will fail it if its
    worker died (then the budget frees up and another trial runs in its place)."""
    if core_of(study).heartbeat_interval is None:
        return False
    return bool(_running(study, first_number))


def _lost(study: StudyHandle, first_number: int, where: str, why: str) -> WorkersLostError:
    """The error for lost workers, after failing their trials when heartbeats allow it."""
    core = core_of(study)
    storage = core.storage

    def running() -> list[FrozenTrial]:
        return _running(study, first_number)

    left = running()
    grace = getattr(storage, "grace_period", None)
    interval = core.heartbeat_interval
    if left and interval is not None and grace is not None and grace <= _WAIT_FOR_STALE:
        deadline = time.monotonic() + grace + 2 * interval
        while running() and time.monotonic() < deadline:
            time.sleep(min(interval, 0.5))
            fail_stale_trials(study)
        failed, left = len(left) - len(running()), running()
        fate = f"the {failed} trial(s) they were running were marked FAIL"
    elif left and interval is not None:
        fate = (
            "the trial(s) they were running are marked FAIL by the next worker once their "
            "heartbeats are older than the grace period"
        )
    elif left:
        fate = "the trial(s) they were running are left RUNNING (no heartbeats to fail them)"
    else:
        fate = "no trial was left running"
    if left:
        fate += f"; still RUNNING: {[t.number for t in left]}"
    return WorkersLostError(
        f"All workers of {where} were lost ({why}); the finished trials are kept, {fate}."
    )


def optimize(
    study: StudyHandle,
    func: Callable[[Trial], Any],
    n_trials: int,
    *,
    executor: concurrent.futures.Executor | None = None,
    client: Client | None = None,
    n_concurrent: int | None = None,
    timeout: float | None = None,
    catch: Iterable[type[Exception]] | type[Exception] = (),
    callbacks: Sequence[Callable[[Any, FrozenTrial], None]] | None = None,
) -> None:
    """Run ``n_trials`` trials of ``study`` across a Dask cluster's workers or an executor.

    Like ``study.optimize(func, n_trials=...)``, with the trials run by the workers: each one
    runs in a worker, which loads the study from its storage. Without ``executor`` or
    ``client``, the current Dask client (``distributed.get_client()``) runs them.

    Args:
        study: The study; its storage must be one every worker process can open (a
            :class:`DaskStorage`, a database URL, a journal file). An in-memory study works
            only with a ``ThreadPoolExecutor``.
        func: The objective, sent to the workers: it must pickle (with Dask, cloudpickle
            sends lambdas and closures too; a ``ProcessPoolExecutor`` needs a module-level
            function).
        n_trials: How many trials to run (see the module's description of what counts).
        executor: Any ``concurrent.futures.Executor`` (e.g. a ``ProcessPoolExecutor`` for a
            CPU-bound objective on one machine) instead of a Dask client.
        client: The Dask client whose workers run the trials.
        n_concurrent: How many trials run at once; by default the cluster's worker threads
            (at the call), or the executor's ``max_workers``.
        timeout: Seconds after which no new trial starts; the running ones finish.
        catch: Errors of the objective that fail their trial and let the call go on; any
            other error fails its trial, lets the running trials finish and is raised.
        callbacks: Called as ``callback(study, trial)`` in this process, after each trial.

    Raises:
        InvalidArgumentError: For a bad argument (named in the message), a study whose
            storage the workers cannot open, or an objective that does not pickle.
        WorkersLostError: When every worker of the cluster is gone (or a process pool broke).

    Example:
        >>> from concurrent.futures import ThreadPoolExecutor
        >>> import podbor
        >>> study = podbor.create_study()
        >>> with ThreadPoolExecutor(2) as pool:
        ...     optimize(study, lambda t: t.suggest_float("x", 0, 1), 4, executor=pool)
        >>> len(study.trials)
        4
    """
    n_trials = check_positive_int(n_trials, "n_trials", owner=_OWNER)
    timeout = check_optional_real(
        timeout, "timeout", owner=_OWNER, minimum=0.0, include_minimum=False, finite=True
    )
    caught = _check_catch(catch)
    if not callable(func):
        raise invalid_argument("func", func, "a callable taking a trial", owner=_OWNER)
    if n_concurrent is not None:
        n_concurrent = check_positive_int(n_concurrent, "n_concurrent", owner=_OWNER)
    if executor is not None and client is not None:
        raise invalid_argument(
            "executor", executor, "None when a client is given (one of the two)", owner=_OWNER
        )
    if executor is not None and not isinstance(executor, concurrent.futures.Executor):
        raise invalid_argument(
            "executor", executor, "a concurrent.futures.Executor", owner=_OWNER, wrong_type=True
        )
    if executor is None and client is None:
        distributed = require("distributed", package="Dask distributed", extra="dask", owner=_OWNER)
        client = distributed.get_client()
    core = core_of(study)
    threads = isinstance(executor, concurrent.futures.ThreadPoolExecutor)
    _check_shared(core.storage, threads)
    if not threads:
        _check_picklable(func, dask=client is not None)
    runner = _Runner(client, executor)
    concurrency = n_concurrent or runner.default_concurrency()
    callbacks = list(callbacks or ())

    first_number = core.n_trials()
    limit = core.storage.get_n_trials(core.study_id, NOT_FAILED) + n_trials
    task = _Task(
        uuid.uuid4().hex,
        core.storage,
        core.study_name,
        core.sampler,
        core.pruner,
        func,
        caught,
        limit,
        podbor_logging.get_verbosity(),
    )
    deadline = None if timeout is None else time.monotonic() + timeout
    finished, budget_taken = 0, False
    in_flight: set[Any] = set()
    error: BaseException | None = None
    no_workers_since: float | None = None
    pause_until = 0.0
    submitted = 0
    core.enter_optimize()  # study.stop() from a callback works
    try:
        while True:
            while (
                error is None
                and not budget_taken
                and not core.stop_requested
                and (deadline is None or time.monotonic() < deadline)
                and len(in_flight) < concurrency
                and finished + len(in_flight) < n_trials
                and time.monotonic() >= pause_until
            ):
                submitted += 1
                in_flight.add(runner.submit(dataclasses.replace(task, seq=submitted)))
            if not in_flight:
                if time.monotonic() < pause_until and finished < n_trials and error is None:
                    time.sleep(pause_until - time.monotonic())
                    continue
                break
            done = runner.wait(in_flight, 0.5)
            in_flight -= done
            for future in done:
                try:
                    frozen = future.result()
                except concurrent.futures.process.BrokenProcessPool as err:
                    raise _lost(study, first_number, runner.describe(), f"{err}") from err
                except Exception as err:
                    if type(err).__name__ == "KilledWorker":
                        raise _lost(
                            study,
                            first_number,
                            runner.describe(),
                            f"a trial's task killed every worker that ran it: {err}",
                        ) from err
                    error = error or err
                    continue
                if frozen is None:  # the budget is taken: by trials that may yet fail?
                    budget_taken = not _may_fail(study, first_number)
                    pause_until = time.monotonic() + 0.5
                    continue
                finished += 1
                for callback in callbacks:
                    callback(study, frozen)
            if client is not None and in_flight:
                if runner.n_workers() > 0:
                    no_workers_since = None
                elif no_workers_since is None:
                    no_workers_since = time.monotonic()
                elif time.monotonic() - no_workers_since > _LOST_AFTER:
                    for future in in_flight:
                        future.cancel()
                    raise _lost(
                        study,
                        first_number,
                        runner.describe(),
                        f"no worker for {_LOST_AFTER:.0f} s with {len(in_flight)} trial(s) to run",
                    )
    finally:
        core.exit_optimize()
    if error is not None:
        raise error
    if budget_taken:
        stuck = _running(study, first_number)
        if stuck:
            _logger.warning(
                f"Trials {[t.number for t in stuck]} are still RUNNING after every task ended: "
                "their workers died, and without heartbeats nothing fails them; they hold the "
                "place of trials that did not run."
            )
