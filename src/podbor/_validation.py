"""Argument checks for the public API: one module, one message shape.

Every public function and constructor validates its arguments with these helpers, so that a
bad value always gives the same kind of error: an :class:`~podbor.exceptions.InvalidArgumentError`
(a ``ValueError``) that names the argument, its owner, what is allowed and the value, e.g.
``The 'seed' parameter of TPESampler must be an int >= 0 or None. Got -1 instead.``

Each helper returns the value normalized (``numpy.int64(3)`` → ``3``, ``1`` → ``1.0`` for a real),
so callers store what the helper returns. Bools are never accepted as numbers.

Example:
    >>> check_int(5, "n_startup_trials", owner="MedianPruner", minimum=0)
    5
    >>> check_seed(None, owner="RandomSampler") is None
    True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection
from typing import Any, TypeVar

from podbor.exceptions import invalid_argument

__all__ = [
    "check_bool",
    "check_choice",
    "check_instance",
    "check_int",
    "check_optional_int",
    "check_optional_real",
    "check_positive_int",
    "check_real",
    "check_seed",
    "is_int",
    "is_real",
]

T = TypeVar("T")


def is_int(value: Any) -> bool:
    """True for ``int`` and numpy integers, False for bools and everything else.

    Example:
        >>> is_int(3), is_int(True), is_int(3.0)
        (True, False, False)
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for ints, floats and numpy numbers (not bools, not complex).

    Example:
        >>> is_real(0.5), is_real(False), is_real("1")
        (True, False, False)
    """
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _or_none(allowed: str, allow_none: bool) -> str:
    return f"{allowed} or None" if allow_none else allowed


def check_bool(value: Any, name: str, *, owner: str) -> bool:
    """Return ``value`` if it is ``True`` or ``False`` (not 0/1, not a string).

    Example:
        >>> check_bool(True, "multivariate", owner="TPESampler")
        True
    """
    if not isinstance(value, bool):
        raise invalid_argument(name, value, "True or False", owner=owner)
    return value


def _int_allowed(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"an int in [{minimum}, {maximum}]"
    if minimum is not None:
        return f"an int >= {minimum}"
    if maximum is not None:
        return f"an int <= {maximum}"
    return "an int"


def check_int(
    value: Any,
    name: str,
    *,
    owner: str,
    minimum: int | None = None,
    maximum: int | None = None,
    allowed: str | None = None,
) -> int:
    """Return ``value`` as an ``int`` if it is an integer in ``[minimum, maximum]``.

    Args:
        value: What the user passed.
        name: The argument's name.
        owner: The function or class the argument belongs to.
        minimum: The smallest allowed value, or None for no bound.
        maximum: The largest allowed value, or None for no bound.
        allowed: The description of what is allowed, when the default one would mislead
            (e.g. ``"an int >= 1, or -1 for all cores"``).

    Example:
        >>> check_int(3, "n_jobs", owner="Study.optimize", minimum=1)
        3
        >>> check_int(0, "n_jobs", owner="Study.optimize", minimum=1)
        Traceback (most recent call last):
        ...
        podbor.exceptions.InvalidArgumentError: The 'n_jobs' parameter of Study.optimize must be an int >= 1. Got 0 instead.
    """
    if (
        not is_int(value)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        raise invalid_argument(name, value, allowed or _int_allowed(minimum, maximum), owner=owner)
    return int(value)


def check_optional_int(
    value: Any,
    name: str,
    *,
    owner: str,
    minimum: int | None = None,
    maximum: int | None = None,
    allowed: str | None = None,
) -> int | None:
    """:func:`check_int` that also accepts None (and returns it).

    Example:
        >>> check_optional_int(None, "n_trials", owner="Study.optimize", minimum=0) is None
        True
    """
    if value is None:
        return None
    text = allowed or f"{_int_allowed(minimum, maximum)} or None"
    return check_int(value, name, owner=owner, minimum=minimum, maximum=maximum, allowed=text)


def check_positive_int(value: Any, name: str, *, owner: str) -> int:
    """Return ``value`` as an ``int`` if it is an integer >= 1.

    Example:
        >>> check_positive_int(10, "n_ei_candidates", owner="TPESampler")
        10
    """
    return check_int(value, name, owner=owner, minimum=1)


def check_seed(value: Any, *, owner: str, name: str = "seed") -> int | None:
    """Return a sampler's seed as an ``int`` >= 0, or None (one rule for every sampler).

    Negative seeds are refused because ``numpy.random.default_rng`` refuses them; numpy
    integers are accepted.

    Example:
        >>> check_seed(0, owner="GPSampler")
        0
    """
    return check_optional_int(value, name, owner=owner, minimum=0)


def check_real(
    value: Any,
    name: str,
    *,
    owner: str,
    minimum: float | None = None,
    maximum: float | None = None,
    include_minimum: bool = True,
    include_maximum: bool = True,
    allowed: str | None = None,
) -> float:
    """Return ``value`` as a ``float`` if it is a real number in the given interval.

    NaN is always refused; infinities only pass where the interval admits them (an open
    or missing bound).

    Example:
        >>> check_real(0.5, "gamma", owner="TPESampler", minimum=0.0, maximum=1.0)
        0.5
        >>> check_real(2, "timeout", owner="Study.optimize", minimum=0.0, include_minimum=False)
        2.0
    """
    ok = is_real(value) and not math.isnan(float(value))
    if ok:
        v = float(value)
        if minimum is not None:
            ok = v >= minimum if include_minimum else v > minimum
        if ok and maximum is not None:
            ok = v <= maximum if include_maximum else v < maximum
    if not ok:
        text = allowed or _real_allowed(minimum, maximum, include_minimum, include_maximum)
        raise invalid_argument(name, value, text, owner=owner)
    return float(value)


def check_optional_real(
    value: Any,
    name: str,
    *,
    owner: str,
    minimum: float | None = None,
    maximum: float | None = None,
    include_minimum: bool = True,
    include_maximum: bool = True,
    allowed: str | None = None,
) -> float | None:
    """:func:`check_real` that also accepts None (and returns it).

    Example:
        >>> check_optional_real(None, "timeout", owner="Study.optimize", minimum=0.0) is None
        True
    """
    if value is None:
        return None
    text = allowed or (
        f"{_real_allowed(minimum, maximum, include_minimum, include_maximum)} or None"
    )
    return check_real(
        value,
        name,
        owner=owner,
        minimum=minimum,
        maximum=maximum,
        include_minimum=include_minimum,
        include_maximum=include_maximum,
        allowed=text,
    )


def _real_allowed(
    minimum: float | None, maximum: float | None, include_minimum: bool, include_maximum: bool
) -> str:
    if minimum is not None and maximum is not None:
        left = "[" if include_minimum else "("
        right = "]" if include_maximum else ")"
        return f"a number in {left}{minimum}, {maximum}{right}"
    if minimum is not None:
        return f"a number {'>=' if include_minimum else '>'} {minimum}"
    if maximum is not None:
        return f"a number {'<=' if include_maximum else '<'} {maximum}"
    return "a real number"


def check_instance(
    value: Any,
    name: str,
    types: type[T] | tuple[type[Any], ...],
    *,
    owner: str,
    allowed: str,
    allow_none: bool = False,
) -> Any:
    """Return ``value`` if it is an instance of ``types`` (None too with ``allow_none``).

    Args:
        allowed: What is allowed, in words (``"a BaseSampler"``); "or None" is added when
            ``allow_none`` is set.

    Example:
        >>> check_instance(3, "n", int, owner="f", allowed="an int")
        3
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, types):
        raise invalid_argument(name, value, _or_none(allowed, allow_none), owner=owner)
    return value


def check_choice(value: Any, name: str, choices: Collection[Any], *, owner: str) -> Any:
    """Return ``value`` if it is one of ``choices``.

    Example:
        >>> check_choice("rank", "method", ("rank", "value"), owner="f")
        'rank'
    """
    # True == 1 and 1.0 == 1: a choice matches only a value of its own type.
    if not any(type(c) is type(value) and c == value for c in choices):
        listed = ", ".join(repr(c) for c in choices)
        raise invalid_argument(name, value, f"one of {listed}", owner=owner)
    return value
