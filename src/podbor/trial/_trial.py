"""The live trial an objective receives from ``Study.optimize`` or ``Study.ask``."""

from __future__ import annotations

import copy
import datetime
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from podbor._records.base_trial import BaseTrial, check_report
from podbor._records.frozen_trial import FrozenTrial
from podbor._study_core import FIXED_PARAMS_KEY, StudyHandle, core_of
from podbor.distributions import BaseDistribution, check_distribution_compatibility
from podbor.exceptions import InvalidArgumentError

if TYPE_CHECKING:
    from podbor.storages import BaseStorage

__all__ = ["BaseTrial", "Trial", "new_trial"]


class Trial(BaseTrial):
    """One evaluation of the objective: it proposes parameters and records reports.

    A ``Trial`` is created by the study; user code only calls its methods. Each ``suggest_*``
    asks the study's sampler (once per name: suggesting the same name again returns the same
    value) and stores the parameter at once, so nothing is lost if the objective crashes later.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> trial = study.ask()
        >>> x = trial.suggest_float("x", -10, 10)
        >>> trial.suggest_float("x", -10, 10) == x
        True
        >>> study.tell(trial, (x - 2) ** 2).state.name
        'COMPLETE'
    """

    def __init__(self, study: StudyHandle, trial_id: int) -> None:
        self._attach(study, copy.deepcopy(core_of(study).get_trial(trial_id)))

    def _attach(self, study: StudyHandle, record: FrozenTrial) -> None:
        """Become the live handle of the running trial ``record`` (this trial's own copy)."""
        self.study = study
        self._trial_id = record._trial_id
        self._core = core_of(study)
        self._cached: FrozenTrial = record
        self._relative_search_space: dict[str, BaseDistribution] | None = None
        self._relative_params: dict[str, Any] | None = None
        self._core.sampler.before_trial(study, self._cached)

    # -- relative sampling, computed once on the first suggest --------------------------
    def _ensure_relative(self) -> None:
        if self._relative_params is not None:
            return
        sampler = self._core.sampler
        space = sampler.infer_relative_search_space(self.study, self._cached)
        self._relative_search_space = space
        # Called even for an empty space, as Optuna does: a sampler may count on the call.
        self._relative_params = sampler.sample_relative(self.study, self._cached, space)

    @property
    def relative_params(self) -> dict[str, Any]:
        """Values the sampler proposed jointly for this trial (computed on first use)."""
        self._ensure_relative()
        assert self._relative_params is not None
        return dict(self._relative_params)

    def _relative_value(self, name: str, distribution: BaseDistribution) -> tuple[bool, Any]:
        """Whether the sampler's joint proposal holds a usable value of ``name``, and the value.

        Raises:
            ValueError: If the sampler proposed ``name`` outside its own joint search space, or
                the space's distribution of ``name`` cannot be the one suggested now.
        """
        self._ensure_relative()
        assert self._relative_params is not None and self._relative_search_space is not None
        if name not in self._relative_params:
            return False, None
        if name not in self._relative_search_space:
            raise InvalidArgumentError(
                f"The sampler {type(self._core.sampler).__name__} proposed {name!r} in "
                "sample_relative, but its relative search space has no such parameter."
            )
        check_distribution_compatibility(self._relative_search_space[name], distribution)
        value = self._relative_params[name]
        return distribution.contains_external(value), value

    # -- suggest ------------------------------------------------------------------------
    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        cached = self._cached
        if name in cached.params:
            previous = cached.distributions[name]
            check_distribution_compatibility(previous, distribution)
            if previous != distribution:
                warnings.warn(
                    f"The parameter {name!r} was suggested with {previous!r} and now with "
                    f"{distribution!r} in one trial; the first value is returned. This is "
                    "likely a mistake in the objective.",
                    UserWarning,
                    stacklevel=4,
                )
            return cached.params[name]
        fixed = cached.system_attrs.get(FIXED_PARAMS_KEY)
        if isinstance(fixed, dict) and name in fixed:
            value = fixed[name]
            if not distribution.contains_external(value):
                warnings.warn(
                    f"The enqueued value {value!r} of {name!r} lies outside {distribution!r}; "
                    "it is used as given.",
                    UserWarning,
                    stacklevel=4,
                )
        elif distribution.single():
            value = distribution.to_external_repr(_single_value(distribution))
        else:
            found, value = self._relative_value(name, distribution)
            if not found:
                value = self._core.sampler.sample_independent(
                    self.study, cached, name, distribution
                )
        internal = distribution.to_internal_repr(value)
        self._core.storage.set_trial_param(self._trial_id, name, internal, distribution)
        external = distribution.to_external_repr(internal)
        cached.params[name] = external
        cached.distributions[name] = distribution
        return external

    # -- reports and pruning ------------------------------------------------------------
    def report(self, value: float, step: int) -> None:
        """Report the objective's value at ``step`` (an epoch, a fold, …) for pruning.

        A second report of the same step is ignored with a warning. NaN is stored but never
        makes a pruner stop the trial by itself.

        Like Optuna, a value that ``float()`` accepts (``"1.5"``, a numpy scalar) and a step that
        ``int()`` accepts exactly (``2.0``, a numpy integer) are taken.

        Raises:
            NotImplementedError: In a multi-objective study.
            TypeError: If ``value`` is no float or ``step`` no int.
            ValueError: If ``step`` is negative or past 2**63 - 1, or ``value`` is beyond float
                range (``10**400``).
        """
        if len(self._core.directions) > 1:
            raise NotImplementedError(
                "Trial.report is not supported for multi-objective studies (pruning needs one value)."
            )
        value, step = check_report(value, step, owner="Trial.report")
        if step in self._cached.intermediate_values:
            warnings.warn(
                f"Trial {self.number} already reported step {step}; the new value {value} is ignored.",
                UserWarning,
                stacklevel=2,
            )
            return
        self._core.storage.set_trial_intermediate_value(self._trial_id, step, value)
        self._cached.intermediate_values[step] = value

    def should_prune(self) -> bool:
        """Ask the study's pruner whether this trial should stop now.

        Example:
            >>> def objective(trial):
            ...     for epoch in range(10):
            ...         trial.report(1.0 / (epoch + 1), epoch)
            ...         if trial.should_prune():
            ...             raise podbor.TrialPruned()
            ...     return 0.1
        """
        if len(self._core.directions) > 1:
            raise NotImplementedError(
                "Trial.should_prune is not supported for multi-objective studies."
            )
        return bool(self._core.pruner.prune(self.study, copy.deepcopy(self._cached)))

    # -- attributes ---------------------------------------------------------------------
    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value, shown as ``user_attrs_<key>`` in the dataframe."""
        self._core.storage.set_trial_user_attr(self._trial_id, key, value)
        self._cached.user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value for podbor's own use."""
        self._core.storage.set_trial_system_attr(self._trial_id, key, value)
        self._cached.system_attrs[key] = value

    @property
    def storage(self) -> BaseStorage:
        """The storage the trial's study lives in."""
        return self._core.storage

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._cached.params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._cached.distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._cached.user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self._cached.system_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return self._cached.datetime_start

    @property
    def number(self) -> int:
        return self._cached.number

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._cached.params})"


def new_trial(
    study: StudyHandle,
    fixed_distributions: Mapping[str, BaseDistribution] | None = None,
    *,
    heartbeat: bool = False,
) -> Trial:
    """Start the study's next trial (the oldest enqueued one first) as a live :class:`Trial`.

    Parameters in ``fixed_distributions`` (name → distribution) are suggested at once, as
    ``Study.ask(fixed_distributions=…)`` promises. ``heartbeat``: the optimize loop's trial,
    which beats (see :meth:`~podbor._study_core.StudyCore.start_trial`).
    """
    trial = Trial.__new__(Trial)  # from the record of the write that started it: no read back
    trial._attach(study, core_of(study).begin_trial(heartbeat=heartbeat))
    for name, distribution in (fixed_distributions or {}).items():
        trial._suggest(name, distribution)
    return trial


def _single_value(distribution: BaseDistribution) -> float:
    low = getattr(distribution, "low", None)
    if low is not None:
        return float(low)
    return 0.0  # a categorical with one choice
