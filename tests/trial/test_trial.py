"""Tests of the live ``Trial``: suggest, deprecated aliases, reports and attributes."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import podbor
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.pruners import BasePruner
from podbor.trial import FrozenTrial, Trial, TrialState


def _study(**kwargs: Any) -> podbor.Study:
    return podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0), **kwargs)


# -- suggest ---------------------------------------------------------------------------------
SUGGESTS = [
    pytest.param(
        lambda t: t.suggest_float("p", -1.5, 2.0), FloatDistribution(-1.5, 2.0), float, id="float"
    ),
    pytest.param(
        lambda t: t.suggest_float("p", 1e-5, 1e-1, log=True),
        FloatDistribution(1e-5, 1e-1, log=True),
        float,
        id="float-log",
    ),
    pytest.param(
        lambda t: t.suggest_float("p", 0.0, 1.0, step=0.125),
        FloatDistribution(0.0, 1.0, step=0.125),
        float,
        id="float-step",
    ),
    pytest.param(lambda t: t.suggest_int("p", -3, 3), IntDistribution(-3, 3), int, id="int"),
    pytest.param(
        lambda t: t.suggest_int("p", 0, 12, step=4),
        IntDistribution(0, 12, step=4),
        int,
        id="int-step",
    ),
    pytest.param(
        lambda t: t.suggest_int("p", 1, 1024, log=True),
        IntDistribution(1, 1024, log=True),
        int,
        id="int-log",
    ),
    pytest.param(
        lambda t: t.suggest_categorical("p", ["a", 1, None, True, 2.5]),
        CategoricalDistribution(["a", 1, None, True, 2.5]),
        object,
        id="categorical",
    ),
]


@pytest.mark.parametrize(("suggest", "dist", "kind"), SUGGESTS)
def test_suggested_values_lie_inside_the_distribution(
    suggest: Callable[[Trial], Any], dist: BaseDistribution, kind: type
) -> None:
    study = _study()
    seen: list[Any] = []

    def objective(trial: Trial) -> float:
        value = suggest(trial)
        seen.append(value)
        return 0.0

    study.optimize(objective, n_trials=40)
    assert len(seen) == 40
    for value, trial in zip(seen, study.trials):
        assert isinstance(value, kind)
        assert not isinstance(value, bool) or kind is object
        assert dist.contains_external(value)
        assert trial.params == {"p": value}
        assert trial.distributions == {"p": dist}
    assert len({repr(v) for v in seen}) > 1  # the sampler really draws


@pytest.mark.parametrize(("suggest", "dist", "kind"), SUGGESTS)
def test_same_name_twice_in_one_trial_returns_the_same_value(
    suggest: Callable[[Trial], Any], dist: BaseDistribution, kind: type
) -> None:
    study = _study()
    for _ in range(5):
        trial = study.ask()
        first = suggest(trial)
        assert suggest(trial) == first
        assert type(suggest(trial)) is type(first)
        study.tell(trial, 0.0)


def test_single_valued_distributions_need_no_sampler() -> None:
    trial = _study().ask()
    assert trial.suggest_float("a", 2.5, 2.5) == 2.5
    assert trial.suggest_int("b", 7, 7) == 7
    assert trial.suggest_categorical("c", ["only"]) == "only"


def test_parameters_are_stored_at_once() -> None:
    study = _study()
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    assert study.trials[0].params == {"x": x}
    assert study.trials[0].state == TrialState.RUNNING


INCOMPATIBLE = [
    pytest.param(
        lambda t: t.suggest_float("p", 0, 1),
        lambda t: t.suggest_int("p", 0, 1),
        "IntDistribution",
        id="float-then-int",
    ),
    pytest.param(
        lambda t: t.suggest_float("p", 0.1, 1),
        lambda t: t.suggest_float("p", 0.1, 1, log=True),
        "log",
        id="linear-then-log",
    ),
    pytest.param(
        lambda t: t.suggest_categorical("p", ["a", "b"]),
        lambda t: t.suggest_categorical("p", ["a", "c"]),
        "choices",
        id="categorical-choices",
    ),
    pytest.param(
        lambda t: t.suggest_int("p", 0, 3),
        lambda t: t.suggest_categorical("p", [0, 1, 2, 3]),
        "CategoricalDistribution",
        id="int-then-categorical",
    ),
]


@pytest.mark.parametrize(("first", "second", "mentions"), INCOMPATIBLE)
def test_incompatible_reuse_in_one_trial_raises(
    first: Callable[[Trial], Any], second: Callable[[Trial], Any], mentions: str
) -> None:
    trial = _study().ask()
    first(trial)
    with pytest.raises(ValueError, match="different parameter name") as info:
        second(trial)
    assert mentions in str(info.value)


@pytest.mark.parametrize(("first", "second", "mentions"), INCOMPATIBLE)
def test_incompatible_reuse_across_trials_of_one_study_raises(
    first: Callable[[Trial], Any], second: Callable[[Trial], Any], mentions: str
) -> None:
    study = _study()
    study.optimize(lambda t: first(t) and 0.0, n_trials=1)
    with pytest.raises(ValueError, match="different parameter name") as info:
        study.optimize(lambda t: second(t) and 0.0, n_trials=1)
    assert mentions in str(info.value)
    assert study.trials[-1].state == TrialState.FAIL


def test_ranges_may_change_between_trials() -> None:
    study = _study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    study.optimize(lambda t: t.suggest_float("x", 5, 6), n_trials=1)
    assert 5 <= study.trials[1].params["x"] <= 6


# -- deprecated aliases ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "expected"),
    [
        pytest.param(
            lambda t: t.suggest_uniform("x", -1.0, 1.0),
            FloatDistribution(-1.0, 1.0),
            id="suggest_uniform",
        ),
        pytest.param(
            lambda t: t.suggest_loguniform("x", 1e-3, 1.0),
            FloatDistribution(1e-3, 1.0, log=True),
            id="suggest_loguniform",
        ),
        pytest.param(
            lambda t: t.suggest_discrete_uniform("x", 0.0, 1.0, 0.25),
            FloatDistribution(0.0, 1.0, step=0.25),
            id="suggest_discrete_uniform",
        ),
    ],
)
def test_deprecated_aliases_warn_at_the_users_line(
    call: Callable[[Trial], float], expected: FloatDistribution
) -> None:
    trial = _study().ask()
    with pytest.warns(FutureWarning) as record:
        value = call(trial)
    (warning,) = [w for w in record if issubclass(w.category, FutureWarning)]
    assert "suggest_float" in str(warning.message)
    assert "deprecated" in str(warning.message)
    assert warning.filename == __file__
    assert expected.contains_external(value)
    assert trial.distributions == {"x": expected}


def test_deprecated_alias_inside_optimize_points_at_the_objective() -> None:
    def objective(trial: Trial) -> float:
        return trial.suggest_uniform("x", 0.0, 1.0)

    with pytest.warns(FutureWarning, match="suggest_float") as record:
        _study().optimize(objective, n_trials=1)
    assert record[0].filename == __file__
    assert record[0].lineno == objective.__code__.co_firstlineno + 1


@pytest.mark.parametrize(
    ("suggest", "kind"),
    [
        pytest.param(lambda t: t.suggest_float("x", 0.0, 1.0, step=0.3), "float", id="float"),
        pytest.param(lambda t: t.suggest_int("n", 0, 10, step=3), "int", id="int"),
    ],
)
def test_high_adjustment_warning_points_at_the_suggest_call(
    suggest: Callable[[Trial], Any], kind: str
) -> None:
    trial = _study().ask()
    with pytest.warns(UserWarning, match="high is replaced by") as record:
        suggest(trial)
    assert record[0].filename == __file__


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "owner", "argument", "value"),
    [
        pytest.param(
            lambda t: t.suggest_float("x", 2.0, 1.0), "suggest_float('x')", "low", "2.0", id="f-low"
        ),
        pytest.param(
            lambda t: t.suggest_float("x", 0.0, 1.0, log=True),
            "suggest_float('x')",
            "low",
            "0.0",
            id="f-log-low",
        ),
        pytest.param(
            lambda t: t.suggest_float("x", 0.0, 1.0, step=-0.5),
            "suggest_float('x')",
            "step",
            "-0.5",
            id="f-step",
        ),
        pytest.param(
            lambda t: t.suggest_float("x", 1.0, 2.0, step=0.5, log=True),
            "suggest_float('x')",
            "step",
            "0.5",
            id="f-step-log",
        ),
        pytest.param(
            lambda t: t.suggest_float("x", math.nan, 1.0),
            "suggest_float('x')",
            "low",
            "nan",
            id="f-nan",
        ),
        pytest.param(
            lambda t: t.suggest_float("x", 0.0, math.inf),
            "suggest_float('x')",
            "high",
            "inf",
            id="f-inf",
        ),
        pytest.param(
            lambda t: t.suggest_int("n", 5, 1), "suggest_int('n')", "low", "5", id="i-low"
        ),
        pytest.param(
            lambda t: t.suggest_int("n", 0, 10, step=0),
            "suggest_int('n')",
            "step",
            "0",
            id="i-step",
        ),
        pytest.param(
            lambda t: t.suggest_int("n", 0.5, 3), "suggest_int('n')", "low", "0.5", id="i-fraction"
        ),
        pytest.param(
            lambda t: t.suggest_int("n", 0, 8, log=True), "suggest_int('n')", "low", "0", id="i-log"
        ),
        pytest.param(
            lambda t: t.suggest_categorical("c", []),
            "suggest_categorical('c')",
            "choices",
            "[]",
            id="c-empty",
        ),
    ],
)
def test_bad_suggest_arguments_name_the_argument_and_the_call(
    call: Callable[[Trial], Any], owner: str, argument: str, value: str
) -> None:
    trial = _study().ask()
    with pytest.raises(ValueError) as info:
        call(trial)
    message = str(info.value)
    assert f"The '{argument}' parameter of {owner} must be" in message
    assert f"Got {value} instead." in message
    assert trial.params == {}


def test_a_choice_of_another_type_warns_as_in_optuna() -> None:
    trial = _study().ask()
    with pytest.warns(UserWarning, match="choice"):
        value = trial.suggest_categorical("c", [[1], 2])  # type: ignore[list-item]
    assert value in ([1], 2)


# -- report and should_prune -------------------------------------------------------------------
class _PruneFromStep(BasePruner):
    """Prune once a trial has reported ``step`` (a test double)."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.seen: list[dict[int, float]] = []

    def prune(self, study: Any, trial: FrozenTrial) -> bool:
        self.seen.append(dict(trial.intermediate_values))
        return trial.last_step is not None and trial.last_step >= self.step


