"""podbor's own regression forest: CART trees grown one level of every tree at a time, in numpy.

Both forest evaluators (fANOVA and mean decrease impurity) fit a random forest to the trials.
The trees follow the rules of scikit-learn's ``RandomForestRegressor`` with every feature tried
at every split: each tree sees a bootstrap sample (drawn as per-row counts, used as weights); a
split lies midway between two neighbouring distinct values and is the one that most decreases
the weighted squared error; a node stays a leaf when it is pure, holds fewer than two rows, has
reached ``max_depth`` or has no two distinct values on any feature. Ties between features are
broken at random.

Why our own: a study has tens to a few thousand trials, where a forest library spends most of its
time on per-tree set-up, and the evaluators then read every tree back node by node. Here one step
grows one level of *all* trees: every feature keeps the samples ordered by (node, value), the best
split of every node and feature comes from one cumulative sum, and a split is a stable partition of
those orders, so the work is a few array operations per tree level, and importances need no
scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from podbor._arrays import BoolArray, FloatArray, IntArray

__all__ = ["Forest", "fit_forest", "grow_trees"]


# Two feature values closer than this are one value (scikit-learn's FEATURE_THRESHOLD).
_SAME_VALUE = 1e-7
# A node whose (standardized) targets vary less than this is pure.
_PURE = 1e-12


@dataclass(frozen=True)
class Forest:
    """A fitted forest: all trees' nodes in flat arrays; node ``t`` is the root of tree ``t``.

    ``left``/``right`` are child ids (-1 at a leaf); a sample goes left when its ``feature``
    value is at most ``threshold``. ``value`` is a node's weighted mean target, ``weight`` its
    weighted sample count and ``impurity`` the weighted variance of its targets (standardized
    units); ``tree`` says which tree a node belongs to.
    """

    left: IntArray
    right: IntArray
    feature: IntArray
    threshold: FloatArray
    value: FloatArray
    weight: FloatArray
    impurity: FloatArray
    tree: IntArray
    n_trees: int
    n_features: int

    def feature_importances(self) -> FloatArray:
        """Mean decrease in impurity of each feature, summing to 1 (all zeros without a split).

        Each tree's decreases (weighted impurity of a split node minus its children's) are summed
        per feature and scaled to sum to 1; trees without a split are left out; the mean over
        trees is scaled to sum to 1 again (scikit-learn's ``feature_importances_``).
        """
        d = self.n_features
        inner = np.flatnonzero(self.left >= 0)
        if not inner.size:
            return np.zeros(d)
        lc, rc = self.left[inner], self.right[inner]
        decrease = (
            self.weight[inner] * self.impurity[inner]
            - self.weight[lc] * self.impurity[lc]
            - self.weight[rc] * self.impurity[rc]
        )
        per_tree = np.bincount(
            self.tree[inner] * d + self.feature[inner],
            np.maximum(decrease, 0.0),
            minlength=self.n_trees * d,
        ).reshape(self.n_trees, d)
        split_trees = np.unique(self.tree[inner])
        rows = per_tree[split_trees]
        sums = rows.sum(axis=1, keepdims=True)
        rows = np.divide(rows, sums, out=np.zeros_like(rows), where=sums > 0)
        mean = rows.mean(axis=0)
        total = mean.sum()
        return np.asarray(mean / total if total > 0 else mean, dtype=float)

    def predict_trees(self, X: FloatArray) -> FloatArray:
        """Every tree's prediction at every row of ``X``: shape ``n_trees x n``."""
        points = np.asarray(X, dtype=float)
        node = np.repeat(np.arange(self.n_trees, dtype=np.int64)[:, None], len(points), axis=1)
        rows = np.arange(len(points))[None, :]
        inner = self.left[node] >= 0
        while inner.any():
            go_left = points[rows, self.feature[node]] <= self.threshold[node]
            child = np.where(go_left, self.left[node], self.right[node])
            node = np.where(inner, child, node)
            inner = self.left[node] >= 0
        return np.asarray(self.value[node], dtype=float)


class _Nodes:
    """The growing node arrays (capacity known in advance: a tree has < 2 nodes per sample)."""

    def __init__(self, capacity: int) -> None:
        self.left = np.full(capacity, -1, dtype=np.int64)
        self.right = np.full(capacity, -1, dtype=np.int64)
        self.feature = np.full(capacity, -1, dtype=np.int64)
        self.threshold = np.zeros(capacity)
        self.value = np.zeros(capacity)
        self.weight = np.zeros(capacity)
        self.impurity = np.zeros(capacity)
        self.tree = np.zeros(capacity, dtype=np.int64)
        self.size = 0

    def add(self, tree: IntArray, w: FloatArray, s: FloatArray, q: FloatArray) -> IntArray:
        """Append nodes with weight ``w``, weighted sum ``s`` and weighted square sum ``q``."""
        ids = np.arange(self.size, self.size + len(tree), dtype=np.int64)
        self.size += len(tree)
        mean = s / w
        self.tree[ids] = tree
        self.value[ids] = mean
        self.weight[ids] = w
        self.impurity[ids] = np.maximum(q / w - mean * mean, 0.0)
        return ids


def fit_forest(
    X: FloatArray,
    y: FloatArray,
    *,
    n_trees: int,
    max_depth: int,
    seed: int | None,
) -> Forest:
    """A random forest of ``n_trees`` fully grown (up to ``max_depth``) bootstrapped trees.

    ``X`` holds the features (any finite floats; the evaluators give the unit cube), ``y`` the
    targets. The same ``seed`` gives the same forest.

    Example:
        >>> import numpy as np
        >>> X = np.random.default_rng(0).random((200, 3))
        >>> forest = fit_forest(X, 3 * X[:, 0] + X[:, 1], n_trees=8, max_depth=64, seed=0)
        >>> [round(float(v), 1) for v in forest.feature_importances()]
        [0.9, 0.1, 0.0]
    """
    X = np.ascontiguousarray(X, dtype=float)
    n = len(X)
    rng = np.random.default_rng(seed)
    # Bootstrap: tree t draws n rows with replacement; a row drawn k times has weight k.
    draws = rng.integers(0, n, size=(n_trees, n)) + n * np.arange(n_trees)[:, None]
    counts = np.bincount(draws.ravel(), minlength=n_trees * n).reshape(n_trees, n)
    return grow_trees(X, y, counts, max_depth=max_depth, rng=rng)


def grow_trees(
    X: FloatArray, y: FloatArray, counts: IntArray, *, max_depth: int, rng: np.random.Generator
) -> Forest:
    """Trees grown from given row weights: one tree per row of ``counts`` (``n_trees x n``).

    Tree ``t`` weighs row ``i`` by ``counts[t, i]`` (0 leaves the row out); ``rng`` breaks ties
    between features. :func:`fit_forest` passes bootstrap counts; the tests pass their own.
    """
    X = np.ascontiguousarray(X, dtype=float)
    target = np.asarray(y, dtype=float)
    n_trees, d = len(counts), X.shape[1]
    spread = float(target.std())
    z = (target - target.mean()) / (spread if spread > 0 else 1.0)

    s_tree, s_row = np.nonzero(counts)
    s_w = counts[s_tree, s_row].astype(float)
    s_wy = s_w * z[s_row]
    s_node = s_tree.astype(np.int64)  # level-local node of each sample (roots: the tree index)

    nodes = _Nodes(2 * len(s_row) + n_trees)
    w = _sums(s_node, s_w, n_trees)
    s = _sums(s_node, s_wy, n_trees)
    q = _sums(s_node, s_wy * z[s_row], n_trees)
    cnt = np.bincount(s_node, minlength=n_trees)
    level = nodes.add(np.arange(n_trees, dtype=np.int64), w, s, q)
    # Each feature's order of the samples by (node, value).
    order = np.argsort(2.0 * s_node[None, :] + _unit(X)[s_row].T, axis=1)

    depth = 0
    while level.size:
        splittable = (cnt >= 2) & (nodes.impurity[level] > _PURE) & (depth < max_depth)
        if not splittable.any():
            break
        if not splittable.all():
            order, s_row, s_w, s_wy, s_node = _keep(splittable, order, s_row, s_w, s_wy, s_node)
            level, cnt, w, s = level[splittable], cnt[splittable], w[splittable], s[splittable]
        found = _best_splits(X, order, s_row, s_w, s_wy, cnt, w, s, rng)
        if found is None:
            break
        feature, threshold, has_split = found
        if not has_split.any():
            break
        split_ids = level[has_split]
        nodes.feature[split_ids] = feature[has_split]
        nodes.threshold[split_ids] = threshold[has_split]
        rank = np.cumsum(has_split) - 1
        in_split = has_split[s_node]
        go_left = X[s_row, feature[s_node]] <= threshold[s_node]
        child = np.where(in_split, 2 * rank[s_node] + (~go_left), 0)
        n_children = 2 * int(has_split.sum())
        kept = child[in_split]
        cw = _sums(kept, s_w[in_split], n_children)
        cs = _sums(kept, s_wy[in_split], n_children)
        cq = _sums(kept, (s_wy * z[s_row])[in_split], n_children)
        ccnt = np.bincount(kept, minlength=n_children)
        children = nodes.add(np.repeat(nodes.tree[split_ids], 2), cw, cs, cq)
        nodes.left[split_ids] = children[0::2]
        nodes.right[split_ids] = children[1::2]
        order = _partition(order, go_left, child, in_split, cnt, ccnt)
        s_row, s_w, s_wy, s_node = s_row[in_split], s_w[in_split], s_wy[in_split], kept
        level, cnt, w, s = children, ccnt, cw, cs
        depth += 1

    size = nodes.size
    scale, shift = (spread if spread > 0 else 1.0), float(target.mean())
    return Forest(
        left=nodes.left[:size],
        right=nodes.right[:size],
        feature=nodes.feature[:size],
        threshold=nodes.threshold[:size],
        value=nodes.value[:size] * scale + shift,
        weight=nodes.weight[:size],
        impurity=nodes.impurity[:size],
        tree=nodes.tree[:size],
        n_trees=n_trees,
        n_features=d,
    )


def _sums(index: IntArray, weights: FloatArray, size: int) -> FloatArray:
    """The weights summed per index (``np.bincount`` with weights, typed as floats)."""
    return np.asarray(np.bincount(index, weights, minlength=size), dtype=float)


def _unit(X: FloatArray) -> FloatArray:
    """``X`` mapped into ``[0, 0.5]`` per column, order kept (so ``2 * node + value`` sorts)."""
    low, high = X.min(axis=0), X.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    return np.asarray(0.5 * (X - low) / span, dtype=float)


def _keep(
    keep_node: BoolArray,
    order: IntArray,
    s_row: IntArray,
    s_w: FloatArray,
    s_wy: FloatArray,
    s_node: IntArray,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, IntArray]:
    """Drop the samples of nodes that will not split; orders and node numbers stay consistent."""
    keep = keep_node[s_node]
    new_id = np.cumsum(keep) - 1
    d = order.shape[0]
    order = new_id[order[keep[order]].reshape(d, -1)]
    node_id = np.cumsum(keep_node) - 1
    return order, s_row[keep], s_w[keep], s_wy[keep], node_id[s_node[keep]]


def _best_splits(
    X: FloatArray,
    order: IntArray,
    s_row: IntArray,
    s_w: FloatArray,
    s_wy: FloatArray,
    cnt: IntArray,
    w: FloatArray,
    s: FloatArray,
    rng: np.random.Generator,
) -> tuple[IntArray, FloatArray, BoolArray] | None:
    """Each node's best feature and threshold, and whether it has a valid split at all."""
    d, m = order.shape
    n_nodes = len(cnt)
    start = np.concatenate([[0], np.cumsum(cnt)[:-1]]).astype(np.int64)
    seg = np.repeat(np.arange(n_nodes), cnt)
    values = X.T.ravel()[s_row[order] + (len(X) * np.arange(d))[:, None]]
    cum_w = np.cumsum(s_w[order], axis=1)
    cum_s = np.cumsum(s_wy[order], axis=1)
    before = np.maximum(start - 1, 0)
    base_w = np.where(start > 0, cum_w[:, before], 0.0)
    base_s = np.where(start > 0, cum_s[:, before], 0.0)
    wl = cum_w - np.repeat(base_w, cnt, axis=1)
    sl = cum_s - np.repeat(base_s, cnt, axis=1)
    wr = np.repeat(w, cnt) - wl
    sr = np.repeat(s, cnt) - sl
    invalid = np.ones((d, m), dtype=bool)
    np.less_equal(values[:, 1:], values[:, :-1] + _SAME_VALUE, out=invalid[:, :-1])
    invalid[:, start + cnt - 1] = True
    # The split's proxy gain, sum_l^2 / w_l + sum_r^2 / w_r, in place to spare passes.
    gain = np.square(sl, out=sl)
    gain /= wl
    right = np.square(sr, out=sr)
    np.divide(right, wr, out=right, where=~invalid)
    gain += right
    gain[invalid] = -np.inf
    best_per_feature = np.maximum.reduceat(gain, start, axis=1)
    best = best_per_feature.max(axis=0)
    has_split = np.isfinite(best)
    if not has_split.any():
        return None
    ties = best_per_feature >= best - 1e-12 * np.abs(best)
    feature = np.argmax(ties * rng.random((d, n_nodes)), axis=0).astype(np.int64)
    at = np.arange(m)
    chosen = gain[feature[seg], at]
    first = np.where(chosen >= best_per_feature[feature, np.arange(n_nodes)][seg], at, m)
    pos = np.minimum(np.minimum.reduceat(first, start), m - 2)
    low = values[feature, pos]
    high = values[feature, pos + 1]
    threshold = 0.5 * (low + high)
    threshold = np.where(threshold >= high, low, threshold)
    return feature, threshold, has_split


def _partition(
    order: IntArray,
    go_left: BoolArray,
    child: IntArray,
    in_split: BoolArray,
    cnt: IntArray,
    child_cnt: IntArray,
) -> IntArray:
    """The children's orders: a stable partition of each node's run in every feature's order."""
    d, m = order.shape
    start = np.concatenate([[0], np.cumsum(cnt)[:-1]]).astype(np.int64)
    left = go_left[order]
    lefts_before = np.cumsum(left, axis=1, dtype=np.int32)  # int32: half the memory traffic
    lefts_before -= left
    rank_left = lefts_before - np.repeat(lefts_before[:, start], cnt, axis=1)
    rank_right = (np.arange(m) - np.repeat(start, cnt))[None, :] - rank_left
    child_start = np.concatenate([[0], np.cumsum(child_cnt)[:-1]]).astype(np.int64)
    dest = child_start[child][order] + np.where(left, rank_left, rank_right)
    new_id = np.cumsum(in_split) - 1
    kept = int(in_split.sum())
    out = np.empty((d, kept), dtype=np.int64)
    dest += (kept * np.arange(d, dtype=np.int64))[:, None]  # flat positions in ``out``
    if kept == m:
        out.ravel()[dest] = new_id[order]
    else:
        keep = in_split[order]
        out.ravel()[dest[keep]] = new_id[order[keep]]
    return out
