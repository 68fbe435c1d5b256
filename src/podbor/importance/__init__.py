"""Parameter importances: which hyperparameters mattered, from a study's COMPLETE trials.

Optuna's ``optuna.importance``: :func:`get_param_importances` with three evaluators,
:class:`PedAnovaImportanceEvaluator` (the default; conditional parameters and several
objectives included), :class:`FanovaImportanceEvaluator` and
:class:`MeanDecreaseImpurityImportanceEvaluator` (random forests, podbor's own: numpy only).
"""

from __future__ import annotations

from typing import Any

from podbor._deprecated import warn_experimental
from podbor._validation import check_bool
from podbor.importance._base import BaseImportanceEvaluator, Target
from podbor.importance._fanova import FanovaImportanceEvaluator
from podbor.importance._mdi import MeanDecreaseImpurityImportanceEvaluator
from podbor.importance._ped_anova import PedAnovaImportanceEvaluator

__all__ = [
    "BaseImportanceEvaluator",
    "FanovaImportanceEvaluator",
    "MeanDecreaseImpurityImportanceEvaluator",
    "PedAnovaImportanceEvaluator",
    "get_param_importances",
]


def get_param_importances(
    study: Any,
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    params: list[str] | None = None,
    target: Target | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Each parameter's importance from the study's COMPLETE trials, largest first.

    Importances are non-negative; by default they are normalized to sum to 1 (all equal when
    every importance is 0). Trials whose target is not finite are left out.

    With the default evaluator, :class:`PedAnovaImportanceEvaluator`, ``params=None`` assesses
    every parameter of a COMPLETE trial, conditional ones included, and a multi-objective study
    needs no ``target``. The forest evaluators assess only the parameters every COMPLETE trial
    has, and need ``target`` on a multi-objective study.

    Args:
        study: An optimized study.
        evaluator: The algorithm; None for :class:`PedAnovaImportanceEvaluator`.
        params: The parameters to assess (an empty list gives an empty dict); None for the
            evaluator's default set.
        target: The value to explain, e.g. ``lambda t: t.values[0]`` or ``lambda t:
            t.duration.total_seconds()``; None for the objective value.
        normalize: Scale the importances to sum to 1 (False is experimental, as in Optuna).

    Returns:
        ``{parameter name: importance}``, sorted by importance, largest first.

    Raises:
        TypeError: ``evaluator`` is not a :class:`BaseImportanceEvaluator`, or ``params`` is
            not a list of names.
        ValueError: a parameter of ``params`` that no COMPLETE trial has; a multi-objective
            study without ``target`` for a forest evaluator.

    Example:
        >>> import podbor
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -1.0, 1.0)
        ...     y = trial.suggest_float("y", -1.0, 1.0)
        ...     return x**2 + 0.01 * y
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=42))
        >>> study.optimize(objective, n_trials=100)
        >>> importances = podbor.importance.get_param_importances(study)
        >>> list(importances), round(sum(importances.values()), 6)
        (['x', 'y'], 1.0)
    """
    if evaluator is None:
        evaluator = PedAnovaImportanceEvaluator()
    if not isinstance(evaluator, BaseImportanceEvaluator):
        raise TypeError(
            f"evaluator must be a BaseImportanceEvaluator (or None), got {type(evaluator).__name__}."
        )
    normalize = check_bool(normalize, "normalize", owner="get_param_importances")
    result = evaluator.evaluate(study, params=params, target=target)
    if not normalize:
        warn_experimental("The 'normalize' argument of get_param_importances")
        return result
    total = sum(result.values())
    if total == 0.0:
        return {name: 1.0 / len(result) for name in result}
    return {name: value / total for name, value in result.items()}
