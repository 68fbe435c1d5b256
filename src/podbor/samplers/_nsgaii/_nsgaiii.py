"""NSGAIIISampler: NSGA-II's generations and breeding with NSGA-III's reference-point elite.

Everything but the elite selection is NSGA-II's (:class:`GeneticMOSampler` in ``_sampler.py``);
the elite comes from :func:`~podbor.samplers._nsgaii._reference.select_elite_by_reference`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from podbor._deprecated import experimental
from podbor._records.frozen_trial import FrozenTrial
from podbor._study_direction import StudyDirection
from podbor._validation import check_int
from podbor.exceptions import invalid_argument
from podbor.samplers._constraints import violations
from podbor.samplers._nsgaii._crossovers import BaseCrossover
from podbor.samplers._nsgaii._mutations import BaseMutation
from podbor.samplers._nsgaii._reference import das_dennis, select_elite_by_reference
from podbor.samplers._nsgaii._sampler import (
    AfterTrialStrategy,
    ChildStrategy,
    EliteStrategy,
    GeneticMOSampler,
)

__all__ = ["NSGAIIIElitePopulationSelectionStrategy", "NSGAIIISampler"]


class NSGAIIIElitePopulationSelectionStrategy:
    """NSGA-III's elite selection: the best ``population_size`` trials by constrained
    non-dominated rank, the last front by niching around reference points.

    Args:
        population_size: How many to keep (an int >= 2).
        constraints_func: Whether constraints come from a ``constraints_func`` (a trial
            without stored constraints then counts as infeasible).
        reference_points: ``(k x m)`` reference points in the normalized objective space
            (``m`` objectives), or None for Das and Dennis's points.
        dividing_parameter: Divisions per axis of the default points (an int >= 1).
        rng: The ``numpy.random.RandomState`` of the niching ties.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(directions=["minimize", "minimize"])
        >>> values = [[0, 4], [1, 3], [2, 2], [3, 1], [4, 0], [5, 5]]
        >>> study.add_trials([podbor.create_trial(values=v) for v in values])
        >>> keep = NSGAIIIElitePopulationSelectionStrategy(
        ...     population_size=3, dividing_parameter=2, rng=np.random.RandomState(0))
        >>> [t.values for t in keep(study, study.trials)]
        [[0.0, 4.0], [2.0, 2.0], [4.0, 0.0]]
    """

    def __init__(
        self,
        *,
        population_size: int,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        reference_points: npt.ArrayLike | None = None,
        dividing_parameter: int = 3,
        rng: np.random.RandomState,
    ) -> None:
        owner = type(self).__name__
        self._population_size = check_int(
            population_size, "population_size", owner=owner, minimum=2
        )
        self._dividing_parameter = check_int(
            dividing_parameter, "dividing_parameter", owner=owner, minimum=1
        )
        self._reference_points = _check_reference_points(reference_points, owner)
        self._expect_constraints = constraints_func is not None
        self._rng = rng
        self._default_points: dict[int, npt.NDArray[np.float64]] = {}  # m -> Das-Dennis points

    def _points(self, n_objectives: int) -> npt.NDArray[np.float64]:
        if self._reference_points is None:
            if n_objectives not in self._default_points:
                points = das_dennis(n_objectives, self._dividing_parameter)
                self._default_points[n_objectives] = points
            return self._default_points[n_objectives]
        if self._reference_points.shape[1] != n_objectives:
            raise invalid_argument(
                "reference_points",
                self._reference_points,
                f"an array of {n_objectives} columns (one per objective of the study)",
                owner=type(self).__name__,
            )
        return self._reference_points

    def __call__(self, study: Any, population: list[FrozenTrial]) -> list[FrozenTrial]:
        if not population:
            return []
        signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions])
        losses = np.array([t.values for t in population], dtype=float) * signs
        found = violations(population, expect_constraints=self._expect_constraints)
        points = self._points(losses.shape[1])
        kept = select_elite_by_reference(losses, found, self._population_size, points, self._rng)
        return [population[i] for i in sorted(kept.tolist())]


def _check_reference_points(points: Any, owner: str) -> npt.NDArray[np.float64] | None:
    """``points`` as a ``(k x m)`` float array, or None; a ValueError unless it is a non-empty
    2-D array of finite, non-negative numbers with no zero row."""
    if points is None:
        return None
    allowed = "None or a non-empty 2-D array of finite numbers >= 0, no row all zeros"
    try:
        array = np.array(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise invalid_argument("reference_points", points, allowed, owner=owner) from None
    if (
        array.ndim != 2
        or array.size == 0
        or not np.all(np.isfinite(array))
        or np.any(array < 0.0)
        or np.any(np.all(array == 0.0, axis=1))
    ):
        raise invalid_argument("reference_points", points, allowed, owner=owner)
    return array


@experimental("0.1.0")
class NSGAIIISampler(GeneticMOSampler):
    """Many-objective search by NSGA-III (Deb and Jain, IEEE TEVC 18(4), 2014, parts I and II):
    NSGA-II whose last front is kept by reference points instead of crowding distance.

    Each generation holds ``population_size`` COMPLETE trials; its parents are the best of the
    previous generation and its parents: whole fronts by constrained non-dominated rank, then
    the front that does not fit whole by niching. For that front, the objectives are normalized
    (ideal point at 0, the intercepts of the extreme points' hyperplane at 1), every trial joins
    the reference direction nearest to it, and the directions with the fewest trials kept so far
    take a trial first. Crowding distance loses its grip past three objectives; reference
    points keep the population spread over the whole front. Children are bred as in
    :class:`~podbor.samplers.NSGAIISampler`.

    Experimental, as in Optuna: building one emits an ``ExperimentalWarning``. When optimizing
    many objectives most trials soon become non-dominated; where possible, turn
    some objectives into constraints (:meth:`~podbor.Trial.set_constraint`).

    Args:
        population_size: Trials per generation (an int >= 2, and >= the crossover's parents).
        mutation: A mutation of numerical parameters; None to redraw them at random.
        mutation_prob: Probability that a parameter mutates, in ``[0, 1]``; None for
            ``1 / number of parameters``.
        crossover: The crossover of numerical parameters; None for
            :class:`~podbor.samplers.nsgaii.UniformCrossover`.
        crossover_prob: Probability of a crossover rather than a copy, in ``[0, 1]``.
        swapping_prob: Probability that a uniformly crossed parameter comes from the first
            parent, in ``[0, 1]``.
        seed: Seed of the sampler's random state (an int >= 0, or None).
        constraints_func: Deprecated (``FutureWarning``; use ``Trial.set_constraint``): a
            trial's constraint values (> 0 violates), stored after each COMPLETE or PRUNED trial.
        reference_points: ``(k x m)`` points in the normalized objective space (``m``
            objectives; finite, >= 0, no zero row), or None for the uniformly spread points of
            Das and Dennis. Trials near the directions of the points are preferred, so points
            of your own state a preference.
        dividing_parameter: Divisions per axis of the default reference points (an int >= 1;
            ``C(m + p - 1, p)`` points); unused when ``reference_points`` is given.
        elite_population_selection_strategy: Experimental: ``(study, population) -> elite``.
        child_generation_strategy: Experimental: ``(study, search_space, parents) -> params``.
        after_trial_strategy: Experimental: ``(study, trial, state, values) -> None``.

    Example:
        >>> import podbor
        >>> sampler = NSGAIIISampler(population_size=6, seed=0)
        >>> study = podbor.create_study(directions=["minimize"] * 3, sampler=sampler)
        >>> def objective(trial):
        ...     x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        ...     return x * y, x * (1 - y), 1 - x
        >>> study.optimize(objective, n_trials=18)
        >>> len(study.best_trials) > 0
        True
    """

    def __init__(
        self,
        *,
        population_size: int = 50,
        mutation: BaseMutation | None = None,
        mutation_prob: float | None = None,
        crossover: BaseCrossover | None = None,
        crossover_prob: float = 0.9,
        swapping_prob: float = 0.5,
        seed: int | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        reference_points: np.ndarray | None = None,
        dividing_parameter: int = 3,
        elite_population_selection_strategy: EliteStrategy | None = None,
        child_generation_strategy: ChildStrategy | None = None,
        after_trial_strategy: AfterTrialStrategy | None = None,
    ) -> None:
        owner = type(self).__name__
        self._reference_points = _check_reference_points(reference_points, owner)
        self._dividing_parameter = check_int(
            dividing_parameter, "dividing_parameter", owner=owner, minimum=1
        )
        super().__init__(
            population_size=population_size,
            mutation=mutation,
            mutation_prob=mutation_prob,
            crossover=crossover,
            crossover_prob=crossover_prob,
            swapping_prob=swapping_prob,
            seed=seed,
            constraints_func=constraints_func,
            elite_population_selection_strategy=elite_population_selection_strategy,
            child_generation_strategy=child_generation_strategy,
            after_trial_strategy=after_trial_strategy,
        )

    def _default_elite_strategy(self) -> EliteStrategy:
        return NSGAIIIElitePopulationSelectionStrategy(
            population_size=self._population_size,
            constraints_func=self._constraints_func,
            reference_points=self._reference_points,
            dividing_parameter=self._dividing_parameter,
            rng=self._rng,
        )
