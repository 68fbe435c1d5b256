"""Exact hypervolumes and Pareto fronts (``podbor._hypervolume``) against brute force.

The oracle is inclusion–exclusion over every subset of a small set: the union of the boxes
``[p, r]`` has volume ``sum over non-empty S of (-1)^(|S|+1) * prod(r - max(S))``. The cases
of Optuna's own hypervolume tests (staircases, simplices, identity plus noise) are here too.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from podbor._hypervolume import (
    _hv3d_dense,
    _hv3d_sweep,
    compute_hypervolume,
    hypervolume_history,
    pareto_mask,
)


def inclusion_exclusion(points: np.ndarray, ref: np.ndarray) -> float:
    inside = points[np.all(points < ref, axis=1)]
    total = 0.0
    for size in range(1, len(inside) + 1):
        for subset in itertools.combinations(range(len(inside)), size):
            corner = inside[list(subset)].max(axis=0)
            total += (-1) ** (size + 1) * float(np.prod(ref - corner))
    return total


def brute_front(points: np.ndarray) -> np.ndarray:
    n = len(points)
    return np.array(
        [
            not any(
                np.all(points[j] <= points[i]) and np.any(points[j] < points[i]) for j in range(n)
            )
            for i in range(n)
        ],
        dtype=bool,
    )


def random_set(rng: np.random.Generator, n: int, d: int, integer: bool) -> np.ndarray:
    """Points in [0, 1)^d, some moved onto the unit reference box's boundary (they add
    nothing), or small integers (ties, and points on the boundary)."""
    if integer:
        return rng.integers(0, 4, size=(n, d)).astype(float) / 3.0
    points = rng.random((n, d))
    points[points > 0.85] = 1.0
    return points


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("integer", [False, True], ids=["real", "ties"])
def test_matches_inclusion_exclusion(d: int, integer: bool) -> None:
    rng = np.random.default_rng(d * 10 + integer)
    ref = np.ones(d)
    for _ in range(40):
        points = random_set(rng, int(rng.integers(0, 9)), d, integer)
        want = inclusion_exclusion(points, ref)
        assert compute_hypervolume(points, ref) == pytest.approx(want, abs=1e-12)
        front = points[pareto_mask(points)] if len(points) else points
        assert compute_hypervolume(front, ref, assume_pareto=True) == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_order_duplicates_and_dominated_points_do_not_matter(d: int) -> None:
    rng = np.random.default_rng(d)
    points = rng.random((60, d))
    ref = np.full(d, 1.1)
    want = compute_hypervolume(points, ref)
    more = np.vstack([points, points[:10], points[:5] + 0.01, np.full((3, d), 1.1)])
    assert compute_hypervolume(rng.permutation(more), ref) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("n", [2, 7, 29])
@pytest.mark.parametrize("assume_pareto", [False, True])
def test_two_dimensional_staircase(n: int, assume_pareto: bool) -> None:
    # n points and n + 1 points on two anti-diagonals: the union is a known staircase
    first = np.stack([np.arange(n), np.arange(n)[::-1]], axis=-1)
    second = np.stack([np.arange(n + 1), np.arange(n + 1)[::-1]], axis=-1)
    points = np.vstack([first, second]).astype(float)
    if assume_pareto:
        points = points[pareto_mask(points)]
    assert compute_hypervolume(points, np.full(2, n), assume_pareto) == n * n - n * (n - 1) // 2


@pytest.mark.parametrize("n", [2, 5, 9])
def test_three_dimensional_simplex(n: int) -> None:
    points = np.array([[x, y, n - 1 - x - y] for x in range(n) for y in range(n - x)], dtype=float)
    want = n**3 - (n - 1) * n * (n + 1) // 6
    assert compute_hypervolume(points, np.full(3, n)) == want


@pytest.mark.parametrize("d", range(2, 10))
def test_identity_dominates_all_but_one_unit_cube(d: int) -> None:
    rng = np.random.default_rng(42)
    points = np.vstack([np.identity(d), rng.integers(1, 10, size=(10, d))]).astype(float)
    assert compute_hypervolume(points, np.full(d, 10.0)) == 10**d - 1


def test_dense_and_sweep_three_dimensional_agree() -> None:
    rng = np.random.default_rng(3)
    points = np.vstack([rng.random((300, 3)), np.round(rng.random((200, 3)), 1)])
    ref = np.full(3, 1.5)
    assert _hv3d_dense(points, ref) == pytest.approx(_hv3d_sweep(points, ref), rel=1e-12)


def test_a_large_three_dimensional_front() -> None:
    rng = np.random.default_rng(4)
    sphere = rng.random((2000, 3))
    sphere /= np.linalg.norm(sphere, axis=1, keepdims=True)
    volume = compute_hypervolume(sphere, np.ones(3))
    # points on the unit sphere's positive octant dominate a staircase inside the region
    # between the sphere and the unit cube, 1 - pi/6, and close to it
    assert 1 - np.pi / 6 - 0.03 < volume < 1 - np.pi / 6
    assert volume == pytest.approx(_hv3d_dense(sphere, np.ones(3)), rel=1e-12)


def test_points_on_the_boundary_contribute_nothing() -> None:
    ref = np.array([1.0, 1.0])
    assert compute_hypervolume([[1.0, 1.0]], ref) == 0.0
    assert compute_hypervolume([[0.0, 1.0], [1.0, 0.0]], ref) == 0.0
    assert compute_hypervolume([[0.5, 0.5], [0.0, 1.0]], ref) == 0.25


@pytest.mark.parametrize("point", [[2.0, 0.5], [0.5, 1.0 + 1e-9], [np.inf, 0.0]])
def test_a_reference_point_that_does_not_dominate_is_refused(point: list[float]) -> None:
    with pytest.raises(ValueError, match=r"reference_point .* row 1 of loss_vals is worse"):
        compute_hypervolume([[0.5, 0.5], point], [1.0, 1.0])


@pytest.mark.parametrize("d", [2, 3, 4, 5])
def test_an_infinite_side_shared_with_the_reference_is_infinite(d: int) -> None:
    point = np.ones((1, d))
    point[0, d // 2] = np.inf
    assert compute_hypervolume(point, 1.1 * point) == np.inf  # a (1, d) reference, as Optuna


def test_infinities() -> None:
    assert compute_hypervolume([[0.0, 0.0]], [np.inf, 1.0]) == np.inf
    assert compute_hypervolume([[-np.inf, 0.0]], [1.0, 1.0]) == np.inf
    assert compute_hypervolume([[0.5, 0.5]], [1.0, 1.0]) == 0.25


@pytest.mark.parametrize("d", [2, 3, 4, 5])
def test_empty_set_has_no_volume(d: int) -> None:
    assert compute_hypervolume(np.empty((0, d)), np.ones(d)) == 0.0
    assert hypervolume_history(np.empty((0, d)), np.ones(d)).shape == (0,)


@pytest.mark.parametrize(
    ("points", "ref", "match"),
    [
        ([[1.0, np.nan]], [2.0, 2.0], r"loss_vals contains NaN \(row 0"),
        ([[1.0, 1.0]], [2.0, np.nan], "reference_point contains NaN"),
        ([[1.0, 1.0]], [2.0, 2.0, 2.0], r"2 objectives \(shape \(1, 2\)\).*shape \(3,\)"),
        ([1.0, 1.0], [2.0, 2.0], r"2-D array .*got shape \(2,\)"),
        ([[1.0, 1.0]], [[2.0, 2.0], [2.0, 2.0]], r"reference_point has shape \(2, 2\)"),
    ],
    ids=["nan-point", "nan-reference", "length", "1-d-points", "2-row-reference"],
)
def test_bad_input_is_named(points: Any, ref: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        compute_hypervolume(points, ref)


def test_too_large_a_front_is_refused_with_its_size() -> None:
    rng = np.random.default_rng(5)
    points = rng.random((200, 9))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    n_front = int(pareto_mask(points).sum())
    with pytest.raises(ValueError, match=f"{n_front} non-dominated points in 9 objectives"):
        compute_hypervolume(points, np.full(9, 2.0))


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_pareto_mask_matches_brute_force(d: int) -> None:
    rng = np.random.default_rng(d)
    for integer in (False, True):
        for _ in range(20):
            points = random_set(rng, int(rng.integers(1, 30)), d, integer)
            assert pareto_mask(points).tolist() == brute_front(points).tolist()


def test_pareto_mask_keeps_every_copy_of_a_front_point() -> None:
    points = [[1.0, 2.0], [1.0, 2.0], [2.0, 2.0], [2.0, 1.0]]
    assert pareto_mask(points).tolist() == [True, True, False, True]
    assert pareto_mask(np.empty((0, 3))).shape == (0,)
    with pytest.raises(ValueError, match="NaN"):
        pareto_mask([[np.nan, 1.0]])


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_history_equals_hypervolume_of_each_prefix(d: int) -> None:
    rng = np.random.default_rng(d + 20)
    points = random_set(rng, 25, d, integer=d > 2)
    ref = np.ones(d)
    want = [compute_hypervolume(points[: i + 1], ref) for i in range(len(points))]
    np.testing.assert_allclose(hypervolume_history(points, ref), want, atol=1e-12)


def test_history_turns_infinite_with_an_unbounded_point() -> None:
    points = [[0.5, 0.5], [-np.inf, 0.9], [0.1, 0.1]]
    assert hypervolume_history(points, [1.0, 1.0]).tolist() == [0.25, np.inf, np.inf]
