"""Tests of ``RandomSampler``: reproducibility and the shape of its draws."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pytest
from scipy import stats

import podbor
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.samplers import RandomSampler
from podbor.trial import Trial, create_trial


def _objective(trial: Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 64, log=True)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return x + lr + n + len(str(kind))


def _params(seed: int) -> list[dict[str, Any]]:
    study = podbor.create_study(sampler=RandomSampler(seed=seed))
    study.optimize(_objective, n_trials=10)
    return [t.params for t in study.trials]


def _draw(dist: BaseDistribution, n: int, seed: int = 0) -> list[Any]:
    sampler = RandomSampler(seed=seed)
    study = podbor.create_study()
    trial = create_trial(state=podbor.TrialState.RUNNING)
    return [sampler.sample_independent(study, trial, "p", dist) for _ in range(n)]


def test_the_same_seed_gives_the_same_params() -> None:
    assert _params(42) == _params(42)


def test_another_seed_gives_other_params() -> None:
    assert _params(42) != _params(43)


def test_reseed_rng_changes_the_stream() -> None:
    dist = FloatDistribution(0, 1)
    study, trial = podbor.create_study(), create_trial(state=podbor.TrialState.RUNNING)
    a, b = RandomSampler(seed=1), RandomSampler(seed=1)
    b.reseed_rng()
    draws_a = [a.sample_independent(study, trial, "p", dist) for _ in range(5)]
    draws_b = [b.sample_independent(study, trial, "p", dist) for _ in range(5)]
    assert draws_a != draws_b


def test_log_scale_samples_are_uniform_in_log_space() -> None:
    draws = np.array(_draw(FloatDistribution(1e-4, 1.0, log=True), 4000))
    assert np.all((draws >= 1e-4) & (draws <= 1.0))
    decades = np.floor(np.log10(draws)).clip(-4, -1)
    shares = np.array([np.mean(decades == d) for d in (-4, -3, -2, -1)])
    np.testing.assert_allclose(shares, 0.25, atol=0.04)  # a linear draw would put 90% in -1
    logs = (np.log(draws) - math.log(1e-4)) / (0 - math.log(1e-4))
    assert stats.kstest(logs, "uniform").pvalue > 0.001


def test_log_scale_ints_favour_small_values() -> None:
    draws = _draw(IntDistribution(1, 1000, log=True), 3000)
    assert all(isinstance(v, int) and 1 <= v <= 1000 for v in draws)
    below_ten = np.mean(np.array(draws) < 10)
    expected = (math.log(9.5) - math.log(0.5)) / (math.log(1000.5) - math.log(0.5))
    assert below_ten == pytest.approx(expected, abs=0.04)


@pytest.mark.parametrize(
    ("dist", "grid"),
    [
        pytest.param(IntDistribution(-5, 7, step=3), [-5, -2, 1, 4, 7], id="int-step"),
        pytest.param(IntDistribution(0, 4), [0, 1, 2, 3, 4], id="int"),
        pytest.param(
            FloatDistribution(0.0, 1.0, step=0.25), [0.0, 0.25, 0.5, 0.75, 1.0], id="float-step"
        ),
        pytest.param(CategoricalDistribution(("a", None, 3)), ["a", None, 3], id="categorical"),
    ],
)
def test_grid_values_are_drawn_evenly(dist: BaseDistribution, grid: list[Any]) -> None:
    draws = _draw(dist, 2500)
    counts = Counter(draws)
    assert set(counts) == set(grid)  # every point, and only points of the grid
    for point in grid:
        assert counts[point] / len(draws) == pytest.approx(1 / len(grid), abs=0.04)


def test_float_steps_are_exact_grid_values() -> None:
    draws = _draw(FloatDistribution(0.1, 0.9, step=0.2), 200)
    assert set(draws) <= {0.1, 0.1 + 0.2, 0.1 + 2 * 0.2, 0.1 + 3 * 0.2, 0.1 + 4 * 0.2}


def test_continuous_draws_fill_the_range() -> None:
    draws = np.array(_draw(FloatDistribution(-2.0, 3.0), 2000))
    assert draws.min() >= -2.0 and draws.max() <= 3.0
    assert stats.kstest((draws + 2.0) / 5.0, "uniform").pvalue > 0.001


def test_repr() -> None:
    assert repr(RandomSampler(seed=3)) == "RandomSampler(seed=3)"
