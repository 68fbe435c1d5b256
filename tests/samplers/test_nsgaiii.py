"""Tests of NSGAIIISampler and its reference-point selection maths."""

from __future__ import annotations

import inspect
import math
import warnings
from collections import Counter
from math import comb
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import podbor
from podbor.exceptions import ExperimentalWarning, InvalidArgumentError
from podbor.samplers import NSGAIIISampler, NSGAIISampler
from podbor.samplers._nsgaii._nsgaiii import NSGAIIIElitePopulationSelectionStrategy
from podbor.samplers._nsgaii._reference import (
    INFINITY_MARGIN,
    associate,
    das_dennis,
    fill_infinite,
    niche_select,
    normalize,
    select_elite_by_reference,
)
from podbor.samplers.nsgaii import SPXCrossover, UNDXCrossover

pytestmark = pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")

GEN = "NSGAIIISampler:generation"
INF = math.inf
C = INFINITY_MARGIN


def _three_objectives(trial: podbor.Trial) -> tuple[float, float, float]:
    """DTLZ1-like: the front is the simplex ``f1 + f2 + f3 = 0.5`` (at ``z = 0.5``)."""
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_float("y", 0, 1)
    g = 1 + (trial.suggest_float("z", 0, 1) - 0.5) ** 2 * 100
    return 0.5 * x * y * g, 0.5 * x * (1 - y) * g, 0.5 * (1 - x) * g


# -- the sampler ---------------------------------------------------------------------------------
def test_signature_is_optunas() -> None:
    names = list(inspect.signature(NSGAIIISampler).parameters)
    assert names == [
        "population_size", "mutation", "mutation_prob", "crossover", "crossover_prob",
        "swapping_prob", "seed", "constraints_func", "reference_points", "dividing_parameter",
        "elite_population_selection_strategy", "child_generation_strategy",
        "after_trial_strategy",
    ]  # fmt: skip
    defaults = inspect.signature(NSGAIIISampler).parameters
    assert defaults["population_size"].default == 50
    assert defaults["dividing_parameter"].default == 3


def test_generations_and_key() -> None:
    assert NSGAIIISampler._get_generation_key() == GEN
    study = podbor.create_study(sampler=NSGAIIISampler(population_size=3, seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 9), n_trials=12)
    assert Counter(t.system_attrs[GEN] for t in study.trials) == {0: 3, 1: 3, 2: 3, 3: 3}


def test_is_its_own_class_and_repr() -> None:
    sampler = NSGAIIISampler(population_size=4, seed=1)
    assert not isinstance(sampler, NSGAIISampler)
    assert repr(sampler) == "NSGAIIISampler(population_size=4, seed=1)"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"population_size": 1}, "population_size"),
        ({"population_size": 2, "crossover": UNDXCrossover()}, "population_size"),
        ({"population_size": 2, "crossover": SPXCrossover()}, "population_size"),
        ({"mutation_prob": 1.1}, "mutation_prob"),
        ({"crossover_prob": -0.5}, "crossover_prob"),
        ({"swapping_prob": 2.0}, "swapping_prob"),
        ({"dividing_parameter": 0}, "dividing_parameter"),
        ({"dividing_parameter": 2.5}, "dividing_parameter"),
        ({"reference_points": [1.0, 0.0]}, "reference_points"),
        ({"reference_points": [[1.0, -1.0]]}, "reference_points"),
        ({"reference_points": [[0.0, 0.0], [1.0, 1.0]]}, "reference_points"),
        ({"reference_points": [[np.nan, 1.0]]}, "reference_points"),
        ({"reference_points": "abc"}, "reference_points"),
        ({"seed": -1}, "seed"),
    ],
    ids=lambda v: str(v),
)
def test_bad_arguments_name_themselves(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(InvalidArgumentError, match=f"'{name}' parameter of NSGAIIISampler"):
        NSGAIIISampler(**kwargs)


@pytest.mark.filterwarnings("default::podbor.exceptions.ExperimentalWarning")
def test_experimental_and_deprecated_warnings_point_at_the_users_line() -> None:
    with pytest.warns(ExperimentalWarning) as caught:
        NSGAIIISampler()
    assert [str(w.message).split(" is")[0] for w in caught] == ["NSGAIIISampler"]
    assert caught[0].filename == __file__
    with pytest.warns(ExperimentalWarning) as caught:
        NSGAIIISampler(child_generation_strategy=lambda study, space, parents: {})
    messages = [str(w.message) for w in caught]
    assert any("'child_generation_strategy' argument of NSGAIIISampler" in m for m in messages)
    assert {w.filename for w in caught} == {__file__}
    with pytest.warns(FutureWarning, match="NSGAIIISampler's 'constraints_func'") as caught:
        NSGAIIISampler(constraints_func=lambda trial: [0.0])
    assert {w.filename for w in caught} == {__file__}


def test_three_objectives_approach_the_front_and_spread() -> None:
    sampler = NSGAIIISampler(population_size=20, seed=0)
    study = podbor.create_study(directions=["minimize"] * 3, sampler=sampler)
    study.optimize(_three_objectives, n_trials=400)
    totals = {t.number: sum(t.values or []) for t in study.trials}
    first = [totals[t.number] for t in study.trials if t.system_attrs[GEN] == 0]
    last = [totals[t.number] for t in study.trials if t.system_attrs[GEN] == 19]
    assert np.median(last) < 0.5 * np.median(first)
    best = np.array([t.values for t in study.best_trials])
    assert len(best) >= 10
    assert np.all(best.max(axis=0) > 0.2)  # every objective's extreme is reached


def test_same_seed_same_run() -> None:
    def run() -> list[dict[str, Any]]:
        study = podbor.create_study(
            directions=["minimize"] * 3, sampler=NSGAIIISampler(population_size=4, seed=3)
        )
        study.optimize(_three_objectives, n_trials=20)
        return [t.params for t in study.trials]

    assert run() == run()


def test_maximize_directions_and_infinite_values() -> None:
    def objective(trial: podbor.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        return (INF if x > 0.9 else x), 1 - x

    study = podbor.create_study(
        directions=["maximize", "minimize"], sampler=NSGAIIISampler(population_size=4, seed=0)
    )
    study.optimize(objective, n_trials=24)
    assert len(study.trials) == 24


def test_constraints_func_is_stored_and_used() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        sampler = NSGAIIISampler(
            population_size=4, seed=0, constraints_func=lambda t: [t.params["x"] - 0.5]
        )
    study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("x", 0, 1)), 24)
    assert all(t.system_attrs["constraints"] == [t.params["x"] - 0.5] for t in study.trials)
    feasible = [t.params["x"] <= 0.5 for t in study.trials]
    assert sum(feasible[12:]) >= sum(feasible[:4])


