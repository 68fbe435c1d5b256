"""Storage conformance checks of the trials workers start: protected by a heartbeat from the
moment they exist, and never more of them than a study's budget.

``create_running_trial`` and ``claim_running_trial`` with ``heartbeat=True`` must record the
trial's first heartbeat in the very write that creates or claims it: a worker killed right after
(before its heartbeat thread ever ran) must still leave a trial that ``fail_stale_trials`` fails,
while a trial made by ``create_new_trial`` (``Study.ask()``), which never beats, is never failed
that way. ``create_running_trial(limit=n)`` must hold against any number of racing callers.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any, Final

from podbor._records.trial_state import TrialState
from podbor.storages._base import BaseStorage
from podbor.testing._storage_common import MIN, N_THREADS, finished_trial, in_threads, make_template
from podbor.testing._storage_processes import WorkerChecks

__all__ = ["HeartbeatChecks"]

INTERVAL: Final = 0.2
GRACE: Final = 0.5
LIMIT: Final = 20


def _create_then_hang(storage: BaseStorage, study_id: int, ready: Any) -> None:
    """A worker process: start a trial with its first heartbeat, then hang until killed (it
    never beats again: the killed worker of the gap between a trial's creation and its beats)."""
    trial_id = storage.create_running_trial(study_id, heartbeat=True)
    ready.put(trial_id)
    time.sleep(600)


class HeartbeatChecks(WorkerChecks):
    """The worker-trial part of :class:`~podbor.testing.storages.StorageConformance` (with the
    many-workers checks it extends)."""

    def _beating(self, storage: BaseStorage) -> BaseStorage | None:
        return self.with_heartbeats(storage, heartbeat_interval=INTERVAL, grace_period=GRACE)

    def test_worker_trials_beat_from_the_moment_they_exist(self, storage: BaseStorage) -> None:
        beating = self._beating(storage)
        handle = beating or storage
        study_id = handle.create_new_study([MIN], "born-beating")
        asked = handle.create_new_trial(study_id)  # Study.ask(): never beats
        created = handle.create_running_trial(study_id, heartbeat=True)
        queued = handle.create_new_trial(study_id, make_template(TrialState.WAITING))
        claimed = handle.claim_running_trial(study_id, heartbeat=True)
        assert created is not None and claimed == queued
        assert handle.claim_running_trial(study_id, heartbeat=True) is None  # nothing waits
        assert [t.number for t in handle.get_all_trials(study_id)] == [0, 1, 2]
        assert handle.get_trial(created).state == handle.get_trial(claimed).state
        assert handle.get_trial(claimed).state == TrialState.RUNNING
        assert handle.get_trial_heartbeat(asked) is None
        if beating is None:  # no heartbeats: nothing recorded, nothing ever stale
            assert handle.get_trial_heartbeat(created) is None
            assert handle.fail_stale_trials(study_id) == []
            return
        assert handle.get_trial_heartbeat(created) is not None
        assert handle.get_trial_heartbeat(claimed) is not None
        time.sleep(GRACE + 0.3)
        assert sorted(handle.fail_stale_trials(study_id)) == sorted([created, claimed])
        assert handle.get_trial(asked).state == TrialState.RUNNING  # never beat: never stale
        assert handle.get_trial(created).state == TrialState.FAIL

    def test_without_heartbeat_a_worker_trial_is_a_plain_one(self, storage: BaseStorage) -> None:
        beating = self._beating(storage) or storage
        study_id = beating.create_new_study([MIN], "no-first-beat")
        created = beating.create_running_trial(study_id)
        assert created is not None
        template = make_template(TrialState.RUNNING)
        from_template = beating.create_running_trial(study_id, template, heartbeat=True)
        assert from_template is not None
        assert beating.get_trial_heartbeat(created) is None
        stored = beating.get_trial(from_template)
        assert stored.params == template.params and stored.user_attrs == template.user_attrs
        assert stored.system_attrs == template.system_attrs
        assert stored.state == TrialState.RUNNING

    def test_create_running_trial_keeps_to_its_limit(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "budget")
        finished_trial(storage, study_id, TrialState.FAIL)  # FAIL leaves room for another
        finished_trial(storage, study_id, TrialState.COMPLETE)
        storage.create_new_trial(study_id, make_template(TrialState.WAITING))  # counts
        assert storage.create_running_trial(study_id, limit=3) is not None
        assert storage.create_running_trial(study_id, limit=3) is None
        assert storage.get_n_trials(study_id) == 4

        def take_all(_: int) -> list[int]:
            mine = []
            while (trial_id := storage.create_running_trial(study_id, limit=LIMIT)) is not None:
                mine.append(trial_id)
            return mine

        created = [trial_id for chunk in in_threads(take_all) for trial_id in chunk]
        assert len(created) == len(set(created)) == LIMIT - 3, (len(created), N_THREADS)
        trials = storage.get_all_trials(study_id)
        assert [t.number for t in trials] == list(range(LIMIT + 1))
        assert sum(t.state != TrialState.FAIL for t in trials) == LIMIT

    def test_a_worker_killed_before_its_first_beat_loses_its_trial_to_failure(
        self, storage: BaseStorage
    ) -> None:
        if not self.shared_across_processes:
            return  # covered in-process by the first check
        beating = self._beating(storage)
        if beating is None:
            return
        study_id = beating.create_new_study([MIN], "killed-at-birth")
        context = multiprocessing.get_context("spawn")
        ready = context.Queue()
        process = context.Process(
            target=_create_then_hang, args=(beating, study_id, ready), daemon=True
        )
        process.start()
        try:
            trial_id = ready.get(timeout=120)
        finally:
            process.kill()  # SIGKILL, right after the trial was created
            process.join()
        assert beating.get_trial(trial_id).state == TrialState.RUNNING
        time.sleep(GRACE + 0.3)
        assert beating.fail_stale_trials(study_id) == [trial_id]
        assert beating.get_trial(trial_id).state == TrialState.FAIL
