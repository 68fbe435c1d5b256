"""Parzen estimators for the Tree-structured Parzen Estimator (TPE): plain numpy maths.

TPE (Bergstra et al., "Algorithms for Hyper-Parameter Optimization", NeurIPS 2011, Sec. 4)
splits the observations at the γ-quantile of the objective into a *good* and a *bad* group and
models each with a Parzen (kernel density) estimator::

    l(x) = p(x | y better than y_γ),        g(x) = p(x | y worse than y_γ).

The expected improvement over y_γ is a monotone increasing function of ``l(x) / g(x)``
(Bergstra et al. 2011, Sec. 4; Watanabe, "Tree-structured Parzen estimator: understanding its
algorithm components and their roles for better empirical performance", arXiv 2304.11127, 2023,
Sec. 2 and App. A). A TPE sampler therefore draws candidates from ``l`` and keeps the one with
the largest ``log l(x) - log g(x)``; this module supplies ``l`` and ``g``, and
:func:`thin_kernels`, which keeps a long history's bad group to a bounded number of kernels
without changing its mixture in expectation.

Everything lives in podbor's unit-cube encoding (:mod:`podbor._search_space`): a point is a row of
an ``(n x d)`` array; numeric columns hold ``u`` in ``[0, 1]`` (log scales and steps are already
mapped there); categorical columns hold the index of the choice, as a float.

An estimator is a weighted mixture of ``m`` components, one per observation plus (optionally) a
*prior* component (Watanabe 2023, Sec. 3). Each component is a product kernel over the columns
(the multivariate TPE of Falkner et al., "BOHB", ICML 2018, Sec. 3, and Watanabe 2023,
Sec. 3; with one column this is the original univariate TPE):

* numeric column: a normal ``N(mu, sigma^2)`` truncated to ``[0, 1]``. On a *grid* column
  (integers, stepped floats) a point stands for its grid cell ``[lo, hi]`` and the kernel's value
  is its probability mass over the cell (the discrete kernel of Watanabe 2023, Sec. 3 and App. C), so
  ``l`` and ``g`` are compared as probabilities of the same grid point;
* categorical column with ``C`` choices: the observed choice smoothed towards uniform
  (Aitchison & Aitken, Biometrika 1976): ``p(c) = (1 - b) [c = x_i] + b / C``;
* prior: ``mu = 1/2``, ``sigma = 1`` (the width of the interval), uniform over the choices.

Bandwidths (Watanabe 2023, Sec. 3 and App. C):

* univariate rule (Bergstra et al. 2011; hyperopt): sort a column's points together with the
  prior mean; each point's ``sigma`` is the larger of the distances to its two neighbours (the
  bounds 0 and 1 count as neighbours when ``consider_endpoints``);
* multivariate rule (Scott, "Multivariate Density Estimation", 1992, normal-reference rule):
  ``sigma_j = 0.6 s_j n^{-1/(d + 4)}`` for every component, with ``s_j`` the spread of column
  ``j`` shrunk towards that of the uniform distribution (the prior counts as one
  pseudo-observation); the factor 0.6 (:data:`_SCOTT_FACTOR`) was chosen by measurement;
* magic clip (Watanabe 2023, Sec. 3): with the univariate rule, ``sigma >= 1 / min(100, 1 + n)``
  so that the kernels of a few observations never collapse onto points. Scott's rule already
  shrinks smoothly with ``n`` and only gets the clip's final floor, ``sigma >= 1/100``: the full
  clip made the few good observations of a multivariate model so wide (``1/3`` of the range
  for two of them) that 6- to 8-dimensional problems were searched almost at random. All
  bandwidths are at most 1.

Example:
    >>> import numpy as np
    >>> obs = np.array([[0.2], [0.25], [0.3]])
    >>> kinds = ColumnKinds.numeric(1)
    >>> good = ParzenEstimator(obs, np.ones(3), kinds)
    >>> bad = ParzenEstimator(np.array([[0.8], [0.9]]), np.ones(2), kinds)
    >>> x = np.array([[0.25], [0.85]])
    >>> (good.log_pdf(x) - bad.log_pdf(x) > 0).tolist()
    [True, False]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from podbor._arrays import BoolArray, FloatArray, IntArray

__all__ = [
    "MAX_SIGMA",
    "PRIOR_MU",
    "PRIOR_SIGMA",
    "ColumnKinds",
    "ParzenEstimator",
    "ParzenOptions",
    "categorical_smoothing",
    "log_gauss_mass",
    "magic_clip_minimum",
    "neighbour_bandwidths",
    "scott_bandwidths",
    "thin_kernels",
]


PRIOR_MU = 0.5
"""Mean of the prior kernel in every numeric column (the middle of the unit interval)."""
PRIOR_SIGMA = 1.0
"""Bandwidth of the prior kernel: the width of the unit interval (nearly flat on it)."""
MAX_SIGMA = 1.0
"""No observation's kernel is wider than the unit interval."""
_MIN_SIGMA = 1e-12  # without the magic clip: keeps duplicate points finite
_MAGIC_CLIP_CAP = 100
_UNIFORM_VAR = 1.0 / 12.0  # variance of the uniform distribution on [0, 1]
_SCOTT_FACTOR = 0.6
"""Multiplies Scott's bandwidths: chosen by ``benchmarks/sample_efficiency.py`` (6- to 8-D
problems; 1.0 left the good group's kernels so wide that TPE hardly exploited them)."""
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


