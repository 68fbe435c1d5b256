"""Acquisition functions: how good it would be to evaluate the objective at a point next.

All are written for *maximizing* a standardized target with a GP posterior ``N(μ(x), σ²(x))`` and
the incumbent ``f*`` (the best standardized target so far); ``z = (μ - f*) / σ``, ``φ`` and ``Φ``
are the standard normal density and distribution function.

* **UCB**, ``μ + β σ``, as the seminar writes it: exploitation (μ) plus β times exploration (σ).
  Srinivas, Krause, Kakade & Seeger (ICML 2010, "Gaussian process optimization in the bandit
  setting", Theorems 1–2) write it ``μ + β_t^{1/2} σ`` and prove no-regret for
  ``β_t = 2 log(t^{d/2+2} π² / (3δ))`` (the form of their Theorem 2 for a compact ``d``-dimensional
  domain, as Brochu, Cora & de Freitas, arXiv:1012.2599, §2.3, quote it), and scale it down by a
  factor of 5 in their experiments (§6). The default here is that practical choice:
  ``β = sqrt(β_t / 5)`` with ``δ = 0.1`` and ``t`` the number of observations (see
  :func:`ucb_beta`).
* **EI**, the expected improvement ``E[max(f - f*, 0)] = σ h(z)`` with ``h(z) = z Φ(z) + φ(z)``
  (Jones, Schonlau & Welch, J. Global Optim. 1998, eq. 15; Snoek et al., NeurIPS 2012, eq. 2).
* **log-EI**, ``log σ + log h(z)`` computed without underflow: far in the tail EI rounds to 0 and
  its gradient vanishes, which leaves a gradient optimizer stranded on flat regions. Ament, Daulton,
  Eriksson, Balandat & Bakshy (NeurIPS 2023, "Unexpected improvements to expected improvement for
  Bayesian optimization", eq. 9) evaluate ``log h`` through the scaled complementary error function
  ``erfcx``; here, for ``z < -1``,
  ``log h(z) = log φ(z) + log(1 + z R(z))`` with the Mills ratio ``R(z) = Φ(z)/φ(z) =
  sqrt(π/2) erfcx(-z/√2)``, and for ``z < -10³`` the asymptotic series
  ``h(z) = φ(z) z⁻² (1 - 3 z⁻² + 15 z⁻⁴ - …)`` (Abramowitz & Stegun 7.1.23), so that log-EI and its
  gradient (which grows like ``|z| / σ``) stay finite and informative arbitrarily far out.
* **PI**, the probability of improvement ``Φ(z)`` (Kushner 1964), in log form ``log Φ(z)`` through
  ``scipy.special.log_ndtr``.
* **Constraints** ``c_k(x) <= 0``, each with its own GP on ``-c_k`` standardized (feasible where the
  standardized target is >= ``t_k``): the log probability of feasibility
  ``Σ_k log Φ((μ_k - t_k) / σ_k)``, the constraints taken as independent (Gardner, Kusner, Xu,
  Weinberger & Cunningham, ICML 2014, "Bayesian optimization with inequality constraints", eq. 5;
  Gelbart, Snoek & Adams, UAI 2014), added to log-EI over the best *feasible* target, or alone
  while no trial is feasible (:class:`ConstrainedAcquisition`).

Each function returns the value and its partial derivatives with respect to ``μ`` and ``σ``;
:class:`Acquisition` chains them with the posterior's input gradients. Arrays have shape ``b``
(one entry per query point) unless stated otherwise.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from podbor._arrays import FloatArray
from podbor.samplers._gp.model import GaussianProcess
from podbor.samplers._gp.optimize import AcquisitionFunction

__all__ = [
    "ACQUISITIONS",
    "Acquisition",
    "ConstrainedAcquisition",
    "Feasibility",
    "expected_improvement",
    "log_expected_improvement",
    "log_h",
    "log_probability_of_improvement",
    "ucb_beta",
    "upper_confidence_bound",
]

ACQUISITIONS = ("logei", "ei", "pi", "ucb")
"""The acquisition functions :class:`Acquisition` knows, by name."""

_MIN_VAR = 1e-18
"""Posterior variances are floored here, so that ``z`` stays finite at observed points."""
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
_TAIL = -1.0
_FAR_TAIL = -1e3

Partials = tuple[FloatArray, FloatArray, FloatArray]
"""``(value, ∂value/∂μ, ∂value/∂σ)``, each of shape ``b``."""


def log_h(z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``log h(z)`` for ``h(z) = z Φ(z) + φ(z)``, and its derivative ``Φ(z) / h(z)``, stably.

    Args:
        z: Shape ``b``.

    Returns:
        ``(log_h, dlog_h)``, each of shape ``b``; both finite for every finite ``z``.

    Example:
        >>> value, slope = log_h(np.array([0.0, -40.0, -1e6]))
        >>> np.isfinite(value).all() and bool(np.all(slope > 0))
        True
    """
    z = np.asarray(z, dtype=float)
    if z.size and z.min() >= _TAIL:  # all near: no masks (the optimizer's usual case)
        cdf = special.ndtr(z)
        h = z * cdf + np.exp(-0.5 * z * z - _LOG_SQRT_2PI)
        return np.log(h), cdf / h
    if z.size and z.min() >= _FAR_TAIL:  # near and middle only: both rules, one select
        zn, zm = np.maximum(z, _TAIL), np.minimum(z, _TAIL)
        cdf = special.ndtr(zn)
        h = zn * cdf + np.exp(-0.5 * zn * zn - _LOG_SQRT_2PI)
        mills = _SQRT_HALF_PI * special.erfcx(-zm / math.sqrt(2.0))  # R(z) = Φ(z) / φ(z)
        g = 1.0 + zm * mills  # h(z) / φ(z)
        near = z >= _TAIL
        value = np.where(near, np.log(h), -0.5 * zm * zm - _LOG_SQRT_2PI + np.log(g))
        return value, np.where(near, cdf / h, mills / g)
    value, slope = np.empty_like(z), np.empty_like(z)
    near, far = z >= _TAIL, z < _FAR_TAIL
    mid = ~near & ~far
    zn = z[near]
    cdf = special.ndtr(zn)
    h = zn * cdf + np.exp(-0.5 * zn * zn - _LOG_SQRT_2PI)
    value[near], slope[near] = np.log(h), cdf / h
    zm = z[mid]
    mills = _SQRT_HALF_PI * special.erfcx(-zm / math.sqrt(2.0))  # R(z) = Φ(z) / φ(z)
    g = 1.0 + zm * mills  # h(z) / φ(z)
    value[mid] = -0.5 * zm * zm - _LOG_SQRT_2PI + np.log(g)
    slope[mid] = mills / g
    zf = z[far]
    u = 1.0 / (zf * zf)
    value[far] = -0.5 * zf * zf - _LOG_SQRT_2PI - np.log(-zf) * 2.0 + np.log1p(-3 * u + 15 * u * u)
    slope[far] = -zf * (1.0 - u + 3.0 * u * u) / (1.0 - 3.0 * u + 15.0 * u * u)
    return value, slope