def test_reports_are_stored() -> None:
    study = _study()
    trial = study.ask()
    trial.report(1.0, 0)
    trial.report(0.5, step=3)
    trial.report(math.nan, 4)
    frozen = study.tell(trial, 0.5)
    assert frozen.intermediate_values.keys() == {0, 3, 4}
    assert frozen.intermediate_values[0] == 1.0
    assert frozen.intermediate_values[3] == 0.5
    assert math.isnan(frozen.intermediate_values[4])


def test_should_prune_asks_the_pruner_with_the_reports() -> None:
    pruner = _PruneFromStep(2)
    trial = _study(pruner=pruner).ask()
    answers = []
    for step in range(4):
        trial.report(10.0 - step, step)
        answers.append(trial.should_prune())
    assert answers == [False, False, True, True]
    assert pruner.seen[1] == {0: 10.0, 1: 9.0}


def test_the_default_pruner_never_prunes() -> None:
    trial = _study().ask()
    trial.report(1e9, 0)
    assert trial.should_prune() is False


@pytest.mark.parametrize(
    ("value", "step", "argument", "error"),
    [
        pytest.param(1.0, -1, "step", ValueError, id="negative-step"),
        pytest.param(1.0, 1.5, "step", TypeError, id="fractional-step"),
        pytest.param(1.0, True, "step", TypeError, id="bool-step"),
        pytest.param(1.0, "one", "step", TypeError, id="str-step"),
        pytest.param(1.0, None, "step", TypeError, id="none-step"),
        pytest.param("foo", 0, "value", TypeError, id="str-value"),
        pytest.param(None, 0, "value", TypeError, id="none-value"),
        pytest.param([1.0], 0, "value", TypeError, id="list-value"),
        pytest.param(True, 0, "value", TypeError, id="bool-value"),
        pytest.param(1.0, math.inf, "step", TypeError, id="inf-step"),
        pytest.param(1.0, 2**63, "step", ValueError, id="step-past-int64"),
        pytest.param(1.0, 10**400, "step", ValueError, id="huge-step"),
        pytest.param(10**400, 0, "value", ValueError, id="value-past-float-range"),
        pytest.param(-(10**400), 0, "value", ValueError, id="value-past-float-range-neg"),
    ],
)
def test_bad_reports_raise(value: Any, step: Any, argument: str, error: type[Exception]) -> None:
    # As in Optuna: what float()/int() refuse is a TypeError, a negative step a ValueError.
    trial = _study().ask()
    with pytest.raises(error, match=f"The '{argument}' parameter of Trial.report"):
        trial.report(value, step)
    assert trial._cached.intermediate_values == {}


