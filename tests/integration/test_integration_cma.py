"""PyCmaSampler (pycma behind the sampler interface) and its example.

Skipped without pycma, except under CI. The sampler conformance suite runs it too
(``tests/testing/test_sampler_conformance.py``).
"""

from __future__ import annotations

import copy
import importlib.util
import logging
import math
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
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
from podbor.exceptions import InvalidArgumentError
from podbor.samplers import RandomSampler
from podbor.trial import BaseTrial, FrozenTrial, TrialState

if importlib.util.find_spec("cma") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("pycma must be installed under CI=true (make test installs it)")
    pytest.skip("pycma is not installed", allow_module_level=True)

import cma

from podbor.integration.cma import PyCmaSampler, _told_points

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pycma_sampler.py"


def sphere(trial: BaseTrial) -> float:
    return sum(trial.suggest_float(f"x{i}", -5.0, 5.0) ** 2 for i in range(4))


def rosenbrock(trial: BaseTrial) -> float:
    x = np.array([trial.suggest_float(f"x{i}", -3.0, 3.0) for i in range(3)])
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


def xy(trial: BaseTrial) -> float:
    return trial.suggest_float("x", -10.0, 10.0) ** 2 + trial.suggest_float("y", -10.0, 10.0) ** 2


def params(study: podbor.Study) -> list[dict[str, Any]]:
    return [t.params for t in study.get_trials(deepcopy=False)]


class CountingSampler(RandomSampler):
    """A RandomSampler that counts the parameters it was asked for."""

    def __init__(self, seed: int | None = 0) -> None:
        super().__init__(seed=seed)
        self.asked: list[str] = []

    def sample_independent(
        self,
        study: Any,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        self.asked.append(param_name)
        return super().sample_independent(study, trial, param_name, param_distribution)


class Recorder:
    """Stands for ``cma.CMAEvolutionStrategy`` and records what each optimizer was built with."""

    built: list[tuple[list[float], float, dict[str, Any]]]

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.built = []
        real = cma.CMAEvolutionStrategy

        def build(x0: list[float], sigma0: float, options: dict[str, Any]) -> Any:
            self.built.append((list(x0), float(sigma0), dict(options)))
            return real(x0, sigma0, options)

        monkeypatch.setattr(cma, "CMAEvolutionStrategy", build)


def first_generation(sampler: PyCmaSampler, objective: Any, popsize: int) -> list[dict[str, Any]]:
    """The parameters of the first CMA-ES generation (after one start-up trial)."""
    study = podbor.create_study(sampler=sampler)
    study.optimize(objective, n_trials=1 + popsize)
    return params(study)[1:]


# -- what it finds ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("objective", "n_trials", "bound"),
    [(sphere, 50, 2.0), (rosenbrock, 80, 3.0)],
    ids=["sphere-4d", "rosenbrock-3d"],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_it_minimizes_better_than_random_search(
    objective: Any, n_trials: int, bound: float, seed: int
) -> None:
    best = {}
    for name, sampler in (("cma", PyCmaSampler(seed=seed)), ("random", RandomSampler(seed=seed))):
        study = podbor.create_study(sampler=sampler)
        study.optimize(objective, n_trials=n_trials)
        best[name] = study.best_value
    assert best["cma"] < bound
    assert best["cma"] < best["random"] / 2


def test_it_maximizes() -> None:
    study = podbor.create_study(direction="maximize", sampler=PyCmaSampler(seed=0))
    study.optimize(lambda t: -sphere(t), n_trials=50)
    assert study.best_value > -2.0


# -- reproducibility -------------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_trials() -> None:
    runs = []
    for _ in range(2):
        study = podbor.create_study(sampler=PyCmaSampler(seed=7))
        study.optimize(sphere, n_trials=30)
        runs.append(params(study))
    assert runs[0] == runs[1]
    other = podbor.create_study(sampler=PyCmaSampler(seed=8))
    other.optimize(sphere, n_trials=30)
    assert params(other) != runs[0]


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copy_made_mid_study_proposes_what_the_original_does(how: str) -> None:
    original = PyCmaSampler(seed=3)
    study = podbor.create_study(sampler=original)
    study.optimize(sphere, n_trials=12)
    copied = copy.deepcopy(original) if how == "deepcopy" else pickle.loads(pickle.dumps(original))
    twin = podbor.create_study(sampler=copied)
    for trial in study.get_trials(deepcopy=False):
        twin.add_trial(trial)
    study.optimize(sphere, n_trials=10)
    twin.optimize(sphere, n_trials=10)
    assert params(study)[12:] == params(twin)[12:]


def test_a_fresh_sampler_continues_a_study_as_the_first_would() -> None:
    whole = podbor.create_study(sampler=PyCmaSampler(seed=0))
    whole.optimize(sphere, n_trials=30)
    resumed = podbor.create_study(sampler=PyCmaSampler(seed=0))
    resumed.optimize(sphere, n_trials=17)
    resumed.sampler = PyCmaSampler(seed=0)  # a new process: nothing read of the study yet
    resumed.optimize(sphere, n_trials=13)
    assert params(resumed) == params(whole)


def test_trials_finishing_out_of_order_replay_as_from_scratch() -> None:
    """A trial that finishes behind generations already told makes the sampler replay: it then
    proposes what a sampler that reads the study for the first time proposes."""
    sampler = PyCmaSampler(seed=1, cma_opts={"popsize": 4})
    study = podbor.create_study(sampler=sampler)
    study.optimize(xy, n_trials=5)  # generation 0 (trials 0-3) told, trial 4 waits
    running = [study.ask() for _ in range(6)]  # trials 5-10
    for trial in running:
        xy(trial)
    for trial in running[:2:-1]:  # 10, 9, 8 finish: with 4 they make generation 1
        study.tell(trial, xy(trial))
    probe = study.ask()
    xy(probe)  # the sampler tells generation 1: trials 4, 8, 9, 10
    for trial in running[:3]:  # 5, 6, 7 finish late, behind generation 1
        study.tell(trial, xy(trial))
    study.tell(probe, xy(probe))
    last = study.ask()
    frozen = study.get_trials(deepcopy=False)[-1]
    space = sampler.infer_relative_search_space(study, frozen)
    fresh = PyCmaSampler(seed=1, cma_opts={"popsize": 4})
    assert sampler.sample_relative(study, frozen, space) == fresh.sample_relative(
        study, frozen, space
    )
    study.tell(last, 0.0)


def test_reseed_rng_changes_the_proposals() -> None:
    sampler = PyCmaSampler(seed=0)
    study = podbor.create_study(sampler=sampler)
    study.optimize(sphere, n_trials=3)
    twin = podbor.create_study(sampler=PyCmaSampler(seed=0))
    twin.optimize(sphere, n_trials=3)
    sampler.reseed_rng()
    study.optimize(sphere, n_trials=3)
    twin.optimize(sphere, n_trials=3)
    assert params(study)[:3] == params(twin)[:3]
    assert params(study)[3:] != params(twin)[3:]


def test_numpys_global_random_state_is_left_alone() -> None:
    np.random.seed(5)
    before = np.random.get_state()
    study = podbor.create_study(sampler=PyCmaSampler(seed=0))
    study.optimize(sphere, n_trials=20)
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2] == after[2]


