"""Tests of the GP kernels: Matérn-5/2 values and derivatives, the categorical factor, positive
definiteness, and input gradients against finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from podbor.samplers._gp.kernels import (
    CrossCovariance,
    KernelParams,
    kernel_from_features,
    kernel_matrix,
    matern52,
    matern52_grad_r2,
    matern52_with_grad,
    pairwise_features,
)

IS_CAT = np.array([False, False, True])


def _params(signal: float = 1.5) -> KernelParams:
    return KernelParams(np.array([0.3, 0.8]), np.array([0.7]), signal, 1e-6)


def _points(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3))
    x[:, 2] = (rng.integers(0, 3, n) + 0.5) / 3  # a categorical column with 3 choices
    return x


def test_matern52_at_zero_is_one_and_decreases() -> None:
    r2 = np.linspace(0.0, 9.0, 50)
    values = matern52(r2)
    assert values[0] == 1.0
    assert np.all(np.diff(values) < 0)
    assert np.all(values > 0)


def test_matern52_closed_form() -> None:
    r = 0.7
    expected = (1 + math.sqrt(5) * r + 5 * r * r / 3) * math.exp(-math.sqrt(5) * r)
    assert matern52(np.array([r * r]))[0] == pytest.approx(expected, rel=1e-14)


def test_matern52_derivative_matches_finite_differences() -> None:
    r2 = np.array([1e-3, 0.1, 0.5, 2.0, 7.0])
    eps = 1e-7
    fd = (matern52(r2 + eps) - matern52(r2 - eps)) / (2 * eps)
    np.testing.assert_allclose(matern52_grad_r2(r2), fd, rtol=1e-6)
    value, grad = matern52_with_grad(r2)
    np.testing.assert_allclose(value, matern52(r2))
    np.testing.assert_allclose(grad, matern52_grad_r2(r2))
    assert matern52_grad_r2(np.array([0.0]))[0] == pytest.approx(-5 / 6)


def test_categorical_factor_is_exp_of_minus_theta_on_mismatch() -> None:
    params = KernelParams(np.array([0.5]), np.array([0.4]), 1.0, 1e-6)
    x = np.array([[0.3, 1 / 6], [0.3, 1 / 6], [0.3, 5 / 6]])
    k = kernel_matrix(x, x, np.array([False, True]), params)
    assert k[0, 1] == pytest.approx(1.0)
    assert k[0, 2] == pytest.approx(math.exp(-0.4))


def test_kernel_matrix_matches_the_feature_path() -> None:
    x1, x2 = _points(7, seed=1), _points(5, seed=2)
    sq, mis = pairwise_features(x1, x2, IS_CAT)
    k_feat, _ = kernel_from_features(sq, mis, _params())
    np.testing.assert_allclose(kernel_matrix(x1, x2, IS_CAT, _params()), k_feat, atol=1e-12)


@given(
    x=hnp.arrays(np.float64, (8, 2), elements=st.floats(0.0, 1.0)),
    cats=hnp.arrays(np.int64, 8, elements=st.integers(0, 3)),
)
def test_kernel_matrix_is_symmetric_positive_semidefinite(x: np.ndarray, cats: np.ndarray) -> None:
    points = np.column_stack([x, (cats + 0.5) / 4])
    k = kernel_matrix(points, points, IS_CAT, _params())
    np.testing.assert_allclose(k, k.T, atol=1e-12)
    assert np.linalg.eigvalsh(k).min() > -1e-8
    np.testing.assert_allclose(np.diag(k), 1.5, atol=1e-9)


@pytest.mark.parametrize("categorical", [True, False])
def test_weighted_input_gradient_matches_finite_differences(categorical: bool) -> None:
    is_cat = IS_CAT if categorical else np.zeros(3, dtype=bool)
    params = (
        _params()
        if categorical
        else KernelParams(np.array([0.3, 0.8, 0.5]), np.zeros(0), 1.5, 1e-6)
    )
    x, train = _points(4, seed=3), _points(6, seed=4)
    side = CrossCovariance.of(train, is_cat, params)
    k, dk_dr2 = side.kernel_with_r2_grad(x)
    np.testing.assert_allclose(k, kernel_matrix(x, train, is_cat, params), atol=1e-12)
    # Any weighted sum of the input gradients: Σ_i c_ai ∂k(x_a, train_i)/∂x_a.
    c = np.random.default_rng(5).standard_normal(k.shape)
    grad = side.input_grads(x, (c * dk_dr2)[None])[0]
    eps = 1e-6
    for j in range(3):
        step = np.zeros(3)
        step[j] = eps
        fd = (
            np.sum(c * kernel_matrix(x + step, train, is_cat, params), axis=1)
            - np.sum(c * kernel_matrix(x - step, train, is_cat, params), axis=1)
        ) / (2 * eps)
        if categorical and j == 2:
            assert np.all(grad[:, j] == 0.0)  # categorical columns have no gradient
        else:
            np.testing.assert_allclose(grad[:, j], fd, atol=1e-7)


def test_log_vector_round_trip() -> None:
    params = _params()
    back = KernelParams.from_log_vector(params.to_log_vector(), 2)
    np.testing.assert_allclose(back.lengthscales, params.lengthscales)
    np.testing.assert_allclose(back.mismatch, params.mismatch)
    assert back.signal_var == pytest.approx(params.signal_var)
    assert back.noise_var == pytest.approx(params.noise_var)


@pytest.mark.parametrize("categorical", [False, True])
def test_cross_covariance_prepared_once_gives_the_pairwise_numbers(categorical: bool) -> None:
    """The training side prepared once (:class:`CrossCovariance`) gives the covariances, their
    ``r²`` derivatives and the weighted input gradients of the per-pair formulas."""
    rng = np.random.default_rng(3)
    is_cat = np.array([False, categorical, False])
    train, x = rng.random((9, 3)), rng.random((4, 3))
    if categorical:
        train[:, 1] = rng.integers(0, 3, 9) / 2.0
        x[:, 1] = train[:4, 1]
    params = KernelParams(
        np.array([0.4, 0.7, 0.9][: 3 - categorical]), np.array([0.8])[:categorical], 1.7, 1e-6
    )
    side = CrossCovariance.of(train, is_cat, params)
    sq, mis = pairwise_features(x, train, is_cat)
    k_ref, dk_ref = kernel_from_features(sq, mis, params)
    k, dk = side.kernel_with_r2_grad(x)
    np.testing.assert_allclose(k, k_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dk, dk_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(side.kernel(x), k_ref, rtol=1e-12, atol=1e-14)
    weights = rng.normal(size=(2, 4, 9))
    grads = side.input_grads(x, weights)
    for stack in range(2):  # stacked weights give each stack's own sums
        np.testing.assert_allclose(
            grads[stack], side.input_grads(x, weights[stack : stack + 1])[0], rtol=1e-12
        )
    if categorical:
        assert np.all(grads[:, :, 1] == 0.0)