def test_reference_points_of_the_wrong_width_fail_at_selection() -> None:
    sampler = NSGAIIISampler(population_size=2, reference_points=np.ones((2, 3)), seed=0)
    study = podbor.create_study(directions=["minimize"] * 2, sampler=sampler)
    with pytest.raises(InvalidArgumentError, match="an array of 2 columns"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), 6)


def test_reference_points_state_a_preference() -> None:
    study = podbor.create_study(directions=["minimize", "minimize"])
    front = [[i / 10, 1 - i / 10] for i in range(11)]
    study.add_trials([podbor.create_trial(values=v) for v in front])
    keep = NSGAIIIElitePopulationSelectionStrategy(
        population_size=3, reference_points=np.array([[1.0, 0.0]]), rng=np.random.RandomState(0)
    )
    kept = [np.asarray(t.values)[0] for t in keep(study, study.trials)]
    assert 1.0 in kept  # the one point on the preferred direction is always kept


def test_elite_strategy_argument_check() -> None:
    with pytest.raises(InvalidArgumentError, match="'population_size' parameter"):
        NSGAIIIElitePopulationSelectionStrategy(population_size=1, rng=np.random.RandomState())


# -- the maths ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("m", "p", "expected"),
    [
        (1, 3, [[3.0]]),
        (2, 2, [[2.0, 0.0], [1.0, 1.0], [0.0, 2.0]]),
        (2, 3, [[3.0, 0.0], [2.0, 1.0], [1.0, 2.0], [0.0, 3.0]]),
        (3, 2, [[2, 0, 0], [1, 1, 0], [1, 0, 1], [0, 2, 0], [0, 1, 1], [0, 0, 2]]),
    ],
    ids=["m1p3", "m2p2", "m2p3", "m3p2"],
)
def test_das_dennis(m: int, p: int, expected: list[list[float]]) -> None:
    np.testing.assert_array_equal(das_dennis(m, p), np.array(expected, dtype=float))


@given(st.integers(1, 6), st.integers(1, 6))
def test_das_dennis_counts_and_sums(m: int, p: int) -> None:
    points = das_dennis(m, p)
    assert points.shape == (comb(m + p - 1, p), m)
    assert np.all(points.sum(axis=1) == p) and np.all(points >= 0)
    assert len({tuple(r) for r in points.tolist()}) == len(points)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([[1.0, 2.0], [INF, 0.5]], [[1.0, 2.0], [1.0, 0.5]]),
        ([[1.0, INF], [3.0, 1.0], [2.0, 3.0], [INF, 0.5]],
         [[1.0, 3.0 + C * 2.5], [3.0, 1.0], [2.0, 3.0], [3.0 + C * 2.0, 0.5]]),
        ([[1.0, INF], [3.0, -INF], [INF, 2.0], [-INF, 3.5]],
         [[1.0, 3.5 + C * 1.5], [3.0, 2.0 - C * 1.5], [3.0 + C * 2.0, 2.0], [1.0 - C * 2.0, 3.5]]),
        ([[INF, 1.0], [-INF, 2.0]], [[0.0, 1.0], [0.0, 2.0]]),
    ],
    ids=["one-finite", "plus", "both-signs", "no-finite"],
)  # fmt: skip
def test_fill_infinite(values: list[list[float]], expected: list[list[float]]) -> None:
    np.testing.assert_allclose(fill_infinite(np.array(values)), np.array(expected))


