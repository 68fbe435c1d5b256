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

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from podbor._arrays import BoolArray, FloatArray, IntArray
from podbor._hypervolume import pareto_ranks
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._search_space import to_unit
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor.distributions import BaseDistribution, CategoricalDistribution
from podbor.samplers._common import SeenTrials
from podbor.samplers._constraints import total_violation

__all__ = ["FINISHED_STATES", "History", "encode_column"]


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
        self._matrices: dict[tuple[tuple[str, BaseDistribution], ...], tuple[_Buffer, _Buffer]] = {}
        # The ranking, best first, of the first ``_n_ordered`` rows; with one objective a row's
        # place depends on its own keys only, so new rows are inserted, not the whole re-sorted.
        self._order: IntArray = np.empty(0, dtype=np.int64)
        self._keys = _Buffer(4)  # one objective: each row's sort keys (see _ranking_keys)
        self._n_ordered = 0

    def __len__(self) -> int:
        return len(self.trials)

    def update(self, study: StudyView, finished: Sequence[FrozenTrial] | None = None) -> bool:
        """Take in newly finished trials; return True when the cache was (re)built from scratch.

        ``finished``: the study's trials in ``FINISHED_STATES`` in number order, if the caller
        has read them already (else they are read here). The cache starts over when the study
        looks like another one (its first cached trial differs), so one sampler may serve
        several studies one after the other.
        """
        if finished is None:
            finished = study.get_trials(deepcopy=False, states=FINISHED_STATES)
        directions = tuple(study.directions)
        fresh = not self.trials
        if directions != self.directions or not self._seen.same_study(finished):
            self._reset(directions)
            fresh = True
        new = [self._add(t) for t in self._seen.take_new(finished)]
        if new:
            self._rows.extend(np.array(new, dtype=float))
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
        """Shape ``n x d``: the columns of ``names``, side by side (kept, and extended by the
        new trials only, so a long history is not copied at every trial)."""
        if not names:
            return np.empty((len(self.trials), 0))
        return self._matrix(names, dists)[0].rows

    def has_all(self, names: Sequence[str], dists: Sequence[BaseDistribution]) -> BoolArray:
        """Shape ``n``: which trials have a valid value of every one of ``names``."""
        if not names:
            return np.ones(len(self.trials), dtype=bool)
        return self._matrix(names, dists)[1].rows[:, 0] > 0

    def _matrix(
        self, names: Sequence[str], dists: Sequence[BaseDistribution]
    ) -> tuple[_Buffer, _Buffer]:
        """The matrix of ``names`` and its rows' completeness (1.0: no NaN), brought up to date."""
        key = tuple(zip(names, dists))
        kept = self._matrices.get(key)
        if kept is None:
            kept = self._matrices[key] = (_Buffer(len(names)), _Buffer(1))
        matrix, complete = kept
        if matrix.n < len(self.trials):
            start = matrix.n
            rows = np.stack([self.column(n, d)[start:] for n, d in key], axis=1)
            matrix.extend(rows)
            complete.extend((~np.isnan(rows).any(axis=1)).astype(float)[:, None])
        return kept

    def order(self, exact_complete: int | None = None) -> IntArray:
        """Shape ``n``: trial positions (in arrival order), best first.

        ``exact_complete``: with several objectives, only the best fronts holding at least this
        many feasible COMPLETE trials need be exact (the rest follow, by their sum of
        per-objective ranks): non-dominated sorting of every trial costs O(n²), the few first
        fronts about O(n) each. None: the whole ranking is exact.
        """
        rows = self._rows.rows
        n = len(rows)
        signs = np.array(
            [-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in self.directions] or [1.0]
        )
        if len(signs) > 1:  # a new trial may move every other one's front: ranked anew
            return np.lexsort(_ranking_keys(rows, signs, exact_complete)[::-1]).astype(np.int64)
        if self._n_ordered == n:
            return self._order
        start = self._n_ordered  # one objective: a row's keys depend on the row alone
        self._keys.extend(np.stack(_ranking_keys(rows[start:], signs), axis=1))
        keys = self._keys.rows
        if start and n - start <= _MAX_INSERTED:
            self._order = _insert_ranked(self._order, keys, start)
        else:
            self._order = np.lexsort(keys.T[::-1]).astype(np.int64)
        self._n_ordered = n
        return self._order

    def ranks(self) -> FloatArray:
        """Shape ``n``: each trial's position in the ranking, best (0) first."""
        order = self.order()
        ranks = np.empty(len(order))
        ranks[order] = np.arange(len(order), dtype=float)
        return ranks

    def split(self, valid: BoolArray, gamma: Callable[[int], int]) -> tuple[IntArray, IntArray]:
        """Split the valid trials into the best ``gamma(n_valid)`` and the rest.

        Args:
            valid: Shape ``n``: which trials (in arrival order) take part.
            gamma: The number of good trials among ``n_valid``; clipped to ``[0, n_valid]``.

        Returns:
            ``(below, above)``: positions in arrival order, each sorted by trial number (oldest
            first, the order the weights function expects).
        """
        n_valid = int(np.count_nonzero(valid))
        n_below = min(max(int(gamma(n_valid)), 0), n_valid)
        # Exact for the best n_below valid trials even if every invalid one ranks before them.
        order = self.order(exact_complete=n_below + len(valid) - n_valid)
        ordered = order[valid[order]]
        numbers = self.numbers
        below = ordered[:n_below]
        rest = np.array(valid, dtype=bool)
        rest[below] = False
        above = np.flatnonzero(rest)  # arrival order: the number order but for late finishers
        above_numbers = numbers[above]
        if len(above) > 1 and not np.all(above_numbers[1:] > above_numbers[:-1]):
            above = above[np.argsort(above_numbers, kind="stable")]
        return below[np.argsort(numbers[below])], above


