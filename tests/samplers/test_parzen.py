"""Tests of the Parzen estimators behind TPE: densities, masses, sampling, bandwidths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special, stats

from podbor.samplers._tpe.parzen import (
    MAX_SIGMA,
    PRIOR_MU,
    PRIOR_SIGMA,
    ColumnKinds,
    ParzenEstimator,
    ParzenOptions,
    log_gauss_mass,
    magic_clip_minimum,
    neighbour_bandwidths,
    scott_bandwidths,
)

MODES = [ParzenOptions(), ParzenOptions(multivariate=True)]
MODE_IDS = ["univariate", "multivariate"]


def _kinds(n_choices: list[int], discrete: list[bool] | None = None) -> ColumnKinds:
    discrete = discrete or [False] * len(n_choices)
    return ColumnKinds(np.array(n_choices, dtype=np.int64), np.array(discrete, dtype=bool))


def _estimator(
    obs: list[list[float]] | np.ndarray,
    kinds: ColumnKinds | None = None,
    weights: np.ndarray | None = None,
    **options: object,
) -> ParzenEstimator:
    obs = np.asarray(obs, dtype=float).reshape(len(obs), -1)
    kinds = kinds or ColumnKinds.numeric(obs.shape[1])
    weights = np.ones(len(obs)) if weights is None else weights
    return ParzenEstimator(obs, weights, kinds, ParzenOptions(**options))  # type: ignore[arg-type]


# -- densities ----------------------------------------------------------------------------------
@pytest.mark.parametrize("options", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("consider_prior", [True, False], ids=["prior", "no-prior"])
def test_univariate_density_integrates_to_one(options: ParzenOptions, consider_prior: bool) -> None:
    obs = np.array([[0.0], [0.02], [0.3], [0.31], [0.95], [1.0]])
    est = ParzenEstimator(
        obs,
        np.linspace(0.5, 1.0, 6),
        ColumnKinds.numeric(1),
        ParzenOptions(consider_prior=consider_prior, multivariate=options.multivariate),
    )
    grid = np.linspace(0.0, 1.0, 20_001)[:, None]
    density = np.exp(est.log_pdf(grid))
    assert np.trapezoid(density, grid[:, 0]) == pytest.approx(1.0, abs=1e-4)


def test_joint_density_integrates_to_one_in_two_dimensions() -> None:
    est = _estimator([[0.1, 0.9], [0.5, 0.5], [0.8, 0.2]], multivariate=True)
    u = np.linspace(0.0, 1.0, 401)
    xx, yy = np.meshgrid(u, u, indexing="ij")
    density = np.exp(est.log_pdf(np.column_stack([xx.ravel(), yy.ravel()]))).reshape(xx.shape)
    total = np.trapezoid(np.trapezoid(density, u, axis=1), u)
    assert total == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("n_cells", [1, 2, 5, 13])
def test_grid_cell_masses_sum_to_one(n_cells: int) -> None:
    centres = (np.arange(n_cells) + 0.5) / n_cells
    obs = centres[[0, -1, n_cells // 2]][:, None]
    est = ParzenEstimator(obs, np.ones(3), _kinds([0], [True]))
    cells = (centres[:, None] - 0.5 / n_cells, centres[:, None] + 0.5 / n_cells)
    masses = np.exp(est.log_pdf(centres[:, None], cells))
    assert masses.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.exp(est.marginal_log_pdf(centres[:, None], cells)).sum() == pytest.approx(1.0)


@pytest.mark.parametrize("options", MODES, ids=MODE_IDS)
def test_categorical_probabilities_sum_to_one(options: ParzenOptions) -> None:
    est = ParzenEstimator(np.array([[0.0], [2.0], [2.0]]), np.ones(3), _kinds([4]), options)
    choices = np.arange(4, dtype=float)[:, None]
    probs = np.exp(est.log_pdf(choices))
    assert probs.sum() == pytest.approx(1.0)
    assert probs.argmax() == 2
    assert np.exp(est.log_probs[0]).sum(axis=1) == pytest.approx(np.ones(est.n_components))


def _brute_force(
    est: ParzenEstimator, x: np.ndarray, cells: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(joint, marginal) log densities from scipy's truncated normals, component by component."""
    kinds = est.kinds
    numeric = np.flatnonzero(kinds.n_choices == 0)
    kernels = np.empty((len(x), est.n_components, len(kinds.n_choices)))
    for i in range(est.n_components):
        for slot, j in enumerate(numeric):
            mu, sigma = est.mus[i, slot], est.sigmas[i, slot]
            dist = stats.truncnorm(-mu / sigma, (1 - mu) / sigma, loc=mu, scale=sigma)
            if kinds.discrete[j]:
                kernels[:, i, j] = dist.cdf(cells[1][:, j]) - dist.cdf(cells[0][:, j])
            else:
                kernels[:, i, j] = dist.pdf(x[:, j])
        for slot, j in enumerate(np.flatnonzero(kinds.n_choices > 0)):
            kernels[:, i, j] = np.exp(est.log_probs[slot][i, x[:, j].astype(int)])
    w = np.exp(est.log_weights)
    joint = np.log(np.einsum("m,km->k", w, kernels.prod(axis=2)))
    return joint, np.log(np.einsum("m,kmd->kd", w, kernels))


