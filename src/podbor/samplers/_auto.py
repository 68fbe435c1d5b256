"""``AutoSampler``: picks, trial by trial, the strategy that suits the study it sees.

No single sampler wins everywhere. On the project's sample-efficiency benchmark a Gaussian
process is best on smooth continuous and mixed spaces, but it does worse than random search on a
conditional space and costs 10-100 times TPE's time per trial; TPE is robust and cheap but
weaker on smooth problems. ``AutoSampler`` looks at the study before each trial and delegates:

1. **start-up** (fewer than ``n_startup_trials`` finished trials): quasi-random (scrambled Sobol)
   points, which cover the space more evenly than random ones;
2. **GP-BO** (:class:`~podbor.samplers.GPSampler`, log-EI maximized inside a trust region around
   the incumbent, which grows after improvements and shrinks after failures: fewer trials go to
   the faces and corners of a space of several dimensions; with several objectives, log-EHVI
   alternating with random Chebyshev scalarizations; constraints recorded with
   ``Trial.set_constraint`` weight either by the probability of feasibility) when the
   finished trials share one search space (no conditional or changing parameter), it has at most
   ``max_gp_params`` parameters and ``max_categorical_choices`` categorical choices, the history
   is at most ``max_gp_trials`` complete trials, at most ``max_gp_workers`` trials run at once,
   most finished trials completed (GP learns nothing from pruned ones), and the GP's time per
   trial goes unnoticed: within ``gp_seconds_allowance``, or else small against the
   objective's (cost-aware and reproducible: see below);
3. **one GP per branch** (:class:`~podbor.samplers._gp.branches.BranchGP`) when the space is
   conditional in the common way: one categorical parameter (``kind = suggest_categorical(...)``
   followed by ``if kind == ...``) alone decides which other parameters a trial has, and each
   branch is a flat space the GP takes. A bandit rule chooses the branch (ThresholdAscent: the
   branch most likely to give one of the best values, with a bonus for branches tried little, so
   that a branch that is the best only once tuned gets tried long enough to be tuned) and a GP
   over the branch's own parameters chooses the point (in a trust region of the branch's own,
   as the flat GP's); the same limits on history, workers, pruned trials and cost as for the GP
   apply;
4. **TPE** otherwise (:class:`~podbor.samplers.TPESampler`: multivariate, grouped, with the
   constant liar), which handles nested or changing conditional spaces (with several objectives,
   any conditional space), many categoricals, pruned trials, long studies and many workers at a
   small cost per trial. With at most ``max_tpe_kernels`` kernels of bad trials, its time per
   trial stays nearly flat as the study grows (8 floats, 2 cores, ask + suggest + tell: 5.3 ms
   at 10³ trials, 6.3 ms at 10⁴ and 17 ms at 10⁵, where uncapped TPE takes 300 ms and Optuna's
   default 2.1 s; ``benchmarks/long_history.py``).

Several objectives go to the GP under the same limits: on ``benchmarks/multi_objective.py``
(ZDT1-3, DTLZ2, DTLZ7, C2-DTLZ2, a constrained design problem, an SVC on digits) it reaches a
larger hypervolume in 100 trials than TPE, NSGA-II and Optuna's GPSampler; see the benchmark's
README section for the table. Its time per trial is estimated at ``2.5 m`` times the
single-objective GP's for ``m`` objectives, so the cost rule below reads the clock sooner.

**Cost-aware, and reproducible.** A GP proposal costs milliseconds to tens of milliseconds
(medians: about 9 ms with 100 complete trials of 6 parameters, 35 ms with 300 trials of 20
parameters, on a 2-core machine): a user does not notice that, even around an objective of
microseconds, and the GP's better proposals are worth it. So the GP is given up for cost only
when both hold:

* its time per trial, averaged over the study so far, exceeds ``gp_seconds_allowance`` (0.25 s
  by default): it is no longer small in absolute terms;
* and that average exceeds ``max_overhead_fraction`` (0.5) of the objective's median time
  (measured between ``before_trial`` and ``after_trial``, less the sampler's own time; the
  stored durations of other workers' trials when this sampler has measured none): it is not
  small against the objective either.

The GP's time is *estimated* from the number of complete trials and of parameters, with a fixed
formula calibrated on a 2-core machine, not measured, and the objective's time is read only when
the estimate exceeds the allowance. With the defaults (the GP for at most ``max_gp_trials=300``
complete trials of at most 20 parameters) the estimate of a single-objective study stays under
the allowance, so no decision depends on a clock: a seeded study proposes the same trials on a
quiet and on a busy machine. (Several objectives cost more: past about 250 trials of 20
parameters with two objectives, or 270 of 7 with three, the clock is read.) Users who raise ``max_gp_trials`` get TPE once the GP would cost them noticeable time
around a cheap objective; to switch back from TPE, the GP must fit with a clear margin (half the
objective's share), so that noisy timings do not flip the strategy back and forth.

Every decision is recorded on the trial as the system attribute ``"auto_sampler"``, a string
``"<strategy>: <reason>"`` (``"gp: 6 parameters, 24 complete trials"``; the strategies are
``qmc``, ``gp``, ``gp-branches`` and ``tpe``; a GP proposal made under the GP's noise rule, when
close trials differ more than the objective's slope explains, ends with ``"; scores look noisy
(close trials differ)"``), visible in
``study.trials_dataframe(attrs=("number", "value", "system_attrs"))`` and the CLI; a change of
strategy is also logged once at INFO level.

Reproducibility: with a ``seed``, the sub-samplers are seeded and a decision depends only on the
history (and, past the allowance, on the objective's measured time). Pass
``max_overhead_fraction=None`` to take timing out of the decisions altogether.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor._validation import check_bool, check_int, check_optional_real, check_real, check_seed
from podbor.distributions import BaseDistribution, CategoricalDistribution
from podbor.logging import get_logger
from podbor.samplers._auto_history import (
    FINISHED,
    TIMING_WINDOW,
    Decision,
    History,
    estimated_gp_seconds,
)
from podbor.samplers._base import BaseSampler
from podbor.samplers._qmc import QMCSampler
from podbor.samplers._random import RandomSampler
from podbor.samplers._tpe import TPESampler

if TYPE_CHECKING:
    from podbor.samplers._gp import GPSampler
    from podbor.samplers._gp.branches import BranchGP

__all__ = ["STRATEGY_ATTR", "AutoSampler"]

_logger = get_logger(__name__)
_OWNER = "AutoSampler"

STRATEGY_ATTR = "auto_sampler"
"""The trial system attribute that records the strategy chosen for a trial, and why."""

NOISE_NOTE = "; scores look noisy (close trials differ)"
"""Appended to a GP trial's recorded reason when its proposal treated the scores as noisy."""

