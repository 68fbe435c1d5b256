"""Tests of NSGAIISampler, its selection maths, crossovers and mutations."""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence
from typing import Any
from unittest.mock import Mock

import numpy as np
import pytest

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.exceptions import ExperimentalWarning, InvalidArgumentError
from podbor.samplers import NSGAIISampler
from podbor.samplers._nsgaii._selection import (
    crowding_distance,
    ranks,
    select_elite,
)
from podbor.samplers.nsgaii import (
    BaseCrossover,
    BLXAlphaCrossover,
    PolynomialMutation,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)
from podbor.trial import FrozenTrial

GEN = "NSGAIISampler:generation"


def _two_objectives(trial: podbor.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_float("y", 0, 1)
    return x, (1 + y) * (1 - math.sqrt(x))


# -- generations --------------------------------------------------------------------------------
@pytest.mark.parametrize("population_size", [2, 10])
def test_each_generation_holds_population_size_trials(population_size: int) -> None:
    study = podbor.create_study(
        directions=["minimize"], sampler=NSGAIISampler(population_size=population_size, seed=0)
    )
    study.optimize(lambda t: t.suggest_float("x", 0, 9), n_trials=4 * population_size)
    counts = Counter(t.system_attrs[GEN] for t in study.trials)
    assert counts == {g: population_size for g in range(4)}


def test_generation_key_and_population_size() -> None:
    assert NSGAIISampler._GENERATION_KEY == GEN
    assert NSGAIISampler._get_parent_cache_key_prefix() == "NSGAIISampler:parent:"
    assert NSGAIISampler(population_size=7).population_size == 7


def test_two_samplers_share_generations_through_the_study() -> None:
    """Two workers (each its own sampler) breed from the same parents, kept in the study."""
    study = podbor.create_study(directions=["minimize", "minimize"])
    workers = [NSGAIISampler(population_size=4, seed=s) for s in (1, 2)]
    for i in range(24):
        study.sampler = workers[i % 2]
        study.optimize(_two_objectives, n_trials=1)
    counts = Counter(t.system_attrs[GEN] for t in study.trials)
    assert counts == {g: 4 for g in range(6)}
    parents = {k: v for k, v in study.system_attrs.items() if k.startswith("NSGAIISampler:parent:")}
    assert sorted(parents) == [f"NSGAIISampler:parent:{g}" for g in range(1, 6)]
    assert all(len(v.split()) == 4 for v in parents.values())


def test_same_seed_same_run_and_children_from_parents() -> None:
    def run(seed: int) -> list[dict[str, Any]]:
        sampler = NSGAIISampler(population_size=4, seed=seed, mutation_prob=0.0)
        study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
        study.optimize(_two_objectives, n_trials=16)
        return [t.params for t in study.trials]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_nsga2_improves_on_its_first_generation() -> None:
    sampler = NSGAIISampler(population_size=10, seed=0, crossover=SBXCrossover())
    study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_two_objectives, n_trials=150)
    assert Counter(t.system_attrs[GEN] for t in study.trials)[14] == 10
    # y -> 0 makes the second objective smaller at any x: the last generation sits lower.
    ys_first = np.mean([t.params["y"] for t in study.trials[:10]])
    ys_last = np.mean([t.params["y"] for t in study.trials[-10:]])
    assert ys_last < ys_first


@pytest.mark.parametrize("choices", [[-1, 0, 1], [True, False], ["a", "b"]])
def test_categorical_values_keep_their_type(choices: list[Any]) -> None:
    def objective(trial: podbor.Trial) -> tuple[float, float]:
        value = trial.suggest_categorical("c", choices)
        assert type(value) is type(choices[0])
        return float(choices.index(value)), trial.suggest_int("i", 0, 3, step=1)

    sampler = NSGAIISampler(population_size=4, seed=0)
    study = podbor.create_study(directions=["minimize", "maximize"], sampler=sampler)
    study.optimize(objective, n_trials=20)


# -- arguments ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"population_size": 1}, "population_size"),
        ({"population_size": 2, "crossover": UNDXCrossover()}, "population_size"),
        ({"mutation_prob": 1.1}, "mutation_prob"),
        ({"crossover_prob": -0.5}, "crossover_prob"),
        ({"swapping_prob": 2.0}, "swapping_prob"),
        ({"crossover": 3}, "crossover"),
        ({"seed": -1}, "seed"),
    ],
    ids=lambda v: str(v),
)
def test_bad_arguments_name_themselves(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(InvalidArgumentError, match=f"'{name}' parameter of NSGAIISampler"):
        NSGAIISampler(**kwargs)


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: UniformCrossover(swapping_prob=1.1), "swapping_prob"),
        (lambda: SBXCrossover(eta=-1.0), "eta"),
        (lambda: VSBXCrossover(use_child_gene_prob=0.0), "use_child_gene_prob"),
        (lambda: SBXCrossover(uniform_crossover_prob=1.5), "uniform_crossover_prob"),
        (lambda: PolynomialMutation(eta=-1.0), "eta"),
    ],
    ids=["uniform", "sbx-eta", "vsbx-child", "sbx-uniform", "polynomial"],
)
def test_bad_operator_arguments(make: Any, name: str) -> None:
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        make()