@pytest.mark.parametrize("options", MODES, ids=MODE_IDS)
def test_log_pdf_matches_a_brute_force_mixture(options: ParzenOptions) -> None:
    rng = np.random.default_rng(3)
    n_cells = 6
    obs = np.column_stack(
        [rng.random(9), (rng.integers(0, n_cells, 9) + 0.5) / n_cells, rng.integers(0, 3, 9)]
    )
    est = ParzenEstimator(
        obs, rng.random(9) + 0.1, _kinds([0, 0, 3], [False, True, False]), options
    )
    x = est.sample(rng, 40)
    lower, upper = x.copy(), x.copy()
    cell = np.minimum(np.floor(x[:, 1] * n_cells), n_cells - 1)
    lower[:, 1], upper[:, 1] = cell / n_cells, (cell + 1) / n_cells
    joint, marginal = _brute_force(est, x, (lower, upper))
    np.testing.assert_allclose(est.log_pdf(x, (lower, upper)), joint, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        est.marginal_log_pdf(x, (lower, upper)), marginal, rtol=1e-9, atol=1e-9
    )


def test_far_points_do_not_underflow_without_a_prior() -> None:
    est = _estimator([[0.0], [0.001]], consider_prior=False, consider_magic_clip=False)
    x = np.array([[1.0], [0.5]])
    marginal, joint = est.marginal_log_pdf(x)[:, 0], est.log_pdf(x)
    assert np.all(np.isfinite(marginal)) and np.all(marginal < -1000)
    np.testing.assert_allclose(marginal, joint)


# -- the prior ----------------------------------------------------------------------------------
def test_prior_weight_pulls_the_density_towards_flat() -> None:
    x = np.array([[0.95]])  # far from the observations
    densities = [
        float(np.exp(_estimator([[0.1], [0.15]], prior_weight=w).log_pdf(x)[0]))
        for w in (0.1, 1.0, 10.0)
    ]
    assert densities[0] < densities[1] < densities[2]
    est = _estimator([[0.1], [0.15]], prior_weight=2.0)
    assert np.exp(est.log_weights[-1]) == pytest.approx(0.5)
    assert (est.mus[-1, 0], est.sigmas[-1, 0]) == (PRIOR_MU, PRIOR_SIGMA)


def test_without_observations_the_prior_is_used_anyway() -> None:
    est = ParzenEstimator(np.empty((0, 2)), np.empty(0), _kinds([0, 3]), ParzenOptions(False))
    assert est.n_components == 1
    assert np.exp(est.log_pdf(np.array([[0.5, 1.0]])))[0] > 0


def test_without_prior_there_is_one_component_per_observation() -> None:
    est = _estimator([[0.2], [0.4]], consider_prior=False)
    assert est.n_components == 2


