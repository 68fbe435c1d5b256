"""The suggest API shared by every trial-like object (live, fixed and frozen trials)."""

from __future__ import annotations

import abc
import datetime
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from podbor._deprecated import warn_deprecated
from podbor.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import InvalidArgumentError, invalid_argument

__all__ = [
    "CONSTRAINTS_KEY",
    "BaseTrial",
    "check_report",
    "constraints_from_system_attrs",
    "is_feasible",
]

# Constraint values live in a trial's system attributes, as Optuna keeps them: one key
# ``"constraints:<name>"`` per named constraint, or (the older form samplers with a
# ``constraints_func`` write) one list of values under ``"constraints"``, named "0", "1", ….
CONSTRAINTS_KEY = "constraints"


def constraints_from_system_attrs(system_attrs: Mapping[str, Any]) -> dict[str, float]:
    """The constraint values recorded in a trial's system attributes, by name.

    A named value overrides a listed one of the same name (with a warning).

    Example:
        >>> constraints_from_system_attrs({"constraints": [0.5], "constraints:cost": -1.0})
        {'0': 0.5, 'cost': -1.0}
    """
    found: dict[str, float] = {}
    listed = system_attrs.get(CONSTRAINTS_KEY)
    if listed is not None:
        found.update((str(i), v) for i, v in enumerate(listed))
    prefix = CONSTRAINTS_KEY + ":"
    for key, value in system_attrs.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :]
        if name in found:
            warnings.warn(
                f"The constraint {name!r} is recorded twice; the named value {value} is used.",
                UserWarning,
                stacklevel=3,
            )
        found[name] = value
    return found


def is_feasible(trial: BaseTrial) -> bool:
    """True when every constraint value of ``trial`` is <= 0 (so also when it has none).

    Example:
        >>> from podbor.trial import FixedTrial
        >>> trial = FixedTrial({})
        >>> trial.set_constraint("memory", 0.5)
        >>> is_feasible(trial)
        False
    """
    return all(v <= 0.0 for v in trial.constraints.values())


_MAX_STEP = 2**31 - 1  # what every storage stores (a 32-bit INTEGER column)
"""The largest report step: every storage keeps a step as a 64-bit int."""


def check_report(value: Any, step: Any, *, owner: str) -> tuple[float, int]:
    """``(float(value), int(step))`` for ``report``, or the usual error naming the argument.

    Like Optuna, a value that ``float()`` accepts (``"1.5"``, a numpy scalar, ``inf``) and a
    step that ``int()`` accepts exactly (``2.0``, a numpy integer) are taken; a value past float
    range (``10**400``) and a step outside ``[0, 2**31 - 1]`` are a ``ValueError``, a value or
    step of the wrong type a ``TypeError``.

    Example:
        >>> check_report("0.5", 2.0, owner="Trial.report")
        (0.5, 2)
    """
    number = _cast(value, float, "value", "a float (or a value float() accepts)", owner)
    index = _cast(step, int, "step", "an int >= 0", owner)
    if not 0 <= index <= _MAX_STEP:
        raise invalid_argument("step", index, "an int in [0, 2**31 - 1]", owner=owner)
    return number, index


def _cast(value: Any, kind: type[Any], name: str, allowed: str, owner: str) -> Any:
    """``kind(value)``; a TypeError (or, past float range, a ValueError) in the usual shape."""
    try:
        cast = kind(value)
    except OverflowError:
        if kind is int:  # int(inf): a float that is no integer, like 1.5
            cast = None
        else:  # e.g. 10**400 as a value: of the right type, beyond float range
            raise invalid_argument(
                name, value, f"{allowed}, within float range", owner=owner
            ) from None
    except (TypeError, ValueError):
        cast = None
    inexact = kind is int and isinstance(value, float) and not value.is_integer()
    if cast is None or isinstance(value, bool) or inexact:
        raise invalid_argument(name, value, allowed, owner=owner, wrong_type=True) from None
    return cast


_D = TypeVar("_D", bound=BaseDistribution)


def _build(cls: type[_D], owner: str, *args: Any, **kwargs: Any) -> _D:
    """Build a distribution; a validation error names the suggest call instead of the class."""
    try:
        return cls(*args, **kwargs)
    except InvalidArgumentError as err:
        raise InvalidArgumentError(str(err).replace(f"of {cls.__name__}", f"of {owner}")) from None


