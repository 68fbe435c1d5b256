"""What ``AutoSampler`` decides from: the finished trials seen so far, and the GP's estimated cost.

Kept apart from the sampler so that the decision's inputs can be read (and tested) alone:
:class:`History` is updated incrementally from the finished trials (which never change),
:func:`estimated_gp_seconds` is a fixed formula (no clock), and a :class:`Decision` is what the
sampler records on each trial.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from podbor._learning_curve import predicted_value
from podbor._records.base_trial import constraints_from_system_attrs
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor.distributions import BaseDistribution, CategoricalDistribution
from podbor.samplers._branching import Branching
from podbor.samplers._common import SeenTrials

__all__ = ["FINISHED", "TIMING_WINDOW", "Decision", "History", "estimated_gp_seconds"]

TIMING_WINDOW = 20
"""How many recent trials the objective's time is a median over."""
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


_GP_COST_MS = (3.0, 0.1, 6.5e-4)
"""Milliseconds of one GP proposal with ``n`` complete trials: ``a + b n + c n²`` (the fit's
linear algebra and the acquisition's optimization), for 6 parameters on a 2-core machine."""


def estimated_gp_seconds(
    n_complete: int, n_params: int, *, since: int = 0, n_objectives: int = 1
) -> float:
    """The GP's estimated seconds per proposal, averaged over the proposals from ``since`` to
    ``n_complete`` complete trials (the study's GP time so far, and the next proposal's).

    With ``m = n_objectives > 1`` the estimate is ``2.5 m`` times the single-objective one: the
    GP alternates log-EHVI over ``m`` GPs and a scalarized GP (measured: 3.4-6 times for two
    objectives and 10 parameters, 7-9 times for three and 7, from 50 to 200 trials).

    An estimate from a fixed formula rather than a measurement, so that decisions built on it do
    not depend on how busy the machine is. It was calibrated within ~20 % of measured times (2-core
    machine; 2 to 20 parameters, up to 700 trials) before the GP's hyper-parameters were refit
    on a schedule; it now errs high, by 2.5x at 100 trials of 6 parameters and 4.7x at 300 of 20
    (median proposals of 9 and 35 ms against 22 and 164 ms estimated), so the cost rule reads
    the clock sooner than it needs to.

    Example:
        >>> round(estimated_gp_seconds(50, 6) * 1e3)  # milliseconds
        6
        >>> estimated_gp_seconds(300, 20) < 0.25
        True
        >>> round(estimated_gp_seconds(100, 7, n_objectives=3) * 1e3)
        80
    """
    first = min(max(since, 0), n_complete)
    n = np.arange(first, n_complete + 1, dtype=float)
    a, b, c = _GP_COST_MS
    per_proposal = (a + b * n + c * n * n) * (0.7 + 0.05 * max(n_params, 1))
    several = 2.5 * n_objectives if n_objectives > 1 else 1.0
    return float(per_proposal.mean()) * several * 1e-3


@dataclass(frozen=True)
class Decision:
    strategy: str  # "qmc", "gp", "gp-branches" or "tpe"
    reason: str
    branching: Branching | None = None  # "gp-branches": the branches
    for_cost: bool = False  # "tpe" because the GP would cost too much time

    def label(self) -> str:
        return f"{self.strategy}: {self.reason}"


class History:
    """What the decisions need from the finished trials, updated incrementally (a finished
    trial never changes): counts by state, and which parameters every finished trial has."""

    def __init__(self) -> None:
        self.seen = SeenTrials()
        self.n_complete = 0
        self.n_pruned = 0
        self.n_predicted = 0  # pruned trials with a predicted final value: the GPs use them
        self.constrained = False  # some finished trial records constraints
        self.counts: collections.Counter[str] = collections.Counter()
        self.dists: dict[str, BaseDistribution] = {}
        self.changed: set[str] = set()
        self.durations: collections.deque[float] = collections.deque(maxlen=TIMING_WINDOW)
        # For each categorical parameter and each of its values (by index): the sets of the
        # other parameters' names seen in the trials that took the value.
        self.structures: dict[str, dict[int, set[frozenset[str]]]] = {}

    def update(self, finished: Sequence[FrozenTrial]) -> None:
        for trial in self.seen.take_new(finished):
            if not self.constrained and constraints_from_system_attrs(trial.system_attrs):
                self.constrained = True
            if trial.state == TrialState.COMPLETE:
                self.n_complete += 1
                if trial.datetime_start is not None and trial.datetime_complete is not None:
                    seconds = (trial.datetime_complete - trial.datetime_start).total_seconds()
                    self.durations.append(max(seconds, 0.0))
            else:
                self.n_pruned += 1
                self.n_predicted += predicted_value(trial) is not None
            for name, dist in trial.distributions.items():
                self.counts[name] += 1
                if self.dists.setdefault(name, dist) != dist:
                    self.changed.add(name)
            for name, dist in trial.distributions.items():
                if isinstance(dist, CategoricalDistribution) and name not in self.changed:
                    index = int(dist.to_internal_repr(trial.params[name]))
                    others = frozenset(trial.distributions) - {name}
                    self.structures.setdefault(name, {}).setdefault(index, set()).add(others)

    @property
    def n_finished(self) -> int:
        return self.n_complete + self.n_pruned

    @property
    def n_observed(self) -> int:
        """The trials a GP learns from: complete ones and pruned ones with a prediction."""
        return self.n_complete + self.n_predicted

    def conditional(self) -> list[str]:
        """Parameters missing from some finished trial, or whose distribution changed."""
        n = self.n_finished
        return sorted(name for name, c in self.counts.items() if c < n or name in self.changed)

    def branching(self) -> Branching | None:
        """The categorical parameter whose value alone decides which other parameters a trial
        has (each value: always the same ones; two values at least: different ones), with the
        parameters of each value seen; None if there is none or a distribution changed.

        With several such parameters, the one with the most distinct branches is taken (then the
        fewest choices, then the name).
        """
        if self.changed:
            return None
        n = self.n_finished
        found: list[tuple[int, int, str]] = []
        for name, by_value in self.structures.items():
            if self.counts[name] < n or any(len(shapes) != 1 for shapes in by_value.values()):
                continue
            shapes = {next(iter(s)) for s in by_value.values()}
            if len(shapes) > 1:
                dist = self.dists[name]
                assert isinstance(dist, CategoricalDistribution)
                found.append((-len(shapes), len(dist.choices), name))
        if not found:
            return None
        root = min(found)[2]
        dist = self.dists[root]
        assert isinstance(dist, CategoricalDistribution)
        spaces = {
            index: {
                other: self.dists[other]
                for other in sorted(next(iter(shapes)))
                if not self.dists[other].single()
            }
            for index, shapes in sorted(self.structures[root].items())
        }
        return Branching(root, dist, spaces)

    def space(self) -> dict[str, BaseDistribution]:
        """The parameters of every finished trial (those with more than one value)."""
        return {
            name: dist
            for name, dist in sorted(self.dists.items())
            if self.counts[name] == self.n_finished
            and name not in self.changed
            and not dist.single()
        }
