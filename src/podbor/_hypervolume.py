"""Pareto fronts and exact hypervolumes of loss vectors (every objective minimized); numpy only.

The hypervolume of a set of points ``P`` with respect to a reference point ``r`` is the volume of
the region ``{x : p <= x <= r for some p in P}``: what the points dominate inside the box below
``r``. A point that is not strictly better than ``r`` in every objective adds nothing to it.

Algorithms, by number of objectives ``d`` (``n`` points):

* ``d = 2``: one sort and a running minimum, ``O(n log n)``, vectorized.
* ``d = 3``: a sweep in the third objective that keeps the 2-D staircase of the points swept so
  far and its area up to date (Beume et al., "On the complexity of computing the hypervolume
  indicator", IEEE TEVC 13(5), 2009), ``O(n log n)`` comparisons; small sets use an ``O(n^2)``
  vectorized form of the same sum.
* ``d >= 4``: the WFG recursion (While, Bradstreet and Barone, "A fast way of calculating exact
  hypervolumes", IEEE TEVC 16(1), 2012): with the points sorted worst-first in the last
  objective, each point's exclusive volume is its slab height times a ``(d-1)``-dimensional
  exclusive area against the later points limited to it, so every level of the recursion drops
  one objective until the 3-D sweep takes over.

:func:`hypervolume_history` gives the hypervolume after each of a sequence of points, adding each
point's exclusive contribution to the front so far; :func:`pareto_mask` marks the front.

Example:
    >>> import numpy as np
    >>> compute_hypervolume(np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([3.0, 3.0]))
    3.0
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np
import numpy.typing as npt

__all__ = ["compute_hypervolume", "hypervolume_history", "pareto_mask", "pareto_ranks"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

# Up to this many points (and all fronts asked for), pareto_ranks keeps the n x n dominance matrix.
_DENSE_RANKS_MAX = 2000
# Below this many points the 3-D hypervolume is summed as one (n x n) array operation, above it
# by the O(n log n) sweep.
_DENSE_3D_MAX = 400

# The most non-dominated points the exact recursion accepts per number of objectives (>= 4):
# beyond these, a concave front (every point non-dominated) takes longer than about ten seconds.
_MAX_FRONT = {4: 8_000, 5: 2_500, 6: 400, 7: 100, 8: 60, 9: 40, 10: 30, 11: 25, 12: 25}
_MAX_FRONT_HIGHER = 15
# A 3-D limited set is filtered to its front first only when it is this large: the 3-D methods
# pass over dominated points anyway, and filtering a small set costs more than it saves.
_FILTER_3D_FROM = 64


def pareto_mask(loss_vals: npt.ArrayLike) -> BoolArray:
    """Mark the rows of an ``(n x d)`` loss matrix that no other row dominates (all minimized).

    Row ``a`` dominates row ``b`` when ``a <= b`` everywhere and ``a != b``; equal rows on the
    front are all marked. Two objectives take one sort; more take one vectorized pass per front
    point, ``O(n * front * d)``.

    Args:
        loss_vals: ``(n x d)`` losses, no NaN.

    Returns:
        ``(n,)`` booleans, True for the non-dominated rows.

    Example:
        >>> pareto_mask([[1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0]]).tolist()
        [True, True, False, True]
    """
    losses = _losses(loss_vals)
    if losses.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    return _front_mask(losses)


def pareto_ranks(loss_vals: npt.ArrayLike, exact: int | None = None) -> IntArray:
    """Each row's non-dominated front (0 = the Pareto front) of an ``(n x d)`` loss matrix.

    Front ``k`` is the front of the rows left once fronts ``< k`` are removed (Deb et al.,
    NSGA-II, 2002, section III-A). Up to 2,000 rows the whole ``n x n`` dominance matrix gives
    every front at once; beyond, fronts are peeled one after the other with
    :func:`pareto_mask`'s passes, in O(n) memory.

    Args:
        loss_vals: ``(n x d)`` losses, no NaN.
        exact: Stop once the fronts found hold at least this many rows; the others get the next
            front's index (they are in it or behind it). None: sort every row. A long study's
            TPE needs only its best few dozen trials, so it never sorts 10⁵ trials into fronts.

    Returns:
        ``(n,)`` front indices.

    Example:
        >>> pareto_ranks([[1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [3.0, 3.0]]).tolist()
        [0, 0, 1, 2]
        >>> pareto_ranks([[1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [3.0, 3.0]], exact=2).tolist()
        [0, 0, 1, 1]
    """
    losses = _losses(loss_vals)
    n = losses.shape[0]
    if n <= _DENSE_RANKS_MAX and exact is None:
        return _dense_ranks(losses)
    ranks = np.full(n, -1, dtype=np.int64)
    remaining = np.arange(n)
    front = 0
    while remaining.size and (exact is None or n - remaining.size < exact):
        on_front = _front_mask(losses[remaining])
        ranks[remaining[on_front]] = front
        remaining = remaining[~on_front]
        front += 1
    ranks[remaining] = front
    return ranks


def _losses(loss_vals: npt.ArrayLike) -> FloatArray:
    """``loss_vals`` as a float matrix, or a ValueError that says what is wrong."""
    losses = np.asarray(loss_vals, dtype=float)
    if losses.ndim != 2:
        raise ValueError(
            f"loss_vals must be a 2-D array (n_points x n_objectives); got shape {losses.shape}."
        )
    if np.isnan(losses).any():
        raise ValueError("loss_vals contains NaN; a Pareto front is defined for numbers only.")
    return losses


def _front_mask(losses: FloatArray) -> BoolArray:
    """:func:`pareto_mask` of at least one valid row."""
    unique, inverse = _unique_rows(losses)
    return _unique_front(unique)[inverse]


def _dense_ranks(losses: FloatArray) -> IntArray:
    """:func:`pareto_ranks` of every row, with the whole dominance matrix."""
    no_worse = (losses[:, None, :] <= losses[None, :, :]).all(axis=2)
    better = (losses[:, None, :] < losses[None, :, :]).any(axis=2)
    dominates = np.asarray(no_worse & better)  # dominates[i, j]: row i dominates row j
    n_dominators = dominates.sum(axis=0)
    ranks = np.full(len(losses), -1, dtype=np.int64)
    remaining = np.ones(len(losses), dtype=bool)
    front = 0
    while remaining.any():
        current = remaining & (n_dominators == 0)
        ranks[current] = front
        n_dominators -= dominates[current].sum(axis=0)
        remaining &= ~current
        front += 1
    return ranks


def _unique_rows(losses: FloatArray) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """The distinct rows in lexicographic order, and each input row's index among them."""
    order = np.lexsort(losses.T[::-1])
    ordered = losses[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    group = np.cumsum(new) - 1
    inverse = np.empty(len(order), dtype=np.intp)
    inverse[order] = group
    return ordered[new], inverse


def _unique_front(unique: FloatArray) -> BoolArray:
    """The front of distinct rows sorted lexicographically."""
    m, d = unique.shape
    if d == 1:
        first: BoolArray = np.arange(m) == 0
        return first
    if d == 2:
        # An earlier row has a smaller or equal first loss; it dominates if its second is <=.
        running = np.minimum.accumulate(unique[:, 1])
        on_front = np.ones(m, dtype=bool)
        on_front[1:] = unique[1:, 1] < running[:-1]
        return on_front
    # A row dominates only rows of a larger sum (or, with rounding, an equal sum and a later
    # place in lexicographic order), so the first remaining row in that order is on the front:
    # keep it and drop what it dominates. Low sums dominate most, so the rows go fast.
    on_front = np.zeros(m, dtype=bool)
    remaining = np.argsort(unique.sum(axis=1), kind="stable")
    rows = unique[remaining]
    while remaining.size:
        on_front[remaining[0]] = True
        keep = np.any(rows < rows[0], axis=1)
        remaining, rows = remaining[keep], rows[keep]
    return on_front


def _thin(points: FloatArray, rounds: int) -> FloatArray:
    """``points`` less what their ``rounds`` lowest-sum non-dominated rows dominate.

    The same passes as :func:`_unique_front`, stopped early: every front row stays (duplicates of
    a pass's row may go), some dominated rows may stay too.
    """
    rows = points[np.argsort(points.sum(axis=1), kind="stable")]
    kept = []
    for _ in range(rounds):
        if not rows.shape[0]:
            break
        kept.append(rows[0])
        rows = rows[np.any(rows < rows[0], axis=1)]
    return np.vstack([np.array(kept), rows])


def _check_inputs(
    loss_vals: npt.ArrayLike, reference_point: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    losses = np.asarray(loss_vals, dtype=float)
    ref = np.asarray(reference_point, dtype=float)
    if losses.ndim != 2:
        raise ValueError(
            f"loss_vals must be a 2-D array (n_points x n_objectives); got shape {losses.shape}."
        )
    if ref.ndim == 2 and ref.shape[0] == 1:  # a (1, d) row, as Optuna accepts
        ref = ref[0]
    if ref.ndim != 1 or ref.shape[0] != losses.shape[1]:
        raise ValueError(
            f"reference_point must have one value per objective: loss_vals has "
            f"{losses.shape[1]} objectives (shape {losses.shape}) but reference_point has shape "
            f"{ref.shape}."
        )
    if ref.shape[0] == 0:
        raise ValueError("loss_vals and reference_point need at least one objective.")
    if np.isnan(ref).any():
        raise ValueError(f"reference_point contains NaN: {ref.tolist()}.")
    if np.isnan(losses).any():
        row = int(np.flatnonzero(np.isnan(losses).any(axis=1))[0])
        raise ValueError(f"loss_vals contains NaN (row {row}: {losses[row].tolist()}).")
    return losses, ref


def compute_hypervolume(
    loss_vals: npt.ArrayLike, reference_point: npt.ArrayLike, assume_pareto: bool = False
) -> float:
    """The exact hypervolume the points dominate below ``reference_point`` (all minimized).

    The reference point must be no better than every point in every objective (as in Optuna):
    a point worse than it in some objective is an error. Points on the reference box's boundary
    contribute nothing; duplicate and dominated points are allowed. An infinite box (a ``-inf``
    loss, or an ``inf`` reference value, where the point is inside) gives ``inf``. To ignore the
    points outside a box instead, as the hypervolume plots do, see :func:`hypervolume_history`.

    Args:
        loss_vals: ``(n x d)`` losses.
        reference_point: ``(d,)`` reference point.
        assume_pareto: Skip the Pareto filter (the result is the same; it only saves time when
            the rows are already mutually non-dominated).

    Returns:
        The hypervolume, a float ``>= 0``.

    Raises:
        ValueError: shapes that do not match, a NaN, a point worse than ``reference_point`` in
            some objective (the row is named), or (for 4 or more objectives) a front too large
            to compute exactly in reasonable time; the message names the sizes.

    Example:
        >>> compute_hypervolume([[1.0, 1.0, 1.0], [0.5, 2.0, 2.0]], [2.0, 2.0, 2.0])
        1.0
        >>> compute_hypervolume([[2.0, 0.0]], [2.0, 2.0])  # on the box's boundary
        0.0
    """
    losses, ref = _check_inputs(loss_vals, reference_point)
    worse = np.any(losses > ref, axis=1)
    if worse.any():
        row = int(np.flatnonzero(worse)[0])
        raise ValueError(
            f"reference_point {ref.tolist()} must be worse than or equal to every point in every "
            f"objective; row {row} of loss_vals is worse: {losses[row].tolist()}."
        )
    # a side where both the point and the reference are infinite is an infinite side
    inside = losses[np.all((losses < ref) | (np.isinf(ref) & (losses == ref)), axis=1)]
    if inside.shape[0] == 0:
        return 0.0
    if np.isinf(inside).any() or np.isinf(ref).any():
        return float("inf")  # a box that is strictly positive in every side and infinite in one
    d = ref.shape[0]
    if d == 1:
        return float(ref[0] - inside.min())
    if d == 2:
        return _hv2d(inside, ref)
    if d >= 4:  # the recursion's cost grows with the front: drop duplicates and dominated rows
        unique, _ = _unique_rows(inside)
        inside = unique if assume_pareto else unique[_unique_front(unique)]
        _check_computable(inside.shape[0], d)
    elif not assume_pareto:  # 3-D: the sweep passes over dominated rows; a few cheap passes
        inside = _thin(inside, rounds=8)  # still drop most of them first
    return _hv(inside, ref)


def _check_computable(n_front: int, d: int) -> None:
    limit = _MAX_FRONT.get(d, _MAX_FRONT_HIGHER) if d >= 4 else None
    if limit is not None and n_front > limit:
        raise ValueError(
            f"The exact hypervolume of {n_front} non-dominated points in {d} objectives is beyond "
            f"what can be computed in reasonable time (at most {limit} points in {d} "
            "objectives); reduce the number of points or of objectives."
        )


def _hv(points: FloatArray, ref: FloatArray) -> float:
    """Hypervolume of finite points strictly inside the box below ``ref``."""
    n, d = points.shape
    if n == 1:
        return float(np.prod(ref - points[0]))
    if d == 2:
        return _hv2d(points, ref)
    if d == 3:
        return _hv3d_dense(points, ref) if n <= _DENSE_3D_MAX else _hv3d_sweep(points, ref)
    return _hv_wfg(points, ref)


def _hv2d(points: FloatArray, ref: FloatArray) -> float:
    # Over x, the dominated height is ref_y minus the least y among the points left of x.
    order = np.argsort(points[:, 0], kind="stable")
    xs = points[order, 0]
    lowest = np.minimum.accumulate(points[order, 1])
    widths = np.diff(xs, append=ref[0])
    return float(np.dot(widths, ref[1] - lowest))


class _Staircase:
    """A 2-D Pareto staircase under a reference corner, kept with the area it dominates.

    ``xs`` rises and ``ys`` falls strictly; :meth:`add` inserts a point in ``O(log n)``
    comparisons plus the points it removes, and returns the area it adds.
    """

    def __init__(self, ref_x: float, ref_y: float) -> None:
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.ref_x = ref_x
        self.ref_y = ref_y
        self.area = 0.0

    def add(self, x: float, y: float) -> float:
        xs, ys = self.xs, self.ys
        right = bisect_right(xs, x)
        if right and ys[right - 1] <= y:
            return 0.0  # a point left of (or at) x is as low: nothing new
        lo = bisect_left(xs, x)
        y_left = ys[lo - 1] if lo else self.ref_y
        end, n = lo, len(xs)
        covered = 0.0  # what the points the new one removes covered in its new rectangle
        while end < n and ys[end] >= y:
            x_next = xs[end + 1] if end + 1 < n else self.ref_x
            covered += (x_next - xs[end]) * (y_left - ys[end])
            end += 1
        x_right = xs[end] if end < n else self.ref_x
        gain = (x_right - x) * (y_left - y) - covered
        xs[lo:end] = [x]
        ys[lo:end] = [y]
        self.area += gain
        return gain


def _hv3d_sweep(points: FloatArray, ref: FloatArray) -> float:
    # Sweep up the third objective; between two levels the volume is the staircase's area.
    order = np.argsort(points[:, 2], kind="stable")
    stairs = _Staircase(float(ref[0]), float(ref[1]))
    volume = 0.0
    previous_z = 0.0
    for x, y, z in points[order].tolist():
        volume += stairs.area * (z - previous_z)
        stairs.add(x, y)
        previous_z = z
    return volume + stairs.area * (float(ref[2]) - previous_z)


def _hv3d_dense(points: FloatArray, ref: FloatArray) -> float:
    # The sweep's sum at once: row i of `lowest` is the staircase after the i lowest points in z.
    n = points.shape[0]
    by_z = points[np.argsort(points[:, 2], kind="stable")]
    by_x = np.argsort(by_z[:, 0], kind="stable")
    widths = np.diff(by_z[by_x, 0], append=ref[0])
    swept = by_x[np.newaxis, :] <= np.arange(n)[:, np.newaxis]
    heights = np.where(swept, by_z[by_x, 1][np.newaxis, :], ref[1])
    lowest = np.minimum.accumulate(heights, axis=1)
    areas = (ref[1] - lowest) @ widths
    depths = np.diff(by_z[:, 2], append=ref[2])
    return float(areas @ depths)


def _hv_wfg(points: FloatArray, ref: FloatArray) -> float:
    # Worst-first in the last objective: every later point is at least as good there, so the
    # part of point k's box the later points cover is a (d-1)-dimensional set times its height.
    order = np.argsort(-points[:, -1], kind="stable")
    points = points[order]
    head, ref_head = points[:, :-1], ref[:-1]
    heights = ref[-1] - points[:, -1]
    boxes = np.prod(ref_head - head, axis=1)
    total = 0.0
    for k in range(points.shape[0] - 1):
        limited = np.maximum(head[k + 1 :], head[k])
        if limited.shape[1] >= 4 or limited.shape[0] > _FILTER_3D_FROM:
            unique, _ = _unique_rows(limited)
            limited = unique[_unique_front(unique)]
        total += heights[k] * (boxes[k] - _hv(limited, ref_head))
    return total + float(heights[-1] * boxes[-1])


def hypervolume_history(loss_vals: npt.ArrayLike, reference_point: npt.ArrayLike) -> FloatArray:
    """The hypervolume of the first ``i + 1`` rows, for every ``i``, computed incrementally.

    Each row adds its exclusive contribution to the rows before it (zero when they dominate it
    or it is not strictly inside the reference box), so the whole history costs about as much as
    one hypervolume of the final front plus one dominance check per row.

    Args:
        loss_vals: ``(n x d)`` losses in the order they arrived.
        reference_point: ``(d,)`` reference point.

    Returns:
        ``(n,)`` non-decreasing hypervolumes.

    Example:
        >>> hypervolume_history([[2.0, 2.0], [1.0, 1.0], [0.5, 1.5]], [2.0, 2.0]).tolist()
        [0.0, 1.0, 1.25]
    """
    losses, ref = _check_inputs(loss_vals, reference_point)
    n, d = losses.shape
    inside = np.all(losses < ref, axis=1)
    infinite = inside & (np.isinf(losses).any(axis=1) | bool(np.isinf(ref).any()))
    gains = np.zeros(n)
    first_infinite = int(np.argmax(infinite)) if infinite.any() else n
    rows = np.flatnonzero(inside[:first_infinite])
    history: FloatArray
    if d == 1:
        best = np.minimum.accumulate(np.where(inside, losses[:, 0], ref[0]))
        history = ref[0] - best
    else:
        if d == 2:
            stairs = _Staircase(float(ref[0]), float(ref[1]))
            for i, (x, y) in zip(rows.tolist(), losses[rows].tolist()):
                gains[i] = stairs.add(x, y)
        else:
            _front_gains(losses, ref, rows, gains)
        history = np.cumsum(gains)
    history[first_infinite:] = np.inf
    return history


def _front_gains(
    losses: FloatArray, ref: FloatArray, rows: npt.NDArray[np.intp], gains: FloatArray
) -> None:
    """Fill ``gains[i]`` with row ``i``'s exclusive hypervolume against the earlier rows."""
    d = ref.shape[0]
    front = np.empty((0, d))
    for i in rows.tolist():
        point = losses[i]
        if np.any(np.all(front <= point, axis=1)):
            continue
        limited = np.maximum(front, point)
        if d >= 4 and limited.shape[0] > 1:
            unique, _ = _unique_rows(limited)
            limited = unique[_unique_front(unique)]
            _check_computable(limited.shape[0], d)
        covered = _hv(limited, ref) if limited.shape[0] else 0.0
        gains[i] = float(np.prod(ref - point)) - covered
        front = np.vstack([front[~np.all(point <= front, axis=1)], point])