def expected_improvement(mean: FloatArray, std: FloatArray, best: float) -> Partials:
    """EI ``σ h(z)`` (Jones et al. 1998, eq. 15) with ``∂/∂μ = Φ(z)`` and ``∂/∂σ = φ(z)``.

    Example:
        >>> value, _, _ = expected_improvement(np.array([0.0]), np.array([1.0]), 0.0)
        >>> round(float(value[0]), 6)  # φ(0)
        0.398942
    """
    z = (mean - best) / std
    cdf, pdf = special.ndtr(z), np.exp(-0.5 * z * z - _LOG_SQRT_2PI)
    return np.maximum(std * (z * cdf + pdf), 0.0), cdf, pdf


def log_expected_improvement(mean: FloatArray, std: FloatArray, best: float) -> Partials:
    """log-EI ``log σ + log h(z)`` (Ament et al. 2023, eq. 9), finite far into the tail."""
    z = (mean - best) / std
    value, slope = log_h(z)
    return np.log(std) + value, slope / std, (1.0 - slope * z) / std


def log_probability_of_improvement(mean: FloatArray, std: FloatArray, best: float) -> Partials:
    """``log Φ(z)`` with ``∂/∂μ = λ(z)/σ`` and ``∂/∂σ = -z λ(z)/σ``, ``λ = φ/Φ`` computed in logs."""
    z = (mean - best) / std
    log_cdf = special.log_ndtr(z)
    ratio = np.exp(-0.5 * z * z - _LOG_SQRT_2PI - log_cdf)  # φ(z) / Φ(z), no 0/0
    return log_cdf, ratio / std, -z * ratio / std


