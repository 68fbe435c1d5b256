"""One GP per branch of a search space whose structure is decided by one categorical parameter.

A conditional search space written with plain ``if``::

    kind = trial.suggest_categorical("kind", ["svm", "forest", "linear"])
    if kind == "svm":
        c = trial.suggest_float("svm_C", 1e-3, 1e3, log=True)
        ...
    elif kind == "forest":
        ...

is a union of flat spaces, one per value of the *root* parameter (here ``kind``). One GP cannot
model it (a parameter of one branch does not exist in another), and TPE, which can, chooses the
branch by how often it appears among the good trials: a branch whose random points are poor but
whose tuned optimum is the best of all is seldom tried again once another branch has been tuned.

:class:`BranchGP` treats the branches as the arms of a bandit and each branch as a flat search
space of its own:

* **which branch**: the one with the largest upper confidence bound on the chance that its next
  trial lands among the best quarter of all complete trials so far. This is the rule of
  ThresholdAscent (Streeter & Smith, CP 2006, "A simple distribution-free approach to the max
  k-armed bandit problem"), made for exactly this goal, the best single value rather than the best
  average: with ``n`` trials of which ``s`` are among the best, the bound is
  ``μ + (α + sqrt(2 n μ α + α²)) / n`` with ``μ = s / n`` and ``α = log(2 k N / δ)`` (``k`` branches,
  ``N`` trials, ``δ = 0.1``). A branch tried little keeps a high bound, so it is explored until it
  has had its chance to be tuned; a branch never tried is tried first.
* **where in it**: a GP over the branch's own parameters, fitted on its own complete trials,
  maximizing log-EI against the branch's best inside the branch's own trust region (the GP
  sampler's encoding, kernels, fit, acquisition optimizer and trust-region rule,
  :mod:`~podbor.samplers._gp.trust_region`; running trials of the branch enter as
  kriging-believer fantasies).

A first version compared log-EI across branches against the best value of the whole study (one GP
per branch on a common scale, i.e. BO with a kernel that is zero between branches). On the
project's conditional benchmark it found the best branch in 5 seeds of 10: a branch whose points
are all worse than the study's best sends EI to its corners, where the prior mean (the study's
mean) is better than anything the branch has shown, and two poor corner points close it for
good. The bandit rule with per-branch GPs found it in 8 of 10.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from podbor._arrays import FloatArray
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor.samplers._branching import Branching, SpaceKey
from podbor.samplers._gp.acquisition import Acquisition
from podbor.samplers._gp.proposal import (
    avoid_repeats,
    believe,
    count_blind,
    propose_after_blind,
)
from podbor.samplers._gp.study_model import KernelFit, fit_model, single_threaded_blas
from podbor.samplers._gp.training import TrainingSet, objective_sign, observed_values

__all__ = ["BranchGP"]

_TOP_FRACTION = 0.25
"""The best values are the best quarter of the complete trials (at least one)."""
_DELTA = 0.1
"""ThresholdAscent's confidence parameter δ."""


@dataclass(frozen=True)
class _Proposal:
    index: int  # the branch (the index of the root's value)
    point: FloatArray | None  # encoded, in the branch's columns; None: left to the caller