@pytest.mark.parametrize(
    ("value", "step", "stored"),
    [
        pytest.param("0.5", 0, (0, 0.5), id="str-value"),
        pytest.param(np.float32(0.25), 1, (1, 0.25), id="numpy-value"),
        pytest.param(1, 2.0, (2, 1.0), id="float-step"),
        pytest.param(1.0, np.int64(3), (3, 1.0), id="numpy-step"),
        pytest.param(1.0, "4", (4, 1.0), id="str-step"),
        pytest.param(math.inf, 5, (5, math.inf), id="inf-value"),
        pytest.param(1.0, 2**31 - 1, (2**31 - 1, 1.0), id="largest-step"),
    ],
)
def test_reports_cast_like_optuna(value: Any, step: Any, stored: tuple[int, float]) -> None:
    trial = _study().ask()
    trial.report(value, step)
    assert trial._cached.intermediate_values == {stored[0]: stored[1]}


def test_second_report_of_a_step_is_ignored_with_a_warning() -> None:
    study = _study()
    trial = study.ask()
    trial.report(1.0, 0)
    with pytest.warns(UserWarning, match="already reported step 0") as record:
        trial.report(2.0, 0)
    assert record[0].filename == __file__
    assert study.tell(trial, 0.0).intermediate_values == {0: 1.0}


