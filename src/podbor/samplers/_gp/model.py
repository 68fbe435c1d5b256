"""The Gaussian-process regression model: targets, hyper-parameters and the posterior.

Everything follows Rasmussen & Williams, *Gaussian Processes for Machine Learning* (GPML, 2006):

* the posterior mean and variance of the latent function at a query point (GPML Algorithm 2.1,
  eqs. 2.25–2.26), computed through a Cholesky factor ``K + σ_n² I = L Lᵀ``;
* the log marginal likelihood ``log p(y | X, θ) = -½ yᵀ K⁻¹ y - ½ log|K| - n/2 log 2π``
  (GPML eq. 2.30 / 5.8) and its gradient ``½ tr((α αᵀ - K⁻¹) ∂K/∂θ_i)`` with ``α = K⁻¹ y``
  (GPML eq. 5.9);
* the hyper-parameters as a maximum a posteriori estimate: the log marginal likelihood plus weak
  log-normal priors on every positive hyper-parameter, maximized by L-BFGS-B in log space with the
  analytic gradient and warm-started from the previous fit (Snoek et al., NeurIPS 2012, §3.2 discuss
  why point estimates are a reasonable, cheaper alternative to marginalizing them); on a long
  history the samplers fit them again only as it grows (``study_model.KernelFit``).

Targets are standardized first and always *maximized* here: the sampler flips the sign of a
minimized objective before calling :func:`standardize`. The sampler then warps them with a
Yeo-Johnson power transform (:func:`warp_targets`, as HEBO does: Cowen-Rivers et al., JAIR 2022),
so that a few disastrous values (a corner of Styblinski-Tang, a ridge of Rosenbrock) do not
flatten the differences among the good ones that the acquisition function must see.

Shapes: ``n`` training points, ``b`` query points, ``d`` encoded columns, ``p``/``q`` the numeric /
categorical columns, ``h = p + q + 2`` hyper-parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.linalg
import scipy.optimize
from scipy.linalg import lapack

from podbor._arrays import BoolArray, FloatArray
from podbor.logging import get_logger
from podbor.samplers._gp.kernels import (
    CrossCovariance,
    KernelParams,
    kernel_from_features,
    kernel_matrix,
)

__all__ = [
    "DETERMINISTIC_NOISE",
    "GaussianProcess",
    "IllConditionedError",
    "PairFeatures",
    "Standardization",
    "condition_or_default",
    "default_params",
    "fit_kernel_params",
    "hyper_prior",
    "log_posterior",
    "robust_cholesky",
    "standardize",
    "warp_targets",
    "yeo_johnson",
]

_logger = get_logger(__name__)

DETERMINISTIC_NOISE = 1e-6
"""Noise variance (in standardized units) fixed for a deterministic objective, and the lower
bound of the learned one: enough to keep the kernel matrix invertible with duplicate points."""

_LOG_2PI = math.log(2.0 * math.pi)
_JITTERS = (0.0, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2)
"""Relative jitter tried in turn on the diagonal until the Cholesky factorization succeeds."""

# Weak log-normal priors, as (mean, standard deviation) of the logarithm, and L-BFGS-B bounds of
# the logarithm. Lengthscales: the median grows like √d, as the typical distance between points
# of the unit cube does (Hvarfner, Hellsten & Nardi, ICML 2024, make the same argument).
_LENGTHSCALE_PRIOR_SD = 1.5
_LENGTHSCALE_BOUNDS = (math.log(5e-3), math.log(50.0))
_MISMATCH_PRIOR = (0.0, 1.5)
_MISMATCH_BOUNDS = (math.log(1e-3), math.log(50.0))
_SIGNAL_PRIOR = (0.0, 1.5)
_SIGNAL_BOUNDS = (math.log(1e-2), math.log(1e2))
_NOISE_PRIOR = (math.log(1e-2), 2.0)
_NOISE_BOUNDS = (math.log(DETERMINISTIC_NOISE), 0.0)


class IllConditionedError(np.linalg.LinAlgError):
    """The kernel matrix could not be factorized, even with the largest jitter."""


@dataclass(frozen=True)
class Standardization:
    """How raw targets were mapped to standardized ones: ``z = (y - mean) / scale``."""

    mean: float
    scale: float

    def to_raw(self, z: FloatArray) -> FloatArray:
        """Map standardized values back (any shape)."""
        return z * self.scale + self.mean


def standardize(y: FloatArray) -> tuple[FloatArray, Standardization]:
    """Clip infinite targets to the finite range, then centre and scale them.

    ``+inf`` becomes the largest finite value and ``-inf`` the smallest; when none is finite, or
    when all are equal, every standardized target is 0 (the GP then proposes by its variance).

    Args:
        y: Shape ``n``, raw targets (to maximize), possibly ±inf, never NaN.

    Returns:
        ``(z, how)``: standardized targets of shape ``n`` and the map that made them.

    Example:
        >>> z, how = standardize(np.array([1.0, 3.0, np.inf]))
        >>> z.round(3).tolist(), round(how.mean, 3)
        ([-1.414, 0.707, 0.707], 2.333)
    """
    y = np.asarray(y, dtype=float)
    finite = y[np.isfinite(y)]
    if finite.size == 0:
        return np.zeros_like(y), Standardization(0.0, 1.0)
    low, high = float(finite.min()), float(finite.max())
    half_span = high / 2 - low / 2  # halves: no overflow even for values near ±1.8e308
    if half_span <= 1e-12 * max(1.0, abs(low), abs(high)):
        return np.zeros_like(y), Standardization(float(finite.mean()), 1.0)
    unit = (np.clip(y, low, high) / 2 - low / 2) / half_span  # in [0, 1]
    mean, std = float(unit.mean()), float(unit.std())
    how = Standardization(low + 2 * half_span * mean, 2 * half_span * std)
    return (unit - mean) / std, how


_YJ_LAMBDA_BOUNDS = (-3.0, 5.0)


def yeo_johnson(z: FloatArray, lam: float) -> FloatArray:
    """The Yeo-Johnson power transform (Yeo & Johnson, Biometrika 2000) of ``z`` with ``lam``.

    Monotone increasing for every ``lam``, so that the best target stays the best.

    Example:
        >>> yeo_johnson(np.array([-1.0, 0.0, 3.0]), 1.0).tolist()
        [-1.0, 0.0, 3.0]
    """
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    zp, zn = z[pos], -z[~pos]
    if abs(lam) < 1e-8:
        out[pos] = np.log1p(zp)
    else:
        out[pos] = np.expm1(lam * np.log1p(zp)) / lam
    if abs(lam - 2.0) < 1e-8:
        out[~pos] = -np.log1p(zn)
    else:
        out[~pos] = -np.expm1((2.0 - lam) * np.log1p(zn)) / (2.0 - lam)
    return out


def _yeo_johnson_nll(lam: float, z: FloatArray, log_jacobian_base: float) -> float:
    w = yeo_johnson(z, lam)
    var = float(np.var(w))
    if not var > 0 or not math.isfinite(var):
        return math.inf
    return 0.5 * z.size * math.log(var) - (lam - 1.0) * log_jacobian_base


def warp_targets(z: FloatArray) -> FloatArray:
    """Make standardized targets closer to normal, keeping their order: a Yeo-Johnson transform
    whose ``λ`` maximizes the normal likelihood of the result, then standardized again.

    A GP with a stationary kernel assumes targets that vary alike everywhere; objectives whose
    bad regions are orders of magnitude worse than the good ones (quartic walls, ridges, a loss
    that explodes) break that. With fewer than 4 distinct targets the input is returned as is.

    Args:
        z: Shape ``n``, standardized targets (to maximize), finite.

    Returns:
        Shape ``n``: warped targets with mean 0 and standard deviation 1, in the same order.

    Example:
        >>> z = np.array([-3.0, -0.2, 0.1, 0.4, 0.6, 0.8])  # one disaster among good values
        >>> w = warp_targets(z)
        >>> bool(np.all(np.diff(w) > 0)), bool(w[1] - w[0] < z[1] - z[0])
        (True, True)
    """
    z = np.asarray(z, dtype=float)
    if np.unique(z).size < 4:
        return z
    base = float(np.sum(np.sign(z) * np.log1p(np.abs(z))))
    found = scipy.optimize.minimize_scalar(
        _yeo_johnson_nll, bounds=_YJ_LAMBDA_BOUNDS, args=(z, base), method="bounded"
    )
    w = yeo_johnson(z, float(found.x))
    std = float(w.std())
    if not math.isfinite(std) or std <= 0:
        return z
    warped: FloatArray = (w - w.mean()) / std
    return warped


def default_params(is_categorical: BoolArray, *, noise_var: float | None = None) -> KernelParams:
    """The prior medians of the hyper-parameters: the first start of every fit.

    Args:
        is_categorical: Shape ``d``, which columns are categorical.
        noise_var: A fixed noise variance, or None for the prior median.
    """
    p = int(np.count_nonzero(~is_categorical))
    q = is_categorical.size - p
    return KernelParams(
        lengthscales=np.full(p, math.exp(_lengthscale_prior_mean(is_categorical.size))),
        mismatch=np.full(q, math.exp(_MISMATCH_PRIOR[0])),
        signal_var=math.exp(_SIGNAL_PRIOR[0]),
        noise_var=math.exp(_NOISE_PRIOR[0]) if noise_var is None else noise_var,
    )


def _lengthscale_prior_mean(d: int) -> float:
    return math.log(0.5) + 0.5 * math.log(max(d, 1))


def hyper_prior(
    is_categorical: BoolArray,
) -> tuple[FloatArray, FloatArray, list[tuple[float, float]]]:
    """The weak priors and the bounds of the log hyper-parameters ``[log ℓ, log θ, log σ_f², log σ_n²]``.

    Args:
        is_categorical: Shape ``d``, which columns are categorical.

    Returns:
        ``(means, sds, bounds)``: the Gaussian priors' means and standard deviations (each of shape
        ``h``) and one ``(low, high)`` pair per log hyper-parameter for L-BFGS-B.
    """
    d = is_categorical.size
    p = int(np.count_nonzero(~is_categorical))
    q = d - p
    means = [_lengthscale_prior_mean(d)] * p + [_MISMATCH_PRIOR[0]] * q
    sds = [_LENGTHSCALE_PRIOR_SD] * p + [_MISMATCH_PRIOR[1]] * q
    means += [_SIGNAL_PRIOR[0], _NOISE_PRIOR[0]]
    sds += [_SIGNAL_PRIOR[1], _NOISE_PRIOR[1]]
    bounds = [_LENGTHSCALE_BOUNDS] * p + [_MISMATCH_BOUNDS] * q + [_SIGNAL_BOUNDS, _NOISE_BOUNDS]
    return np.array(means), np.array(sds), bounds


def robust_cholesky(k: FloatArray) -> FloatArray:
    """Lower Cholesky factor of a symmetric matrix, adding a growing jitter to the diagonal.

    Args:
        k: Shape ``n x n``, symmetric, meant to be positive definite.

    Returns:
        Shape ``n x n``, lower triangular ``L`` with ``L Lᵀ = k + jitter I``.

    Raises:
        IllConditionedError: If ``k`` is not finite or no jitter up to 1e-2 × its mean diagonal
            makes it positive definite.
    """
    if not np.all(np.isfinite(k)):
        raise IllConditionedError("The kernel matrix has non-finite entries.")
    scale = float(np.mean(np.diag(k))) if k.size else 1.0
    diag = np.diag_indices(k.shape[0])
    for jitter in _JITTERS:
        shifted = np.array(k, dtype=np.float64)
        shifted[diag] += jitter * scale
        chol, info = lapack.dpotrf(shifted, lower=1, clean=1, overwrite_a=1)
        if info == 0:
            return np.asarray(chol, dtype=np.float64)
    raise IllConditionedError("The kernel matrix is not positive definite, even with jitter.")


def _inverse_from_cholesky(chol: FloatArray, *, symmetric: bool = True) -> FloatArray:
    """``(L Lᵀ)⁻¹`` from the lower factor ``L`` (``n x n``), by LAPACK's ``potri``.

    With ``symmetric=False`` only the lower triangle and the diagonal of the result are valid.
    """
    inverse, info = lapack.dpotri(chol, lower=1)
    if info != 0:
        raise IllConditionedError("The Cholesky factor is singular.")
    if symmetric:
        inverse = np.tril(inverse) + np.tril(inverse, -1).T
    return np.asarray(inverse, dtype=np.float64)


@dataclass(frozen=True)
class PairFeatures:
    """Pairwise features of the training points below the diagonal, computed once per fit.

    The kernel matrix is symmetric and its diagonal is ``σ_f²`` (no features there), so the
    ``m = n (n - 1) / 2`` pairs ``a > b`` (in row-major order, as a boolean mask selects them)
    carry everything; LAPACK's Cholesky routines read only this lower triangle.
    """

    sq: FloatArray  # m x p
    mis: FloatArray  # m x q
    lower: BoolArray  # n x n, strictly lower triangle
    n: int

    @classmethod
    def of(cls, x: FloatArray, is_categorical: BoolArray) -> PairFeatures:
        n = x.shape[0]
        a, b = np.tril_indices(n, -1)
        num, cat = ~is_categorical, is_categorical
        diff = x[a][:, num] - x[b][:, num]
        mis = (np.abs(x[a][:, cat] - x[b][:, cat]) > 1e-9).astype(float)
        return cls(diff * diff, mis, np.tri(n, k=-1, dtype=bool), n)


def _neg_log_posterior(
    theta: FloatArray, feats: PairFeatures, y: FloatArray, prior: tuple[FloatArray, FloatArray]
) -> tuple[float, FloatArray]:
    """Negative log marginal likelihood plus log prior, and its gradient in ``theta`` (h)."""
    value, grad = log_posterior(theta, feats, y, prior)
    return -value, -grad


def log_posterior(
    theta: FloatArray, feats: PairFeatures, y: FloatArray, prior: tuple[FloatArray, FloatArray]
) -> tuple[float, FloatArray]:
    """Log marginal likelihood (GPML eq. 2.30) plus the log prior, with the gradient (eq. 5.9).

    Sums over the symmetric ``n x n`` matrices run over the lower triangle only:
    ``Σ_ab W_ab D_ab = 2 Σ_{a>b} W_ab D_ab + Σ_a W_aa D_aa``, where the diagonal of every
    lengthscale and mismatch derivative ``D`` is zero.

    Args:
        theta: Shape ``h``, the log hyper-parameters ``[log ℓ, log θ, log σ_f², log σ_n²]``.
        feats: Pairwise features of the ``n`` training points.
        y: Shape ``n``, standardized targets.
        prior: Means and standard deviations (each of shape ``h``) of the Gaussian priors on
            ``theta``.

    Returns:
        ``(value, grad)``; ``grad`` has shape ``h``. ``(-inf, 0)`` when the kernel matrix cannot be
        factorized.
    """
    params = KernelParams.from_log_vector(theta, feats.sq.shape[1])
    k_low, g_low = kernel_from_features(feats.sq, feats.mis, params)  # K and ∂K/∂r², m each
    k = np.zeros((feats.n, feats.n))
    k[feats.lower] = k_low
    np.fill_diagonal(k, params.signal_var + params.noise_var)
    try:
        chol = robust_cholesky(k)
        k_inv = _inverse_from_cholesky(chol, symmetric=False)  # lower triangle only
    except IllConditionedError:
        return -math.inf, np.zeros_like(theta)
    alpha = scipy.linalg.cho_solve((chol, True), y, check_finite=False)
    lml = -0.5 * y @ alpha - np.log(np.diag(chol)).sum() - 0.5 * feats.n * _LOG_2PI
    # GPML eq. 5.9: ∂/∂θ = ½ tr(W ∂K/∂θ) with W = α αᵀ - K⁻¹.
    w_low = np.outer(alpha, alpha)[feats.lower] - k_inv[feats.lower]
    w_diag_sum = alpha @ alpha - np.trace(k_inv)
    grad = np.concatenate(
        [
            -2.0 * ((w_low * g_low) @ feats.sq) / params.lengthscales**2,  # ∂r²/∂log ℓ = -2 sq/ℓ²
            -params.mismatch * ((w_low * k_low) @ feats.mis),  # ∂K/∂log θ_c = -θ_c mis_c K
            [
                w_low @ k_low + 0.5 * params.signal_var * w_diag_sum,  # ∂K/∂log σ_f² = K_signal
                0.5 * params.noise_var * w_diag_sum,  # ∂K/∂log σ_n² = σ_n² I
            ],
        ]
    )
    mean, sd = prior
    log_prior = -0.5 * np.sum(((theta - mean) / sd) ** 2)
    return float(lml + log_prior), grad - (theta - mean) / sd**2


def fit_kernel_params(
    x: FloatArray,
    y: FloatArray,
    is_categorical: BoolArray,
    *,
    initial: KernelParams | None = None,
    fixed_noise: float | None = None,
    max_iter: int = 200,
) -> KernelParams:
    """Maximum a posteriori hyper-parameters by L-BFGS-B, warm-started from ``initial``.

    The search starts from whichever of ``initial`` and :func:`default_params` has the higher
    log posterior. When the optimizer fails, the best starting point is returned: a fit never
    raises on a degenerate history.

    Args:
        x: Shape ``n x d``, encoded training points.
        y: Shape ``n``, standardized targets.
        is_categorical: Shape ``d``, which columns are categorical.
        initial: The previous fit on the same columns, or None.
        fixed_noise: Keep the noise variance at this value (a deterministic objective).
        max_iter: L-BFGS-B iteration limit.

    Returns:
        The fitted hyper-parameters.
    """
    p = int(np.count_nonzero(~is_categorical))
    mean, sd, bounds = hyper_prior(is_categorical)
    if fixed_noise is not None:
        bounds[-1] = (math.log(fixed_noise), math.log(fixed_noise))
    feats = PairFeatures.of(x, is_categorical)
    starts = [default_params(is_categorical, noise_var=fixed_noise)]
    if initial is not None and initial.lengthscales.size == p:
        starts.append(initial)
    lo, hi = np.array(bounds).T
    thetas = [np.clip(s.to_log_vector(), lo, hi) for s in starts]
    values = [log_posterior(t, feats, y, (mean, sd))[0] for t in thetas]
    best = thetas[int(np.argmax(values))]
    try:
        result = scipy.optimize.minimize(
            _neg_log_posterior,
            best,
            args=(feats, y, (mean, sd)),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter},
        )
        if np.all(np.isfinite(result.x)) and np.isfinite(result.fun) and -result.fun >= max(values):
            best = result.x
    except (ValueError, np.linalg.LinAlgError):
        pass
    return KernelParams.from_log_vector(best, p)


@dataclass(frozen=True)
class GaussianProcess:
    """A GP conditioned on training data: the posterior of the latent function (zero prior mean).

    Build it with :meth:`condition`. Predictions are of the latent function, without noise.

    Attributes:
        x_train: Shape ``n x d``, encoded training points.
        y_train: Shape ``n``, standardized targets.
        is_categorical: Shape ``d``, which columns are categorical.
        params: The kernel hyper-parameters.
        chol: Shape ``n x n``, lower Cholesky factor of ``K + σ_n² I`` (with jitter if needed).
        alpha: Shape ``n``, ``(K + σ_n² I)⁻¹ y``.
        chol_inv: Shape ``n x n``, ``L⁻¹``, so that variances are one matrix product.

    Example:
        >>> x = np.array([[0.1], [0.5], [0.9]])
        >>> params = KernelParams(np.array([0.3]), np.zeros(0), 1.0, 1e-8)
        >>> gp = GaussianProcess.condition(x, np.array([0.0, 1.0, 0.0]), np.array([False]), params)
        >>> mean, var = gp.predict(x)
        >>> mean.round(4).tolist(), bool(np.all(var < 1e-6))
        ([0.0, 1.0, 0.0], True)
    """

    x_train: FloatArray
    y_train: FloatArray
    is_categorical: BoolArray
    params: KernelParams
    chol: FloatArray
    alpha: FloatArray
    chol_inv: FloatArray

    @classmethod
    def condition(
        cls, x: FloatArray, y: FloatArray, is_categorical: BoolArray, params: KernelParams
    ) -> GaussianProcess:
        """Condition the prior on ``(x, y)`` (GPML Algorithm 2.1, lines 2–3).

        Args:
            x: Shape ``n x d``, encoded training points.
            y: Shape ``n``, standardized targets.
            is_categorical: Shape ``d``, which columns are categorical.
            params: The kernel hyper-parameters.

        Raises:
            IllConditionedError: If the kernel matrix cannot be factorized even with jitter.
        """
        k = kernel_matrix(x, x, is_categorical, params) + params.noise_var * np.eye(x.shape[0])
        chol = robust_cholesky(k)
        chol_inv = scipy.linalg.solve_triangular(chol, np.eye(x.shape[0]), lower=True)
        alpha = chol_inv.T @ (chol_inv @ y)
        return cls(x, y, is_categorical, params, chol, alpha, chol_inv)

    def predict(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Posterior mean and variance of the latent function (GPML eqs. 2.25–2.26).

        Args:
            x: Shape ``b x d``, query points.

        Returns:
            ``(mean, var)``, each of shape ``b``; ``var`` is clipped at 0.
        """
        k = self._cross.kernel(x)  # b x n
        v = k @ self.chol_inv.T  # rows are L⁻¹ k(x)
        return k @ self.alpha, np.maximum(self.params.signal_var - np.sum(v * v, axis=1), 0.0)

    def predict_with_grad(
        self, x: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Posterior mean and variance with their gradients with respect to the query point.

        Args:
            x: Shape ``b x d``, query points.

        Returns:
            ``(mean, var, dmean, dvar)``: ``mean`` and ``var`` of shape ``b``, ``dmean`` and
            ``dvar`` of shape ``b x d`` (zero in categorical columns). Where the variance is
            clipped at 0 its gradient is 0.
        """
        k, dk_dr2 = self._cross.kernel_with_r2_grad(x)
        v = k @ self.chol_inv.T  # b x n
        var = self.params.signal_var - np.sum(v * v, axis=1)
        k_inv_k = v @ self.chol_inv  # b x n, rows are K⁻¹ k(x)
        # dμ = Σ_i α_i ∂k_i/∂x and dσ² = -2 Σ_i (K⁻¹k)_i ∂k_i/∂x, both through ∂k/∂r².
        weights = np.empty((2, *k.shape))
        np.multiply(dk_dr2, self.alpha, out=weights[0])
        np.multiply(-2.0 * dk_dr2, k_inv_k, out=weights[1])
        dmean, dvar = self._cross.input_grads(x, weights)
        clipped = var <= 0.0
        dvar[clipped] = 0.0
        return k @ self.alpha, np.maximum(var, 0.0), dmean, dvar

    @cached_property
    def _cross(self) -> CrossCovariance:
        """The training side of every cross-covariance, prepared once per posterior."""
        return CrossCovariance.of(self.x_train, self.is_categorical, self.params)

    def joint(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Joint posterior of the latent function at several points (for sample paths).

        Args:
            x: Shape ``b x d``, query points.

        Returns:
            ``(mean, cov)`` of shapes ``b`` and ``b x b``.
        """
        k = self._cross.kernel(x)
        v = k @ self.chol_inv.T
        prior = kernel_matrix(x, x, self.is_categorical, self.params)
        return k @ self.alpha, prior - v @ v.T


def condition_or_default(
    x: FloatArray,
    z: FloatArray,
    is_categorical: BoolArray,
    params: KernelParams,
    noise: float | None,
) -> GaussianProcess:
    """:meth:`GaussianProcess.condition` with ``params``, or with the prior medians (and the
    noise ``noise``, when fixed) if the fitted kernel is ill-conditioned, with a warning: a fit
    that went wrong must not stop the study."""
    try:
        return GaussianProcess.condition(x, z, is_categorical, params)
    except IllConditionedError:
        _logger.warning(
            "GPSampler: the fitted kernel is ill-conditioned; using default hyper-parameters."
        )
        return GaussianProcess.condition(
            x, z, is_categorical, default_params(is_categorical, noise_var=noise)
        )
