"""Tests of the ask-and-tell interface (``Study.ask`` / ``Study.tell``)."""

from __future__ import annotations

import math
from typing import Any

import pytest

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.exceptions import UpdateFinishedTrialError
from podbor.trial import Trial, TrialState


def _study(**kwargs: Any) -> podbor.Study:
    return podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0), **kwargs)


@pytest.mark.parametrize("by", ["trial", "number"])
def test_tell_by_trial_or_by_number(by: str) -> None:
    study = _study()
    first, second = study.ask(), study.ask()
    x = second.suggest_float("x", 0, 1)
    frozen = study.tell(second if by == "trial" else second.number, x)
    assert frozen.number == 1
    assert frozen.state == TrialState.COMPLETE
    assert frozen.value == x
    assert frozen.params == {"x": x}
    assert study.trials[0].state == TrialState.RUNNING
    assert study.trials[1].state == TrialState.COMPLETE
    assert first.number == 0


@pytest.mark.parametrize(
    ("trial", "argument"),
    [
        pytest.param(5, ValueError, id="unknown-number"),
        pytest.param(-1, ValueError, id="negative-number"),
        pytest.param("0", TypeError, id="a-string"),
        pytest.param(True, TypeError, id="a-bool"),
    ],
)
def test_tell_an_unknown_trial_raises(trial: Any, argument: type[Exception]) -> None:
    # As in Optuna: an unknown number is a ValueError, something else than a trial a TypeError.
    study = _study()
    study.ask()
    with pytest.raises(argument, match=r"The 'trial' parameter of Study\.tell"):
        study.tell(trial, 1.0)


def test_tell_a_trial_of_another_study_raises() -> None:
    study, other = _study(), _study()
    trial = other.ask()
    study.ask()
    with pytest.raises(ValueError, match="a trial of this study"):
        study.tell(trial, 1.0)


@pytest.mark.parametrize(
    "second_state",
    [None, TrialState.PRUNED, TrialState.FAIL],
    ids=["complete", "pruned", "fail"],
)
def test_tell_twice_raises(second_state: TrialState | None) -> None:
    study = _study()
    trial = study.ask()
    study.tell(trial, 1.0)
    values = 2.0 if second_state is None else None
    with pytest.raises(UpdateFinishedTrialError, match="already finished as COMPLETE") as info:
        study.tell(trial, values, state=second_state)
    assert isinstance(info.value, RuntimeError)
    assert study.trials[0].value == 1.0


def test_tell_twice_with_skip_if_finished_returns_the_trial() -> None:
    study = _study()
    trial = study.ask()
    study.tell(trial, state=TrialState.FAIL)
    frozen = study.tell(trial, 2.0, skip_if_finished=True)
    assert frozen.state == TrialState.FAIL
    assert frozen.values is None
    assert study.trials[0].state == TrialState.FAIL


def test_tell_pruned_keeps_the_last_report() -> None:
    study = _study()
    trial = study.ask()
    trial.report(3.0, 0)
    trial.report(1.0, 5)
    trial.report(2.0, 2)
    frozen = study.tell(trial, state=TrialState.PRUNED)
    assert frozen.state == TrialState.PRUNED
    assert frozen.value == 1.0  # the report of the largest step


@pytest.mark.parametrize(
    "reports",
    [pytest.param({}, id="no-report"), pytest.param({0: math.nan}, id="nan-report")],
)
def test_tell_pruned_without_a_usable_report_has_no_value(reports: dict[int, float]) -> None:
    study = _study()
    trial = study.ask()
    for step, value in reports.items():
        trial.report(value, step)
    frozen = study.tell(trial, state=TrialState.PRUNED)
    assert frozen.state == TrialState.PRUNED
    assert frozen.values is None


@pytest.mark.parametrize("state", [TrialState.PRUNED, TrialState.FAIL], ids=["pruned", "fail"])
def test_values_with_pruned_or_fail_raise(state: TrialState) -> None:
    study = _study()
    trial = study.ask()
    with pytest.raises(ValueError, match=f"'values'.*None when state is {state.name}"):
        study.tell(trial, 1.0, state=state)
    assert study.trials[0].state == TrialState.RUNNING


