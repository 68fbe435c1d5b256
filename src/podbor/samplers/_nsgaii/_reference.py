"""NSGA-III's selection maths on arrays: reference points, normalization, association and
niching (Deb and Jain, "An Evolutionary Many-Objective Optimization Algorithm Using
Reference-Point-Based Nondominated Sorting Approach, Part I", IEEE TEVC 18(4), 2014; section
IV-B to IV-E, Algorithms 1 to 4; constraints as in Part II, IEEE TEVC 18(4), 2014).

NSGA-II keeps the front that does not fit whole by crowding distance; NSGA-III keeps it by
reference points instead: every objective vector, normalized to the hyperplane of the extreme
points, joins the reference direction nearest to it, and the last front fills the least crowded
directions first. That keeps a spread on many objectives, where crowding distance fails.

Shapes: ``losses`` is ``(n x m)`` (every objective minimized, maximized ones negated by the
caller), ``reference_points`` is ``(k x m)``, ``violations`` is ``(n,)`` or None as in
:mod:`podbor.samplers._nsgaii._selection`.

Example:
    >>> import numpy as np
    >>> das_dennis(2, 2).tolist()
    [[2.0, 0.0], [1.0, 1.0], [0.0, 2.0]]
    >>> losses = np.array([[0.0, 4.0], [1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [4.0, 0.0]])
    >>> sorted(select_elite_by_reference(losses, None, 3, das_dennis(2, 2),
    ...                                  np.random.RandomState(0)).tolist())
    [0, 2, 4]
"""

from __future__ import annotations

from itertools import combinations_with_replacement

import numpy as np
import numpy.typing as npt

from podbor.samplers._nsgaii._selection import ranks

