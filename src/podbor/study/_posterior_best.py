"""``posterior_best_trial``: the trial a GP believes best, for noisy objectives.

``study.best_trial`` is the trial with the best *score* (Optuna's meaning, kept). When scores are
noisy — cross-validated accuracy, a training run with a random seed — that trial is often a lucky
draw: among 60 trials with noise of 5 % of the range, the best score usually belongs to a trial
whose true value is worse than that of a neighbour. A Gaussian process fitted to every complete
trial, with a learned noise term, averages the scores of nearby trials; the trial with the best
posterior mean is the better guess of the truly best one. ``benchmarks/noisy.py`` measures both.
"""

from __future__ import annotations

import copy

import numpy as np

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._validation import check_int
from podbor.exceptions import invalid_argument
from podbor.study._study import Study

__all__ = ["posterior_best_trial"]

_OWNER = "posterior_best_trial"


def posterior_best_trial(study: Study, *, min_trials: int = 5) -> FrozenTrial:
    """The complete trial with the best posterior mean of a GP fitted to the study's trials.

    The GP is podbor's (the one :class:`~podbor.samplers.GPSampler` uses) with its noise
    variance learned from the scores, so that the posterior mean at each trial averages the
    trial's score with its neighbours' in proportion to how noisy the scores look; on a
    noise-free objective it reproduces the scores and the answer is ``study.best_trial``.

    Falls back to ``study.best_trial`` when there is nothing to model: fewer than ``min_trials``
    complete trials, no numeric or categorical parameter, or complete trials that do not all have
    the same parameters (a conditional space).

    Args:
        study: A single-objective study with at least one complete trial.
        min_trials: Fewest complete trials to fit the GP on (an int >= 2).

    Returns:
        One of the study's complete trials (a deep copy, as ``best_trial``).

    Raises:
        InvalidArgumentError: If the study has several objectives, or ``min_trials`` is not an
            int >= 2.
        ValueError: If the study has no complete trial (as ``best_trial``).

    Example:
        >>> import podbor
        >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> rng = np.random.default_rng(0)
        >>> noisy = lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2 + rng.normal(0, 0.3)
        >>> study.optimize(noisy, n_trials=40)
        >>> trial = podbor.study.posterior_best_trial(study)
        >>> abs(trial.params["x"] - 1) < abs(study.best_params["x"] - 1) + 0.5
        True
        >>> podbor.logging.set_verbosity(podbor.logging.INFO)
    """
    if len(study.directions) != 1:
        raise invalid_argument("study", study, "a single-objective study", owner=_OWNER)
    min_trials = check_int(min_trials, "min_trials", owner=_OWNER, minimum=2)
    best = study.best_trial  # raises as Optuna does when nothing is complete
    completes = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(completes) < min_trials:
        return best
    names = {frozenset(t.distributions) for t in completes}
    if len(names) != 1:
        return best
    from podbor.samplers._gp import study_model as sm
    from podbor.samplers._gp import training as tr
    from podbor.samplers._intersection import IntersectionSearchSpace

    space = tr.relative_space(IntersectionSearchSpace().calculate(study))
    if not space:
        return best
    training = tr.TrainingSet(tr.space_key(space), tr.objective_sign(study))
    training.update(completes)
    finite = np.isfinite(training.y)
    if int(finite.sum()) < min_trials:
        return best
    with sm.single_threaded_blas():
        model = sm.fit_model(training, deterministic=False, initial=None)
        mean, _ = model.gp.predict(training.x)
    mean = np.where(finite, mean, -np.inf)  # maximized, standardized units
    number = training.trial_numbers[int(np.argmax(mean))]
    return copy.deepcopy(next(t for t in completes if t.number == number))
