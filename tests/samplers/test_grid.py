"""Tests of ``GridSampler``: every point once, then the study stops by itself."""

from __future__ import annotations

import itertools
import time
import warnings
from typing import Any

import pytest

import podbor
from podbor.samplers import GridSampler
from podbor.trial import Trial, TrialState

SPACE: dict[str, list[Any]] = {"x": [-1, 0, 1], "y": ["a", "b"], "z": [0.5, 1.5]}


def _objective(trial: Trial) -> float:
    x = trial.suggest_int("x", -1, 1)
    y = trial.suggest_categorical("y", ["a", "b"])
    z = trial.suggest_float("z", 0.0, 2.0)
    return x**2 + z + (y == "b")


def _points(study: podbor.Study) -> list[tuple[Any, ...]]:
    return [(t.params["x"], t.params["y"], t.params["z"]) for t in study.trials]


ALL_POINTS = sorted(itertools.product(*SPACE.values()))


@pytest.mark.parametrize("n_trials", [None, 12, 100], ids=["unbounded", "exact", "more"])
def test_every_point_once_then_the_study_stops(n_trials: int | None) -> None:
    study = podbor.create_study(sampler=GridSampler(SPACE, seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # in particular: no re-evaluation warning
        study.optimize(_objective, n_trials=n_trials)
    points = _points(study)
    assert len(points) == 12
    assert sorted(points) == ALL_POINTS
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_n_trials_smaller_than_the_grid_visits_distinct_points() -> None:
    sampler = GridSampler(SPACE, seed=0)
    study = podbor.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=5)
    assert len(set(_points(study))) == 5
    assert not sampler.is_exhausted(study)
    study.optimize(_objective, n_trials=100)
    assert sorted(_points(study)) == ALL_POINTS
    assert sampler.is_exhausted(study)


@pytest.mark.parametrize("sleep", [0.0, 0.001], ids=["fast-objective", "slow-objective"])
def test_threads_never_share_a_grid_point(sleep: float) -> None:
    def objective(trial: Trial) -> float:
        time.sleep(sleep)
        return _objective(trial)

    for seed in range(40):  # a race shows up in a few percent of runs, so run many
        study = podbor.create_study(sampler=GridSampler(SPACE, seed=seed))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the re-evaluation warning would fail the run
            study.optimize(objective, n_trials=100, n_jobs=4)
        points = _points(study)
        assert sorted(points) == ALL_POINTS, f"seed {seed}"
        assert sorted(t.number for t in study.trials) == list(range(12))


def test_a_param_outside_the_grid_raises() -> None:
    study = podbor.create_study(sampler=GridSampler({"x": [0, 1]}))

    def objective(trial: Trial) -> float:
        return trial.suggest_int("x", 0, 1) + trial.suggest_float("w", 0, 1)

    with pytest.raises(ValueError, match="'w'") as info:
        study.optimize(objective, n_trials=1)
    assert "['x']" in str(info.value)
    assert study.trials[0].state == TrialState.FAIL


def test_the_seed_fixes_the_order() -> None:
    def order(seed: int) -> list[tuple[Any, ...]]:
        study = podbor.create_study(sampler=GridSampler(SPACE, seed=seed))
        study.optimize(_objective)
        return _points(study)

    assert order(7) == order(7)
    assert order(7) != order(8)
    assert sorted(order(7)) == sorted(order(8))


def test_grid_values_outside_the_suggested_range_warn() -> None:
    study = podbor.create_study(sampler=GridSampler({"x": [5.0]}))
    with pytest.warns(UserWarning, match="lies outside"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[0].params == {"x": 5.0}


def test_asking_past_the_end_re_evaluates_with_a_warning() -> None:
    study = podbor.create_study(sampler=GridSampler({"x": [0, 1]}, seed=0))
    study.optimize(lambda t: t.suggest_int("x", 0, 1))
    with pytest.warns(UserWarning, match="no unvisited point"):
        trial = study.ask()
    assert trial.suggest_int("x", 0, 1) in (0, 1)


def test_enqueued_points_count_as_visited() -> None:
    study = podbor.create_study(sampler=GridSampler({"x": [0, 1, 2]}, seed=0))
    study.enqueue_trial({"x": 1})
    study.optimize(lambda t: t.suggest_int("x", 0, 2), n_trials=10)
    assert sorted(t.params["x"] for t in study.trials) == [0, 1, 2]


def test_n_grids() -> None:
    assert GridSampler(SPACE).n_grids == 12
    assert GridSampler({"only": [None]}).n_grids == 1


@pytest.mark.parametrize(
    ("space", "argument"),
    [
        pytest.param({}, "search_space", id="empty"),
        pytest.param([("x", [1])], "search_space", id="not-a-mapping"),
        pytest.param({"x": []}, "search_space['x']", id="no-values"),
        pytest.param({"x": "abc"}, "search_space['x']", id="a-string"),
        pytest.param({"x": 3}, "search_space['x']", id="a-number"),
        pytest.param({"x": [[1, 2]]}, "search_space['x']", id="a-list-value"),
        pytest.param({"x": [object()]}, "search_space['x']", id="an-object"),
    ],
)
def test_invalid_search_space(space: Any, argument: str) -> None:
    with pytest.raises(ValueError) as info:
        GridSampler(space)
    assert f"The '{argument}' parameter of GridSampler must be" in str(info.value)


# -- Optuna parity ------------------------------------------------------------------------------
def test_numpy_axes_become_python_values() -> None:
    import numpy as np

    sampler = GridSampler({"a": np.linspace(0, 1, 3), "b": [np.int64(2), np.float64(0.5)]})
    study = podbor.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("a", 0, 1) + t.suggest_float("b", 0, 2))
    values = sorted((t.params["a"], t.params["b"]) for t in study.trials)
    assert values == sorted(itertools.product([0.0, 0.5, 1.0], [2, 0.5]))
    assert all(type(t.params["a"]) is float for t in study.trials)


def test_ask_and_tell_through_the_whole_grid_need_no_optimize() -> None:
    study = podbor.create_study(sampler=GridSampler({"x": [0, 1]}, seed=0))
    for _ in range(2):
        trial = study.ask()  # taking the last point stops optimize; outside of it, nothing to stop
        study.tell(trial, trial.suggest_int("x", 0, 1))
    assert sorted(t.params["x"] for t in study.trials) == [0, 1]


def test_an_enqueued_grid_point_records_its_grid_id() -> None:
    study = podbor.create_study(sampler=GridSampler({"a": [0, 50]}, seed=0))
    study.enqueue_trial({"a": 50})
    study.enqueue_trial({"a": 7})  # off the grid: no grid point to record
    study.optimize(lambda t: t.suggest_int("a", 0, 100), n_trials=3)
    on_grid, off_grid, sampled = study.trials
    assert on_grid.system_attrs["grid_id"] == 1
    assert "grid_id" not in off_grid.system_attrs
    assert sampled.params["a"] == 0  # the enqueued point counts as visited