@dataclass(frozen=True)
class ParzenOptions:
    """How an estimator is built.

    Attributes:
        consider_prior: Add the prior component (always added when there is no observation).
        prior_weight: Weight of the prior component, relative to the observations' weights.
        consider_magic_clip: Bound bandwidths below: by :func:`magic_clip_minimum` of the
            number of observations in the univariate rule, by its floor (1/100) in Scott's.
        consider_endpoints: In the univariate rule, the bounds 0 and 1 count as neighbours.
        multivariate: Use the multivariate (Scott) bandwidth rule instead of the univariate one.
    """

    consider_prior: bool = True
    prior_weight: float = 1.0
    consider_magic_clip: bool = True
    consider_endpoints: bool = False
    multivariate: bool = False


@dataclass(frozen=True)
class ColumnKinds:
    """What each of the ``d`` columns of a point is.

    Attributes:
        n_choices: Shape ``d``: the number of choices of a categorical column, 0 for numeric ones.
        discrete: Shape ``d``: True for numeric columns on a grid (their kernels integrate over
            the grid cell given to :meth:`ParzenEstimator.log_pdf`).
    """

    n_choices: IntArray
    discrete: BoolArray

    @classmethod
    def numeric(cls, d: int) -> ColumnKinds:
        """Return ``d`` continuous numeric columns."""
        return cls(np.zeros(d, dtype=np.int64), np.zeros(d, dtype=bool))

    @property
    def numeric_columns(self) -> IntArray:
        """Indices of the numeric columns (shape ``d_num``)."""
        return np.flatnonzero(self.n_choices == 0)

    @property
    def categorical_columns(self) -> IntArray:
        """Indices of the categorical columns (shape ``d_cat``)."""
        return np.flatnonzero(self.n_choices > 0)


# -- bandwidths ---------------------------------------------------------------------------------
def magic_clip_minimum(n_observations: int) -> float:
    """Return the smallest bandwidth the magic clip allows: ``1 / min(100, 1 + n)``.

    Watanabe (2023), Sec. 3: early on the few kernels stay wide (exploration); the bound falls
    to 1 % of the interval as observations accumulate.
    """
    return 1.0 / min(_MAGIC_CLIP_CAP, 1 + n_observations)