def upper_confidence_bound(mean: FloatArray, std: FloatArray, beta: float) -> Partials:
    """UCB ``μ + β σ`` as the seminar writes it; ``β = 0`` is the posterior mean.

    Example:
        >>> value, _, _ = upper_confidence_bound(np.array([1.0]), np.array([0.5]), 2.0)
        >>> value.tolist()
        [2.0]
    """
    return mean + beta * std, np.ones_like(mean), np.full_like(std, beta)


def ucb_beta(n_observations: int, n_dims: int, *, delta: float = 0.1) -> float:
    """The default UCB multiplier ``β`` of ``σ``: ``sqrt(β_t / 5)`` after Srinivas et al. (2010).

    ``β_t = 2 log(t^{d/2+2} π² / (3δ))`` (Theorem 2, as quoted by Brochu et al. 2010, §2.3),
    scaled down by 5 as in Srinivas et al.'s experiments, with ``t = max(n_observations, 1)``.

    Example:
        >>> round(ucb_beta(10, 1), 3), round(ucb_beta(50, 4), 3)
        (1.924, 2.767)
    """
    t = max(n_observations, 1)
    beta_t = 2.0 * ((n_dims / 2.0 + 2.0) * math.log(t) + math.log(math.pi**2 / (3.0 * delta)))
    return math.sqrt(max(beta_t, 0.0) / 5.0)


