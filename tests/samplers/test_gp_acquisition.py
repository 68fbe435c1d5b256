"""Tests of the acquisition functions and of their maximization.

EI ≥ 0; log-EI equals log(EI) wherever EI is representable and stays finite, with a useful
gradient, far in the tail; PI is log Φ(z); UCB with β = 0 is the posterior mean; every input
gradient matches finite differences; the optimizer finds maxima over continuous, discrete and
categorical columns and never returns an excluded point.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special

from podbor.samplers._gp.acquisition import (
    ACQUISITIONS,
    Acquisition,
    expected_improvement,
    log_expected_improvement,
    log_h,
    log_probability_of_improvement,
    ucb_beta,
    upper_confidence_bound,
)
from podbor.samplers._gp.kernels import KernelParams
from podbor.samplers._gp.model import GaussianProcess
from podbor.samplers._gp.optimize import (
    HIGH_DIM,
    SearchDims,
    maximize_acquisition,
    search_budget,
)

means = st.floats(-50.0, 50.0)
stds = st.floats(1e-6, 1e3)


def _gp() -> GaussianProcess:
    rng = np.random.default_rng(0)
    x = rng.random((10, 3))
    x[:, 2] = (rng.integers(0, 2, 10) + 0.5) / 2
    y = np.cos(5 * x[:, 0]) - x[:, 1]
    params = KernelParams(np.array([0.25, 0.5]), np.array([0.8]), 1.2, 1e-4)
    return GaussianProcess.condition(
        x, (y - y.mean()) / y.std(), np.array([False, False, True]), params
    )


@given(mean=means, std=stds, best=means)
def test_expected_improvement_is_non_negative(mean: float, std: float, best: float) -> None:
    value, _, _ = expected_improvement(np.array([mean]), np.array([std]), best)
    assert value[0] >= 0.0


@given(mean=means, std=stds, best=means)
def test_log_ei_is_log_of_ei_where_representable(mean: float, std: float, best: float) -> None:
    ei, _, _ = expected_improvement(np.array([mean]), np.array([std]), best)
    log_ei, _, _ = log_expected_improvement(np.array([mean]), np.array([std]), best)
    assert np.isfinite(log_ei[0])
    if ei[0] > 1e-250:
        assert log_ei[0] == pytest.approx(math.log(ei[0]), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("z", [-1e2, -1e3 - 1.0, -1e4, -1e8, -1e12])
def test_log_ei_stays_finite_with_a_sane_gradient_far_in_the_tail(z: float) -> None:
    value, d_mean, d_std = log_expected_improvement(np.array([z]), np.array([1.0]), 0.0)
    assert np.isfinite(value[0]) and np.isfinite(d_mean[0]) and np.isfinite(d_std[0])
    # log h(z) ≈ -z²/2 - 2 log|z| - log √(2π): its slope tends to |z| (plus 2/|z|).
    assert d_mean[0] == pytest.approx(-z - 2.0 / z, rel=1e-6)
    assert value[0] == pytest.approx(
        -z * z / 2 - 2 * math.log(-z) - 0.5 * math.log(2 * math.pi), rel=1e-6
    )


@pytest.mark.parametrize("z", [-1.0, -1e3], ids=["near_branch", "far_branch"])
def test_log_h_is_continuous_across_its_branches(z: float) -> None:
    eps = 1e-9 * max(1.0, abs(z))
    (below, above), (slope_below, slope_above) = log_h(np.array([z - eps, z + eps]))
    assert below == pytest.approx(above, rel=1e-7, abs=1e-9)
    assert slope_below == pytest.approx(slope_above, rel=1e-7)


def test_log_h_gives_the_same_numbers_with_or_without_a_point_in_the_tail() -> None:
    """A batch entirely on the near branch takes a path without masks; a point in the tail
    sends the same batch down the masked path. Both must agree exactly."""
    near = np.linspace(-1.0, 30.0, 17)
    alone = log_h(near)
    mixed = log_h(np.append(near, -50.0))
    np.testing.assert_array_equal(alone[0], mixed[0][:-1])
    np.testing.assert_array_equal(alone[1], mixed[1][:-1])


def test_log_h_gives_the_same_numbers_on_its_unmasked_near_and_middle_path() -> None:
    """Without a point in the far tail, the near and middle rules are both computed and one is
    selected per point; the numbers must equal the masked path's exactly (a far-tail point
    sends the same batch down that path)."""
    z = np.concatenate([np.linspace(-999.0, -1.0, 23), np.linspace(-1.0, 30.0, 9)])
    unmasked = log_h(z)
    masked = log_h(np.append(z, -5e3))
    np.testing.assert_array_equal(unmasked[0], masked[0][:-1])
    np.testing.assert_array_equal(unmasked[1], masked[1][:-1])


def test_log_h_slope_matches_finite_differences() -> None:
    z = np.array([-2000.0, -500.0, -37.0, -5.0, -1.5, -0.5, 0.0, 2.0, 30.0])
    eps = 1e-6 * np.maximum(1.0, np.abs(z))
    fd = (log_h(z + eps)[0] - log_h(z - eps)[0]) / (2 * eps)
    np.testing.assert_allclose(log_h(z)[1], fd, rtol=1e-5)


@given(mean=means, std=stds, best=means)
def test_log_pi_is_log_of_the_normal_cdf(mean: float, std: float, best: float) -> None:
    value, _, _ = log_probability_of_improvement(np.array([mean]), np.array([std]), best)
    z = (mean - best) / std
    assert np.isfinite(value[0])
    if special.ndtr(z) > 1e-250:
        assert value[0] == pytest.approx(math.log(special.ndtr(z)), rel=1e-7, abs=1e-12)


def test_ucb_with_zero_beta_is_the_mean() -> None:
    gp = _gp()
    x = np.random.default_rng(1).random((7, 3))
    np.testing.assert_allclose(
        Acquisition(gp, "ucb", best=0.0, beta=0.0).value(x), gp.predict(x)[0]
    )
    value, d_mean, d_std = upper_confidence_bound(np.array([1.0]), np.array([2.0]), 0.0)
    assert (value[0], d_mean[0], d_std[0]) == (1.0, 1.0, 0.0)


def test_ucb_beta_schedule_grows_slowly() -> None:
    betas = [ucb_beta(t, 4) for t in (1, 10, 100, 1000)]
    assert all(a < b for a, b in itertools.pairwise(betas))
    assert 1.0 < betas[1] < betas[-1] < 5.0
    assert ucb_beta(10, 8) > ucb_beta(10, 2)


@pytest.mark.parametrize("kind", ACQUISITIONS)
@pytest.mark.parametrize("best_shift", [0.0, 3.0], ids=["at_incumbent", "far_above"])
def test_acquisition_gradient_matches_finite_differences(kind: str, best_shift: float) -> None:
    gp = _gp()
    acq = Acquisition(gp, kind, best=float(gp.y_train.max()) + best_shift, beta=1.7)
    x = np.array([[0.13, 0.42, 0.25], [0.77, 0.9, 0.75], [0.5, 0.05, 0.25]])
    value, grad = acq.value_and_grad(x)
    np.testing.assert_allclose(value, acq.value(x), rtol=1e-10)
    eps = 1e-6
    for j in range(2):
        step = np.zeros(3)
        step[j] = eps
        fd = (acq.value(x + step) - acq.value(x - step)) / (2 * eps)
        np.testing.assert_allclose(grad[:, j], fd, rtol=1e-4, atol=1e-6)
    assert np.all(grad[:, 2] == 0.0)


def test_unknown_acquisition_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown acquisition"):
        Acquisition(_gp(), "nope", best=0.0).value(np.zeros((1, 3)))


# -- maximization -----------------------------------------------------------------------------
class _Bowl:
    """``-Σ (x - c)²``: maximum at ``c``."""

    def __init__(self, centre: list[float]) -> None:
        self.centre = np.array(centre)

    def value(self, x: np.ndarray) -> np.ndarray:
        return -np.sum((x - self.centre) ** 2, axis=1)

    def value_and_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.value(x), -2.0 * (x - self.centre)


def _snap_to(grid: np.ndarray, column: int):  # type: ignore[no-untyped-def]
    def snap(x: np.ndarray) -> np.ndarray:
        out = np.clip(x, 0.0, 1.0)
        out[:, column] = grid[np.abs(out[:, column, None] - grid[None, :]).argmin(axis=1)]
        return out

    return snap


def test_maximize_finds_a_continuous_optimum() -> None:
    dims = SearchDims(np.array([True, True, True]), [None, None, None])
    best = maximize_acquisition(_Bowl([0.2, 0.7, 0.95]), dims, np.random.default_rng(0))
    assert best is not None
    np.testing.assert_allclose(best, [0.2, 0.7, 0.95], atol=1e-4)


def test_maximize_searches_a_discrete_column_by_enumeration() -> None:
    grid = (np.arange(5) + 0.5) / 5
    dims = SearchDims(np.array([True, False]), [None, grid], _snap_to(grid, 1))
    best = maximize_acquisition(_Bowl([0.4, 0.62]), dims, np.random.default_rng(0), n_candidates=16)
    assert best is not None
    np.testing.assert_allclose(best, [0.4, 0.7], atol=1e-4)


def test_maximize_never_returns_an_excluded_point() -> None:
    grid = (np.arange(3) + 0.5) / 3
    dims = SearchDims(
        np.array([False, False]), [grid, grid], lambda x: _snap_to(grid, 1)(_snap_to(grid, 0)(x))
    )
    everything = np.array([[a, b] for a in grid for b in grid])
    acq = _Bowl([0.5, 0.5])
    seen = everything[[4]]  # the optimum itself
    best = maximize_acquisition(acq, dims, np.random.default_rng(0), exclude=seen)
    assert best is not None and not np.allclose(best, [0.5, 0.5])
    assert maximize_acquisition(acq, dims, np.random.default_rng(0), exclude=everything) is None


def test_maximize_with_bounds_stays_in_the_box_and_finds_its_best_point() -> None:
    dims = SearchDims(np.array([True, True]), [None, None])
    bounds = (np.array([0.1, 0.6]), np.array([0.3, 0.9]))
    best = maximize_acquisition(_Bowl([0.8, 0.7]), dims, np.random.default_rng(0), bounds=bounds)
    assert best is not None
    np.testing.assert_allclose(best, [0.3, 0.7], atol=1e-6)  # the box's point nearest the centre


def test_maximize_with_bounds_searches_grid_columns_whole() -> None:
    grid = np.array([0.0, 0.5, 1.0])
    dims = SearchDims(np.array([True, False]), [None, grid], _snap_to(grid, 1))
    bounds = (np.array([0.4, 0.0]), np.array([0.6, 0.1]))
    best = maximize_acquisition(_Bowl([0.5, 1.0]), dims, np.random.default_rng(0), bounds=bounds)
    assert best is not None
    np.testing.assert_allclose(best, [0.5, 1.0], atol=1e-6)


def test_maximize_with_the_whole_cube_as_bounds_is_unchanged() -> None:
    dims = SearchDims(np.array([True, True, True]), [None, None, None])
    acq = _Bowl([0.2, 0.9, 0.4])
    whole = (np.zeros(3), np.ones(3))
    a = maximize_acquisition(acq, dims, np.random.default_rng(5))
    b = maximize_acquisition(acq, dims, np.random.default_rng(5), bounds=whole)
    assert a is not None and b is not None and a.tolist() == b.tolist()


class _CountingBowl(_Bowl):
    """A bowl that records how many points each call evaluates, and the gradient calls."""

    def __init__(self, centre: list[float]) -> None:
        super().__init__(centre)
        self.batches: list[int] = []
        self.gradient_calls = 0

    def value(self, x: np.ndarray) -> np.ndarray:
        self.batches.append(len(x))
        return super().value(x)

    def value_and_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.gradient_calls += 1
        return super().value(x), -2.0 * (x - self.centre)


@pytest.mark.parametrize("d", [HIGH_DIM - 1, HIGH_DIM, 20])
def test_the_search_is_cheaper_from_high_dim_columns_on(d: int) -> None:
    # From HIGH_DIM columns on: 512 candidates and 10 L-BFGS-B iterations (a far optimum, so
    # the refinement runs to its limit); below: 1,024 and 50. Explicit arguments still win.
    n_candidates, max_iter = search_budget(d)
    assert (n_candidates, max_iter) == ((512, 10) if d >= HIGH_DIM else (1024, 50))
    dims = SearchDims(np.ones(d, dtype=bool), [None] * d)
    acq = _CountingBowl([0.999] * d)
    best = maximize_acquisition(acq, dims, np.random.default_rng(0))
    assert best is not None and acq.batches[0] == n_candidates
    assert acq.gradient_calls <= 2 * max_iter + 5  # scipy: a few line-search calls per step
    explicit = _CountingBowl([0.999] * d)
    maximize_acquisition(explicit, dims, np.random.default_rng(0), n_candidates=64, max_iter=3)
    assert explicit.batches[0] == 64 and explicit.gradient_calls <= 12
