"""podbor's own regression forest against scikit-learn's trees, and its invariants."""

from __future__ import annotations

import numpy as np
import pytest

from podbor.importance._cart import fit_forest, grow_trees


def _data(n: int = 70, d: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    y = np.sin(5 * X[:, 0]) + 2 * X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=n)
    return X, y


@pytest.mark.parametrize("max_depth", [1, 3, 5])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_a_tree_is_scikit_learns_tree(max_depth: int, weighted: bool) -> None:
    """Same rows and weights: the same splits (so the same predictions) and importances.

    Deeper, nodes of two or three rows have several equally good splits, which either library
    picks at random, so full-depth trees are checked split by split below instead.
    """
    tree_mod = pytest.importorskip("sklearn.tree")
    X, y = _data(n=400)
    rng = np.random.default_rng(1)
    counts = rng.integers(0, 4, size=len(X)) if weighted else np.ones(len(X), dtype=np.int64)
    forest = grow_trees(X, y, counts[None, :], max_depth=max_depth, rng=np.random.default_rng(0))
    used = counts > 0
    theirs = tree_mod.DecisionTreeRegressor(max_depth=max_depth, random_state=0).fit(
        X[used], y[used], sample_weight=counts[used].astype(float)
    )
    probe = np.random.default_rng(2).random((500, X.shape[1]))
    np.testing.assert_allclose(forest.predict_trees(probe)[0], theirs.predict(probe))
    np.testing.assert_allclose(forest.feature_importances(), theirs.feature_importances_)
    assert (forest.left >= 0).sum() == (theirs.tree_.children_left >= 0).sum()


def test_forest_importances_agree_with_scikit_learns_forest() -> None:
    ensemble = pytest.importorskip("sklearn.ensemble")
    X, y = _data(n=200, d=5)
    ours = fit_forest(X, y, n_trees=64, max_depth=64, seed=0).feature_importances()
    theirs = ensemble.RandomForestRegressor(n_estimators=64, random_state=0).fit(X, y)
    np.testing.assert_allclose(ours, theirs.feature_importances_, atol=0.03)
    assert np.argsort(ours)[-3:].tolist() == np.argsort(theirs.feature_importances_)[-3:].tolist()


def test_every_split_is_the_best_one() -> None:
    """At every node of full-depth weighted trees, no feature and threshold reduces the weighted
    squared error more than the chosen split (brute force over all of them)."""
    X, y = _data(n=40, d=3)
    counts = np.random.default_rng(3).integers(0, 3, size=(3, len(X)))
    forest = grow_trees(X, y, counts, max_depth=64, rng=np.random.default_rng(0))

    def error(rows: np.ndarray, w: np.ndarray) -> float:
        mean = np.average(y[rows], weights=w)
        return float(np.sum(w * (y[rows] - mean) ** 2))

    checked = 0
    for t in range(3):
        stack = [(t, np.flatnonzero(counts[t] > 0))]
        while stack:
            node, rows = stack.pop()
            if forest.left[node] < 0:
                continue
            w = counts[t, rows].astype(float)
            f, thr = forest.feature[node], forest.threshold[node]
            go_left = X[rows, f] <= thr
            ours = error(rows[go_left], w[go_left]) + error(rows[~go_left], w[~go_left])
            best = np.inf
            for j in range(X.shape[1]):
                values = np.unique(X[rows, j])
                for cut in (values[:-1] + values[1:]) / 2:
                    side = X[rows, j] <= cut
                    best = min(best, error(rows[side], w[side]) + error(rows[~side], w[~side]))
            assert ours <= best + 1e-9 * max(1.0, best)
            checked += 1
            stack += [(forest.left[node], rows[go_left]), (forest.right[node], rows[~go_left])]
    assert checked > 30


def test_the_seed_fixes_the_forest() -> None:
    X, y = _data()
    a = fit_forest(X, y, n_trees=8, max_depth=64, seed=3)
    b = fit_forest(X, y, n_trees=8, max_depth=64, seed=3)
    c = fit_forest(X, y, n_trees=8, max_depth=64, seed=4)
    np.testing.assert_array_equal(a.threshold, b.threshold)
    np.testing.assert_array_equal(a.value, b.value)
    assert len(a.threshold) != len(c.threshold) or not np.array_equal(a.threshold, c.threshold)


def test_fully_grown_trees_fit_their_rows_and_respect_max_depth() -> None:
    X, y = _data(n=50)
    counts = np.random.default_rng(0).integers(0, 3, size=(5, len(X)))
    counts[:, 0] = 1
    forest = grow_trees(X, y, counts, max_depth=64, rng=np.random.default_rng(0))
    predictions = forest.predict_trees(X)
    for t in range(5):
        rows = counts[t] > 0
        np.testing.assert_allclose(predictions[t, rows], y[rows])
    shallow = grow_trees(X, y, counts, max_depth=2, rng=np.random.default_rng(0))
    assert np.bincount(shallow.tree).max() <= 7  # at most 1 + 2 + 4 nodes per tree


def test_splits_fall_between_distinct_values() -> None:
    rng = np.random.default_rng(5)
    X = np.column_stack([rng.integers(0, 5, 120) / 4, rng.random(120)])
    y = 3 * X[:, 0] + 0.1 * X[:, 1]
    forest = fit_forest(X, y, n_trees=6, max_depth=64, seed=0)
    on_grid = forest.threshold[(forest.left >= 0) & (forest.feature == 0)]
    assert on_grid.size
    np.testing.assert_allclose(np.sort(np.unique(on_grid)) * 8 % 2, 1.0)  # 1/8, 3/8, 5/8, 7/8


def test_constant_or_single_row_targets_give_leaves_only() -> None:
    X, _ = _data(n=30)
    flat = fit_forest(X, np.full(30, 2.5), n_trees=4, max_depth=64, seed=0)
    assert len(flat.left) == 4 and (flat.left < 0).all()
    np.testing.assert_array_equal(flat.feature_importances(), np.zeros(4))
    np.testing.assert_allclose(flat.predict_trees(X), 2.5)
    one = fit_forest(X[:1], np.array([1.0]), n_trees=3, max_depth=64, seed=0)
    assert len(one.left) == 3
    same_x = fit_forest(np.zeros((10, 2)), np.arange(10.0), n_trees=2, max_depth=64, seed=0)
    assert (same_x.left < 0).all()  # no two distinct values: nothing to split on


def test_ties_between_features_are_broken_at_random() -> None:
    X = np.tile(np.linspace(0, 1, 20)[:, None], (1, 2))  # two identical columns
    y = (X[:, 0] > 0.5).astype(float)
    roots = [int(fit_forest(X, y, n_trees=1, max_depth=1, seed=s).feature[0]) for s in range(40)]
    assert set(roots) == {0, 1}
