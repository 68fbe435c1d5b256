"""Search-space distributions: what values a parameter may take.

A distribution knows two representations of a value: the *external* one the objective sees
(a float, an int, or one of the categorical choices) and the *internal* one stored and modelled
(always a float; a categorical's internal value is the index of its choice). Distributions are
immutable value objects; they round-trip through JSON.

Example:
    >>> from podbor.distributions import FloatDistribution, distribution_to_json, json_to_distribution
    >>> d = FloatDistribution(1e-5, 1e-1, log=True)
    >>> json_to_distribution(distribution_to_json(d)) == d
    True
"""

from __future__ import annotations

import abc
import decimal
import json
import math
import sys
import warnings
from collections.abc import Sequence
from typing import Any, Union

from podbor._deprecated import warn_deprecated
from podbor._validation import check_optional_real, check_real, is_int, is_real
from podbor.exceptions import InvalidArgumentError, invalid_argument

__all__ = [
    "BaseDistribution",
    "CategoricalChoiceType",
    "CategoricalDistribution",
    "DiscreteUniformDistribution",
    "FloatDistribution",
    "IntDistribution",
    "IntLogUniformDistribution",
    "IntUniformDistribution",
    "LogUniformDistribution",
    "UniformDistribution",
    "check_distribution_compatibility",
    "distribution_to_json",
    "json_to_distribution",
]

CategoricalChoiceType = Union[None, bool, int, float, str]  # noqa: UP007 - a runtime alias
"""The types a categorical choice may have (they are stored exactly and round-trip through JSON)."""

_STEP_TOLERANCE = 1e-8
_MAX_EXACT_INT = 2**53
"""The largest magnitude of an int bound: values are stored as floats, exact only up to 2**53."""
_DECIMAL_PRECISION = 1000
"""Digits for the exact grid arithmetic: enough for any float bounds and step (1e308 / 5e-324)."""


def _exact_decimals() -> decimal.Context:
    """A decimal context in which a float grid's arithmetic is exact (default precision: 28)."""
    return decimal.Context(prec=_DECIMAL_PRECISION, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


class BaseDistribution(abc.ABC):
    """The contract of a distribution.

    Subclasses are immutable: every attribute is set in ``__init__`` and never changes. Two
    distributions are equal when their class and attributes are equal.
    """

    @abc.abstractmethod
    def to_external_repr(self, internal: float) -> Any:
        """Convert an internal float to the value the objective sees."""

    @abc.abstractmethod
    def to_internal_repr(self, external: Any) -> float:
        """Convert an objective-side value to its internal float.

        Raises:
            ValueError: If the value cannot belong to this distribution.
        """

    @abc.abstractmethod
    def single(self) -> bool:
        """Return True when the distribution allows exactly one value."""

    @abc.abstractmethod
    def _contains(self, internal: float) -> bool:
        """Return True when an internal value lies inside the distribution."""

    def contains_external(self, external: Any) -> bool:
        """Return True when an objective-side value belongs to the distribution."""
        try:
            internal = self.to_internal_repr(external)
        except (ValueError, TypeError):
            return False
        return self._contains(internal)

    def _asdict(self) -> dict[str, Any]:
        return dict(vars(self))

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):  # so ``other`` is a distribution of the same class
            return NotImplemented
        if type(self)._asdict is BaseDistribution._asdict:  # the attributes themselves: no copies
            return vars(self) == vars(other)
        return self._asdict() == other._asdict()

    def __hash__(self) -> int:
        return hash(
            (type(self).__name__, *sorted((k, _hashable(v)) for k, v in vars(self).items()))
        )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._asdict().items())
        return f"{type(self).__name__}({args})"


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return "nan"  # every NaN hashes alike, as they compare equal in a distribution
    try:
        hash(value)
    except TypeError:
        return repr(value)  # an unhashable categorical choice (accepted with a warning)
    return value


