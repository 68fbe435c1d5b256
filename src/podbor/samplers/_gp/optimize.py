"""Maximizing an acquisition function over the unit cube, with continuous and discrete columns.

The recipe of Snoek et al. (NeurIPS 2012) and most GP-BO systems since:

1. **Candidates.** Scrambled Sobol points (Owen scrambling, ``scipy.stats.qmc.Sobol``) cover the
   cube evenly; every discrete column is snapped onto its grid, and a few given points (the best
   observations) join them. The acquisition is evaluated on all of them at once.
2. **Continuous refinement.** The best few become starts of L-BFGS-B over the continuous columns
   (and discrete columns with too many values to enumerate, relaxed and snapped afterwards). The
   starts are independent, so one L-BFGS-B run on the *sum* of their objectives (a block-separable
   problem whose gradient is the stacked gradients) refines them all in one vectorized call.
3. **Discrete local search.** Coordinate-wise over the discrete columns: each column of each
   point is set to every value of its grid (or to its nearest grid neighbours when there are many)
   and the best is kept; then the continuous columns are refined once more.
4. **Choice.** The best point that is not excluded (already evaluated, for a deterministic
   objective — compared after snapping, i.e. after decoding) wins.

Shapes: ``b`` points, ``d`` columns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import scipy.optimize
from scipy.stats import qmc

from podbor._arrays import BoolArray, FloatArray

__all__ = [
    "HIGH_DIM",
    "AcquisitionFunction",
    "SearchDims",
    "maximize_acquisition",
    "same_point_keys",
    "search_budget",
]

_ENUMERATE_MAX = 32
"""A discrete column with at most this many values is searched exhaustively."""
_NEIGHBOURS = 4
"""Otherwise, this many grid neighbours on each side are tried."""
_KEY_DECIMALS = 9
HIGH_DIM = 16
"""From this many columns on, the search is cheaper: fewer candidates and refinement steps.

There the joint L-BFGS-B run always stopped at its 50 iterations, yet after 15 the acquisition
was within ~1 % of its final value. With 512 candidates and 10 iterations the 10-seed medians on
the 20-parameter problems of ``benchmarks/sample_efficiency.py`` are the same, and a trial takes
~40 % less time (``benchmarks/README.md``, sessions 31 and 36)."""


def search_budget(dim: int) -> tuple[int, int]:
    """``(n_candidates, max_iter)`` of :func:`maximize_acquisition` on ``dim`` columns.

    Example:
        >>> search_budget(6), search_budget(20)
        ((1024, 50), (512, 10))
    """
    return (512, 10) if dim >= HIGH_DIM else (1024, 50)


class AcquisitionFunction(Protocol):
    """What :func:`maximize_acquisition` needs: values, and values with input gradients."""

    def value(self, x: FloatArray) -> FloatArray:
        """Values at ``x`` (``b x d``), shape ``b``."""
        ...

    def value_and_grad(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Values (``b``) and gradients (``b x d``) at ``x`` (``b x d``)."""
        ...


@dataclass(frozen=True)
class SearchDims:
    """The columns of the cube and how each is searched.

    Attributes:
        continuous: Shape ``d``: columns refined by L-BFGS-B (floats without a step, and discrete
            columns whose grid is too large to enumerate, which :attr:`snap` rounds afterwards).
        grids: Per column, the sorted encodings of every allowed value for a discrete column
            searched locally, or None.
        snap: Maps points (``b x d``) to the encodings of the values they decode to.
    """

    continuous: BoolArray
    grids: Sequence[FloatArray | None]
    snap: Callable[[FloatArray], FloatArray] = field(default=lambda x: np.clip(x, 0.0, 1.0))

    @property
    def dim(self) -> int:
        """The number of columns ``d``."""
        return int(self.continuous.size)


def _sobol(n: int, d: int, rng: np.random.Generator) -> FloatArray:
    sobol = qmc.Sobol(d, scramble=True, rng=rng)
    return np.asarray(sobol.random_base2(max(math.ceil(math.log2(max(n, 2))), 1)))


