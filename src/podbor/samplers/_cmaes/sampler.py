"""CMA-ES over the numerical parameters of a study, on the ``cmaes`` package (``podbor[cmaes]``).

The optimizer itself is ``cmaes``'s ask/tell class (``CMA``, ``SepCMA`` or ``CMAwM``); this
module only translates between trials and its unit-cube points, and keeps no optimizer in
storage. Each trial CMA-ES samples records, as a JSON trial system attribute, the point the
optimizer asked for and its generation (and restart). The optimizer's state is a pure function
of the search space, the sampler's options and those records, so every worker rebuilds it by
*replaying* the finished generations (``tell`` of each generation's first ``popsize`` finished
trials, by number); a worker keeps its optimizer in memory and only replays the generations
finished since its last trial. Nothing is pickled, any number of workers share one study, and a
killed worker loses nothing.

The points are :class:`~podbor.samplers._cmaes.coordinates.Coordinates`: the shared unit-cube
encoding, with grid dimensions laid out for ``CMAwM`` under ``with_margin``.
"""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from podbor._deprecated import warn_deprecated, warn_experimental_argument
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._search_space import from_unit
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor._validation import (
    check_bool,
    check_choice,
    check_instance,
    check_int,
    check_optional_int,
    check_optional_real,
)
from podbor.distributions import BaseDistribution, CategoricalDistribution
from podbor.samplers._base import BaseSampler
from podbor.samplers._cmaes.coordinates import Coordinates, default_popsize, encoded_params
from podbor.samplers._common import FallbackSampler, SeenTrials, refuse_multi_objective
from podbor.samplers._intersection import IntersectionSearchSpace, intersection_search_space

__all__ = ["CmaEsSampler"]

FloatArray = npt.NDArray[np.float64]

_OWNER = "CmaEsSampler"
_SIGMA0 = 1.0 / 6.0  # the default initial step size in the unit cube
_INSTALL = "CmaEsSampler needs the 'cmaes' package: pip install 'podbor[cmaes]'"


def _cmaes_module() -> Any:
    try:
        import cmaes
    except ImportError as error:
        raise ImportError(_INSTALL) from error
    return cmaes


def _value(trial: FrozenTrial) -> float:
    """A learnable trial's value: its value, or a PRUNED trial's last report."""
    if trial.state == TrialState.PRUNED:
        return float(trial.intermediate_values[max(trial.intermediate_values)])
    assert trial.value is not None  # a COMPLETE single-objective trial has one
    return float(trial.value)


class _Run:
    """What one worker has read of one study: the finished CMA-ES trials by (restart,
    generation, popsize), and the optimizer replayed from them (the owner locks).

    Each finished trial is read once (:class:`SeenTrials`), so a trial costs the new trials and
    the new generations only.
    """

    def __init__(self, include_pruned: bool) -> None:
        self.seen = SeenTrials()
        self.space = IntersectionSearchSpace(include_pruned=include_pruned)
        self.batches: dict[tuple[Any, Any, Any], list[FrozenTrial]] = {}
        self.last: tuple[int, Any] = (-1, None)  # the latest record: (trial number, its names)
        self.names: list[str] | None = None
        self.optimizer: Any = None
        self.popsize = 0
        self.restart = 0
        self.n_large = 0  # restarts in the large regime
        self.small = False  # whether the current restart is in BIPOP's small regime
        self.budget = {False: 0, True: 0}  # evaluations of finished restarts, by regime

    def take(self, trials: list[FrozenTrial], key: str) -> None:
        for t in self.seen.take_new(trials):
            record = t.system_attrs.get(key)
            if isinstance(record, dict):
                group = (record.get("r"), record.get("g"), record.get("n"))
                self.batches.setdefault(group, []).append(t)
                self.last = max(self.last, (t.number, record.get("names")), key=lambda p: p[0])


