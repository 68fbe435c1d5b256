"""Tests of ``CmaEsSampler``: the coordinates, the replayed JSON state, and the options."""

from __future__ import annotations

import json
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import podbor
from podbor.distributions import (
    BaseDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import InvalidArgumentError
from podbor.samplers import CmaEsSampler, RandomSampler
from podbor.samplers._cmaes.coordinates import Coordinates
from podbor.trial import BaseTrial, TrialState

pytest.importorskip("cmaes")

pytestmark = pytest.mark.filterwarnings(
    "ignore::podbor.exceptions.ExperimentalWarning", "ignore::FutureWarning"
)

SPACE: dict[str, BaseDistribution] = {
    "x": FloatDistribution(-5.0, 5.0),
    "lr": FloatDistribution(1e-4, 1.0, log=True),
    "n": IntDistribution(-3, 3),
    "s": FloatDistribution(0.0, 1.0, step=0.25),
}


def sphere(trial: BaseTrial) -> float:
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    n = trial.suggest_int("n", -3, 3)
    return (x - 1.0) ** 2 + (y + 2.0) ** 2 + (n - 2) ** 2


def make(**kwargs: Any) -> CmaEsSampler:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CmaEsSampler(**kwargs)


# -- coordinates -----------------------------------------------------------------------------------
@pytest.mark.parametrize("margin", [False, True], ids=["plain", "margin"])
def test_coordinates_round_trip_and_stay_inside(margin: bool) -> None:
    coords = Coordinates(SPACE, margin=margin)
    rng = np.random.default_rng(0)
    for x in rng.uniform(-0.5, 1.5, size=(200, coords.dim)):
        internal = coords.decode(x)
        for name, dist in zip(coords.names, coords.distributions):
            assert dist._contains(internal[name])
        again = coords.decode(coords.encode(internal))
        assert again == pytest.approx(internal)


@st.composite
def numeric_distributions(draw: st.DrawFn) -> BaseDistribution:
    low = draw(st.integers(-20, 20))
    span = draw(st.integers(1, 40))
    kind = draw(st.sampled_from(["float", "log", "step", "int", "int_step", "int_log"]))
    if kind == "float":
        return FloatDistribution(float(low), float(low + span))
    if kind == "log":
        return FloatDistribution(0.5 + abs(low), 0.5 + abs(low) + span, log=True)
    if kind == "step":
        return FloatDistribution(float(low), float(low + span), step=0.5)
    if kind == "int":
        return IntDistribution(low, low + span)
    if kind == "int_step":
        return IntDistribution(low, low + 3 * span, step=3)
    return IntDistribution(1 + abs(low), 1 + abs(low) + span, log=True)


@given(
    dist=numeric_distributions(),
    u=st.floats(-1.0, 2.0, allow_nan=False),
    margin=st.booleans(),
)
def test_decode_is_inside_and_encode_inverts_it(
    dist: BaseDistribution, u: float, margin: bool
) -> None:
    coords = Coordinates({"p": dist}, margin=margin)
    internal = coords.decode(np.array([u]))
    assert dist._contains(internal["p"])
    assert 0.0 <= coords.encode(internal)[0] <= 1.0
    assert coords.decode(coords.encode(internal)) == pytest.approx(internal)


def test_margin_puts_grid_points_on_steps() -> None:
    coords = Coordinates(SPACE, margin=True)
    steps = dict(zip(coords.names, coords.steps.tolist()))
    assert steps == {"lr": 0.0, "n": pytest.approx(1 / 6), "s": 0.25, "x": 0.0}
    assert coords.encode({"lr": 0.01, "n": -3, "s": 1.0, "x": 0.0}).tolist() == pytest.approx(
        [0.5, 0.0, 1.0, 0.5]
    )


# -- optimization ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "options",
    [{}, {"use_separable_cma": True}, {"with_margin": True}, {"lr_adapt": True}],
    ids=["cma", "sep", "margin", "lr_adapt"],
)
def test_finds_the_minimum(options: dict[str, Any]) -> None:
    study = podbor.create_study(sampler=make(seed=1, **options))
    study.optimize(sphere, n_trials=150)
    assert study.best_value < 0.1
    assert study.best_params["n"] == 2


def test_maximize() -> None:
    study = podbor.create_study(sampler=make(seed=0), direction="maximize")
    study.optimize(lambda t: -sphere(t), n_trials=120)
    assert study.best_value > -0.1


def test_same_seed_same_proposals() -> None:
    params = []
    for _ in range(2):
        study = podbor.create_study(sampler=make(seed=7, popsize=4))
        study.optimize(sphere, n_trials=20)
        params.append([t.params for t in study.trials])
    assert params[0] == params[1]


