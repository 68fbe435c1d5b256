"""Search spaces inferred from a study's history, for model-based samplers.

* :class:`IntersectionSearchSpace`: the parameters that every finished trial has, each with one
  and the same distribution — the joint space a multivariate model can be fitted on.
* :class:`GroupDecomposedSearchSpace`: the finest partition of all parameters into groups such
  that each finished trial's parameters are a union of whole groups — so that a conditional
  space (``if kind == "svm": C, gamma else: n_trees``) gets one joint space per branch.

Both update incrementally: a finished trial is looked at once. Given another study's trials (a
sampler that serves several studies one after the other), they start over.

Example:
    >>> import podbor
    >>> study = podbor.create_study()
    >>> def objective(t):
    ...     if t.suggest_categorical("kind", ["a", "b"]) == "a":
    ...         return t.suggest_float("x", 0, 1)
    ...     return t.suggest_float("y", 0, 1)
    >>> study.optimize(objective, n_trials=20)
    >>> sorted(IntersectionSearchSpace().calculate(study))
    ['kind']
    >>> [sorted(g) for g in GroupDecomposedSearchSpace().calculate(study)]
    [['kind'], ['x'], ['y']]
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor.distributions import BaseDistribution
from podbor.samplers._common import SeenTrials

__all__ = ["GroupDecomposedSearchSpace", "IntersectionSearchSpace", "intersection_search_space"]


def _finished_states(include_pruned: bool) -> tuple[TrialState, ...]:
    if include_pruned:
        return (TrialState.COMPLETE, TrialState.PRUNED)
    return (TrialState.COMPLETE,)


class IntersectionSearchSpace:
    """The parameters shared, with identical distributions, by every finished trial.

    Args:
        include_pruned: Count PRUNED trials as well as COMPLETE ones.
    """

    def __init__(self, include_pruned: bool = False) -> None:
        self._states = _finished_states(include_pruned)
        self._lock = threading.Lock()
        self._start_over()

    def _start_over(self) -> None:
        self._space: dict[str, BaseDistribution] | None = None
        self._seen = SeenTrials()

    def calculate(self, study: StudyView) -> dict[str, BaseDistribution]:
        """Return the current intersection, sorted by parameter name."""
        return self.calculate_from(study.get_trials(deepcopy=False, states=self._states))

    def calculate_from(self, finished: Sequence[FrozenTrial]) -> dict[str, BaseDistribution]:
        """:meth:`calculate` from the study's trials in the states counted, in number order, as
        the caller read them (a sampler that reads them anyway saves a second read)."""
        with self._lock:
            if not self._seen.same_study(finished):
                self._start_over()  # another study's trials: what was read is not its history
            for trial in self._seen.take_new(finished):
                self._space = _intersect(self._space, trial)
            space = self._space or {}
            return {name: space[name] for name in sorted(space)}


def intersection_search_space(
    trials: Iterable[FrozenTrial], include_pruned: bool = False
) -> dict[str, BaseDistribution]:
    """The parameters shared, with identical distributions, by every finished trial of ``trials``.

    The one-shot form of :class:`IntersectionSearchSpace` (which remembers what it has read);
    trials in other states are ignored.

    Example:
        >>> from podbor.distributions import FloatDistribution
        >>> from podbor.trial import create_trial
        >>> x = FloatDistribution(0, 1)
        >>> trials = [create_trial(params={"x": 0.5, "y": 0.1}, distributions={"x": x, "y": x},
        ...                        value=1.0), create_trial(params={"x": 0.2},
        ...                        distributions={"x": x}, value=2.0)]
        >>> intersection_search_space(trials)
        {'x': FloatDistribution(low=0.0, high=1.0, log=False, step=None)}
    """
    states = _finished_states(include_pruned)
    space: dict[str, BaseDistribution] | None = None
    for trial in trials:
        if trial.state in states:
            space = _intersect(space, trial)
    found = space or {}
    return {name: found[name] for name in sorted(found)}


def _intersect(
    space: dict[str, BaseDistribution] | None, trial: FrozenTrial
) -> dict[str, BaseDistribution]:
    if space is None:
        return dict(trial.distributions)
    return {name: dist for name, dist in space.items() if trial.distributions.get(name) == dist}


class GroupDecomposedSearchSpace:
    """The finest partition of the parameters into groups that always occur together.

    A parameter whose distribution changes between trials is dropped from every group (a model
    cannot be fitted across two distributions of one name).

    Args:
        include_pruned: Count PRUNED trials as well as COMPLETE ones.
    """

    def __init__(self, include_pruned: bool = False) -> None:
        self._states = _finished_states(include_pruned)
        self._lock = threading.Lock()
        self._start_over()

    def _start_over(self) -> None:
        self._groups: list[set[str]] = []
        self._dists: dict[str, BaseDistribution] = {}
        self._inconsistent: set[str] = set()
        self._seen = SeenTrials()

    def calculate(self, study: StudyView) -> list[dict[str, BaseDistribution]]:
        """Return the groups, each a search space sorted by name, ordered by first parameter."""
        return self.calculate_from(study.get_trials(deepcopy=False, states=self._states))

    def calculate_from(self, finished: Sequence[FrozenTrial]) -> list[dict[str, BaseDistribution]]:
        """:meth:`calculate` from the study's trials in the states counted, in number order, as
        the caller read them."""
        with self._lock:
            if not self._seen.same_study(finished):
                self._start_over()
            for trial in self._seen.take_new(finished):
                self._add(trial)
            groups = []
            for group in self._groups:
                names = sorted(n for n in group if n not in self._inconsistent)
                if names:
                    groups.append({n: self._dists[n] for n in names})
            return sorted(groups, key=lambda g: next(iter(g)))

    def _add(self, trial: FrozenTrial) -> None:
        for name, dist in trial.distributions.items():
            known = self._dists.setdefault(name, dist)
            if known != dist:
                self._inconsistent.add(name)
        present = set(trial.distributions)
        refined: list[set[str]] = []
        for group in self._groups:
            inside, outside = group & present, group - present
            refined.extend(part for part in (inside, outside) if part)
        new = present.difference(*self._groups) if self._groups else present
        if new:
            refined.append(set(new))
        self._groups = refined