def test_report_and_should_prune_refuse_multi_objective_studies() -> None:
    trial = podbor.create_study(directions=["minimize", "maximize"]).ask()
    with pytest.raises(NotImplementedError, match="multi-objective"):
        trial.report(1.0, 0)
    with pytest.raises(NotImplementedError, match="multi-objective"):
        trial.should_prune()


# -- attributes --------------------------------------------------------------------------------
def test_user_attrs_are_stored_and_overwritten() -> None:
    study = _study()
    trial = study.ask()
    trial.set_user_attr("fold_scores", [0.5, 0.7])
    trial.set_user_attr("model", "ridge")
    trial.set_user_attr("model", "lasso")
    assert trial.user_attrs == {"fold_scores": [0.5, 0.7], "model": "lasso"}
    frozen = study.tell(trial, 1.0)
    assert frozen.user_attrs == {"fold_scores": [0.5, 0.7], "model": "lasso"}
    assert study.trials[0].user_attrs == frozen.user_attrs


def test_user_attrs_set_inside_optimize() -> None:
    study = _study()
    study.optimize(lambda t: t.set_user_attr("n", t.number) or 0.0, n_trials=3)
    assert [t.user_attrs for t in study.trials] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_system_attrs_are_stored() -> None:
    study = _study()
    trial = study.ask()
    trial.set_system_attr("note", {"a": 1})
    assert trial.system_attrs == {"note": {"a": 1}}
    assert study.trials[0].system_attrs == {"note": {"a": 1}}