def test_strategy_arguments_are_experimental_and_constraints_func_deprecated() -> None:
    with pytest.warns(ExperimentalWarning):
        NSGAIISampler(after_trial_strategy=lambda study, trial, state, values: None)
    with pytest.warns(ExperimentalWarning):
        NSGAIISampler(elite_population_selection_strategy=lambda study, population: [])
    with pytest.warns(FutureWarning, match="Trial.set_constraint"):
        NSGAIISampler(constraints_func=lambda trial: [0.0])


def test_custom_strategies_are_used() -> None:
    calls: list[str] = []

    def child(study: Any, space: Any, parents: list[FrozenTrial]) -> dict[str, Any]:
        calls.append("child")
        return {"x": 0.25}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        sampler = NSGAIISampler(population_size=2, child_generation_strategy=child, seed=0)
    study = podbor.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    assert [t.params["x"] for t in study.trials[2:]] == [0.25, 0.25]
    assert calls == ["child", "child"]


# -- constraints --------------------------------------------------------------------------------
def _sampler_with(constraints_func: Any, **kwargs: Any) -> NSGAIISampler:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return NSGAIISampler(constraints_func=constraints_func, **kwargs)


def test_constraints_func_values_are_stored_and_feasible_trials_win() -> None:
    sampler = _sampler_with(
        lambda t: (t.params["x"] - 0.3,), population_size=6, seed=0, mutation_prob=0.05
    )
    study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), -t.suggest_float("x", 0, 1)), n_trials=60)
    for trial in study.trials:
        assert trial.system_attrs["constraints"] == [trial.params["x"] - 0.3]
    late = study.trials[-12:]
    assert sum(t.params["x"] <= 0.3 for t in late) >= 8
    assert all(t.params["x"] <= 0.3 for t in study.best_trials)


@pytest.mark.parametrize(
    "returned", [(float("nan"),), "abc", 3.0, ("a",)], ids=["nan", "str", "scalar", "not-real"]
)
def test_bad_constraints_stop_the_study_but_keep_the_trial(returned: Any) -> None:
    sampler = _sampler_with(lambda t: returned, population_size=2)
    study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    with pytest.raises(ValueError, match="constraints_func"):
        study.optimize(_two_objectives, n_trials=3)
    (trial,) = study.trials
    assert trial.state == podbor.trial.TrialState.COMPLETE
    assert trial.constraints == {}


def test_set_constraint_with_different_names_is_used() -> None:
    def objective(trial: podbor.Trial) -> tuple[float, float]:
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        if trial.number % 3 == 1:
            trial.set_constraint("a", x - 0.5)
        elif trial.number % 3 == 2:
            trial.set_constraint("b", y - 0.5)
        return x, y

    study = podbor.create_study(
        directions=["minimize", "minimize"], sampler=NSGAIISampler(population_size=3, seed=0)
    )
    study.optimize(objective, n_trials=12)
    assert len(study.trials) == 12


# -- selection maths ----------------------------------------------------------------------------
def test_ranks_by_fronts_then_violation() -> None:
    losses = np.array([[1.0, 4.0], [2.0, 3.0], [3.0, 3.5], [0.0, 0.0], [0.0, 0.0], [5.0, 5.0]])
    violations = np.array([0.0, 0.0, 0.0, 2.0, 1.0, 0.0])
    assert ranks(losses, violations).tolist() == [0, 0, 1, 4, 3, 2]
    assert ranks(losses, None).tolist() == [1, 1, 2, 0, 0, 3]


def test_crowding_distance_and_elite() -> None:
    losses = np.array([[0.0, 4.0], [1.0, 3.0], [1.5, 2.5], [3.0, 1.0], [4.0, 0.0]])
    distance = crowding_distance(losses)
    assert np.isinf(distance[[0, 4]]).all()
    np.testing.assert_allclose(distance[1:4], [1.5 / 4 * 2, 2.0 / 4 * 2, 2.5 / 4 * 2])
    assert sorted(select_elite(losses, None, 4).tolist()) == [0, 2, 3, 4]
    assert select_elite(losses, None, 10).tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("seed", range(5))
def test_tournament_prefers_lower_rank_then_loneliness(seed: int) -> None:
    from podbor.samplers._nsgaii._child import _Tournament

    study = podbor.create_study(directions=["minimize", "maximize"])
    study.add_trials(
        [podbor.create_trial(values=v) for v in [[0.0, 9.0], [1.0, 1.0], [0.0, 1.0], [9.0, 9.0]]]
    )
    trials = study.trials
    rng = np.random.RandomState(seed)
    assert _Tournament(study, trials[:2], rng, False).distinct(1) == [trials[0]]
    # [0, 1] dominates [1, 1]: the first objective is minimized, the second maximized
    assert _Tournament(study, [trials[1], trials[2]], rng, False).distinct(1) == [trials[2]]


# -- crossovers and mutations -------------------------------------------------------------------
def _constant_rng(value: float) -> Mock:
    rng = Mock()
    rng.rand = Mock(side_effect=lambda *a: value if not a else np.full(a[0], value))
    rng.normal = Mock(
        side_effect=lambda *a, size=None: value if size is None else np.full(size, value)
    )
    return rng