__all__ = [
    "associate",
    "das_dennis",
    "fill_infinite",
    "niche_select",
    "normalize",
    "select_elite_by_reference",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

INFINITY_MARGIN = 3.0  # an infinite loss sits this many finite spans beyond the finite ones
_ASF_EPSILON = 1e-6  # the weight of the other axes in the achievement scalarizing function


def das_dennis(n_objectives: int, dividing_parameter: int) -> FloatArray:
    """The structured reference points of Das and Dennis (1998): every vector of ``m``
    non-negative integers that sum to ``p`` (the simplex divided ``p`` times per axis).

    The points are left unscaled (they sum to ``p``, not 1): only their directions matter.

    Args:
        n_objectives: ``m``, the number of objectives (>= 1).
        dividing_parameter: ``p``, the divisions per axis (>= 1).

    Returns:
        ``(C(m + p - 1, p) x m)`` points, first coordinate descending.

    Example:
        >>> das_dennis(3, 1).tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    combos = np.array(
        list(combinations_with_replacement(range(n_objectives), dividing_parameter)),
        dtype=np.int64,
    ).reshape(-1, dividing_parameter)
    counts: FloatArray = (combos[:, :, None] == np.arange(n_objectives)).sum(axis=1, dtype=float)
    return counts


def fill_infinite(losses: FloatArray) -> FloatArray:
    """``losses`` with every infinite entry replaced by a finite stand-in beyond its column:
    ``max + 3 * (max - min)`` of the finite values for ``+inf``, ``min - 3 * (max - min)`` for
    ``-inf`` (0 in a column without a finite value), so that normalization stays finite.

    Args:
        losses: ``(n x m)`` losses, possibly with ``±inf``.

    Returns:
        ``(n x m)`` finite losses (a copy).

    Example:
        >>> fill_infinite(np.array([[1.0, np.inf], [3.0, 1.0], [-np.inf, 2.0]])).tolist()
        [[1.0, 5.0], [3.0, 1.0], [-5.0, 2.0]]
    """
    finite = np.isfinite(losses)
    any_finite = finite.any(axis=0)
    high = np.where(any_finite, np.max(np.where(finite, losses, -np.inf), axis=0), 0.0)
    low = np.where(any_finite, np.min(np.where(finite, losses, np.inf), axis=0), 0.0)
    margin = INFINITY_MARGIN * (high - low)
    out = np.where(losses == np.inf, high + margin, losses)
    return np.where(out == -np.inf, low - margin, out)


def normalize(losses: FloatArray) -> FloatArray:
    """Translate by the ideal point and divide by the intercepts of the extreme points'
    hyperplane (Algorithm 2 of Deb and Jain 2014).

    The extreme point of axis ``i`` minimizes the achievement scalarizing function
    ``max_j f_j / w_j`` with ``w_i = 1`` and ``w_j = 1e-6`` elsewhere (ties go to the smaller
    sum ``f_j / w_j``). When the extreme points span no hyperplane (repeated points, a
    singular system) or give non-positive intercepts, the intercepts fall back to the worst
    translated value of each axis; an axis without spread is divided by 1.

    Args:
        losses: ``(n x m)`` finite losses.

    Returns:
        ``(n x m)`` normalized losses: the ideal point at 0, the intercepts at 1.

    Example:
        >>> normalize(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])).tolist()
        [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]
    """
    translated = losses - losses.min(axis=0)
    normalized: FloatArray = translated / _intercepts(translated)
    return normalized


def _intercepts(translated: FloatArray) -> FloatArray:
    """``(m,)`` intercepts of the hyperplane through the extreme points, or the fallback."""
    m = translated.shape[1]
    weights = np.full((m, m), _ASF_EPSILON) + (1.0 - _ASF_EPSILON) * np.eye(m)  # row i: axis i
    scaled = translated[:, None, :] / weights[None, :, :]  # (n x m axes x m)
    asf, tie = scaled.max(axis=2), scaled.sum(axis=2)  # (n x m axes)
    extremes = np.array([np.lexsort((tie[:, i], asf[:, i]))[0] for i in range(m)])
    fallback = translated.max(axis=0)
    if np.unique(extremes).size == m:
        try:
            inverse = np.linalg.solve(translated[extremes], np.ones(m))  # E @ (1 / a) = 1
        except np.linalg.LinAlgError:
            inverse = np.zeros(m)
        with np.errstate(divide="ignore"):
            intercepts = 1.0 / inverse
        if np.all(np.isfinite(intercepts)) and np.all(intercepts > 1e-10):
            fallback = intercepts
    return np.where(fallback > 0.0, fallback, 1.0)


def associate(normalized: FloatArray, reference_points: FloatArray) -> tuple[IntArray, FloatArray]:
    """The reference direction nearest to each point, by perpendicular distance to the line
    from the origin through the reference point (Algorithm 3 of Deb and Jain 2014).

    Args:
        normalized: ``(n x m)`` normalized losses.
        reference_points: ``(k x m)`` reference points (no zero row).

    Returns:
        ``(n,)`` index of the nearest reference point (the first on a tie) and ``(n,)`` the
        distance to its line.

    Example:
        >>> index, distance = associate(np.array([[1.0, 0.0], [2.0, 2.0]]), das_dennis(2, 2))
        >>> index.tolist(), distance.round(6).tolist()
        ([0, 1], [0.0, 0.0])
    """
    directions = reference_points / np.linalg.norm(reference_points, axis=1, keepdims=True)
    along = normalized @ directions.T  # (n x k) projections
    squared = np.sum(normalized**2, axis=1, keepdims=True) - along**2
    distances = np.sqrt(np.maximum(squared, 0.0))
    nearest = np.argmin(distances, axis=1).astype(np.int64)
    return nearest, distances[np.arange(normalized.shape[0]), nearest]


def niche_select(
    niche_counts: IntArray,
    nearest: IntArray,
    distance: FloatArray,
    size: int,
    rng: np.random.RandomState,
) -> IntArray:
    """Choose ``size`` members of the last front by niche count (Algorithm 4 of Deb and Jain
    2014): take a reference point of the fewest chosen members, at random among ties; an empty
    one takes its member nearest to the line, a crowded one a random member; repeat.

    Args:
        niche_counts: ``(k,)`` chosen members (the fronts kept whole) per reference point.
        nearest: ``(r,)`` reference point of each last-front member.
        distance: ``(r,)`` distance of each last-front member to its reference line.
        size: How many to choose (``0 <= size <= r``).
        rng: The random state of the ties.

    Returns:
        ``(size,)`` indices into the last front, in the order chosen.

    Raises:
        ValueError: ``size`` is larger than the last front.

    Example:
        >>> niche_select(np.array([1, 0]), np.array([0, 0, 1]), np.array([0.1, 0.2, 0.3]), 2,
        ...              np.random.RandomState(0)).tolist()
        [2, 0]
    """
    if not 0 <= size <= nearest.size:
        raise ValueError(
            f"Cannot choose {size} members from a last front of {nearest.size} by niching."
        )
    counts = niche_counts.astype(np.int64).copy()
    left = np.ones(nearest.size, dtype=bool)
    has_members = np.bincount(nearest, minlength=counts.size) > 0
    chosen: list[int] = []
    while len(chosen) < size:
        open_points = np.flatnonzero(has_members)
        fewest = open_points[counts[open_points] == counts[open_points].min()]
        point = int(fewest[rng.randint(fewest.size)])
        members = np.flatnonzero(left & (nearest == point))
        if counts[point] == 0:
            member = int(members[np.argmin(distance[members])])
        else:
            member = int(members[rng.randint(members.size)])
        chosen.append(member)
        left[member] = False
        counts[point] += 1
        has_members[point] = bool(np.any(left & (nearest == point)))
    return np.array(chosen, dtype=np.int64)


def select_elite_by_reference(
    losses: FloatArray,
    violations: FloatArray | None,
    size: int,
    reference_points: FloatArray,
    rng: np.random.RandomState,
) -> IntArray:
    """Indices of the ``size`` best rows: whole fronts in rank order (constrained non-dominated
    sorting), then the front that does not fit whole by niching around ``reference_points``
    in the space normalized over the kept rows and that front.

    Infeasible rows of the front that does not fit share one violation, so any of them will
    do: they are drawn at random.

    Args:
        losses: ``(n x m)`` losses (``±inf`` allowed).
        violations: ``(n,)`` violations, or None.
        size: How many to keep (all when ``n <= size``).
        reference_points: ``(k x m)`` reference points in the normalized space.
        rng: The random state of the ties.

    Returns:
        ``(min(n, size),)`` row indices.
    """
    n = losses.shape[0]
    if n <= size:
        return np.arange(n, dtype=np.int64)
    front_of = ranks(losses, violations)
    filled = np.cumsum(np.bincount(front_of))
    last = int(np.searchsorted(filled, size))  # the first front that does not fit whole
    kept = np.flatnonzero(front_of < last)
    members = np.flatnonzero(front_of == last)
    wanted = size - kept.size
    if violations is not None and violations[members[0]] > 0.0:
        best = rng.permutation(members)[:wanted]
    else:
        rows = np.concatenate([kept, members])
        normalized = normalize(fill_infinite(losses[rows]))
        nearest, distance = associate(normalized, reference_points)
        counts = np.bincount(nearest[: kept.size], minlength=reference_points.shape[0])
        picked = niche_select(counts, nearest[kept.size :], distance[kept.size :], wanted, rng)
        best = members[picked]
    return np.concatenate([kept, best]).astype(np.int64)
