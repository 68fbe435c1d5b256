"""NSGAIISampler: the adapter between a study and NSGA-II's selection and breeding.

:class:`GeneticMOSampler` holds what NSGA-II and NSGA-III (``_nsgaiii.py``) share; each
subclass brings only its public signature and its default elite selection.

Generations come from the trials (``_ga.py``), the elite from ``_selection.py`` (arrays), the
children from ``_child.py``; what no child decides (the first generation, mutated parameters,
parameters outside the shared search space) a :class:`~podbor.samplers.RandomSampler` draws.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from podbor._deprecated import called_from_podbor, user_stacklevel, warn_experimental
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor._validation import check_instance, check_optional_real, check_real, check_seed
from podbor.distributions import BaseDistribution
from podbor.exceptions import invalid_argument
from podbor.samplers._base import BaseSampler
from podbor.samplers._constraints import (
    NSGAIIAfterTrialStrategy,
    violations,
    warn_deprecated_constraints_func,
)
from podbor.samplers._intersection import _intersect as intersect
from podbor.samplers._nsgaii._child import NSGAIIChildGenerationStrategy
from podbor.samplers._nsgaii._crossovers import BaseCrossover, UniformCrossover
from podbor.samplers._nsgaii._ga import BaseGASampler
from podbor.samplers._nsgaii._mutations import BaseMutation
from podbor.samplers._nsgaii._selection import select_elite
from podbor.samplers._random import RandomSampler

__all__ = ["GeneticMOSampler", "NSGAIIElitePopulationSelectionStrategy", "NSGAIISampler"]

EliteStrategy = Callable[[Any, list[FrozenTrial]], list[FrozenTrial]]
ChildStrategy = Callable[[Any, dict[str, BaseDistribution], list[FrozenTrial]], dict[str, Any]]
AfterTrialStrategy = Callable[[Any, FrozenTrial, TrialState, Sequence[float] | None], None]


class NSGAIIElitePopulationSelectionStrategy:
    """The default elite selection: the best ``population_size`` trials by constrained
    non-dominated rank, then crowding distance.

    Args:
        population_size: How many to keep (an int >= 2).
        constraints_func: Whether constraints come from a ``constraints_func`` (a trial
            without stored constraints then counts as infeasible).

    Example:
        >>> import podbor
        >>> study = podbor.create_study(directions=["minimize", "minimize"])
        >>> study.add_trials([podbor.create_trial(values=v) for v in [[1, 2], [2, 1], [3, 3]]])
        >>> keep = NSGAIIElitePopulationSelectionStrategy(population_size=2)
        >>> [t.values for t in keep(study, study.trials)]
        [[1.0, 2.0], [2.0, 1.0]]
    """

    def __init__(self, *, population_size: int, constraints_func: Any = None) -> None:
        if not isinstance(population_size, int) or population_size < 2:
            raise invalid_argument(
                "population_size", population_size, "an int >= 2", owner=type(self).__name__
            )
        self._population_size = population_size
        self._expect_constraints = constraints_func is not None

    def __call__(self, study: Any, population: list[FrozenTrial]) -> list[FrozenTrial]:
        if not population:
            return []
        signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions])
        losses = np.array([t.values for t in population], dtype=float) * signs
        found = violations(population, expect_constraints=self._expect_constraints)
        kept = select_elite(losses, found, self._population_size)
        return [population[i] for i in sorted(kept.tolist())]


class GeneticMOSampler(BaseGASampler):
    """What NSGA-II and NSGA-III share: arguments, breeding, constraints and the hooks.

    A subclass passes its public constructor's arguments to ``__init__`` and builds its default
    elite selection in :meth:`_default_elite_strategy`; everything else (generations, children
    by tournament, crossover and mutation, ``constraints_func``) is common. Argument errors and
    warnings name the subclass.

    Example:
        >>> GeneticMOSampler._get_generation_key()
        'GeneticMOSampler:generation'
    """

    _STUDY_CACHES: ClassVar[tuple[str, ...]] = (*BaseGASampler._STUDY_CACHES, "_search_space")

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
        elite_population_selection_strategy: EliteStrategy | None = None,
        child_generation_strategy: ChildStrategy | None = None,
        after_trial_strategy: AfterTrialStrategy | None = None,
    ) -> None:
        owner = type(self).__name__
        user = user_stacklevel(self)  # the user's line, above every __init__ of this object
        warn_deprecated_constraints_func(constraints_func, owner, stacklevel=user + 1)
        for name, value in (
            ("after_trial_strategy", after_trial_strategy),
            ("child_generation_strategy", child_generation_strategy),
            ("elite_population_selection_strategy", elite_population_selection_strategy),
        ):
            if value is not None and not called_from_podbor(depth=user):
                warn_experimental(f"The '{name}' argument of {owner}", stacklevel=user)
        super().__init__(population_size=population_size)
        unit = {"owner": owner, "minimum": 0.0, "maximum": 1.0}
        check_optional_real(mutation_prob, "mutation_prob", **unit)  # type: ignore[arg-type]
        check_real(crossover_prob, "crossover_prob", **unit)  # type: ignore[arg-type]
        check_real(swapping_prob, "swapping_prob", **unit)  # type: ignore[arg-type]
        check_instance(
            crossover, "crossover", BaseCrossover, owner=owner, allowed="a BaseCrossover",
            allow_none=True,
        )  # fmt: skip
        crossover = crossover or UniformCrossover(swapping_prob)
        if population_size < crossover.n_parents:
            allowed = f"an int >= the {crossover} crossover's n_parents ({crossover.n_parents})"
            raise invalid_argument("population_size", population_size, allowed, owner=owner)
        for name, strategy in (
            ("elite_population_selection_strategy", elite_population_selection_strategy),
            ("child_generation_strategy", child_generation_strategy),
            ("after_trial_strategy", after_trial_strategy),
        ):
            if strategy is not None and not callable(strategy):
                raise invalid_argument(name, strategy, "a callable or None", owner=owner)

        self._seed = check_seed(seed, owner=owner)
        self._rng = np.random.RandomState(self._seed)
        self._lock = threading.RLock()
        self._random_sampler = RandomSampler(seed=self._seed)
        self._constraints_func = constraints_func
        self._elite_population_selection_strategy = (
            elite_population_selection_strategy or self._default_elite_strategy()
        )
        self._child_generation_strategy = (
            child_generation_strategy
            or NSGAIIChildGenerationStrategy(
                crossover=crossover,
                crossover_prob=crossover_prob,
                mutation_prob=mutation_prob,
                swapping_prob=swapping_prob,
                rng=self._rng,
                constraints_func=constraints_func,
                mutation=mutation,
            )
        )
        self._after_trial_strategy = after_trial_strategy or NSGAIIAfterTrialStrategy(
            constraints_func=constraints_func, owner=type(self).__name__
        )

    def _default_elite_strategy(self) -> EliteStrategy:
        """The elite selection used when the user gives none (called once ``__init__`` has set
        ``_population_size``, ``_constraints_func`` and ``_rng``)."""
        raise NotImplementedError

    def _new_caches(self) -> None:
        super()._new_caches()
        self._search_space: dict[str, BaseDistribution] | None = None  # of the COMPLETE trials

    def _absorbed(self, new: list[FrozenTrial]) -> None:
        for trial in new:
            self._search_space = intersect(self._search_space, trial)

    # -- the sampling methods ---------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if (trial.number, trial.datetime_start) not in self._decided:
            self._absorb(study)  # else before_trial has just taken the finished trials in
        with self._ga_lock:
            space = self._search_space or {}
            return {name: space[name] for name in sorted(space) if not space[name].single()}

    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        generation = self.get_trial_generation(study, trial)
        parents = self.get_parent_population(study, generation)
        if not parents:
            return {}
        with self._lock:
            return self._child_generation_strategy(study, search_space, parents)

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._random_sampler.sample_independent(study, trial, param_name, param_distribution)

    def select_parent(self, study: StudyView, generation: int) -> list[FrozenTrial]:
        """The elite of generation ``generation - 1`` together with its own parents."""
        population = self.get_population(study, generation - 1)
        numbers = {t.number for t in population}
        earlier = self.get_parent_population(study, generation - 1)
        population += [t for t in earlier if t.number not in numbers]
        with self._lock:
            return self._elite_population_selection_strategy(study, population)

    # -- the hooks --------------------------------------------------------------------------------
    def _trial_started(self, study: StudyView, trial: FrozenTrial) -> None:
        self.get_trial_generation(study, trial)  # every trial records its generation

    def _delegates(self) -> Sequence[BaseSampler]:
        return (self._random_sampler,)

    def after_trial(
        self,
        study: StudyView,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        """Run the after-trial strategy (``constraints_func``), then the random sampler's hook."""
        self._after_trial_strategy(study, trial, state, values)
        self._random_sampler.after_trial(study, trial, state, values)

    def _reseed(self) -> None:
        with self._lock:
            self._rng.seed()  # in place: the child strategy draws from the same object

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(population_size={self.population_size}, seed={self._seed})"