def same_point_keys(x: FloatArray) -> FloatArray:
    """``x`` (``b x d``) rounded so that rows equal as keys are the same point (the search
    never proposes an excluded point again, and repeats are counted, by these keys).

    Example:
        >>> same_point_keys(np.array([[0.1 + 1e-12, -0.0]])).tolist()
        [[0.1, 0.0]]
    """
    keys: FloatArray = np.round(x, _KEY_DECIMALS) + 0.0
    return keys


def _keys(x: FloatArray) -> list[bytes]:
    return [row.tobytes() for row in same_point_keys(x)]


def _top_unique(x: FloatArray, values: FloatArray, k: int) -> FloatArray:
    """The ``k`` best distinct rows of ``x`` (``b x d``) by ``values`` (``b``), best first."""
    chosen, seen = [], set()
    for i, key in zip(np.argsort(-values, kind="stable"), _keys(x[np.argsort(-values)])):
        if key not in seen:
            seen.add(key)
            chosen.append(i)
        if len(chosen) == k:
            break
    return x[chosen]


def _refine_continuous(
    acq: AcquisitionFunction,
    starts: FloatArray,
    dims: SearchDims,
    max_iter: int,
    box: tuple[FloatArray, FloatArray],
) -> FloatArray:
    """One L-BFGS-B run on the summed acquisition of independent starts (``b x d``), each
    column kept within ``box`` (``(low, high)``, each of shape ``d``)."""
    cont = dims.continuous
    if not cont.any():
        return starts
    fixed = starts.copy()
    shape = (starts.shape[0], int(cont.sum()))
    low, high = box[0][cont], box[1][cont]

    every = bool(cont.all())

    def negative(flat: FloatArray) -> tuple[float, FloatArray]:
        if every:
            x = flat.reshape(shape)
        else:
            x = fixed.copy()
            x[:, cont] = flat.reshape(shape)
        value, grad = acq.value_and_grad(x)
        if not np.all(np.isfinite(value)):
            return math.inf, np.zeros_like(flat)
        return -float(value.sum()), -(grad if every else grad[:, cont]).ravel()

    result = scipy.optimize.minimize(
        negative,
        starts[:, cont].ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=scipy.optimize.Bounds(np.tile(low, shape[0]), np.tile(high, shape[0])),
        options={"maxiter": max_iter},
    )
    out: FloatArray = fixed.copy()
    out[:, cont] = np.clip(result.x.reshape(shape), low, high)
    return out


def _column_options(grid: FloatArray, current: FloatArray) -> FloatArray:
    """Values to try in one column: the whole grid, or each point's nearest neighbours (b x k)."""
    if grid.size <= _ENUMERATE_MAX:
        return np.broadcast_to(grid, (current.size, grid.size))
    index = np.clip(np.searchsorted(grid, current), 0, grid.size - 1)
    offsets = np.arange(-_NEIGHBOURS, _NEIGHBOURS + 1)
    options: FloatArray = grid[np.clip(index[:, None] + offsets[None, :], 0, grid.size - 1)]
    return options


def _local_search(
    acq: AcquisitionFunction, x: FloatArray, values: FloatArray, dims: SearchDims, sweeps: int
) -> tuple[FloatArray, FloatArray]:
    """Coordinate-wise improvement of each point (``b x d``) over the discrete columns."""
    x, values = x.copy(), values.copy()
    columns = [j for j, g in enumerate(dims.grids) if g is not None and g.size > 1]
    for _ in range(sweeps):
        changed = False
        for j in columns:
            grid = dims.grids[j]
            assert grid is not None
            options = _column_options(grid, x[:, j])  # b x k
            trial = np.repeat(x, options.shape[1], axis=0)
            trial[:, j] = options.ravel()
            trial_values = acq.value(trial).reshape(options.shape)
            best = np.argmax(trial_values, axis=1)
            better = trial_values[np.arange(x.shape[0]), best] > values
            x[better, j] = options[better, best[better]]
            values[better] = trial_values[better, best[better]]
            changed |= bool(better.any())
        if not changed:
            break
    return x, values


