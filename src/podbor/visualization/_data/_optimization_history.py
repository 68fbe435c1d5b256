"""The numbers behind ``plot_optimization_history``: each trial's value and the best so far.

Backend-free (numpy only). One :class:`HistorySeries` per study (or one for all studies when
an error bar is asked for: then each point is the mean over the studies at that trial number,
with the standard deviation as its error). The plotly and matplotlib renderers draw these.

Which trials appear: COMPLETE trials (their value, or ``target(trial)``) and PRUNED trials
(no value: NaN, state "incomplete", so they still take a trial number on the axis). A study
with no COMPLETE trial contributes nothing. Trials whose value is inf or NaN are dropped with
a logged warning. The best-so-far line (only without ``target``) counts feasible trials only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor.logging import get_logger
from podbor.visualization._data._common import (
    DEFAULT_TARGET_NAME,
    Target,
    best_so_far,
    check_target,
    filter_nonfinite,
    target_values,
)

__all__ = ["HistorySeries", "OptimizationHistoryData", "optimization_history_data"]

_logger = get_logger(__name__)

BEST_VALUE_NAME = "Best Value"
NO_TRIALS_MESSAGE = "There are no complete trials."


@dataclass(frozen=True)
class HistorySeries:
    """One study's history (or the mean of several studies' histories).

    Attributes:
        numbers: Trial numbers, ascending, shape ``(n,)``.
        values: The plotted value of each trial, NaN for an incomplete (pruned) one, ``(n,)``.
        value_errors: Standard deviation over studies of each value ``(n,)``, or None
            (no error bar).
        label: Legend name of the values.
        complete: True where the trial completed (has a value), ``(n,)``.
        feasible: True where the trial satisfies its constraints (or has none), ``(n,)``.
        best_values: Best feasible value so far at each trial ``(n,)`` (NaN before the first
            feasible one), or None when a ``target`` is plotted.
        best_errors: Standard deviation over studies of ``best_values``, or None.
        best_label: Legend name of the best-value line (None with no best line).
    """

    numbers: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    value_errors: npt.NDArray[np.float64] | None
    label: str
    complete: npt.NDArray[np.bool_]
    feasible: npt.NDArray[np.bool_]
    best_values: npt.NDArray[np.float64] | None
    best_errors: npt.NDArray[np.float64] | None
    best_label: str | None

    @property
    def shown(self) -> npt.NDArray[np.bool_]:
        """Where a point is drawn in the study's colour: complete and feasible trials."""
        return self.complete & self.feasible

    @property
    def infeasible(self) -> npt.NDArray[np.bool_]:
        """Where a point is drawn greyed out: complete trials that violate a constraint."""
        return self.complete & ~self.feasible


@dataclass(frozen=True)
class OptimizationHistoryData:
    """Everything an optimization-history figure shows.

    Attributes:
        series: One entry per study with complete trials (or one, averaged, with an error bar).
        target_name: The y axis title.
        message: Why the plot is empty (None when it is not).
    """

    series: list[HistorySeries]
    target_name: str
    message: str | None


@dataclass(frozen=True)
class _Raw:
    """One study's trials as arrays, before labels and averaging."""

    numbers: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    complete: npt.NDArray[np.bool_]
    feasible: npt.NDArray[np.bool_]
    best: npt.NDArray[np.float64] | None


def _feasible(trial: FrozenTrial) -> bool:
    # Most trials record no system attribute at all: skip parsing constraints for them.
    if not trial.system_attrs:
        return True
    return all(v <= 0.0 for v in trial.constraints.values())


