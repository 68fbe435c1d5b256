"""Tests of the optimize loop's state on a study: threads sharing one handle, ``stop()``,
reseeding in threads, pickling, and the progress bar's refusals."""

from __future__ import annotations

import pickle
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import podbor
from podbor._study_core import core_of
from podbor.trial import Trial, TrialState


def _study(**kwargs: Any) -> podbor.Study:
    return podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0), **kwargs)


def _x(trial: Trial) -> float:
    return trial.suggest_float("x", -1.0, 1.0)


@pytest.mark.parametrize("n_jobs", [1, 2], ids=["sequential", "threads"])
def test_two_threads_may_optimize_one_study_at_once(n_jobs: int) -> None:
    study = podbor.create_study()  # the default sampler, shared by both loops
    both_inside = threading.Barrier(2, timeout=10)

    def objective(trial: Trial) -> float:
        if trial.number < 2:  # the first trial of each loop waits for the other loop
            both_inside.wait()
        return _x(trial)

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(study.optimize, objective, n_trials=6, n_jobs=n_jobs) for _ in "ab"]
        for future in futures:
            future.result()  # neither loop raised
    assert len(study.trials) == 12
    assert {t.state for t in study.trials} == {TrialState.COMPLETE}


def test_a_failing_loop_does_not_stop_another_loop_on_the_study() -> None:
    study = _study()
    started = threading.Event()

    def failing(trial: Trial) -> float:
        started.wait(10)
        raise ZeroDivisionError

    with ThreadPoolExecutor(max_workers=2) as pool:
        bad = pool.submit(study.optimize, failing, n_trials=3)
        good = pool.submit(lambda: (started.set(), study.optimize(_x, n_trials=5)))
        with pytest.raises(ZeroDivisionError):
            bad.result()
        good.result()
    assert sum(t.state == TrialState.COMPLETE for t in study.trials) == 5


@pytest.mark.parametrize("n_jobs", [1, 2, 3])
def test_stop_from_any_worker_thread_stops_the_loop(n_jobs: int) -> None:
    study = _study()

    def objective(trial: Trial) -> float:
        trial.study.stop()
        return _x(trial)

    study.optimize(objective, n_trials=50, n_jobs=n_jobs)
    assert 1 <= len(study.trials) <= n_jobs


@pytest.mark.parametrize("n_jobs", [2, 3])
def test_nested_optimize_from_a_worker_thread_is_refused(n_jobs: int) -> None:
    study = _study()
    with pytest.raises(RuntimeError, match="Nested"):
        study.optimize(lambda t: study.optimize(_x, n_trials=1), n_trials=1, n_jobs=n_jobs)


@pytest.mark.parametrize(
    ("n_jobs", "n_trials", "expected"),
    [(1, 3, 0), (2, 1, 1), (2, 4, 4), (-1, 3, 3)],
    ids=["sequential", "threads-one", "threads-four", "all-cores"],
)
def test_threads_reseed_the_sampler_once_per_trial(
    monkeypatch: pytest.MonkeyPatch, n_jobs: int, n_trials: int, expected: int
) -> None:
    study = _study()
    calls: list[int] = []
    monkeypatch.setattr(study.sampler, "reseed_rng", lambda: calls.append(1))
    study.optimize(_x, n_trials=n_trials, n_jobs=n_jobs)
    assert len(calls) == expected


def test_a_study_pickles_and_its_copy_can_tell(tmp_path: Any) -> None:
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = _study(storage=storage)
    trial = study.ask()
    copy = pickle.loads(pickle.dumps(study))
    copy.tell(trial.number, 1.5)
    assert study.best_value == 1.5
    copy.optimize(_x, n_trials=2)  # the copy's loop state was rebuilt, unlocked
    assert len(study.trials) == 3
    assert not core_of(copy).in_optimize()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"callbacks": None}, "neither n_trials nor timeout", id="no-budget"),
        pytest.param(
            {"timeout": 0.05, "n_jobs": 2}, "not supported with n_jobs != 1", id="time-threads"
        ),
    ],
)
def test_the_progress_bar_is_refused_with_a_warning(
    capsys: pytest.CaptureFixture[str], kwargs: dict[str, Any], message: str
) -> None:
    study = _study()
    if kwargs.get("callbacks", 1) is None:  # no budget: a callback ends the loop
        kwargs = {"callbacks": [lambda s, t: s.stop()]}
    with pytest.warns(UserWarning, match=message) as record:
        study.optimize(_x, show_progress_bar=True, **kwargs)
    assert record[0].filename == __file__
    assert "%|" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("timeout", "shown"),
    [(59.0, "/00:59"), (3600.0, "/1:00:00"), (864000.0, "/240:00:00")],
    ids=["seconds", "hours", "days"],
)
def test_the_time_bar_shows_the_timeout(
    capsys: pytest.CaptureFixture[str], timeout: float, shown: str
) -> None:
    study = _study()
    study.optimize(lambda t: t.study.stop() or 1.0, timeout=timeout, show_progress_bar=True)
    assert shown in capsys.readouterr().err