_MAX_INSERTED = 64
"""New rows up to which the ranking is updated by insertion rather than sorted again."""


def _ranking_keys(
    rows: FloatArray, signs: FloatArray, exact_complete: int | None = None
) -> tuple[FloatArray, ...]:
    """Return the sort keys of ``rows`` (``n x (5 + k)``, see ``_add``), most significant first:
    (group, primary, secondary, number), none of them NaN.

    Groups: feasible COMPLETE (0), feasible PRUNED (1), infeasible (2, by total violation).
    With several objectives, COMPLETE trials by their front, exact for the best fronts that hold
    ``exact_complete`` trials (all when None), see :func:`podbor._hypervolume.pareto_ranks`.
    """
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
        primary[complete], secondary[complete] = _multi_objective_keys(
            values[complete], exact_complete
        )
        primary[pruned], secondary[pruned] = -step[pruned], 0.0
    infeasible = violation > 0
    group = np.where(infeasible, 2.0, pruned.astype(float))
    primary = np.where(infeasible, violation, primary)
    secondary = np.where(infeasible, 0.0, secondary)
    return group, np.nan_to_num(primary, nan=np.inf), np.nan_to_num(secondary, nan=np.inf), number


def _insert_ranked(order: IntArray, keys: FloatArray, n_old: int) -> IntArray:
    """Insert the rows ``n_old:`` into ``order`` (the ranking of the rows ``:n_old``) by binary
    search on their ``keys`` (``n x 4``, most significant first): O(new log n) comparisons and
    one copy, instead of a sort of all."""

    def key(i: Any) -> tuple[float, ...]:
        return tuple(keys[i].tolist())

    new = sorted(range(n_old, len(keys)), key=key)
    at = [bisect.bisect_left(order, key(i), key=key) for i in new]
    return np.insert(order, at, new).astype(np.int64)


def _multi_objective_keys(
    values: FloatArray, exact: int | None = None
) -> tuple[FloatArray, FloatArray]:
    """Return (front index, sum of per-objective ranks) for ``n x k`` values to minimize."""
    if len(values) == 0:
        return np.empty(0), np.empty(0)
    fronts = pareto_ranks(values, exact).astype(float)
    per_objective = np.argsort(np.argsort(values, axis=0, kind="stable"), axis=0)
    return fronts, per_objective.sum(axis=1).astype(float)
