"""What every importance evaluator shares: the contract, the trials it reads, their encoding.

An evaluator reads the COMPLETE trials whose target is finite. The tree-based evaluators (fANOVA,
mean decrease impurity) fit one regression forest on one fixed set of columns, so they look only
at parameters that every trial they use has, with one distribution each; PED-ANOVA handles
conditional parameters itself (``_ped_anova.py``).
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from podbor._arrays import FloatArray
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._search_space import SearchSpaceEncoder
from podbor.distributions import BaseDistribution
from podbor.samplers._intersection import intersection_search_space

__all__ = [
    "BaseImportanceEvaluator",
    "Target",
    "check_params_argument",
    "completed_trials",
    "encode_trials",
    "finite_trials",
    "sort_by_importance",
    "target_array",
    "tree_search_space",
]

Target = Callable[[FrozenTrial], float]


class BaseImportanceEvaluator(abc.ABC):
    """The contract of a parameter importance evaluator.

    Subclasses implement :meth:`evaluate`; :func:`~podbor.importance.get_param_importances`
    calls it and normalizes what it returns.

    Example:
        >>> class Constant(BaseImportanceEvaluator):
        ...     def evaluate(self, study, params=None, *, target=None):
        ...         return {name: 1.0 for name in params or []}
        >>> Constant().evaluate(None, ["x"])
        {'x': 1.0}
    """

    @abc.abstractmethod
    def evaluate(
        self,
        study: Any,
        params: list[str] | None = None,
        *,
        target: Target | None = None,
    ) -> dict[str, float]:
        """Each parameter's importance, from the COMPLETE trials of ``study``, largest first.

        Args:
            study: An optimized study.
            params: The parameters to assess; None for the evaluator's default set.
            target: The value to explain (``lambda t: t.values[0]``, ``lambda t:
                t.duration.total_seconds()``, ...); None for the objective value of a
                single-objective study.

        Returns:
            ``{name: importance}``, non-negative, sorted by importance, largest first.
        """
        raise NotImplementedError


def check_params_argument(params: Sequence[str] | None) -> None:
    """Refuse a ``params`` that is not a list (or tuple) of names.

    Raises:
        TypeError: ``params`` is a string or another non-list, or holds a non-string.
    """
    if params is None:
        return
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"params must be a list of parameter names, got {params!r}.")
    if any(not isinstance(p, str) for p in params):
        raise TypeError(f"params must be a list of parameter names (strings), got {params!r}.")


def completed_trials(study: Any) -> list[FrozenTrial]:
    """The study's COMPLETE trials, oldest first (not copied)."""
    return list(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def target_array(trials: Sequence[FrozenTrial], target: Target | None) -> FloatArray:
    """Each trial's target (its single objective value when ``target`` is None)."""
    if target is None:
        return np.array([t.value for t in trials], dtype=float)
    return np.array([target(t) for t in trials], dtype=float)


def finite_trials(trials: Sequence[FrozenTrial], target: Target | None) -> list[FrozenTrial]:
    """The trials whose target (or, without one, every objective value) is finite."""
    if target is not None:
        return [t for t in trials if math.isfinite(target(t))]
    return [t for t in trials if all(math.isfinite(v) for v in t.values or [])]


def tree_search_space(study: Any, params: Sequence[str] | None) -> dict[str, BaseDistribution]:
    """The columns a forest is fitted on: name → distribution, sorted by name.

    Without ``params``: the parameters every COMPLETE trial has with one distribution (the
    intersection search space; conditional parameters drop out). With ``params``: those
    parameters, whose distribution must be the same in every COMPLETE trial that has them all.

    Raises:
        TypeError: ``params`` is not a list of names.
        ValueError: no COMPLETE trial has every parameter of ``params``, or one of them was
            drawn from different distributions (a dynamic search space).
    """
    check_params_argument(params)
    complete = completed_trials(study)
    if params is None:
        return intersection_search_space(complete)
    if not params:
        return {}
    wanted = list(params)
    having = [t for t in complete if all(p in t.distributions for p in wanted)]
    if not having:
        known = sorted({name for t in complete for name in t.distributions})
        raise ValueError(
            f"No COMPLETE trial has every parameter of params={wanted!r}; importances need "
            f"at least one (the COMPLETE trials' parameters are {known})."
        )
    space = {p: having[0].distributions[p] for p in wanted}
    for trial in having[1:]:
        for name, dist in space.items():
            if trial.distributions[name] != dist:
                raise ValueError(
                    f"Parameter {name!r} of params={wanted!r} was drawn from different "
                    f"distributions ({dist!r} and {trial.distributions[name]!r}); importances "
                    "cannot be assessed on a dynamic search space."
                )
    return {name: space[name] for name in sorted(space)}


def encode_trials(
    trials: Sequence[FrozenTrial], space: dict[str, BaseDistribution]
) -> tuple[list[str], FloatArray]:
    """``(names, X)``: the trials' parameters on the unit cube, one column per name (sorted).

    The one encoding of ``podbor._search_space``: log scales in log space, each integer or
    step value and each category owning an equal share of ``[0, 1]``, so a forest's leaf boxes
    measure volume in the space that was searched.
    """
    encoder = SearchSpaceEncoder(space)
    internal: list[Mapping[str, float]] = [
        {name: dist.to_internal_repr(t.params[name]) for name, dist in space.items()}
        for t in trials
    ]
    return list(encoder.names), encoder.encode(internal)


def sort_by_importance(importances: dict[str, float]) -> dict[str, float]:
    """The same dict, largest importance first (ties keep no particular order).

    Example:
        >>> sort_by_importance({"a": 0.1, "b": 0.7, "c": 0.2})
        {'b': 0.7, 'c': 0.2, 'a': 0.1}
    """
    return dict(sorted(importances.items(), key=lambda item: item[1], reverse=True))
