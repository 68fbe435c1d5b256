"""Error evaluators: how much of a difference in the objective is only noise.

A trial's value is an estimate (a cross-validated score measured on a finite dataset), so two
configurations whose values differ by less than its statistical error are not told apart.
:class:`~podbor.terminator.Terminator` stops a study when the room left for optimization (an
improvement evaluator's number) falls below this error.

:class:`CrossValidationErrorEvaluator` takes the error from the fold scores of the best trial,
reported with :func:`report_cross_validation_scores`. The folds of a k-fold cross-validation
share most of their training data, so the plain variance of the mean of ``k`` fold scores,
``s² / k``, underestimates the real one; Nadeau & Bengio ("Inference for the generalization
error", Machine Learning 52, 2003) correct it to ``(1/k + n_test/n_train) s²``, which for k folds
(``n_test / n_train = 1 / (k - 1)``) is ``(1/k + 1/(k-1)) s²``, ``s²`` the variance of the fold
scores. The error is its square root.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from podbor._deprecated import experimental
from podbor._records.base_trial import BaseTrial
from podbor._records.frozen_trial import FrozenTrial
from podbor._study_direction import StudyDirection
from podbor._validation import check_instance, check_real, is_real
from podbor.exceptions import invalid_argument
from podbor.terminator._gp_fit import complete_trials

__all__ = [
    "BaseErrorEvaluator",
    "CrossValidationErrorEvaluator",
    "StaticErrorEvaluator",
    "report_cross_validation_scores",
]

_CROSS_VALIDATION_SCORES_KEY = "terminator:cv_scores"
"""The trial system attribute that holds the fold scores (Optuna's key, so that studies and
code move over unchanged)."""


class BaseErrorEvaluator(abc.ABC):
    """The interface of an error evaluator: the statistical error of the objective's values.

    Subclass it and implement :meth:`evaluate`.

    Example:
        >>> class Tenth(BaseErrorEvaluator):
        ...     def evaluate(self, trials, study_direction):
        ...         return 0.1
        >>> Tenth().evaluate([], StudyDirection.MINIMIZE)
        0.1
    """

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The statistical error of the objective, judged from ``trials``.

        Args:
            trials: The study's trials (any states).
            study_direction: Whether the objective is minimized or maximized.
        """


@experimental("0.1.0")
class CrossValidationErrorEvaluator(BaseErrorEvaluator):
    """The error of the best trial's cross-validated value, from its fold scores.

    The objective must report its fold scores with :func:`report_cross_validation_scores` and
    return their mean. The error is ``sqrt((1/k + 1/(k-1)) * var(scores))`` of the best complete
    trial's ``k`` scores (the corrected variance of Nadeau & Bengio; see the module's description).

    Example:
        >>> import podbor
        >>> study = podbor.create_study(direction="maximize")
        >>> trial = study.ask()
        >>> report_cross_validation_scores(trial, [0.8, 0.9, 0.7])
        >>> _ = study.tell(trial, 0.8)
        >>> round(CrossValidationErrorEvaluator().evaluate(study.trials, study.direction), 4)
        0.0745
    """

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The statistical error of the best complete trial's value.

        Args:
            trials: The study's trials; the best COMPLETE one is read.
            study_direction: Whether the objective is minimized or maximized.

        Raises:
            ValueError: No trial is complete, or the best one has no reported fold scores.
        """
        completes = [t for t in complete_trials(trials) if t.value is not None]
        if not completes:
            raise ValueError(
                "CrossValidationErrorEvaluator needs at least one COMPLETE trial; there is none."
            )
        pick = max if study_direction == StudyDirection.MAXIMIZE else min
        best = pick(completes, key=lambda t: float(t.value))  # type: ignore[arg-type]
        scores = best.system_attrs.get(_CROSS_VALIDATION_SCORES_KEY)
        if scores is None:
            raise ValueError(
                f"CrossValidationErrorEvaluator needs the fold scores of the best trial (trial "
                f"{best.number}), which reported none: call "
                "podbor.terminator.report_cross_validation_scores(trial, scores) in the objective, "
                "or use another error evaluator (e.g. StaticErrorEvaluator)."
            )
        k = len(scores)
        if k < 2:
            raise ValueError(
                f"CrossValidationErrorEvaluator needs two or more fold scores; trial {best.number} "
                f"has {k}."
            )
        scale = 1.0 / k + 1.0 / (k - 1)
        return math.sqrt(scale * float(np.var(np.asarray(scores, dtype=float))))


def report_cross_validation_scores(trial: BaseTrial, scores: Sequence[float] | Any) -> None:
    """Record a trial's cross-validation fold scores for :class:`CrossValidationErrorEvaluator`.

    Call it in the objective, which should return the scores' mean. The scores are stored in the
    trial's system attributes under Optuna's key (``"terminator:cv_scores"``), so a study moved
    from Optuna keeps them.

    Args:
        trial: The trial the objective was given.
        scores: Two or more finite numbers, one per fold (a list, a tuple or a numpy array, as
            ``sklearn.model_selection.cross_val_score`` returns).

    Raises:
        ValueError: Fewer than two scores, or a score that is not a finite number.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> trial = study.ask()
        >>> report_cross_validation_scores(trial, [0.5, 0.7])
        >>> trial.system_attrs["terminator:cv_scores"]
        [0.5, 0.7]
    """
    owner = "report_cross_validation_scores"
    check_instance(trial, "trial", BaseTrial, owner=owner, allowed="a Trial")
    values = np.asarray(scores, dtype=object).reshape(-1).tolist() if scores is not None else []
    if len(values) <= 1 or np.ndim(scores) != 1:
        raise invalid_argument("scores", scores, "a sequence of two or more numbers", owner=owner)
    checked: list[float] = []
    for value in values:
        if not is_real(value) or not math.isfinite(float(value)):
            raise invalid_argument(
                "scores", scores, "a sequence of finite numbers (one per fold)", owner=owner
            )
        checked.append(float(value))
    trial.set_system_attr(_CROSS_VALIDATION_SCORES_KEY, checked)


@experimental("0.1.0")
class StaticErrorEvaluator(BaseErrorEvaluator):
    """An error that is always ``constant``: stop once the improvement falls below a fixed level.

    Args:
        constant: The error to return, a number (not NaN).

    Raises:
        ValueError: ``constant`` is not a number, or is NaN.

    Example:
        >>> StaticErrorEvaluator(0.05).evaluate([], StudyDirection.MINIMIZE)
        0.05
    """

    def __init__(self, constant: float) -> None:
        self._constant = check_real(constant, "constant", owner="StaticErrorEvaluator")

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """``constant``, whatever the trials.

        Args:
            trials: Ignored.
            study_direction: Ignored.
        """
        return self._constant