def test_trial_knows_its_number_and_start() -> None:
    study = _study()
    first, second = study.ask(), study.ask()
    assert (first.number, second.number) == (0, 1)
    assert first.datetime_start is not None
    assert "number=1" in repr(second)


def test_finished_trial_refuses_changes() -> None:
    study = _study()
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(podbor.exceptions.UpdateFinishedTrialError):
        trial.suggest_float("x", 0, 1)
    with pytest.raises(podbor.exceptions.UpdateFinishedTrialError):
        trial.set_user_attr("k", 1)


# -- Optuna parity: storage, relative proposals, repeated names ---------------------------------
def test_trial_storage_is_the_studys_storage() -> None:
    study = _study()
    trial = study.ask()
    assert trial.storage is study._storage
    trial.storage.set_trial_system_attr(trial._trial_id, "k", "v")
    assert study.trials[0].system_attrs["k"] == "v"


class _RelativeStub(podbor.samplers.RandomSampler):
    """Proposes x and z jointly, but declares only x (a float in [5, 6]) in its space."""

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
        return {"x": FloatDistribution(5, 6)}

    def sample_relative(self, study: Any, trial: Any, search_space: Any) -> dict[str, Any]:
        return {"x": 5.5, "z": 5.5}


@pytest.mark.parametrize(
    ("name", "distribution", "expected"),
    [
        pytest.param("x", FloatDistribution(0, 100), 5.5, id="proposed"),
        pytest.param("w", FloatDistribution(0, 100), None, id="not-proposed"),
        pytest.param("x", FloatDistribution(0, 5), None, id="outside-the-new-range"),
    ],
)
def test_relative_proposals_are_used_when_they_fit(
    name: str, distribution: FloatDistribution, expected: float | None
) -> None:
    trial = podbor.create_study(sampler=_RelativeStub(seed=0)).ask()
    value = trial._suggest(name, distribution)
    assert (value == 5.5) if expected is not None else (value != 5.5)


@pytest.mark.parametrize(
    ("name", "distribution", "message"),
    [
        pytest.param("z", FloatDistribution(0, 10), "relative search space", id="undeclared"),
        pytest.param("x", IntDistribution(1, 100), "Cannot use IntDistribution", id="other-kind"),
    ],
)
def test_inconsistent_relative_proposals_raise(name: str, distribution: Any, message: str) -> None:
    trial = podbor.create_study(sampler=_RelativeStub(seed=0)).ask()
    with pytest.raises(ValueError, match=message):
        trial._suggest(name, distribution)


@pytest.mark.parametrize(
    "suggest_again",
    [
        pytest.param(lambda t: t.suggest_float("x", 10, 30), id="float"),
        pytest.param(lambda t: t.suggest_float("x", 10, 20, step=5), id="float-step"),
    ],
)
def test_a_name_suggested_again_with_another_range_warns_once(
    suggest_again: Callable[[Trial], Any],
) -> None:
    trial = _study().ask()
    first = trial.suggest_float("x", 10, 20)
    with pytest.warns(UserWarning, match="suggested with") as record:
        assert trial.suggest_float("x", 10, 20) == first  # same range: no warning
        assert suggest_again(trial) == first
    assert len(record) == 1
    assert record[0].filename == __file__


def test_ask_converts_optunas_deprecated_distributions_with_a_warning() -> None:
    with pytest.warns(FutureWarning):
        old = podbor.distributions.UniformDistribution(0, 10)
    with pytest.warns(FutureWarning, match="issues/2941") as record:
        trial = _study().ask(fixed_distributions={"u": old})
    assert record[0].filename == __file__
    assert type(trial.distributions["u"]) is FloatDistribution