class CmaEsSampler(FallbackSampler):
    """CMA-ES: a covariance-adapting evolution strategy over the numerical parameters.

    Relative sampling covers the intersection search space of the finished trials, floats and
    ints alike (categoricals, conditional parameters and a search space that changed go to
    ``independent_sampler``, with one warning per parameter). Each generation of ``popsize``
    trials updates the mean, step size and covariance of a Gaussian in the unit cube of the
    shared encoding (Hansen, 2016, "The CMA Evolution Strategy: A Tutorial"). The optimizer is
    rebuilt from the trials' JSON records (see the module docstring), so workers share a study.
    Needs ``pip install 'podbor[cmaes]'``; one objective only.

    Args:
        x0: Initial mean, ``{name: value}`` (deprecated, as in Optuna); default the centre.
        sigma0: Initial step size in the unit cube (deprecated, as in Optuna); default 1/6.
        n_startup_trials: Finished trials before CMA-ES starts; the first ones are independent.
        independent_sampler: Sampler for what CMA-ES does not cover; default
            ``RandomSampler(seed=seed)``.
        warn_independent_sampling: Log (once per parameter) when a parameter is sampled
            independently after the start-up trials.
        seed: Seed of the optimizer's draws and of the default independent sampler.
        consider_pruned_trials: Also learn from PRUNED trials, valued by their last report.
        restart_strategy: ``"ipop"`` restarts a stopped optimizer with ``inc_popsize`` times
            the population (Auger & Hansen, 2005); ``"bipop"`` alternates that with small
            populations and step sizes (Hansen, 2009).
            Deprecated, as in Optuna.
        popsize: Population size; default ``4 + floor(3 ln d)``.
        inc_popsize: Population factor of each IPOP restart; -1 for 2.
        use_separable_cma: A diagonal covariance (sep-CMA-ES; Ros & Hansen, 2008).
        with_margin: CMA-ES with margin for ints and stepped floats (Hamano et al., 2022).
        lr_adapt: Learning-rate adaptation for noisy or multimodal problems (Nomura et al., 2023).
        source_trials: Finished trials of a similar task to warm-start from (Nomura et al., 2021).

    Example:
        >>> import importlib.util, podbor
        >>> if importlib.util.find_spec("cmaes"):
        ...     study = podbor.create_study(sampler=CmaEsSampler(seed=0))
        ...     study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2
        ...                    + t.suggest_float("y", -1, 1) ** 2, n_trials=30)
        ...     assert study.best_value < 0.1
    """

    _STUDY_CACHES = ("_run",)

    def __init__(
        self,
        *,
        x0: dict[str, Any] | None = None,
        sigma0: float | None = None,
        n_startup_trials: int = 1,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
        seed: int | None = None,
        consider_pruned_trials: bool = False,
        restart_strategy: str | None = None,
        popsize: int | None = None,
        inc_popsize: int = -1,
        use_separable_cma: bool = False,
        with_margin: bool = False,
        lr_adapt: bool = False,
        source_trials: list[FrozenTrial] | None = None,
    ) -> None:
        super().__init__(seed, independent_sampler, warn_independent_sampling, owner=_OWNER)
        self._x0 = check_instance(x0, "x0", dict, owner=_OWNER, allowed="a dict", allow_none=True)
        self._sigma0 = check_optional_real(
            sigma0, "sigma0", owner=_OWNER, minimum=0.0, include_minimum=False, finite=True
        )
        self._n_startup = check_int(n_startup_trials, "n_startup_trials", owner=_OWNER, minimum=0)
        self._consider_pruned = check_bool(
            consider_pruned_trials, "consider_pruned_trials", owner=_OWNER
        )
        if restart_strategy is not None:
            check_choice(restart_strategy, "restart_strategy", ("ipop", "bipop"), owner=_OWNER)
        self._restart = restart_strategy
        self._popsize = check_optional_int(popsize, "popsize", owner=_OWNER, minimum=1)
        inc = check_int(inc_popsize, "inc_popsize", owner=_OWNER, minimum=-1)
        self._inc_popsize = 2 if inc in (-1, 0) else inc
        self._use_separable_cma = check_bool(use_separable_cma, "use_separable_cma", owner=_OWNER)
        self._with_margin = check_bool(with_margin, "with_margin", owner=_OWNER)
        self._lr_adapt = check_bool(lr_adapt, "lr_adapt", owner=_OWNER)
        self._source_trials = source_trials
        self._check_combinations()
        self._warn_status(x0, sigma0, restart_strategy, inc_popsize)
        for name in self._experimental_arguments():  # here: the warning points at the caller
            warn_experimental_argument(name, owner=_OWNER)
        self._variant = (
            "sepcma" if self._use_separable_cma else "cmawm" if self._with_margin else "cma"
        )
        self._key = f"{self._variant}:solution"
        self._cma_seed = int(np.random.RandomState(seed).randint(1, np.iinfo(np.int32).max))
        self._new_caches()

    def _check_combinations(self) -> None:
        if self._source_trials is not None and (self._x0 is not None or self._sigma0 is not None):
            raise ValueError(f"{_OWNER} takes source_trials or x0/sigma0, not both.")
        if self._source_trials is not None and self._use_separable_cma:
            raise ValueError(f"{_OWNER} cannot warm-start separable CMA-ES from source_trials.")
        if self._lr_adapt and (self._use_separable_cma or self._with_margin):
            raise ValueError(
                f"{_OWNER}'s lr_adapt works with neither use_separable_cma nor with_margin."
            )
        if self._use_separable_cma and self._with_margin:
            raise ValueError(f"{_OWNER} does not combine use_separable_cma with with_margin.")

    def _warn_status(self, x0: Any, sigma0: Any, restart: Any, inc: Any) -> None:
        if restart is not None or inc != -1:
            warn_deprecated(
                "CmaEsSampler's restart_strategy",
                since="0.1.0",
                removed_in="2.0.0",
                replacement="restart_strategy=None",
                stacklevel=3,
            )
        for name, value in (("x0", x0), ("sigma0", sigma0)):
            if value is not None:
                warn_deprecated(
                    f"CmaEsSampler's {name}",
                    since="0.1.0",
                    removed_in="2.0.0",
                    replacement=f"the default {name}",
                    stacklevel=3,
                )

    def _experimental_arguments(self) -> list[str]:
        """The experimental arguments (as in Optuna) given a non-default value."""
        given = {
            "consider_pruned_trials": self._consider_pruned,
            "use_separable_cma": self._use_separable_cma,
            "with_margin": self._with_margin,
            "lr_adapt": self._lr_adapt,
            "source_trials": self._source_trials is not None,
        }
        return [name for name, on in given.items() if on]

    def _new_caches(self) -> None:
        self._run: _Run | None = None

    def _reseed(self) -> None:
        super()._reseed()
        with self._lock:
            self._cma_seed = int(self._rng.integers(1, np.iinfo(np.int32).max))

    # -- the search space -------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        with self._lock:
            space = self._study_run(self._learnable(study)).space.calculate(study)
        return {
            name: dist
            for name, dist in space.items()
            if not dist.single() and not isinstance(dist, CategoricalDistribution)
        }

    def _learnable(self, study: StudyView) -> list[FrozenTrial]:
        """The finished trials CMA-ES learns from, in number order: COMPLETE ones, and PRUNED
        ones with a report when ``consider_pruned_trials`` (valued by :func:`_value`)."""
        if not self._consider_pruned:
            return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        states = (TrialState.COMPLETE, TrialState.PRUNED)
        return [
            t
            for t in study.get_trials(deepcopy=False, states=states)
            if t.state == TrialState.COMPLETE or t.intermediate_values
        ]

    def _get_trials(self, study: StudyView) -> list[FrozenTrial]:
        """Optuna's name: :meth:`_learnable`, PRUNED trials as copies valued by their last report."""
        trials = []
        for t in self._learnable(study):
            if t.state == TrialState.PRUNED:
                t = copy.deepcopy(t)
                t.value = _value(t)
            trials.append(t)
        return trials

    def _study_run(self, learnable: list[FrozenTrial]) -> _Run:
        """This worker's :class:`_Run` of the study ``learnable`` comes from (a fresh one when the
        sampler is handed another study). The caller holds the lock."""
        if self._run is None or not self._run.seen.same_study(learnable):
            self._run = _Run(self._consider_pruned)
        return self._run

    # -- sampling ---------------------------------------------------------------------------------
    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        refuse_multi_objective(study, owner=_OWNER)
        if not search_space:
            return {}
        learnable = self._learnable(study)
        if len(learnable) < self._n_startup:
            return {}
        coords = Coordinates(search_space, margin=self._with_margin)
        with self._lock:
            run = self._study_run(learnable)
            run.take(learnable, self._key)
            if not self._advance(run, coords, study.directions[0]):
                return {}
            generation, restart, popsize = int(run.optimizer.generation), run.restart, run.popsize
            run.optimizer.reseed_rng(self._ask_seed(trial.number))
            asked = run.optimizer.ask()
        x_eval, x_tell = asked if isinstance(asked, tuple) else (asked, asked)
        record = {
            "g": generation,
            "r": restart,
            "n": popsize,
            "names": coords.signature(),
            "x": [float(v) for v in np.asarray(x_tell, dtype=float)],
        }
        study.set_trial_system_attr(trial, self._key, record)
        return {
            name: search_space[name].to_external_repr(value)
            for name, value in coords.decode(np.asarray(x_eval, dtype=float)).items()
        }

    def _ask_seed(self, number: int) -> int:
        """A seed for one trial's draw: distinct per trial, reproducible for a given ``seed``."""
        return int(np.random.SeedSequence([self._cma_seed, number]).generate_state(1)[0])

    def _advance(self, run: _Run, coords: Coordinates, direction: StudyDirection) -> bool:
        """Bring ``run``'s optimizer up to date: every finished generation told.

        False when CMA-ES last ran on another search space in this study (a dynamic search
        space: Optuna then samples independently too), or the optimizer does not fit ``coords``.
        """
        if run.last[1] is not None and run.last[1] != coords.signature():
            return False
        if run.optimizer is None or run.names != coords.names:
            run.names, run.restart, run.n_large, run.small = coords.names, 0, 0, False
            run.budget = {False: 0, True: 0}
            run.popsize = self._popsize or default_popsize(coords.dim)
            run.optimizer = self._new_optimizer(coords, direction, self._popsize, None)
        if run.optimizer.dim != coords.dim:
            return False
        self._tell_finished(run, coords, direction)
        return True

    def _tell_finished(self, run: _Run, coords: Coordinates, direction: StudyDirection) -> None:
        """Tell each generation whose first ``popsize`` trials (by number) have finished."""
        sign = -1.0 if direction == StudyDirection.MAXIMIZE else 1.0
        while True:
            group = run.batches.get((run.restart, int(run.optimizer.generation), run.popsize), [])
            batch = sorted(
                (
                    t
                    for t in group
                    if t.system_attrs[self._key].get("names") == coords.names
                    and all(name in t.params for name in coords.names)
                ),
                key=lambda t: t.number,
            )[: run.popsize]
            if len(batch) < run.popsize:
                return
            run.optimizer.tell([(self._told_x(t, coords), sign * _value(t)) for t in batch])
            if self._restart is not None and run.optimizer.should_stop():
                self._restart_run(run, coords, direction, batch)

    def _told_x(self, trial: FrozenTrial, coords: Coordinates) -> FloatArray:
        """The point to tell: the asked one under margin (``CMAwM`` needs it), else the trial's
        parameters encoded (they may differ from the asked point when enqueued or fixed)."""
        if self._with_margin:
            return np.asarray(trial.system_attrs[self._key]["x"], dtype=float)
        return encoded_params(trial, coords)

    def _restart_run(
        self, run: _Run, coords: Coordinates, direction: StudyDirection, batch: list[FrozenTrial]
    ) -> None:
        """A fresh optimizer from a uniformly drawn mean that every worker draws alike (seeded by
        the restart and the last batch). IPOP (Auger & Hansen, 2005): ``inc_popsize`` times the
        last large population. BIPOP (Hansen, 2009): that, or, while the small regime has used
        fewer evaluations than the large one, a population between the default and half the
        last large one, and a step size shrunk by up to 100, both drawn."""
        run.budget[run.small] += run.popsize * int(run.optimizer.generation)
        run.restart += 1
        rng = np.random.RandomState([run.restart, *sorted(t.number for t in batch)])
        mean = rng.uniform(size=coords.dim)
        popsize0 = self._popsize or default_popsize(coords.dim)
        large = popsize0 * self._inc_popsize ** (run.n_large + 1)
        run.small = self._restart == "bipop" and run.budget[True] < run.budget[False]
        sigma = self._sigma0 if self._sigma0 is not None else _SIGMA0
        if run.small:  # BIPOP's small regime (Hansen, 2009, Sec. 2)
            u = rng.uniform()
            latest_large = popsize0 * self._inc_popsize**run.n_large
            run.popsize = max(
                popsize0, math.floor(popsize0 * (0.5 * latest_large / popsize0) ** u**2)
            )
            sigma *= 10.0 ** (-2.0 * u)
        else:
            run.n_large += 1
            run.popsize = large
        run.optimizer = self._new_optimizer(coords, direction, run.popsize, mean, sigma)

    def _new_optimizer(
        self,
        coords: Coordinates,
        direction: StudyDirection,
        population_size: int | None,
        mean: FloatArray | None,
        sigma: float | None = None,
    ) -> Any:
        cmaes = _cmaes_module()
        if sigma is None:
            sigma = self._sigma0 if self._sigma0 is not None else _SIGMA0
        cov = None
        if mean is None and self._source_trials is not None:
            mean, sigma, cov = self._warm_start(cmaes, coords, direction)
            sigma = max(float(sigma), 1e-10)
        if mean is None:
            mean = self._initial_mean(coords)
        common: dict[str, Any] = {
            "mean": mean,
            "sigma": sigma,
            "bounds": coords.bounds,
            "seed": self._cma_seed,
            "n_max_resampling": 10 * coords.dim,
            "population_size": population_size,
        }
        if self._use_separable_cma and coords.dim == 1:
            warnings.warn(
                "Separable CMA-ES needs two or more dimensions; CmaEsSampler runs plain CMA-ES "
                "on this one-dimensional search space.",
                UserWarning,
                stacklevel=2,
            )
        elif self._use_separable_cma:
            return cmaes.SepCMA(**common)
        if self._with_margin:
            return cmaes.CMAwM(**common, steps=coords.steps, cov=cov)
        return cmaes.CMA(**common, cov=cov, lr_adapt=self._lr_adapt)

    def _initial_mean(self, coords: Coordinates) -> FloatArray:
        x0 = self._x0 or {}
        internal = {
            n: d.to_internal_repr(x0[n]) if n in x0 else float(from_unit(d, np.array([0.5]))[0])
            for n, d in zip(coords.names, coords.distributions)
        }
        mean = coords.encode(internal)
        return np.where([n in x0 for n in coords.names], mean, 0.5)

    def _warm_start(
        self, cmaes: Any, coords: Coordinates, direction: StudyDirection
    ) -> tuple[FloatArray, float, FloatArray]:
        """The initial Gaussian from ``source_trials`` (``cmaes.get_warm_start_mgd``)."""
        assert self._source_trials is not None
        done = [t for t in self._source_trials if t.state == TrialState.COMPLETE]
        source_space = intersection_search_space(done)
        names = {
            n
            for n, d in source_space.items()
            if not d.single() and not isinstance(d, CategoricalDistribution)
        }
        if names != set(coords.names):
            raise ValueError(
                f"The source_trials of {_OWNER} do not share the study's search space: they have "
                f"{sorted(names)}, the study {coords.names}."
            )
        sign = -1.0 if direction == StudyDirection.MAXIMIZE else 1.0
        solutions = [
            (encoded_params(t, coords), sign * float(t.value))
            for t in done
            if t.value is not None and math.isfinite(t.value)
        ]
        if len(solutions) < 10:  # the best tenth of them sets the Gaussian: at least one
            raise ValueError(
                f"The source_trials of {_OWNER} need at least 10 finished trials with a finite "
                f"value; {len(solutions)} were given."
            )
        mean, sigma, cov = cmaes.get_warm_start_mgd(solutions, gamma=0.1, alpha=0.1)
        return np.asarray(mean, dtype=float), float(sigma), np.asarray(cov, dtype=float)

    # -- Optuna's private helpers, for code written against them --------------------------------
    def _get_solution_trials(self, trials: list[FrozenTrial], generation: int) -> list[FrozenTrial]:
        """The trials this sampler's variant sampled in ``generation`` (of any restart)."""
        records = [(t, t.system_attrs.get(self._key)) for t in trials]
        return [t for t, r in records if isinstance(r, dict) and r.get("g") == generation]

    def _restore_optimizer(
        self,
        trials: list[FrozenTrial],
        direction: StudyDirection = StudyDirection.MINIMIZE,
    ) -> Any:
        """The optimizer replayed from ``trials`` alone (None when none was sampled by CMA-ES),
        without touching this sampler's cache. The search space is the last record's."""
        run = _Run(self._consider_pruned)
        run.take([t for t in trials if t.state == TrialState.COMPLETE], self._key)
        if run.last[1] is None:
            return None
        last = max((t for group in run.batches.values() for t in group), key=lambda t: t.number)
        space = {n: last.distributions[n] for n in run.last[1]}
        self._advance(run, Coordinates(space, margin=self._with_margin), direction)
        return run.optimizer

    # -- what CMA-ES leaves to the independent sampler --------------------------------------------
    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        refuse_multi_objective(study, owner=_OWNER)
        return super().sample_independent(study, trial, param_name, param_distribution)

    def _why_independent(self, study: StudyView, trial: FrozenTrial, param_name: str) -> str | None:
        if len(self._learnable(study)) < max(self._n_startup, 1):  # nothing to model yet
            return None
        return (
            "CMA-ES models numerical parameters of a fixed search space only (a categorical, "
            "conditional or newly added parameter, or a search space that changed)"
        )

    def _trial_finished(self, study: StudyView, trial: FrozenTrial, state: TrialState) -> None:
        if getattr(trial, "constraints", None):
            warnings.warn(
                "Constraints have been set, but CmaEsSampler does not use them.",
                UserWarning,
                stacklevel=2,
            )

    def __repr__(self) -> str:
        return f"CmaEsSampler(seed={self._seed})"
