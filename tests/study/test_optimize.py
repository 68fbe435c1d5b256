"""Tests of ``Study.optimize``: budgets, threads, errors, bad return values and options."""

from __future__ import annotations

import math
import re
import threading
import time
import warnings
from typing import Any

import pytest

import podbor
from podbor.exceptions import TrialPruned
from podbor.study import _optimize
from podbor.trial import Trial, TrialState


def _study() -> podbor.Study:
    return podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))


def _x(trial: Trial) -> float:
    return trial.suggest_float("x", -1.0, 1.0)


# -- budgets ----------------------------------------------------------------------------------
@pytest.mark.parametrize("n_trials", [0, 1, 7], ids=["zero", "one", "seven"])
def test_n_trials(n_trials: int) -> None:
    study = _study()
    study.optimize(_x, n_trials=n_trials)
    assert [t.number for t in study.trials] == list(range(n_trials))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_repeated_calls_add_trials() -> None:
    study = _study()
    study.optimize(_x, n_trials=2)
    study.optimize(_x, n_trials=3)
    assert [t.number for t in study.trials] == [0, 1, 2, 3, 4]


def test_timeout_stops_the_study_roughly_on_time() -> None:
    study = _study()

    def objective(trial: Trial) -> float:
        time.sleep(0.02)
        return _x(trial)

    study.optimize(objective, timeout=0.2)
    # About ten trials fit; the loop starts no trial after the deadline. Loose bounds on purpose.
    assert 1 <= len(study.trials) <= 11
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_n_trials_and_timeout_whichever_comes_first() -> None:
    study = _study()
    study.optimize(_x, n_trials=3, timeout=60)
    assert len(study.trials) == 3


# -- threads ----------------------------------------------------------------------------------
def test_two_jobs_run_concurrently_and_number_trials_without_gaps() -> None:
    barrier = threading.Barrier(2, timeout=10)
    calls = {"n": 0}
    lock = threading.Lock()

    def objective(trial: Trial) -> float:
        with lock:
            calls["n"] += 1
            first_two = calls["n"] <= 2
        if first_two:
            barrier.wait()  # a sequential loop would time out here
        return _x(trial)

    study = _study()
    study.optimize(objective, n_trials=30, n_jobs=2)
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(30))
    assert all(t.state == TrialState.COMPLETE for t in trials)


def test_all_cores() -> None:
    study = _study()
    study.optimize(_x, n_trials=25, n_jobs=-1)
    numbers = [t.number for t in study.trials]
    assert sorted(numbers) == list(range(25))
    assert len(set(numbers)) == 25
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def _raise_in_the_second_worker(error: BaseException) -> Any:
    """An objective that raises ``error`` on the second trial of the second worker thread.

    The first worker is the one the main thread waits on first, so this checks that the others
    stop at once instead of running the whole budget.
    """
    seen: list[int] = []

    def objective(trial: Trial) -> float:
        time.sleep(0.001)  # let the threads interleave
        if threading.current_thread().name.endswith("_1"):
            seen.append(trial.number)
            if len(seen) == 2:
                raise error
        return 1.0

    return objective


def test_an_uncaught_error_in_a_thread_stops_all_threads_and_propagates() -> None:
    study = _study()
    with pytest.raises(ZeroDivisionError, match="thread boom"):
        study.optimize(
            _raise_in_the_second_worker(ZeroDivisionError("thread boom")), n_trials=2000, n_jobs=2
        )
    trials = study.trials
    assert [t.state for t in trials].count(TrialState.FAIL) == 1
    assert len(trials) < 100  # not the whole budget
    assert not any(t.state == TrialState.RUNNING for t in trials)


def test_keyboard_interrupt_in_a_thread_stops_all_threads() -> None:
    study = _study()
    with pytest.raises(KeyboardInterrupt):
        study.optimize(_raise_in_the_second_worker(KeyboardInterrupt()), n_trials=2000, n_jobs=2)
    trials = study.trials
    assert [t.state for t in trials].count(TrialState.FAIL) == 1
    assert len(trials) < 100
    assert not any(t.state == TrialState.RUNNING for t in trials)
    study.optimize(lambda t: 0.5, n_trials=2, n_jobs=2)  # usable afterwards
    assert trials[-1].number + 2 == study.trials[-1].number


# -- errors in the objective -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "catch",
    [
        pytest.param((ValueError,), id="tuple"),
        pytest.param(ValueError, id="class"),
        pytest.param([ArithmeticError, ValueError], id="list"),
        pytest.param((Exception,), id="base-class"),
    ],
)
def test_caught_errors_fail_the_trial_and_the_loop_goes_on(catch: Any) -> None:
    def objective(trial: Trial) -> float:
        if trial.number == 1:
            raise ValueError("boom")
        return _x(trial)

    study = _study()
    study.optimize(objective, n_trials=4, catch=catch)
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.COMPLETE,
        TrialState.COMPLETE,
    ]
    failed = study.trials[1]
    assert failed.system_attrs["fail_reason"] == "ValueError: boom"
    assert failed.values is None
    assert failed.datetime_complete is not None


