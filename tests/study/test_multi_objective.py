"""Tests of multi-objective studies and of the Pareto front."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import podbor
from podbor import StudyDirection
from podbor.study._multi_objective import is_pareto_front
from podbor.trial import Trial, TrialState, create_trial


def _brute_force_front(losses: np.ndarray) -> list[bool]:
    """Row i is on the front unless some row is <= everywhere and < somewhere (minimization)."""
    n = losses.shape[0]
    return [
        not any(
            np.all(losses[j] <= losses[i]) and np.any(losses[j] < losses[i])
            for j in range(n)
            if j != i
        )
        for i in range(n)
    ]


loss_matrices = st.integers(1, 4).flatmap(
    lambda m: hnp.arrays(
        np.float64,
        st.tuples(st.integers(0, 25), st.just(m)),
        elements=st.integers(-3, 3).map(float) | st.floats(-1e3, 1e3),
    )
)


@given(loss_matrices)
def test_is_pareto_front_matches_brute_force(losses: np.ndarray) -> None:
    assert is_pareto_front(losses).tolist() == _brute_force_front(losses)


def test_is_pareto_front_keeps_duplicates() -> None:
    losses = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 2.0], [0.0, 5.0]])
    assert is_pareto_front(losses).tolist() == [True, True, False, True]


@given(
    st.lists(st.sampled_from(["minimize", "maximize"]), min_size=2, max_size=3).flatmap(
        lambda directions: st.tuples(
            st.just(directions),
            st.lists(
                st.lists(
                    st.integers(-5, 5).map(float),
                    min_size=len(directions),
                    max_size=len(directions),
                ),
                max_size=15,
            ),
        )
    )
)
def test_best_trials_is_the_pareto_front(case: tuple[list[str], list[list[float]]]) -> None:
    directions, rows = case
    study = podbor.create_study(directions=directions)
    study.add_trials(create_trial(values=row) for row in rows)
    study.add_trial(create_trial(state=TrialState.FAIL))  # never on the front
    signs = np.array([1.0 if d == "minimize" else -1.0 for d in directions])
    losses = np.array(rows, dtype=float).reshape(len(rows), len(directions)) * signs
    expected = [i for i, keep in enumerate(_brute_force_front(losses)) if keep]
    assert [t.number for t in study.best_trials] == expected


def test_multi_objective_optimize() -> None:
    def objective(trial: Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        return x, 1 - x

    study = podbor.create_study(
        directions=["minimize", StudyDirection.MAXIMIZE],
        sampler=podbor.samplers.RandomSampler(seed=0),
    )
    study.optimize(objective, n_trials=10)
    assert study.directions == [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]
    for trial in study.trials:
        assert trial.values == [trial.params["x"], 1 - trial.params["x"]]
        with pytest.raises(RuntimeError):
            _ = trial.value
    # Minimizing x and maximizing 1 - x agree: the single best trial is the smallest x.
    (best,) = study.best_trials
    assert best.params["x"] == min(t.params["x"] for t in study.trials)


def test_conflicting_objectives_put_every_trial_on_the_front() -> None:
    study = podbor.create_study(directions=["minimize", "minimize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.params["x"]), n_trials=8)
    assert [t.number for t in study.best_trials] == list(range(8))


@pytest.mark.parametrize("attribute", ["best_trial", "best_value", "best_params"])
def test_single_best_attributes_raise(attribute: str) -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    study.optimize(lambda t: (1.0, 2.0), n_trials=2)
    with pytest.raises(RuntimeError, match="best_trials"):
        getattr(study, attribute)


def test_best_trials_of_an_empty_study() -> None:
    assert podbor.create_study(directions=["minimize", "maximize"]).best_trials == []


def test_best_trials_ignores_pruned_and_failed_trials() -> None:
    study = podbor.create_study(directions=["minimize", "minimize"])
    study.add_trial(create_trial(values=[1.0, 1.0]))
    study.add_trial(create_trial(state=TrialState.PRUNED))
    study.add_trial(create_trial(state=TrialState.FAIL))
    study.add_trial(create_trial(values=[0.0, 2.0]))
    assert [t.number for t in study.best_trials] == [0, 3]


def test_report_raises_in_a_multi_objective_study() -> None:
    def objective(trial: Trial) -> tuple[float, float]:
        trial.report(1.0, 0)
        return 1.0, 2.0

    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.raises(NotImplementedError, match="multi-objective"):
        study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.FAIL


@pytest.mark.parametrize(
    ("returned", "says"),
    [
        pytest.param(1.0, "1 value(s)", id="one-value"),
        pytest.param((1.0, 2.0, 3.0), "3 value(s)", id="three-values"),
        pytest.param((1.0, float("nan")), "nan", id="nan"),
        pytest.param((1.0, None), "None", id="none"),
    ],
)
def test_wrong_values_fail_the_trial(returned: object, says: str) -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.warns(UserWarning, match="failed"):
        study.optimize(lambda t: returned, n_trials=1)  # type: ignore[arg-type,return-value]
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert says in trial.system_attrs["fail_reason"]