def _raw(study: StudyView, target: Target | None) -> _Raw | None:
    """The study's complete and pruned trials as arrays (None when none completed)."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if not complete:
        return None
    values = target_values(complete, target)
    finite = np.isfinite(values)
    if not finite.all():
        filter_nonfinite([t for t, ok in zip(complete, finite) if not ok], target)
        complete = [t for t, ok in zip(complete, finite) if ok]
        values = values[finite]
        if not complete:
            return None
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    numbers = np.array([t.number for t in complete] + [t.number for t in pruned], dtype=np.int64)
    all_values = np.concatenate([values, np.full(len(pruned), np.nan)])
    is_complete = np.arange(numbers.size) < len(complete)
    feasible = np.array([_feasible(t) for t in complete] + [True] * len(pruned), dtype=bool)
    order = np.argsort(numbers, kind="stable")
    numbers, all_values = numbers[order], all_values[order]
    is_complete, feasible = is_complete[order], feasible[order]
    best = None
    if target is None:
        best = _best(all_values, is_complete & feasible, study.directions[0])
    return _Raw(numbers, all_values, is_complete, feasible, best)


def _best(
    values: npt.NDArray[np.float64], counted: npt.NDArray[np.bool_], direction: StudyDirection
) -> npt.NDArray[np.float64]:
    """Running best of the counted values, carried over the others; NaN before the first."""
    worst = np.inf if direction == StudyDirection.MINIMIZE else -np.inf
    best = best_so_far(np.where(counted, values, worst), direction)
    return np.where(np.isinf(best) & (best == worst), np.nan, best)


def _mean_and_std(
    rows: list[npt.NDArray[np.float64]],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Mean and standard deviation per column, over the rows that are not NaN there."""
    stack = np.vstack(rows)
    present = ~np.isnan(stack)
    count = present.sum(axis=0)
    filled = np.where(present, stack, 0.0)
    safe = np.maximum(count, 1)
    mean = filled.sum(axis=0) / safe
    var = (np.where(present, stack - mean, 0.0) ** 2).sum(axis=0) / safe
    nan = count == 0
    return np.where(nan, np.nan, mean), np.where(nan, np.nan, np.sqrt(var))


def _aggregate(raws: list[_Raw], target_name: str) -> HistorySeries:
    """One series: per trial number, the mean and spread over the studies."""
    numbers = np.unique(np.concatenate([r.numbers for r in raws]))
    value_rows, best_rows = [], []
    complete = np.zeros(numbers.size, dtype=bool)
    feasible = np.zeros(numbers.size, dtype=bool)
    for r in raws:
        at = np.searchsorted(numbers, r.numbers)
        row = np.full(numbers.size, np.nan)
        row[at] = r.values
        value_rows.append(row)
        complete[at] |= r.complete
        feasible[at] |= r.complete & r.feasible
        if r.best is not None:
            # The best so far holds between a study's trial numbers and after its last one.
            last = np.searchsorted(r.numbers, numbers, side="right") - 1
            best_rows.append(np.where(last >= 0, r.best[np.maximum(last, 0)], np.nan))
    feasible |= ~complete  # an incomplete number is not "infeasible"
    values, errors = _mean_and_std(value_rows)
    best = best_err = None
    if best_rows:
        best, best_err = _mean_and_std(best_rows)
    return HistorySeries(
        numbers=numbers,
        values=values,
        value_errors=errors,
        label=target_name,
        complete=complete,
        feasible=feasible,
        best_values=best,
        best_errors=best_err,
        best_label=BEST_VALUE_NAME if best is not None else None,
    )


def optimization_history_data(
    study: StudyView | Sequence[StudyView],
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
    error_bar: bool = False,
) -> OptimizationHistoryData:
    """Each study's trial values and best-so-far line, or their mean and spread over studies.

    Args:
        study: One study, or several to compare (one series each, or one averaged series
            when ``error_bar`` is True).
        target: What to plot for a trial (needed for a multi-objective study); no best-value
            line is drawn for a target.
        target_name: The y axis title and legend name.
        error_bar: Average the studies per trial number, with the standard deviation as error.

    Raises:
        ValueError: A multi-objective study and no ``target``.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> for v in [3.0, 1.0, 2.0]:
        ...     study.add_trial(podbor.trial.create_trial(value=v))
        >>> data = optimization_history_data(study)
        >>> data.series[0].best_values.tolist()
        [3.0, 1.0, 1.0]
    """
    single = not isinstance(study, Sequence)
    studies: list[StudyView] = list(study) if isinstance(study, Sequence) else [study]
    for s in studies:
        check_target(s, target, target_name)
    if not studies:
        _logger.warning("There are no studies.")
        return OptimizationHistoryData([], target_name, "There are no studies.")
    found = [(s, r) for s in studies if (r := _raw(s, target)) is not None]
    if not found:
        _logger.warning(NO_TRIALS_MESSAGE)
        return OptimizationHistoryData([], target_name, NO_TRIALS_MESSAGE)
    if error_bar:
        return OptimizationHistoryData(
            [_aggregate([r for _, r in found], target_name)], target_name, None
        )
    series = []
    for s, r in found:
        suffix = "" if single else f" of {getattr(s, 'study_name', '')}"
        series.append(
            HistorySeries(
                numbers=r.numbers,
                values=r.values,
                value_errors=None,
                label=target_name + suffix,
                complete=r.complete,
                feasible=r.feasible,
                best_values=r.best,
                best_errors=None,
                best_label=None if r.best is None else BEST_VALUE_NAME + suffix,
            )
        )
    return OptimizationHistoryData(series, target_name, None)