_BOUNDS = np.array([[1.0, 10.0], [1.0, 10.0]])


@pytest.mark.parametrize(
    ("crossover", "value", "expected"),
    [
        (UniformCrossover(), 0.0, [1.0, 2.0]),
        (UniformCrossover(), 0.5, [3.0, 4.0]),
        (BLXAlphaCrossover(), 0.0, [0.0, 1.0]),
        (BLXAlphaCrossover(), 0.5, [2.0, 3.0]),
        (BLXAlphaCrossover(), 1.0, [4.0, 5.0]),
        (SPXCrossover(), 0.0, [7.0, 8.0]),
        (SPXCrossover(), 0.5, [7.0 - 6.0 * math.sqrt(0.5)] * 1 + [8.0 - 6.0 * math.sqrt(0.5)]),
        (SPXCrossover(), 1.0, [-1.0, 0.0]),
        (SBXCrossover(), 0.0, [2.0, 3.0]),
        (SBXCrossover(), 0.5, [3.0, 4.0]),
        (VSBXCrossover(), 0.5, [3.0, 4.0]),
        (UNDXCrossover(), -0.5, [3.0, 4.0]),
        (UNDXCrossover(), 0.0, [2.0, 3.0]),
        (UNDXCrossover(), 0.5, [1.0, 2.0]),
    ],
    ids=lambda v: str(v),
)
def test_crossover_formulas(crossover: BaseCrossover, value: float, expected: list[float]) -> None:
    parents = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])[: crossover.n_parents]
    child = crossover.crossover(parents, _constant_rng(value), None, _BOUNDS)
    np.testing.assert_allclose(child, expected)


@pytest.mark.parametrize(
    "crossover",
    [
        UniformCrossover(),
        BLXAlphaCrossover(),
        SPXCrossover(),
        SBXCrossover(),
        VSBXCrossover(),
        UNDXCrossover(),
    ],
    ids=str,
)
def test_crossovers_keep_identical_parents_and_stay_finite(crossover: BaseCrossover) -> None:
    same = np.array([[1.0, 2.0]] * crossover.n_parents)
    rng = np.random.RandomState(0)
    np.testing.assert_allclose(crossover.crossover(same, rng, None, _BOUNDS), [1.0, 2.0])
    parents = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])[: crossover.n_parents]
    for _ in range(50):
        child = crossover.crossover(parents, rng, None, _BOUNDS)
        assert child.shape == (2,) and np.isfinite(child).all()


@pytest.mark.parametrize(
    "crossover",
    [BLXAlphaCrossover(), SPXCrossover(), SBXCrossover(), VSBXCrossover(), UNDXCrossover()],
    ids=str,
)
def test_every_crossover_runs_a_mixed_study(crossover: BaseCrossover) -> None:
    def objective(trial: podbor.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 1e-3, 10, log=True)
        n = trial.suggest_int("n", -5, 5, step=2)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        s = trial.suggest_float("s", 0, 1, step=0.25)
        return x + n + s, float("abc".index(str(c))) - x

    sampler = NSGAIISampler(population_size=4, crossover=crossover, seed=0)
    study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=24)
    for trial in study.trials:
        for name, value in trial.params.items():
            assert trial.distributions[name]._contains(
                trial.distributions[name].to_internal_repr(value)
            )


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        (5.0, 0.0, 0.0),
        (5.0, 0.25, 5.0 + (math.sqrt(0.625) - 1.0) * 10.0),
        (5.0, 0.5, 5.0),
        (5.0, 1.0, 10.0),
        (2.0, 0.75, 2.0 + (1.0 - math.sqrt(0.52)) * 10.0),
    ],
)
def test_polynomial_mutation(param: float, value: float, expected: float) -> None:
    mutated = PolynomialMutation(eta=1.0).mutation(
        param, _constant_rng(value), None, np.array([0.0, 10.0])
    )
    assert mutated == pytest.approx(expected)


def test_mutation_operator_is_used_for_numerical_parameters() -> None:
    sampler = NSGAIISampler(
        population_size=4, mutation=PolynomialMutation(), mutation_prob=1.0, seed=0
    )
    study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_two_objectives, n_trials=16)
    assert len(study.trials) == 16


def test_search_space_of_several_kinds() -> None:
    space: dict[str, Any] = {
        "f": FloatDistribution(0, 1),
        "i": IntDistribution(1, 9, log=True),
        "c": CategoricalDistribution([None, 1, "x"]),
    }

    def objective(trial: podbor.Trial) -> Sequence[float]:
        f = trial.suggest_float("f", 0, 1)
        i = trial.suggest_int("i", 1, 9, log=True)
        trial.suggest_categorical("c", [None, 1, "x"])
        return [f, float(i)]

    study = podbor.create_study(
        directions=["minimize", "maximize"], sampler=NSGAIISampler(population_size=3, seed=1)
    )
    study.optimize(objective, n_trials=15)
    assert all(t.distributions == space for t in study.trials)