def test_normalize_uses_the_extreme_points_hyperplane() -> None:
    losses = np.array(
        [[1, 2, 3], [3, 1, 2], [2, 3, 1], [2, 2, 2], [4, 5, 6], [6, 4, 5], [5, 6, 4], [4, 4, 4.0]]
    )
    np.testing.assert_allclose(normalize(losses), (losses - 1) / 3)  # intercepts at 3, not 5


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([[2.71], [1.41], [3.14]], [[(2.71 - 1.41) / (3.14 - 1.41)], [0.0], [1.0]]),
        ([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]], [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]),
        ([[1.0, 5.0], [1.0, 7.0]], [[0.0, 0.0], [0.0, 1.0]]),
        ([[2.0, 2.0]], [[0.0, 0.0]]),
    ],
    ids=["one-objective", "repeated-extremes", "no-spread", "one-row"],
)
def test_normalize_falls_back_to_the_worst_values(
    values: list[list[float]], expected: list[list[float]]
) -> None:
    np.testing.assert_allclose(normalize(np.array(values)), np.array(expected), atol=1e-12)


@given(
    st.lists(
        st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=3, max_size=3),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=60)
def test_normalize_is_finite_with_the_ideal_at_zero(rows: list[list[float]]) -> None:
    out = normalize(np.array(rows))
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out.min(axis=0), 0.0, atol=1e-9)


def test_associate_by_perpendicular_distance() -> None:
    losses = np.array(
        [[1, 2, 3], [3, 1, 2], [2, 3, 1], [2, 2, 2], [4, 5, 6], [0, 1, 10], [10, 0, 1.0]]
    )
    nearest, distance = associate(losses, das_dennis(3, 2))
    assert nearest.tolist() == [4, 2, 1, 1, 4, 5, 0]  # a tie goes to the first point
    np.testing.assert_allclose(distance, [1.5**0.5, 1.5**0.5, 1.5**0.5, 2, 4.0620192, 1, 1])
    nearest, distance = associate(np.array([[1.0], [0.0]]), das_dennis(1, 3))
    assert nearest.tolist() == [0, 0] and distance.tolist() == [0.0, 0.0]


def test_niche_select_fills_empty_niches_first_with_the_nearest() -> None:
    counts = np.array([2, 0, 0, 1])
    nearest = np.array([0, 1, 1, 2, 2, 3, 0])
    distance = np.array([0.0, 0.5, 0.1, 0.3, 0.2, 0.0, 0.0])
    for seed in range(10):
        chosen = niche_select(counts, nearest, distance, 2, np.random.RandomState(seed))
        assert sorted(chosen.tolist()) == [2, 4]
        three = niche_select(counts, nearest, distance, 3, np.random.RandomState(seed))
        assert set(three[:2].tolist()) == {2, 4} and three[2] in (1, 3, 5)


def test_niche_select_can_take_every_member_and_no_more() -> None:
    nearest = np.array([0, 0, 1])
    chosen = niche_select(
        np.zeros(2, dtype=np.int64), nearest, np.zeros(3), 3, np.random.RandomState()
    )
    assert sorted(chosen.tolist()) == [0, 1, 2]
    with pytest.raises(ValueError, match="Cannot choose 2"):
        niche_select(
            np.zeros(1, dtype=np.int64), np.array([0]), np.zeros(1), 2, np.random.RandomState()
        )


def test_select_elite_spreads_over_a_linear_front() -> None:
    front = np.array([[i / 20, 1 - i / 20] for i in range(21)] + [[2.0, 2.0]])
    kept = select_elite_by_reference(front, None, 4, das_dennis(2, 3), np.random.RandomState(0))
    assert sorted(front[kept, 0].tolist()) == [0.0, 0.35, 0.65, 1.0]  # nearest the 4 directions


def test_select_elite_keeps_whole_fronts_and_feasible_rows_first() -> None:
    losses = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0], [0.0, 1.0], [9.0, 9.0]])
    violations = np.array([0.0, 0.0, 0.0, 2.0, 2.0])
    rng = np.random.RandomState(0)
    assert sorted(select_elite_by_reference(losses, violations, 3, das_dennis(2, 3), rng)) == [
        0,
        1,
        2,
    ]
    kept = select_elite_by_reference(losses, violations, 4, das_dennis(2, 3), rng)
    assert sorted(kept.tolist())[:3] == [0, 1, 2] and len(kept) == 4
    assert select_elite_by_reference(losses, None, 9, das_dennis(2, 3), rng).tolist() == [
        0,
        1,
        2,
        3,
        4,
    ]


def test_a_bad_constraints_func_names_nsgaiii() -> None:
    import warnings

    import podbor as _podbor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sampler = _podbor.samplers.NSGAIIISampler(seed=0, constraints_func=lambda t: [float("nan")])
    study = _podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    with pytest.raises(ValueError, match="NSGAIIISampler"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=1)