def neighbour_bandwidths(mus: FloatArray, *, prior: bool, consider_endpoints: bool) -> FloatArray:
    """Return the univariate rule's bandwidths (Bergstra et al. 2011; Watanabe 2023, Sec. 3).

    Each column is treated on its own (a one-dimensional rule, vectorized over the columns).

    Args:
        mus: Shape ``n x d`` (or ``n``): observations of numeric columns, in ``[0, 1]``.
        prior: Sort the prior mean in with the observations (it is a neighbour too).
        consider_endpoints: The bounds 0 and 1 count as neighbours of the outermost points.

    Returns:
        The shape of ``mus``: for each observation, the larger distance to its two neighbours
        in its column (the one distance it has, at an end without ``consider_endpoints``; 1
        when it has none).

    Example:
        >>> neighbour_bandwidths(np.array([0.1, 0.2, 0.9]), prior=False, consider_endpoints=False).round(2).tolist()
        [0.1, 0.7, 0.7]
    """
    mus = np.asarray(mus, dtype=float)
    columns = mus[:, None] if mus.ndim == 1 else mus
    n, d = columns.shape
    points = np.vstack([columns, np.full((1, d), PRIOR_MU)]) if prior else columns
    if len(points) == 0:
        return np.empty(mus.shape)
    order = np.argsort(points, axis=0, kind="stable")
    ordered = np.take_along_axis(points, order, axis=0)
    gaps = np.diff(ordered, axis=0)
    first = ordered[:1] if consider_endpoints else np.full((1, d), np.nan)
    last = 1.0 - ordered[-1:] if consider_endpoints else np.full((1, d), np.nan)
    widest = np.fmax(np.vstack([first, gaps]), np.vstack([gaps, last]))
    widest = np.where(np.isnan(widest), MAX_SIGMA, widest)
    sigmas = np.empty_like(points)
    np.put_along_axis(sigmas, order, widest, axis=0)
    return sigmas[:n].reshape(mus.shape)


def scott_bandwidths(observations: FloatArray, weights: FloatArray) -> FloatArray:
    """Return Scott's normal-reference bandwidths ``0.6 s_j n^{-1/(d + 4)}`` (Scott 1992, Ch. 6).

    The spread ``s_j`` is the weighted standard deviation of column ``j`` with the uniform
    distribution's variance (1/12) added as one pseudo-observation, so that one or two
    observations give a wide kernel rather than none.

    Args:
        observations: Shape ``n x d``: numeric columns only, in ``[0, 1]``.
        weights: Shape ``n``: non-negative observation weights.

    Returns:
        Shape ``d``: one bandwidth per column, shared by every observation's kernel.
    """
    n, d = observations.shape
    if n == 0:
        return np.full(d, MAX_SIGMA)
    w = weights / weights.sum() if weights.sum() > 0 else np.full(n, 1.0 / n)
    mean = w @ observations
    var = w @ (observations - mean) ** 2
    spread = np.sqrt((n * var + _UNIFORM_VAR) / (n + 1))
    return np.asarray(_SCOTT_FACTOR * spread * n ** (-1.0 / (d + 4)), dtype=float)


def categorical_smoothing(n_observations: int) -> float:
    """Return ``b``, the probability mass an observation's categorical kernel spreads uniformly.

    ``b = 1 / sqrt(1 + n)``: a few observations leave room for the other choices while many
    observations keep their kernels sharp. The slower decay than the magic clip's ``1 / (1 + n)``
    keeps a categorical that selects a branch of a conditional space exploring the other
    branches (``benchmarks/sample_efficiency.py``, problem ``conditional``: median regret 0.32
    with ``1 / (1 + n)``, 0.10 with ``1 / sqrt(1 + n)``, 20 seeds).
    """
    return 1.0 / math.sqrt(1 + n_observations)


