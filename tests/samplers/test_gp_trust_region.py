"""Tests of the GP's trust region: the length rule, the box, the bounded acquisition search, and
``GPSampler(trust_region=True)`` (conformance suite included)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import podbor
from podbor._hypervolume import pareto_mask
from podbor.exceptions import InvalidArgumentError
from podbor.samplers import BaseSampler, GPSampler
from podbor.samplers._gp import trust_region as trust_region_module
from podbor.samplers._gp.kernels import KernelParams
from podbor.samplers._gp.model import GaussianProcess
from podbor.samplers._gp.optimize import SearchDims
from podbor.samplers._gp.trust_region import (
    FRONT_MARGIN,
    TrustRegion,
    front_box,
    region_bounds,
    trust_region_box,
)
from podbor.testing.samplers import SamplerConformance
from podbor.trial import Trial


# -- the length rule ----------------------------------------------------------------------------
def test_the_first_values_only_set_the_best_so_far() -> None:
    region = TrustRegion()
    assert region.advance(np.array([3.0, 1.0, 2.0]), n_dims=2) == 0.8
    assert (region.best, region.n_seen, region.successes, region.failures) == (3.0, 3, 0, 0)


def test_three_improvements_in_a_row_double_the_side_up_to_its_maximum() -> None:
    region = TrustRegion()
    y = [0.0, 1.0]
    region.advance(np.array(y))
    for value in (2.0, 3.0, 4.0):
        y.append(value)
        length = region.advance(np.array(y))
    assert length == 1.6
    y += [5.0, 6.0, 7.0]
    assert region.advance(np.array(y)) == 1.6  # capped


def test_an_interrupted_run_of_improvements_does_not_count() -> None:
    region = TrustRegion()
    assert region.advance(np.array([0.0, 1.0])) == 0.8
    assert region.advance(np.array([0.0, 1.0, 2.0, 3.0, 0.5, 4.0])) == 0.8


@pytest.mark.parametrize(("n_dims", "failures_to_halve"), [(1, 4), (4, 4), (7, 7)])
def test_max_4_d_failures_in_a_row_halve_the_side(n_dims: int, failures_to_halve: int) -> None:
    region = TrustRegion()
    region.advance(np.array([1.0, 0.0]), n_dims=n_dims)
    y = [1.0, 0.0] + [0.5] * (failures_to_halve - 1)
    assert region.advance(np.array(y), n_dims=n_dims) == 0.8
    assert region.advance(np.array([*y, 0.5]), n_dims=n_dims) == 0.4


def test_a_tiny_gain_against_the_observed_range_is_no_improvement() -> None:
    region = TrustRegion()
    region.advance(np.array([0.0, 100.0]))
    y = [0.0, 100.0] + [100.0 + 0.01 * (i + 1) for i in range(4)]  # 1e-4 of the range each
    assert region.advance(np.array(y)) == 0.4
    assert region.successes == 0


def test_a_converged_region_starts_again_wide() -> None:
    region = TrustRegion()
    region.advance(np.array([1.0]))
    lengths = [region.advance(np.array([1.0] + [0.0] * k)) for k in range(1, 30)]
    # every 4 failures halve 0.8: 0.4, 0.2, ..., 0.0125; the 7th halving (0.00625) falls
    # below the minimum 2^-7, and the region starts again at 0.8
    assert lengths[:4] == [0.8, 0.8, 0.8, 0.4]
    assert lengths[26] == 0.0125 and min(lengths) == 0.0125
    assert lengths[27] == 0.8 and (region.successes, region.failures) == (0, 1)


def test_only_new_values_advance_the_rule() -> None:
    region = TrustRegion()
    y = np.array([0.0, 1.0, 0.0, 0.0, 0.0])
    region.advance(y[:2])
    first = region.advance(y)
    assert region.advance(y) == first and region.failures == 3


def test_infinite_values_do_not_break_the_rule() -> None:
    region = TrustRegion()
    region.advance(np.array([-math.inf, 0.0]))
    length = region.advance(np.array([-math.inf, 0.0, math.inf, 1.0, -math.inf]))
    assert length == 0.8 and (region.best, region.low) == (1.0, 0.0)  # the range stays finite


# -- the box ------------------------------------------------------------------------------------
def test_the_box_keeps_the_volume_and_stretches_with_the_lengthscales() -> None:
    numeric = np.array([True, True, True])
    low, high = region_bounds(np.full(3, 0.5), 0.2, np.array([0.1, 0.2, 0.4]), numeric, numeric)
    sides = high - low
    assert np.allclose(sides, [0.1, 0.2, 0.4])
    assert math.isclose(float(np.prod(sides)), 0.2**3)


def test_the_box_is_clipped_to_the_cube_and_spares_other_columns() -> None:
    numeric = np.array([True, False, True])  # the middle column is categorical
    searched = np.array([True, True, False])  # the last is a small int grid
    low, high = region_bounds(
        np.array([0.95, 0.5, 0.5]), 0.4, np.array([1.0, 1.0]), numeric, searched
    )
    assert low.tolist() == pytest.approx([0.75, 0.0, 0.0])
    assert high.tolist() == pytest.approx([1.0, 1.0, 1.0])


# -- the sampler --------------------------------------------------------------------------------
class TestGPTrustRegionConformance(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return GPSampler(seed=seed, trust_region=True)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_trust_region_must_be_a_bool(value: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="'trust_region' parameter of GPSampler"):
        GPSampler(trust_region=value)


def test_the_setting_is_shown_and_kept_by_copies() -> None:
    sampler = GPSampler(seed=1, trust_region=True)
    assert sampler.trust_region and "trust_region=True" in repr(sampler)
    assert not GPSampler().trust_region


def _sphere(trial: Trial) -> float:
    return sum((trial.suggest_float(f"x{i}", -5.0, 5.0) - 1.0) ** 2 for i in range(4))


def test_every_proposal_lies_in_a_box_around_a_good_observed_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[Any, Any]] = []
    original = trust_region_module.maximize_acquisition

    def spy(*args: Any, **kwargs: Any) -> Any:
        point = original(*args, **kwargs)
        calls.append((kwargs.get("bounds"), point))
        return point

    monkeypatch.setattr(trust_region_module, "maximize_acquisition", spy)
    sampler = GPSampler(seed=0, n_startup_trials=5, trust_region=True)
    study = podbor.create_study(sampler=sampler)
    study.optimize(_sphere, n_trials=30)
    assert len(calls) == 25
    for bounds, point in calls:
        assert bounds is not None and point is not None
        low, high = bounds
        assert np.all(low <= point + 1e-12) and np.all(point <= high + 1e-12)
        assert np.prod(high - low) <= 0.8**4 + 1e-12  # at most L^d of the cube
    assert sampler._training is not None
    assert sampler._training.region.n_seen == 29


def test_a_flat_objective_shrinks_the_region() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=3, trust_region=True)
    study = podbor.create_study(sampler=sampler)
    study.optimize(
        lambda t: 0.0 * t.suggest_float("x", 0, 1) + 0.0 * t.suggest_float("y", 0, 1), n_trials=12
    )
    # the proposal of trial 11 has seen 8 values after the first 3: two halvings of 0.8
    assert sampler._training is not None and sampler._training.region.length == 0.2


def test_with_constraints_the_region_centres_on_the_best_feasible_point() -> None:
    x = np.array([[0.1, 0.1], [0.5, 0.5], [0.9, 0.9]])
    y = np.array([3.0, 1.0, 0.0])  # the best value breaks the constraints
    is_cat = np.array([False, False])
    params = KernelParams(np.array([0.3, 0.3]), np.zeros(0), 1.0, 1e-6)
    gp = GaussianProcess.condition(x, y, is_cat, params)
    dims = SearchDims(np.array([True, True]), [None, None])
    feasible = np.array([False, True, True])
    low, high = trust_region_box(TrustRegion(), gp, y, dims, feasible=feasible)
    assert np.allclose((low + high) / 2, [0.5, 0.5])
    low, high = trust_region_box(TrustRegion(), gp, y, dims)
    assert np.all(low <= 0.1) and np.all(high > 0.1)  # unconstrained: around the best value


def test_the_default_sampler_with_a_constraint_searches_around_feasible_points() -> None:
    podbor.logging.set_verbosity(podbor.logging.WARNING)

    def objective(trial: podbor.Trial) -> float:
        x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(4)]
        trial.set_constraint("sum at least 2", 2.0 - sum(x))
        return sum(v * v for v in x)  # smallest at 0, infeasible; best feasible 1 at x = 0.5

    try:
        study = podbor.create_study(sampler=podbor.samplers.AutoSampler(seed=0))
        study.optimize(objective, n_trials=40)
    finally:
        podbor.logging.set_verbosity(podbor.logging.INFO)
    assert study.best_value < 1.05


# -- several objectives: the search stays near the Pareto set ---------------------------------
def test_the_front_box_widens_the_pareto_sets_bounding_box_and_spares_other_columns() -> None:
    points = np.array([[0.3, 0.02, 0.5], [0.6, 0.0, 0.5], [0.95, 0.04, 0.5]])
    low, high = front_box(points, np.array([True, True, False]), margin=0.1)
    assert np.allclose(low, [0.2, 0.0, 0.0]) and np.allclose(high, [1.0, 0.14, 1.0])
    low, high = front_box(points, np.array([True, True, True]))  # FRONT_MARGIN, 0.25
    assert np.allclose(low, [0.05, 0.0, 0.25]) and np.allclose(high, [1.0, 0.29, 0.75])
    low, high = front_box(points[:1], np.array([True, True, True]), margin=0.25)
    assert np.allclose(low, [0.05, 0.0, 0.25]) and np.allclose(high, [0.55, 0.27, 0.75])


def _zdt2(trial: Trial) -> tuple[float, float]:
    x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)]
    g = 1.0 + 9.0 * sum(x[1:]) / 5.0
    return x[0], g * (1.0 - (x[0] / g) ** 2)


def test_with_several_objectives_every_log_ehvi_proposal_lies_near_the_pareto_set() -> None:
    """Before, the default sampler's GP spent trials on far corners of the cube (a third of 60
    ZDT2 trials had some ``x2..x10`` at 1), where its unsure model expected the front's extreme
    in one objective and an average value in the other. log-EHVI proposes the odd-numbered
    trials; the scalarizations of the even ones search the whole cube."""
    sampler = GPSampler(seed=0, n_startup_trials=10, trust_region=True)
    study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_zdt2, n_trials=40)
    trials = study.trials
    x = np.array([[t.params[f"x{i}"] for i in range(6)] for t in trials])
    values = np.array([t.values for t in trials])
    for n in range(11, 40, 2):
        front = x[:n][pareto_mask(values[:n])]
        assert np.all(x[n] >= front.min(axis=0) - FRONT_MARGIN - 1e-9)
        assert np.all(x[n] <= front.max(axis=0) + FRONT_MARGIN + 1e-9)
    # without the region (GPSampler's default, as Optuna's) the proposals are not confined
    study = podbor.create_study(directions=["minimize", "minimize"], sampler=GPSampler(seed=0))
    study.optimize(_zdt2, n_trials=40)
    assert any(max(t.params[f"x{i}"] for i in range(1, 6)) > 0.999 for t in study.trials)


def test_with_constraints_the_pareto_set_box_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """The probability of feasibility already keeps the proposals near the feasible pieces
    found; the box on top of it shut a feasible arc of C2-DTLZ2 out in 2 seeds of 10."""
    from podbor.samplers._gp import sampler as sampler_module

    boxes: list[Any] = []
    original = sampler_module.front_box
    monkeypatch.setattr(
        sampler_module, "front_box", lambda *a, **k: boxes.append(a) or original(*a, **k)
    )

    def constrained(trial: Trial) -> tuple[float, float]:
        values = _zdt2(trial)
        trial.set_constraint("f1 at least 0.2", 0.2 - values[0])
        return values

    sampler = GPSampler(seed=0, n_startup_trials=10, trust_region=True)
    study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(constrained, n_trials=16)
    assert boxes == []
    study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_zdt2, n_trials=16)
    assert len(boxes) == 3  # trials 11, 13 and 15


# -- noise seen in close pairs: no warping, the incumbent by the posterior mean -----------------
def _clustered_study(noise: float) -> podbor.Study:
    """30 trials in 10 tight clusters of 3 (as a trust region leaves them), values smooth in x
    plus Gaussian noise of ``noise`` times their spread."""
    rng = np.random.default_rng(0)
    x_dist = podbor.distributions.FloatDistribution(0.0, 1.0)
    centres = rng.random((10, 2))
    points = np.clip(np.repeat(centres, 3, axis=0) + rng.normal(0.0, 0.002, (30, 2)), 0, 1)
    values = (points**2).sum(axis=1)
    values = values + noise * values.std() * rng.normal(size=30)
    study = podbor.create_study()
    study.add_trials(
        [
            podbor.trial.create_trial(
                params={"a": float(a), "b": float(b)},
                distributions={"a": x_dist, "b": x_dist},
                value=float(v),
            )
            for (a, b), v in zip(points, values)
        ]
    )
    return study


@pytest.mark.parametrize(
    ("noise", "trust_region", "noisy_mode"),
    [(0.0, True, False), (0.5, True, True), (0.5, False, False)],
    ids=["smooth", "noisy", "noisy-without-region"],
)
def test_close_pairs_that_differ_switch_warping_off_and_the_incumbent_to_the_mean(
    monkeypatch: pytest.MonkeyPatch, noise: float, trust_region: bool, noisy_mode: bool
) -> None:
    """Only the default's GP (trust region on) reads the noise in close pairs; Optuna's
    ``GPSampler()`` keeps its one model."""
    from podbor.samplers._gp import sampler as sampler_module

    seen: dict[str, Any] = {}
    fit, propose = sampler_module.fit_model, sampler_module.propose_after_blind

    def recording_fit(*args: Any, **kwargs: Any) -> Any:
        seen["warp"] = kwargs["warp"]
        return fit(*args, **kwargs)

    def recording_propose(*args: Any, **kwargs: Any) -> Any:
        seen["in_region"], seen["starts"] = kwargs["in_region"], kwargs["starts"]
        seen["acquisition"] = args[2](np.empty((0, 2)))  # make_acquisition, nothing running
        return propose(*args, **kwargs)

    monkeypatch.setattr(sampler_module, "fit_model", recording_fit)
    monkeypatch.setattr(sampler_module, "propose_after_blind", recording_propose)
    study = _clustered_study(noise)
    study.sampler = GPSampler(seed=0, trust_region=trust_region)
    study.optimize(lambda t: t.suggest_float("a", 0, 1) + t.suggest_float("b", 0, 1), n_trials=1)
    assert seen["warp"] is not noisy_mode
    assert seen["in_region"] is trust_region  # the region stays
    assert (seen["starts"] is not None) is noisy_mode  # the best posterior means are refined
    acquisition = seen["acquisition"]
    gp = acquisition.model
    incumbent = gp.predict(gp.x_train)[0].max() if noisy_mode else gp.y_train.max()
    assert acquisition.best == pytest.approx(incumbent)
    if noisy_mode:  # the luckiest score is above the posterior mean there
        assert acquisition.best < gp.y_train.max()
