"""Hyperband (Li et al., JMLR 18, 2018) on top of asynchronous successive halving.

Hyperband hedges over how aggressively to stop trials: bracket ``b`` runs successive halving
with minimum early-stopping rate ``b`` (bracket 0 stops most aggressively). Each trial belongs to
one bracket, chosen deterministically from its number with weights proportional to the number
of configurations Hyperband gives each bracket, and competes only with trials of its bracket.
"""

from __future__ import annotations

import math
import zlib

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor._validation import check_int
from podbor.exceptions import invalid_argument
from podbor.pruners._base import BasePruner
from podbor.pruners._common import single_direction
from podbor.pruners._successive_halving import asha_prunes, check_auto_int

__all__ = ["HyperbandPruner"]


class HyperbandPruner(BasePruner):
    """Several successive-halving brackets of different aggressiveness, trials spread over them.

    Args:
        min_resource: The smallest number of steps a trial runs before it may be stopped.
        max_resource: The number of steps of a full trial, or ``"auto"`` (taken from the first
            complete trial; no pruning before one completes). Once worked out, the value is
            kept by the pruner.
        reduction_factor: η >= 2.
        bootstrap_count: Passed to each bracket's successive halving; must be 0 when
            ``max_resource`` is ``"auto"``.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(pruner=HyperbandPruner(min_resource=1, max_resource=27))
        >>> study.pruner.n_brackets(27)
        4
    """

    def __init__(
        self,
        min_resource: int = 1,
        max_resource: str | int = "auto",
        reduction_factor: int = 3,
        bootstrap_count: int = 0,
    ) -> None:
        owner = "HyperbandPruner"
        self._min_resource = check_int(min_resource, "min_resource", owner=owner, minimum=1)
        self._max_resource = check_auto_int(max_resource, "max_resource", owner=owner)
        self._auto = self._max_resource is None
        if self._max_resource is not None and self._max_resource < self._min_resource:
            raise invalid_argument(
                "max_resource",
                max_resource,
                f"'auto' or an int >= min_resource ({min_resource})",
                owner=owner,
            )
        self._reduction_factor = check_int(
            reduction_factor, "reduction_factor", owner=owner, minimum=2
        )
        self._bootstrap = check_int(bootstrap_count, "bootstrap_count", owner=owner, minimum=0)
        if self._bootstrap > 0 and self._auto:
            raise invalid_argument(
                "bootstrap_count", bootstrap_count, "0 when max_resource='auto'", owner=owner
            )

    def n_brackets(self, max_resource: int) -> int:
        """``⌊log_η(max_resource / min_resource)⌋ + 1`` brackets."""
        ratio = max_resource / self._min_resource
        return math.floor(math.log(ratio, self._reduction_factor) + 1e-9) + 1

    def bracket_of(self, trial_number: int, n_brackets: int) -> int:
        """The bracket of a trial: deterministic, weighted by Hyperband's budget per bracket."""
        eta = self._reduction_factor
        weights = [
            math.ceil(n_brackets / (n_brackets - b)) * eta ** (n_brackets - 1 - b)
            for b in range(n_brackets)
        ]
        point = zlib.crc32(str(trial_number).encode()) % sum(weights)
        for bracket, weight in enumerate(weights):
            if point < weight:
                return bracket
            point -= weight
        return n_brackets - 1  # pragma: no cover - the weights add up to the modulus

    def prune(self, study: StudyView, trial: FrozenTrial) -> bool:
        if trial.last_step is None:
            return False
        direction = single_direction(study.directions, type(self).__name__)
        if self._max_resource is None:
            self._max_resource = self._auto_max_resource(study)
        max_resource = self._max_resource
        if max_resource is None:
            return False
        n = self.n_brackets(max_resource)
        bracket = self.bracket_of(trial.number, n)
        peers = [
            t for t in study.get_trials(deepcopy=False) if self.bracket_of(t.number, n) == bracket
        ]
        return asha_prunes(
            trial,
            peers,
            min_resource=self._min_resource,
            reduction_factor=self._reduction_factor,
            min_early_stopping_rate=bracket,
            bootstrap_count=self._bootstrap,
            direction=direction,
        )

    @staticmethod
    def _auto_max_resource(study: StudyView) -> int | None:
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            if t.last_step is not None:
                return max(1, t.last_step + 1)
        return None

    def __repr__(self) -> str:
        return (
            f"HyperbandPruner(min_resource={self._min_resource}, "
            f"max_resource={'auto' if self._auto else self._max_resource!r}, "
            f"reduction_factor={self._reduction_factor}, bootstrap_count={self._bootstrap})"
        )
