"""Property tests (issue 17): numbers of every kind given to suggest, report and returned.

Every input is accepted (and then the result is sound: inside the range, on the grid, stored as
given), or refused with a podbor error (a ``ValueError``, a ``TypeError`` for some) whose message
names the argument. And ``optimize(..., catch=(Exception,))`` never leaves a trial RUNNING,
whatever the objective passes or returns. ``make test`` runs a bounded number of examples; the
``slow`` variants (``make test-slow``) run many more.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import podbor
from podbor.exceptions import InvalidArgumentError, PodborError
from podbor.storages import InMemoryStorage, JournalFileBackend, JournalStorage, RDBStorage
from podbor.trial import FixedTrial, Trial, TrialState

FAST = settings(max_examples=60)
SLOW = settings(max_examples=2000)

# -- the inputs ---------------------------------------------------------------------------------
_EDGES = [
    0,
    1,
    -1,
    2**53,
    2**53 + 1,
    -(2**53) - 1,
    2**63,
    10**400,
    -(10**400),
    math.inf,
    -math.inf,
    math.nan,
    5e-324,
    1.7e308,
    -1.7e308,
]
plain_numbers = st.one_of(
    st.sampled_from(_EDGES),
    st.integers(-(10**6), 10**6),
    st.integers(),
    st.floats(),
    st.floats(-1e6, 1e6),
)
numpy_numbers = plain_numbers.flatmap(
    lambda v: (
        st.sampled_from(
            [np.float64(v)] + ([np.int64(v)] if isinstance(v, int) and abs(v) < 2**63 else [])
        )
        if not (isinstance(v, int) and abs(v) > 1e308)
        else st.just(v)
    )
)
other_values = st.one_of(
    st.booleans(),
    st.none(),
    st.sampled_from(["1", "0.5", "abc", "", "inf", "1e400", b"1"]),
    st.just([1.0]),
    st.just(object()),
)
numbers = st.one_of(plain_numbers, numpy_numbers)
anything = st.one_of(numbers, other_values)
small_steps = st.one_of(st.integers(0, 10**6), st.sampled_from([2**31 - 1, 2**31, 2**63, -1, 1.5]))


def _refusal(err: BaseException, arguments: tuple[str, ...], owner: str) -> None:
    """Assert that ``err`` is a podbor refusal naming one of ``arguments`` of ``owner``."""
    assert isinstance(err, PodborError) and isinstance(err, (ValueError, TypeError)), repr(err)
    assert isinstance(err, InvalidArgumentError), repr(err)
    message = str(err)
    assert any(f"The '{a}' parameter of {owner}" in message for a in arguments), message


def _live_trial() -> Trial:
    study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
    return study.ask()


# -- suggest_float ------------------------------------------------------------------------------
def _check_suggest_float(low: Any, high: Any, step: Any, log: bool) -> None:
    trial = _live_trial()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # high moved onto the grid
        try:
            value = trial.suggest_float("x", low, high, step=step, log=log)
        except Exception as err:
            _refusal(err, ("low", "high", "step"), "suggest_float('x')")
            assert trial.params == {}  # nothing stored
            return
    assert isinstance(value, float) and math.isfinite(value)
    assert float(low) <= value <= float(high)
    assert trial.params == {"x": value}


float_steps = st.one_of(st.none(), numbers, st.sampled_from([1e-300, 5e-324, 1e300]))


@FAST
@given(numbers, numbers, float_steps, st.booleans())
def test_suggest_float_accepts_or_names_the_argument(
    low: Any, high: Any, step: Any, log: bool
) -> None:
    _check_suggest_float(low, high, step, log)


@FAST
@given(anything, anything, st.one_of(float_steps, other_values), st.booleans())
def test_suggest_float_refuses_what_is_no_number(low: Any, high: Any, step: Any, log: bool) -> None:
    _check_suggest_float(low, high, step, log)


@pytest.mark.slow
@SLOW
@given(anything, anything, st.one_of(float_steps, other_values), st.booleans())
def test_suggest_float_accepts_or_names_the_argument_long(
    low: Any, high: Any, step: Any, log: bool
) -> None:
    _check_suggest_float(low, high, step, log)


# -- suggest_int --------------------------------------------------------------------------------
def _check_suggest_int(low: Any, high: Any, step: Any, log: bool) -> None:
    trial = _live_trial()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            value = trial.suggest_int("n", low, high, step=step, log=log)
        except Exception as err:
            _refusal(err, ("low", "high", "step"), "suggest_int('n')")
            assert trial.params == {}
            return
    assert type(value) is int
    assert int(low) <= value <= int(high)
    assert (value - int(low)) % int(step) == 0  # on the grid, even near 2**53
    assert trial.params == {"n": value}


int_bounds = st.one_of(
    st.integers(-(2**54), 2**54),
    st.integers(-100, 100),
    st.sampled_from([2**53, -(2**53), 2**53 - 1, 2**53 + 1, 10**400, 2.0, 2.5]),
    numpy_numbers,
)
int_steps = st.one_of(st.integers(1, 10), st.integers(-2, 2**60), st.sampled_from([3.0, 0.5]))


@FAST
@given(int_bounds, int_bounds, int_steps, st.booleans())
def test_suggest_int_accepts_or_names_the_argument(
    low: Any, high: Any, step: Any, log: bool
) -> None:
    _check_suggest_int(low, high, step, log)


@pytest.mark.slow
@SLOW
@given(
    st.one_of(int_bounds, anything),
    st.one_of(int_bounds, anything),
    st.one_of(int_steps, anything),
    st.booleans(),
)
def test_suggest_int_accepts_or_names_the_argument_long(
    low: Any, high: Any, step: Any, log: bool
) -> None:
    _check_suggest_int(low, high, step, log)


# -- report -------------------------------------------------------------------------------------
def _check_report(make: Callable[[], Any], value: Any, step: Any, owner: str) -> None:
    trial = make()
    try:
        trial.report(value, step)
    except Exception as err:
        _refusal(err, ("value", "step"), owner)
        return
    stored = float(value)
    assert isinstance(step, (int, np.integer, float, str, bytes)) and not isinstance(step, bool)
    if isinstance(trial, Trial):
        got = trial.storage.get_trial(trial._trial_id).intermediate_values[int(step)]
        assert got == stored or (math.isnan(got) and math.isnan(stored))


@FAST
@given(anything, st.one_of(small_steps, anything))
def test_report_accepts_or_names_the_argument(value: Any, step: Any) -> None:
    _check_report(_live_trial, value, step, "Trial.report")


@FAST
@given(anything, st.one_of(small_steps, anything))
def test_fixed_trial_report_checks_like_trial_report(value: Any, step: Any) -> None:
    _check_report(lambda: FixedTrial({}), value, step, "FixedTrial.report")


@pytest.mark.slow
@SLOW
@given(anything, st.one_of(small_steps, anything))
def test_report_accepts_or_names_the_argument_long(value: Any, step: Any) -> None:
    _check_report(_live_trial, value, step, "Trial.report")


# -- nothing is left RUNNING --------------------------------------------------------------------
returns = st.one_of(anything, st.lists(numbers, max_size=3), st.tuples(anything))


def _objective(low: Any, high: Any, value: Any, returned: Any) -> Callable[[Trial], Any]:
    def objective(trial: Trial) -> Any:
        trial.suggest_float("x", low, high)
        trial.suggest_int("n", low, high)
        trial.report(value, 0)
        return returned

    return objective


def _check_no_trial_running(storage: Any, low: Any, high: Any, value: Any, returned: Any) -> None:
    study = podbor.create_study(storage=storage, sampler=podbor.samplers.RandomSampler(seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(_objective(low, high, value, returned), n_trials=2, catch=(Exception,))
    states = [t.state for t in study.trials]
    assert len(states) == 2 and TrialState.RUNNING not in states
    for trial in study.trials:
        assert trial.state in (TrialState.COMPLETE, TrialState.FAIL)
        if trial.state == TrialState.FAIL:
            assert trial.system_attrs.get("fail_reason"), trial  # the reason is kept
        else:
            assert trial.values is not None and not math.isnan(trial.values[0])


@FAST
@given(numbers, numbers, anything, returns)
def test_optimize_never_leaves_a_trial_running(
    low: Any, high: Any, value: Any, returned: Any
) -> None:
    _check_no_trial_running(InMemoryStorage(), low, high, value, returned)


_FILE_STORAGES: dict[str, Callable[[Path], Any]] = {
    "sqlite": lambda d: RDBStorage(f"sqlite:///{d / 's.db'}"),
    "journal": lambda d: JournalStorage(JournalFileBackend(d / "s.log")),
}


@pytest.mark.parametrize("kind", sorted(_FILE_STORAGES))
def test_optimize_never_leaves_a_trial_running_on_files(kind: str) -> None:
    @settings(max_examples=15)
    @given(numbers, numbers, anything, returns)
    def run(low: Any, high: Any, value: Any, returned: Any) -> None:
        with tempfile.TemporaryDirectory() as directory:
            storage = _FILE_STORAGES[kind](Path(directory))
            _check_no_trial_running(storage, low, high, value, returned)

    run()


@pytest.mark.slow
@SLOW
@given(anything, anything, anything, returns)
def test_optimize_never_leaves_a_trial_running_long(
    low: Any, high: Any, value: Any, returned: Any
) -> None:
    _check_no_trial_running(InMemoryStorage(), low, high, value, returned)


# -- ints too long for str() (over 4300 digits) ---------------------------------------------------
def test_an_int_too_long_to_print_returned_fails_the_trial() -> None:
    study = podbor.create_study()
    with pytest.warns(UserWarning, match="beyond the range of a float"):
        study.optimize(lambda t: 10**5000, n_trials=1, catch=(Exception,))
    assert study.trials[0].state == TrialState.FAIL


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda t: t.report(10**5000, 0), id="report"),
        pytest.param(lambda t: t.suggest_float("x", 0, 10**5000), id="suggest_float"),
    ],
)
def test_an_int_too_long_to_print_is_refused_with_a_podbor_error(
    call: Callable[[Any], Any],
) -> None:
    with pytest.raises(InvalidArgumentError, match="bits>"):
        call(_live_trial())
