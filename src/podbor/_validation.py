"""Argument checks for the public API: one module, one message shape.

Every public function and constructor validates its arguments with these helpers, so that a
bad value always gives the same kind of error: an :class:`~podbor.exceptions.InvalidArgumentError`
(a ``ValueError``) that names the argument, its owner, what is allowed and the value, e.g.
``The 'seed' parameter of TPESampler must be an int >= 0 or None. Got -1 instead.``

Each helper returns the value normalized (``numpy.int64(3)`` → ``3``, ``1`` → ``1.0`` for a real),
so callers store what the helper returns. Bools are never accepted as numbers, and NaN is never
accepted as a real.

Where the default description of what is allowed would mislead, pass ``allowed``: it replaces
the whole description, "or None" included (``"'auto' or an int >= 1"``).

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
from typing import Any

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


def is_int(value: Any) -> bool:
    """True for ``int`` and numpy integers, False for bools and everything else.

    Example:
        >>> is_int(3), is_int(True), is_int(3.0)
        (True, False, False)
    """
    if type(value) is int:  # the usual case, without the abstract-class check
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for ints, floats and numpy numbers (not bools, not complex; NaN is a float).

    Example:
        >>> is_real(0.5), is_real(False), is_real("1")
        (True, False, False)
    """
    if type(value) is float or type(value) is int:  # the usual cases, checked first: fast
        return True
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


# -- integers --------------------------------------------------------------------------
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


# -- reals -----------------------------------------------------------------------------
def _as_float(value: Any) -> float | None:
    """``value`` as a float, or None for a non-number, a bool, NaN or an int past float range."""
    if not is_real(value):
        return None
    try:
        number = float(value)
    except OverflowError:  # e.g. 10**400: no float can stand for it
        return None
    return None if math.isnan(number) else number


def _real_allowed(
    minimum: float | None,
    maximum: float | None,
    include_minimum: bool,
    include_maximum: bool,
    finite: bool,
) -> str:
    noun = "a finite number" if finite else "a number"
    if minimum is not None and maximum is not None:
        left = "[" if include_minimum else "("
        right = "]" if include_maximum else ")"
        return f"{noun} in {left}{minimum}, {maximum}{right}"
    if minimum is not None:
        return f"{noun} {'>=' if include_minimum else '>'} {minimum}"
    if maximum is not None:
        return f"{noun} {'<=' if include_maximum else '<'} {maximum}"
    return noun if finite else "a real number"


def check_real(
    value: Any,
    name: str,
    *,
    owner: str,
    minimum: float | None = None,
    maximum: float | None = None,
    include_minimum: bool = True,
    include_maximum: bool = True,
    finite: bool = False,
    allowed: str | None = None,
) -> float:
    """Return ``value`` as a ``float`` if it is a real number in the given interval.

    NaN is always refused. An infinity passes only where the interval reaches it: without a
    bound on that side (unless ``finite``), or with an infinite bound that is included.

    Args:
        value: What the user passed.
        name: The argument's name.
        owner: The function or class the argument belongs to.
        minimum: The lower bound, or None for none.
        maximum: The upper bound, or None for none.
        include_minimum: Whether ``minimum`` itself is allowed.
        include_maximum: Whether ``maximum`` itself is allowed.
        finite: Refuse ``inf`` and ``-inf`` too.
        allowed: The description of what is allowed, when the default one would mislead.

    Example:
        >>> check_real(0.5, "gamma", owner="TPESampler", minimum=0.0, maximum=1.0)
        0.5
        >>> check_real(2, "timeout", owner="Study.optimize", minimum=0.0, include_minimum=False)
        2.0
        >>> check_real(float("inf"), "low", owner="FloatDistribution", finite=True)
        Traceback (most recent call last):
        ...
        podbor.exceptions.InvalidArgumentError: The 'low' parameter of FloatDistribution must be a finite number. Got inf instead.
    """
    number = _as_float(value)
    if (
        number is None
        or (finite and math.isinf(number))
        or (minimum is not None and (number < minimum if include_minimum else number <= minimum))
        or (maximum is not None and (number > maximum if include_maximum else number >= maximum))
    ):
        text = allowed or _real_allowed(minimum, maximum, include_minimum, include_maximum, finite)
        raise invalid_argument(name, value, text, owner=owner)
    return number


