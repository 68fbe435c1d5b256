"""Covariance functions of the GP on the unit-cube encoding: Matérn-5/2 ARD times a mismatch kernel.

For two encoded points ``x`` and ``x'`` (see :mod:`podbor._search_space`) the covariance is

.. math::

    k(x, x') = \\sigma_f^2 \\; m_{5/2}(r) \\; \\exp\\Big(-\\sum_{c} \\theta_c [x_c \\ne x'_c]\\Big),
    \\qquad r^2 = \\sum_{j} \\frac{(x_j - x'_j)^2}{\\ell_j^2},

where ``j`` runs over the numeric columns (floats, ints and stepped floats; log-scale parameters
are already in log space in the encoding) and ``c`` over the categorical columns.

* ``m_{5/2}(r) = (1 + \\sqrt5 r + 5 r^2 / 3) \\exp(-\\sqrt5 r)`` is the Matérn covariance with
  ν = 5/2 (Rasmussen & Williams, *Gaussian Processes for Machine Learning*, 2006, eq. 4.17), with
  one lengthscale per dimension (automatic relevance determination, GPML eq. 5.2). Snoek, Larochelle
  & Adams (NeurIPS 2012, §3.1) argue for it over the squared exponential in Bayesian optimization:
  twice differentiable sample paths, not infinitely smooth ones.
* ``exp(-θ [a ≠ b])`` is a kernel on the categories of one column: its Gram matrix over distinct
  categories is ``(1 - e^{-θ}) I + e^{-θ} 1 1ᵀ``, positive definite for ``θ > 0``, so the product
  is a valid kernel (GPML §4.2.4). Categories are never rounded from a continuous relaxation:
  two points either share a category or they do not.

The functions here are plain numpy on arrays; the shapes are stated in each docstring
(``n``, ``m``: numbers of points; ``d``: encoded columns; ``p``: numeric columns; ``q``: categorical
columns, ``p + q = d``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from podbor._arrays import BoolArray, FloatArray

__all__ = [
    "KernelParams",
    "kernel_from_features",
    "kernel_matrix",
    "kernel_with_r2_grad",
    "matern52",
    "matern52_grad_r2",
    "matern52_with_grad",
    "pairwise_features",
    "weighted_input_grad",
]


_SQRT5 = math.sqrt(5.0)
_MISMATCH_TOL = 1e-9
"""Two categorical encodings further apart than this are different categories."""


@dataclass(frozen=True)
class KernelParams:
    """The kernel's hyper-parameters, all positive.

    Attributes:
        lengthscales: Shape ``p``: one ARD lengthscale per numeric column.
        mismatch: Shape ``q``: the rate θ of each categorical column's ``exp(-θ [a ≠ b])``.
        signal_var: σ_f², the prior variance of the latent function.
        noise_var: σ_n², the variance of the observation noise.
    """

    lengthscales: FloatArray
    mismatch: FloatArray
    signal_var: float
    noise_var: float

    def to_log_vector(self) -> FloatArray:
        """Return ``[log ℓ (p), log θ (q), log σ_f², log σ_n²]``, shape ``p + q + 2``."""
        values = np.concatenate(
            [self.lengthscales, self.mismatch, [self.signal_var, self.noise_var]]
        )
        return np.log(values.astype(np.float64))

    @classmethod
    def from_log_vector(cls, theta: FloatArray, n_numeric: int) -> KernelParams:
        """Inverse of :meth:`to_log_vector` (``theta`` has shape ``p + q + 2``)."""
        values = np.exp(np.asarray(theta, dtype=float))
        return cls(
            lengthscales=values[:n_numeric],
            mismatch=values[n_numeric:-2],
            signal_var=float(values[-2]),
            noise_var=float(values[-1]),
        )


def matern52(r2: FloatArray) -> FloatArray:
    """Matérn-5/2 correlation as a function of the squared scaled distance (GPML eq. 4.17).

    Args:
        r2: Squared distances ``r²``, any shape.

    Returns:
        ``(1 + √5 r + 5 r² / 3) exp(-√5 r)``, the shape of ``r2``.
    """
    r = np.sqrt(np.maximum(r2, 0.0))
    return (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * np.exp(-_SQRT5 * r)


def matern52_grad_r2(r2: FloatArray) -> FloatArray:
    """Derivative of :func:`matern52` with respect to ``r²``: ``-(5/6)(1 + √5 r) exp(-√5 r)``.

    Finite at ``r = 0`` (unlike the derivative with respect to ``r``), which is why the kernel is
    differentiated through ``r²``.

    Args:
        r2: Squared distances ``r²``, any shape.

    Returns:
        ``d m_{5/2} / d r²``, the shape of ``r2``.
    """
    r = np.sqrt(np.maximum(r2, 0.0))
    return -(5.0 / 6.0) * (1.0 + _SQRT5 * r) * np.exp(-_SQRT5 * r)


def pairwise_features(
    x1: FloatArray, x2: FloatArray, is_categorical: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """Per-column squared differences and category mismatches of every pair of points.

    Args:
        x1: Shape ``n x d``, encoded points.
        x2: Shape ``m x d``, encoded points.
        is_categorical: Shape ``d``, which columns are categorical.

    Returns:
        ``(sq, mis)``: ``sq`` of shape ``n x m x p`` holds ``(x1_j - x2_j)²`` over the numeric
        columns, ``mis`` of shape ``n x m x q`` holds ``[x1_c ≠ x2_c]`` (0.0 or 1.0) over the
        categorical ones.
    """
    num, cat = ~is_categorical, is_categorical
    diff = x1[:, None, num] - x2[None, :, num]
    mis = np.abs(x1[:, None, cat] - x2[None, :, cat]) > _MISMATCH_TOL
    return diff * diff, mis.astype(float)


def matern52_with_grad(r2: FloatArray) -> tuple[FloatArray, FloatArray]:
    """:func:`matern52` and :func:`matern52_grad_r2` together, sharing one exponential."""
    r = np.sqrt(np.maximum(r2, 0.0))
    e = np.exp(-_SQRT5 * r)
    return (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * e, -(5.0 / 6.0) * (1.0 + _SQRT5 * r) * e


def kernel_from_features(
    sq: FloatArray, mis: FloatArray, params: KernelParams
) -> tuple[FloatArray, FloatArray]:
    """The covariance and its derivative in ``r²``, from the features of :func:`pairwise_features`.

    Args:
        sq: Shape ``n x m x p`` (or ``n·m x p``), squared differences of the numeric columns.
        mis: Shape ``n x m x q`` (or ``n·m x q``), mismatches of the categorical columns.
        params: The hyper-parameters.

    Returns:
        ``(k, dk_dr2)``, each of shape ``n x m`` (or ``n·m``): the covariance without noise, and
        ``∂k/∂r² = σ_f² m'_{5/2}(r²) exp(-Σ θ_c mis_c)``, from which every lengthscale and input
        gradient follows by the chain rule.
    """
    r2 = sq @ (1.0 / params.lengthscales**2)
    scaled_cat = params.signal_var * np.exp(-(mis @ params.mismatch))
    m, dm = matern52_with_grad(r2)
    return m * scaled_cat, dm * scaled_cat


def _r2_and_scale(
    x1: FloatArray, x2: FloatArray, is_categorical: BoolArray, params: KernelParams
) -> tuple[FloatArray, FloatArray | float]:
    """``r²`` of every pair (``n x m``) and ``σ_f² exp(-Σ θ_c [x1_c ≠ x2_c])`` (``n x m``, or the
    scalar ``σ_f²`` without categorical columns)."""
    if params.mismatch.size:
        num = ~is_categorical
        a, b = x1[:, num] / params.lengthscales, x2[:, num] / params.lengthscales
    else:
        a, b = x1 / params.lengthscales, x2 / params.lengthscales
    # ‖a - b‖² = ‖a‖² + ‖b‖² - 2 a·b: one matrix product instead of an n x m x p array.
    r2 = np.einsum("ij,ij->i", a, a)[:, None] + np.einsum("ij,ij->i", b, b)[None, :] - 2.0 * a @ b.T
    np.maximum(r2, 0.0, out=r2)
    if not params.mismatch.size:
        return r2, params.signal_var
    rate = np.zeros_like(r2)
    for theta, j in zip(params.mismatch, np.flatnonzero(is_categorical)):
        rate += theta * (np.abs(x1[:, j, None] - x2[None, :, j]) > _MISMATCH_TOL)
    return r2, params.signal_var * np.exp(-rate)


def kernel_matrix(
    x1: FloatArray, x2: FloatArray, is_categorical: BoolArray, params: KernelParams
) -> FloatArray:
    """The covariance ``k(x1_i, x2_j)`` of every pair (without the noise term).

    Args:
        x1: Shape ``n x d``, encoded points.
        x2: Shape ``m x d``, encoded points.
        is_categorical: Shape ``d``, which columns are categorical.
        params: The hyper-parameters.

    Returns:
        Shape ``n x m``.

    Example:
        >>> x = np.array([[0.2, 0.25], [0.2, 0.75]])
        >>> params = KernelParams(np.array([0.5]), np.array([1.0]), 2.0, 1e-6)
        >>> kernel_matrix(x, x, np.array([False, True]), params).round(4).tolist()
        [[2.0, 0.7358], [0.7358, 2.0]]
    """
    r2, scale = _r2_and_scale(x1, x2, is_categorical, params)
    k: FloatArray = matern52(r2) * scale
    return k


def kernel_with_r2_grad(
    x: FloatArray, x_train: FloatArray, is_categorical: BoolArray, params: KernelParams
) -> tuple[FloatArray, FloatArray]:
    """Cross-covariances of query points with the training points, and their derivative in ``r²``.

    With :func:`weighted_input_grad` this gives any weighted sum of the input gradients
    ``∂k(x_a, x_train_i) / ∂x_a`` in ``O(b n d)`` matrix products, without the ``b x n x d``
    array of every single gradient (the acquisition's refinement calls this dozens of times
    per proposal).

    Args:
        x: Shape ``b x d``, the query points.
        x_train: Shape ``n x d``, the training points.
        is_categorical, params: As for :func:`kernel_matrix`.

    Returns:
        ``(k, dk_dr2)``, each of shape ``b x n``.
    """
    r2, scale = _r2_and_scale(x, x_train, is_categorical, params)
    m, dm = matern52_with_grad(r2)
    return m * scale, dm * scale


def weighted_input_grad(
    x: FloatArray,
    x_train: FloatArray,
    is_categorical: BoolArray,
    params: KernelParams,
    weights: FloatArray,
) -> FloatArray:
    """``Σ_i weights[a, i] ∂r²(x_a, x_train_i) / ∂x_a``, shape ``b x d``.

    Since ``∂r²/∂x_j = 2 (x_j - x'_j) / ℓ_j²``, the sum is
    ``2 / ℓ_j² (x_aj Σ_i w_ai - Σ_i w_ai x'_ij)``: one matrix product. With ``weights = c ∘
    dk_dr2`` (from :func:`kernel_with_r2_grad`) it is ``Σ_i c_ai ∂k(x_a, x_train_i) / ∂x_a``.
    Categorical columns get 0: they are optimized by enumeration, never by gradient.

    Args:
        x: Shape ``b x d``, the query points.
        x_train: Shape ``n x d``, the training points.
        is_categorical, params: As for :func:`kernel_matrix`.
        weights: Shape ``b x n``.
    """
    scale = 2.0 / params.lengthscales**2
    if not params.mismatch.size:
        full: FloatArray = scale * (x * weights.sum(axis=1)[:, None] - weights @ x_train)
        return full
    num = ~is_categorical
    grad = np.zeros(x.shape)
    grad[:, num] = scale * (x[:, num] * weights.sum(axis=1)[:, None] - weights @ x_train[:, num])
    return grad