class BranchGP:
    """Proposes a branch and its parameters from one GP per branch (see the module docs).

    Not a sampler by itself: :class:`~podbor.samplers.AutoSampler` hands it the
    :class:`Branching` it detected and asks for the parameters of a trial.

    Args:
        seed: Seed of the random generator (acquisition candidates, the choice among untried
            branches).
        deterministic_objective: Fix the GP noise at a tiny value, as ``GPSampler`` does.
    """

    def __init__(self, *, seed: int | None = None, deterministic_objective: bool = False) -> None:
        self._rng = np.random.default_rng(seed)
        self._deterministic = deterministic_objective
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget what was learnt of a study (the sampler was handed another one)."""
        with self._lock:
            self._training: dict[int, TrainingSet] = {}
            self._fits: dict[int, KernelFit] = {}
            self._pending: dict[int, tuple[int, SpaceKey, FloatArray]] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Copies and pickles keep the settings and the random state, not the lock or caches."""
        return {"rng": self._rng, "deterministic": self._deterministic}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._rng = state["rng"]
        self._deterministic = state["deterministic"]
        self._lock = threading.RLock()
        self.reset()

    def reseed_rng(self) -> None:
        with self._lock:
            self._rng = np.random.default_rng()

    def after_trial(self, trial: FrozenTrial) -> None:
        with self._lock:
            self._pending.pop(trial.number, None)

    def sample(
        self,
        study: StudyView,
        trial: FrozenTrial,
        branching: Branching,
        started: Collection[int] = (),
    ) -> dict[str, Any]:
        """The root's value and the chosen branch's parameters for ``trial``.

        Returns only the root when the chosen branch has never been tried (its parameters are then
        left to the caller's independent sampler), and ``{}`` when no branch can be modelled.
        ``started``: the numbers of the trials this worker started (the others' running trials
        without a stored root are *blind*: this trial then takes a later point of the believer's
        batch in its branch, as :class:`~podbor.samplers.GPSampler` does).
        """
        with self._lock, single_threaded_blas():
            proposal = self._propose(study, trial, branching, started)
            if proposal is None:
                return {}
            dist = branching.distribution
            params: dict[str, Any] = {branching.root: dist.to_external_repr(proposal.index)}
            if proposal.point is None:  # a first try: other workers must see the branch taken
                self._pending[trial.number] = (proposal.index, (), np.empty(0))
                return params
            key = branching.key(proposal.index)
            self._pending[trial.number] = (proposal.index, key, proposal.point)
            encoder = self._training[proposal.index].encoder
        internal = encoder.decode(proposal.point)
        space = branching.spaces[proposal.index]
        params.update({name: space[name].to_external_repr(v) for name, v in internal.items()})
        return params

    # -- helpers ------------------------------------------------------------------------------------
    def _propose(
        self, study: StudyView, trial: FrozenTrial, branching: Branching, started: Collection[int]
    ) -> _Proposal | None:
        # One read of the study, split by state.
        everything = study.get_trials(deepcopy=False)
        finished = [t for t in everything if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
        failed = [t for t in everything if t.state == TrialState.FAIL]
        running = [
            t for t in everything if t.state == TrialState.RUNNING and t.number != trial.number
        ]
        alive = {t.number for t in running}
        for number in [n for n in self._pending if n not in alive]:
            del self._pending[number]
        # The branch of each running trial: its root, or our proposal before it is stored.
        in_flight = [
            i
            for t in running
            if (
                i := branching.index_of(t)
                if t.number not in self._pending
                else self._pending[t.number][0]
            )
            is not None
        ]
        tried = {branching.index_of(t) for t in [*finished, *failed]} | set(in_flight)
        untried = [i for i in range(len(branching.distribution.choices)) if i not in tried]
        if untried:  # nothing is known of it: try every branch once (a failure counts)
            return _Proposal(int(self._rng.choice(untried)), None)
        # Complete trials, and pruned ones at their predicted final value (LearningCurvePruner).
        observed = [(t, v) for t in finished if (v := observed_values(t)) is not None]
        if not observed:
            return None
        completes = [t for t, _ in observed]
        sign = objective_sign(study)
        values = sign * np.array([v[0] for _, v in observed], dtype=float)
        top = max(1, math.ceil(_TOP_FRACTION * len(completes)))
        threshold = float(np.sort(values)[::-1][top - 1])
        by_branch: dict[int, list[FrozenTrial]] = {}
        hits: dict[int, int] = {}
        for t, v in zip(completes, values):
            index = branching.index_of(t)
            if index is None or index not in branching.spaces:
                continue  # it finished (another process's) after ``branching`` was read
            by_branch.setdefault(index, []).append(t)
            hits[index] = hits.get(index, 0) + int(v >= threshold)
        k = len(branching.spaces)
        alpha = math.log(2 * k * len(completes) / _DELTA)
        # Running trials count as tries already.
        tries = {index: len(rows) + in_flight.count(index) for index, rows in by_branch.items()}

        def rank(index: int) -> tuple[float, int]:  # the highest bound first, then the index
            n = tries[index]
            mu = hits[index] / n
            return -(mu + (alpha + math.sqrt(2 * n * mu * alpha + alpha * alpha)) / n), index

        # Other workers' trials without a branch yet ("blind") are most likely choosing from
        # the same history now: as a batch, each took the best branch in turn, counted as a try.
        # This trial comes after them (one bandit's batch spread over the branches) and, in its
        # branch, after those of them that took it (the believer's next point).
        no_root = [t for t in running if branching.index_of(t) is None]
        ahead = dict.fromkeys(by_branch, 0)
        for _ in range(count_blind(no_root, trial.number, {*self._pending, *started})):
            first = min(by_branch, key=rank)
            tries[first] += 1
            ahead[first] += 1
        for index in sorted(by_branch, key=rank):
            proposal = self._branch_proposal(
                index, branching, by_branch[index], sign, running, ahead[index]
            )
            if proposal is not None:
                return proposal
        return None

    def _branch_proposal(
        self,
        index: int,
        branching: Branching,
        completes: Sequence[FrozenTrial],
        sign: float,
        running: Sequence[FrozenTrial],
        blind: int,
    ) -> _Proposal | None:
        """log-EI's choice in one branch (the ``blind``-th point of the believer's batch), or
        None if it has nothing to tune or nothing is left."""
        key = branching.key(index)
        if not key:
            return None
        training = self._training[index] = TrainingSet.reuse(self._training.get(index), key, sign)
        training.update(completes)
        if training.y.size == 0:
            return None
        n = len(training.x)
        previous, refit = KernelFit.plan(self._fits.get(index), key, n, n_models=1)
        model = fit_model(
            training,
            deterministic=self._deterministic,
            initial=previous[0] if previous is not None else None,
            warp=True,
            refit=refit,
        )
        if refit:
            self._fits[index] = KernelFit(key, (model.gp.params,), n)
        x_running = self._running_rows(index, training, branching, running)
        best = float(np.max(model.gp.y_train))
        # The root fixes the branch, so a repeat of a point of an all-grid branch is a repeat of
        # the whole configuration: never propose one (as GPSampler on an all-grid space), nor a
        # repeat that the branch's repeats show to teach nothing.
        point = propose_after_blind(
            training,
            model,
            lambda believed: Acquisition(believe(model.gp, believed), "logei", best=best),
            self._rng,
            x_running=x_running,
            blind=blind,
            avoid_repeats=avoid_repeats(training, self._deterministic, training.all_grid),
            in_region=True,
        )
        return None if point is None else _Proposal(index, point)

    def _running_rows(
        self,
        index: int,
        training: TrainingSet,
        branching: Branching,
        running: Sequence[FrozenTrial],
    ) -> FloatArray:
        """Encodings of the branch's running trials: stored params, or our pending proposal."""
        pending = {
            number: point
            for number, (i, key, point) in self._pending.items()
            if (i, key) == (index, training.key)
        }
        ours = [t for t in running if branching.index_of(t) in (index, None)]
        return training.running_rows(ours, pending)[0]