# -- the arguments reach pycma ---------------------------------------------------------------------
def test_x0_sigma0_cma_stds_and_cma_opts_reach_pycma(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(monkeypatch)
    sampler = PyCmaSampler(
        x0={"x": 5.0, "y": -10.0},
        sigma0=0.5,
        cma_stds={"y": 4.0},
        seed=0,
        cma_opts={"popsize": 7, "tolx": 1e-9},
    )
    study = podbor.create_study(sampler=sampler)
    study.optimize(xy, n_trials=3)
    ((mean, sigma, options),) = recorder.built
    assert mean == pytest.approx([0.75, 0.0])  # the unit cube of [-10, 10]
    # standard deviations 0.5 and 4 x 0.5 in the parameters' units, of a range 20 wide
    assert (sigma * np.array(options["CMA_stds"])).tolist() == pytest.approx([0.025, 0.1])
    assert options["popsize"] == 7 and options["tolx"] == 1e-9 and options["verbose"] == -2
    assert options["bounds"] == [[0.0, 0.0], [1.0, 1.0]]
    assert options["BoundaryHandler"] is cma.BoundTransform


def test_the_users_options_are_not_changed() -> None:
    options = {"popsize": 5}
    sampler = PyCmaSampler(seed=0, cma_opts=options)
    podbor.create_study(sampler=sampler).optimize(xy, n_trials=8)
    assert options == {"popsize": 5}


def test_popsize_sets_the_generation_length(monkeypatch: pytest.MonkeyPatch) -> None:
    told: list[int] = []
    real = cma.CMAEvolutionStrategy.tell

    def tell(self: Any, solutions: list[Any], values: list[float], *args: Any) -> Any:
        told.append(len(solutions))
        return real(self, solutions, values, *args)

    monkeypatch.setattr(cma.CMAEvolutionStrategy, "tell", tell)
    study = podbor.create_study(sampler=PyCmaSampler(seed=0, cma_opts={"popsize": 5}))
    study.optimize(xy, n_trials=16)
    assert told == [5, 5, 5]


def test_x0_is_the_first_mean() -> None:
    sampler = PyCmaSampler(x0={"x": 3.0, "y": -2.0}, sigma0=1e-4, seed=0)
    for p in first_generation(sampler, xy, popsize=6):
        assert p["x"] == pytest.approx(3.0, abs=1e-2) and p["y"] == pytest.approx(-2.0, abs=1e-2)


@pytest.mark.parametrize("sigma0", [0.05, 0.5])
def test_sigma0_is_in_the_parameters_units(sigma0: float) -> None:
    sampler = PyCmaSampler(
        x0={"x": 0.0, "y": 0.0}, sigma0=sigma0, seed=0, cma_opts={"popsize": 200}
    )
    generation = first_generation(sampler, xy, popsize=200)
    assert np.std([p["x"] for p in generation]) == pytest.approx(sigma0, rel=0.2)


def test_cma_stds_multiplies_sigma0_per_parameter() -> None:
    sampler = PyCmaSampler(
        x0={"x": 0.0, "y": 0.0}, sigma0=0.1, cma_stds={"y": 10.0}, seed=0, cma_opts={"popsize": 200}
    )
    generation = first_generation(sampler, xy, popsize=200)
    ratio = np.std([p["y"] for p in generation]) / np.std([p["x"] for p in generation])
    assert ratio == pytest.approx(10.0, rel=0.25)


def test_the_default_sigma0_is_a_sixth_of_each_range() -> None:
    def objective(trial: BaseTrial) -> float:
        return trial.suggest_float("x", -1.0, 1.0) + trial.suggest_float("y", -100.0, 100.0)

    sampler = PyCmaSampler(x0={"x": 0.0, "y": 0.0}, seed=0, cma_opts={"popsize": 200})
    generation = first_generation(sampler, objective, popsize=200)
    assert np.std([p["x"] for p in generation]) == pytest.approx(2.0 / 6.0, rel=0.2)
    assert np.std([p["y"] for p in generation]) == pytest.approx(200.0 / 6.0, rel=0.2)


def test_a_log_scaled_parameter_is_searched_in_log_space() -> None:
    def objective(trial: BaseTrial) -> float:
        return trial.suggest_float("lr", 1e-6, 1.0, log=True) + trial.suggest_float("x", 0, 1)

    # sigma0 is in units of the natural log: 0.5 means a factor of about e ** 0.5 either way
    sampler = PyCmaSampler(x0={"lr": 1e-3, "x": 0.5}, sigma0=0.5, seed=0, cma_opts={"popsize": 200})
    logs = np.log([p["lr"] for p in first_generation(sampler, objective, popsize=200)])
    assert np.mean(logs) == pytest.approx(math.log(1e-3), abs=0.15)
    assert np.std(logs) == pytest.approx(0.5, rel=0.2)


# -- ranges ----------------------------------------------------------------------------------------
SPACE: dict[str, BaseDistribution] = {
    "float": FloatDistribution(-3.5, 2.0),
    "log_float": FloatDistribution(1e-4, 10.0, log=True),
    "step_float": FloatDistribution(-0.5, 0.7, step=0.1),
    "int": IntDistribution(-5, 5),
    "log_int": IntDistribution(1, 1000, log=True),
    "step_int": IntDistribution(0, 12, step=3),
    "categorical": CategoricalDistribution(("a", 1, None, 2.5)),
}


def suggest_space(trial: BaseTrial) -> float:
    total = 0.0
    for name, dist in SPACE.items():
        if isinstance(dist, CategoricalDistribution):
            total += dist.choices.index(trial.suggest_categorical(name, dist.choices))
        elif isinstance(dist, IntDistribution):
            total += trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
        else:
            total += trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    return total


@pytest.mark.parametrize("sigma0", [None, 1e3], ids=["default", "far-beyond-the-ranges"])
def test_every_value_lies_inside_its_distribution(sigma0: float | None) -> None:
    independent = CountingSampler()
    sampler = PyCmaSampler(sigma0=sigma0, seed=0, independent_sampler=independent)
    study = podbor.create_study(sampler=sampler)
    study.optimize(suggest_space, n_trials=40)
    assert independent.asked == list(SPACE)  # the start-up trial only: categoricals included
    for trial in study.get_trials(deepcopy=False):
        assert trial.state == TrialState.COMPLETE
        for name, dist in SPACE.items():
            value = trial.params[name]
            assert dist.contains_external(value), (name, value)
            if isinstance(dist, IntDistribution):
                assert type(value) is int
    ints = {t.params["step_int"] for t in study.get_trials(deepcopy=False)}
    assert ints <= {0, 3, 6, 9, 12}


def test_the_bounds_of_an_int_are_reached() -> None:
    def objective(trial: BaseTrial) -> float:
        return trial.suggest_int("n", 0, 10) + trial.suggest_float("x", 0.0, 1.0)

    study = podbor.create_study(sampler=PyCmaSampler(seed=0))
    study.optimize(objective, n_trials=40)
    assert study.best_params["n"] == 0


# -- what goes to the independent sampler ----------------------------------------------------------
def test_a_conditional_parameter_is_sampled_independently_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def objective(trial: BaseTrial) -> float:
        value = xy(trial)
        if trial.number % 2:
            value += trial.suggest_float("extra", 0.0, 1.0)
        return value

    independent = CountingSampler()
    study = podbor.create_study(sampler=PyCmaSampler(seed=0, independent_sampler=independent))
    with caplog.at_level(logging.WARNING, logger="podbor"):
        study.optimize(objective, n_trials=12)
    messages = [r.getMessage() for r in caplog.records if "independently" in r.getMessage()]
    assert len(messages) == 1
    assert "PyCmaSampler" in messages[0] and "'extra'" in messages[0]
    assert independent.asked == ["x", "y"] + ["extra"] * 6


def test_warn_independent_sampling_false_is_silent(caplog: pytest.LogCaptureFixture) -> None:
    def objective(trial: BaseTrial) -> float:
        return xy(trial) + (trial.suggest_float("extra", 0, 1) if trial.number % 2 else 0.0)

    study = podbor.create_study(sampler=PyCmaSampler(seed=0, warn_independent_sampling=False))
    with caplog.at_level(logging.WARNING, logger="podbor"):
        study.optimize(objective, n_trials=8)
    assert not [r for r in caplog.records if "independently" in r.getMessage()]


def test_a_one_dimensional_space_is_left_to_the_independent_sampler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    independent = CountingSampler()
    study = podbor.create_study(sampler=PyCmaSampler(seed=0, independent_sampler=independent))
    with caplog.at_level(logging.WARNING, logger="podbor"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    assert independent.asked == ["x"] * 5
    messages = [r.getMessage() for r in caplog.records if "independently" in r.getMessage()]
    assert len(messages) == 1 and "one-dimensional" in messages[0]


def test_startup_trials_use_the_independent_sampler() -> None:
    independent = CountingSampler()
    sampler = PyCmaSampler(seed=0, n_startup_trials=3, independent_sampler=independent)
    study = podbor.create_study(sampler=sampler)
    study.optimize(xy, n_trials=6)
    assert independent.asked == ["x", "y"] * 3


def test_the_independent_samplers_hooks_are_called() -> None:
    independent = CountingSampler()
    calls: list[int] = []
    independent.after_trial = lambda study, trial, state, values: calls.append(trial.number)  # type: ignore[method-assign]
    study = podbor.create_study(sampler=PyCmaSampler(seed=0, independent_sampler=independent))
    study.optimize(xy, n_trials=3)
    assert calls == [0, 1, 2]


def test_an_enqueued_trial_is_evaluated_and_learnt_from() -> None:
    study = podbor.create_study(sampler=PyCmaSampler(seed=0))
    study.enqueue_trial({"x": 9.5, "y": -9.5})
    study.optimize(xy, n_trials=1)
    study.enqueue_trial({"x": 0.25, "y": 0.5})
    study.optimize(xy, n_trials=20)
    assert params(study)[:2] == [{"x": 9.5, "y": -9.5}, {"x": 0.25, "y": 0.5}]


def test_infinite_values_are_ranked_not_fatal() -> None:
    def objective(trial: BaseTrial) -> float:
        value = xy(trial)
        return math.inf if value > 50 else value

    study = podbor.create_study(sampler=PyCmaSampler(seed=0))
    study.optimize(objective, n_trials=30)
    assert study.best_value < 5.0


def test_told_points_match_each_trial_to_the_proposal_it_took() -> None:
    population = np.array([[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]])
    snapped = np.array([[0.1, 0.0], [0.2, 0.0], [0.3, 0.0]])  # y is a one-value grid here
    rows = np.array([[0.3, 0.0], [0.9, 0.9], [0.1, 0.0]])  # the middle one was enqueued
    told = _told_points(rows, population, snapped)
    assert told.tolist() == [[0.3, 0.3], [0.9, 0.9], [0.1, 0.1]]
    # two trials at the same grid point take two different proposals that decode to it
    same = np.array([[0.5, 0.5], [0.5, 0.5]])
    told = _told_points(same, np.array([[0.49, 0.51], [0.52, 0.47]]), same)
    assert told.tolist() == [[0.49, 0.51], [0.52, 0.47]]


# -- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"sigma0": -1.0}, "sigma0"),
        ({"sigma0": 0.0}, "sigma0"),
        ({"sigma0": math.inf}, "sigma0"),
        ({"sigma0": "0.1"}, "sigma0"),
        ({"x0": [0.0, 1.0]}, "x0"),
        ({"x0": {0: 1.0}}, "x0"),
        ({"cma_stds": {"x": -1.0}}, "cma_stds"),
        ({"cma_stds": {"x": math.nan}}, "cma_stds"),
        ({"cma_stds": {"x": True}}, "cma_stds"),
        ({"cma_stds": 2.0}, "cma_stds"),
        ({"cma_opts": {"popsise": 5}}, "cma_opts"),
        ({"cma_opts": {"seed": 3}}, "cma_opts"),
        ({"cma_opts": {"bounds": [0, 1]}}, "cma_opts"),
        ({"cma_opts": [("popsize", 5)]}, "cma_opts"),
        ({"n_startup_trials": -1}, "n_startup_trials"),
        ({"seed": -1}, "seed"),
        ({"independent_sampler": "random"}, "independent_sampler"),
        ({"warn_independent_sampling": "yes"}, "warn_independent_sampling"),
    ],
    ids=lambda v: v if isinstance(v, str) else repr(v),
)
def test_a_bad_argument_is_named(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(InvalidArgumentError, match=rf"The '{name}' parameter of PyCmaSampler"):
        PyCmaSampler(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "name", "detail"),
    [
        ({"x0": {"x": 1.0, "z": 0.0}}, "x0", "'z' is not one of them"),
        ({"x0": {"x": 11.0}}, "x0", "'x' has FloatDistribution"),
        ({"x0": {"x": "far"}}, "x0", "'x' has FloatDistribution"),
        ({"cma_stds": {"X": 2.0}}, "cma_stds", "'X' is not one of them"),
    ],
)
def test_x0_and_cma_stds_must_fit_the_search_space(
    kwargs: dict[str, Any], name: str, detail: str
) -> None:
    study = podbor.create_study(sampler=PyCmaSampler(seed=0, **kwargs))
    with pytest.raises(InvalidArgumentError, match=rf"The '{name}' parameter.*{re.escape(detail)}"):
        study.optimize(xy, n_trials=3)
    assert [t.state for t in study.get_trials(deepcopy=False)] == [
        TrialState.COMPLETE,
        TrialState.FAIL,
    ]