@pytest.mark.parametrize(
    "weights", [np.array([1.0, -1.0]), np.array([1.0, np.nan]), np.ones(3)], ids=str
)
def test_bad_weights_are_refused(weights: np.ndarray) -> None:
    with pytest.raises(ValueError, match="weights"):
        _estimator([[0.2], [0.4]], weights=weights)


def test_zero_weights_without_prior_are_refused() -> None:
    with pytest.raises(ValueError, match="sum to 0"):
        _estimator([[0.2]], weights=np.zeros(1), consider_prior=False)


# -- bandwidths ---------------------------------------------------------------------------------
def test_neighbour_bandwidths_take_the_wider_gap() -> None:
    mus = np.array([0.1, 0.2, 0.9])
    plain = neighbour_bandwidths(mus, prior=False, consider_endpoints=False)
    np.testing.assert_allclose(plain, [0.1, 0.7, 0.7])
    ends = neighbour_bandwidths(mus, prior=False, consider_endpoints=True)
    np.testing.assert_allclose(ends, [0.1, 0.7, 0.7])
    with_prior = neighbour_bandwidths(mus, prior=True, consider_endpoints=False)
    np.testing.assert_allclose(with_prior, [0.1, 0.3, 0.4])
    lone = neighbour_bandwidths(np.array([0.3]), prior=False, consider_endpoints=False)
    assert lone.tolist() == [MAX_SIGMA]


def test_neighbour_bandwidths_are_per_column() -> None:
    mus = np.array([[0.1, 0.5], [0.2, 0.9], [0.9, 0.0]])
    both = neighbour_bandwidths(mus, prior=True, consider_endpoints=True)
    for j in range(2):
        single = neighbour_bandwidths(mus[:, j], prior=True, consider_endpoints=True)
        np.testing.assert_allclose(both[:, j], single)


def test_magic_clip_bounds_bandwidths_below() -> None:
    obs = [[0.5], [0.5], [0.5]]
    clipped = _estimator(obs)
    assert clipped.sigmas[:3, 0] == pytest.approx([magic_clip_minimum(3)] * 3)
    assert magic_clip_minimum(3) == 0.25 and magic_clip_minimum(10_000) == 0.01
    raw = _estimator(obs, consider_magic_clip=False)
    assert np.all(raw.sigmas[:3, 0] < 1e-6)
    assert np.all(np.isfinite(raw.log_pdf(np.array([[0.5], [0.1]]))))


def test_scott_bandwidths_shrink_with_more_and_tighter_data() -> None:
    rng = np.random.default_rng(0)
    wide = scott_bandwidths(rng.random((20, 3)), np.ones(20))
    tight = scott_bandwidths(0.5 + 0.01 * rng.random((20, 3)), np.ones(20))
    more = scott_bandwidths(rng.random((500, 3)), np.ones(500))
    assert wide.shape == (3,)
    assert np.all(tight < wide) and np.all(more < wide)
    assert scott_bandwidths(np.empty((0, 2)), np.empty(0)).tolist() == [MAX_SIGMA] * 2


# -- normal masses ------------------------------------------------------------------------------
def test_log_gauss_mass_is_accurate_in_the_tails() -> None:
    a = np.array([-1.0, -40.0, 30.0, 8.0, 0.0])
    b = np.array([2.0, -39.0, 31.0, 9.0, 0.0])
    out = log_gauss_mass(a, b)
    assert out[0] == pytest.approx(np.log(special.ndtr(2.0) - special.ndtr(-1.0)))
    assert np.isfinite(out[1:4]).all()
    # Far in a tail the mass of [a, a + 1] is nearly the whole tail beyond a.
    assert out[1] == pytest.approx(stats.norm.logcdf(-39.0), rel=1e-3)
    assert out[2] == pytest.approx(stats.norm.logsf(30.0), rel=1e-3)
    assert out[3] == pytest.approx(stats.norm.logsf(8.0), rel=1e-3)
    np.testing.assert_allclose(log_gauss_mass(-b, -a), out)
    assert out[4] == -np.inf


