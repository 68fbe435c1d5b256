"""Tests of ``FixedTrial``: an objective re-run on given parameters."""

from __future__ import annotations

from typing import Any

import pytest

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.trial import FixedTrial


def test_suggest_returns_the_given_values() -> None:
    trial = FixedTrial({"x": 0.25, "n": 3, "kind": "rf", "flag": None}, number=7)
    assert trial.suggest_float("x", 0, 1) == 0.25
    assert trial.suggest_int("n", 1, 5) == 3
    assert trial.suggest_categorical("kind", ["svm", "rf"]) == "rf"
    assert trial.suggest_categorical("flag", [None, True]) is None
    assert trial.params == {"x": 0.25, "n": 3, "kind": "rf", "flag": None}
    assert trial.distributions == {
        "x": FloatDistribution(0, 1),
        "n": IntDistribution(1, 5),
        "kind": CategoricalDistribution(["svm", "rf"]),
        "flag": CategoricalDistribution([None, True]),
    }
    assert trial.number == 7
    assert trial.datetime_start is not None


def test_a_fixed_trial_runs_an_objective() -> None:
    def objective(trial: podbor.trial.BaseTrial) -> float:
        x = trial.suggest_float("x", -10, 10)
        return (x - 2) ** 2

    assert objective(FixedTrial({"x": 2.0})) == 0.0
    assert objective(FixedTrial({"x": 4.0})) == 4.0


def test_only_suggested_params_are_reported() -> None:
    trial = FixedTrial({"x": 0.5, "unused": 1})
    trial.suggest_float("x", 0, 1)
    assert trial.params == {"x": 0.5}


def test_a_missing_parameter_raises_with_its_name() -> None:
    trial = FixedTrial({"x": 0.5})
    with pytest.raises(ValueError, match="'y'") as info:
        trial.suggest_float("y", 0, 1)
    assert "['x']" in str(info.value)


@pytest.mark.parametrize(
    ("name", "value", "suggest"),
    [
        pytest.param("x", 3.0, lambda t: t.suggest_float("x", 0, 1), id="float-above"),
        pytest.param("x", 0.3, lambda t: t.suggest_float("x", 0, 1, step=0.25), id="off-step"),
        pytest.param("n", 11, lambda t: t.suggest_int("n", 0, 10), id="int-above"),
    ],
)
def test_a_value_outside_the_distribution_warns_and_is_used(
    name: str, value: Any, suggest: Any
) -> None:
    trial = FixedTrial({name: value})
    with pytest.warns(UserWarning, match="lies outside") as record:
        assert suggest(trial) == value
    assert record[0].filename == __file__
    assert trial.params == {name: value}


@pytest.mark.parametrize(
    ("value", "choices"),
    [
        pytest.param("z", ["a", "b"], id="str-not-a-choice"),
        pytest.param(3, [1, 2], id="int-not-a-choice"),
        pytest.param(None, ["a"], id="none-not-a-choice"),
    ],
)
def test_a_fixed_value_outside_the_choices_raises(value: Any, choices: list[Any]) -> None:
    # As in Optuna: a categorical value must be one of the choices (a range only warns).
    trial = FixedTrial({"c": value})
    with pytest.raises(ValueError, match=r"params\['c'\]' parameter of FixedTrial"):
        trial.suggest_categorical("c", choices)
    assert trial.params == {}


def test_reports_attrs_and_pruning() -> None:
    trial = FixedTrial({})
    trial.report(0.5, 0)
    assert trial.should_prune() is False
    trial.set_user_attr("u", 1)
    trial.set_system_attr("s", 2)
    assert trial.user_attrs == {"u": 1}
    assert trial.system_attrs == {"s": 2}


def test_deprecated_alias_works_on_a_fixed_trial() -> None:
    trial = FixedTrial({"x": 0.5})
    with pytest.warns(FutureWarning, match="suggest_float") as record:
        assert trial.suggest_uniform("x", 0, 1) == 0.5
    assert record[0].filename == __file__
