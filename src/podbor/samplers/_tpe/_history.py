"""The finished trials a TPE sampler learns from: encoded once, kept as arrays, ranked.

Finished trials (COMPLETE and PRUNED) never change, so each is read once, when it first shows
up; every parameter column is encoded once per trial, in podbor's unit-cube encoding. Arrays are
aligned with the order in which trials were first seen (the *arrival order*), which only grows.

Ranking, best first (Bergstra et al. 2011, Sec. 4, extended to pruning and several objectives):

* COMPLETE trials by their value in the study's direction; with several objectives by
  non-dominated sorting (the front index), ties inside a front broken by the sum of each
  objective's rank;
* then PRUNED trials: those that got further (a larger last reported step) first, then by their
  last reported value;
* then infeasible trials (COMPLETE or PRUNED, with a constraint value > 0, see
  :func:`podbor.samplers._constraints.total_violation`), by their total violation, smallest
  first (as Optuna's TPE ranks them);
* the trial number breaks any remaining tie (older first), so that rankings are reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._search_space import to_unit
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor.distributions import BaseDistribution, CategoricalDistribution
from podbor.samplers._arrays import BoolArray, FloatArray, IntArray
from podbor.samplers._common import SeenTrials
from podbor.samplers._constraints import total_violation

__all__ = ["FINISHED_STATES", "History", "encode_column", "pareto_ranks"]


FINISHED_STATES = (TrialState.COMPLETE, TrialState.PRUNED)
"""The states of the trials TPE learns from (FAIL is ignored; RUNNING only as a lie)."""


def encode_column(trials: Sequence[FrozenTrial], name: str, dist: BaseDistribution) -> FloatArray:
    """Encode one parameter of many trials (shape ``n``; NaN where a trial lacks a valid value).

    Numeric parameters map to ``[0, 1]`` with :func:`podbor._search_space.to_unit`;
    categoricals to the index of the choice. A value the distribution does not contain (the
    search space changed since that trial) counts as absent.
    """
    out = np.full(len(trials), np.nan)
    for i, trial in enumerate(trials):
        value = trial.params.get(name, _ABSENT)
        if value is not _ABSENT and dist.contains_external(value):
            out[i] = dist.to_internal_repr(value)
    if not isinstance(dist, CategoricalDistribution):
        present = ~np.isnan(out)
        out[present] = to_unit(dist, out[present])
    return out


_ABSENT: Any = object()


class _Buffer:
    """Rows appended in arrival order (shape ``n x width``), stored with doubling capacity."""

    def __init__(self, width: int) -> None:
        self._values = np.full((16, width), np.nan)
        self.n = 0

    def extend(self, rows: FloatArray) -> None:
        end = self.n + len(rows)
        if end > len(self._values):
            grown = np.full((max(end, 2 * len(self._values)), self._values.shape[1]), np.nan)
            grown[: self.n] = self._values[: self.n]
            self._values = grown
        self._values[self.n : end] = rows
        self.n = end

    @property
    def rows(self) -> FloatArray:
        return self._values[: self.n]


class History:
    """The study's finished trials, encoded incrementally. Not thread-safe: the sampler locks.

    Example:
        >>> import podbor
        >>> from podbor.distributions import FloatDistribution
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 4), n_trials=3)
        >>> history = History()
        >>> history.update(study)
        True
        >>> history.column("x", FloatDistribution(0, 4)).shape
        (3,)
    """

    def __init__(self) -> None:
        self._reset(())

    def _reset(self, directions: tuple[StudyDirection, ...]) -> None:
        self.directions = directions
        self.trials: list[FrozenTrial] = []
        self._seen = SeenTrials()
        self._columns: dict[tuple[str, BaseDistribution], _Buffer] = {}
        # Per trial: number, pruned (0/1), last step, last reported value, violation, values…
        self._rows = _Buffer(5 + max(1, len(directions)))
        self._ranks: FloatArray | None = None

    def __len__(self) -> int:
        return len(self.trials)

    def update(self, study: StudyView) -> bool:
        """Take in newly finished trials; return True when the cache was (re)built from scratch.

        The cache starts over when the study looks like another one (its first cached trial
        differs), so one sampler may serve several studies one after the other.
        """
        finished = study.get_trials(deepcopy=False, states=FINISHED_STATES)
        directions = tuple(study.directions)
        fresh = not self.trials
        if directions != self.directions or not self._seen.same_study(finished):
            self._reset(directions)
            fresh = True
        new = [self._add(t) for t in self._seen.take_new(finished)]
        if new:
            self._rows.extend(np.array(new, dtype=float))
            self._ranks = None
        return fresh

    def _add(self, trial: FrozenTrial) -> list[float]:
        self.trials.append(trial)
        steps = trial.intermediate_values
        last_step = max(steps) if steps else -1
        last = steps[last_step] if steps else math.nan
        n_obj = max(1, len(self.directions))
        values = trial.values if trial.state == TrialState.COMPLETE and trial.values else None
        row = values if values is not None and len(values) == n_obj else [math.nan] * n_obj
        pruned = float(trial.state == TrialState.PRUNED or values is None)
        violation = total_violation(trial)
        return [float(trial.number), pruned, float(last_step), last, violation, *row]

    @property
    def numbers(self) -> IntArray:
        """Shape ``n``: trial numbers in arrival order."""
        return self._rows.rows[:, 0].astype(np.int64)

    def column(self, name: str, dist: BaseDistribution) -> FloatArray:
        """Shape ``n``: the encoded values of ``name`` under ``dist``; NaN where absent."""
        column = self._columns.get((name, dist))
        if column is None:
            column = self._columns[name, dist] = _Buffer(1)
        if column.n < len(self.trials):
            column.extend(encode_column(self.trials[column.n :], name, dist)[:, None])
        return column.rows[:, 0]

    def matrix(self, names: Sequence[str], dists: Sequence[BaseDistribution]) -> FloatArray:
        """Shape ``n x d``: the columns of ``names``, side by side."""
        if not names:
            return np.empty((len(self.trials), 0))
        return np.stack([self.column(n, d) for n, d in zip(names, dists)], axis=1)

    def ranks(self) -> FloatArray:
        """Shape ``n``: each trial's position in the ranking, best (0) first."""
        if self._ranks is None:
            rows = self._rows.rows
            signs = np.array(
                [-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in self.directions] or [1.0]
            )
            order = _ranking_order(rows, signs)
            self._ranks = np.empty(len(order))
            self._ranks[order] = np.arange(len(order), dtype=float)
        return self._ranks

    def split(self, valid: BoolArray, gamma: Callable[[int], int]) -> tuple[IntArray, IntArray]:
        """Split the valid trials into the best ``gamma(n_valid)`` and the rest.

        Args:
            valid: Shape ``n``: which trials (in arrival order) take part.
            gamma: The number of good trials among ``n_valid``; clipped to ``[0, n_valid]``.

        Returns:
            ``(below, above)``: positions in arrival order, each sorted by trial number (oldest
            first, the order the weights function expects).
        """
        index = np.flatnonzero(valid)
        ordered = index[np.argsort(self.ranks()[index], kind="stable")]
        n_below = min(max(int(gamma(len(index))), 0), len(index))
        numbers = self.numbers
        below, above = ordered[:n_below], ordered[n_below:]
        return below[np.argsort(numbers[below])], above[np.argsort(numbers[above])]