# -- state: JSON records, replayed -----------------------------------------------------------------
def test_state_is_json_records_on_trials() -> None:
    study = podbor.create_study(sampler=make(seed=0, popsize=4))
    study.optimize(sphere, n_trials=10)
    assert not any(k.startswith("cma") for k in study.system_attrs)
    records = [t.system_attrs["cma:solution"] for t in study.trials[1:]]
    json.dumps(records)
    assert [r["g"] for r in records] == [0, 0, 0, 0, 1, 1, 1, 1, 2]
    assert all(r["names"] == ["n", "x", "y"] and len(r["x"]) == 3 for r in records)


def test_replay_from_trials_equals_the_live_optimizer() -> None:
    sampler = make(seed=0, popsize=5)
    study = podbor.create_study(sampler=sampler)
    study.optimize(sphere, n_trials=31)
    assert sampler._run is not None
    live = sampler._run.optimizer
    replayed = sampler._restore_optimizer(study.trials[:-1])  # the live one told all but the last
    assert replayed.generation == live.generation == 5
    np.testing.assert_allclose(replayed.mean, live.mean)
    np.testing.assert_allclose(replayed._C, live._C)


def test_two_workers_share_a_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cma.db'}"
    first = make(seed=1, popsize=4)
    second = make(seed=2, popsize=4)
    podbor.create_study(study_name="s", storage=url, sampler=first)
    for i in range(40):
        study = podbor.load_study(study_name="s", storage=url, sampler=(first, second)[i % 2])
        study.optimize(sphere, n_trials=1)
    assert first._run is not None and second._run is not None
    assert first._run.optimizer.generation == second._run.optimizer.generation
    np.testing.assert_allclose(first._run.optimizer.mean, second._run.optimizer.mean)
    assert study.best_value < 3.0
    generations = [t.system_attrs["cma:solution"]["g"] for t in study.trials[1:]]
    assert generations == sorted(generations)


def test_a_copy_for_another_study_starts_afresh() -> None:
    sampler = make(seed=0, popsize=4)
    podbor.create_study(sampler=sampler).optimize(sphere, n_trials=12)
    study = podbor.create_study(sampler=sampler)
    study.optimize(sphere, n_trials=3)
    assert [t.system_attrs["cma:solution"]["g"] for t in study.trials[1:]] == [0, 0]


# -- what goes to the independent sampler ----------------------------------------------------------
def test_categorical_goes_to_the_independent_sampler_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def objective(trial: BaseTrial) -> float:
        c = trial.suggest_categorical("c", ["a", "b"])
        return sphere(trial) + (c == "b")

    study = podbor.create_study(sampler=make(seed=0))
    with caplog.at_level(logging.WARNING, logger="podbor"):
        study.optimize(objective, n_trials=10)
    messages = [r.getMessage() for r in caplog.records if "independently" in r.getMessage()]
    assert len(messages) == 1 and "'c'" in messages[0]
    assert all("cma:solution" in t.system_attrs for t in study.trials[1:])


@pytest.mark.parametrize("warn", [True, False])
def test_dynamic_search_space_falls_back(warn: bool, caplog: pytest.LogCaptureFixture) -> None:
    def objective(trial: BaseTrial) -> float:
        x = trial.suggest_float("x", 0, 1) + trial.suggest_float("y", 0, 1)
        return x + (trial.suggest_float("z", 0, 1) if trial.number != 5 else 0.0)

    study = podbor.create_study(sampler=make(seed=0, warn_independent_sampling=warn))
    with caplog.at_level(logging.WARNING, logger="podbor"):
        study.optimize(objective, n_trials=10)
    assert all("cma:solution" not in t.system_attrs for t in study.trials[6:])
    assert bool(caplog.records) == warn


def test_startup_trials_use_the_independent_sampler() -> None:
    independent = RandomSampler(seed=0)
    study = podbor.create_study(sampler=make(n_startup_trials=3, independent_sampler=independent))
    study.optimize(sphere, n_trials=5)
    marked = ["cma:solution" in t.system_attrs for t in study.trials]
    assert marked == [False, False, False, True, True]


def test_multi_objective_is_refused() -> None:
    study = podbor.create_study(sampler=make(n_startup_trials=0), directions=["minimize"] * 2)
    with pytest.raises(ValueError, match="multi-objective"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), 3)


# -- options ---------------------------------------------------------------------------------------
def test_x0_and_sigma0_set_the_first_gaussian() -> None:
    sampler = make(x0={"x": 4.0, "y": -4.0, "n": 3}, sigma0=1e-3, seed=0)
    study = podbor.create_study(sampler=sampler)
    study.optimize(sphere, n_trials=4)
    for trial in study.trials[1:]:
        assert trial.params["x"] == pytest.approx(4.0, abs=0.1)
        assert trial.params["n"] == 3


