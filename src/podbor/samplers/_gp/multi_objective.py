"""Acquisitions of a GP over several objectives: log-EHVI, and random Chebyshev scalarizations.

**Log expected hypervolume improvement.** Every objective ``k`` of ``m`` has its own GP (on its
standardized, maximized target), and the objectives are taken as independent given ``x``. The
*hypervolume improvement* of a new point ``y`` over the current Pareto front ``P`` (all
maximized) and a reference point ``r`` that every point of the front dominates is the volume of
the region that ``y`` dominates, ``r`` bounds and no point of ``P`` dominates.

That region — above ``r`` and outside what ``P`` dominates — splits into disjoint axis-aligned
boxes ``[l_j, u_j]`` (:func:`non_dominated_boxes`; the upper corners may be ``+inf``), and then
``HVI(y) = Σ_j Π_k max(0, min(y_k, u_jk) - l_jk)``. With independent Gaussian objectives
``y_k ~ N(μ_k, σ_k²)`` the expectation of each product is the product of expectations, so the
expected improvement is exact and analytic (Yang, Emmerich, Deutz & Bäck, "Efficient computation
of expected hypervolume improvement using box decomposition algorithms", J. Global Optim. 2019):

    EHVI(x) = Σ_j Π_k ψ(l_jk, u_jk, μ_k(x), σ_k(x)),
    ψ(l, u, μ, σ) = E[clip(y, l, u) - l] = σ (h(a) - h(b)),  a = (μ - l)/σ,  b = (μ - u)/σ,

with ``h(z) = z Φ(z) + φ(z)`` as in expected improvement. The acquisition is its logarithm,
computed from ``log h`` (:func:`~podbor.samplers._gp.acquisition.log_h`) and a log-sum-exp over
the boxes, so that it keeps a useful gradient far from the front, where EHVI underflows (the
argument of Ament et al., NeurIPS 2023, for log-EI). Its partial derivatives are
``∂ψ/∂μ = Φ(a) - Φ(b)`` and ``∂ψ/∂σ = φ(a) - φ(b)``.

The boxes come from the grid that the front's coordinates draw: a cell is dominated exactly when
some front point dominates its upper corner, and along the last objective the free cells of a
column of the grid form one interval up to ``+inf`` — one box per column of the other ``m - 1``
objectives, then neighbouring columns with the same interval merge. That is ``n + 1`` boxes for
two objectives and at most ``(n + 1)²`` for three; fronts whose grid would exceed
``MAX_GRID_CELLS`` are thinned to an evenly spread subset first (an approximation, stated in
:func:`non_dominated_boxes`).

**Random Chebyshev scalarizations** (ParEGO, Knowles, IEEE Trans. Evol. Comput. 2006). With
the reference point drawn from the data, hypervolume rewards the extremes of the front: a point
that is best in some objectives and poor in the others dominates a slab as wide as the whole
observed range, so on problems whose objectives can reach their optimum on a face of the search
space (DTLZ2's) log-EHVI spends most trials on the faces. :func:`chebyshev_scalarization` maps
the objectives, normalized to ``[0, 1]`` over the observations, to one target for a weight
vector drawn uniformly from the simplex; a point poor in any objective with weight scores
poorly, whatever its others. :class:`~podbor.samplers.GPSampler` alternates the two.

Shapes: ``b`` query points, ``d`` columns, ``m`` objectives, ``B`` boxes, ``n`` front points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from podbor._arrays import FloatArray
from podbor._hypervolume import pareto_mask
from podbor.samplers._gp.acquisition import log_h
from podbor.samplers._gp.model import GaussianProcess

__all__ = [
    "CHEBYSHEV_RHO",
    "MAX_GRID_CELLS",
    "LogEHVI",
    "chebyshev_scalarization",
    "log_box_expectation",
    "non_dominated_boxes",
    "pareto_front",
    "reference_point",
]

MAX_GRID_CELLS = 40_000
"""The largest grid (over the first ``m - 1`` objectives) :func:`non_dominated_boxes` builds."""
_MIN_VAR = 1e-18
_CHUNK = 1_000_000
"""Query points are processed in chunks of at most this many ``point × box × objective`` values."""
_REFERENCE_MARGIN = 0.1
CHEBYSHEV_RHO = 0.05
"""The weight of the sum in the augmented Chebyshev scalarization (ParEGO's value)."""


def pareto_front(targets: FloatArray) -> FloatArray:
    """The distinct rows of ``targets`` (``n x m``, maximized) that no other row dominates.

    Example:
        >>> pareto_front(np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.2, 0.2]])).tolist()
        [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]
    """
    finite = targets[np.all(np.isfinite(targets), axis=1)]
    if finite.size == 0:
        return finite
    front = np.unique(finite[pareto_mask(-finite)], axis=0)
    return np.asarray(front, dtype=float)


def chebyshev_scalarization(targets: FloatArray, weights: FloatArray) -> FloatArray:
    """One maximized target per row of ``targets`` (``n x m``, maximized) for ``weights`` (``m``).

    Each objective is normalized to ``[0, 1]`` over the finite rows (1 the best), and a row
    scores ``-(max_k w_k d_k + ρ Σ_k w_k d_k)`` with ``d_k = 1 - normalized_k`` its distance
    from the best observed value and ``ρ = CHEBYSHEV_RHO``; infinite values count as the worst
    (or best) finite ones.

    Example:
        >>> targets = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6]])
        >>> chebyshev_scalarization(targets, np.array([0.5, 0.5])).round(3).tolist()
        [-0.525, -0.525, -0.22]
    """
    clipped = np.empty_like(targets)
    for k in range(targets.shape[1]):
        column = targets[:, k]
        finite = column[np.isfinite(column)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
        clipped[:, k] = (np.clip(column, low, high) - low) / max(high - low, 1e-12)
    distance = weights * (1.0 - clipped)
    scalarized: FloatArray = -(distance.max(axis=1) + CHEBYSHEV_RHO * distance.sum(axis=1))
    return scalarized


def reference_point(targets: FloatArray) -> FloatArray:
    """A reference point every finite row of ``targets`` (``n x m``, maximized) dominates.

    Per objective, the worst finite value less a tenth of the finite range (at least 0.1: the
    targets are standardized, so the unit is one standard deviation).

    Example:
        >>> reference_point(np.array([[0.0, 1.0], [1.0, 0.0]])).tolist()
        [-0.1, -0.1]
    """
    m = targets.shape[1]
    ref = np.empty(m)
    for k in range(m):
        column = targets[:, k][np.isfinite(targets[:, k])]
        low, high = (float(column.min()), float(column.max())) if column.size else (0.0, 0.0)
        ref[k] = low - max(_REFERENCE_MARGIN * (high - low), _REFERENCE_MARGIN)
    return ref


def _thinned(front: FloatArray, m: int) -> FloatArray:
    """At most ``MAX_GRID_CELLS ** (1 / (m - 1)) - 1`` points of ``front``, evenly spread."""
    keep = max(int(MAX_GRID_CELLS ** (1.0 / max(m - 1, 1))) - 1, 1)
    if len(front) <= keep:
        return front
    order = np.lexsort(front.T[::-1])
    picks = np.unique(np.linspace(0, len(front) - 1, keep).round().astype(int))
    thinned: FloatArray = front[order[picks]]
    return thinned


def non_dominated_boxes(front: FloatArray, ref: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Disjoint boxes that cover the region above ``ref`` that no point of ``front`` dominates.

    Args:
        front: Shape ``n x m``, maximized points (dominated ones are harmless; points that do
            not dominate ``ref`` are ignored).
        ref: Shape ``m``, the reference point.

    Returns:
        ``(lower, upper)``, each ``B x m``; ``upper`` may hold ``+inf``. When the grid of the
        front's first ``m - 1`` coordinates would have more than :data:`MAX_GRID_CELLS` cells,
        the boxes are those of an evenly spread subset of the front (so they also cover some of
        the region the dropped points dominate).

    Example:
        >>> lower, upper = non_dominated_boxes(np.array([[1.0, 2.0], [2.0, 1.0]]), np.zeros(2))
        >>> lower.tolist(), upper.tolist()
        ([[0.0, 2.0], [1.0, 1.0], [2.0, 0.0]], [[1.0, inf], [2.0, inf], [inf, inf]])
    """
    front = np.asarray(front, dtype=float)
    ref = np.asarray(ref, dtype=float)
    m = ref.size
    front = front[np.all(front > ref, axis=1)] if front.size else front.reshape(0, m)
    if len(front):
        front = _thinned(pareto_front(front), m)
    if m == 1:
        best = float(front[:, 0].max()) if len(front) else float(ref[0])
        return np.array([[best]]), np.array([[np.inf]])
    # Grid lines of the first m - 1 objectives: the reference, every front coordinate, +inf.
    lines = [np.concatenate([[ref[k]], np.unique(front[:, k]), [np.inf]]) for k in range(m - 1)]
    lo = np.stack([c.ravel() for c in np.meshgrid(*[v[:-1] for v in lines], indexing="ij")], 1)
    hi = np.stack([c.ravel() for c in np.meshgrid(*[v[1:] for v in lines], indexing="ij")], 1)
    # Per column, the free interval of the last objective starts at the largest last coordinate
    # of the front points that dominate the column's upper corner (the reference if none).
    start = np.full(len(lo), ref[m - 1])
    if len(front):
        dominates = np.all(front[None, :, : m - 1] >= hi[:, None, :], axis=2)
        start = np.max(np.where(dominates, front[None, :, m - 1], ref[m - 1]), axis=1)
    lo, hi, start = _merge_last_axis(lo, hi, start, len(lines[-1]) - 1)
    lower = np.column_stack([lo, start])
    upper = np.column_stack([hi, np.full(len(hi), np.inf)])
    return lower, upper


def _merge_last_axis(
    lo: FloatArray, hi: FloatArray, start: FloatArray, width: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Merge neighbouring cells along the grid's last axis (``width`` cells) with one ``start``."""
    rows = len(lo) // width
    grid_start = start.reshape(rows, width)
    first = np.ones((rows, width), dtype=bool)
    first[:, 1:] = grid_start[:, 1:] != grid_start[:, :-1]
    last = np.ones((rows, width), dtype=bool)
    last[:, :-1] = first[:, 1:]
    merged_hi = hi[first.ravel()].copy()
    merged_hi[:, -1] = hi[last.ravel()][:, -1]  # only the last axis spans several cells
    return lo[first.ravel()], merged_hi, start[first.ravel()]


def log_box_expectation(
    lower: FloatArray, upper: FloatArray, mean: FloatArray, std: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``log ψ`` with ``ψ = E[clip(y, l, u) - l]`` for ``y ~ N(μ, σ²)``, and its partials.

    All arguments broadcast together (``l < u``, ``u`` may be ``+inf``, ``σ > 0``).

    Returns:
        ``(log ψ, ∂ log ψ / ∂μ, ∂ log ψ / ∂σ)``.

    Example:
        >>> value, _, _ = log_box_expectation(np.array(0.0), np.array(np.inf), np.array(0.0),
        ...                                   np.array(1.0))
        >>> round(float(np.exp(value)), 6)  # E[max(y, 0)] = φ(0)
        0.398942
    """
    lower, upper, mean, std = np.broadcast_arrays(lower, upper, mean, std)
    a = (mean - lower) / std
    bounded = np.isfinite(upper)
    b = np.where(bounded, (mean - np.where(bounded, upper, 0.0)) / std, -np.inf)
    log_ha, _ = log_h(a.ravel())
    log_ha = log_ha.reshape(a.shape)
    log_hb = np.full(a.shape, -np.inf)
    if bounded.any():
        log_hb[bounded] = log_h(b[bounded])[0]
    with np.errstate(divide="ignore"):
        ratio = np.minimum(log_hb - log_ha, -1e-300)
        value = np.log(std) + log_ha + np.log(-np.expm1(ratio))
    log_phi_a = -0.5 * a * a - 0.5 * math.log(2 * math.pi)
    log_phi_b = np.where(bounded, -0.5 * np.where(bounded, b, 0.0) ** 2, -np.inf)
    log_phi_b = log_phi_b - 0.5 * math.log(2 * math.pi)
    d_mean = np.exp(special.log_ndtr(a) - value) - np.exp(special.log_ndtr(b) - value)
    d_std = np.exp(log_phi_a - value) - np.exp(log_phi_b - value)
    return value, d_mean, d_std


@dataclass(frozen=True)
class LogEHVI:
    """``log EHVI(x)`` over disjoint boxes of the non-dominated region, and its gradient.

    Attributes:
        models: One conditioned GP per objective (standardized, maximized targets).
        lower: Shape ``B x m``, the boxes' lower corners.
        upper: Shape ``B x m``, their upper corners (``+inf`` allowed).

    Example:
        >>> from podbor.samplers._gp.kernels import KernelParams
        >>> params = KernelParams(np.array([0.3]), np.zeros(0), 1.0, 1e-6)
        >>> x = np.array([[0.1], [0.9]])
        >>> gps = tuple(GaussianProcess.condition(x, y, np.array([False]), params)
        ...             for y in (np.array([1.0, -1.0]), np.array([-1.0, 1.0])))
        >>> front = np.array([[1.0, -1.0], [-1.0, 1.0]])
        >>> acq = LogEHVI.of(gps, front, np.array([-1.5, -1.5]))
        >>> values = acq.value(np.array([[0.1], [0.5]]))
        >>> bool(values[1] > values[0])  # the middle is unexplored; the ends are on the front
        True
    """

    models: tuple[GaussianProcess, ...]
    lower: FloatArray
    upper: FloatArray

    @classmethod
    def of(cls, models: tuple[GaussianProcess, ...], front: FloatArray, ref: FloatArray) -> LogEHVI:
        """The acquisition of ``models`` against ``front`` (``n x m``) and ``ref`` (``m``)."""
        lower, upper = non_dominated_boxes(front, ref)
        return cls(models, lower, upper)

    def _chunks(self, b: int) -> list[slice]:
        size = max(_CHUNK // max(self.lower.size, 1), 1)
        return [slice(i, min(i + size, b)) for i in range(0, b, size)]

    def _log_terms(
        self, mean: FloatArray, std: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per point, box and objective: ``log ψ`` and its partials (each ``b x B x m``)."""
        return log_box_expectation(
            self.lower[None], self.upper[None], mean[:, None, :], std[:, None, :]
        )

    def value(self, x: FloatArray) -> FloatArray:
        """``log EHVI`` at ``x`` (``b x d``); shape ``b``."""
        out = np.empty(len(x))
        for part in self._chunks(len(x)):
            moments = [model.predict(x[part]) for model in self.models]
            mean = np.stack([mu for mu, _ in moments], axis=1)
            std = np.sqrt(np.maximum(np.stack([var for _, var in moments], axis=1), _MIN_VAR))
            log_psi = self._log_terms(mean, std)[0]
            out[part] = special.logsumexp(log_psi.sum(axis=2), axis=1)
        return out

    def value_and_grad(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``log EHVI`` at ``x`` (``b x d``) and its gradient in ``x`` (``b x d``)."""
        values, grads = np.empty(len(x)), np.zeros(x.shape)
        for part in self._chunks(len(x)):
            xs = x[part]
            moments = [model.predict_with_grad(xs) for model in self.models]
            mean = np.stack([mo[0] for mo in moments], axis=1)
            var = np.stack([mo[1] for mo in moments], axis=1)
            std = np.sqrt(np.maximum(var, _MIN_VAR))
            log_psi, d_mean, d_std = self._log_terms(mean, std)
            per_box = log_psi.sum(axis=2)  # b x B
            total = special.logsumexp(per_box, axis=1)
            weights = np.exp(per_box - total[:, None])  # softmax over the boxes
            values[part] = total
            for k, (_, var_k, dmean_k, dvar_k) in enumerate(moments):
                g_mean = np.sum(weights * d_mean[:, :, k], axis=1)
                g_std = np.sum(weights * d_std[:, :, k], axis=1)
                floored = var_k <= _MIN_VAR
                dstd = np.where(floored[:, None], 0.0, dvar_k / (2.0 * std[:, k, None]))
                grads[part] += g_mean[:, None] * dmean_k + g_std[:, None] * dstd
        return values, grads
