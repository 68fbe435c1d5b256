"""The data of ``plot_param_importances``: one bar per parameter, one bar set per target.

Backend-free. Importances come from :func:`podbor.importance.get_param_importances` (normalized
to sum to 1); on a multi-objective study without ``target``, each objective gets its own bar set,
named by the study's metric names (or "Objective Value 0", "Objective Value 1", ...).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.importance import BaseImportanceEvaluator, get_param_importances
from podbor.logging import get_logger
from podbor.visualization._data._common import (
    DEFAULT_TARGET_NAME,
    Target,
    check_target,
    filter_nonfinite,
)

__all__ = ["ImportanceBars", "ParamImportancesData", "importance_label", "param_importances_data"]

_logger = get_logger(__name__)

NO_TRIALS_MESSAGE = "Study instance does not contain completed trials."


@dataclass(frozen=True)
class ImportanceBars:
    """The bars of one target: parameters from the least to the most important.

    ``importance_labels`` are the texts drawn next to the bars ("0.42", or "<0.01");
    ``distributions`` name each parameter's distribution class (for hover texts).
    """

    target_name: str
    param_names: list[str]
    importance_values: list[float]
    importance_labels: list[str]
    distributions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ParamImportancesData:
    """Everything a renderer draws: one :class:`ImportanceBars` per target.

    ``message`` is non-empty when there is nothing to draw, and says why.
    """

    bars: list[ImportanceBars]
    message: str = ""


def importance_label(value: float) -> str:
    """The text next to a bar: two decimals, or "<0.01" for the negligible.

    Example:
        >>> importance_label(0.4567), importance_label(0.004)
        ('0.46', '<0.01')
    """
    return "<0.01" if value < 0.01 else f"{value:.2f}"


def _distribution_names(trials: Sequence[FrozenTrial], names: Sequence[str]) -> list[str]:
    found: dict[str, str] = {}
    for trial in reversed(trials):
        for name in names:
            if name not in found and name in trial.distributions:
                found[name] = type(trial.distributions[name]).__name__
        if len(found) == len(names):
            break
    return [found.get(name, "") for name in names]


def _bars(
    study: Any,
    evaluator: BaseImportanceEvaluator | None,
    params: list[str] | None,
    target: Target | None,
    target_name: str,
) -> ImportanceBars:
    complete = filter_nonfinite(
        study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)), target, False
    )
    if not complete or (params is not None and not params):
        if not complete:
            _logger.warning(NO_TRIALS_MESSAGE)
        return ImportanceBars(target_name, [], [], [], [])
    importances = get_param_importances(study, evaluator=evaluator, params=params, target=target)
    names = list(reversed(importances))
    values = [float(importances[n]) for n in names]
    return ImportanceBars(
        target_name,
        names,
        values,
        [importance_label(v) for v in values],
        _distribution_names(complete, names),
    )


def _objective_target(index: int, direction: StudyDirection) -> Target:
    sign = -1.0 if direction == StudyDirection.MAXIMIZE else 1.0

    def objective(trial: FrozenTrial) -> float:
        assert trial.values is not None
        return sign * trial.values[index]

    return objective


def param_importances_data(
    study: Any,
    evaluator: BaseImportanceEvaluator | None = None,
    params: list[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> ParamImportancesData:
    """The bars of ``plot_param_importances``, least important parameter first.

    Args:
        study: The study.
        evaluator: The importance algorithm; None for get_param_importances' default.
        params: The parameters to show; None for the evaluator's default set.
        target: What to explain; None: the objective, or each objective of a multi-objective
            study in turn (a maximized one negated, since PED-ANOVA explains low values).
        target_name: The name of the target (legend and hover).

    Raises:
        ValueError: a parameter of ``params`` that no COMPLETE trial has.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + 0 * t.suggest_float("y", 0, 1),
        ...                n_trials=20)
        >>> data = param_importances_data(study)
        >>> data.bars[0].param_names
        ['y', 'x']
    """
    n_objectives = len(study.directions)
    if target is None:
        default = (
            [target_name]
            if n_objectives == 1
            else [f"{target_name} {i}" for i in range(n_objectives)]
        )
        names = study.metric_names or default
        bars = []
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="PedAnovaImportanceEvaluator explains low")
            for i, direction in enumerate(study.directions):
                objective = None if n_objectives == 1 else _objective_target(i, direction)
                bars.append(_bars(study, evaluator, params, objective, names[i]))
    else:
        check_target(study, target, target_name)
        bars = [_bars(study, evaluator, params, target, target_name)]
    message = "" if any(b.param_names for b in bars) else _empty_message(study, params)
    return ParamImportancesData(bars, message)


def _empty_message(study: Any, params: list[str] | None) -> str:
    if params is not None and not params:
        return "No parameters to show (params is empty)."
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return NO_TRIALS_MESSAGE
    return "The study has no parameters."
