"""Tests of ``FrozenTrial`` (replaying finished trials) and ``create_trial`` validation."""

from __future__ import annotations

import datetime
import math
from typing import Any

import pytest

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.trial import FrozenTrial, Trial, TrialState, create_trial


def _objective(trial: podbor.trial.BaseTrial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    n = trial.suggest_int("n", 1, 4)
    kind = trial.suggest_categorical("kind", ["square", "abs"])
    return (x**2 if kind == "square" else abs(x)) * n


def test_a_frozen_trial_replays_its_parameters() -> None:
    study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=3))
    study.optimize(_objective, n_trials=15)
    best = study.best_trial
    assert _objective(best) == study.best_value
    for frozen in study.trials:
        assert _objective(frozen) == frozen.value


def test_replaying_an_unknown_parameter_raises() -> None:
    frozen = create_trial(params={"x": 1.0}, distributions={"x": FloatDistribution(0, 2)}, value=1)
    with pytest.raises(ValueError, match="'y'"):
        frozen.suggest_float("y", 0, 1)


def test_replaying_outside_the_new_range_warns_and_returns_the_stored_value() -> None:
    frozen = create_trial(params={"x": 1.5}, distributions={"x": FloatDistribution(0, 2)}, value=1)
    with pytest.warns(UserWarning, match="lies outside"):
        assert frozen.suggest_float("x", 0, 1) == 1.5


def test_replayed_trial_takes_reports_and_is_never_pruned() -> None:
    frozen = create_trial(value=1.0)
    frozen.report(0.5, 0)
    assert frozen.should_prune() is False
    frozen.set_user_attr("k", "v")
    assert frozen.user_attrs == {"k": "v"}


# -- create_trial ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({}, "COMPLETE trial needs 'value'", id="complete-without-value"),
        pytest.param({"value": math.nan}, "NaN", id="complete-nan"),
        pytest.param(
            {"value": 1.0, "params": {"x": 3.0}, "distributions": {"x": FloatDistribution(0, 1)}},
            "lies outside",
            id="param-outside",
        ),
        pytest.param(
            {
                "value": 1.0,
                "params": {"c": "z"},
                "distributions": {"c": CategoricalDistribution(("a", "b"))},
            },
            "lies outside",
            id="choice-outside",
        ),
        pytest.param(
            {"value": 1.0, "params": {"x": 0.5}, "distributions": {"y": FloatDistribution(0, 1)}},
            "differ",
            id="key-mismatch",
        ),
        pytest.param(
            {"value": 1.0, "params": {"x": 0.5}, "distributions": {}},
            "differ",
            id="missing-distribution",
        ),
        pytest.param({"value": 1.0, "values": [1.0]}, "'value'", id="value-and-values"),
    ],
)
def test_create_trial_rejects_inconsistent_records(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        create_trial(**kwargs)


@pytest.mark.parametrize(
    ("state", "started", "completed"),
    [
        pytest.param(TrialState.COMPLETE, True, True, id="complete"),
        pytest.param(TrialState.PRUNED, True, True, id="pruned"),
        pytest.param(TrialState.FAIL, True, True, id="fail"),
        pytest.param(TrialState.RUNNING, True, False, id="running"),
        pytest.param(TrialState.WAITING, False, False, id="waiting"),
    ],
)
def test_create_trial_sets_times_by_state(
    state: TrialState, started: bool, completed: bool
) -> None:
    value = 1.0 if state == TrialState.COMPLETE else None
    trial = create_trial(state=state, value=value)
    assert trial.state == state
    assert (trial.datetime_start is not None) is started
    assert (trial.datetime_complete is not None) is completed
    assert isinstance(trial.duration, datetime.timedelta) is completed


def test_create_trial_keeps_everything_given() -> None:
    dists = {"x": FloatDistribution(0, 1), "n": IntDistribution(0, 9)}
    trial = create_trial(
        value=2.0,
        params={"x": 0.5, "n": 3},
        distributions=dists,
        user_attrs={"u": 1},
        system_attrs={"s": 2},
        intermediate_values={0: 3.0, 5: 2.5},
    )
    assert trial.params == {"x": 0.5, "n": 3}
    assert trial.distributions == dists
    assert (trial.user_attrs, trial.system_attrs) == ({"u": 1}, {"s": 2})
    assert trial.intermediate_values == {0: 3.0, 5: 2.5}
    assert trial.last_step == 5
    assert trial.value == 2.0
    assert trial.values == [2.0]


def test_multi_objective_trial_has_values_but_no_value() -> None:
    trial = create_trial(values=[1.0, 2.0])
    assert trial.values == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="values"):
        _ = trial.value


