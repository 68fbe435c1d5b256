"""Optuna's deprecated distributions, and their conversion to the current ones.

``UniformDistribution``, ``LogUniformDistribution``, ``DiscreteUniformDistribution``,
``IntUniformDistribution`` and ``IntLogUniformDistribution`` still build (with a
``FutureWarning``, as in Optuna) and are subclasses of the current range they stand for.
"""

from __future__ import annotations

import warnings
from typing import Any

from podbor._deprecated import warn_deprecated
from podbor.distributions._types import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    _user_stacklevel,
)


class UniformDistribution(FloatDistribution):
    """Deprecated (as in Optuna): use ``FloatDistribution(low, high)``."""

    def __init__(self, low: float, high: float) -> None:
        _warn_old(type(self), "FloatDistribution(low, high)")
        super().__init__(low, high)

    def _asdict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high}


class LogUniformDistribution(FloatDistribution):
    """Deprecated (as in Optuna): use ``FloatDistribution(low, high, log=True)``."""

    def __init__(self, low: float, high: float) -> None:
        _warn_old(type(self), "FloatDistribution(low, high, log=True)")
        super().__init__(low, high, log=True)

    def _asdict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high}


class DiscreteUniformDistribution(FloatDistribution):
    """Deprecated (as in Optuna): use ``FloatDistribution(low, high, step=q)``."""

    def __init__(self, low: float, high: float, q: float) -> None:
        _warn_old(type(self), "FloatDistribution(low, high, step=q)")
        super().__init__(low, high, step=q)

    @property
    def q(self) -> float:
        """The grid's spacing (``step``)."""
        assert self.step is not None  # set by __init__
        return self.step

    def _asdict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "q": self.q}


class IntUniformDistribution(IntDistribution):
    """Deprecated (as in Optuna): use ``IntDistribution(low, high, step=step)``."""

    def __init__(self, low: int, high: int, step: int = 1) -> None:
        _warn_old(type(self), "IntDistribution(low, high, step=step)")
        super().__init__(low, high, step=step)

    def _asdict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "step": self.step}


class IntLogUniformDistribution(IntDistribution):
    """Deprecated (as in Optuna): use ``IntDistribution(low, high, log=True)``.

    ``step`` is accepted as in Optuna, and must be 1.
    """

    def __init__(self, low: int, high: int, step: int = 1) -> None:
        _warn_old(type(self), "IntDistribution(low, high, log=True)")
        super().__init__(low, high, log=True, step=step)

    def _asdict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "step": self.step}


def _warn_old(cls: type[BaseDistribution], replacement: str) -> None:
    warn_deprecated(
        cls.__name__,
        since="0.1.0",
        removed_in="2.0.0",
        replacement=replacement,
        stacklevel=_user_stacklevel(),
    )


def _convert_old_distribution_to_new_distribution(
    distribution: BaseDistribution,
) -> BaseDistribution:
    """The current distribution for a deprecated one, with a ``FutureWarning``; others unchanged.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     old = UniformDistribution(0.0, 1.0)
        ...     new = _convert_old_distribution_to_new_distribution(old)
        >>> new
        FloatDistribution(low=0.0, high=1.0, log=False, step=None)
    """
    new = _current(distribution)
    if new is not distribution:
        warnings.warn(
            f"{type(distribution).__name__} is deprecated and was converted to {new!r}. "
            "See https://github.com/optuna/optuna/issues/2941 for the distributions that "
            "replace the deprecated ones.",
            FutureWarning,
            stacklevel=_user_stacklevel(),
        )
    return new


def _current(distribution: BaseDistribution) -> BaseDistribution:
    if type(distribution) in _CURRENT_TYPES:  # not a deprecated one (they are subclasses)
        return distribution
    if isinstance(distribution, (UniformDistribution, LogUniformDistribution)):
        return FloatDistribution(distribution.low, distribution.high, log=distribution.log)
    if isinstance(distribution, DiscreteUniformDistribution):
        return FloatDistribution(distribution.low, distribution.high, step=distribution.step)
    if isinstance(distribution, (IntUniformDistribution, IntLogUniformDistribution)):
        return IntDistribution(
            distribution.low, distribution.high, log=distribution.log, step=distribution.step
        )
    return distribution


_CURRENT_TYPES = (FloatDistribution, IntDistribution, CategoricalDistribution)
