"""Tests of ``QMCSampler``: the points are scipy's sequence decoded, shared by every worker."""

from __future__ import annotations

import json
import logging
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import qmc

import podbor
from podbor._search_space import SearchSpaceEncoder
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import ExperimentalWarning, InvalidArgumentError
from podbor.samplers import BaseSampler, QMCSampler, RandomSampler
from podbor.samplers._qmc import qmc_point
from podbor.testing.samplers import SamplerConformance
from podbor.trial import BaseTrial, create_trial

pytestmark = pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")

FLOAT_2D: dict[str, BaseDistribution] = {
    "x": FloatDistribution(-5.0, 10.0),
    "y": FloatDistribution(0.0, 15.0),
}
MIXED: dict[str, BaseDistribution] = {
    "c": CategoricalDistribution(("a", "b", "c", "d")),
    "lr": FloatDistribution(1e-4, 1.0, log=True),
    "n": IntDistribution(0, 12, step=3),
    "w": FloatDistribution(-0.5, 0.7, step=0.1),
}


class TestQMCConformance(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return QMCSampler(
            seed=seed, warn_independent_sampling=False, warn_asynchronous_seeding=False
        )


class TestQMCHaltonConformance(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return QMCSampler(
            qmc_type="halton",
            seed=seed,
            warn_independent_sampling=False,
            warn_asynchronous_seeding=False,
        )


# -- helpers ------------------------------------------------------------------------------------
def _suggest(trial: BaseTrial, name: str, dist: BaseDistribution) -> Any:
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    assert isinstance(dist, CategoricalDistribution)
    return trial.suggest_categorical(name, dist.choices)


def _objective(space: Mapping[str, BaseDistribution]) -> Callable[[BaseTrial], float]:
    def objective(trial: BaseTrial) -> float:
        params = {name: _suggest(trial, name, dist) for name, dist in space.items()}
        return float(sum(space[n].to_internal_repr(v) for n, v in params.items()))

    return objective


def _run(
    sampler: BaseSampler, space: Mapping[str, BaseDistribution], n_trials: int
) -> podbor.Study:
    study = podbor.create_study(sampler=sampler)
    study.optimize(_objective(space), n_trials=n_trials)
    return study


def _decoded(space: Mapping[str, BaseDistribution], points: np.ndarray) -> list[dict[str, Any]]:
    encoder = SearchSpaceEncoder(space)
    return [{n: space[n].to_external_repr(v) for n, v in encoder.decode(u).items()} for u in points]


def _unit(space: Mapping[str, BaseDistribution], study: podbor.Study) -> np.ndarray:
    trials = study.trials[1:]  # trial 0 is always drawn by the independent sampler
    internal: list[Mapping[str, float]] = [
        {n: space[n].to_internal_repr(t.params[n]) for n in space} for t in trials
    ]
    return SearchSpaceEncoder(space).encode(internal)


def _independent_sampling_logs(log: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in log.records
        if r.levelno == logging.WARNING and "independently" in r.getMessage()
    ]


# -- the points ---------------------------------------------------------------------------------
def test_first_points_are_scipys_sobol_points_decoded() -> None:
    n = 16
    study = _run(QMCSampler(scramble=True, seed=7), FLOAT_2D, n + 1)
    expected = qmc.Sobol(2, scramble=True, rng=7).random(n)
    got = np.array([[t.params["x"], t.params["y"]] for t in study.trials[1:]])
    np.testing.assert_allclose(got, [[-5.0 + 15.0 * u, 15.0 * v] for u, v in expected], rtol=1e-12)


def test_unscrambled_by_default_as_in_optuna_so_seeds_do_not_matter() -> None:
    assert "scramble=False" in repr(QMCSampler())
    first = [t.params for t in _run(QMCSampler(seed=1), FLOAT_2D, 5).trials[1:]]
    assert first == [t.params for t in _run(QMCSampler(seed=2), FLOAT_2D, 5).trials[1:]]
    assert first[0] == {"x": -5.0, "y": 0.0}  # the corner (0, 0)


def test_trial_n_takes_point_n_minus_1_of_the_unscrambled_sequence() -> None:
    study = _run(QMCSampler(scramble=False, seed=0), FLOAT_2D, 4)
    assert [(t.params["x"], t.params["y"]) for t in study.trials[1:]] == [
        (-5.0, 0.0),  # the corner (0, 0)
        (2.5, 7.5),  # (1/2, 1/2)
        (6.25, 3.75),  # (3/4, 1/4)
    ]


@pytest.mark.parametrize("qmc_type", ["sobol", "halton"])
def test_mixed_space_is_the_sequence_through_the_shared_encoding(qmc_type: str) -> None:
    study = _run(QMCSampler(qmc_type=qmc_type, scramble=True, seed=3), MIXED, 33)  # type: ignore[arg-type]
    engine = qmc.Sobol if qmc_type == "sobol" else qmc.Halton
    expected = _decoded(MIXED, engine(len(MIXED), scramble=True, rng=3).random(32))
    assert [t.params for t in study.trials[1:]] == expected


def test_qmc_point_matches_scipy() -> None:
    points = qmc.Halton(3, scramble=True, rng=5).random(10)
    for k in (0, 1, 9):
        np.testing.assert_array_equal(qmc_point("halton", 3, k, scramble=True, seed=5), points[k])


def test_grid_like_parameters_are_stratified() -> None:
    """64 Sobol' points put exactly 1/4 of the trials on each choice and in each decade."""
    study = _run(QMCSampler(seed=11), MIXED, 65)
    trials = study.trials[1:]
    assert Counter(t.params["c"] for t in trials) == dict.fromkeys("abcd", 16)
    decades = Counter(int(np.floor(np.log10(t.params["lr"]))) for t in trials)
    assert decades == {-4: 16, -3: 16, -2: 16, -1: 16}
    assert all(type(t.params["n"]) is int and t.params["n"] % 3 == 0 for t in trials)


@pytest.mark.parametrize(("low", "high", "step"), [(0, 3, 1), (-2, 1, 1), (0, 6, 2), (-3, 3, 2)])
def test_unscrambled_points_cover_each_integer_equally(low: int, high: int, step: int) -> None:
    """The unscrambled sequence lands exactly on the 1/4 boundaries; each share still gets 4."""
    space = {"x": IntDistribution(low, high, step=step)}
    study = _run(QMCSampler(scramble=False, seed=0), space, 17)
    counts = Counter(t.params["x"] for t in study.trials[1:])
    assert counts == dict.fromkeys(range(low, high + 1, step), 4)


def test_discrepancy_is_lower_than_random_search() -> None:
    space = {f"x{i}": FloatDistribution(0.0, 1.0) for i in range(4)}
    quasi = [qmc.discrepancy(_unit(space, _run(QMCSampler(seed=s), space, 65))) for s in range(3)]
    rand = [
        qmc.discrepancy(_unit(space, _run(RandomSampler(seed=s), space, 65))) for s in range(10)
    ]
    assert max(quasi) < min(rand)


# -- seeds and workers --------------------------------------------------------------------------
def test_same_seed_same_points_other_seed_other_points() -> None:
    def params(seed: int) -> list[dict[str, Any]]:
        return [t.params for t in _run(QMCSampler(scramble=True, seed=seed), MIXED, 10).trials]

    assert params(1) == params(1)
    assert params(1)[1:] != params(2)[1:]


def test_reseed_rng_keeps_the_sequence() -> None:
    sampler = QMCSampler(scramble=True, seed=4)
    study = _run(sampler, FLOAT_2D, 5)
    sampler.reseed_rng()
    study.optimize(_objective(FLOAT_2D), n_trials=4)
    expected = _decoded(FLOAT_2D, qmc.Sobol(2, scramble=True, rng=4).random(8))
    assert [t.params for t in study.trials[1:]] == expected


def test_without_a_seed_one_is_drawn_once_and_stored() -> None:
    with pytest.warns(UserWarning, match="drew seed") as record:
        study = _run(QMCSampler(scramble=True), FLOAT_2D, 6)
    assert sum("drew seed" in str(w.message) for w in record) == 1
    seed = study.system_attrs["qmc:seed"]
    assert isinstance(seed, int)
    json.dumps(study.system_attrs)
    expected = _decoded(FLOAT_2D, qmc.Sobol(2, scramble=True, rng=seed).random(8)[:5])
    assert [t.params for t in study.trials[1:]] == expected


def test_seeding_warning_can_be_turned_off() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ExperimentalWarning)  # the user chose QMCSampler
        _run(QMCSampler(scramble=True, warn_asynchronous_seeding=False), FLOAT_2D, 4)
        _run(QMCSampler(), FLOAT_2D, 4)  # unscrambled by default: nothing to seed


@pytest.mark.parametrize("seed", [None, 5], ids=["drawn-seed", "given-seed"])
def test_two_workers_on_one_storage_draw_distinct_points(
    tmp_path: Path, seed: int | None, podbor_log: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'qmc.db'}"
    podbor.create_study(study_name="s", storage=url)
    workers = [
        podbor.load_study(
            study_name="s",
            storage=url,
            sampler=QMCSampler(scramble=True, seed=seed, warn_asynchronous_seeding=False),
        )
        for _ in range(2)
    ]
    objective = _objective(FLOAT_2D)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ExperimentalWarning)  # the user chose QMCSampler
        for i in range(17):  # the workers take turns, without any coordination of their own
            study = workers[i % 2]
            trial = study.ask()
            study.tell(trial, objective(trial))
    assert _independent_sampling_logs(podbor_log) == []
    trials = workers[0].trials
    points = [(t.params["x"], t.params["y"]) for t in trials]
    assert len(set(points)) == len(points)
    stored_seed = workers[1].system_attrs.get("qmc:seed", seed)
    expected = _decoded(FLOAT_2D, qmc.Sobol(2, scramble=True, rng=stored_seed).random(16))
    assert [t.params for t in trials[1:]] == expected


