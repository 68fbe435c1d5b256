"""The branches of a conditional search space whose structure one categorical parameter decides.

:class:`Branching` describes such a space (see :mod:`podbor.samplers._gp.branches`, which models
each branch by a GP); :class:`~podbor.samplers.AutoSampler` detects it from the finished trials.
It lives apart from the GP so that describing a space never imports SciPy's optimizers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from podbor._records.frozen_trial import FrozenTrial
from podbor.distributions import BaseDistribution, CategoricalDistribution

__all__ = ["Branching", "SpaceKey"]

SpaceKey = tuple[tuple[str, BaseDistribution], ...]
"""A search space as sorted ``(name, distribution)`` pairs: hashable and comparable."""


@dataclass(frozen=True)
class Branching:
    """A search space split into flat branches by the value of one categorical parameter.

    Attributes:
        root: The name of the categorical parameter that decides the branch.
        distribution: Its distribution.
        spaces: For each choice seen so far (by its index in ``distribution.choices``), the other
            parameters of the trials that took it (single-value ones left out).
    """

    root: str
    distribution: CategoricalDistribution
    spaces: Mapping[int, Mapping[str, BaseDistribution]]

    def search_space(self) -> dict[str, BaseDistribution]:
        """The root and every branch's parameters: the relative search space of a trial."""
        space: dict[str, BaseDistribution] = {self.root: self.distribution}
        for branch in self.spaces.values():
            space.update(branch)
        return space

    def key(self, index: int) -> SpaceKey:
        return tuple(sorted(self.spaces[index].items(), key=lambda kv: kv[0]))

    def index_of(self, trial: FrozenTrial) -> int | None:
        """The branch of a trial (the index of its root value), or None if it has no root yet."""
        if self.root not in trial.params:
            return None
        return int(self.distribution.to_internal_repr(trial.params[self.root]))