# -- sampling -----------------------------------------------------------------------------------
@pytest.mark.parametrize("options", MODES, ids=MODE_IDS)
def test_samples_stay_in_bounds(options: ParzenOptions) -> None:
    obs = np.array([[0.0, 0.0], [1.0, 4.0], [0.999, 2.0]])
    est = ParzenEstimator(obs, np.ones(3), _kinds([0, 5]), options)
    x = est.sample(np.random.default_rng(1), 2_000)
    assert x.shape == (2_000, 2)
    assert np.all((x[:, 0] >= 0) & (x[:, 0] <= 1))
    assert set(np.unique(x[:, 1])) <= {0.0, 1.0, 2.0, 3.0, 4.0}


def test_samples_follow_the_truncated_normal() -> None:
    est = _estimator([[0.9]], consider_prior=False, consider_magic_clip=False)
    sigma = est.sigmas[0, 0]
    x = est.sample(np.random.default_rng(5), 4_000)[:, 0]
    reference = stats.truncnorm(-0.9 / sigma, 0.1 / sigma, loc=0.9, scale=sigma)
    assert stats.kstest(x, reference.cdf).pvalue > 1e-3


def test_joint_samples_keep_components_together_and_independent_ones_do_not() -> None:
    # Duplicated points get (nearly) zero bandwidth without the magic clip: sharp components.
    obs = [[0.05, 0.05]] * 5 + [[0.95, 0.95]] * 5
    est = _estimator(obs, consider_prior=False, consider_magic_clip=False)
    rng = np.random.default_rng(2)
    joint = est.sample(rng, 500)
    assert np.mean(np.abs(joint[:, 0] - joint[:, 1]) < 0.01) > 0.7
    mixed = est.sample(rng, 500, independent_columns=True)
    assert np.mean(np.abs(mixed[:, 0] - mixed[:, 1]) > 0.5) > 0.3


def test_categorical_samples_follow_the_probabilities() -> None:
    est = ParzenEstimator(np.array([[1.0]] * 5), np.ones(5), _kinds([3]))
    x = est.sample(np.random.default_rng(0), 6_000)[:, 0]
    expected = np.exp(est.log_pdf(np.arange(3.0)[:, None]))
    observed = np.bincount(x.astype(int), minlength=3) / len(x)
    np.testing.assert_allclose(observed, expected, atol=0.02)


# -- properties ---------------------------------------------------------------------------------
_unit_obs = hnp.arrays(
    np.float64,
    st.tuples(st.integers(0, 12), st.just(2)),
    elements=st.floats(0.0, 1.0),
)


@given(
    obs=_unit_obs,
    multivariate=st.booleans(),
    endpoints=st.booleans(),
    clip=st.booleans(),
    prior=st.booleans(),
)
def test_any_estimator_samples_inside_and_scores_finitely(
    obs: np.ndarray, multivariate: bool, endpoints: bool, clip: bool, prior: bool
) -> None:
    options = ParzenOptions(prior, 1.0, clip, endpoints, multivariate)
    est = ParzenEstimator(obs, np.ones(len(obs)), ColumnKinds.numeric(2), options)
    assert np.all((est.sigmas > 0) & (est.sigmas <= MAX_SIGMA))
    x = est.sample(np.random.default_rng(0), 16)
    assert np.all((x >= 0) & (x <= 1))
    assert not np.any(np.isnan(est.log_pdf(x)))
    assert not np.any(np.isnan(est.marginal_log_pdf(x)))


@given(n_cells=st.integers(1, 40), picks=st.lists(st.integers(0, 39), min_size=1, max_size=8))
def test_grid_masses_are_a_distribution_for_any_grid(n_cells: int, picks: list[int]) -> None:
    centres = (np.arange(n_cells) + 0.5) / n_cells
    obs = centres[[p % n_cells for p in picks]][:, None]
    est = ParzenEstimator(obs, np.ones(len(obs)), _kinds([0], [True]))
    cells = (centres[:, None] - 0.5 / n_cells, centres[:, None] + 0.5 / n_cells)
    masses = np.exp(est.log_pdf(centres[:, None], cells))
    assert masses.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.all(masses > 0)