def test_threads_draw_distinct_points() -> None:
    study = podbor.create_study(sampler=QMCSampler(seed=0))
    study.optimize(_objective(FLOAT_2D), n_trials=40, n_jobs=2)
    points = [(t.params["x"], t.params["y"]) for t in study.trials]
    assert len(set(points)) == 40


# -- conditional parameters ---------------------------------------------------------------------
def _conditional(trial: BaseTrial) -> float:
    if trial.suggest_categorical("kind", ["a", "b"]) == "a":
        return trial.suggest_float("x", 0.0, 1.0)
    return trial.suggest_int("y", 0, 10)


def test_conditional_params_go_to_the_independent_sampler_with_one_warning(
    podbor_log: pytest.LogCaptureFixture,
) -> None:
    study = podbor.create_study(sampler=QMCSampler(scramble=True, seed=0))
    dists = {"kind": CategoricalDistribution(("a", "b")), "x": FloatDistribution(0.0, 1.0)}
    study.add_trial(create_trial(params={"kind": "a", "x": 0.5}, distributions=dists, value=0.5))
    study.optimize(_conditional, n_trials=20)
    [message] = _independent_sampling_logs(podbor_log)
    assert message.startswith("QMCSampler samples the parameter 'y' of trial")
    assert "RandomSampler(seed=0)" in message and "warn_independent_sampling=False" in message
    assert study.system_attrs["qmc:search_space"].keys() == {"kind", "x"}
    trials = study.trials[1:]
    assert {t.params["kind"] for t in trials} == {"a", "b"}
    for t in trials:
        assert set(t.params) == ({"kind", "x"} if t.params["kind"] == "a" else {"kind", "y"})
    points = qmc.Sobol(2, scramble=True, rng=0).random(32)
    expected = _decoded(dists, points)
    for t in trials:  # kind (and x where suggested) come from point number - 1
        assert t.params["kind"] == expected[t.number - 1]["kind"]
        if "x" in t.params:
            assert t.params["x"] == expected[t.number - 1]["x"]