TPE_MAX_KERNELS = 1000
"""The cap on TPE's kernels of bad trials (``TPESampler(max_kernels=...)``): past it, TPE's time
per trial stays flat however long the study (see ``benchmarks/README.md``, "The default at
10⁴ and 10⁵ trials")."""


def _observed(history: History) -> str:
    """What the GP learns from, for a decision's reason: "12 complete trials", and the pruned
    ones with a predicted final value when there are any."""
    text = f"{history.n_complete} complete trials"
    if history.n_predicted:
        text += f" and {history.n_predicted} pruned at their predicted final values"
    return text


class AutoSampler(BaseSampler):
    """The default sampler: quasi-random start-up, then a GP, one GP per branch or TPE, chosen
    per trial.

    See the module documentation for the rules; each trial's choice is stored in its system
    attribute ``"auto_sampler"`` (``"<strategy>: <reason>"``) and a change of strategy is logged.

    Args:
        seed: Seed of the sub-samplers (quasi-random, GP, TPE): an int >= 0, or None for random
            seeds.
        n_startup_trials: Finished trials drawn quasi-randomly before a model is used. Five,
            half of the GP's and TPE's own default: on the sample-efficiency benchmark (20 seeds
            x 60 trials) the model's extra trials cut the median regret on levy6 from 0.36 to
            0.16 and on hartmann6 from 0.08 to 0.04, and changed no other problem by more than
            0.02 (the GP's priors keep its first fits sensible).
        max_gp_trials: The GP is used up to this many complete trials (its fit grows as n³).
        max_gp_params: The GP is used on search spaces of at most this many parameters.
        max_categorical_choices: The GP is used while the categorical parameters have at most
            this many choices in all; beyond, TPE's categorical model is both better and cheaper.
        max_gp_workers: The GP is used while at most this many trials run at once; beyond, TPE
            with the constant liar spreads the workers at a fraction of the cost.
        max_overhead_fraction: Beyond ``gp_seconds_allowance``, the GP is used while its average
            time per trial is at most the allowance plus this fraction of the objective's median
            time; None: never switch for cost (decisions then depend on the history only).
        constant_liar: Give TPE the constant liar (running trials count as bad ones), so that
            parallel workers do not pile onto one point.
        gp_seconds_allowance: Seconds per trial (the GP's estimated time, averaged over the
            study) that the GP may always take, however cheap the objective: a delay no user
            notices. Below it no clock is read, so seeded studies repeat exactly.
        max_tpe_kernels: TPE's ``max_kernels``: at most this many kernels model the bad
            trials, so that TPE's time per trial stays nearly flat on a long study (8
            parameters: 6.3 ms per trial at 10⁴ trials and 17 ms at 10⁵, against 25 ms and
            300 ms uncapped); ``None``: one kernel per trial, as Optuna's TPE. On the
            sample-efficiency benchmark run to 2,000 trials the cap costs no regret
            (``benchmarks/README.md``, "The default sampler at 10⁴ and 10⁵ trials").

    Example:
        >>> import podbor
        >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
        >>> study = podbor.create_study(sampler=AutoSampler(seed=0))
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 2) ** 2, n_trials=30)
        >>> abs(study.best_params["x"] - 2) < 0.5
        True
        >>> study.trials[0].system_attrs["auto_sampler"].split(":")[0]
        'qmc'
        >>> podbor.logging.set_verbosity(podbor.logging.INFO)
    """

    SYSTEM_ATTR = STRATEGY_ATTR
    """The trial system attribute holding each trial's ``"<strategy>: <reason>"``."""

    _STUDY_CACHES = (
        "_history",
        "_decisions",
        "_started",
        "_sampling",
        "_objective_seconds",
        "_last_strategy",
        "_cost_switched",
        "_noise_logged",
    )

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 5,
        max_gp_trials: int = 300,
        max_gp_params: int = 20,
        max_categorical_choices: int = 32,
        max_gp_workers: int = 8,
        max_overhead_fraction: float | None = 0.5,
        constant_liar: bool = True,
        gp_seconds_allowance: float = 0.25,
        max_tpe_kernels: int | None = TPE_MAX_KERNELS,
    ) -> None:
        self._seed = check_seed(seed, owner=_OWNER)
        self._n_startup_trials = check_int(
            n_startup_trials, "n_startup_trials", owner=_OWNER, minimum=0
        )
        self._max_gp_trials = check_int(max_gp_trials, "max_gp_trials", owner=_OWNER, minimum=0)
        self._max_gp_params = check_int(max_gp_params, "max_gp_params", owner=_OWNER, minimum=0)
        self._max_categorical_choices = check_int(
            max_categorical_choices, "max_categorical_choices", owner=_OWNER, minimum=0
        )
        self._max_gp_workers = check_int(max_gp_workers, "max_gp_workers", owner=_OWNER, minimum=1)
        self._fraction = check_optional_real(
            max_overhead_fraction,
            "max_overhead_fraction",
            owner=_OWNER,
            minimum=0.0,
            maximum=math.inf,
            include_minimum=False,
            include_maximum=False,
        )
        self._constant_liar = check_bool(constant_liar, "constant_liar", owner=_OWNER)
        self._allowance = check_real(
            gp_seconds_allowance, "gp_seconds_allowance", owner=_OWNER, minimum=0.0, finite=True
        )
        self._max_tpe_kernels = (
            None
            if max_tpe_kernels is None
            else check_int(max_tpe_kernels, "max_tpe_kernels", owner=_OWNER, minimum=1)
        )
        seeds: list[int | None] = [None] * 5
        if self._seed is not None:
            seeds = [int(s) for s in np.random.SeedSequence(self._seed).generate_state(5)]
        self._qmc, self._tpe = self._startup_and_tpe(seeds[:3])
        self._gp_seed = seeds[3]
        self._gp: GPSampler | None = None  # built on first use: it imports SciPy's optimizers
        self._branch_seed = seeds[4]
        self._branch_gp: BranchGP | None = None  # likewise
        self._lock = threading.RLock()
        self._new_caches()

    def _startup_and_tpe(self, seeds: Sequence[int | None]) -> tuple[QMCSampler, TPESampler]:
        """The quasi-random start-up sampler and TPE, from the first three derived seeds."""
        qmc = QMCSampler(
            scramble=True,  # a seeded start-up that differs from seed to seed
            seed=seeds[0],
            independent_sampler=RandomSampler(seed=seeds[1]),
            warn_independent_sampling=False,
            warn_asynchronous_seeding=False,
        )
        tpe = TPESampler(
            seed=seeds[2],
            n_startup_trials=0,  # the start-up is ours
            multivariate=True,
            group=True,
            constant_liar=self._constant_liar,
            max_kernels=self._max_tpe_kernels,
        )
        return qmc, tpe

    def _new_caches(self) -> None:
        """What the sampler learns from one study: rebuilt, never copied or pickled."""
        self._history = History()
        self._decisions: dict[int, Decision] = {}
        self._started: dict[int, float] = {}
        self._sampling: dict[int, float] = {}
        self._objective_seconds: collections.deque[float] = collections.deque(maxlen=TIMING_WINDOW)
        self._last_strategy: str | None = None
        self._cost_switched = False  # the last decision was TPE for cost
        self._noise_logged = False  # the GP's first proposal under noise was logged

    def __repr__(self) -> str:
        return (
            f"AutoSampler(seed={self._seed}, n_startup_trials={self._n_startup_trials}, "
            f"max_gp_trials={self._max_gp_trials}, max_overhead_fraction={self._fraction}, "
            f"gp_seconds_allowance={self._allowance})"
        )

    # -- the decision ----------------------------------------------------------------------------
    def _gp_sampler(self) -> GPSampler:
        # built under the lock: two threads at the first GP proposal must share one GP, whose
        # pending proposals keep them from proposing the same point
        with self._lock:
            if self._gp is None:
                from podbor.samplers._gp import GPSampler

                gp = GPSampler(
                    seed=self._gp_seed,
                    n_startup_trials=0,  # the start-up is ours
                    independent_sampler=RandomSampler(seed=self._gp_seed),
                    warn_independent_sampling=False,
                    trust_region=True,
                )
                gp._adopt_started(list(self._started))  # this worker's trials, not "blind"
                self._gp = gp
            return self._gp

    def _branches(self) -> BranchGP:
        with self._lock:  # one BranchGP for every thread, as for the GP
            if self._branch_gp is None:
                from podbor.samplers._gp.branches import BranchGP

                self._branch_gp = BranchGP(seed=self._branch_seed)
            return self._branch_gp

    def _sampler(self, strategy: str) -> BaseSampler:
        if strategy == "qmc":
            return self._qmc
        if strategy == "gp":
            return self._gp_sampler()
        return self._tpe  # "tpe"; and "gp-branches" outside its branches' parameters

    def _objective_estimate(self) -> float | None:
        """Median seconds of the objective: measured here, else the stored durations."""
        if self._objective_seconds:
            return float(np.median(self._objective_seconds))
        if self._history.durations:
            return float(np.median(self._history.durations))
        return None

    def _cost_reason(self, n_complete: int, n_params: int, n_objectives: int) -> str | None:
        """Why the GP is too slow for this study, or None if it is not (see the module docs)."""
        if self._fraction is None:
            return None
        gp = estimated_gp_seconds(
            n_complete, n_params, since=self._n_startup_trials, n_objectives=n_objectives
        )
        if gp <= self._allowance:
            return None  # small in absolute terms: no clock is read
        objective = self._objective_estimate()
        if objective is None:
            return None
        share = self._fraction * (0.5 if self._cost_switched else 1.0)  # hysteresis
        if gp <= self._allowance + share * objective:
            return None
        back = f" (half of {self._fraction:g}, to switch back)" if self._cost_switched else ""
        return (
            f"the GP would take ~{gp * 1e3:.3g} ms per trial on average, over the "
            f"{self._allowance:g} s allowance + {share:g}{back} of the objective's "
            f"{objective * 1e3:.3g} ms"
        )

    def _decide(self, study: StudyView, trial: FrozenTrial) -> Decision:
        finished = study.get_trials(deepcopy=False, states=FINISHED)
        if not self._history.seen.same_study(finished):  # the sampler was handed another study
            self._history = History()
            if self._branch_gp is not None:
                self._branch_gp.reset()
        history = self._history
        history.update(finished)
        n = history.n_finished
        if n < self._n_startup_trials:
            return Decision("qmc", f"start-up, {n} of {self._n_startup_trials} trials finished")
        if len(study.directions) != 1:
            return self._decide_several(study, history)
        conditional = history.conditional()
        if conditional:
            branching = history.branching()
            if branching is None:
                shown = ", ".join(repr(c) for c in conditional[:3])
                more = "…" if len(conditional) > 3 else ""
                return Decision("tpe", f"conditional or changing parameters ({shown}{more})")
            for index, branch in branching.spaces.items():
                too_big = self._too_big_for_gp(branch)
                if too_big is not None:
                    choice = branching.distribution.choices[index]
                    return Decision("tpe", f"{too_big} in the branch {branching.root}={choice!r}")
            widest = max((len(b) for b in branching.spaces.values()), default=0)
            limit = self._gp_limits(study, history, widest)
            if limit is not None:
                return limit
            return Decision(
                "gp-branches",
                f"one GP per branch of {branching.root!r} ({len(branching.spaces)} of "
                f"{len(branching.distribution.choices)} tried), {_observed(history)}",
                branching,
            )
        return self._decide_flat(study, history, "")

    def _decide_flat(self, study: StudyView, history: History, what: str) -> Decision:
        """A flat space: the GP if it takes the space and its limits allow, else TPE."""
        space = history.space()
        if not space:
            return Decision("tpe", "no parameter to model jointly")
        too_big = self._too_big_for_gp(space)
        if too_big is not None:
            return Decision("tpe", too_big)
        limit = self._gp_limits(study, history, len(space))
        if limit is not None:
            return limit
        constrained = ", constrained" if history.constrained else ""
        return Decision(
            "gp",
            f"{what}{len(space)} parameters{constrained}, {_observed(history)}",
        )

    def _decide_several(self, study: StudyView, history: History) -> Decision:
        """Several objectives: the GP (log-EHVI and scalarizations) on a flat space it takes."""
        m = len(study.directions)
        conditional = history.conditional()
        if conditional:
            shown = ", ".join(repr(c) for c in conditional[:3]) + (
                "…" if len(conditional) > 3 else ""
            )
            return Decision("tpe", f"{m} objectives, conditional or changing parameters ({shown})")
        return self._decide_flat(study, history, f"{m} objectives, ")

    def _too_big_for_gp(self, space: Mapping[str, BaseDistribution]) -> str | None:
        """Why a (flat) search space is too large for the GP, or None."""
        if len(space) > self._max_gp_params:
            return f"{len(space)} parameters (the GP takes up to {self._max_gp_params})"
        choices = sum(
            len(d.choices) for d in space.values() if isinstance(d, CategoricalDistribution)
        )
        if choices > self._max_categorical_choices:
            return (
                f"{choices} categorical choices (the GP takes up to "
                f"{self._max_categorical_choices})"
            )
        return None

    def _gp_limits(self, study: StudyView, history: History, n_params: int) -> Decision | None:
        """TPE's decision when the history, the workers or the cost rule out the GP; else None."""
        if history.n_observed > self._max_gp_trials:
            return Decision(
                "tpe",
                f"{_observed(history)} (the GP takes up to {self._max_gp_trials})",
            )
        unseen = history.n_pruned - history.n_predicted  # pruned trials the GP cannot use
        if unseen > history.n_observed:
            return Decision(
                "tpe",
                f"{unseen} of {history.n_finished} finished trials pruned without a predicted "
                "final value (TPE learns from them)",
            )
        running = len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
        if running > self._max_gp_workers:
            return Decision(
                "tpe", f"{running} trials running (the GP takes up to {self._max_gp_workers})"
            )
        too_slow = self._cost_reason(history.n_observed, n_params, len(study.directions))
        if too_slow is not None:
            return Decision("tpe", too_slow, for_cost=True)
        return None

    def _decision(self, study: StudyView, trial: FrozenTrial) -> Decision:
        """The trial's decision: made (and recorded) on the first call for the trial."""
        with self._lock:
            decision = self._decisions.get(trial.number)
            if decision is not None:
                return decision
            decision = self._decisions[trial.number] = self._decide(study, trial)
            changed = decision.strategy != self._last_strategy
            self._last_strategy = decision.strategy
            self._cost_switched = decision.for_cost
        study.set_trial_system_attr(trial, STRATEGY_ATTR, decision.label())
        if changed:
            _logger.info(
                f"AutoSampler: trial {trial.number} and the next ones use "
                f"{decision.strategy.upper()} ({decision.reason})."
            )
        return decision

    def _timed(self, trial: FrozenTrial, start: float) -> None:
        seconds = time.perf_counter() - start
        with self._lock:
            self._sampling[trial.number] = self._sampling.get(trial.number, 0.0) + seconds

    # -- BaseSampler ------------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        start = time.perf_counter()
        decision = self._decision(study, trial)
        if decision.branching is not None:
            space = decision.branching.search_space()
        else:
            space = self._sampler(decision.strategy).infer_relative_search_space(study, trial)
        self._timed(trial, start)
        return space

    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        start = time.perf_counter()
        decision = self._decision(study, trial)
        if decision.branching is not None:
            with self._lock:
                started = set(self._started)
            params = self._branches().sample(study, trial, decision.branching, started)
        else:
            params = self._sampler(decision.strategy).sample_relative(study, trial, search_space)
            if decision.strategy == "gp":
                self._note_noise(study, trial, decision)
        self._timed(trial, start)
        return params

    def _note_noise(self, study: StudyView, trial: FrozenTrial, decision: Decision) -> None:
        """Add to the trial's recorded reason that its GP proposal treated the scores as noisy
        (close trials differ: ``podbor.samplers._gp.noise_evidence``); logged once per study."""
        if self._gp is None or not self._gp._saw_noise(trial.number):
            return
        decision = dataclasses.replace(decision, reason=decision.reason + NOISE_NOTE)
        with self._lock:
            self._decisions[trial.number] = decision
            first = not self._noise_logged
            self._noise_logged = True
        study.set_trial_system_attr(trial, STRATEGY_ATTR, decision.label())
        if first:
            _logger.info(
                f"AutoSampler: from trial {trial.number} on, close trials differ more than "
                "the objective's slope explains: the GP models the scores as noisy (no warping of "
                "the values; improvement over the best posterior mean)."
            )

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        start = time.perf_counter()
        strategy = self._decision(study, trial).strategy
        sampler = self._sampler(strategy)
        if strategy in ("gp", "gp-branches"):
            # Outside the GP's joint space (a parameter that appears only now, a branch tried
            # for the first time): TPE's model of it beats the GP's random fallback.
            sampler = self._tpe
        value = sampler.sample_independent(study, trial, param_name, param_distribution)
        self._timed(trial, start)
        return value

    def _delegates(self) -> Sequence[BaseSampler]:
        samplers: list[BaseSampler] = [self._qmc, self._tpe]
        if self._gp is not None:  # built on first use
            samplers.append(self._gp)
        return samplers

    def _trial_started(self, study: StudyView, trial: FrozenTrial) -> None:
        with self._lock:
            self._started[trial.number] = time.perf_counter()

    def _trial_finished(self, study: StudyView, trial: FrozenTrial, state: TrialState) -> None:
        now = time.perf_counter()
        with self._lock:
            started = self._started.pop(trial.number, None)
            sampling = self._sampling.pop(trial.number, 0.0)
            self._decisions.pop(trial.number, None)
            if started is not None and state == TrialState.COMPLETE:
                self._objective_seconds.append(max(now - started - sampling, 0.0))
        if self._branch_gp is not None:
            self._branch_gp.after_trial(trial)

    def _reseed(self) -> None:
        if self._gp is None:
            self._gp_seed = None  # a GP built later must diverge between workers too
        if self._branch_gp is None:
            self._branch_seed = None
        else:
            self._branch_gp.reseed_rng()
