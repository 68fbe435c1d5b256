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

from podbor._validation import check_optional_real, check_real, is_int, is_real
from podbor.exceptions import InvalidArgumentError, invalid_argument

__all__ = [
    "BaseDistribution",
    "CategoricalChoiceType",
    "CategoricalDistribution",
    "FloatDistribution",
    "IntDistribution",
    "check_distribution_compatibility",
    "distribution_to_json",
    "json_to_distribution",
]

CategoricalChoiceType = Union[None, bool, int, float, str]  # noqa: UP007 - a runtime alias
"""The types a categorical choice may have (they are stored exactly and round-trip through JSON)."""

_STEP_TOLERANCE = 1e-8


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
        if not isinstance(other, BaseDistribution) or type(self) is not type(other):
            return NotImplemented
        return self._asdict() == other._asdict()

    def __hash__(self) -> int:
        return hash(
            (type(self).__name__, *sorted((k, _hashable(v)) for k, v in vars(self).items()))
        )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._asdict().items())
        return f"{type(self).__name__}({args})"


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


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
    adjusted = float((d_high - d_low) // d_step * d_step + d_low)
    if not math.isclose(adjusted, high, rel_tol=0.0, abs_tol=1e-12 * max(1.0, abs(high))):
        warnings.warn(
            f"{owner}: the range [{low}, {high}] is not divisible by step={step}; "
            f"high is replaced by {adjusted}.",
            UserWarning,
            stacklevel=_user_stacklevel(),
        )
        return adjusted
    return high


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
        if step is not None:
            high = _adjust_high(low, high, step, owner)
        self.low = low
        self.high = high
        self.log = bool(log)
        self.step = step

    def to_external_repr(self, internal: float) -> float:
        return float(internal)

    def to_internal_repr(self, external: Any) -> float:
        if not is_real(external):
            raise InvalidArgumentError(
                f"A value of FloatDistribution must be a real number. Got {external!r} instead."
            )
        value = float(external)
        if math.isnan(value):
            raise InvalidArgumentError("A value of FloatDistribution must not be NaN.")
        return value

    def single(self) -> bool:
        if self.step is None:
            return self.low == self.high
        return self.high - self.low < self.step

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
        low = _as_int("low", low, owner)
        high = _as_int("high", high, owner)
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
        if not is_real(external):
            raise InvalidArgumentError(
                f"A value of IntDistribution must be an integer. Got {external!r} instead."
            )
        value = float(external)
        if not math.isfinite(value):
            raise InvalidArgumentError(
                f"A value of IntDistribution must be finite. Got {external!r}."
            )
        return value

    def single(self) -> bool:
        return self.high - self.low < self.step

    def _contains(self, internal: float) -> bool:
        if not self.low <= internal <= self.high:
            return False
        k = (internal - self.low) / self.step
        return abs(k - round(k)) < _STEP_TOLERANCE


def _as_int(name: str, value: Any, owner: str) -> int:
    """An int, or a float with an integral value (``2.0`` → ``2``), as an ``int``.

    The value must also fit in a float (the internal representation).
    """
    as_float = check_real(value, name, owner=owner, finite=True, allowed="an integer")
    if is_int(value):
        return int(value)
    if not as_float.is_integer():
        raise invalid_argument(name, value, "an integer", owner=owner)
    return int(as_float)


_CHOICE_TYPES = (type(None), bool, int, float, str)


def _normalize_choice(choice: Any) -> CategoricalChoiceType:
    item = getattr(choice, "item", None)  # numpy scalars → Python scalars (np.float64 too)
    if callable(item) and type(choice).__module__ == "numpy":
        value = item()
        if isinstance(value, _CHOICE_TYPES):
            return value
    if isinstance(choice, _CHOICE_TYPES):
        return choice
    raise invalid_argument(
        "choices",
        choice,
        "a sequence of None, bool, int, float or str (each choice must be one of those types; "
        "pass an index or a name and map it to the object inside the objective)",
        owner="CategoricalDistribution",
    )


class CategoricalDistribution(BaseDistribution):
    """One of a fixed, ordered, non-empty tuple of choices.

    Choices must be ``None``, ``bool``, ``int``, ``float`` or ``str`` so that they can be stored
    and compared exactly. The internal value is the choice's index.

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
        index = int(internal)
        return index == internal and 0 <= index < len(self.choices)

    def _asdict(self) -> dict[str, Any]:
        return {"choices": self.choices}


_CLASSES: dict[str, type[BaseDistribution]] = {
    "FloatDistribution": FloatDistribution,
    "IntDistribution": IntDistribution,
    "CategoricalDistribution": CategoricalDistribution,
}


def distribution_to_json(distribution: BaseDistribution) -> str:
    """Serialize a distribution to a JSON string (no pickle).

    Example:
        >>> distribution_to_json(IntDistribution(1, 3))
        '{"name": "IntDistribution", "attributes": {"low": 1, "high": 3, "log": false, "step": 1}}'
    """
    attrs = distribution._asdict()
    if isinstance(distribution, CategoricalDistribution):
        attrs = {"choices": list(distribution.choices)}
    return json.dumps({"name": type(distribution).__name__, "attributes": attrs})


def json_to_distribution(json_str: str) -> BaseDistribution:
    """Rebuild a distribution from :func:`distribution_to_json`'s output.

    Raises:
        ValueError: If the JSON does not describe a known distribution.
    """
    try:
        payload = json.loads(json_str)
        cls = _CLASSES[payload["name"]]
        attributes = payload["attributes"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise InvalidArgumentError(
            f"The 'json_str' parameter of json_to_distribution must describe one of "
            f"{sorted(_CLASSES)}. Got {json_str!r} instead."
        ) from err
    if cls is CategoricalDistribution:
        return CategoricalDistribution(tuple(attributes["choices"]))
    return cls(**attributes)


def check_distribution_compatibility(old: BaseDistribution, new: BaseDistribution) -> None:
    """Raise when one parameter name is used with two incompatible distributions in one study.

    A float or int range may change from trial to trial (dynamic search spaces), but the kind of
    distribution, its log flag and a categorical's choices may not.

    Raises:
        ValueError: If the two distributions are incompatible; the message names both.
    """
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
    if (
        isinstance(old, CategoricalDistribution)
        and isinstance(new, CategoricalDistribution)
        and old.choices != new.choices
    ):
        raise InvalidArgumentError(
            f"Cannot change the choices of a categorical parameter from {old.choices!r} to "
            f"{new.choices!r} within one study. Use a different parameter name."
        )
