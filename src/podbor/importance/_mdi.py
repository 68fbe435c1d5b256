"""Mean decrease impurity: how much a random forest's splits on a parameter reduce its error."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from podbor.importance._cart import Forest
from podbor.importance._forest import ForestImportanceEvaluator

__all__ = ["MeanDecreaseImpurityImportanceEvaluator"]


class MeanDecreaseImpurityImportanceEvaluator(ForestImportanceEvaluator):
    """Mean-decrease-impurity (MDI) importance evaluator.

    A random forest is fitted on the COMPLETE trials (parameters on the unit cube); a
    parameter's importance is the total decrease of squared error brought by the splits on it,
    averaged over trees (as scikit-learn's ``feature_importances_``). Fast, but biased towards
    parameters with many distinct values. Only parameters that every COMPLETE trial has are
    assessed. The forest is podbor's own (see :class:`FanovaImportanceEvaluator`), so no
    scikit-learn is needed.

    Args:
        n_trees: Number of trees of the forest.
        max_depth: Maximum depth of each tree.
        seed: Seed of the forest, for repeatable results.

    Example:
        >>> import podbor
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -1, 1)
        ...     y = trial.suggest_float("y", -1, 1)
        ...     return x + 0.01 * y
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(objective, n_trials=50)
        >>> evaluator = MeanDecreaseImpurityImportanceEvaluator(seed=0)
        >>> list(podbor.importance.get_param_importances(study, evaluator=evaluator))
        ['x', 'y']
    """

    def _scores(self, forest: Forest) -> npt.NDArray[np.float64]:
        return np.asarray(np.nan_to_num(forest.feature_importances(), nan=0.0), dtype=float)