def test_uncaught_errors_fail_the_trial_and_propagate() -> None:
    def objective(trial: Trial) -> float:
        _x(trial)
        if trial.number == 2:
            raise KeyError("missing")
        return 0.0

    study = _study()
    with pytest.raises(KeyError, match="missing"):
        study.optimize(objective, n_trials=5, catch=(ValueError,))
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2 + [TrialState.FAIL]
    assert study.trials[2].system_attrs["fail_reason"] == "KeyError: 'missing'"
    assert "x" in study.trials[2].params  # what was suggested before the crash is kept


class _FloatFails:
    """An object whose ``__float__`` raises something else than TypeError or ValueError."""

    def __float__(self) -> float:
        raise RuntimeError("no float here")


@pytest.mark.parametrize(
    ("returned", "says"),
    [
        pytest.param(math.nan, "nan", id="nan"),
        pytest.param(None, "None", id="none"),
        pytest.param("abc", "'abc'", id="text"),
        pytest.param("0.5", "'0.5'", id="numeric-text"),
        pytest.param([1.0, 2.0], "2 value(s)", id="two-values"),
        pytest.param(object(), "cannot be cast to float", id="object"),
        pytest.param(10**400, "beyond the range of a float", id="int-past-float-range"),
        pytest.param([10**400], "beyond the range of a float", id="list-past-float-range"),
        pytest.param(_FloatFails(), "cannot be cast to float", id="float-raises"),
    ],
)
def test_bad_return_values_fail_the_trial_with_a_warning(returned: Any, says: str) -> None:
    study = _study()
    with pytest.warns(UserWarning, match=r"Trial \d failed") as record:
        study.optimize(lambda t: returned, n_trials=2)
    assert says in str(record[0].message)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.FAIL]  # the loop went on
    assert says in trials[0].system_attrs["fail_reason"]
    assert trials[0].values is None


@pytest.mark.parametrize(
    ("returned", "value"),
    [
        pytest.param(1, 1.0, id="int"),
        pytest.param(math.inf, math.inf, id="inf"),
        pytest.param([0.5], 0.5, id="one-element-list"),
    ],
)
def test_acceptable_return_values(returned: Any, value: float) -> None:
    import numpy as np

    study = _study()
    study.optimize(lambda t: returned, n_trials=1)
    study.optimize(lambda t: np.float32(0.25), n_trials=1)
    assert study.trials[0].state == TrialState.COMPLETE
    assert study.trials[0].value == value
    assert study.trials[1].value == 0.25


def test_keyboard_interrupt_fails_the_trial_and_the_study_stays_usable() -> None:
    def objective(trial: Trial) -> float:
        _x(trial)
        if trial.number == 1:
            raise KeyboardInterrupt
        return 1.0

    study = _study()
    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=5, catch=(Exception,))
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL]
    assert study.trials[1].system_attrs["fail_reason"].startswith("KeyboardInterrupt")
    study.optimize(lambda t: 0.5, n_trials=2)  # no lock or stop flag left behind
    assert len(study.trials) == 4
    assert study.best_value == 0.5


