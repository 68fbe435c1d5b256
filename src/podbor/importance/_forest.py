"""What the tree-based evaluators share: the trials they read, the forest, fANOVA's leaf boxes.

:class:`ForestImportanceEvaluator` chooses the trials and columns and encodes them for every
forest evaluator, podbor's and the SHAP one of ``podbor.integration.shap`` (a scikit-learn
forest). podbor's forest is its own (:mod:`podbor.importance._cart`), so fANOVA and MDI need no
scikit-learn. :func:`leaf_boxes` turns every tree of the forest into the boxes of its leaves in
the unit cube, all trees at once, one tree level per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from podbor._arrays import FloatArray, IntArray
from podbor._validation import check_positive_int, check_seed
from podbor.importance._base import (
    BaseImportanceEvaluator,
    Target,
    completed_trials,
    encode_trials,
    finite_trials,
    sort_by_importance,
    target_array,
    tree_search_space,
)
from podbor.importance._cart import Forest, fit_forest

__all__ = ["ForestImportanceEvaluator", "LeafBoxes", "leaf_boxes"]


@dataclass(frozen=True)
class LeafBoxes:
    """Every leaf of every tree of a forest, as a box of the unit cube.

    ``low``/``high`` (``n_leaves x d``) bound each leaf's box, ``value`` is its prediction and
    ``tree`` the index of its tree; a tree's leaf boxes tile ``[0, 1]^d``.
    """

    low: FloatArray
    high: FloatArray
    value: FloatArray
    tree: IntArray
    n_trees: int


def leaf_boxes(forest: Forest) -> LeafBoxes:
    """The leaf boxes of all trees of a fitted forest, computed level by level.

    Each step splits the boxes of the current level's internal nodes (of every tree) at their
    thresholds and moves on to their children, so the work is a handful of array operations per
    tree level, not a Python step per node.
    """
    left, right, feature = forest.left, forest.right, forest.feature
    threshold = np.clip(forest.threshold, 0.0, 1.0)
    n_nodes = len(left)
    low = np.zeros((n_nodes, forest.n_features))
    high = np.ones((n_nodes, forest.n_features))
    level = np.arange(forest.n_trees, dtype=np.int64)
    while level.size:
        parents = level[left[level] >= 0]
        if not parents.size:
            break
        lc, rc, f, t = left[parents], right[parents], feature[parents], threshold[parents]
        low[lc], high[lc] = low[parents], high[parents]
        low[rc], high[rc] = low[parents], high[parents]
        high[lc, f] = t
        low[rc, f] = t
        level = np.concatenate([lc, rc])
    leaves = np.flatnonzero(left < 0)
    return LeafBoxes(
        low[leaves], high[leaves], forest.value[leaves], forest.tree[leaves], forest.n_trees
    )


def fanova_fractions(boxes: LeafBoxes) -> FloatArray:
    """Each feature's share of each tree's variance: shape ``n_trees x d`` (NaN: no variance).

    For a tree ``f`` over the uniform unit cube, the share of feature ``j`` is the variance of
    its marginal ``f_j(x_j) = E[f | x_j]`` over the tree's variance (Hutter, Hoos and
    Leyton-Brown, ICML 2014). The marginal is piecewise constant between the tree's split
    points on ``j``; every tree's pieces are laid side by side on one axis (tree ``t`` owns
    ``[2t, 2t + 1]``), so one cumulative sum gives every tree's marginal for one feature.
    """
    n_trees, d = boxes.n_trees, boxes.low.shape[1]
    width = np.clip(boxes.high - boxes.low, 0.0, 1.0)
    volume = np.prod(width, axis=1)
    mean = np.bincount(boxes.tree, volume * boxes.value, minlength=n_trees)
    total = np.bincount(
        boxes.tree, volume * (boxes.value - mean[boxes.tree]) ** 2, minlength=n_trees
    )
    shift = 2.0 * boxes.tree
    out = np.full((n_trees, d), np.nan)
    has_variance = total > 1e-14 * np.maximum(1.0, mean**2)
    for j in range(d):
        start_key, end_key = shift + boxes.low[:, j], shift + boxes.high[:, j]
        edges = np.unique(np.concatenate([start_key, end_key]))
        seg_tree = np.floor(edges[:-1] / 2.0).astype(np.int64)
        seg_width = np.diff(edges)
        inside = edges[1:] <= 2.0 * seg_tree + 1.0
        # The other coordinates' volume of a leaf, times its value, is its mass on x_j.
        with np.errstate(invalid="ignore", divide="ignore"):
            mass = np.where(width[:, j] > 0, volume * boxes.value / width[:, j], 0.0)
        acc = np.zeros(edges.size)
        np.add.at(acc, np.searchsorted(edges, start_key), mass)
        np.add.at(acc, np.searchsorted(edges, end_key), -mass)
        marginal = np.cumsum(acc)[:-1]
        w = np.where(inside, seg_width, 0.0)
        deviation = marginal - mean[np.clip(seg_tree, 0, n_trees - 1)]
        var_j = np.bincount(seg_tree[inside], (w * deviation**2)[inside], minlength=n_trees)
        out[has_variance, j] = var_j[has_variance] / total[has_variance]
    return out


class ForestImportanceEvaluator(BaseImportanceEvaluator):
    """The shared part of the forest evaluators: their arguments, which trials and columns.

    Subclasses score the encoded columns (:meth:`_column_scores`); by default that fits
    podbor's forest and asks :meth:`_scores` what its importance of each column is.
    """

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64, seed: int | None = None) -> None:
        owner = type(self).__name__
        self._n_trees = check_positive_int(n_trees, "n_trees", owner=owner)
        self._max_depth = check_positive_int(max_depth, "max_depth", owner=owner)
        self._seed = check_seed(seed, owner=owner)

    def _scores(self, forest: Forest) -> FloatArray:
        """Shape ``d``: each column's importance in podbor's fitted forest."""
        raise NotImplementedError

    def _column_scores(self, X: FloatArray, y: FloatArray) -> FloatArray:
        """Shape ``d``: each column's importance, from the encoded trials ``X`` and targets ``y``.

        ``X`` holds only parameters with more than one possible value and ``y`` is finite, with
        at least one row. The default fits podbor's forest and scores it with :meth:`_scores`;
        an evaluator with another model overrides this instead.
        """
        forest = fit_forest(X, y, n_trees=self._n_trees, max_depth=self._max_depth, seed=self._seed)
        return self._scores(forest)

    def evaluate(
        self,
        study: Any,
        params: list[str] | None = None,
        *,
        target: Target | None = None,
    ) -> dict[str, float]:
        """Each parameter's importance in a forest fitted on the study's COMPLETE trials.

        Only parameters every used trial has are assessed (``params=None``: those of every
        COMPLETE trial); a parameter with a single possible value scores 0.

        Raises:
            ValueError: a multi-objective study without ``target``; ``params`` that no COMPLETE
                trial has all of, or with changing distributions.
        """
        if target is None and len(study.directions) > 1:
            raise ValueError(
                "If the `study` is being used for multi-objective optimization, please specify "
                "the `target`. For example, use `target=lambda t: t.values[0]` for the first "
                "objective."
            )
        space = tree_search_space(study, params)
        names = list(space)
        trials = [t for t in completed_trials(study) if all(n in t.params for n in names)]
        trials = finite_trials(trials, target)
        varying = {n: d for n, d in space.items() if not d.single()}
        importances = dict.fromkeys(names, 0.0)
        if trials and varying:
            columns, X = encode_trials(trials, varying)
            y = target_array(trials, target)
            scores = self._column_scores(X, y)
            importances.update(
                {n: float(s) if np.isfinite(s) else 0.0 for n, s in zip(columns, scores)}
            )
        return sort_by_importance(importances)
