"""Tests of ``constraints_func`` on ``TPESampler`` and ``GPSampler``, and of the shared module.

Constraints are evaluated after each trial and stored as Optuna keeps them; TPE ranks feasible
trials before infeasible ones; the GP weights log-EI by the probability of feasibility. On a
problem whose optimum lies on the boundary of a feasible half-plane, both find feasible points
more often with the constraints than without.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import podbor
from podbor.distributions import FloatDistribution
from podbor.exceptions import InvalidArgumentError
from podbor.samplers import BaseSampler, GPSampler, TPESampler
from podbor.samplers._constraints import total_violation
from podbor.samplers._gp.acquisition import ConstrainedAcquisition, Feasibility
from podbor.samplers._gp.feasibility import ConstraintTable, fit_feasibility
from podbor.samplers._tpe._history import History
from podbor.study._constrained_optimization import CONSTRAINTS_KEY
from podbor.testing.samplers import SamplerConformance
from podbor.trial import FrozenTrial, Trial, TrialState, create_trial

X = FloatDistribution(-1.0, 1.0)
SAMPLERS: dict[str, Any] = {"tpe": TPESampler, "gp": GPSampler}


def _make(kind: str, **kwargs: Any) -> BaseSampler:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        sampler: BaseSampler = SAMPLERS[kind](**kwargs)
    return sampler


def _objective(trial: Trial) -> float:
    """``x² + y²`` under ``x + y <= -2``: the optimum 2 at (-1, -1), on the boundary."""
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    trial.set_user_attr("c", x + y + 2.0)
    return x * x + y * y


def _constraint(trial: FrozenTrial) -> Sequence[float]:
    return [trial.user_attrs["c"]]


def _n_feasible(kind: str, constrained: bool, seed: int, n_trials: int) -> int:
    sampler = _make(
        kind, seed=seed, n_startup_trials=10, constraints_func=_constraint if constrained else None
    )
    study = podbor.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=n_trials)
    return sum(t.user_attrs["c"] <= 0 for t in study.trials)


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    yield
    podbor.logging.set_verbosity(podbor.logging.INFO)


# -- the constructor -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(SAMPLERS))
def test_constraints_func_is_deprecated_as_in_optuna(kind: str) -> None:
    with pytest.warns(FutureWarning, match="constraints_func"):
        SAMPLERS[kind](constraints_func=lambda _: (0,))


@pytest.mark.parametrize("kind", list(SAMPLERS))
def test_constraints_func_must_be_callable(kind: str) -> None:
    with pytest.raises(InvalidArgumentError, match="'constraints_func'"):
        _make(kind, constraints_func=0.5)


# -- evaluation after each trial -----------------------------------------------------------------
@pytest.mark.parametrize("kind", list(SAMPLERS))
def test_constraints_are_stored_after_each_trial(kind: str) -> None:
    sampler = _make(kind, seed=0, n_startup_trials=2, constraints_func=_constraint)
    study = podbor.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=4)
    for trial in study.trials:
        assert trial.system_attrs[CONSTRAINTS_KEY] == [trial.user_attrs["c"]]
        assert trial.constraints == {"0": trial.user_attrs["c"]}


@pytest.mark.parametrize("kind", list(SAMPLERS))
def test_constraints_of_pruned_trials_are_stored_and_failed_ones_skipped(kind: str) -> None:
    calls: list[int] = []

    def constraint(trial: FrozenTrial) -> Sequence[float]:
        calls.append(trial.number)
        return [1.0]

    def objective(trial: Trial) -> float:
        trial.suggest_float("x", -1, 1)
        if trial.number == 0:
            raise podbor.TrialPruned()
        if trial.number == 1:
            raise RuntimeError("boom")
        return 0.0

    study = podbor.create_study(sampler=_make(kind, seed=0, constraints_func=constraint))
    study.optimize(objective, n_trials=3, catch=(RuntimeError,))
    assert calls == [0, 2]
    assert [t.system_attrs.get(CONSTRAINTS_KEY) for t in study.trials] == [[1.0], None, [1.0]]


@pytest.mark.parametrize("kind", list(SAMPLERS))
@pytest.mark.parametrize(
    "returned",
    [
        pytest.param([math.nan], id="nan"),
        pytest.param(["a"], id="string-item"),
        pytest.param(0.5, id="scalar"),
        pytest.param("ab", id="string"),
    ],
)
def test_bad_constraint_values_raise_naming_the_argument(kind: str, returned: Any) -> None:
    sampler = _make(kind, seed=0, constraints_func=lambda _: returned)
    study = podbor.create_study(sampler=sampler)
    with pytest.raises(ValueError, match="'constraints_func' parameter of") as caught:
        study.optimize(lambda t: t.suggest_float("x", -1, 1), n_trials=1)
    assert type(sampler).__name__ in str(caught.value)
    assert isinstance(caught.value, InvalidArgumentError)
    assert CONSTRAINTS_KEY not in study.trials[0].system_attrs


@pytest.mark.parametrize("kind", list(SAMPLERS))
def test_an_exception_in_constraints_func_propagates(kind: str) -> None:
    def constraint(trial: FrozenTrial) -> Sequence[float]:
        raise KeyError("missing")

    study = podbor.create_study(sampler=_make(kind, seed=0, constraints_func=constraint))
    with pytest.raises(KeyError):
        study.optimize(lambda t: t.suggest_float("x", -1, 1), n_trials=1)


@pytest.mark.parametrize("kind", list(SAMPLERS))
def test_tuple_and_numpy_returns_are_accepted(kind: str) -> None:
    sampler = _make(kind, seed=0, constraints_func=lambda t: np.array([0.5, -1.0]))
    study = podbor.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", -1, 1), n_trials=2)
    assert study.trials[0].system_attrs[CONSTRAINTS_KEY] == [0.5, -1.0]


# -- the search ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "n_trials", "seeds"),
    [pytest.param("tpe", 50, range(4), id="tpe"), pytest.param("gp", 25, range(2), id="gp")],
)
def test_feasible_region_is_found_more_often(kind: str, n_trials: int, seeds: range) -> None:
    without = sum(_n_feasible(kind, False, seed, n_trials) for seed in seeds)
    with_constraints = sum(_n_feasible(kind, True, seed, n_trials) for seed in seeds)
    assert with_constraints > 1.5 * without


@pytest.mark.parametrize("kind", list(SAMPLERS))
def test_best_feasible_value_approaches_the_constrained_optimum(kind: str) -> None:
    sampler = _make(kind, seed=0, n_startup_trials=10, constraints_func=_constraint)
    study = podbor.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=40)
    assert study.best_trial.user_attrs["c"] <= 0
    assert study.best_value < 3.0  # the constrained optimum is 2.0; unconstrained 0.0


@pytest.mark.parametrize("kind", list(SAMPLERS))
def test_recorded_constraints_are_used_without_constraints_func(kind: str) -> None:
    def objective(trial: Trial) -> float:
        value = _objective(trial)
        trial.set_constraint("sum", trial.user_attrs["c"])
        return value

    study = podbor.create_study(sampler=_make(kind, seed=0, n_startup_trials=10))
    study.optimize(objective, n_trials=30)
    late = study.trials[10:]
    assert sum(t.user_attrs["c"] <= 0 for t in late) > len(late) // 3


def test_gp_with_constraints_func_needs_logei() -> None:
    with pytest.raises(InvalidArgumentError, match="'acquisition'"):
        _make("gp", acquisition="ucb", constraints_func=_constraint)


# -- TPE: the split ------------------------------------------------------------------------------
def _trial(value: float | None, violation: float | None, *, step: int | None = None) -> Any:
    attrs = {} if violation is None else {CONSTRAINTS_KEY: [violation]}
    if value is None:
        return create_trial(
            state=TrialState.PRUNED,
            params={"x": 0.0},
            distributions={"x": X},
            system_attrs=attrs,
            intermediate_values={} if step is None else {step: 0.0},
        )
    return create_trial(value=value, params={"x": 0.0}, distributions={"x": X}, system_attrs=attrs)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_tpe_ranks_feasible_complete_then_pruned_then_infeasible(direction: str) -> None:
    sign = 1.0 if direction == "minimize" else -1.0
    study = podbor.create_study(direction=direction)
    trials = [
        _trial(sign * 5.0, 2.0),  # 0: infeasible, violation 2
        _trial(sign * 1.0, -1.0),  # 1: feasible, best value
        _trial(None, -1.0, step=3),  # 2: feasible pruned
        _trial(sign * 0.0, 0.5),  # 3: infeasible, violation 0.5 (best value of all)
        _trial(sign * 2.0, 0.0),  # 4: feasible (0 is feasible)
        _trial(None, 1.0, step=9),  # 5: infeasible pruned, violation 1
    ]
    for trial in trials:
        study.add_trial(trial)
    history = History()
    history.update(study)
    order = np.argsort(history.ranks()).tolist()
    assert order == [1, 4, 2, 3, 5, 0]


def test_tpe_split_puts_infeasible_trials_above() -> None:
    study = podbor.create_study()
    for value, violation in [(0.0, 1.0), (1.0, -1.0), (2.0, -1.0), (-1.0, 3.0)]:
        study.add_trial(_trial(value, violation))
    history = History()
    history.update(study)
    below, above = history.split(np.ones(4, dtype=bool), lambda n: 2)
    assert below.tolist() == [1, 2]
    assert above.tolist() == [0, 3]


def test_tpe_pareto_ranking_ignores_infeasible_trials() -> None:
    study = podbor.create_study(directions=["minimize", "minimize"])
    for values, violation in [([0.0, 0.0], 1.0), ([1.0, 2.0], -1.0), ([2.0, 1.0], -1.0)]:
        study.add_trial(
            create_trial(
                values=values,
                params={"x": 0.0},
                distributions={"x": X},
                system_attrs={CONSTRAINTS_KEY: [violation]},
            )
        )
    history = History()
    history.update(study)
    assert np.argsort(history.ranks()).tolist()[-1] == 0


# -- the maths -----------------------------------------------------------------------------------
def test_total_violation_sums_positive_values_and_nan_is_infinite() -> None:
    assert total_violation(_trial(0.0, None)) == 0.0
    assert total_violation(_trial(0.0, -3.0)) == 0.0
    assert (
        total_violation(create_trial(value=0.0, system_attrs={"constraints": [1, -2, 0.5]})) == 1.5
    )
    assert (
        total_violation(create_trial(value=0.0, system_attrs={"constraints": [math.nan]}))
        == math.inf
    )


def constraint_matrix(trials: Sequence[FrozenTrial]) -> np.ndarray:
    """The constraint matrix of ``trials``, read all at once."""
    table = ConstraintTable()
    table.extend(trials)
    return table.matrix


def test_constraint_matrix_aligns_names_and_fills_missing_as_violated() -> None:
    trials = [
        create_trial(value=0.0, system_attrs={"constraints:a": 1.0}),
        create_trial(value=0.0, system_attrs={"constraints:b": -1.0, "constraints:a": -2.0}),
        create_trial(value=0.0),
    ]
    assert constraint_matrix(trials).tolist() == [
        [1.0, math.inf],
        [-2.0, -1.0],
        [math.inf, math.inf],
    ]
    assert constraint_matrix(trials[2:]).shape == (1, 0)


def test_a_growing_constraint_table_matches_the_matrix_of_all_its_trials() -> None:
    trials = [
        create_trial(value=0.0),
        create_trial(value=0.0, system_attrs={"constraints:b": 2.0}),
        create_trial(value=0.0, system_attrs={"constraints:b": -1.0}),
        create_trial(value=0.0, system_attrs={"constraints:a": math.nan, "constraints:b": 0.0}),
        create_trial(value=0.0, system_attrs={"constraints": [-3.0]}),
    ]
    table = ConstraintTable()
    for end in range(1, len(trials) + 1):  # one trial at a time: new names appear on the way
        table.extend(trials[end - 1 : end])
        expected = constraint_matrix(trials[:end])
        assert table.matrix.shape == expected.shape and np.array_equal(table.matrix, expected)
    assert table.names == ("0", "a", "b")
    assert table.matrix[3].tolist() == [math.inf, math.inf, 0.0]  # NaN counts as violated


def test_the_gp_sampler_reads_each_trials_constraints_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from podbor.samplers._gp import feasibility as feasibility_module

    read: list[int] = []
    original = feasibility_module.constraints_from_system_attrs

    def spy(system_attrs: Any) -> dict[str, float]:
        read.append(1)
        return original(system_attrs)

    monkeypatch.setattr(feasibility_module, "constraints_from_system_attrs", spy)

    def objective(trial: podbor.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_constraint("cap", x - 0.6)
        return -x

    study = podbor.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))
    study.optimize(objective, n_trials=12)
    assert len(read) == 11  # the complete trials before the last proposal, each read once
    best = study.best_trial
    assert best.params["x"] <= 0.6


def _feasibility() -> Feasibility:
    x = np.linspace(0.0, 1.0, 8)[:, None]
    feasibility, fitted = fit_feasibility(x, 0.5 - x, np.array([False]), initial=None)
    assert len(fitted) == 1
    return feasibility


def test_probability_of_feasibility_is_high_where_feasible() -> None:
    values = np.exp(_feasibility().value(np.array([[0.05], [0.95]])))
    assert values[0] < 0.1 < 0.9 < values[1]


def test_feasibility_gradient_matches_finite_differences() -> None:
    acq = ConstrainedAcquisition(None, _feasibility())
    x = np.array([[0.3], [0.55], [0.8]])
    value, grad = acq.value_and_grad(x)
    np.testing.assert_allclose(value, acq.value(x))
    eps = 1e-6
    numeric = (acq.value(x + eps) - acq.value(x - eps)) / (2 * eps)
    np.testing.assert_allclose(grad[:, 0], numeric, rtol=1e-4, atol=1e-6)


# -- conformance with a constraints_func ---------------------------------------------------------
def _half_violated(trial: FrozenTrial) -> Sequence[float]:
    return [float(trial.number % 2) - 0.5]


class TestTPEConstrained(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return _make("tpe", seed=seed, constraints_func=_half_violated)


class TestGPConstrained(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return _make("gp", seed=seed, n_startup_trials=3, constraints_func=_half_violated)