def _user_stacklevel() -> int:
    """Return the ``stacklevel`` that makes a warning point at the first frame outside podbor.

    Called by the function that warns; distributions are built directly by users and through
    ``suggest_*``, so a fixed level cannot point at the user's line on both paths.
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("podbor."):
        frame = frame.f_back
        level += 1
    return level


def _adjust_high(low: float, high: float, step: float, owner: str) -> float:
    """Shrink ``high`` onto the grid ``low + k * step``, warning when it moves (exact decimals)."""
    d_low, d_high, d_step = (decimal.Decimal(str(v)) for v in (low, high, step))
    with decimal.localcontext(_exact_decimals()):
        k = (d_high - d_low) // d_step
        grid = [float(j * d_step + d_low) for j in (k, k + 1)]
    tolerance = 1e-12 * max(1.0, abs(high))
    # ``k + 1`` too: a high that was itself moved onto the grid may lie a rounding error below
    # its grid point, and must stay put when the distribution is built again (e.g. from JSON).
    if any(math.isclose(point, high, rel_tol=0.0, abs_tol=tolerance) for point in grid):
        return high
    adjusted = grid[0]
    warnings.warn(
        f"{owner}: the range [{low}, {high}] is not divisible by step={step}; "
        f"high is replaced by {adjusted}.",
        UserWarning,
        stacklevel=_user_stacklevel(),
    )
    return adjusted


class FloatDistribution(BaseDistribution):
    """A float in ``[low, high]``, optionally on a log scale or on the grid ``low + k * step``.

    Args:
        low: Lower bound, inclusive.
        high: Upper bound, inclusive; must be ``>= low``.
        log: Sample on a log scale; needs ``low > 0`` and no ``step``.
        step: Spacing of the grid; ``high`` is moved down onto the grid when it is not on it.

    Example:
        >>> FloatDistribution(0.0, 1.0, step=0.25).to_external_repr(0.5)
        0.5
    """

    def __init__(
        self, low: float, high: float, log: bool = False, step: float | None = None
    ) -> None:
        owner = "FloatDistribution"
        low = check_real(low, "low", owner=owner, finite=True)
        high = check_real(high, "high", owner=owner, finite=True)
        if low > high:
            raise invalid_argument("low", low, f"<= high ({high})", owner=owner)
        if math.isinf(high - low):  # samplers work in the range's width: it must be a float
            raise invalid_argument(
                "high", high, f"a number with high - low finite (low is {low})", owner=owner
            )
        if log and step is not None:
            raise invalid_argument(
                "step",
                step,
                "None when log=True (a log scale and a step cannot be combined)",
                owner=owner,
            )
        if log and low <= 0.0:
            raise invalid_argument("low", low, "> 0 when log=True", owner=owner)
        step = check_optional_real(
            step, "step", owner=owner, minimum=0.0, include_minimum=False, finite=True
        )
        if step is not None and math.isinf((high - low) / step):
            raise invalid_argument(
                "step",
                step,
                f"a finite number > 0 with (high - low) / step finite (high - low is {high - low})",
                owner=owner,
            )
        if step is not None:
            high = _adjust_high(low, high, step, owner)
        self.low = low
        self.high = high
        self.log = bool(log)
        self.step = step

    def to_external_repr(self, internal: float) -> float:
        return float(internal)

    def to_internal_repr(self, external: Any) -> float:
        value = _number_for(self, external)
        if math.isnan(value):
            raise InvalidArgumentError("A value of FloatDistribution must not be NaN.")
        return value

    def contains_external(self, external: Any) -> bool:
        return is_real(external) and super().contains_external(external)

    def single(self) -> bool:
        if self.step is None:
            return self.low == self.high
        # in exact decimals: 0.3 - 0.2 < 0.1 in binary floats, yet [0.2, 0.3] has two points
        d_low, d_high, d_step = (decimal.Decimal(str(v)) for v in (self.low, self.high, self.step))
        with decimal.localcontext(_exact_decimals()):
            return d_high - d_low < d_step

    def _contains(self, internal: float) -> bool:
        if not self.low <= internal <= self.high:
            return False
        if self.step is None:
            return True
        k = (internal - self.low) / self.step
        return abs(k - round(k)) < _STEP_TOLERANCE


class IntDistribution(BaseDistribution):
    """An integer in ``[low, high]``, optionally on a log scale or on the grid ``low + k * step``.

    Args:
        low: Lower bound, inclusive.
        high: Upper bound, inclusive; must be ``>= low``.
        log: Sample on a log scale; needs ``low >= 1`` and ``step == 1``.
        step: Spacing of the grid, an int ``>= 1``.

    Example:
        >>> IntDistribution(1, 10, step=3).high
        10
    """

    def __init__(self, low: int, high: int, log: bool = False, step: int = 1) -> None:
        owner = "IntDistribution"
        low = _as_int("low", low, owner, bounded=True)
        high = _as_int("high", high, owner, bounded=True)
        step = _as_int("step", step, owner)
        if low > high:
            raise invalid_argument("low", low, f"<= high ({high})", owner=owner)
        if step <= 0:
            raise invalid_argument("step", step, "an int >= 1", owner=owner)
        if log and step != 1:
            raise invalid_argument(
                "step",
                step,
                "1 when log=True (a log scale and a step cannot be combined)",
                owner=owner,
            )
        if log and low < 1:
            raise invalid_argument("low", low, ">= 1 when log=True", owner=owner)
        adjusted = (high - low) // step * step + low
        if adjusted != high:
            warnings.warn(
                f"{owner}: the range [{low}, {high}] is not divisible by step={step}; "
                f"high is replaced by {adjusted}.",
                UserWarning,
                stacklevel=_user_stacklevel(),
            )
        self.low = low
        self.high = adjusted
        self.log = bool(log)
        self.step = step

    def to_external_repr(self, internal: float) -> int:
        return round(internal)

    def to_internal_repr(self, external: Any) -> float:
        value = _number_for(self, external)
        if not math.isfinite(value):
            raise InvalidArgumentError(
                f"A value of IntDistribution must be finite. Got {external!r}."
            )
        return value

    def contains_external(self, external: Any) -> bool:
        return is_real(external) and super().contains_external(external)

    def single(self) -> bool:
        return self.high - self.low < self.step

    def _contains(self, internal: float) -> bool:
        if not self.low <= internal <= self.high:
            return False
        k = (internal - self.low) / self.step
        return abs(k - round(k)) < _STEP_TOLERANCE


def _number_for(dist: FloatDistribution | IntDistribution, external: Any) -> float:
    """``external`` as a float, as Optuna converts it: numbers, bools and numeric strings.

    :meth:`~BaseDistribution.contains_external` stays strict: only real numbers (not bools or
    strings) belong to a numeric distribution.
    """
    name = type(dist).__name__
    try:
        value = float(external)
    except (TypeError, ValueError, OverflowError) as err:  # OverflowError: 10**400
        raise InvalidArgumentError(
            f"A value of {name} must be a real number within float range. Got {external!r} instead."
        ) from err
    if dist.log and value <= 0.0:
        raise InvalidArgumentError(
            f"A value of {name} with log=True must be > 0. Got {external!r} instead."
        )
    return value


def _as_int(name: str, value: Any, owner: str, *, bounded: bool = False) -> int:
    """An int, or a float with an integral value (``2.0`` → ``2``), as an ``int``.

    The value must also fit in a float (the internal representation); with ``bounded``, it must
    lie in ``[-2**53, 2**53]``, where a float holds every integer exactly (beyond, the stored
    values would fall off the ``step`` grid). Optuna accepts larger bounds; podbor refuses them.
    """
    allowed = "an integer in [-2**53, 2**53]" if bounded else "an integer"
    as_float = check_real(value, name, owner=owner, finite=True, allowed=allowed)
    if not is_int(value) and not as_float.is_integer():
        raise invalid_argument(name, value, allowed, owner=owner)
    number = int(value) if is_int(value) else int(as_float)
    if bounded and abs(number) > _MAX_EXACT_INT:
        raise invalid_argument(name, value, allowed, owner=owner)
    return number


_CHOICE_TYPES = (type(None), bool, int, float, str)


def _normalize_choice(choice: Any) -> CategoricalChoiceType:
    item = getattr(choice, "item", None)  # numpy scalars → Python scalars (np.float64 too)
    if callable(item) and type(choice).__module__ == "numpy":
        value = item()
        if isinstance(value, _CHOICE_TYPES):
            return value
    if isinstance(choice, _CHOICE_TYPES):
        return choice
    warnings.warn(
        f"CategoricalDistribution: the choice {choice!r} is a {type(choice).__name__}; only "
        "None, bool, int, float and str choices can be stored outside of memory. Pass an index "
        "or a name and map it to the object inside the objective.",
        UserWarning,
        stacklevel=_user_stacklevel(),
    )
    return choice  # type: ignore[no-any-return]


def _choice_key(choice: Any) -> Any:
    """What a choice compares by: its type and value, with every NaN alike."""
    if isinstance(choice, float) and math.isnan(choice):
        return (float, "nan")
    return (type(choice), choice)


class CategoricalDistribution(BaseDistribution):
    """One of a fixed, ordered, non-empty tuple of choices.

    Choices should be ``None``, ``bool``, ``int``, ``float`` or ``str`` so that they can be
    stored and compared exactly; another type is kept with a ``UserWarning`` (as in Optuna) and
    works with the in-memory storage only. The internal value is the choice's index. Two
    distributions are equal when their choices are, type by type (``1`` is not ``True``), NaN
    matching NaN.

    Example:
        >>> d = CategoricalDistribution(("ridge", "lasso"))
        >>> d.to_internal_repr("lasso"), d.to_external_repr(0.0)
        (1.0, 'ridge')
    """

    def __init__(self, choices: Sequence[CategoricalChoiceType]) -> None:
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
            raise invalid_argument(
                "choices",
                choices,
                "a non-empty sequence (tuple or list)",
                owner="CategoricalDistribution",
            )
        if len(choices) == 0:
            raise invalid_argument(
                "choices", choices, "a non-empty sequence", owner="CategoricalDistribution"
            )
        self.choices: tuple[CategoricalChoiceType, ...] = tuple(
            _normalize_choice(c) for c in choices
        )

    def to_external_repr(self, internal: float) -> CategoricalChoiceType:
        return self.choices[int(internal)]

    def to_internal_repr(self, external: Any) -> float:
        if isinstance(external, float) and math.isnan(external):
            for i, c in enumerate(self.choices):
                if isinstance(c, float) and math.isnan(c):
                    return float(i)
        for i, c in enumerate(self.choices):  # exact type first: True must not match 1
            if type(c) is type(external) and c == external:
                return float(i)
        for i, c in enumerate(self.choices):
            if c == external and isinstance(c, bool) == isinstance(external, bool):
                return float(i)
        raise InvalidArgumentError(
            f"The value {external!r} is not one of the choices {self.choices!r}."
        )

    def single(self) -> bool:
        return len(self.choices) == 1

    def _contains(self, internal: float) -> bool:
        return 0 <= int(internal) < len(self.choices)  # the index part, as Optuna reads it

    def _asdict(self) -> dict[str, Any]:
        return {"choices": self.choices}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CategoricalDistribution) or type(self) is not type(other):
            return NotImplemented
        return len(self.choices) == len(other.choices) and all(
            _choice_key(a) == _choice_key(b)
            for a, b in zip(self.choices, other.choices, strict=True)
        )

    def __hash__(self) -> int:
        return super().__hash__()


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
_RANGES = (FloatDistribution, IntDistribution)

_CLASSES: dict[str, type[BaseDistribution]] = {
    "FloatDistribution": FloatDistribution,
    "IntDistribution": IntDistribution,
    "CategoricalDistribution": CategoricalDistribution,
}

# Optuna's deprecated names, read from JSON as the current distribution they stand for.
_OLD_NAMES: dict[str, Any] = {
    "UniformDistribution": lambda a: FloatDistribution(a["low"], a["high"]),
    "LogUniformDistribution": lambda a: FloatDistribution(a["low"], a["high"], log=True),
    "DiscreteUniformDistribution": lambda a: FloatDistribution(a["low"], a["high"], step=a["q"]),
    "IntUniformDistribution": lambda a: IntDistribution(a["low"], a["high"], step=a.get("step", 1)),
    "IntLogUniformDistribution": lambda a: IntDistribution(a["low"], a["high"], log=True),
}

# The abbreviated form, ``{"type": "int", "low": 1, "high": 9}``, accepted by Optuna's CLI.
_ABBREVIATED: dict[str, type[BaseDistribution]] = {
    "float": FloatDistribution,
    "int": IntDistribution,
    "categorical": CategoricalDistribution,
}


def distribution_to_json(distribution: BaseDistribution) -> str:
    """Serialize a distribution to a JSON string (no pickle).

    A deprecated distribution (``UniformDistribution``, …) is written as the current one it
    stands for.

    Example:
        >>> distribution_to_json(IntDistribution(1, 3))
        '{"name": "IntDistribution", "attributes": {"low": 1, "high": 3, "log": false, "step": 1}}'
    """
    distribution = _current(distribution)
    attrs = distribution._asdict()
    if isinstance(distribution, CategoricalDistribution):
        attrs = {"choices": list(distribution.choices)}
    return json.dumps({"name": type(distribution).__name__, "attributes": attrs})


def json_to_distribution(json_str: str) -> BaseDistribution:
    """Rebuild a distribution from JSON.

    Three forms are read: :func:`distribution_to_json`'s output (``{"name": …, "attributes":
    …}``, ``log`` and ``step`` optional for an ``IntDistribution``), the same with one of
    Optuna's deprecated names (read as the current distribution), and the abbreviated form
    ``{"type": "float" | "int" | "categorical", …attributes}``.

    Raises:
        ValueError: If the JSON does not describe a known, valid distribution.

    Example:
        >>> json_to_distribution('{"type": "int", "low": 1, "high": 9}')
        IntDistribution(low=1, high=9, log=False, step=1)
    """
    cls: type[BaseDistribution] | None = None
    try:
        payload = json.loads(json_str)
        if "type" in payload and "name" not in payload:
            attributes = {k: v for k, v in payload.items() if k != "type"}
            cls = _ABBREVIATED[payload["type"]]
        else:
            attributes = payload["attributes"]
            if payload["name"] in _OLD_NAMES:
                return _OLD_NAMES[payload["name"]](attributes)  # type: ignore[no-any-return]
            cls = _CLASSES[payload["name"]]
        if cls is CategoricalDistribution:
            return CategoricalDistribution(tuple(attributes["choices"]))
        return cls(**attributes)
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        allowed = f"describe one of {sorted(_CLASSES)}"
        if cls is not None and isinstance(err, KeyError):
            allowed = f"describe a {cls.__name__} with its {err.args[0]!r} attribute"
        raise invalid_argument("json_str", json_str, allowed, owner="json_to_distribution") from err


def check_distribution_compatibility(old: BaseDistribution, new: BaseDistribution) -> None:
    """Raise when one parameter name is used with two incompatible distributions in one study.

    A float or int range may change from trial to trial (dynamic search spaces), but the kind of
    distribution, its log flag and a categorical's choices may not. A deprecated distribution
    counts as the current one it stands for.

    Raises:
        ValueError: If the two distributions are incompatible; the message names both.
    """
    if type(old) is type(new) and type(old) in _RANGES and old.log == new.log:  # type: ignore[attr-defined]
        return  # the common case, first: the same current range type and scale
    old, new = _current(old), _current(new)
    if type(old) is not type(new):
        raise InvalidArgumentError(
            f"Cannot use {type(new).__name__} for a parameter that was {type(old).__name__} "
            f"in this study ({old!r} vs {new!r}). Use a different parameter name."
        )
    if isinstance(old, (FloatDistribution, IntDistribution)):
        assert isinstance(new, (FloatDistribution, IntDistribution))
        if old.log != new.log:
            raise InvalidArgumentError(
                f"Cannot change log={old.log} to log={new.log} for the same parameter "
                f"({old!r} vs {new!r}). Use a different parameter name."
            )
    if isinstance(old, CategoricalDistribution) and old != new:
        assert isinstance(new, CategoricalDistribution)
        raise InvalidArgumentError(
            f"Cannot change the choices of a categorical parameter from {old.choices!r} to "
            f"{new.choices!r} within one study. Use a different parameter name."
        )