@pytest.mark.parametrize(
    "values",
    [None, "a", [], [1.0, 2.0], float("nan")],
    ids=["none", "text", "empty", "two-values", "nan"],
)
def test_explicit_complete_with_unusable_values_raises(values: Any) -> None:
    # As in Optuna: with state=COMPLETE given, unusable values raise and the trial stays RUNNING.
    study = _study()
    trial = study.ask()
    with pytest.raises(ValueError, match=r"The 'values' parameter of Study.tell"):
        study.tell(trial, values, state=TrialState.COMPLETE)
    assert study.trials[0].state == TrialState.RUNNING
    study.tell(trial, 0.5)  # still tellable
    assert study.trials[0].value == 0.5


def test_tell_without_values_or_state_fails_the_trial_with_a_warning() -> None:
    study = _study()
    with pytest.warns(UserWarning, match="returned None"):
        frozen = study.tell(study.ask())
    assert frozen.state == TrialState.FAIL and frozen.values is None


def test_tell_twice_raises_optunas_value_error_too() -> None:
    study = _study()
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(ValueError, match="already finished"):
        study.tell(trial, 1.0)


def test_tell_a_waiting_trial_raises() -> None:
    study = _study()
    study.enqueue_trial({})
    with pytest.raises(ValueError, match="a RUNNING trial"):
        study.tell(0, 1.0)


@pytest.mark.parametrize(
    "state", [TrialState.RUNNING, TrialState.WAITING], ids=["running", "waiting"]
)
def test_unfinished_states_are_refused(state: TrialState) -> None:
    study = _study()
    trial = study.ask()
    with pytest.raises(ValueError, match=r"The 'state' parameter of Study.tell"):
        study.tell(trial, state=state)


@pytest.mark.parametrize(
    ("values", "says"),
    [
        pytest.param(math.nan, "NaN", id="nan"),
        pytest.param("abc", "'abc'", id="text"),
        pytest.param([1.0, 2.0], "2 value(s)", id="too-many"),
    ],
)
def test_unusable_values_fail_the_trial_with_a_warning_at_the_users_line(
    values: Any, says: str
) -> None:
    study = _study()
    trial = study.ask()
    with pytest.warns(UserWarning, match="Trial 0 failed") as record:
        frozen = study.tell(trial, values)
    assert says in str(record[0].message)
    assert record[0].filename == __file__
    assert frozen.state == TrialState.FAIL
    assert says in frozen.system_attrs["fail_reason"]


def test_ask_with_fixed_distributions() -> None:
    study = _study()
    dists = {
        "x": FloatDistribution(0, 1),
        "n": IntDistribution(1, 9, step=2),
        "kind": CategoricalDistribution(("ridge", "lasso")),
    }
    trial = study.ask(fixed_distributions=dists)
    assert trial.distributions == dists
    for name, dist in dists.items():
        assert dist.contains_external(trial.params[name])
    assert trial.suggest_float("x", 0, 1) == trial.params["x"]
    study.tell(trial, 1.0)
    assert study.trials[0].params == trial.params


def test_ask_takes_an_enqueued_trial_first() -> None:
    study = _study()
    study.ask()
    study.enqueue_trial({"x": 0.5})
    trial = study.ask(fixed_distributions={"x": FloatDistribution(0, 1)})
    assert trial.number == 1
    assert trial.params == {"x": 0.5}
    assert study.ask().number == 2


def test_ask_returns_a_running_trial() -> None:
    study = _study()
    trial = study.ask()
    assert isinstance(trial, Trial)
    assert study.trials[0].state == TrialState.RUNNING
    assert study.trials[0].datetime_start is not None


def test_tell_multi_objective_values() -> None:
    study = _study(directions=["minimize", "maximize"])
    trial = study.ask()
    frozen = study.tell(trial, [1.0, 2.0])
    assert frozen.values == [1.0, 2.0]
    with pytest.warns(UserWarning, match="1 value"):
        assert study.tell(study.ask(), 1.0).state == TrialState.FAIL