@dataclass(frozen=True)
class Acquisition:
    """An acquisition function of a fitted GP, as a function of the encoded input.

    Attributes:
        model: The conditioned GP (standardized, maximized target).
        kind: One of :data:`ACQUISITIONS`.
        best: The incumbent ``f*`` (EI, log-EI, PI).
        beta: The multiplier of ``σ`` (UCB).

    Example:
        >>> from podbor.samplers._gp.kernels import KernelParams
        >>> params = KernelParams(np.array([0.3]), np.zeros(0), 1.0, 1e-6)
        >>> gp = GaussianProcess.condition(np.array([[0.2], [0.8]]), np.array([0.0, 1.0]),
        ...                                np.array([False]), params)
        >>> acq = Acquisition(gp, "ucb", best=1.0, beta=0.0)
        >>> bool(np.allclose(acq.value(np.array([[0.5]])), gp.predict(np.array([[0.5]]))[0]))
        True
    """

    model: GaussianProcess
    kind: str
    best: float
    beta: float = 0.0

    def _partials(self, mean: FloatArray, std: FloatArray) -> Partials:
        if self.kind == "logei":
            return log_expected_improvement(mean, std, self.best)
        if self.kind == "ei":
            return expected_improvement(mean, std, self.best)
        if self.kind == "pi":
            return log_probability_of_improvement(mean, std, self.best)
        if self.kind == "ucb":
            return upper_confidence_bound(mean, std, self.beta)
        raise ValueError(f"Unknown acquisition {self.kind!r}; known: {ACQUISITIONS}.")

    def value(self, x: FloatArray) -> FloatArray:
        """The acquisition at ``x`` (shape ``b x d``); shape ``b``."""
        mean, var = self.model.predict(x)
        return self._partials(mean, np.sqrt(np.maximum(var, _MIN_VAR)))[0]

    def value_and_grad(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The acquisition at ``x`` (shape ``b x d``) and its gradient in ``x`` (shape ``b x d``)."""
        mean, var, dmean, dvar = self.model.predict_with_grad(x)
        floored = var <= _MIN_VAR
        std = np.sqrt(np.maximum(var, _MIN_VAR))
        dstd = np.where(floored[:, None], 0.0, dvar / (2.0 * std[:, None]))
        value, d_mean, d_std = self._partials(mean, std)
        return value, d_mean[:, None] * dmean + d_std[:, None] * dstd


@dataclass(frozen=True)
class Feasibility:
    """The log probability that every constraint holds, ``Σ_k log Φ((μ_k(x) - t_k) / σ_k(x))``.

    Attributes:
        models: One conditioned GP per constraint ``k``, on the standardized ``-c_k`` (larger is
            more feasible).
        thresholds: ``t_k``, the standardized value of ``c_k = 0``: feasible where the GP's
            target is >= ``t_k``. Same length as ``models``.

    Example:
        >>> from podbor.samplers._gp.kernels import KernelParams
        >>> params = KernelParams(np.array([0.3]), np.zeros(0), 1.0, 1e-6)
        >>> gp = GaussianProcess.condition(np.array([[0.2], [0.8]]), np.array([-1.0, 1.0]),
        ...                                np.array([False]), params)
        >>> log_pof = Feasibility((gp,), (0.0,)).value(np.array([[0.2], [0.8]]))
        >>> bool(log_pof[0] < np.log(0.01) < np.log(0.99) < log_pof[1])
        True
    """

    models: tuple[GaussianProcess, ...]
    thresholds: tuple[float, ...]

    def value(self, x: FloatArray) -> FloatArray:
        """``log P(feasible)`` at ``x`` (shape ``b x d``); shape ``b``."""
        total = np.zeros(len(x))
        for model, threshold in zip(self.models, self.thresholds):
            mean, var = model.predict(x)
            std = np.sqrt(np.maximum(var, _MIN_VAR))
            total += log_probability_of_improvement(mean, std, threshold)[0]
        return total

    def value_and_grad(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``log P(feasible)`` at ``x`` (``b x d``) and its gradient in ``x`` (``b x d``)."""
        total, grad = np.zeros(len(x)), np.zeros(x.shape)
        for model, threshold in zip(self.models, self.thresholds):
            log_pof = functools.partial(log_probability_of_improvement, best=threshold)
            value, d_x = _chain(model, x, log_pof)
            total += value
            grad += d_x
        return total, grad


def _chain(
    model: GaussianProcess, x: FloatArray, partials: Callable[[FloatArray, FloatArray], Partials]
) -> tuple[FloatArray, FloatArray]:
    """A function of ``(μ, σ)`` at ``x`` (``b x d``) and its gradient in ``x``, by the chain rule."""
    mean, var, dmean, dvar = model.predict_with_grad(x)
    floored = var <= _MIN_VAR
    std = np.sqrt(np.maximum(var, _MIN_VAR))
    dstd = np.where(floored[:, None], 0.0, dvar / (2.0 * std[:, None]))
    value, d_mean, d_std = partials(mean, std)
    return value, d_mean[:, None] * dmean + d_std[:, None] * dstd


@dataclass(frozen=True)
class ConstrainedAcquisition:
    """``objective(x) + log P(feasible at x)``: a log acquisition weighted by feasibility.

    Attributes:
        objective: The log acquisition of the objective(s) (log-EI over the best feasible
            target, or log-EHVI over the feasible front), or None while no trial is feasible:
            then only the probability of feasibility counts.
        feasibility: The constraints' models.

    Example:
        >>> from podbor.samplers._gp.kernels import KernelParams
        >>> params = KernelParams(np.array([0.3]), np.zeros(0), 1.0, 1e-6)
        >>> gp = GaussianProcess.condition(np.array([[0.2], [0.8]]), np.array([-1.0, 1.0]),
        ...                                np.array([False]), params)
        >>> acq = ConstrainedAcquisition(None, Feasibility((gp,), (0.0,)))
        >>> values = acq.value(np.array([[0.2], [0.8]]))
        >>> bool(values[1] > values[0])
        True
    """

    objective: AcquisitionFunction | None
    feasibility: Feasibility

    def value(self, x: FloatArray) -> FloatArray:
        """The acquisition at ``x`` (shape ``b x d``); shape ``b``."""
        total = self.feasibility.value(x)
        if self.objective is not None:
            total = total + self.objective.value(x)
        return total

    def value_and_grad(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The acquisition at ``x`` (shape ``b x d``) and its gradient in ``x`` (shape ``b x d``)."""
        value, grad = self.feasibility.value_and_grad(x)
        if self.objective is not None:
            objective_value, objective_grad = self.objective.value_and_grad(x)
            value, grad = value + objective_value, grad + objective_grad
        return value, grad
