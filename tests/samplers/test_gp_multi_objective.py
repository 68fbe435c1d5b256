"""Log expected hypervolume improvement: the boxes, the expectation, the gradient, the sampler."""

from __future__ import annotations

import numpy as np
import pytest

import podbor
from podbor._hypervolume import compute_hypervolume
from podbor.samplers._gp import multi_objective as ehvi
from podbor.samplers._gp.kernels import KernelParams
from podbor.samplers._gp.model import GaussianProcess
from podbor.samplers._gp.multi_objective import (
    LogEHVI,
    chebyshev_scalarization,
    log_box_expectation,
    non_dominated_boxes,
    pareto_front,
    reference_point,
)


def _improvement(lower: np.ndarray, upper: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum(np.prod(np.clip(np.minimum(y, upper) - lower, 0.0, None), axis=1)))


@pytest.mark.parametrize("m", [2, 3, 4])
def test_the_boxes_give_the_exact_hypervolume_improvement_of_any_point(m: int) -> None:
    rng = np.random.default_rng(m)
    for _ in range(4):
        front = rng.random((25 if m < 4 else 10, m))
        ref = np.full(m, -0.1)
        lower, upper = non_dominated_boxes(front, ref)
        assert np.all(lower < upper)
        before = compute_hypervolume(-front, -ref)
        for y in rng.random((30, m)) * 1.3 - 0.1:
            after = compute_hypervolume(-np.vstack([front, y]), -ref) if np.all(y > ref) else before
            assert _improvement(lower, upper, y) == pytest.approx(after - before, abs=1e-9)


def test_the_boxes_of_an_empty_front_are_everything_above_the_reference() -> None:
    lower, upper = non_dominated_boxes(np.empty((0, 2)), np.array([0.0, 1.0]))
    assert lower.tolist() == [[0.0, 1.0]] and upper.tolist() == [[np.inf, np.inf]]
    lower, upper = non_dominated_boxes(np.array([[-1.0, 5.0]]), np.zeros(2))  # not above ref
    assert lower.tolist() == [[0.0, 0.0]]


def test_a_front_too_large_for_the_grid_is_thinned_to_an_even_subset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ehvi, "MAX_GRID_CELLS", 101)  # at most 9 points in 3 objectives
    angles = np.random.default_rng(0).random((60, 2)) * np.pi / 2
    sphere = np.column_stack(
        [
            np.cos(angles[:, 0]) * np.cos(angles[:, 1]),
            np.cos(angles[:, 0]) * np.sin(angles[:, 1]),
            np.sin(angles[:, 0]),
        ]
    )
    lower, upper = non_dominated_boxes(sphere, np.zeros(3))
    assert len(lower) <= 100
    # Fewer points dominate less: each improvement is at least the exact one, never less.
    before = compute_hypervolume(-sphere, np.zeros(3))
    rng = np.random.default_rng(1)
    exact_ones, thinned_ones = [], []
    for y in rng.random((40, 3)):
        exact = compute_hypervolume(-np.vstack([sphere, y]), np.zeros(3)) - before
        exact_ones.append(exact)
        thinned_ones.append(_improvement(lower, upper, y))
    assert np.all(np.array(thinned_ones) >= np.array(exact_ones) - 1e-12)
    assert max(thinned_ones) > 0


def test_pareto_front_and_reference_point() -> None:
    targets = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.2, 0.2], [np.inf, -np.inf]])
    assert pareto_front(targets).tolist() == [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]
    ref = reference_point(targets[:4])
    assert np.all(ref < targets[:4].min(axis=0)) and ref.tolist() == [-0.1, -0.1]


def test_the_box_expectation_matches_sampling_and_its_partials_match_differences() -> None:
    rng = np.random.default_rng(0)
    for low, up, mu, sd in [(0.3, 1.2, 0.5, 0.7), (-1.0, np.inf, 0.2, 0.3), (0.5, 0.9, -0.2, 0.5)]:
        value, d_mean, d_std = log_box_expectation(
            np.array(low), np.array(up), np.array(mu), np.array(sd)
        )
        draws = rng.normal(mu, sd, 400_000)
        assert np.exp(value) == pytest.approx(np.mean(np.clip(draws, low, up) - low), rel=0.02)
        eps = 1e-6
        up_mu = log_box_expectation(np.array(low), np.array(up), np.array(mu + eps), np.array(sd))
        up_sd = log_box_expectation(np.array(low), np.array(up), np.array(mu), np.array(sd + eps))
        assert d_mean == pytest.approx((up_mu[0] - value) / eps, rel=1e-4)
        assert d_std == pytest.approx((up_sd[0] - value) / eps, rel=1e-4)


def test_the_log_box_expectation_stays_finite_far_below_the_box() -> None:
    for mean in (-50.0, -1e4, -1e8):
        value, d_mean, d_std = log_box_expectation(
            np.array(0.0), np.array(np.inf), np.array(mean), np.array(1.0)
        )
        assert np.isfinite([value, d_mean, d_std]).all() and d_mean > 0


