"""``ShapleyImportanceEvaluator``: parameter importances as mean absolute SHAP values.

The evaluator of ``optuna_integration.shap`` under the same name and signature, a
:class:`podbor.importance.BaseImportanceEvaluator`: pass it to
:func:`podbor.importance.get_param_importances` or
:func:`podbor.visualization.plot_param_importances` as ``evaluator=``. It fits scikit-learn's
``RandomForestRegressor`` to the COMPLETE trials and explains the forest with SHAP's
``TreeExplainer``; a parameter's importance is the mean, over those trials, of the absolute
SHAP value of its column.

The trials and columns are those of podbor's forest evaluators
(:class:`~podbor.importance.MeanDecreaseImpurityImportanceEvaluator`): only the parameters
every COMPLETE trial has (or, with ``params``, the trials that have them all), trials with a
non-finite target left out, and the parameters on the unit cube (log scales in log space, each
category its own share of ``[0, 1]``, one column per parameter).

SHAP and scikit-learn are imported when the evaluator is built, so importing this module works
without them (``pip install podbor[shap]``). SHAP imports numba, so its first import takes a few
seconds.

Example:
    >>> import podbor
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -1, 1)
    ...     y = trial.suggest_float("y", -1, 1)
    ...     return x + 0.01 * y
    >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
    >>> study.optimize(objective, n_trials=30)
    >>> evaluator = ShapleyImportanceEvaluator(n_trees=8, seed=0)
    >>> list(podbor.importance.get_param_importances(study, evaluator=evaluator))
    ['x', 'y']
"""

from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np

from podbor._arrays import FloatArray
from podbor.importance._forest import ForestImportanceEvaluator
from podbor.integration._common import require

__all__ = ["ShapleyImportanceEvaluator"]

_OWNER = "ShapleyImportanceEvaluator"


def _libraries() -> tuple[ModuleType, ModuleType]:
    """``(shap, sklearn.ensemble)``, or an ``ImportError`` naming ``pip install podbor[shap]``."""
    # scikit-learn first: SHAP imports it, so without it the message names scikit-learn
    ensemble = require("sklearn.ensemble", package="scikit-learn", extra="shap", owner=_OWNER)
    with warnings.catch_warnings():
        # SHAP's first import draws its colour maps with calls matplotlib plans to deprecate:
        # noise about SHAP's code, not the user's.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        shap = require("shap", package="SHAP", extra="shap", owner=_OWNER)
    return shap, ensemble


class ShapleyImportanceEvaluator(ForestImportanceEvaluator):
    """Shapley (SHAP) parameter importance evaluator.

    A random forest (scikit-learn's ``RandomForestRegressor``) is fitted to predict the target
    of the COMPLETE trials from their parameters; a parameter's importance is the mean absolute
    SHAP value (SHAP's ``TreeExplainer``, exact for trees) of its column over those trials. It
    is how much, on average, the parameter moved one trial's prediction away from the average
    prediction, in the units of the target: unlike fANOVA's shares it does not sum to 1
    (:func:`~podbor.importance.get_param_importances` normalizes it).

    Only parameters that every COMPLETE trial has are assessed, as with
    :class:`~podbor.importance.MeanDecreaseImpurityImportanceEvaluator` (with ``params``, the
    trials that have them all are used); a parameter with a single possible value scores 0. A
    multi-objective study needs ``target``.

    Args:
        n_trees: Number of trees of the random forest.
        max_depth: Maximum depth of each tree.
        seed: Seed of the forest (``random_state``), for repeatable results; seeds from
            ``2**32`` on are taken modulo ``2**32``, which is all scikit-learn accepts.

    Raises:
        ImportError: SHAP or scikit-learn is not installed (``pip install podbor[shap]``).
        podbor.exceptions.InvalidArgumentError: ``n_trees`` or ``max_depth`` below 1, a
            negative ``seed``.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=10)
        >>> ShapleyImportanceEvaluator(n_trees=4, seed=0).evaluate(study)["x"] > 0.0
        True
    """

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64, seed: int | None = None) -> None:
        _libraries()
        super().__init__(n_trees=n_trees, max_depth=max_depth, seed=seed)

    def _column_scores(self, X: FloatArray, y: FloatArray) -> FloatArray:
        shap, ensemble = _libraries()
        forest = ensemble.RandomForestRegressor(
            n_estimators=self._n_trees,
            max_depth=self._max_depth,
            min_samples_split=2,
            min_samples_leaf=1,
            random_state=None if self._seed is None else self._seed % 2**32,
        )
        forest.fit(X, y)
        shap_values = np.asarray(shap.TreeExplainer(forest).shap_values(X), dtype=float)
        return np.asarray(np.abs(shap_values).mean(axis=0), dtype=float)
