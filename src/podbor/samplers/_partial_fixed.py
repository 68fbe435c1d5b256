"""Fix some parameters to given values and let another sampler choose the rest."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from podbor._deprecated import experimental
from podbor._records.frozen_trial import FrozenTrial
from podbor._study_view import StudyView
from podbor._validation import check_instance
from podbor.distributions import BaseDistribution
from podbor.samplers._base import BaseSampler

__all__ = ["PartialFixedSampler"]

_OWNER = "PartialFixedSampler"


@experimental("0.1.0")
class PartialFixedSampler(BaseSampler):
    """Wrap a sampler so that the parameters in ``fixed_params`` always take the given values.

    Args:
        fixed_params: Parameter name → the value (external) it must take.
        base_sampler: The sampler that chooses every other parameter.

    Example:
        >>> import podbor
        >>> base = podbor.samplers.RandomSampler(seed=0)
        >>> study = podbor.create_study(sampler=PartialFixedSampler({"y": 1}, base))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("y", 0, 9), n_trials=3)
        >>> {t.params["y"] for t in study.trials}
        {1}
    """

    def __init__(self, fixed_params: dict[str, Any], base_sampler: BaseSampler) -> None:
        check_instance(fixed_params, "fixed_params", Mapping, owner=_OWNER, allowed="a dict")
        check_instance(
            base_sampler, "base_sampler", BaseSampler, owner=_OWNER, allowed="a BaseSampler"
        )
        self._fixed_params = dict(fixed_params)
        self._base_sampler = base_sampler

    def _delegates(self) -> Sequence[BaseSampler]:
        return (self._base_sampler,)

    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space = self._base_sampler.infer_relative_search_space(study, trial)
        return {n: d for n, d in space.items() if n not in self._fixed_params}

    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._base_sampler.sample_relative(study, trial, search_space)

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if param_name not in self._fixed_params:
            return self._base_sampler.sample_independent(
                study, trial, param_name, param_distribution
            )
        value = self._fixed_params[param_name]
        if not param_distribution.contains_external(value):
            warnings.warn(
                f"The fixed value {value!r} of {param_name!r} lies outside {param_distribution!r}; "
                "it is used as given.",
                UserWarning,
                stacklevel=2,
            )
        return value

    def __repr__(self) -> str:
        return f"PartialFixedSampler({self._fixed_params!r}, {self._base_sampler!r})"