def test_ask_tell_loop_finds_a_minimum() -> None:
    study = _study()
    for _ in range(30):
        trial = study.ask()
        x = trial.suggest_float("x", -10, 10)
        study.tell(trial, (x - 2) ** 2)
    assert study.best_value < 4.0
    assert len(study.trials) == 30


@pytest.mark.parametrize(
    "state", [1, 3, True, "COMPLETE", 1.0], ids=["int", "int-fail", "bool", "name", "float"]
)
def test_a_state_that_is_not_a_trial_state_is_refused_before_any_change(state: Any) -> None:
    # As in Optuna (whose TrialState is no IntEnum): only TrialState members or None.
    study = _study()
    trial = study.ask()
    with pytest.raises(TypeError, match=r"The 'state' parameter of Study.tell must be TrialState"):
        study.tell(trial, 1.0, state=state)
    with pytest.raises(ValueError, match=r"'state' parameter"):  # Optuna raises ValueError
        study.tell(trial, 1.0, state=state)
    assert study.trials[0].state == TrialState.RUNNING
    study.tell(trial, 0.5)  # still tellable
    assert study.trials[0].value == 0.5


def test_explicit_complete_with_a_value_past_float_range_raises() -> None:
    study = _study()
    trial = study.ask()
    with pytest.raises(ValueError, match=r"The 'values' parameter of Study.tell"):
        study.tell(trial, [10**400], state=TrialState.COMPLETE)
    assert study.trials[0].state == TrialState.RUNNING
    with pytest.warns(UserWarning, match="beyond the range of a float"):
        assert study.tell(trial, 10**400).state == TrialState.FAIL


class _AfterTrialRaises(podbor.samplers.RandomSampler):
    """A sampler whose ``after_trial`` hook fails, after noting what it was told."""

    def __init__(self) -> None:
        super().__init__(seed=0)
        self.told: list[tuple[TrialState, list[float] | None]] = []

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        assert trial.state == TrialState.RUNNING  # called before the state is stored
        self.told.append((state, None if values is None else list(values)))
        raise KeyError("after_trial broke")


@pytest.mark.parametrize("storage", ["memory", "sqlite"])
@pytest.mark.parametrize(
    ("values", "state", "expected_state", "expected_values"),
    [
        pytest.param(2.5, None, TrialState.COMPLETE, [2.5], id="complete"),
        pytest.param(None, TrialState.PRUNED, TrialState.PRUNED, [0.75], id="pruned"),
        pytest.param(None, TrialState.FAIL, TrialState.FAIL, None, id="fail"),
    ],
)
def test_a_failing_after_trial_still_finishes_the_trial_in_its_state(
    tmp_path: Any,
    storage: str,
    values: float | None,
    state: TrialState | None,
    expected_state: TrialState,
    expected_values: list[float] | None,
) -> None:
    # As in Optuna: the state being told is stored whatever the hook does, then its error is
    # raised to the caller; nothing recorded on the trial before is lost.
    url = None if storage == "memory" else f"sqlite:///{tmp_path / 'study.db'}"
    sampler = _AfterTrialRaises()
    study = podbor.create_study(sampler=sampler, storage=url)
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    n = trial.suggest_int("n", 1, 9)
    trial.report(0.75, 3)
    trial.set_user_attr("note", "kept")
    with pytest.raises(KeyError, match="after_trial broke"):
        study.tell(trial, values, state=state)
    assert sampler.told == [(expected_state, expected_values)]
    (frozen,) = study.get_trials()
    assert frozen.state == expected_state
    assert frozen.values == expected_values
    assert frozen.params == {"x": x, "n": n}
    assert frozen.intermediate_values == {3: 0.75}
    assert frozen.user_attrs == {"note": "kept"}
    assert frozen.datetime_complete is not None
    with pytest.raises(UpdateFinishedTrialError):  # finished: telling it again is refused
        study.tell(trial, 1.0)
