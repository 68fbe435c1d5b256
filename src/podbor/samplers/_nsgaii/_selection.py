"""NSGA-II's selection maths on arrays: constrained non-dominated sorting, crowding distance
and elite selection (Deb et al., "A fast and elitist multiobjective genetic algorithm:
NSGA-II", IEEE TEVC 6(2), 2002; constraint domination from its section VI).

Shapes: ``losses`` is ``(n x m)`` (every objective minimized: maximized ones negated by the
caller, no NaN), ``violations`` is ``(n,)``, the summed positive constraint values (0 for a
feasible row, ``inf`` for a row whose constraints are unknown) or None when the study has no
constraints.

Example:
    >>> import numpy as np
    >>> losses = np.array([[1.0, 4.0], [2.0, 3.0], [3.0, 3.5], [4.0, 1.0]])
    >>> ranks(losses, None).tolist()
    [0, 0, 1, 0]
    >>> sorted(select_elite(losses, None, 3).tolist())
    [0, 1, 3]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from podbor._hypervolume import pareto_ranks

__all__ = ["crowding_distance", "ranks", "select_elite"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def ranks(losses: FloatArray, violations: FloatArray | None) -> IntArray:
    """Front index of each row, 0 best: feasible rows by Pareto fronts, then infeasible rows by
    their violation (equal violations share a front).

    Args:
        losses: ``(n x m)`` losses.
        violations: ``(n,)`` constraint violations, or None for no constraints.

    Returns:
        ``(n,)`` front indices.
    """
    n = losses.shape[0]
    out = np.zeros(n, dtype=np.int64)
    feasible = np.ones(n, dtype=bool) if violations is None else violations <= 0.0
    rows = np.flatnonzero(feasible)
    front = 0
    if rows.size:
        out[rows] = pareto_ranks(losses[rows])
        front = int(out[rows].max()) + 1
    if violations is not None and not feasible.all():
        infeasible = np.flatnonzero(~feasible)
        _, order = np.unique(violations[infeasible], return_inverse=True)
        out[infeasible] = front + order.reshape(-1)
    return out


def crowding_distance(losses: FloatArray) -> FloatArray:
    """Crowding distance of the rows of one front: the normalized perimeter of the box its
    neighbours span, summed over objectives; ``inf`` at the extremes of each objective.

    Args:
        losses: ``(k x m)`` losses of one front.

    Returns:
        ``(k,)`` distances (larger is lonelier, hence preferred).
    """
    k, m = losses.shape
    distance = np.zeros(k)
    if k <= 2:
        return np.full(k, np.inf)
    for j in range(m):
        order = np.argsort(losses[:, j], kind="stable")
        column = losses[order, j]
        span = column[-1] - column[0]
        distance[order[[0, -1]]] = np.inf
        if not np.isfinite(span) or span <= 0.0:
            continue
        with np.errstate(invalid="ignore"):
            gaps = np.nan_to_num((column[2:] - column[:-2]) / span, nan=0.0, posinf=np.inf)
        distance[order[1:-1]] += gaps
    return distance


def select_elite(losses: FloatArray, violations: FloatArray | None, size: int) -> IntArray:
    """Indices of the ``size`` best rows: whole fronts in rank order, then the front that does
    not fit whole by decreasing crowding distance (NSGA-II's ``F_1 ∪ F_2 ∪ … `` fill).

    Args:
        losses: ``(n x m)`` losses.
        violations: ``(n,)`` violations, or None.
        size: How many to keep (all when ``n <= size``).

    Returns:
        ``(min(n, size),)`` row indices.
    """
    n = losses.shape[0]
    if n <= size:
        return np.arange(n, dtype=np.int64)
    front_of = ranks(losses, violations)
    counts = np.bincount(front_of)
    filled = np.cumsum(counts)
    last = int(np.searchsorted(filled, size))  # the first front that does not fit whole
    kept = np.flatnonzero(front_of < last)
    members = np.flatnonzero(front_of == last)
    if violations is not None and violations[members[0]] > 0.0:
        crowding = np.zeros(members.size)  # infeasible rows of one violation: no preference
    else:
        crowding = crowding_distance(losses[members])
    best = members[np.argsort(-crowding, kind="stable")[: size - kept.size]]
    return np.concatenate([kept, best]).astype(np.int64)