class BaseTrial(abc.ABC):
    """What an objective may call on a trial: ``suggest_*``, ``report``, ``should_prune``, attrs.

    Subclasses implement ``_suggest(name, distribution)``; the public ``suggest_*`` methods only
    validate their arguments into a distribution.
    """

    __slots__ = ()  # so that FrozenTrial, kept by the 10⁵, can do without a __dict__

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """Suggest a float in ``[low, high]``.

        Args:
            name: The parameter's name, unique within the trial.
            low: Lower bound, inclusive.
            high: Upper bound, inclusive.
            step: Grid spacing (values ``low + k * step``); cannot be combined with ``log``.
            log: Sample on a log scale; needs ``low > 0``.

        Example:
            >>> from podbor.trial import FixedTrial
            >>> FixedTrial({"lr": 1e-3}).suggest_float("lr", 1e-5, 1e-1, log=True)
            0.001
        """
        dist = _build(FloatDistribution, f"suggest_float({name!r})", low, high, log=log, step=step)
        return float(self._suggest(name, dist))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """Suggest an integer in ``[low, high]`` (on the grid ``low + k * step``).

        Example:
            >>> from podbor.trial import FixedTrial
            >>> FixedTrial({"n_layers": 3}).suggest_int("n_layers", 1, 4)
            3
        """
        dist = _build(IntDistribution, f"suggest_int({name!r})", low, high, log=log, step=step)
        return int(self._suggest(name, dist))

    def suggest_categorical(
        self, name: str, choices: Sequence[CategoricalChoiceType]
    ) -> CategoricalChoiceType:
        """Suggest one of ``choices`` (None, bool, int, float or str values).

        Example:
            >>> from podbor.trial import FixedTrial
            >>> FixedTrial({"kind": "svm"}).suggest_categorical("kind", ("svm", "rf"))
            'svm'
        """
        dist = _build(CategoricalDistribution, f"suggest_categorical({name!r})", choices)
        return self._suggest(name, dist)  # type: ignore[no-any-return]

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: use ``suggest_float(name, low, high)``."""
        warn_deprecated(
            "suggest_uniform",
            since="0.1.0",
            removed_in="2.0.0",
            replacement="suggest_float(name, low, high)",
        )
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: use ``suggest_float(name, low, high, log=True)``."""
        warn_deprecated(
            "suggest_loguniform",
            since="0.1.0",
            removed_in="2.0.0",
            replacement="suggest_float(name, low, high, log=True)",
        )
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        """Deprecated: use ``suggest_float(name, low, high, step=q)``."""
        warn_deprecated(
            "suggest_discrete_uniform",
            since="0.1.0",
            removed_in="2.0.0",
            replacement="suggest_float(name, low, high, step=q)",
        )
        return self.suggest_float(name, low, high, step=q)

    # -- constraints --------------------------------------------------------------------------
    @property
    def constraints(self) -> dict[str, float]:
        """Constraint name → value; the trial is feasible when every value is <= 0."""
        return constraints_from_system_attrs(self.system_attrs)

    def set_constraint(self, key: str, value: float) -> None:
        """Record a constraint value; the trial is feasible when all its values are <= 0.

        Feasibility decides :attr:`Study.best_trial <podbor.Study.best_trial>` and
        :attr:`~podbor.Study.best_trials`. A constraint is set once: setting it again
        warns and keeps the first value.

        Args:
            key: The constraint's name.
            value: Its value (anything ``float()`` accepts, except NaN).

        Raises:
            TypeError: If ``value`` cannot be converted to a float.
            ValueError: If ``value`` is NaN.

        Example:
            >>> from podbor.trial import FixedTrial
            >>> trial = FixedTrial({})
            >>> trial.set_constraint("memory_gb", -2.0)
            >>> trial.constraints
            {'memory_gb': -2.0}
        """
        owner = "Trial.set_constraint"
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise TypeError(str(invalid_argument("value", value, "a float", owner=owner))) from None
        if math.isnan(number):
            raise invalid_argument("value", value, "a float that is not NaN", owner=owner)
        attr = f"{CONSTRAINTS_KEY}:{key}"
        if attr in self.system_attrs:
            warnings.warn(
                f"The constraint {key!r} is already set to {self.system_attrs[attr]}; "
                f"the new value {number} is ignored.",
                UserWarning,
                stacklevel=2,
            )
            return
        self.set_system_attr(attr, number)

    @abc.abstractmethod
    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        """Return the external value of ``name`` drawn from (or checked against) ``distribution``."""

    @abc.abstractmethod
    def report(self, value: float, step: int) -> None:
        """Report an intermediate value (e.g. validation score after an epoch or a fold)."""

    @abc.abstractmethod
    def should_prune(self) -> bool:
        """Return True when the pruner says this trial should stop."""

    @abc.abstractmethod
    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to the trial."""

    @abc.abstractmethod
    def set_system_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value for podbor's own use."""

    @property
    @abc.abstractmethod
    def params(self) -> dict[str, Any]:
        """Parameter name → value suggested so far."""

    @property
    @abc.abstractmethod
    def distributions(self) -> dict[str, BaseDistribution]:
        """Parameter name → its distribution."""

    @property
    @abc.abstractmethod
    def user_attrs(self) -> dict[str, Any]:
        """The trial's user attributes."""

    @property
    @abc.abstractmethod
    def system_attrs(self) -> dict[str, Any]:
        """The trial's system attributes."""

    @property
    @abc.abstractmethod
    def datetime_start(self) -> datetime.datetime | None:
        """When the trial started."""

    @property
    @abc.abstractmethod
    def number(self) -> int:
        """The trial's number in its study."""
