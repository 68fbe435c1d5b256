"""Tests of the GP model: interpolation, the marginal likelihood and its gradient, the
hyper-parameter fit, the robust Cholesky factorization and target standardization."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from podbor.samplers._gp.kernels import KernelParams, kernel_matrix
from podbor.samplers._gp.model import (
    DETERMINISTIC_NOISE,
    GaussianProcess,
    IllConditionedError,
    PairFeatures,
    default_params,
    fit_kernel_params,
    hyper_prior,
    log_posterior,
    robust_cholesky,
    standardize,
    warp_targets,
    yeo_johnson,
)

IS_CAT = np.array([False, False, True])


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3))
    x[:, 2] = (rng.integers(0, 3, n) + 0.5) / 3
    y = np.sin(6 * x[:, 0]) + x[:, 1] ** 2 + 0.5 * (x[:, 2] > 0.5)
    return x, standardize(y)[0]


def _theta() -> np.ndarray:
    return np.log(np.array([0.3, 0.6, 0.9, 1.4, 0.02]))


def test_posterior_interpolates_noiseless_data() -> None:
    x, y = _data(15)
    params = KernelParams(np.array([0.3, 0.5]), np.array([1.0]), 1.0, DETERMINISTIC_NOISE)
    gp = GaussianProcess.condition(x, y, IS_CAT, params)
    mean, var = gp.predict(x)
    np.testing.assert_allclose(mean, y, atol=1e-3)
    assert np.sqrt(var).max() < 2e-3  # σ ≈ 0 at observed points
    _, far_var = gp.predict(np.array([[0.5, 0.5, 0.5 / 3 + 10.0]]))  # an unseen category
    assert far_var[0] > 100 * var.max()


def test_prediction_gradients_match_finite_differences() -> None:
    x, y = _data(12)
    gp = GaussianProcess.condition(x, y, IS_CAT, KernelParams.from_log_vector(_theta(), 2))
    query = np.array([[0.21, 0.67, 0.5], [0.8, 0.1, 1 / 6]])
    mean, var, dmean, dvar = gp.predict_with_grad(query)
    np.testing.assert_allclose((mean, var), gp.predict(query), atol=1e-12)
    eps = 1e-6
    for j in range(2):
        step = np.zeros(3)
        step[j] = eps
        (m_hi, v_hi), (m_lo, v_lo) = gp.predict(query + step), gp.predict(query - step)
        np.testing.assert_allclose(dmean[:, j], (m_hi - m_lo) / (2 * eps), atol=1e-6)
        np.testing.assert_allclose(dvar[:, j], (v_hi - v_lo) / (2 * eps), atol=1e-6)


def test_joint_posterior_agrees_with_marginals() -> None:
    x, y = _data(10)
    gp = GaussianProcess.condition(x, y, IS_CAT, default_params(IS_CAT))
    query = _data(6, seed=5)[0]
    mean, cov = gp.joint(query)
    m, v = gp.predict(query)
    np.testing.assert_allclose(mean, m, atol=1e-10)
    np.testing.assert_allclose(np.diag(cov), v, atol=1e-10)


def test_log_posterior_matches_a_direct_computation() -> None:
    x, y = _data(9)
    theta = _theta()
    params = KernelParams.from_log_vector(theta, 2)
    k = kernel_matrix(x, x, IS_CAT, params) + params.noise_var * np.eye(9)
    mean, sd, _ = hyper_prior(IS_CAT)
    expected = stats.multivariate_normal(np.zeros(9), k).logpdf(y)  # GPML eq. 2.30
    expected -= 0.5 * np.sum(((theta - mean) / sd) ** 2)
    value, _ = log_posterior(theta, PairFeatures.of(x, IS_CAT), y, (mean, sd))
    assert value == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("index", range(5), ids=["ell_0", "ell_1", "theta_cat", "signal", "noise"])
def test_log_posterior_gradient_matches_finite_differences(index: int) -> None:
    x, y = _data(20)
    mean, sd, _ = hyper_prior(IS_CAT)
    feats = PairFeatures.of(x, IS_CAT)
    theta = _theta()
    _, grad = log_posterior(theta, feats, y, (mean, sd))
    eps = 1e-6
    step = np.zeros_like(theta)
    step[index] = eps
    hi = log_posterior(theta + step, feats, y, (mean, sd))[0]
    lo = log_posterior(theta - step, feats, y, (mean, sd))[0]
    assert grad[index] == pytest.approx((hi - lo) / (2 * eps), rel=1e-5, abs=1e-6)


def test_fit_improves_the_log_posterior_and_warm_starts() -> None:
    x, y = _data(30)
    mean, sd, _ = hyper_prior(IS_CAT)
    feats = PairFeatures.of(x, IS_CAT)
    fitted = fit_kernel_params(x, y, IS_CAT)
    start = log_posterior(default_params(IS_CAT).to_log_vector(), feats, y, (mean, sd))[0]
    best = log_posterior(fitted.to_log_vector(), feats, y, (mean, sd))[0]
    assert best > start
    again = fit_kernel_params(x, y, IS_CAT, initial=fitted)
    assert log_posterior(again.to_log_vector(), feats, y, (mean, sd))[0] >= best - 1e-6


def test_fixed_noise_is_kept() -> None:
    x, y = _data(15)
    fitted = fit_kernel_params(x, y, IS_CAT, fixed_noise=DETERMINISTIC_NOISE)
    assert fitted.noise_var == pytest.approx(DETERMINISTIC_NOISE)


@pytest.mark.parametrize(
    ("name", "y"),
    [
        ("all_equal", np.zeros(6)),
        ("one_point", np.array([1.0])),
        ("huge_values", np.array([1e300, -1e300, 0.0, 1.0, 2.0, 3.0])),
    ],
)
def test_fit_on_degenerate_data_is_finite(name: str, y: np.ndarray) -> None:
    x = _data(y.size)[0]
    z, _ = standardize(y)
    fitted = fit_kernel_params(x, z, IS_CAT)
    assert np.all(np.isfinite(fitted.to_log_vector()))
    gp = GaussianProcess.condition(x, z, IS_CAT, fitted)
    assert np.all(np.isfinite(gp.predict(x)[0]))


def test_duplicate_points_are_factorized() -> None:
    x = np.repeat(_data(3)[0], 4, axis=0)
    y = np.repeat([0.0, 1.0, -1.0], 4)
    params = fit_kernel_params(x, y, IS_CAT, fixed_noise=DETERMINISTIC_NOISE)
    mean, _ = GaussianProcess.condition(x, y, IS_CAT, params).predict(x[:1])
    assert mean[0] == pytest.approx(0.0, abs=1e-3)


def test_robust_cholesky_adds_jitter_and_fails_cleanly() -> None:
    singular = np.ones((4, 4))
    chol = robust_cholesky(singular)
    np.testing.assert_allclose(chol @ chol.T, singular, atol=1e-6)
    with pytest.raises(IllConditionedError):
        robust_cholesky(np.full((3, 3), np.nan))
    with pytest.raises(IllConditionedError):
        robust_cholesky(-np.eye(3))


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        ([1.0, 3.0, math.inf], [-math.sqrt(2), math.sqrt(0.5), math.sqrt(0.5)]),
        ([-math.inf, 1.0, 3.0], [-math.sqrt(0.5), -math.sqrt(0.5), math.sqrt(2)]),
        ([2.0, 2.0, 2.0], [0.0, 0.0, 0.0]),
        ([math.inf, -math.inf], [0.0, 0.0]),
        ([5.0], [0.0]),
    ],
    ids=["plus_inf", "minus_inf", "all_equal", "no_finite", "one_value"],
)
def test_standardize(y: list[float], expected: list[float]) -> None:
    z, how = standardize(np.array(y))
    np.testing.assert_allclose(z, expected, atol=1e-12)
    raw = np.array(y)
    finite = np.isfinite(raw)
    if len(set(raw[finite])) > 1:
        np.testing.assert_allclose(how.to_raw(z)[finite], raw[finite])


# -- output warping ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lam", [-2.0, 0.0, 0.5, 1.0, 2.0, 3.5])
def test_yeo_johnson_is_increasing_and_identity_at_one(lam: float) -> None:
    z = np.linspace(-5.0, 5.0, 101)
    w = yeo_johnson(z, lam)
    assert np.all(np.diff(w) > 0)
    assert yeo_johnson(np.array([0.0]), lam)[0] == 0.0
    if lam == 1.0:
        np.testing.assert_allclose(w, z)


def test_warp_keeps_the_order_and_tames_a_heavy_tail() -> None:
    rng = np.random.default_rng(0)
    y = -np.exp(rng.normal(0.0, 2.0, 40))  # maximized: a few values are disastrously low
    z, _ = standardize(y)
    w = warp_targets(z)
    assert np.array_equal(np.argsort(w), np.argsort(z))
    assert abs(w.mean()) < 1e-9 and abs(w.std() - 1.0) < 1e-9
    best = np.argsort(z)[-10:]  # the good end is spread out instead of squeezed together
    assert np.ptp(w[best]) > 3 * np.ptp(z[best])


@pytest.mark.parametrize("values", [[1.0], [1.0, 2.0], [0.0, 0.0, 1.0, 2.0], [3.0] * 6])
def test_warp_leaves_too_few_distinct_targets_alone(values: list[float]) -> None:
    z = np.array(values)
    np.testing.assert_array_equal(warp_targets(z), z)
