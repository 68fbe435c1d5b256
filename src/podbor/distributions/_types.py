"""The distributions users build: a float or int range, and a categorical set of choices.

:mod:`podbor.distributions` re-exports them; see its docstring for the two representations of a
value (external and internal).
"""

from __future__ import annotations

import abc
import decimal
import math
import sys
import warnings
from collections.abc import Sequence
from typing import Any, Union

from podbor._validation import check_optional_real, check_real, is_int, is_real
from podbor.exceptions import InvalidArgumentError, invalid_argument

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
