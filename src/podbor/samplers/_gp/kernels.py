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
    "CrossCovariance",
    "KernelParams",
    "kernel_from_features",
    "kernel_matrix",
    "matern52",
    "matern52_grad_r2",
    "matern52_with_grad",
    "pairwise_features",
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
    e = np.multiply(r, -_SQRT5)  # in place from here: the candidates' arrays are large
    np.exp(e, out=e)
    r *= _SQRT5
    r += 1.0
    r += (5.0 / 3.0) * r2
    r *= e
    return np.asarray(r, dtype=float)


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
    """:func:`matern52` and :func:`matern52_grad_r2` together, sharing one exponential (computed
    in place: the refinement calls it dozens of times per proposal)."""
    r = np.sqrt(np.maximum(r2, 0.0))
    e = np.multiply(r, -_SQRT5)
    np.exp(e, out=e)
    lin = r  # 1 + √5 r, in place of r
    lin *= _SQRT5
    lin += 1.0
    value = r2 * (5.0 / 3.0)
    value += lin
    value *= e
    lin *= -5.0 / 6.0
    lin *= e
    return value, lin


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


@dataclass(frozen=True)
class CrossCovariance:
    """Covariances of query points with one fixed set of training points, the training side
    prepared once.

    The acquisition's refinement asks for the same training set's cross-covariances dozens of
    times per proposal; scaling the training points by the lengthscales and taking their squared
    norms once spares those passes on every call.

    Build it with :meth:`of`. Shapes: ``b`` query points, ``n`` training points.

    Example:
        >>> params = KernelParams(np.array([0.5]), np.zeros(0), 2.0, 1e-6)
        >>> side = CrossCovariance.of(np.array([[0.0], [1.0]]), np.array([False]), params)
        >>> side.kernel(np.array([[0.0]])).round(4).tolist()
        [[2.0, 0.2773]]
    """

    params: KernelParams
    is_categorical: BoolArray
    scaled: FloatArray
    """Shape ``n x p``: the numeric columns of the training points over their lengthscales."""
    norms: FloatArray
    """Shape ``n``: the squared norms of :attr:`scaled`."""
    numeric: FloatArray
    """Shape ``n x p``: the numeric columns of the training points."""
    categories: FloatArray
    """Shape ``n x q``: the categorical columns of the training points."""

    @classmethod
    def of(
        cls, x_train: FloatArray, is_categorical: BoolArray, params: KernelParams
    ) -> CrossCovariance:
        """Prepare the training points ``x_train`` (``n x d``) for :attr:`params`."""
        has_cat = bool(params.mismatch.size)
        numeric = x_train[:, ~is_categorical] if has_cat else x_train
        scaled = numeric / params.lengthscales
        return cls(
            params,
            is_categorical,
            scaled,
            np.einsum("ij,ij->i", scaled, scaled),
            numeric,
            x_train[:, is_categorical] if has_cat else x_train[:, :0],
        )

    def r2_and_scale(self, x: FloatArray) -> tuple[FloatArray, FloatArray | float]:
        """``r²`` of every pair (``b x n``) and ``σ_f² exp(-Σ θ_c [x_c ≠ x'_c])`` (``b x n``, or
        the scalar ``σ_f²`` without categorical columns)."""
        params = self.params
        if params.mismatch.size:
            a = x[:, ~self.is_categorical] / params.lengthscales
        else:
            a = x / params.lengthscales
        # ‖a - b‖² = ‖a‖² + ‖b‖² - 2 a·b: one matrix product instead of a b x n x p array.
        r2 = np.einsum("ij,ij->i", a, a)[:, None] + self.norms[None, :]
        r2 -= (2.0 * a) @ self.scaled.T
        np.maximum(r2, 0.0, out=r2)
        if not params.mismatch.size:
            return r2, params.signal_var
        rate = np.zeros_like(r2)
        query = x[:, self.is_categorical]
        for c, theta in enumerate(params.mismatch):
            rate += theta * (
                np.abs(query[:, c, None] - self.categories[None, :, c]) > _MISMATCH_TOL
            )
        return r2, params.signal_var * np.exp(-rate)

    def kernel(self, x: FloatArray) -> FloatArray:
        """The covariance of every query point (``b x d``) with every training point: ``b x n``."""
        r2, scale = self.r2_and_scale(x)
        k: FloatArray = matern52(r2) * scale
        return k

    def kernel_with_r2_grad(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``(k, ∂k/∂r²)`` of every query point (``b x d``) with every training point, each
        ``b x n``: :func:`matern52_with_grad` times the scale. With :meth:`input_grads` this gives
        any weighted sum of the input gradients ``∂k(x_a, x_train_i) / ∂x_a`` in ``O(b n d)``
        matrix products, without the ``b x n x d`` array of every single gradient."""
        r2, scale = self.r2_and_scale(x)
        k, dk = matern52_with_grad(r2)
        k *= scale
        dk *= scale
        return k, dk

    def input_grads(self, x: FloatArray, weights: FloatArray) -> FloatArray:
        """``Σ_i weights[s, a, i] ∂r²(x_a, x_train_i) / ∂x_a`` for every stack ``s``:
        ``s x b x d`` from ``weights`` of shape ``s x b x n``.

        Since ``∂r²/∂x_j = 2 (x_j - x'_j) / ℓ_j²``, the sum is ``2 / ℓ_j² (x_aj Σ_i w_ai -
        Σ_i w_ai x'_ij)``: one matrix product. With ``weights = c ∘ dk_dr2`` (from
        :meth:`kernel_with_r2_grad`) it is ``Σ_i c_ai ∂k(x_a, x_train_i) / ∂x_a``. Categorical
        columns get 0: they are optimized by enumeration, never by gradient.
        """
        s, b, n = weights.shape
        flat = weights.reshape(s * b, n)
        total = flat.sum(axis=1).reshape(s, b, 1)
        pulled = (flat @ self.numeric).reshape(s, b, -1)
        scale = 2.0 / self.params.lengthscales**2
        if not self.params.mismatch.size:
            full: FloatArray = scale * (x[None] * total - pulled)
            return full
        num = ~self.is_categorical
        grad = np.zeros((s, *x.shape))
        grad[:, :, num] = scale * (x[None][:, :, num] * total - pulled)
        return grad


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
    return CrossCovariance.of(x2, is_categorical, params).kernel(x1)