def test_copies_are_independent() -> None:
    study = podbor.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    copy = study.trials[0]
    copy.params["x"] = 42.0
    copy.user_attrs["k"] = "v"
    assert study.trials[0].params["x"] != 42.0
    assert study.trials[0].user_attrs == {}


def test_equality_and_order() -> None:
    study = podbor.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    a, b = study.trials, study.trials
    assert a == b
    assert sorted(reversed(a)) == a
    assert isinstance(a[0], FrozenTrial) and not isinstance(a[0], Trial)


def test_create_trial_records_constraints_as_named_system_attrs() -> None:
    trial = create_trial(value=0.2, constraints={"cost": 1.5, "limit": -2}, system_attrs={"a": 1})
    assert trial.constraints == {"cost": 1.5, "limit": -2.0}
    assert trial.system_attrs == {"a": 1, "constraints:cost": 1.5, "constraints:limit": -2.0}
    assert create_trial(value=0.2).constraints == {}


@pytest.mark.parametrize(
    ("constraints", "error"),
    [({"cost": math.nan}, ValueError), ({"cost": "cheap"}, TypeError), ({"c": None}, TypeError)],
    ids=["nan", "text", "none"],
)
def test_create_trial_refuses_bad_constraints(
    constraints: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error, match=r"'value' parameter of Trial\.set_constraint"):
        create_trial(value=0.2, constraints=constraints)


def test_a_fail_trial_has_no_value() -> None:
    with pytest.raises(ValueError, match="FAIL trial must not have"):
        create_trial(state=TrialState.FAIL, value=0.2)
    assert create_trial(state=TrialState.PRUNED, value=0.2).value == 0.2  # the last report


def test_value_cannot_be_set_on_a_multi_objective_trial() -> None:
    trial = create_trial(values=[0.2, 0.3])
    with pytest.raises(RuntimeError, match="several objective values"):
        trial.value = 0.1
    trial.values = [0.1, 0.2]
    assert trial.values == [0.1, 0.2]


@pytest.mark.parametrize("compare", [lambda a, b: a < b, lambda a, b: a <= b], ids=["<", "<="])
def test_trials_compare_with_trials_only(compare: Any) -> None:
    first, second = create_trial(value=1.0), create_trial(value=2.0)
    first.number, second.number = 0, 1
    assert compare(first, second) and not compare(second, first)
    assert sorted([second, first]) == [first, second]
    with pytest.raises(TypeError):
        compare(first, 1)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_create_trial_replaces_deprecated_distributions() -> None:
    with pytest.warns(FutureWarning):
        old = {
            "u": podbor.distributions.UniformDistribution(0, 10),
            "i": podbor.distributions.IntUniformDistribution(0, 10, step=2),
        }
    trial = create_trial(params={"u": 1.0, "i": 2}, distributions=old, value=1.0)
    assert trial.distributions == {
        "u": FloatDistribution(0, 10),
        "i": IntDistribution(0, 10, step=2),
    }
    assert [type(d) for d in trial.distributions.values()] == [FloatDistribution, IntDistribution]


def test_replaying_a_choice_that_is_no_longer_offered_raises() -> None:
    frozen = create_trial(
        params={"kind": "svm"},
        distributions={"kind": CategoricalDistribution(["svm", "tree"])},
        value=1.0,
    )
    assert frozen.suggest_categorical("kind", ["svm", "tree"]) == "svm"
    with pytest.raises(ValueError, match="not among the choices"):
        frozen.suggest_categorical("kind", ["tree", "forest"])