def test_the_first_trial_and_muted_warnings_are_silent(
    podbor_log: pytest.LogCaptureFixture,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ExperimentalWarning)  # the user chose QMCSampler
        _run(QMCSampler(seed=0), FLOAT_2D, 1)
        study = podbor.create_study(sampler=QMCSampler(seed=0, warn_independent_sampling=False))
        study.optimize(_conditional, n_trials=20)
    assert len(study.trials) == 20
    assert _independent_sampling_logs(podbor_log) == []


def test_a_custom_independent_sampler_is_used() -> None:
    class Constant(RandomSampler):
        def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
            return 7 if name == "y" else super().sample_independent(study, trial, name, dist)

    sampler = QMCSampler(
        seed=0, independent_sampler=Constant(seed=0), warn_independent_sampling=False
    )
    study = podbor.create_study(sampler=sampler)
    dists = {"kind": CategoricalDistribution(("a", "b")), "x": FloatDistribution(0.0, 1.0)}
    study.add_trial(create_trial(params={"kind": "a", "x": 0.5}, distributions=dists, value=0.5))
    study.optimize(_conditional, n_trials=15)  # the space is {kind, x}: y is never in it
    assert {t.params["y"] for t in study.trials if "y" in t.params} == {7}


# -- arguments ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        pytest.param({"qmc_type": "random"}, "qmc_type", id="qmc_type"),
        pytest.param({"scramble": 1}, "scramble", id="scramble-not-bool"),
        pytest.param({"seed": -1}, "seed", id="seed-negative"),
        pytest.param({"seed": 1.5}, "seed", id="seed-float"),
        pytest.param({"seed": True}, "seed", id="seed-bool"),
        pytest.param({"independent_sampler": object()}, "independent_sampler", id="sampler"),
        pytest.param({"warn_independent_sampling": "no"}, "warn_independent_sampling", id="warn"),
        pytest.param({"warn_asynchronous_seeding": None}, "warn_asynchronous_seeding", id="seed-w"),
    ],
)
def test_bad_arguments_are_rejected(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(InvalidArgumentError, match=f"The '{name}' parameter of QMCSampler must"):
        QMCSampler(**kwargs)


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        QMCSampler("sobol")  # type: ignore[call-arg]


def test_repr() -> None:
    assert repr(QMCSampler(qmc_type="halton", scramble=False, seed=3)) == (
        "QMCSampler(qmc_type='halton', scramble=False, seed=3)"
    )


@pytest.mark.filterwarnings("default::podbor.exceptions.ExperimentalWarning")
def test_qmc_sampler_is_experimental_for_the_user_only() -> None:
    with pytest.warns(ExperimentalWarning) as caught:
        QMCSampler(seed=0)
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExperimentalWarning)
        study = podbor.create_study(sampler=podbor.samplers.AutoSampler(seed=0))
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)  # quasi-random start


@pytest.mark.parametrize(
    "start",
    [
        pytest.param("suggest", id="a-running-trial-suggested"),
        pytest.param("fixed", id="ask-with-fixed-distributions"),
    ],
)
def test_before_any_trial_finished_the_running_trial_gives_the_space(start: str) -> None:
    sampler = QMCSampler(seed=0)
    study = podbor.create_study(sampler=sampler)
    other = create_trial(state=podbor.trial.TrialState.RUNNING)
    assert sampler.infer_relative_search_space(study, other) == {}
    if start == "suggest":
        first = study.ask()
        first.suggest_float("x", -5.0, 10.0)
        first.suggest_float("y", 0.0, 15.0)
    else:
        study.ask(fixed_distributions=FLOAT_2D)
    second = study.ask()
    space = sampler.infer_relative_search_space(study, study.trials[second.number])
    assert space == FLOAT_2D
    assert "qmc:search_space" not in study.system_attrs  # speculative: not stored
