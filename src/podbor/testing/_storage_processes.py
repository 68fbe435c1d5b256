"""Storage conformance checks of many workers on one storage: threads racing for the same trials,
and a worker that dies in the middle of a trial.

The dying worker is a process killed with SIGKILL where processes can share the storage
(``shared_across_processes``), and a thread that stops where they cannot; either way it finished
some trials first, and its last trial was left RUNNING with its heartbeat stopped.
"""

from __future__ import annotations

import datetime
import multiprocessing
import threading
import time
from typing import Any, ClassVar, Final

from podbor import logging as podbor_logging
from podbor._records.trial_state import TrialState
from podbor.storages._base import BaseStorage
from podbor.study import create_study, load_study
from podbor.study._retry import RetryHeartbeatStaleTrialCallback
from podbor.testing._common import quiet_podbor_logging
from podbor.testing._storage_common import MIN, N_THREADS, in_threads, make_template
from podbor.trial._trial import Trial

__all__ = ["WorkerChecks"]

KILLED_STUDY: Final = "killed-worker"
N_FINISHED: Final = 3
"""Trials the dying worker finishes before the one it dies in."""
HEARTBEAT_INTERVAL: Final = 0.5
GRACE_PERIOD: Final = 1.0


def _objective(trial: Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.report(x, 0)
    return x


def _work_then_hang(storage: BaseStorage, ready: Any) -> None:
    """A worker process: finish ``N_FINISHED`` trials, then hang in the next one until killed
    (its heartbeats go on until then)."""
    podbor_logging.set_verbosity(podbor_logging.WARNING)
    study = load_study(study_name=KILLED_STUDY, storage=storage)
    study.optimize(_objective, n_trials=N_FINISHED)

    def hang(trial: Trial) -> float:
        _objective(trial)
        ready.set()
        time.sleep(600)
        return 0.0

    study.optimize(hang, n_trials=1)


def _work_then_stop(storage: BaseStorage) -> None:
    """A worker thread: finish ``N_FINISHED`` trials, then start one, record its heartbeat once
    and stop, never telling the study how the trial ended."""
    study = load_study(study_name=KILLED_STUDY, storage=storage)
    study.optimize(_objective, n_trials=N_FINISHED)
    trial = study.ask()
    _objective(trial)
    study_id = storage.get_study_id_from_name(KILLED_STUDY)
    storage.record_heartbeat(
        storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
    )


def _kill_a_worker_process(storage: BaseStorage) -> None:
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    process = context.Process(target=_work_then_hang, args=(storage, ready), daemon=True)
    process.start()
    try:
        assert ready.wait(timeout=120), "the worker process never reached its last trial"
    finally:
        process.kill()  # SIGKILL: no cleanup, no last words
        process.join()


def _stop_a_worker_thread(storage: BaseStorage) -> None:
    thread = threading.Thread(target=_work_then_stop, args=(storage,))
    thread.start()
    thread.join()


class WorkerChecks:
    """The many-workers part of :class:`~podbor.testing.storages.StorageConformance`."""

    shared_across_processes: ClassVar[bool] = True
    """Whether several processes can open the storage (pickling a handle gives another handle on
    the same studies). The killed-worker check then kills a worker process; a storage that lives
    in one process (``InMemoryStorage``) sets it False and the worker is a thread that stops."""

    def with_heartbeats(
        self,
        storage: BaseStorage,
        *,
        heartbeat_interval: float,
        grace_period: float,
        heartbeat_stale_trial_callback: Any = None,
    ) -> BaseStorage | None:
        """Return a handle on the studies of ``storage`` (fresh and empty) with heartbeats on.

        Subclasses override it for the killed-worker check. A storage that processes cannot
        share may return a new storage (the check then uses only that one). A storage without
        heartbeats returns None: the check then expects the dead worker's trial to stay RUNNING
        while the study goes on.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must override with_heartbeats(self, storage, *, "
            "heartbeat_interval, grace_period, heartbeat_stale_trial_callback) to return a handle "
            "on the same studies with these heartbeat settings (or None if it has no heartbeats)."
        )

    # -- threads ---------------------------------------------------------------------------------
    def test_create_new_trial_concurrently(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "threads")
        per_thread = 25
        ids = in_threads(lambda _: [storage.create_new_trial(study_id) for _ in range(per_thread)])
        flat = [trial_id for chunk in ids for trial_id in chunk]
        assert len(set(flat)) == N_THREADS * per_thread
        trials = storage.get_all_trials(study_id)
        assert [t.number for t in trials] == list(range(N_THREADS * per_thread))
        assert sorted(t._trial_id for t in trials) == sorted(flat)

    def test_set_running_concurrently(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "race")
        for _ in range(5):
            trial_id = storage.create_new_trial(
                study_id, template_trial=make_template(TrialState.WAITING)
            )

            def claim(_: int, trial_id: int = trial_id) -> bool:
                return storage.set_trial_state_values(trial_id, TrialState.RUNNING)

            wins = in_threads(claim)
            assert wins.count(True) == 1, wins

    def test_claim_waiting_trial_concurrently(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "workers")
        waiting = {
            storage.create_new_trial(study_id, template_trial=make_template(TrialState.WAITING))
            for _ in range(40)
        }

        def claim_all(_: int) -> list[int]:
            mine = []
            while (trial_id := storage.claim_waiting_trial(study_id)) is not None:
                mine.append(trial_id)
            return mine

        claimed = [trial_id for chunk in in_threads(claim_all) for trial_id in chunk]
        assert sorted(claimed) == sorted(waiting)
        assert storage.get_n_trials(study_id, TrialState.RUNNING) == 40
        assert storage.get_n_trials(study_id, TrialState.WAITING) == 0

    def test_last_heartbeat_of_a_running_trial(self, storage: BaseStorage) -> None:
        beating = self.with_heartbeats(storage, heartbeat_interval=60.0, grace_period=120.0)
        if beating is None:  # no heartbeats at all: nothing is ever recorded
            study_id = storage.create_new_study([MIN], "no-beats")
            assert storage.get_trial_heartbeat(storage.create_new_trial(study_id)) is None
            return
        study_id = beating.create_new_study([MIN], "beats")
        trial_id = beating.create_new_trial(study_id)
        assert beating.get_trial_heartbeat(trial_id) is None  # none sent yet
        before = datetime.datetime.now(datetime.timezone.utc)
        beating.record_heartbeat(trial_id)
        after = datetime.datetime.now(datetime.timezone.utc)
        beat = beating.get_trial_heartbeat(trial_id)
        assert beat is not None and beat.tzinfo is not None, beat
        slack = datetime.timedelta(seconds=1)  # database clocks round to the second or so
        assert before - slack <= beat <= after + slack, (before, beat, after)

    # -- a worker that dies ----------------------------------------------------------------------
    def test_a_killed_worker_loses_nothing_and_its_trial_is_failed(
        self, storage: BaseStorage
    ) -> None:
        settings: dict[str, Any] = {
            "heartbeat_interval": HEARTBEAT_INTERVAL,
            "grace_period": GRACE_PERIOD,
        }
        retry = RetryHeartbeatStaleTrialCallback(max_retry=1, inherit_intermediate_values=True)
        survivor = self.with_heartbeats(storage, **settings, heartbeat_stale_trial_callback=retry)
        beating = survivor is not None
        survivor = survivor or storage
        with quiet_podbor_logging():
            create_study(storage=survivor, study_name=KILLED_STUDY)
            if self.shared_across_processes:
                _kill_a_worker_process(self.with_heartbeats(storage, **settings) or storage)
            else:
                _stop_a_worker_thread(survivor)
            study = load_study(study_name=KILLED_STUDY, storage=survivor)
            finished, (dead,) = study.trials[:N_FINISHED], study.trials[N_FINISHED:]
            assert [t.state for t in finished] == [TrialState.COMPLETE] * N_FINISHED
            assert [t.value for t in finished] == [t.params["x"] for t in finished]
            assert dead.state == TrialState.RUNNING
            dead_x = dead.params["x"]
            assert dead.intermediate_values == {0: dead_x}

            time.sleep(GRACE_PERIOD + 0.3)  # the dead worker's last heartbeat is now stale
            study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
        trials = study.trials
        assert [t.number for t in trials] == list(range(N_FINISHED + 2))
        assert trials[:N_FINISHED] == finished  # nothing the dead worker finished changed
        after, new = trials[N_FINISHED:]
        assert new.state == TrialState.COMPLETE
        if not beating:
            assert after == dead  # without heartbeats nothing can tell the worker died
            return
        assert after.state == TrialState.FAIL and after.datetime_complete is not None
        assert new.params == {"x": dead_x} and new.intermediate_values == {0: dead_x}
        assert RetryHeartbeatStaleTrialCallback.retried_trial_number(new) == dead.number
        study_id = survivor.get_study_id_from_name(KILLED_STUDY)
        assert survivor.fail_stale_trials(study_id) == []  # failed once, by one worker
