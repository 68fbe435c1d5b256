"""The worker loop of ``podbor worker``: the study's total, reached exactly by any number of
workers; waiting for, failing and re-running a dead worker's trial; stopping; bad objectives."""

from __future__ import annotations

import threading
import time
import warnings

import pytest

import podbor
from podbor.exceptions import ExperimentalWarning, PodborError
from podbor.storages import InMemoryStorage
from podbor.study._retry import RetryHeartbeatStaleTrialCallback
from podbor.study._worker import ObjectiveValuesError, Worker, WorkerOutcome
from podbor.trial import Trial, TrialState


def _objective(trial: Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    time.sleep(0.002)
    return x


def _retry() -> RetryHeartbeatStaleTrialCallback:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        return RetryHeartbeatStaleTrialCallback(max_retry=3)


def test_the_total_counts_the_trials_already_there() -> None:
    study = podbor.create_study()
    study.optimize(_objective, n_trials=2)
    assert Worker(study, _objective, n_trials=5).run() == WorkerOutcome(3, "done")
    assert Worker(study, _objective, n_trials=5).run() == WorkerOutcome(0, "done")
    assert len(study.trials) == 5


def test_workers_in_threads_never_overshoot() -> None:
    storage = InMemoryStorage()
    podbor.create_study(storage=storage, study_name="s")
    outcomes: list[WorkerOutcome] = []

    def work() -> None:
        study = podbor.load_study(study_name="s", storage=storage)
        outcomes.append(Worker(study, _objective, n_trials=40).run())

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    trials = storage.get_all_trials(0)
    assert len(trials) == 40 and sum(o.n_run for o in outcomes) == 40
    assert all(t.state == TrialState.COMPLETE for t in trials)


def test_without_heartbeats_a_worker_leaves_the_rest_to_the_others() -> None:
    study = podbor.create_study()
    study.ask()  # a trial running elsewhere takes the last place
    assert Worker(study, _objective, n_trials=1).run() == WorkerOutcome(0, "budget taken")


def test_a_dead_workers_trial_is_waited_for_failed_and_run_again() -> None:
    retry = _retry()
    storage = InMemoryStorage(
        heartbeat_interval=0.1, grace_period=0.3, heartbeat_stale_trial_callback=retry
    )
    study = podbor.create_study(storage=storage)
    dead = storage.create_running_trial(0, heartbeat=True)  # its worker died at once
    assert dead is not None
    storage.set_trial_param(dead, "x", 0.25, podbor.distributions.FloatDistribution(0.0, 1.0))
    outcome = Worker(study, _objective, n_trials=3, poll_interval=0.05).run()
    assert outcome == WorkerOutcome(3, "done")
    states = [t.state for t in study.trials]
    assert states.count(TrialState.COMPLETE) == 3 and states.count(TrialState.FAIL) == 1
    (again,) = [t for t in study.trials if RetryHeartbeatStaleTrialCallback.retry_history(t)]
    assert again.params == {"x": 0.25} and again.state == TrialState.COMPLETE


def test_timeout_and_stop() -> None:
    study = podbor.create_study()
    slow = Worker(study, lambda t: time.sleep(0.05) or 1.0, n_trials=None, timeout=0.2)
    outcome = slow.run()
    assert outcome.reason == "timeout" and 1 <= outcome.n_run <= 6
    worker = Worker(study, lambda t: time.sleep(0.05) or 1.0, n_trials=None)
    threading.Timer(0.2, worker.request_stop).start()  # from another thread: the trial ends
    stopped = worker.run()
    assert stopped.reason == "stopped" and stopped.n_run >= 1
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_a_stop_inside_the_objective_fails_and_requeues_the_trial() -> None:
    study = podbor.create_study()
    worker = Worker(study, lambda t: worker.request_stop(), n_trials=5, retry=_retry())
    assert worker.run() == WorkerOutcome(1, "stopped")
    first, again = study.trials
    assert (
        first.state == TrialState.FAIL and "WorkerInterrupted" in first.system_attrs["fail_reason"]
    )
    assert again.state == TrialState.WAITING


@pytest.mark.filterwarnings("ignore:Trial 0 failed:UserWarning")
def test_bad_objectives_stop_the_worker() -> None:
    study = podbor.create_study()
    with pytest.raises(ObjectiveValuesError, match="trial 0: the objective returned 2 value"):
        Worker(study, lambda t: (1.0, 2.0), n_trials=5).run()
    assert [t.state for t in study.trials] == [TrialState.FAIL]

    def broken(trial: Trial) -> float:
        raise RuntimeError("always")

    with pytest.raises(PodborError, match="3 trials in a row failed"):
        Worker(study, broken, n_trials=50, max_failures_in_a_row=3).run()
    assert len(study.trials) == 4


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"n_trials": 0}, "n_trials"), ({"n_trials": 1, "timeout": -1.0}, "timeout")],
)
def test_arguments_are_checked(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Worker(podbor.create_study(), _objective, **kwargs)  # type: ignore[arg-type]


def test_a_loop_trial_beats_from_its_creation_and_an_asked_one_never() -> None:
    storage = InMemoryStorage(heartbeat_interval=60.0)  # the thread beats only after a minute
    study = podbor.create_study(storage=storage)
    seen: list[object] = []

    def objective(trial: Trial) -> float:
        asked = study.ask()  # inside the loop, but not one of its trials: it never beats
        seen.extend(
            [
                storage.get_trial_heartbeat(trial._trial_id),
                storage.get_trial_heartbeat(asked._trial_id),
            ]
        )
        study.tell(asked, 1.0)
        return 0.0

    study.optimize(objective, n_trials=1)
    assert seen[0] is not None and seen[1] is None
