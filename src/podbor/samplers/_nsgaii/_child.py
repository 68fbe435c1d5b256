"""NSGA-II's child generation: tournaments, crossover and mutation for one new trial.

Parents are picked by binary tournaments by NSGA-II's crowded comparison (constrained rank,
then crowding distance). With probability
``crossover_prob`` a crossover mixes ``crossover.n_parents`` distinct parents (numerical
parameters through the crossover in the transformed space, categorical ones uniformly between
the first two parents); otherwise one parent is copied. Each parameter then mutates with
probability ``mutation_prob``: through ``mutation`` for a numerical parameter, else by leaving
it out, so that the sampler's random sampler draws it afresh.

Example:
    >>> import podbor
    >>> from podbor.distributions import FloatDistribution
    >>> from podbor.samplers.nsgaii import UniformCrossover
    >>> parent = podbor.trial.create_trial(params={"x": 1.0},
    ...                                    distributions={"x": FloatDistribution(0, 2)}, value=0.0)
    >>> make_child = NSGAIIChildGenerationStrategy(
    ...     crossover=UniformCrossover(), crossover_prob=0.0, mutation_prob=0.0,
    ...     swapping_prob=0.5, rng=np.random.RandomState(0))
    >>> make_child(podbor.create_study(), {"x": FloatDistribution(0, 2)}, [parent])
    {'x': 1.0}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from podbor._records.frozen_trial import FrozenTrial
from podbor._search_space import from_unit, transformed_bounds
from podbor._study_direction import StudyDirection
from podbor._validation import check_instance, check_optional_real, check_real
from podbor.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from podbor.samplers._constraints import violations
from podbor.samplers._nsgaii._crossovers import BaseCrossover
from podbor.samplers._nsgaii._mutations import BaseMutation
from podbor.samplers._nsgaii._selection import crowding_distance, ranks

__all__ = ["NSGAIIChildGenerationStrategy"]

_OWNER = "NSGAIIChildGenerationStrategy"
_MAX_CROSSOVER_TRIES = 100


class NSGAIIChildGenerationStrategy:
    """Make one child's parameters from a parent population (see the module docstring).

    Args:
        crossover: The crossover for numerical parameters.
        crossover_prob: Probability of a crossover rather than a copy, in ``[0, 1]``.
        mutation_prob: Probability that each parameter mutates, in ``[0, 1]``; None for
            ``1 / number of parameters``.
        swapping_prob: Probability of taking a categorical parameter from the first parent.
        rng: The ``numpy.random.RandomState`` of every draw.
        constraints_func: Whether the study's constraints come from a ``constraints_func``
            (then a parent without stored constraints counts as infeasible).
        mutation: The mutation of numerical parameters; None to redraw them at random.
    """

    def __init__(
        self,
        *,
        crossover: BaseCrossover,
        crossover_prob: float,
        mutation_prob: float | None = None,
        swapping_prob: float,
        rng: np.random.RandomState,
        constraints_func: Any = None,
        mutation: BaseMutation | None = None,
    ) -> None:
        unit = {"owner": _OWNER, "minimum": 0.0, "maximum": 1.0}
        self._mutation_prob = check_optional_real(mutation_prob, "mutation_prob", **unit)  # type: ignore[arg-type]
        self._crossover_prob = check_real(crossover_prob, "crossover_prob", **unit)  # type: ignore[arg-type]
        self._swapping_prob = check_real(swapping_prob, "swapping_prob", **unit)  # type: ignore[arg-type]
        self._crossover = check_instance(
            crossover, "crossover", BaseCrossover, owner=_OWNER, allowed="a BaseCrossover"
        )
        self._mutation = check_instance(
            mutation,
            "mutation",
            BaseMutation,
            owner=_OWNER,
            allowed="a BaseMutation",
            allow_none=True,
        )
        self._rng = rng
        self._expect_constraints = constraints_func is not None
        self._space: _NumericSpace | None = None  # the encoding of the last search space
        self._space_key: tuple[tuple[str, BaseDistribution], ...] = ()
        self._population: tuple[Sequence[FrozenTrial], _Tournament] | None = None

    def _tournament(self, study: Any, parents: Sequence[FrozenTrial]) -> _Tournament:
        """The tournament over ``parents``, built once per parent population."""
        if self._population is None or self._population[0] is not parents:
            built = _Tournament(study, parents, self._rng, self._expect_constraints)
            self._population = (parents, built)  # the sampler hands one list per generation
        return self._population[1]

    def __call__(
        self,
        study: Any,
        search_space: Mapping[str, BaseDistribution],
        parent_population: Sequence[FrozenTrial],
    ) -> dict[str, Any]:
        rng = self._rng
        pick = self._tournament(study, parent_population)
        if rng.rand() < self._crossover_prob:
            parents = pick.distinct(self._crossover.n_parents)
            child = self._cross(study, search_space, parents)
        else:
            parent = pick.distinct(1)[0]
            child = {name: parent.params[name] for name in search_space.keys()}  # noqa: SIM118 (a mapping's keys view)
        mutation_prob = self._mutation_prob
        if mutation_prob is None:
            mutation_prob = 1.0 / max(1, len(child))
        for name in list(child):
            if rng.rand() >= mutation_prob:
                continue
            dist = search_space[name]
            if self._mutation is None or isinstance(dist, CategoricalDistribution):
                del child[name]  # drawn afresh by the random sampler
            else:
                child[name] = self._mutate(study, dist, child[name])
        return child

    def _cross(
        self,
        study: Any,
        search_space: Mapping[str, BaseDistribution],
        parents: Sequence[FrozenTrial],
    ) -> dict[str, Any]:
        rng = self._rng
        child: dict[str, Any] = {}
        categorical = [n for n, d in search_space.items() if isinstance(d, CategoricalDistribution)]
        numerical = [n for n in search_space if n not in set(categorical)]
        if categorical:
            first = np.asarray(rng.rand(len(categorical))) < self._swapping_prob
            for name, take_first in zip(categorical, first):
                child[name] = parents[0 if take_first else 1].params[name]
        if not numerical:
            return child
        space = self._numeric_space(search_space, numerical)
        values = space.transform([[p.params[n] for n in numerical] for p in parents])
        bounds = space.bounds
        for _ in range(_MAX_CROSSOVER_TRIES):
            point = np.asarray(self._crossover.crossover(values, rng, study, bounds), dtype=float)
            if np.all((bounds[:, 0] <= point) & (point <= bounds[:, 1])):
                break
        if np.isnan(point).any():  # a crossover that failed outright: the bounds' midpoint
            point = np.where(np.isnan(point), bounds.mean(axis=1), point)
        child.update(zip(numerical, space.untransform(point)))
        return child

    def _numeric_space(
        self, search_space: Mapping[str, BaseDistribution], numerical: list[str]
    ) -> _NumericSpace:
        key = tuple((name, search_space[name]) for name in numerical)
        if self._space_key != key:
            self._space, self._space_key = _NumericSpace([d for _, d in key]), key
        assert self._space is not None
        return self._space

    def _mutate(self, study: Any, dist: BaseDistribution, value: Any) -> Any:
        low, high, _ = transformed_bounds(dist)
        x = self._mutation.mutation(
            _transform(dist, value), self._rng, study, np.array([low, high])
        )
        return _untransform(dist, float(np.clip(x, low, high)), low, high)


class _NumericSpace:
    """The transformed space of numerical distributions, encoded and decoded column-wise.

    Decoding follows :func:`podbor._search_space.from_unit`: clip to the widened range, undo
    the logarithm, round to the step, clip to the distribution.
    """

    def __init__(self, dists: Sequence[BaseDistribution]) -> None:
        bounds = [transformed_bounds(d) for d in dists]
        self.bounds = np.array([(lo, hi) for lo, hi, _ in bounds], dtype=float)  # (k x 2)
        self.log = np.array([log for _, _, log in bounds], dtype=bool)
        self.low = np.array([getattr(d, "low", 0.0) for d in dists], dtype=float)
        self.high = np.array([getattr(d, "high", 0.0) for d in dists], dtype=float)
        steps = [
            1 if isinstance(d, IntDistribution) and d.log else getattr(d, "step", None)
            for d in dists
        ]
        self.step = np.array([0.0 if st is None else float(st) for st in steps])
        self.is_int = [isinstance(d, IntDistribution) for d in dists]

    def transform(self, external: list[list[Any]]) -> np.ndarray:
        """``(n x k)`` external values → the transformed space."""
        x = np.array(external, dtype=float)
        x[:, self.log] = np.log(x[:, self.log])
        return x

    def untransform(self, point: np.ndarray) -> list[Any]:
        """A ``(k,)`` transformed point → external values inside each distribution."""
        x = np.clip(point, self.bounds[:, 0], self.bounds[:, 1])
        x = np.where(self.log, np.exp(x), x)
        stepped = self.step > 0
        safe_step = np.where(stepped, self.step, 1.0)
        x = np.where(stepped, self.low + np.round((x - self.low) / safe_step) * safe_step, x)
        x = np.clip(x, self.low, self.high)
        return [int(v) if is_int else float(v) for v, is_int in zip(x.tolist(), self.is_int)]


def _transform(dist: BaseDistribution, external: Any) -> float:
    """An external value in the transformed space (the log of a log-scale value)."""
    internal = dist.to_internal_repr(external)
    return float(np.log(internal)) if transformed_bounds(dist)[2] else float(internal)


def _untransform(dist: BaseDistribution, x: float, low: float, high: float) -> Any:
    u = 0.5 if high == low else (x - low) / (high - low)
    return dist.to_external_repr(float(from_unit(dist, np.array([u]))[0]))


class _Tournament:
    """Binary tournaments by NSGA-II's crowded comparison (Deb et al. 2002, section III-C): of
    two random members, the lower constrained rank wins, then the larger crowding distance,
    then a coin. Ranks and distances are computed once per parent population."""

    def __init__(
        self,
        study: Any,
        population: Sequence[FrozenTrial],
        rng: np.random.RandomState,
        expect_constraints: bool,
    ) -> None:
        self._population = population
        self._rng = rng
        signs = [-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions]
        losses = np.array([t.values for t in population], dtype=float) * np.array(signs)
        found = violations(population, expect_constraints=expect_constraints)
        self._front = ranks(losses, found)
        self._crowding = np.zeros(len(population))
        for front in np.unique(self._front):  # a loop over fronts, not members
            members = np.flatnonzero(self._front == front)
            self._crowding[members] = crowding_distance(losses[members])
        # As lists for the tournaments: each one compares two members, and indexing a Python
        # list is ten times cheaper than reading numpy scalars.
        self._front_of: list[int] = self._front.tolist()
        self._crowding_of: list[float] = self._crowding.tolist()

    def distinct(self, n: int) -> list[FrozenTrial]:
        """``n`` winners, no member twice."""
        left = list(range(len(self._population)))
        chosen: list[FrozenTrial] = []
        for _ in range(n):
            winner = self._one(left)
            left.remove(winner)
            chosen.append(self._population[winner])
        return chosen

    def _one(self, candidates: list[int]) -> int:
        if len(candidates) == 1:
            return candidates[0]
        n = len(candidates)
        i = int(self._rng.randint(n))
        j = int(self._rng.randint(n - 1))
        a, b = candidates[i], candidates[j + (j >= i)]  # two distinct candidates
        front, crowding = self._front_of, self._crowding_of
        if front[a] != front[b]:
            return a if front[a] < front[b] else b
        if crowding[a] != crowding[b]:
            return a if crowding[a] > crowding[b] else b
        return a if self._rng.rand() < 0.5 else b
