"""The numbers behind ``plot_terminator_improvement``: the terminator's two curves over trials.

Backend-free (numpy). After each COMPLETE trial (in number order) the improvement evaluator is
computed on the complete trials up to it (the room left for optimization the terminator would
have seen then), and, if asked, the error evaluator too; the terminator stops a study where the
first curve falls below the second. The values before ``min_n_trials`` rest on few trials and
are drawn apart; the y range is taken from the values from ``min_n_trials`` on, so that the large
early values do not flatten the part that decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor._validation import check_bool, check_instance, check_int
from podbor.logging import get_logger
from podbor.terminator.erroreval import BaseErrorEvaluator
from podbor.terminator.improvement.evaluator import DEFAULT_MIN_N_TRIALS, BaseImprovementEvaluator
from podbor.terminator.terminator import default_evaluators, single_direction

__all__ = [
    "NO_TRIALS_MESSAGE",
    "TerminatorImprovementData",
    "improvement_y_range",
    "terminator_improvement_data",
]

_logger = get_logger(__name__)

NO_TRIALS_MESSAGE = "There are no complete trials."
_HUGE = 1e300
"""Values at least this large mean "not computable yet" (e.g. EMMR's placeholder): left out of
the y range."""
_OWNER = "plot_terminator_improvement"


@dataclass(frozen=True)
class TerminatorImprovementData:
    """Everything a terminator-improvement figure shows.

    Attributes:
        numbers: The COMPLETE trials' numbers, ascending, shape ``(n,)``.
        improvements: The improvement evaluator after each of them, ``(n,)``.
        errors: The error evaluator after each of them, ``(n,)``, or None when not asked for
            (or when no trial is complete).
        min_n_trials: The values before this many complete trials are drawn apart.
        y_range: ``(low, high)`` of the y axis.
        message: Why the plot is empty (None when some trial completed).
    """

    numbers: npt.NDArray[np.int64]
    improvements: npt.NDArray[np.float64]
    errors: npt.NDArray[np.float64] | None
    min_n_trials: int
    y_range: tuple[float, float]
    message: str | None


def improvement_y_range(
    improvements: npt.ArrayLike, errors: npt.ArrayLike | None, min_n_trials: int
) -> tuple[float, float]:
    """The y range: the finite values from the ``min_n_trials``-th on (all if fewer), padded 5 %.

    Example:
        >>> improvement_y_range([10.0, 2.0, 1.0], None, 2)
        (0.95, 2.05)
        >>> improvement_y_range([0.0], [0.0], 1)
        (-0.5, 0.5)
    """
    columns = [np.asarray(improvements, dtype=float).reshape(-1)]
    if errors is not None:
        columns.append(np.asarray(errors, dtype=float).reshape(-1))
    n = columns[0].size
    start = min_n_trials - 1 if n >= min_n_trials else 0
    values = np.concatenate([c[start:] for c in columns])
    values = values[np.isfinite(values) & (np.abs(values) < _HUGE)]
    if values.size == 0:
        return (0.0, 1.0)
    low, high = float(values.min()), float(values.max())
    pad = 0.05 * (high - low) if high > low else max(0.05 * abs(high), 0.5)
    return (low - pad, high + pad)


def terminator_improvement_data(
    study: StudyView,
    plot_error: bool = False,
    improvement_evaluator: BaseImprovementEvaluator | None = None,
    error_evaluator: BaseErrorEvaluator | None = None,
    min_n_trials: int = DEFAULT_MIN_N_TRIALS,
) -> TerminatorImprovementData:
    """The improvement (and error) the terminator would have seen after each complete trial.

    Args:
        study: A single-objective study.
        plot_error: Also compute the error evaluator after each trial.
        improvement_evaluator: The terminator's improvement evaluator;
            :class:`~podbor.terminator.RegretBoundEvaluator` if None.
        error_evaluator: The terminator's error evaluator; the terminator's default if None
            (:class:`~podbor.terminator.CrossValidationErrorEvaluator`, or
            ``StaticErrorEvaluator(0)`` for a
            :class:`~podbor.terminator.BestValueStagnationEvaluator`).
        min_n_trials: The values before this many complete trials are drawn apart (an int >= 1).

    Raises:
        ValueError: A study with several objectives, a bad argument, or an evaluator that cannot
            judge the trials (e.g. no cross-validation scores for the error).

    Example:
        >>> import podbor
        >>> from podbor.terminator import BestValueStagnationEvaluator
        >>> study = podbor.create_study()
        >>> for value in (3.0, 1.0, 2.0):
        ...     _ = study.tell(study.ask(), value)
        >>> data = terminator_improvement_data(
        ...     study, improvement_evaluator=BestValueStagnationEvaluator(5), min_n_trials=1)
        >>> data.numbers.tolist(), data.improvements.tolist()
        ([0, 1, 2], [5.0, 5.0, 4.0])
    """
    direction = single_direction(study, _OWNER)
    plot_error = check_bool(plot_error, "plot_error", owner=_OWNER)
    check_instance(
        improvement_evaluator,
        "improvement_evaluator",
        BaseImprovementEvaluator,
        owner=_OWNER,
        allowed="a BaseImprovementEvaluator",
        allow_none=True,
    )
    check_instance(
        error_evaluator,
        "error_evaluator",
        BaseErrorEvaluator,
        owner=_OWNER,
        allowed="a BaseErrorEvaluator",
        allow_none=True,
    )
    min_n_trials = check_int(min_n_trials, "min_n_trials", owner=_OWNER, minimum=1)
    improvement, error = default_evaluators(improvement_evaluator, error_evaluator)
    completes = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    numbers = np.array([t.number for t in completes], dtype=np.int64)
    if not completes:
        _logger.warning(NO_TRIALS_MESSAGE)
        return TerminatorImprovementData(
            numbers, np.zeros(0), None, min_n_trials, (0.0, 1.0), NO_TRIALS_MESSAGE
        )
    improvements = np.array(
        [improvement.evaluate(completes[: i + 1], direction) for i in range(len(completes))],
        dtype=float,
    )
    error_values = None
    if plot_error:
        error_values = np.array(
            [error.evaluate(completes[: i + 1], direction) for i in range(len(completes))],
            dtype=float,
        )
    y_range = improvement_y_range(improvements, error_values, min_n_trials)
    if not all(math.isfinite(v) for v in y_range):
        y_range = (0.0, 1.0)
    return TerminatorImprovementData(
        numbers, improvements, error_values, min_n_trials, y_range, None
    )
