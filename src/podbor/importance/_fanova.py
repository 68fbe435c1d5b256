"""fANOVA: each parameter's share of the variance of a random forest's prediction."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from podbor.importance._cart import Forest
from podbor.importance._forest import ForestImportanceEvaluator, fanova_fractions, leaf_boxes

__all__ = ["FanovaImportanceEvaluator"]


class FanovaImportanceEvaluator(ForestImportanceEvaluator):
    """fANOVA importance evaluator (Hutter, Hoos and Leyton-Brown, ICML 2014).

    A random forest is fitted on the COMPLETE trials, parameters encoded on the unit cube (log
    scales in log space, each category an equal share). For each tree, a parameter's importance
    is the variance of the tree's prediction averaged over all other parameters, as a function
    of that parameter alone, divided by the tree's total variance; the evaluator returns the
    mean over trees. The decomposition is exact for each tree and computed for all trees at
    once with array operations.

    Only parameters that every COMPLETE trial has are assessed (no conditional parameters); use
    :class:`~podbor.importance.PedAnovaImportanceEvaluator` for those. The forest is podbor's own
    (the rules of scikit-learn's ``RandomForestRegressor``, every feature tried at each split),
    so no scikit-learn is needed.

    Args:
        n_trees: Number of trees of the forest.
        max_depth: Maximum depth of each tree.
        seed: Seed of the forest (bootstrap samples and split order), for repeatable results.

    Example:
        >>> import podbor
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -1, 1)
        ...     y = trial.suggest_float("y", -1, 1)
        ...     return x + 0.01 * y
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(objective, n_trials=50)
        >>> evaluator = FanovaImportanceEvaluator(seed=0)
        >>> list(podbor.importance.get_param_importances(study, evaluator=evaluator))
        ['x', 'y']
    """

    def _scores(self, forest: Forest) -> npt.NDArray[np.float64]:
        fractions = fanova_fractions(leaf_boxes(forest))
        usable = ~np.isnan(fractions).any(axis=1)
        if not usable.any():
            return np.zeros(forest.n_features)
        return np.asarray(fractions[usable].mean(axis=0), dtype=float)