def _numeric_sigmas(
    mus: FloatArray, weights: FloatArray, prior: bool, options: ParzenOptions
) -> FloatArray:
    """Return the bandwidths of the observations' kernels, shape ``n x d`` (``mus``' shape)."""
    n, d = mus.shape
    if options.multivariate:
        sigmas = np.broadcast_to(scott_bandwidths(mus, weights), (n, d)).copy()
    else:
        sigmas = neighbour_bandwidths(
            mus, prior=prior, consider_endpoints=options.consider_endpoints
        )
    if not options.consider_magic_clip:
        low = _MIN_SIGMA
    elif options.multivariate:  # Scott's rule shrinks smoothly with n: only the final floor
        low = magic_clip_minimum(_MAGIC_CLIP_CAP)
    else:
        low = magic_clip_minimum(n)
    return np.asarray(np.clip(sigmas, low, MAX_SIGMA), dtype=float)


# -- normal masses ------------------------------------------------------------------------------
def log_gauss_mass(a: FloatArray, b: FloatArray) -> FloatArray:
    """Return ``log(Phi(b) - Phi(a))`` elementwise for ``a <= b``, accurate in both tails.

    Args:
        a: Lower bounds, standardized (any shape).
        b: Upper bounds, standardized (broadcastable with ``a``).

    Returns:
        The log of the standard normal mass of ``[a, b]`` (``-inf`` where ``a == b``).
    """
    from scipy import special  # here, not at import: scipy.special costs ~0.2 s to import

    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    middle = (a < 0.0) & (b > 0.0)  # the interval holds the mode: its mass is never small
    if middle.all():  # the common case (a kernel centred inside [0, 1]): one vectorized pass
        return np.asarray(np.log1p(-special.ndtr(a) - special.ndtr(-b)), dtype=float)
    out = np.empty(a.shape)
    left = b <= 0.0  # both in the left tail: subtract in log space
    right = ~(left | middle)  # both in the right tail: mirror into the left one
    with np.errstate(divide="ignore"):
        out[left] = _log_diff_ndtr(b[left], a[left])
        out[right] = _log_diff_ndtr(-a[right], -b[right])
        out[middle] = np.log1p(-special.ndtr(a[middle]) - special.ndtr(-b[middle]))
    return out


def _log_diff_ndtr(upper: FloatArray, lower: FloatArray) -> FloatArray:
    """``log(Phi(upper) - Phi(lower))`` for ``lower <= upper <= 0``."""
    from scipy import special

    log_upper = special.log_ndtr(upper)
    with np.errstate(invalid="ignore"):
        return np.asarray(
            log_upper + np.log(-np.expm1(special.log_ndtr(lower) - log_upper)), dtype=float
        )


