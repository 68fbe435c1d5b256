"""Pareto fronts of multi-objective studies (pure numpy, no study objects)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_direction import StudyDirection

__all__ = ["is_pareto_front", "pareto_front_trials"]


def is_pareto_front(losses: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Mark the non-dominated rows of an ``(n x m)`` loss matrix (all objectives minimized).

    A row is dominated when another row is ``<=`` in every column and ``<`` in one. Duplicate
    rows on the front are all kept.

    Example:
        >>> is_pareto_front(np.array([[1.0, 2.0], [2.0, 1.0], [2.0, 2.0]])).tolist()
        [True, True, False]
    """
    n = losses.shape[0]
    on_front = np.ones(n, dtype=bool)
    order = np.lexsort(losses.T[::-1])  # sorted by the first objective, then the next, …
    sorted_losses = losses[order]
    for pos in range(n):  # a row can only be dominated by rows sorted before it
        if pos == 0:
            continue
        earlier = sorted_losses[:pos][on_front[order[:pos]]]
        if earlier.size == 0:
            continue
        row = sorted_losses[pos]
        dominated = np.all(earlier <= row, axis=1) & np.any(earlier < row, axis=1)
        if dominated.any():
            on_front[order[pos]] = False
    return on_front


def pareto_front_trials(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]
) -> list[FrozenTrial]:
    """Return the COMPLETE trials (given) that no other trial dominates, in number order."""
    trials = [t for t in trials if t.values is not None]
    if not trials:
        return []
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
    losses = np.array([t.values for t in trials], dtype=float) * signs
    mask = is_pareto_front(losses)
    return [t for t, keep in zip(trials, mask) if keep]