class NSGAIISampler(GeneticMOSampler):
    """Multi-objective search by NSGA-II, the elitist genetic algorithm of Deb et al. (IEEE
    TEVC 6(2), 2002), with constraint domination when constraints exist.

    Each generation holds ``population_size`` COMPLETE trials; its parents are the elite of the
    previous generation and its parents (rank, then crowding distance). A child comes from
    binary tournaments, a crossover (probability ``crossover_prob``) and per-parameter mutation
    (random redraw, or ``mutation``). The first generation is random. Generations and parents
    live in the study's system attributes, so several workers share one run.

    Args:
        population_size: Trials per generation (an int >= 2, and >= the crossover's parents).
        mutation: A mutation of numerical parameters; None to redraw them at random.
        mutation_prob: Probability that a parameter mutates, in ``[0, 1]``; None for
            ``1 / number of parameters``.
        crossover: The crossover of numerical parameters; None for
            :class:`~podbor.samplers.nsgaii.UniformCrossover` (categorical parameters always
            cross uniformly).
        crossover_prob: Probability of a crossover rather than a copy, in ``[0, 1]``.
        swapping_prob: Probability that a uniformly crossed parameter comes from the first
            parent, in ``[0, 1]``.
        seed: Seed of the sampler's random state (an int >= 0, or None).
        constraints_func: Deprecated (``FutureWarning``; use ``Trial.set_constraint``): a
            trial's constraint values (> 0 violates), evaluated after each COMPLETE or PRUNED
            trial and stored under the trial system attribute ``"constraints"``.
        elite_population_selection_strategy: Experimental: ``(study, population) -> elite``.
        child_generation_strategy: Experimental: ``(study, search_space, parents) -> params``.
        after_trial_strategy: Experimental: ``(study, trial, state, values) -> None``.

    Example:
        >>> import podbor
        >>> sampler = NSGAIISampler(population_size=4, seed=0)
        >>> study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
        >>> study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("x", 0, 1)),
        ...                n_trials=12)
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
        elite_population_selection_strategy: EliteStrategy | None = None,
        child_generation_strategy: ChildStrategy | None = None,
        after_trial_strategy: AfterTrialStrategy | None = None,
    ) -> None:
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
        return NSGAIIElitePopulationSelectionStrategy(
            population_size=self._population_size, constraints_func=self._constraints_func
        )