def check_optional_real(
    value: Any,
    name: str,
    *,
    owner: str,
    minimum: float | None = None,
    maximum: float | None = None,
    include_minimum: bool = True,
    include_maximum: bool = True,
    finite: bool = False,
    allowed: str | None = None,
) -> float | None:
    """:func:`check_real` that also accepts None (and returns it).

    Example:
        >>> check_optional_real(None, "timeout", owner="Study.optimize", minimum=0.0) is None
        True
    """
    if value is None:
        return None
    bounds = _real_allowed(minimum, maximum, include_minimum, include_maximum, finite)
    return check_real(
        value,
        name,
        owner=owner,
        minimum=minimum,
        maximum=maximum,
        include_minimum=include_minimum,
        include_maximum=include_maximum,
        finite=finite,
        allowed=allowed or f"{bounds} or None",
    )


# -- instances and choices -------------------------------------------------------------
def _matches_only_as_number(value: Any, kinds: tuple[type[Any], ...]) -> bool:
    """True for a bool that ``kinds`` admit only because a bool is an int."""
    return isinstance(value, bool) and all(
        issubclass(int, kind) and kind is not object for kind in kinds if isinstance(value, kind)
    )


def check_instance(
    value: Any,
    name: str,
    types: type[Any] | tuple[type[Any], ...],
    *,
    owner: str,
    allowed: str,
    allow_none: bool = False,
) -> Any:
    """Return ``value`` if it is an instance of ``types`` (None too with ``allow_none``).

    A bool is not taken for a number: it passes only where ``types`` admit it as a bool, not
    merely as an ``int`` or a ``numbers.Integral``.

    Args:
        value: What the user passed.
        name: The argument's name.
        types: A class or a tuple of classes, as for ``isinstance``.
        owner: The function or class the argument belongs to.
        allowed: What is allowed, in words (``"a BaseSampler"``); "or None" is added when
            ``allow_none`` is set.
        allow_none: Accept None as well.

    Example:
        >>> check_instance(3, "n", int, owner="f", allowed="an int")
        3
        >>> check_instance(True, "n", int, owner="f", allowed="an int")
        Traceback (most recent call last):
        ...
        podbor.exceptions.InvalidArgumentError: The 'n' parameter of f must be an int. Got True instead.
    """
    if value is None and allow_none:
        return None
    kinds = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, kinds) or _matches_only_as_number(value, kinds):
        raise invalid_argument(name, value, _or_none(allowed, allow_none), owner=owner)
    return value


def check_choice(
    value: Any, name: str, choices: Collection[Any], *, owner: str, allow_none: bool = False
) -> Any:
    """Return the choice equal to ``value`` (None too with ``allow_none``).

    A value matches a choice of its own type or a subclass of it (``numpy.str_`` matches a
    ``str``), but a bool never matches a number: ``True == 1`` and ``1.0 == 1`` do not count.

    Args:
        value: What the user passed.
        name: The argument's name.
        choices: The allowed values; they are listed in the message in this order.
        owner: The function or class the argument belongs to.
        allow_none: Accept None as well.

    Example:
        >>> check_choice("rank", "method", ("rank", "value"), owner="f")
        'rank'
        >>> check_choice(1, "order", (True, False), owner="f")
        Traceback (most recent call last):
        ...
        podbor.exceptions.InvalidArgumentError: The 'order' parameter of f must be one of True, False. Got 1 instead.
    """
    if value is None and allow_none:
        return None
    for choice in choices:
        same_kind = isinstance(value, type(choice)) and (
            isinstance(value, bool) == isinstance(choice, bool)
        )
        if same_kind and choice == value:
            return choice
    listed = ", ".join(repr(c) for c in choices)
    raise invalid_argument(name, value, _or_none(f"one of {listed}", allow_none), owner=owner)
