"""Asynchronous successive halving (ASHA; Li et al., "A System for Massively Parallel
Hyperparameter Tuning", MLSys 2020, Algorithm 2).

Rung ``k`` sits at resource (step) ``r_k = min_resource * η ** (s + k)``, ``s`` being the minimum
early-stopping rate. When a trial first reports at or beyond ``r_k``, its report there is its
rung-``k`` value; it goes on only if that value is among the best ``max(1, ⌊n/η⌋)`` of the ``n``
trials that reached the rung so far, else it is pruned. The pruner keeps no state: rung values
are read from the reports, so the answer is a function of the history alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor._validation import check_int
from podbor.exceptions import invalid_argument
from podbor.pruners._base import BasePruner
from podbor.pruners._common import single_direction

__all__ = ["SuccessiveHalvingPruner", "asha_prunes", "auto_min_resource", "check_auto_int"]


def _rung_value(trial: FrozenTrial, resource: int) -> float | None:
    """The trial's report at its first step >= ``resource`` (None if it has not got there)."""
    steps = [s for s in trial.intermediate_values if s >= resource]
    return trial.intermediate_values[min(steps)] if steps else None


def asha_prunes(
    trial: FrozenTrial,
    peers: Sequence[FrozenTrial],
    *,
    min_resource: int,
    reduction_factor: int,
    min_early_stopping_rate: int,
    bootstrap_count: int,
    direction: StudyDirection,
) -> bool:
    """Decide ASHA for ``trial`` at its latest step against ``peers`` (trials of the same bracket).

    The trial is judged at each rung whose first step it has just reached with its latest
    report; earlier rungs were judged before and are not revisited.
    """
    step = trial.last_step
    if step is None:
        return False
    rung = 0
    while True:
        resource = min_resource * reduction_factor ** (min_early_stopping_rate + rung)
        if resource > step:
            return False
        reached_at = min(s for s in trial.intermediate_values if s >= resource)
        if reached_at == step and _not_promotable(
            trial, peers, resource, reduction_factor, bootstrap_count, direction
        ):
            return True
        rung += 1


def _not_promotable(
    trial: FrozenTrial,
    peers: Sequence[FrozenTrial],
    resource: int,
    reduction_factor: int,
    bootstrap_count: int,
    direction: StudyDirection,
) -> bool:
    value = trial.intermediate_values[trial.last_step] if trial.last_step is not None else math.nan
    if math.isnan(value):
        return True  # a NaN report at a rung is never promoted (as in Optuna)
    competing = [value]
    for peer in peers:
        if peer.number == trial.number:
            continue
        v = _rung_value(peer, resource)
        if v is not None and not math.isnan(v):
            competing.append(v)
    if len(competing) <= bootstrap_count:
        return True  # too few trials have reached this rung to promote anyone yet
    competing.sort(reverse=direction == StudyDirection.MAXIMIZE)
    keep = max(1, len(competing) // reduction_factor)
    threshold = competing[keep - 1]
    return value < threshold if direction == StudyDirection.MAXIMIZE else value > threshold


def auto_min_resource(study: StudyView) -> int | None:
    """``max(1, n_steps // 100)`` from the first COMPLETE trial with reports, or None yet."""
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if t.last_step is not None:
            return max(1, (t.last_step + 1) // 100)
    return None


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving: at each rung, only the best ``1/reduction_factor`` of the
    trials that reached it go on.

    Args:
        min_resource: The step of the first rung, or ``"auto"`` (1 % of the steps of the first
            complete trial; no pruning before one completes). Once worked out, the value is
            kept by the pruner.
        reduction_factor: η >= 2; rungs sit at ``min_resource * η ** k``.
        min_early_stopping_rate: ``s`` >= 0; the first rung is at ``min_resource * η ** s``.
        bootstrap_count: No trial is promoted from a rung before this many trials reached it.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))
    """

    def __init__(
        self,
        min_resource: str | int = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
    ) -> None:
        owner = "SuccessiveHalvingPruner"
        self._min_resource = check_auto_int(min_resource, "min_resource", owner=owner)
        self._auto = self._min_resource is None
        self._reduction_factor = check_int(
            reduction_factor, "reduction_factor", owner=owner, minimum=2
        )
        self._rate = check_int(
            min_early_stopping_rate, "min_early_stopping_rate", owner=owner, minimum=0
        )
        self._bootstrap = check_int(bootstrap_count, "bootstrap_count", owner=owner, minimum=0)
        if self._bootstrap > 0 and self._min_resource is None:
            raise invalid_argument(
                "bootstrap_count", bootstrap_count, "0 when min_resource='auto'", owner=owner
            )

    def prune(self, study: StudyView, trial: FrozenTrial) -> bool:
        if trial.last_step is None:
            return False
        direction = single_direction(study.directions, type(self).__name__)
        if self._min_resource is None:
            self._min_resource = auto_min_resource(study)
        min_resource = self._min_resource
        if min_resource is None:
            return False
        return asha_prunes(
            trial,
            study.get_trials(deepcopy=False),
            min_resource=min_resource,
            reduction_factor=self._reduction_factor,
            min_early_stopping_rate=self._rate,
            bootstrap_count=self._bootstrap,
            direction=direction,
        )

    def __repr__(self) -> str:
        return (
            f"SuccessiveHalvingPruner(min_resource={'auto' if self._auto else self._min_resource!r}, "
            f"reduction_factor={self._reduction_factor}, min_early_stopping_rate={self._rate}, "
            f"bootstrap_count={self._bootstrap})"
        )


def check_auto_int(value: Any, name: str, *, owner: str) -> int | None:
    """Return None for ``"auto"``, else ``value`` as an int >= 1 (a resource in steps).

    Example:
        >>> check_auto_int("auto", "min_resource", owner="SuccessiveHalvingPruner") is None
        True
    """
    if isinstance(value, str) and value == "auto":
        return None
    return check_int(value, name, owner=owner, minimum=1, allowed="'auto' or an int >= 1")