def test_warm_start_from_source_trials() -> None:
    source = podbor.create_study(sampler=RandomSampler(seed=0))
    source.optimize(sphere, n_trials=60)
    study = podbor.create_study(sampler=make(seed=0, source_trials=source.trials))
    study.optimize(sphere, n_trials=15)
    cold = podbor.create_study(sampler=make(seed=0))
    cold.optimize(sphere, n_trials=15)
    assert np.median([t.value for t in study.trials[1:]]) < np.median(
        [t.value for t in cold.trials[1:]]
    )


def test_warm_start_from_another_space_is_refused() -> None:
    source = podbor.create_study()
    source.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    study = podbor.create_study(sampler=make(source_trials=source.trials))
    with pytest.raises(ValueError, match="source_trials"):
        study.optimize(sphere, n_trials=3)


def test_consider_pruned_trials_learns_from_reports() -> None:
    def objective(trial: BaseTrial) -> float:
        value = sphere(trial)
        trial.report(value, 0)
        if trial.number % 2:
            raise podbor.TrialPruned()
        return value

    sampler = make(seed=0, popsize=4, consider_pruned_trials=True)
    study = podbor.create_study(sampler=sampler)
    study.optimize(objective, n_trials=14)
    assert sampler._run is not None and sampler._run.optimizer.generation == 3


def test_ipop_restarts_with_a_larger_population() -> None:
    sampler = make(seed=0, popsize=4, restart_strategy="ipop")
    study = podbor.create_study(sampler=sampler)
    study.optimize(lambda t: 0.0 * t.suggest_float("x", 0, 1), 150)  # flat: CMA-ES stops
    assert sampler._run is not None and sampler._run.restart >= 1
    assert sampler._run.popsize == 4 * 2**sampler._run.restart
    records = [t.system_attrs["cma:solution"] for t in study.trials[1:]]
    assert max(r["r"] for r in records) >= 1


def test_bipop_also_runs_small_populations() -> None:
    sampler = make(seed=0, popsize=4, restart_strategy="bipop")
    study = podbor.create_study(sampler=sampler)
    study.optimize(lambda t: 0.0 * t.suggest_float("x", 0, 1), 300)
    records = [t.system_attrs["cma:solution"] for t in study.trials[1:]]
    sizes = {r["r"]: r["n"] for r in records}
    assert len(sizes) >= 3 and sizes[0] == 4
    assert sampler._run is not None
    assert sampler._run.budget[True] > 0 or sampler._run.small  # the small regime ran
    replayed = make(seed=5, popsize=4, restart_strategy="bipop")._restore_optimizer(
        study.trials[:-1]
    )
    assert replayed.population_size == sampler._run.optimizer.population_size
    np.testing.assert_allclose(replayed.mean, sampler._run.optimizer.mean)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"popsize": 0},
        {"sigma0": -1.0},
        {"seed": -1},
        {"n_startup_trials": -1},
        {"restart_strategy": "sometimes"},
        {"with_margin": "yes"},
    ],
    ids=lambda kw: next(iter(kw)),
)
def test_bad_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        make(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"x0": {"x": 0.0}, "source_trials": []},
        {"use_separable_cma": True, "source_trials": []},
        {"use_separable_cma": True, "with_margin": True},
        {"lr_adapt": True, "with_margin": True},
    ],
    ids=["x0-source", "sep-source", "sep-margin", "lra-margin"],
)
def test_incompatible_options(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        make(**kwargs)


def test_deprecated_and_experimental_arguments_warn() -> None:
    with pytest.warns(FutureWarning, match="x0"):
        CmaEsSampler(x0={"x": 0.0})
    with pytest.warns(podbor.exceptions.ExperimentalWarning, match="with_margin"):
        CmaEsSampler(with_margin=True)


def test_missing_cmaes_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cmaes", None)
    study = podbor.create_study(sampler=make(seed=0))
    with pytest.raises(ImportError, match=r"pip install 'podbor\[cmaes\]'"):
        study.optimize(sphere, n_trials=2)


def test_records_survive_a_storage_round_trip() -> None:
    study = podbor.create_study(sampler=make(seed=0, popsize=4))
    study.optimize(sphere, n_trials=6)
    copy = podbor.create_study(sampler=make(seed=0, popsize=4))
    for trial in study.trials:
        copy.add_trial(trial)
    assert [t.state for t in copy.trials] == [TrialState.COMPLETE] * 6
    replayed = copy.sampler._restore_optimizer(copy.trials)  # type: ignore[attr-defined]
    assert replayed.generation == 1


def test_categorical_only_space_is_all_independent() -> None:
    study = podbor.create_study(sampler=make(seed=0, warn_independent_sampling=False))
    study.optimize(lambda t: float(t.suggest_categorical("c", ["a", "b"]) == "a"), n_trials=4)
    # no CMA state at all: only the worker that ran each trial (recorded by optimize)
    assert all(set(t.system_attrs) == {"worker"} for t in study.trials)