# -- pruning -----------------------------------------------------------------------------------------
def test_pruned_trial_keeps_its_last_report_as_value() -> None:
    def objective(trial: Trial) -> float:
        for step, loss in enumerate([0.9, 0.5, 0.25]):
            trial.report(loss, step)
        raise TrialPruned()

    study = _study()
    study.optimize(objective, n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.PRUNED
    assert trial.value == 0.25
    assert trial.intermediate_values == {0: 0.9, 1: 0.5, 2: 0.25}


def test_pruned_trial_without_reports_has_no_value() -> None:
    study = _study()
    study.optimize(lambda t: (_ for _ in ()).throw(TrialPruned("early")), n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.PRUNED
    assert trial.value is None
    assert trial.system_attrs["prune_reason"] == "early"


# -- nesting and bad arguments ------------------------------------------------------------------
def test_nested_optimize_raises() -> None:
    study = _study()

    def objective(trial: Trial) -> float:
        study.optimize(_x, n_trials=1)
        return 0.0

    with pytest.raises(RuntimeError, match="Nested"):
        study.optimize(objective, n_trials=1)
    assert [t.state for t in study.trials] == [TrialState.FAIL]
    study.optimize(_x, n_trials=1)  # usable afterwards
    assert study.trials[-1].state == TrialState.COMPLETE


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        pytest.param({"n_trials": -1}, "n_trials", id="n_trials-negative"),
        pytest.param({"n_trials": 2.5}, "n_trials", id="n_trials-float"),
        pytest.param({"n_trials": True}, "n_trials", id="n_trials-bool"),
        pytest.param({"n_trials": "3"}, "n_trials", id="n_trials-str"),
        pytest.param({"timeout": 0}, "timeout", id="timeout-zero"),
        pytest.param({"timeout": -1.0}, "timeout", id="timeout-negative"),
        pytest.param({"timeout": "10"}, "timeout", id="timeout-str"),
        pytest.param({"timeout": math.nan}, "timeout", id="timeout-nan"),
        pytest.param({"n_jobs": 0}, "n_jobs", id="n_jobs-zero"),
        pytest.param({"n_jobs": 1.5}, "n_jobs", id="n_jobs-float"),
        pytest.param({"n_jobs": None}, "n_jobs", id="n_jobs-none"),
        pytest.param({"catch": 42}, "catch", id="catch-int"),
        pytest.param({"catch": "ValueError"}, "catch", id="catch-str"),
        pytest.param({"catch": (ValueError, 3)}, "catch", id="catch-tuple-with-int"),
        pytest.param({"catch": (ValueError(),)}, "catch", id="catch-instance"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs: dict[str, Any], argument: str) -> None:
    study = _study()
    error = TypeError if argument == "catch" else ValueError  # as in Optuna
    with pytest.raises(error, match=f"The '{argument}' parameter of Study.optimize"):
        study.optimize(_x, **kwargs)
    assert study.trials == []
    study.optimize(_x, n_trials=1)  # the failed call left nothing locked


def test_a_non_callable_objective_raises() -> None:
    with pytest.raises(ValueError, match="'func'"):
        _study().optimize(42, n_trials=1)  # type: ignore[arg-type]


# -- options ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("flag", "expected"), [(True, 4), (False, 0)], ids=["on", "off"])
def test_gc_after_trial(monkeypatch: pytest.MonkeyPatch, flag: bool, expected: int) -> None:
    calls: list[None] = []
    monkeypatch.setattr(_optimize.gc, "collect", lambda *args: calls.append(None) or 0)
    _study().optimize(_x, n_trials=4, gc_after_trial=flag)
    assert len(calls) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"n_trials": 3}, id="by-trials"),
        pytest.param({"timeout": 0.1}, id="by-time"),
        pytest.param({"n_trials": 4, "n_jobs": 2}, id="threads"),
    ],
)
def test_progress_bar_runs(capsys: pytest.CaptureFixture[str], kwargs: dict[str, Any]) -> None:
    podbor.logging.set_verbosity(podbor.logging.INFO)
    study = _study()

    def objective(trial: Trial) -> float:
        time.sleep(0.005)
        return _x(trial)

    study.optimize(objective, show_progress_bar=True, **kwargs)
    assert len(study.trials) >= 1
    assert podbor.logging.get_verbosity() == podbor.logging.INFO  # restored after the bar
    drawn = capsys.readouterr().err
    assert re.search(r"Best trial: \d+\. Best value: ", drawn)
    assert ("00:00/00:00" in drawn) if "timeout" in kwargs else ("100%" in drawn)


def test_progress_bar_closes_when_the_objective_raises() -> None:
    podbor.logging.set_verbosity(podbor.logging.INFO)
    study = _study()
    with pytest.raises(ZeroDivisionError):
        study.optimize(lambda t: 1 / 0, n_trials=3, show_progress_bar=True)
    assert podbor.logging.get_verbosity() == podbor.logging.INFO


# -- nothing is left RUNNING -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("objective", "says"),
    [
        pytest.param(lambda t: t.report(10**400, 0) or 1.0, "'value' parameter", id="report"),
        pytest.param(lambda t: t.suggest_float("x", 0, 10**400), "'high' parameter", id="float"),
        pytest.param(lambda t: t.suggest_int("x", 0, 2**60), "'high' parameter", id="int"),
        pytest.param(
            lambda t: t.suggest_float("x", 0, 1e300, step=1e-300), "'step' parameter", id="step"
        ),
    ],
)
def test_a_refused_argument_fails_the_trial_like_any_error(objective: Any, says: str) -> None:
    study = _study()
    study.optimize(objective, n_trials=2, catch=(Exception,))
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.FAIL]
    assert trials[0].system_attrs["fail_reason"].startswith("InvalidArgumentError: ")
    assert says in trials[0].system_attrs["fail_reason"]


class _AfterTrialFails(podbor.samplers.RandomSampler):
    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        raise RuntimeError("after_trial broke")


@pytest.mark.parametrize(
    ("returned", "state", "values"),
    [(1.0, TrialState.COMPLETE, [1.0]), (None, TrialState.FAIL, None)],
    ids=["value", "none"],
)
def test_a_failing_after_trial_finishes_the_trial_and_stops_optimize(
    returned: Any, state: TrialState, values: list[float] | None
) -> None:
    # As in Optuna: the trial keeps the state it was being told, and ``catch`` does not hold
    # the sampler's error back.
    study = podbor.create_study(sampler=_AfterTrialFails(seed=0))
    with pytest.raises(RuntimeError, match="after_trial broke"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        study.optimize(lambda t: returned, n_trials=3, catch=(Exception,))
    (trial,) = study.trials
    assert trial.state == state
    assert trial.values == values
    assert "after_trial broke" not in trial.system_attrs.get("fail_reason", "")


class _StrFails(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no message")


def test_an_exception_whose_message_fails_still_fails_the_trial() -> None:
    def objective(trial: Trial) -> float:
        raise _StrFails

    study = _study()
    study.optimize(objective, n_trials=1, catch=(Exception,))
    assert study.trials[0].state == TrialState.FAIL
    assert "cannot be shown" in study.trials[0].system_attrs["fail_reason"]
