"""The numbers behind ``plot_pareto_front``: which trials are best, dominated or infeasible.

Backend-free (numpy only). COMPLETE trials are split into three groups: the feasible trials on
the Pareto front of the study's objectives ("Best Trial"), the other feasible trials ("Trial",
only with ``include_dominated_trials``) and the trials that violate a constraint ("Infeasible
Trial", only when constraints exist: stored on the trials with ``Trial.set_constraint`` or given
as the deprecated ``constraints_func``). Whether a trial is best is decided on its objective
values and the study's directions, among the feasible trials only; what is plotted for it is
its values or ``targets(trial)``. Feasible points are coloured by trial number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt

from podbor._deprecated import warn_deprecated
from podbor._hypervolume import pareto_mask
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor.logging import get_logger
from podbor.visualization._data._common import COLOR_SCALE
from podbor.visualization._data._fast_hovertext import fast_hovertexts

__all__ = [
    "BEST_NAME",
    "DOMINATED_NAME",
    "INFEASIBLE_COLOR",
    "INFEASIBLE_NAME",
    "RED_SCALE",
    "ParetoFrontData",
    "ParetoGroup",
    "pareto_front_data",
]

_logger = get_logger(__name__)

Targets = Callable[[FrozenTrial], Sequence[float]]

BEST_NAME = "Best Trial"
DOMINATED_NAME = "Trial"
INFEASIBLE_NAME = "Infeasible Trial"
INFEASIBLE_COLOR = "#cccccc"
NO_TRIALS_MESSAGE = "Your study does not have any completed trials."

# Light to dark red, for the best trials (dominated ones use the blue COLOR_SCALE).
RED_SCALE: list[tuple[float, str]] = [
    (0.00, "rgb(255,245,240)"),
    (0.125, "rgb(254,224,210)"),
    (0.25, "rgb(252,187,161)"),
    (0.375, "rgb(252,146,114)"),
    (0.50, "rgb(251,106,74)"),
    (0.625, "rgb(239,59,44)"),
    (0.75, "rgb(203,24,29)"),
    (0.875, "rgb(165,15,21)"),
    (1.00, "rgb(103,0,13)"),
]


@dataclass(frozen=True)
class ParetoGroup:
    """One kind of point of the plot.

    Attributes:
        name: Its legend / colour-bar title ("Best Trial", "Trial" or "Infeasible Trial").
        numbers: Trial numbers, ascending, shape ``(n,)``; feasible points are coloured by them.
        values: The plotted values, ``(n x n_targets)``.
        hovertexts: What hovering each point shows (HTML line breaks), ``n`` strings (none when
            built ``with_hovertexts=False``).
        color_scale: The scale the trial numbers are coloured with, or None for ``color``.
        color: One fixed colour (for infeasible points), or None.
    """

    name: str
    numbers: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    hovertexts: list[str]
    color_scale: list[tuple[float, str]] | None
    color: str | None


@dataclass(frozen=True)
class ParetoFrontData:
    """Everything a Pareto-front figure shows.

    Attributes:
        n_targets: 2 or 3: the number of axes.
        target_names: The axis titles, one per target.
        best: The feasible trials on the Pareto front.
        dominated: The other feasible trials, or None (``include_dominated_trials=False``).
        infeasible: The trials violating a constraint, or None (the study has no constraints).
        message: Why the plot is empty (None when some trial completed).
    """

    n_targets: int
    target_names: list[str]
    best: ParetoGroup
    dominated: ParetoGroup | None
    infeasible: ParetoGroup | None
    message: str | None

    @property
    def groups(self) -> list[ParetoGroup]:
        """The groups in drawing order: dominated, best, infeasible (those present)."""
        return [g for g in (self.dominated, self.best, self.infeasible) if g is not None]


def pareto_front_data(
    study: StudyView,
    *,
    target_names: list[str] | None = None,
    include_dominated_trials: bool = True,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    targets: Targets | None = None,
    with_hovertexts: bool = True,
) -> ParetoFrontData:
    """Split the study's COMPLETE trials into best, dominated and infeasible points.

    Args:
        study: A multi-objective study (2 or 3 objectives unless ``targets`` is given).
        target_names: Axis titles; default the study's metric names or "Objective i".
        include_dominated_trials: Whether the feasible trials off the front are included.
        constraints_func: Deprecated: a trial's constraint values (> 0 violates); without it
            the constraints stored on the trials are used.
        targets: The 2 or 3 values to plot for a trial; default its objective values.
        with_hovertexts: Whether to write each point's hover text (a renderer without hover,
            such as matplotlib, skips it: it is most of the work on a large study).

    Raises:
        ValueError: not 2 or 3 targets, ``target_names`` of the wrong length, ``targets``
            that returns something other than a sequence of that length, or ``targets`` on a
            study with no complete trial and no ``target_names``.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(directions=["minimize", "minimize"])
        >>> study.optimize(lambda t: (t.suggest_int("x", 0, 2), 2 - t.params["x"]), n_trials=3)
        >>> data = pareto_front_data(study)
        >>> data.target_names, len(data.best.numbers), data.infeasible is None
        (['Objective 0', 'Objective 1'], 3, True)
    """
    if constraints_func is not None:
        warn_deprecated(
            "plot_pareto_front's constraints_func argument",
            since="0.1.0",
            removed_in="1.0.0",
            replacement="Trial.set_constraint in the objective (the plot reads stored constraints)",
            stacklevel=3,
        )
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    n_targets = _n_targets(study, trials, target_names, targets)
    names = _target_names(study, n_targets, target_names)
    if not trials:
        _logger.warning(NO_TRIALS_MESSAGE)
    feasible, has_constraints = _feasibility(trials, constraints_func)
    on_front = np.zeros(len(trials), dtype=bool)
    if feasible.any():
        rows = np.flatnonzero(feasible)
        on_front[rows[pareto_mask(_losses([trials[i] for i in rows], study.directions))]] = True
    plotted = _plotted_values(trials, n_targets, targets)

    def group(
        mask: npt.NDArray[np.bool_], name: str, scale: list[tuple[float, str]] | None
    ) -> ParetoGroup:
        chosen = [trials[i] for i in np.flatnonzero(mask)]
        return ParetoGroup(
            name=name,
            numbers=np.array([t.number for t in chosen], dtype=np.int64),
            values=plotted[mask],
            hovertexts=fast_hovertexts(chosen) if with_hovertexts else [],
            color_scale=scale,
            color=None if scale is not None else INFEASIBLE_COLOR,
        )

    return ParetoFrontData(
        n_targets=n_targets,
        target_names=names,
        best=group(on_front, BEST_NAME, RED_SCALE),
        dominated=(
            group(feasible & ~on_front, DOMINATED_NAME, COLOR_SCALE)
            if include_dominated_trials
            else None
        ),
        infeasible=group(~feasible, INFEASIBLE_NAME, None) if has_constraints else None,
        message=None if trials else NO_TRIALS_MESSAGE,
    )


def _n_targets(
    study: StudyView,
    trials: Sequence[FrozenTrial],
    target_names: list[str] | None,
    targets: Targets | None,
) -> int:
    if targets is None:
        n_targets = len(study.directions)
        if n_targets not in (2, 3):
            raise ValueError(
                "plot_pareto_front draws 2 or 3 objectives; the study has "
                f"{n_targets}. Pass `targets` (a function of a trial returning 2 or 3 values) "
                "to choose what to plot."
            )
        return n_targets
    if trials:
        first = targets(trials[0])
        if not isinstance(first, Sequence) and not isinstance(first, np.ndarray):
            raise ValueError(
                "`targets` must return a sequence of 2 or 3 values per trial; it returned "
                f"{first!r} (a {type(first).__name__})."
            )
        n_targets = len(first)
    elif target_names is not None:
        n_targets = len(target_names)
    else:
        raise ValueError(
            "The study has no complete trial to infer the number of `targets` from: pass "
            "`target_names` with one name per target."
        )
    if n_targets not in (2, 3):
        raise ValueError(f"`targets` must return 2 or 3 values per trial; it returned {n_targets}.")
    return n_targets


def _target_names(study: StudyView, n_targets: int, target_names: list[str] | None) -> list[str]:
    if target_names is not None:
        if len(target_names) != n_targets:
            raise ValueError(
                f"target_names has {len(target_names)} names ({list(target_names)!r}) but "
                f"{n_targets} targets are plotted; give one name per target."
            )
        return list(target_names)
    metric_names = getattr(study, "metric_names", None)
    if metric_names is not None and len(metric_names) == n_targets:
        return list(metric_names)
    return [f"Objective {i}" for i in range(n_targets)]


def _feasibility(
    trials: Sequence[FrozenTrial],
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None,
) -> tuple[npt.NDArray[np.bool_], bool]:
    """Per trial whether it satisfies its constraints, and whether any constraint exists."""
    if constraints_func is not None:
        ok = [all(c <= 0.0 for c in constraints_func(t)) for t in trials]
        return np.array(ok, dtype=bool), True
    # Most trials record no system attribute at all: skip parsing constraints for them.
    constraints = [t.constraints if t.system_attrs else {} for t in trials]
    ok = [all(v <= 0.0 for v in c.values()) for c in constraints]
    return np.array(ok, dtype=bool), any(constraints)


def _losses(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]
) -> npt.NDArray[np.float64]:
    """The trials' objective values as losses (maximized objectives negated), ``(n x k)``."""
    k = len(directions)
    values = np.fromiter(
        chain.from_iterable(t.values or () for t in trials), float, len(trials) * k
    )
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
    losses: npt.NDArray[np.float64] = values.reshape(len(trials), k) * signs
    return losses


def _plotted_values(
    trials: Sequence[FrozenTrial], n_targets: int, targets: Targets | None
) -> npt.NDArray[np.float64]:
    if targets is None:
        flat = chain.from_iterable(t.values or () for t in trials)
        return np.fromiter(flat, float, len(trials) * n_targets).reshape(len(trials), n_targets)
    rows = [targets(t) for t in trials]
    for trial, row in zip(trials, rows):
        if not isinstance(row, (Sequence, np.ndarray)) or len(row) != n_targets:
            raise ValueError(
                f"`targets` must return {n_targets} values for every trial; for trial "
                f"{trial.number} it returned {row!r}."
            )
    return np.array(rows, dtype=float).reshape(len(trials), n_targets)