def _acquisition() -> tuple[LogEHVI, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.random((20, 2))
    targets = np.column_stack([np.sin(3 * x[:, 0]) + x[:, 1], np.cos(2 * x[:, 1]) - x[:, 0]])
    params = KernelParams(np.array([0.3, 0.4]), np.zeros(0), 1.0, 1e-4)
    is_cat = np.array([False, False])
    gps = tuple(GaussianProcess.condition(x, y, is_cat, params) for y in targets.T)
    return LogEHVI.of(gps, pareto_front(targets), reference_point(targets)), rng.random((6, 2))


def test_the_gradient_of_log_ehvi_matches_central_differences() -> None:
    acq, points = _acquisition()
    values, grads = acq.value_and_grad(points)
    np.testing.assert_allclose(values, acq.value(points))
    eps = 1e-6
    for j in range(points.shape[1]):
        step = np.zeros(points.shape[1])
        step[j] = eps
        numeric = (acq.value(points + step) - acq.value(points - step)) / (2 * eps)
        np.testing.assert_allclose(grads[:, j], numeric, rtol=1e-4, atol=1e-6)


def test_log_ehvi_is_the_same_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    acq, points = _acquisition()
    whole = acq.value_and_grad(points)
    monkeypatch.setattr(ehvi, "_CHUNK", 1)
    chunked = acq.value_and_grad(points)
    np.testing.assert_allclose(whole[0], chunked[0])
    np.testing.assert_allclose(whole[1], chunked[1])


def test_log_ehvi_is_the_log_of_the_mean_improvement_of_posterior_draws() -> None:
    acq, points = _acquisition()
    rng = np.random.default_rng(2)
    point = points[:1]
    moments = [gp.predict(point) for gp in acq.models]
    draws = np.column_stack([rng.normal(mu[0], np.sqrt(var[0]), 200_000) for mu, var in moments])
    upper = np.minimum(acq.upper, 1e6)
    sampled = np.mean(
        np.sum(
            np.prod(np.clip(np.minimum(draws[:, None, :], upper) - acq.lower, 0.0, None), axis=2),
            axis=1,
        )
    )
    assert np.exp(acq.value(point)[0]) == pytest.approx(sampled, rel=0.03)


def _zdt1(trial: podbor.Trial) -> tuple[float, float]:
    x = np.array([trial.suggest_float(f"x{i}", 0, 1) for i in range(4)])
    g = 1 + 9 * x[1:].mean()
    return float(x[0]), float(g * (1 - np.sqrt(x[0] / g)))


def _hypervolume(study: podbor.Study) -> float:
    values = np.array([t.values for t in study.trials])
    inside = values[np.all(values < 1.1, axis=1)]
    return compute_hypervolume(inside, [1.1, 1.1]) if len(inside) else 0.0


def test_gp_sampler_models_several_objectives_and_beats_random_search() -> None:
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    try:
        gp = podbor.create_study(
            directions=["minimize", "minimize"], sampler=podbor.samplers.GPSampler(seed=0)
        )
        gp.optimize(_zdt1, n_trials=30)
        rand = podbor.create_study(
            directions=["minimize", "minimize"], sampler=podbor.samplers.RandomSampler(seed=0)
        )
        rand.optimize(_zdt1, n_trials=30)
    finally:
        podbor.logging.set_verbosity(podbor.logging.INFO)
    assert _hypervolume(gp) > 0.7 > _hypervolume(rand)  # the front's own is 0.877


def test_gp_sampler_with_several_objectives_and_a_constraint_proposes_feasible_points() -> None:
    def objective(trial: podbor.Trial) -> tuple[float, float]:
        f1, f2 = _zdt1(trial)
        trial.set_constraint("f1 >= 0.5", 0.5 - f1)
        return f1, f2

    sampler = podbor.samplers.GPSampler(seed=1, n_startup_trials=8)
    study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=25)
    late = [t.values[0] >= 0.5 for t in study.trials[12:]]
    assert sum(late) >= 0.8 * len(late)
    assert all(t.values[0] >= 0.5 for t in study.best_trials)


def test_gp_sampler_with_several_objectives_is_reproducible_and_samples_no_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def run() -> list[dict[str, float]]:
        sampler = podbor.samplers.GPSampler(seed=3, n_startup_trials=4)
        study = podbor.create_study(directions=["minimize", "maximize"], sampler=sampler)
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), 8)
        return [t.params for t in study.trials]

    with caplog.at_level("WARNING"):
        assert run() == run()
    assert "independent" not in caplog.text


def test_trials_alternate_log_ehvi_and_a_random_scalarization(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from podbor.samplers._gp import sampler as gp_sampler

    fits: dict[int, list[bool]] = {}
    real_fit = gp_sampler.fit_model
    current: list[int] = []

    def spy(*args: object, **kwargs: object) -> object:
        fits.setdefault(current[-1], []).append(kwargs.get("target") is not None)
        return real_fit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gp_sampler, "fit_model", spy)
    study = podbor.create_study(
        directions=["minimize"] * 3, sampler=podbor.samplers.GPSampler(seed=0, n_startup_trials=4)
    )
    for _ in range(8):
        trial = study.ask()
        current.append(trial.number)
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        study.tell(trial, (x, y, (1 - x) * (1 - y)))
    assert fits == {4: [True], 5: [False] * 3, 6: [True], 7: [False] * 3}


def test_the_chebyshev_scalarization_ranks_by_the_worst_weighted_objective() -> None:
    targets = np.array([[1.0, -np.inf], [0.9, 0.9], [0.0, 1.0], [0.5, 0.5]])
    scores = chebyshev_scalarization(targets, np.array([0.5, 0.5]))
    assert np.argmax(scores) == 1 and scores[0] == scores[2]  # -inf counts as the worst finite
    assert np.all(scores <= 0.0)
    lopsided = chebyshev_scalarization(targets, np.array([1.0, 0.0]))
    assert np.argmax(lopsided) == 0