# -- the estimator ------------------------------------------------------------------------------
class ParzenEstimator:
    """A weighted mixture of product kernels over the unit-cube encoding.

    Args:
        observations: Shape ``n x d``: one row per observation; numeric columns in ``[0, 1]``,
            categorical columns the index of the choice.
        weights: Shape ``n``: non-negative weights of the observations (normalized here, with
            the prior's ``prior_weight``).
        kinds: What each column is.
        options: The prior, bandwidth rule and clipping.

    Raises:
        ValueError: On mismatched shapes, or weights that are negative, not finite or all zero.

    Example:
        >>> kinds = ColumnKinds(np.array([0, 3]), np.array([False, False]))
        >>> est = ParzenEstimator(np.array([[0.5, 2.0]]), np.ones(1), kinds)
        >>> x = est.sample(np.random.default_rng(0), 4)
        >>> x.shape, bool(np.isin(x[:, 1], [0, 1, 2]).all())
        ((4, 2), True)
    """

    def __init__(
        self,
        observations: FloatArray,
        weights: FloatArray,
        kinds: ColumnKinds,
        options: ParzenOptions | None = None,
    ) -> None:
        options = options or ParzenOptions()
        d = len(kinds.n_choices)
        observations = np.asarray(observations, dtype=float).reshape(-1, d)
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (len(observations),):
            raise ValueError(
                f"weights must have shape ({len(observations)},); got {weights.shape}."
            )
        prior = options.consider_prior or len(observations) == 0
        self.kinds = kinds
        self.log_weights = _mixture_log_weights(weights, prior, options.prior_weight)
        self._num = kinds.numeric_columns
        self._cat = kinds.categorical_columns
        self._discrete = kinds.discrete[self._num]
        self.mus, self.sigmas = _numeric_kernels(
            observations[:, self._num], weights, prior, options
        )
        self._log_norm = log_gauss_mass(-self.mus / self.sigmas, (1.0 - self.mus) / self.sigmas)
        self._inv_sigma = 1.0 / self.sigmas
        log_coef = -(np.log(self.sigmas) + _LOG_SQRT_2PI + self._log_norm)  # (m, d_num)
        self._log_coef_sum = log_coef.sum(axis=1)  # (m,), for the joint density
        # Column-major copies (d_num x m) for the hot loops: contiguous over the m kernels.
        self._mus_t = np.ascontiguousarray(self.mus.T)
        self._half_inv_t = np.ascontiguousarray(self._inv_sigma.T) * math.sqrt(0.5)
        self._log_coef_t = np.ascontiguousarray(log_coef.T)
        self.log_probs = [
            _categorical_log_probs(observations[:, j], int(kinds.n_choices[j]), prior)
            for j in self._cat
        ]
        linear_weights = np.exp(self.log_weights)
        self._marginal_probs = [linear_weights @ np.exp(lp) for lp in self.log_probs]

    @property
    def n_components(self) -> int:
        """``m``: the number of kernels (observations, plus one with the prior)."""
        return len(self.log_weights)

    def log_pdf(
        self, x: FloatArray, cells: tuple[FloatArray, FloatArray] | None = None
    ) -> FloatArray:
        """Return the joint log density of each point (the log mass, in grid columns).

        Args:
            x: Shape ``k x d``: points in the encoding.
            cells: ``(lower, upper)``, each shape ``k x d``: the grid cell of each point, read
                in the discrete columns only. Without it, discrete columns use the density.

        Returns:
            Shape ``k``: ``log sum_i w_i prod_j K_ij(x_j)``.
        """
        x = np.asarray(x, dtype=float)
        grid = self._discrete & (cells is not None)
        terms = np.broadcast_to(self.log_weights, (len(x), self.n_components)).copy()
        if (~grid).any():
            terms += self._smooth_log_kernel_sum(x, ~grid)
        if cells is not None and grid.any():
            terms += self._grid_log_kernels(x, cells, grid).sum(axis=2)
        for j, log_probs in zip(self._cat, self.log_probs):
            terms += log_probs[:, x[:, j].astype(np.int64)].T
        return _logsumexp(terms, axis=1)

    def marginal_log_pdf(
        self, x: FloatArray, cells: tuple[FloatArray, FloatArray] | None = None
    ) -> FloatArray:
        """Return each column's marginal log density (the univariate TPE's ``log l(x_j)``).

        The marginal of a mixture of product kernels is the mixture of that column's kernels:
        ``log sum_i w_i K_ij(x_j)``. Arguments as in :meth:`log_pdf`.

        Returns:
            Shape ``k x d``.
        """
        x = np.asarray(x, dtype=float)
        grid = self._discrete & (cells is not None)
        out = np.empty(x.shape)
        if (~grid).any():
            out[:, self._num[~grid]] = self._smooth_marginal(x, ~grid)
        if cells is not None and grid.any():
            terms = self._grid_log_kernels(x, cells, grid) + self.log_weights[None, :, None]
            out[:, self._num[grid]] = _logsumexp(terms, axis=1)
        with np.errstate(divide="ignore"):
            for j, probs in zip(self._cat, self._marginal_probs):
                out[:, j] = np.log(probs[x[:, j].astype(np.int64)])
        return out

    def _half_squared_z(self, x: FloatArray, mask: BoolArray) -> FloatArray:
        """Shape ``d_s x k x m``: ``z^2 / 2`` of each point under each kernel, numeric ``mask``."""
        q = np.subtract(x[:, self._num[mask]].T[:, :, None], self._mus_t[mask][:, None, :])
        q *= self._half_inv_t[mask][:, None, :]
        squared: FloatArray = np.square(q, out=q)
        return squared

    def _smooth_log_kernel_sum(self, x: FloatArray, mask: BoolArray) -> FloatArray:
        """Shape ``k x m``: ``sum_j log K_ij(x_kj)`` over the numeric columns in ``mask``."""
        log_coef = self._log_coef_t[mask].sum(axis=0) if not mask.all() else self._log_coef_sum
        return np.asarray(log_coef - self._half_squared_z(x, mask).sum(axis=0), dtype=float)

    def _smooth_marginal(self, x: FloatArray, mask: BoolArray) -> FloatArray:
        """Shape ``k x d_s``: ``log sum_i w_i K_ij(x_kj)`` for the numeric columns in ``mask``.

        Summed in the linear domain, one ``exp`` per kernel and point, as a batched product
        with the weights. Where that underflows (no kernel near a point; the prior normally
        prevents it), the distances are shifted by the nearest kernel's first.
        """
        q = self._half_squared_z(x, mask)
        coef = np.exp(self._log_coef_t[mask] + self.log_weights)[:, :, None]  # d_s x m x 1
        np.negative(q, out=q)
        density = np.matmul(np.exp(q, out=q), coef)[..., 0]  # d_s x k
        shift = np.zeros_like(density)
        if not np.all(density > 0):
            q = self._half_squared_z(x, mask)
            shift = q.min(axis=2)
            density = np.matmul(np.exp(shift[..., None] - q), coef)[..., 0]
        with np.errstate(divide="ignore"):
            return np.asarray((np.log(density) - shift).T, dtype=float)

    def _grid_log_kernels(
        self, x: FloatArray, cells: tuple[FloatArray, FloatArray], mask: BoolArray
    ) -> FloatArray:
        """Shape ``k x m x d_g``: each kernel's log mass over each point's grid cell."""
        cols, mu, inv = self._num[mask], self.mus[:, mask], self._inv_sigma[:, mask]
        lower = (cells[0][:, None, cols] - mu) * inv
        upper = (cells[1][:, None, cols] - mu) * inv
        return log_gauss_mass(lower, upper) - self._log_norm[:, mask]

    def sample(
        self, rng: np.random.Generator, size: int, *, independent_columns: bool = False
    ) -> FloatArray:
        """Draw ``size`` points, shape ``size x d``.

        Each point picks a component by weight and draws every column from it; with
        ``independent_columns`` each column picks its own component, so that the columns are
        drawn from their marginals (the univariate TPE, one parameter at a time). Numeric
        columns are drawn continuously from the truncated normal (by its inverse CDF); a grid
        column's value falls in a cell with the cell's mass under the kernel.
        """
        d = len(self.kinds.n_choices)
        cumulative = np.cumsum(np.exp(self.log_weights))
        u = rng.random((size, d if independent_columns else 1)) * cumulative[-1]
        pick = np.minimum(np.searchsorted(cumulative, u, side="right"), self.n_components - 1)
        pick = np.broadcast_to(pick, (size, d))
        out = np.empty((size, d))
        if self._num.size:
            rows, cols = pick[:, self._num], np.arange(self._num.size)
            out[:, self._num] = _sample_truncated(
                rng, self.mus[rows, cols], self.sigmas[rows, cols], self._log_norm[rows, cols]
            )
        for j, log_probs in zip(self._cat, self.log_probs):
            cdf = np.cumsum(np.exp(log_probs[pick[:, j]]), axis=1)
            r = rng.random(size)[:, None] * cdf[:, -1:]
            out[:, j] = np.minimum((r >= cdf).sum(axis=1), log_probs.shape[1] - 1)
        return out