def _ranking_order(rows: FloatArray, signs: FloatArray) -> IntArray:
    """Return trial positions, best first, from ``rows`` (``n x (5 + k)``, see ``_add``)."""
    number, pruned, step, last = rows[:, 0], rows[:, 1] > 0, rows[:, 2], rows[:, 3]
    violation = rows[:, 4]
    values = rows[:, 5:] * signs  # every objective to minimize
    last = np.where(np.isnan(last), np.inf, last * signs[0])
    complete = ~pruned & ~(violation > 0)  # infeasible trials are ranked apart, below
    if values.shape[1] == 1:
        primary = np.where(complete, values[:, 0], -step)
        secondary = np.where(complete, 0.0, last)
    else:
        primary, secondary = np.zeros(len(rows)), np.zeros(len(rows))
        primary[complete], secondary[complete] = _multi_objective_keys(values[complete])
        primary[pruned], secondary[pruned] = -step[pruned], 0.0
    infeasible = violation > 0
    if not infeasible.any():
        return np.lexsort((number, secondary, primary, pruned)).astype(np.int64)
    # Feasible COMPLETE, feasible PRUNED, then infeasible trials by their total violation.
    group = np.where(infeasible, 2, pruned.astype(np.int64))
    primary = np.where(infeasible, violation, primary)
    secondary = np.where(infeasible, 0.0, secondary)
    return np.lexsort((number, secondary, primary, group)).astype(np.int64)


def _multi_objective_keys(values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return (front index, sum of per-objective ranks) for ``n x k`` values to minimize."""
    if len(values) == 0:
        return np.empty(0), np.empty(0)
    fronts = pareto_ranks(values).astype(float)
    per_objective = np.argsort(np.argsort(values, axis=0, kind="stable"), axis=0)
    return fronts, per_objective.sum(axis=1).astype(float)


def pareto_ranks(values: FloatArray) -> IntArray:
    """Return each point's non-dominated front (0 = Pareto front) for ``n x k`` values to minimize.

    Point ``i`` dominates ``j`` when it is no worse in every objective and better in one. Fronts
    are peeled off one after the other (Deb et al., NSGA-II, 2002, Sec. III-A), with the whole
    ``n x n`` dominance matrix in memory: fine for the thousands of trials TPE sees.

    Example:
        >>> pareto_ranks(np.array([[1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [3.0, 3.0]])).tolist()
        [0, 0, 1, 2]
    """
    no_worse = (values[:, None, :] <= values[None, :, :]).all(axis=2)
    better = (values[:, None, :] < values[None, :, :]).any(axis=2)
    dominates = np.asarray(no_worse & better)  # dominates[i, j]: i dominates j
    n_dominators = dominates.sum(axis=0)
    ranks = np.full(len(values), -1, dtype=np.int64)
    remaining = np.ones(len(values), dtype=bool)
    front = 0
    while remaining.any():
        current = remaining & (n_dominators == 0)
        ranks[current] = front
        n_dominators -= dominates[current].sum(axis=0)
        remaining &= ~current
        front += 1
    return ranks