def maximize_acquisition(
    acq: AcquisitionFunction,
    dims: SearchDims,
    rng: np.random.Generator,
    *,
    n_candidates: int | None = None,
    n_starts: int = 8,
    local_starts: FloatArray | None = None,
    exclude: FloatArray | None = None,
    max_iter: int | None = None,
    bounds: tuple[FloatArray, FloatArray] | None = None,
) -> FloatArray | None:
    """Return the best point found (shape ``d``, snapped), or None if every candidate is excluded.

    Args:
        acq: The function to maximize.
        dims: The columns and how each is searched.
        rng: Source of the Sobol scrambling.
        n_candidates: Number of quasi-random candidates (rounded up to a power of two); None
            for :func:`search_budget`'s.
        n_starts: Number of candidates refined by L-BFGS-B and local search.
        local_starts: Shape ``k x d``, points always refined besides the best candidates (e.g.
            the best observations, slightly perturbed: the acquisition is small exactly there,
            where σ ≈ 0, yet its maximum is often close by).
        exclude: Shape ``m x d``, snapped points never to return (e.g. already evaluated).
        max_iter: L-BFGS-B iteration limit of each refinement; None for
            :func:`search_budget`'s.
        bounds: ``(low, high)``, each of shape ``d``: search only this box (a trust region) in
            the continuously searched columns; the other columns keep their whole grid. None
            for the whole cube.

    Example:
        >>> class Bump:
        ...     def value(self, x): return -np.sum((x - 0.3) ** 2, axis=1)
        ...     def value_and_grad(self, x): return self.value(x), -2 * (x - 0.3)
        >>> dims = SearchDims(np.array([True, True]), [None, None])
        >>> maximize_acquisition(Bump(), dims, np.random.default_rng(0)).round(4).tolist()
        [0.3, 0.3]
    """
    budget = search_budget(dims.dim)
    n_candidates = budget[0] if n_candidates is None else n_candidates
    max_iter = budget[1] if max_iter is None else max_iter
    box = _box(dims, bounds)
    candidates = dims.snap(_in_box(_sobol(n_candidates, dims.dim, rng), box))
    values = acq.value(candidates)
    starts = _top_unique(candidates, values, n_starts)
    if local_starts is not None and local_starts.size:
        local = dims.snap(np.clip(local_starts, box[0], box[1]))
        starts = np.vstack([starts, local])
        candidates = np.vstack([candidates, local])
        values = np.concatenate([values, acq.value(local)])
    refined = dims.snap(_refine_continuous(acq, starts, dims, max_iter, box))
    refined, refined_values = _local_search(acq, refined, acq.value(refined), dims, sweeps=3)
    if dims.continuous.any() and any(g is not None for g in dims.grids):
        again = dims.snap(_refine_continuous(acq, refined, dims, max_iter, box))
        again_values = acq.value(again)
        keep = again_values > refined_values
        refined[keep], refined_values[keep] = again[keep], again_values[keep]
    pool = np.vstack([refined, candidates])
    pool_values = np.concatenate([refined_values, values])
    return _best_not_excluded(pool, pool_values, exclude)


def _box(
    dims: SearchDims, bounds: tuple[FloatArray, FloatArray] | None
) -> tuple[FloatArray, FloatArray]:
    """``(low, high)`` of the search: ``bounds`` in the continuous columns, else ``[0, 1]``."""
    low, high = np.zeros(dims.dim), np.ones(dims.dim)
    if bounds is not None:
        cont = dims.continuous
        low[cont] = np.clip(np.asarray(bounds[0], dtype=float)[cont], 0.0, 1.0)
        high[cont] = np.clip(np.asarray(bounds[1], dtype=float)[cont], 0.0, 1.0)
        high = np.maximum(high, low)
    return low, high


def _in_box(u: FloatArray, box: tuple[FloatArray, FloatArray]) -> FloatArray:
    """Map points of the unit cube (``b x d``) linearly onto the box."""
    low, high = box
    mapped: FloatArray = low + u * (high - low)
    return mapped


def _best_not_excluded(
    pool: FloatArray, values: FloatArray, exclude: FloatArray | None
) -> FloatArray | None:
    """The best row of ``pool`` (``b x d``) by ``values`` whose key is not in ``exclude``."""
    values = np.where(np.isfinite(values), values, -math.inf)
    order = np.argsort(-values, kind="stable")
    if exclude is None or exclude.size == 0:
        return np.array(pool[order[0]], dtype=np.float64)
    banned = set(_keys(exclude))
    for i, key in zip(order, _keys(pool[order])):
        if key not in banned:
            return np.array(pool[i], dtype=np.float64)
    return None