def _logsumexp(terms: FloatArray, axis: int) -> FloatArray:
    """``log sum exp`` of ``terms`` along ``axis``, stable (rows of ``-inf`` give ``-inf``)."""
    top = terms.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        total = np.log(np.exp(terms - top).sum(axis=axis))
    return np.asarray(total + np.squeeze(top, axis=axis), dtype=float)


def _mixture_log_weights(weights: FloatArray, prior: bool, prior_weight: float) -> FloatArray:
    """Shape ``m``: normalized log weights of the observations, then of the prior."""
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"Observation weights must be finite and >= 0; got {weights!r}.")
    full = np.append(weights, prior_weight) if prior else weights
    total = full.sum()
    if not total > 0:
        raise ValueError("The mixture weights sum to 0; give a positive weight or a prior.")
    with np.errstate(divide="ignore"):
        return np.asarray(np.log(full / total), dtype=float)


def _numeric_kernels(
    mus: FloatArray, weights: FloatArray, prior: bool, options: ParzenOptions
) -> tuple[FloatArray, FloatArray]:
    """Return ``(mus, sigmas)``, each shape ``m x d_num``, with the prior row last."""
    sigmas = _numeric_sigmas(mus, weights, prior, options)
    if prior:
        d = mus.shape[1]
        mus = np.vstack([mus, np.full((1, d), PRIOR_MU)])
        sigmas = np.vstack([sigmas, np.full((1, d), PRIOR_SIGMA)])
    return mus, sigmas


