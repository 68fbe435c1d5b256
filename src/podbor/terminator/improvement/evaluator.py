"""How much the best value could still improve: the regret bound and the stagnation count.

An improvement evaluator turns the trials so far into one number, the room left for
optimization; :class:`~podbor.terminator.Terminator` stops the study when that number falls
below the statistical error of the objective (an error evaluator's number). Two are here:

* :class:`RegretBoundEvaluator` (Makarova et al., "Automatic termination for hyperparameter
  optimization", AutoML 2022): a Gaussian process fitted to the best trials bounds, with high
  probability, how far the best trial is from the optimum. For a maximized objective, the
  optimum is at most the largest upper confidence bound ``μ + β σ`` anywhere in the search space,
  and the best of the top trials is at least the largest lower confidence bound ``μ - β σ`` among
  them, so ``max_space UCB - max_top LCB`` bounds the regret (for a minimized one, the mirror:
  ``min_top UCB - min_space LCB``). ``β`` is the GP-UCB multiplier of Srinivas et al. (2010) that
  podbor's GP sampler uses (:func:`podbor.samplers._gp.acquisition.ucb_beta`).
* :class:`BestValueStagnationEvaluator`: how many more trials may pass without a new best value.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Sequence

import numpy as np

from podbor._arrays import BoolArray, FloatArray
from podbor._deprecated import experimental
from podbor._records.frozen_trial import FrozenTrial
from podbor._search_space import SearchSpaceEncoder
from podbor._study_direction import StudyDirection
from podbor._validation import check_int, check_real, check_seed
from podbor.samplers._gp.acquisition import Acquisition, ucb_beta
from podbor.samplers._gp.model import standardize
from podbor.samplers._gp.optimize import maximize_acquisition
from podbor.samplers._gp.study_model import single_threaded_blas
from podbor.samplers._gp.training import search_dims
from podbor.terminator._gp_fit import complete_trials, condition, encode, fit_params

__all__ = [
    "DEFAULT_MIN_N_TRIALS",
    "DEFAULT_TOP_TRIALS_RATIO",
    "BaseImprovementEvaluator",
    "BestValueStagnationEvaluator",
    "RegretBoundEvaluator",
]

DEFAULT_TOP_TRIALS_RATIO = 0.5
"""The share of the best trials the regret bound's GP is fitted to, by default."""
DEFAULT_MIN_N_TRIALS = 20
"""The smallest number of trials the regret bound's GP is fitted to, and the terminator's
default number of complete trials before it judges at all."""

_N_CANDIDATES = 2048
"""Quasi-random points the upper confidence bound is maximized from."""
_MAX_ITER = 50
"""L-BFGS-B iterations of each refinement at any number of parameters (not the samplers'
cheaper search from 16 on: a shorter search under-estimates the bound, so stops earlier)."""


