"""The terminator: stop a study when the room left for improvement is within the noise.

:class:`Terminator` asks two evaluators after enough complete trials: an improvement evaluator
(how much better the best value could still get, e.g. a regret bound) and an error evaluator (how
much of a difference is only noise, e.g. the cross-validation error of the best trial). When the
first is below the second, more trials are unlikely to find a better model that is not better by
chance alone (Makarova et al., "Automatic termination for hyperparameter optimization", AutoML
2022), and :meth:`Terminator.should_terminate` says so.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor._validation import check_instance, check_int
from podbor.exceptions import invalid_argument
from podbor.terminator.erroreval import (
    BaseErrorEvaluator,
    CrossValidationErrorEvaluator,
    StaticErrorEvaluator,
)
from podbor.terminator.improvement.evaluator import (
    DEFAULT_MIN_N_TRIALS,
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
    RegretBoundEvaluator,
)

if TYPE_CHECKING:
    from podbor._study_direction import StudyDirection
    from podbor.study import Study

__all__ = ["BaseTerminator", "Terminator"]


def default_evaluators(
    improvement_evaluator: BaseImprovementEvaluator | None,
    error_evaluator: BaseErrorEvaluator | None,
) -> tuple[BaseImprovementEvaluator, BaseErrorEvaluator]:
    """The evaluators a terminator (or its plot) uses when some are not given.

    The improvement evaluator defaults to :class:`RegretBoundEvaluator`; the error evaluator to
    ``StaticErrorEvaluator(0)`` for :class:`BestValueStagnationEvaluator` (its number is a count
    of trials left) and to :class:`CrossValidationErrorEvaluator` otherwise.

    Example:
        >>> improvement, error = default_evaluators(BestValueStagnationEvaluator(), None)
        >>> type(error).__name__
        'StaticErrorEvaluator'
    """
    improvement = improvement_evaluator or RegretBoundEvaluator()
    if error_evaluator is not None:
        return improvement, error_evaluator
    if isinstance(improvement, BestValueStagnationEvaluator):
        return improvement, StaticErrorEvaluator(constant=0)
    return improvement, CrossValidationErrorEvaluator()


def single_direction(study: StudyView, owner: str) -> StudyDirection:
    """The direction of a single-objective study; an error naming ``owner`` otherwise.

    Example:
        >>> import podbor
        >>> single_direction(podbor.create_study(directions=["minimize"] * 2), "f")
        Traceback (most recent call last):
        ...
        podbor.exceptions.InvalidArgumentError: The 'study' parameter of f must be a study with one objective. Got a study with 2 objectives instead.
    """
    directions = study.directions
    if len(directions) != 1:
        raise invalid_argument(
            "study",
            _Shown(f"a study with {len(directions)} objectives"),
            "a study with one objective",
            owner=owner,
        )
    return directions[0]


class _Shown:
    """A value whose repr is a given text (for messages about objects without a short repr)."""

    def __init__(self, text: str) -> None:
        self._text = text

    def __repr__(self) -> str:
        return self._text


class BaseTerminator(abc.ABC):
    """The interface of a terminator: whether a study should stop now.

    Subclass it and implement :meth:`should_terminate`; :class:`~podbor.terminator.TerminatorCallback`
    accepts any terminator.

    Example:
        >>> class AfterTen(BaseTerminator):
        ...     def should_terminate(self, study):
        ...         return len(study.trials) >= 10
        >>> import podbor
        >>> AfterTen().should_terminate(podbor.create_study())
        False
    """

    @abc.abstractmethod
    def should_terminate(self, study: Study) -> bool:
        """Whether ``study`` should stop now."""


class Terminator(BaseTerminator):
    """Stop when the room left for improvement is smaller than the objective's statistical error.

    After at least ``min_n_trials`` complete trials, :meth:`should_terminate` is True when the
    improvement evaluator's number is strictly below the error evaluator's. Use it in an
    ask-and-tell loop, or through :class:`~podbor.terminator.TerminatorCallback` with
    :meth:`podbor.Study.optimize`.

    Args:
        improvement_evaluator: The room left for optimization;
            :class:`~podbor.terminator.RegretBoundEvaluator` by default.
        error_evaluator: The statistical error; by default
            :class:`~podbor.terminator.CrossValidationErrorEvaluator` (the objective must then
            call :func:`~podbor.terminator.report_cross_validation_scores`), or
            ``StaticErrorEvaluator(0)`` when the improvement evaluator is a
            :class:`~podbor.terminator.BestValueStagnationEvaluator`.
        min_n_trials: Complete trials needed before the study may be stopped (an int >= 1).

    Raises:
        ValueError: ``min_n_trials`` is not a positive int, or an evaluator is of the wrong kind.

    Example:
        >>> import podbor
        >>> from podbor.terminator import BestValueStagnationEvaluator
        >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
        >>> study = podbor.create_study()
        >>> terminator = Terminator(BestValueStagnationEvaluator(3), min_n_trials=2)
        >>> for value in (1.0, 2.0, 2.0, 2.0, 2.0, 2.0):
        ...     _ = study.tell(study.ask(), value)
        ...     if terminator.should_terminate(study):
        ...         break
        >>> len(study.trials)
        5
    """

    def __init__(
        self,
        improvement_evaluator: BaseImprovementEvaluator | None = None,
        error_evaluator: BaseErrorEvaluator | None = None,
        min_n_trials: int = DEFAULT_MIN_N_TRIALS,
    ) -> None:
        owner = "Terminator"
        check_instance(
            improvement_evaluator,
            "improvement_evaluator",
            BaseImprovementEvaluator,
            owner=owner,
            allowed="a BaseImprovementEvaluator",
            allow_none=True,
        )
        check_instance(
            error_evaluator,
            "error_evaluator",
            BaseErrorEvaluator,
            owner=owner,
            allowed="a BaseErrorEvaluator",
            allow_none=True,
        )
        self._min_n_trials = check_int(min_n_trials, "min_n_trials", owner=owner, minimum=1)
        self._improvement_evaluator, self._error_evaluator = default_evaluators(
            improvement_evaluator, error_evaluator
        )

    def should_terminate(self, study: Study) -> bool:
        """Whether the improvement left is below the error, once ``min_n_trials`` are complete.

        Args:
            study: A single-objective study.

        Raises:
            ValueError: The study has several objectives, or an evaluator cannot judge its
                trials (e.g. the best trial reported no cross-validation scores).
        """
        direction = single_direction(study, "Terminator.should_terminate")
        trials = study.get_trials(deepcopy=False)
        n_complete = sum(1 for t in trials if t.state == TrialState.COMPLETE)
        if n_complete < self._min_n_trials:
            return False
        improvement = self._improvement_evaluator.evaluate(trials, direction)
        error = self._error_evaluator.evaluate(trials, direction)
        return bool(improvement < error)