def _categorical_log_probs(observed: FloatArray, n_choices: int, prior: bool) -> FloatArray:
    """Shape ``m x C``: each component's log probabilities of the ``C`` choices."""
    n = len(observed)
    b = categorical_smoothing(n)
    probs = np.full((n + int(prior), n_choices), 1.0 / n_choices)
    probs[:n] *= b
    probs[np.arange(n), observed.astype(np.int64)] += 1.0 - b
    return np.asarray(np.log(probs), dtype=float)


def _sample_truncated(
    rng: np.random.Generator, mus: FloatArray, sigmas: FloatArray, log_norm: FloatArray
) -> FloatArray:
    """Draw from ``N(mus, sigmas^2)`` truncated to ``[0, 1]`` (shape of ``mus``) by inversion.

    ``mus`` lie in ``[0, 1]``, so the interval always holds the mode and ``Phi`` of its lower
    bound is at most 1/2: inverting through ``ndtri`` is accurate.
    """
    from scipy import special

    lower = special.ndtr(-mus / sigmas)
    u = lower + rng.random(mus.shape) * np.exp(log_norm)
    x = mus + sigmas * special.ndtri(np.clip(u, 0.0, 1.0))
    return np.asarray(np.clip(x, 0.0, 1.0), dtype=float)


def thin_kernels(
    positions: IntArray, weights: FloatArray, limit: int
) -> tuple[IntArray, FloatArray]:
    """Keep at most ``limit`` of weighted observations, each kept one with an equal share of
    the total weight (systematic sampling on the cumulative weights: deterministic, and each
    observation is kept about ``limit * weight / total`` times, so the mixture is unchanged in
    expectation). One kept several times is kept once, with the shares added up.

    Args:
        positions: The observations (any ids), in the order of ``weights``.
        weights: Their non-negative weights.
        limit: How many to keep at most.

    Returns:
        ``(kept positions, their weights)``, in the given order; the weights sum to the total.

    Example:
        >>> kept, w = thin_kernels(np.arange(6), np.array([0.0, 1, 1, 1, 1, 2]), 3)
        >>> kept.tolist(), w.tolist()
        ([2, 4, 5], [2.0, 2.0, 2.0])
    """
    if len(positions) <= limit:
        return positions, weights
    cumulative = np.cumsum(weights)
    total = float(cumulative[-1])
    if not total > 0.0:  # no weight to go by (the estimator rejects such weights anyway)
        even = np.unique(np.linspace(0, len(positions) - 1, limit).round().astype(np.int64))
        return positions[even], weights[even]
    targets = (np.arange(limit) + 0.5) * (total / limit)
    chosen = np.minimum(np.searchsorted(cumulative, targets, side="right"), len(positions) - 1)
    kept, counts = np.unique(chosen, return_counts=True)
    return positions[kept], counts.astype(float) * (total / limit)