@experimental("0.1.0")
class BaseImprovementEvaluator(abc.ABC):
    """The interface of an improvement evaluator: the room left for optimization.

    Subclass it and implement :meth:`evaluate`; a larger number means more room. The
    :class:`~podbor.terminator.Terminator` compares it with an error evaluator's number.

    Example:
        >>> class LastValue(BaseImprovementEvaluator):
        ...     def evaluate(self, trials, study_direction):
        ...         return abs(trials[-1].value)
        >>> from podbor.trial import create_trial
        >>> LastValue().evaluate([create_trial(value=-2.0)], StudyDirection.MINIMIZE)
        2.0
    """

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The room left for optimization, judged from ``trials``.

        Args:
            trials: The study's trials (any states; the evaluators read the COMPLETE ones).
            study_direction: Whether the objective is minimized or maximized.

        Returns:
            A float; the larger, the more the best value may still improve.
        """


@experimental("0.1.0")
class RegretBoundEvaluator(BaseImprovementEvaluator):
    """A high-probability upper bound of the best trial's regret, from a Gaussian process.

    The regret is how far the best value found is from the optimum of the objective. A GP is
    fitted to the best trials (the top ``top_trials_ratio`` share, at least ``min_n_trials`` of
    them, all of them when there are fewer), over the parameters every complete trial shares. For
    a maximized objective the optimum is, with high probability, at most the largest upper
    confidence bound ``μ + β σ`` anywhere in the search space, and the best of those trials at
    least the largest lower confidence bound ``μ - β σ`` among them; the difference, in the
    objective's units, bounds the regret (for a minimized objective, the mirror:
    ``min UCB among the trials - min LCB over the space``). ``β`` is the GP-UCB multiplier of
    Srinivas et al. (2010) that :class:`~podbor.samplers.GPSampler` uses. Fitting to the best
    trials only keeps the GP's attention where the optimum is, as Makarova et al. ("Automatic
    termination for hyperparameter optimization", AutoML 2022) propose.

    Args:
        top_trials_ratio: The share of the complete trials, best first, that the GP is fitted
            to: a float in ``(0, 1]``.
        min_n_trials: The GP is fitted to at least this many trials (an int >= 1).
        seed: Seed of the quasi-random points the upper confidence bound is maximized from (an
            int >= 0, or None for a fresh one).

    Raises:
        ValueError: An argument outside what is allowed (the message names it).

    Example:
        >>> import podbor
        >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.2) ** 2, n_trials=8)
        >>> bound = RegretBoundEvaluator(seed=0).evaluate(study.trials, study.direction)
        >>> bound >= 0.0
        True
    """

    def __init__(
        self,
        top_trials_ratio: float = DEFAULT_TOP_TRIALS_RATIO,
        min_n_trials: int = DEFAULT_MIN_N_TRIALS,
        seed: int | None = None,
    ) -> None:
        owner = "RegretBoundEvaluator"
        self._top_trials_ratio = check_real(
            top_trials_ratio,
            "top_trials_ratio",
            owner=owner,
            minimum=0.0,
            maximum=1.0,
            include_minimum=False,
        )
        self._min_n_trials = check_int(min_n_trials, "min_n_trials", owner=owner, minimum=1)
        self._rng = np.random.default_rng(check_seed(seed, owner=owner))
        self._lock = threading.Lock()

    def _top(self, y: FloatArray) -> FloatArray:
        """A mask of the best values (larger is better), ties with the last one included."""
        n = y.size
        k = int(np.clip(int(n * self._top_trials_ratio), min(self._min_n_trials, n), n))
        threshold = np.sort(y)[n - k]
        mask: FloatArray = y >= threshold
        return mask

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The upper bound of the best trial's regret, in the objective's units (>= 0).

        Args:
            trials: The study's trials; the COMPLETE ones are used.
            study_direction: Whether the objective is minimized or maximized.

        Raises:
            ValueError: No trial is complete, or the complete trials share no parameter.
        """
        completes = complete_trials(trials)
        if not completes:
            raise ValueError(
                "RegretBoundEvaluator needs at least one COMPLETE trial; there is none yet."
            )
        data = encode(completes, study_direction)
        if data is None:
            raise ValueError(
                "RegretBoundEvaluator needs a parameter that every complete trial shares with "
                "the same distribution (and more than one possible value); the complete trials "
                "share none."
            )
        top = self._top(data.y)
        with single_threaded_blas():  # small matrices: threads cost more than they save
            return self._bound(data.encoder, data.x[top], data.y[top], data.is_categorical)

    def _bound(
        self, encoder: SearchSpaceEncoder, x: FloatArray, y: FloatArray, is_cat: BoolArray
    ) -> float:
        """The regret bound of a GP fitted to ``(x, y)`` (``y`` larger is better)."""
        z, how = standardize(y)
        gp = condition(x, z, is_cat, fit_params(x, z, is_cat, deterministic=False))
        beta = ucb_beta(len(y), x.shape[1])
        ucb = Acquisition(gp, "ucb", best=0.0, beta=beta)
        lcb = Acquisition(gp, "ucb", best=0.0, beta=-beta)
        highest_ucb = float(np.max(ucb.value(x)))
        with self._lock:
            found = maximize_acquisition(
                ucb,
                search_dims(encoder),
                self._rng,
                n_candidates=_N_CANDIDATES,
                local_starts=x,
                max_iter=_MAX_ITER,
            )
        if found is not None:
            highest_ucb = max(highest_ucb, float(ucb.value(found[None, :])[0]))
        highest_lcb = float(np.max(lcb.value(x)))
        return max(highest_ucb - highest_lcb, 0.0) * how.scale


@experimental("0.1.0")
class BestValueStagnationEvaluator(BaseImprovementEvaluator):
    """The number of trials left before the best value has stagnated too long.

    The result is ``max_stagnation_trials`` minus the number of complete trials since the first
    one that reached the current best value. It is negative once the best value has not changed
    for more than ``max_stagnation_trials`` trials, so with the error fixed at 0 (the
    :class:`~podbor.terminator.Terminator`'s default error evaluator for this evaluator,
    :class:`~podbor.terminator.StaticErrorEvaluator` with ``constant=0``) the study stops then.

    Args:
        max_stagnation_trials: How many complete trials in a row may fail to improve the best
            value (an int >= 0).

    Raises:
        ValueError: ``max_stagnation_trials`` is negative or not an int.

    Example:
        >>> from podbor.trial import create_trial
        >>> trials = [create_trial(value=v) for v in (3.0, 1.0, 2.0, 2.5)]
        >>> BestValueStagnationEvaluator(5).evaluate(trials, StudyDirection.MINIMIZE)
        3
    """

    def __init__(self, max_stagnation_trials: int = 30) -> None:
        self._max_stagnation_trials = check_int(
            max_stagnation_trials,
            "max_stagnation_trials",
            owner="BestValueStagnationEvaluator",
            minimum=0,
        )

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """``max_stagnation_trials`` minus the complete trials since the best value was first hit.

        Args:
            trials: The study's trials; the COMPLETE ones count, in their order.
            study_direction: Whether the objective is minimized or maximized.

        Raises:
            ValueError: No trial is complete.
        """
        values = _complete_values(trials)
        if not values:
            raise ValueError(
                "BestValueStagnationEvaluator needs at least one COMPLETE trial; there is none yet."
            )
        array = np.array(values, dtype=float)
        if study_direction == StudyDirection.MAXIMIZE:
            array = -array
        first_best = int(np.argmin(array))  # the first occurrence of the best value
        return self._max_stagnation_trials - (len(values) - 1 - first_best)


def _complete_values(trials: Sequence[FrozenTrial]) -> list[float]:
    return [float(t.value) for t in complete_trials(trials) if t.value is not None]
