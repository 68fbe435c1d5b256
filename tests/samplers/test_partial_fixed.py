"""Tests of ``PartialFixedSampler``: some parameters fixed, the rest from a base sampler."""

from __future__ import annotations

import pytest

import podbor
from podbor.samplers import GridSampler, PartialFixedSampler, RandomSampler
from podbor.trial import Trial

pytestmark = pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")


def _objective(trial: Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    n = trial.suggest_int("n", 0, 9)
    kind = trial.suggest_categorical("kind", ["ridge", "lasso"])
    return x + n + (kind == "lasso")


@pytest.mark.parametrize(
    "fixed",
    [
        pytest.param({"n": 3}, id="int"),
        pytest.param({"kind": "lasso"}, id="categorical"),
        pytest.param({"x": 0.25, "n": 9}, id="two-params"),
    ],
)
def test_fixed_params_take_the_given_values(fixed: dict[str, object]) -> None:
    sampler = PartialFixedSampler(fixed, RandomSampler(seed=0))
    study = podbor.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=20)
    for trial in study.trials:
        for name, value in fixed.items():
            assert trial.params[name] == value
    free = [n for n in ("x", "n", "kind") if n not in fixed]
    for name in free:
        assert len({t.params[name] for t in study.trials}) > 1  # still sampled


def test_the_free_params_follow_the_base_sampler() -> None:
    fixed = podbor.create_study(sampler=PartialFixedSampler({"n": 3}, RandomSampler(seed=5)))
    fixed.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 9), n_trials=5)
    plain = podbor.create_study(sampler=RandomSampler(seed=5))
    plain.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    assert [t.params["x"] for t in fixed.trials] == [t.params["x"] for t in plain.trials]


def test_a_fixed_value_outside_the_range_warns_and_is_used() -> None:
    study = podbor.create_study(sampler=PartialFixedSampler({"n": 42}, RandomSampler(seed=0)))
    with pytest.warns(UserWarning, match="lies outside"):
        study.optimize(lambda t: t.suggest_int("n", 0, 9), n_trials=1)
    assert study.trials[0].params == {"n": 42}


def test_wraps_a_grid_sampler() -> None:
    base = GridSampler({"x": [0.0, 0.5, 1.0]}, seed=0)
    study = podbor.create_study(sampler=PartialFixedSampler({"kind": "ridge"}, base))
    study.optimize(
        lambda t: t.suggest_float("x", 0, 1) + (t.suggest_categorical("kind", ["ridge"]) == "a"),
        n_trials=10,
    )
    assert sorted(t.params["x"] for t in study.trials) == [0.0, 0.5, 1.0]  # stopped by the grid
    assert {t.params["kind"] for t in study.trials} == {"ridge"}


def test_repr_names_both_parts() -> None:
    text = repr(PartialFixedSampler({"n": 1}, RandomSampler(seed=2)))
    assert text == "PartialFixedSampler({'n': 1}, RandomSampler(seed=2))"


@pytest.mark.filterwarnings("default::podbor.exceptions.ExperimentalWarning")
def test_partial_fixed_sampler_is_experimental() -> None:
    with pytest.warns(podbor.exceptions.ExperimentalWarning, match="PartialFixedSampler") as caught:
        PartialFixedSampler({"x": 0}, RandomSampler(seed=0))
    assert caught[0].filename == __file__
