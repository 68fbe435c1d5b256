"""The expected minimum model regret (EMMR): how much the last trial changed what the model expects.

Ishibashi, Karasuyama, Takeuchi & Hino ("A stopping criterion for Bayesian optimization by the gap
of expected minimum simple regrets", AISTATS 2023) stop an optimization when the expected simple
regret under the Gaussian-process posterior stops changing from one trial to the next. Written for
a maximized objective ``f`` (a minimized one is negated), with ``p_t`` the posterior after ``t``
complete trials and ``x̂_t`` the evaluated point of largest posterior mean, the expected regret of
the model's choice is ``E_{p_t}[max f] - μ_t(x̂_t)``. Its change from ``t - 1`` to ``t`` is at most

``|μ_t(x̂_t) - μ_{t-1}(x̂_{t-1})| + |E_{p_t}[max f] - E_{p_{t-1}}[max f]|``.

The first term is read off the two posteriors. For the second, ``p_t`` is ``p_{t-1}`` updated
by one observation at ``x_t``, so the Kullback-Leibler divergence between them (as distributions
over functions) equals the one between their marginals at ``x_t``, two normal distributions. With
probability at least ``1 - δ`` the maximum of a GP sample lies within ``σ_f sqrt(2 log(2/δ))`` of
its mean (Borell-TIS, ``σ_f²`` the prior variance, which bounds every posterior variance), and two
distributions differ in the expectation of such a bounded quantity by at most its half-range times
twice their total-variation distance, itself at most ``sqrt(KL / 2)`` (Pinsker). Hence the
criterion

``EMMR_t = |μ_t(x̂_t) - μ_{t-1}(x̂_{t-1})| + 2 σ_f sqrt(log(2/δ) KL(p_t ‖ p_{t-1}))``,

computed with one set of hyper-parameters (fitted to all ``t`` trials) for both posteriors, in
standardized units and returned in the objective's units. It is used with
:class:`~podbor.terminator.MedianErrorEvaluator`, which turns its early values into a threshold.
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np

from podbor._arrays import BoolArray, FloatArray
from podbor._deprecated import experimental
from podbor._records.frozen_trial import FrozenTrial
from podbor._study_direction import StudyDirection
from podbor._validation import check_bool, check_int, check_real, check_seed
from podbor.samplers._gp.model import standardize
from podbor.samplers._gp.study_model import single_threaded_blas
from podbor.terminator._gp_fit import complete_trials, condition, encode, fit_params
from podbor.terminator.improvement.evaluator import BaseImprovementEvaluator

__all__ = ["MARGIN_FOR_NUMARICAL_STABILITY", "EMMREvaluator"]

MARGIN_FOR_NUMARICAL_STABILITY = 0.1
"""The criterion is ``sys.float_info.max`` times this while it cannot be computed yet: a huge
value that never stops a study, with room left so that sums of it stay finite. (The spelling is
Optuna's, kept so that code importing it runs.)"""

_NOT_YET = sys.float_info.max * MARGIN_FOR_NUMARICAL_STABILITY
_MIN_VAR = 1e-12
"""Posterior variances (standardized units) are floored here in the divergence."""


def _normal_kl(mean_p: float, var_p: float, mean_q: float, var_q: float) -> float:
    """``KL(N(mean_p, var_p) ‖ N(mean_q, var_q))``.

    Example:
        >>> _normal_kl(0.0, 1.0, 0.0, 1.0), round(_normal_kl(1.0, 1.0, 0.0, 1.0), 3)
        (0.0, 0.5)
    """
    ratio = var_p / var_q
    return 0.5 * (ratio - 1.0 - math.log(ratio) + (mean_p - mean_q) ** 2 / var_q)


@experimental("0.1.0")
class EMMREvaluator(BaseImprovementEvaluator):
    """The expected minimum model regret: how much the last trial changed the expected regret.

    For a maximized objective (a minimized one is negated), with ``μ_t`` the GP's posterior mean
    after ``t`` complete trials, ``x̂_t`` the evaluated point where it is largest, ``σ_f²`` the
    GP's prior variance and ``KL`` the Kullback-Leibler divergence between the posteriors after
    ``t`` and ``t - 1`` trials (that of their marginals at the newest point), the criterion is
    ``|μ_t(x̂_t) - μ_{t-1}(x̂_{t-1})| + 2 σ_f sqrt(log(2/δ) KL)``, in the objective's units: a
    bound, with probability about ``1 - δ``, of the change of the expected simple regret of the
    model's best point (Ishibashi et al., AISTATS 2023; the derivation is in the source of
    ``podbor.terminator.improvement.emmr``). It is large while each trial still changes the model
    and shrinks as the model settles. Its scale depends on the objective, so pair it with
    :class:`~podbor.terminator.MedianErrorEvaluator`, which stops the study once the criterion
    falls below a small share of its early median.

    Args:
        deterministic_objective: Whether the objective returns the same value for the same
            parameters; then the GP's noise is fixed at a tiny value instead of being learned.
        delta: The probability in ``(0, 1)`` allowed outside the bound on the maximum's spread; a
            smaller value gives a larger, more cautious criterion.
        min_n_trials: The criterion needs at least this many complete trials (an int >= 2);
            before that it is ``sys.float_info.max * 0.1``, which never stops a study.
        seed: Accepted for Optuna's signature (an int >= 0 or None); podbor's GP fit draws no
            random numbers, so the criterion does not depend on it.

    Raises:
        ValueError: An argument outside what is allowed (the message names it).

    Example:
        >>> import podbor
        >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=6)
        >>> criterion = EMMREvaluator().evaluate(study.trials, study.direction)
        >>> 0.0 <= criterion < 1e300
        True
    """

    def __init__(
        self,
        deterministic_objective: bool = False,
        delta: float = 0.1,
        min_n_trials: int = 2,
        seed: int | None = None,
    ) -> None:
        owner = "EMMREvaluator"
        self._deterministic = check_bool(
            deterministic_objective, "deterministic_objective", owner=owner
        )
        self._delta = check_real(
            delta,
            "delta",
            owner=owner,
            minimum=0.0,
            maximum=1.0,
            include_minimum=False,
            include_maximum=False,
        )
        self._min_n_trials = check_int(min_n_trials, "min_n_trials", owner=owner, minimum=2)
        self._seed = check_seed(seed, owner=owner)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The criterion after the last complete trial, in the objective's units (>= 0).

        Args:
            trials: The study's trials; the COMPLETE ones are used, in their order (the last one
                is the newest).
            study_direction: Whether the objective is minimized or maximized.

        Returns:
            The criterion, or ``sys.float_info.max * 0.1`` when there are fewer than
            ``min_n_trials`` complete trials or they share no parameter (with a warning).
        """
        completes = complete_trials(trials)
        if len(completes) < self._min_n_trials:
            return _NOT_YET
        data = encode(completes, study_direction)
        if data is None:
            warnings.warn(
                "EMMREvaluator: the complete trials share no parameter with the same "
                "distribution, so the criterion cannot be computed; the study is not stopped.",
                UserWarning,
                stacklevel=2,
            )
            return _NOT_YET
        with single_threaded_blas():  # small matrices: threads cost more than they save
            criterion = self._criterion(data.x, data.y, data.is_categorical)
        return criterion if math.isfinite(criterion) else _NOT_YET

    def _criterion(self, x: FloatArray, y: FloatArray, is_cat: BoolArray) -> float:
        """EMMR after the last row of ``(x, y)`` (``y`` larger is better), in ``y``'s units."""
        z, how = standardize(y)
        params = fit_params(x, z, is_cat, deterministic=self._deterministic)
        now = condition(x, z, is_cat, params)
        before = condition(x[:-1], z[:-1], is_cat, params)
        best_now = float(np.max(now.predict(x)[0]))
        best_before = float(np.max(before.predict(x[:-1])[0]))
        mean_now, var_now = now.predict(x[-1:])
        mean_before, var_before = before.predict(x[-1:])
        kl = _normal_kl(
            float(mean_now[0]),
            max(float(var_now[0]), _MIN_VAR),
            float(mean_before[0]),
            max(float(var_before[0]), _MIN_VAR),
        )
        spread = 2.0 * math.sqrt(params.signal_var * math.log(2.0 / self._delta) * max(kl, 0.0))
        return (abs(best_now - best_before) + spread) * how.scale
