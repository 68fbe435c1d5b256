"""A trial whose parameters are given up front: for re-running an objective on known values."""

from __future__ import annotations

import datetime
import warnings
from typing import Any

from podbor._records.base_trial import BaseTrial, check_report
from podbor.distributions import BaseDistribution, CategoricalDistribution
from podbor.exceptions import InvalidArgumentError, invalid_argument

__all__ = ["FixedTrial"]


class FixedTrial(BaseTrial):
    """Answer ``suggest_*`` calls from a dict, e.g. to retrain the best model.

    Args:
        params: Parameter name → value to return.
        number: The number the trial reports.

    Example:
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -10, 10)
        ...     return (x - 2) ** 2
        >>> objective(FixedTrial({"x": 2.0}))
        0.0
    """

    def __init__(self, params: dict[str, Any], number: int = 0) -> None:
        self._fixed = dict(params)
        self._suggested: dict[str, Any] = {}
        self._distributions: dict[str, BaseDistribution] = {}
        self._user_attrs: dict[str, Any] = {}
        self._system_attrs: dict[str, Any] = {}
        self._intermediate_values: dict[int, float] = {}
        self._datetime_start = datetime.datetime.now()
        self._number = number

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name not in self._fixed:
            raise InvalidArgumentError(
                f"The value of the parameter {name!r} is not given; pass it in the params of "
                f"FixedTrial (given: {sorted(self._fixed)})."
            )
        value = self._fixed[name]
        if isinstance(distribution, CategoricalDistribution) and not (
            distribution.contains_external(value)
        ):  # as in Optuna: a fixed choice must be one of the choices (no warning and go on)
            raise invalid_argument(
                f"params[{name!r}]",
                value,
                f"one of the choices {distribution.choices!r} given to suggest_categorical",
                owner="FixedTrial",
            )
        if not distribution.contains_external(value):
            warnings.warn(
                f"The fixed value {value!r} of {name!r} lies outside {distribution!r}.",
                UserWarning,
                stacklevel=3,
            )
        self._suggested[name] = value
        self._distributions[name] = distribution
        return value

    def report(self, value: float, step: int) -> None:
        """Keep the report (checked as ``Trial.report`` checks it); nothing is ever pruned."""
        number, index = check_report(value, step, owner="FixedTrial.report")
        self._intermediate_values[index] = number

    def should_prune(self) -> bool:
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self._user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        self._system_attrs[key] = value

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._suggested)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self._system_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return self._datetime_start

    @property
    def number(self) -> int:
        return self._number