def test_x0_naming_a_parameter_that_later_leaves_the_space_is_no_error() -> None:
    """The names are checked once, when CMA-ES starts; a search space that changes later
    leaves the parameters it no longer has out of the mean."""

    def objective(trial: BaseTrial) -> float:
        value = xy(trial)
        if trial.number < 8:
            value += trial.suggest_float("z", 0.0, 1.0)
        return value

    study = podbor.create_study(sampler=PyCmaSampler(x0={"x": 1.0, "z": 0.5}, seed=0))
    study.optimize(objective, n_trials=20)
    assert all(t.state == TrialState.COMPLETE for t in study.get_trials(deepcopy=False))


def test_multi_objective_is_refused() -> None:
    study = podbor.create_study(
        sampler=PyCmaSampler(seed=0, n_startup_trials=0), directions=["minimize"] * 2
    )
    with pytest.raises(ValueError, match="PyCmaSampler cannot be used for multi-objective"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), 3)


def test_repr_and_the_public_name() -> None:
    assert repr(PyCmaSampler(seed=4)) == "PyCmaSampler(seed=4)"
    assert podbor.integration.PyCmaSampler is PyCmaSampler


def test_without_pycma_the_module_imports_and_the_sampler_names_the_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['cma'] = None\n"
        "from podbor.integration.cma import PyCmaSampler\n"
        "try:\n"
        "    PyCmaSampler()\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "PyCmaSampler needs pycma" in done.stdout
    assert "pip install podbor[cma]" in done.stdout


# -- the example -----------------------------------------------------------------------------------
def test_the_example_runs_and_prints_its_best() -> None:
    pytest.importorskip("sklearn", reason="the example tunes a scikit-learn model")
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--n-trials", "12"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    best = re.search(r"^Best value: (\S+)$", done.stdout, re.MULTILINE)
    assert best is not None, done.stdout
    assert math.isfinite(float(best.group(1)))
    assert re.search(r"^Best parameters: \{.+\}$", done.stdout, re.MULTILINE)
