"""The numbers behind ``plot_hypervolume_history``: the hypervolume as COMPLETE trials accrue.

Backend-free (numpy only). After each COMPLETE trial (in number order) the value is the
hypervolume, with respect to the reference point, of the feasible COMPLETE trials so far
(maximized objectives negated, the reference point with them). Each trial adds its exclusive
contribution to the front before it (:func:`podbor._hypervolume.hypervolume_history`), so the
whole history costs about one hypervolume of the final front, not one per trial. An infeasible
trial (one violating a stored constraint) keeps the value of the trial before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt

from podbor._hypervolume import hypervolume_history
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView

__all__ = ["HypervolumeHistoryData", "check_reference_point", "hypervolume_history_data"]

NO_TRIALS_MESSAGE = "There are no complete trials."


@dataclass(frozen=True)
class HypervolumeHistoryData:
    """Everything a hypervolume-history figure shows.

    Attributes:
        numbers: The COMPLETE trials' numbers, ascending, shape ``(n,)``.
        values: The hypervolume after each of them, non-decreasing, ``(n,)``.
        message: Why the plot is empty (None when some trial completed).
    """

    numbers: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    message: str | None


def check_reference_point(study: StudyView, reference_point: Sequence[float]) -> None:
    """Refuse a single-objective study, or a reference point that is not one value per objective.

    Raises:
        ValueError: naming the study's number of objectives and the reference point's length.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(directions=["minimize"] * 2)
        >>> check_reference_point(study, [1.0])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: The dimension of the reference point must be the same ... has 1 values ([1.0]).
    """
    n_objectives = len(study.directions)
    if n_objectives < 2:
        raise ValueError(
            "Study must be multi-objective. For single-objective optimization, "
            "please use plot_optimization_history instead."
        )
    given = np.asarray(reference_point, dtype=float).reshape(-1).tolist()
    if np.ndim(reference_point) != 1 or len(given) != n_objectives:
        raise ValueError(
            "The dimension of the reference point must be the same as the number of "
            f"objectives: the study has {n_objectives} objectives, reference_point has "
            f"{len(given)} values ({given})."
        )


def hypervolume_history_data(
    study: StudyView, reference_point: Sequence[float]
) -> HypervolumeHistoryData:
    """The hypervolume of the feasible COMPLETE trials after each COMPLETE trial.

    Args:
        study: A study with 2 or more objectives.
        reference_point: One value per objective, in the study's own directions (a maximized
            objective's reference is the worst value that still counts).

    Raises:
        ValueError: a single-objective study or a reference point of the wrong length.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(directions=["minimize", "maximize"])
        >>> study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)
        >>> data = hypervolume_history_data(study, [1.0, 0.0])
        >>> data.numbers.tolist(), bool(data.values[1] > 0)
        ([0, 1], True)
    """
    check_reference_point(study, reference_point)
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    numbers = np.array([t.number for t in trials], dtype=np.int64)
    if not trials:
        return HypervolumeHistoryData(numbers, np.zeros(0), NO_TRIALS_MESSAGE)
    k = len(study.directions)
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions])
    flat = np.fromiter(chain.from_iterable(t.values or () for t in trials), float, len(trials) * k)
    losses = flat.reshape(len(trials), k) * signs
    # Most trials record no system attribute at all: skip parsing constraints for them.
    feasible = np.array(
        [not t.system_attrs or all(v <= 0.0 for v in t.constraints.values()) for t in trials],
        dtype=bool,
    )
    rows = np.flatnonzero(feasible)
    reference = np.asarray(reference_point, dtype=float) * signs
    at_feasible = np.zeros(len(trials))
    at_feasible[rows] = hypervolume_history(losses[rows], reference)
    # Carry each feasible trial's value over the infeasible trials after it (0 before any).
    last = np.maximum.accumulate(np.where(feasible, np.arange(len(trials)), -1))
    values = np.where(last >= 0, at_feasible[np.maximum(last, 0)], 0.0)
    return HypervolumeHistoryData(numbers, values, None)
