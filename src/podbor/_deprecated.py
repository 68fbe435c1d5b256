"""The warning helpers for API whose status is not plain "stable".

Two kinds, one shape each, both warning at the user's line:

* :func:`warn_deprecated` — a ``FutureWarning``: since when, when it goes, what to use instead.
* :func:`warn_experimental` / :func:`experimental` — an
  :class:`~podbor.exceptions.ExperimentalWarning` for the API Optuna documents as experimental
  (a class, a function or one argument), so that code filtering Optuna's warnings keeps working.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from podbor.exceptions import ExperimentalWarning

__all__ = ["experimental", "warn_deprecated", "warn_experimental", "warn_experimental_argument"]

_T = TypeVar("_T")


def warn_deprecated(
    name: str, *, since: str, removed_in: str, replacement: str, stacklevel: int = 2
) -> None:
    """Emit a ``FutureWarning`` that points at the user's line.

    Args:
        name: What is deprecated, e.g. ``"suggest_uniform"``.
        since: The podbor version that deprecated it.
        removed_in: The version that will remove it.
        replacement: What to call instead, e.g. ``"suggest_float(name, low, high)"``.
        stacklevel: How many frames up the user's line is, counted from the caller.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warn_deprecated("f", since="0.1", removed_in="1.0", replacement="g", stacklevel=1)
        >>> "use g instead" in str(caught[0].message)
        True
    """
    warnings.warn(
        f"{name} has been deprecated since podbor {since} (it mirrors Optuna's deprecated API) "
        f"and will be removed in {removed_in}; use {replacement} instead.",
        FutureWarning,
        stacklevel=stacklevel + 1,
    )


def warn_experimental(name: str, *, since: str = "0.1.0", stacklevel: int = 2) -> None:
    """Emit an :class:`~podbor.exceptions.ExperimentalWarning` that points at the user's line.

    Call it where Optuna's documented API is experimental: in a constructor, a function, or when
    an experimental argument is given a non-default value.

    Args:
        name: What is experimental, e.g. ``"QMCSampler"`` or ``"the 'constraints_func' argument"``.
        since: The podbor version that introduced it.
        stacklevel: How many frames up the user's line is, counted from the caller.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warn_experimental("f", stacklevel=1)
        >>> caught[0].category.__name__
        'ExperimentalWarning'
    """
    warnings.warn(
        f"{name} is experimental (supported from podbor {since}). "
        "The interface can change in the future.",
        ExperimentalWarning,
        stacklevel=stacklevel + 1,
    )


def warn_experimental_argument(argument: str, *, owner: str, since: str = "0.1.0") -> None:
    """Warn that ``owner``'s ``argument`` is experimental; call it from ``owner``'s ``__init__``.

    Call it only when the argument was given a non-default value. The warning points at the line
    that called ``owner`` (the user's); when that line is in podbor itself (podbor building the
    object for the user, e.g. ``AutoSampler`` building a ``TPESampler``) nothing is emitted.

    Args:
        argument: The argument's name, e.g. ``"group"``.
        owner: The class or function it belongs to, e.g. ``"TPESampler"``.
        since: The podbor version that introduced it.

    Example:
        >>> def make(group=False):
        ...     if group:
        ...         warn_experimental_argument("group", owner="make")
        >>> make(group=True)  # silent here, in a podbor module (doctests run in one); yours warn
    """
    if not called_from_podbor(depth=3):  # 1: this function, 2: owner's __init__, 3: its caller
        warn_experimental(f"The '{argument}' argument of {owner}", since=since, stacklevel=3)


def experimental(since: str = "0.1.0", *, name: str | None = None) -> Callable[[_T], _T]:
    """Mark a class or a function experimental: using it emits an ``ExperimentalWarning``.

    A class warns when it is instantiated (the wrapped ``__init__``), a function when it is
    called; the warning points at the user's line. podbor's own uses (a call from a module of
    the ``podbor`` package, e.g. ``AutoSampler`` building a ``QMCSampler``) do not warn: only
    the user chose the experimental API.

    Args:
        since: The podbor version that introduced it.
        name: The name to show; the decorated object's ``__qualname__`` by default.

    Returns:
        A decorator returning the same class (with a wrapped ``__init__``) or a wrapped function.

    Example:
        >>> @experimental("0.1.0")
        ... def double(x):
        ...     return 2 * x
        >>> double(2)  # silent here, in a podbor module (doctests run in one); yours warn
        4
    """

    def decorator(obj: _T) -> _T:
        shown: str = name or str(getattr(obj, "__qualname__", repr(obj)))
        if isinstance(obj, type):
            original_init = obj.__init__  # type: ignore[misc]

            @functools.wraps(original_init)
            def init(self: Any, *args: Any, **kwargs: Any) -> None:
                if not called_from_podbor():
                    warn_experimental(shown, since=since)
                original_init(self, *args, **kwargs)

            obj.__init__ = init  # type: ignore[misc]
            return obj
        if not callable(obj):
            raise TypeError(f"@experimental applies to classes and functions, not {obj!r}.")
        func: Callable[..., Any] = obj

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not called_from_podbor():
                warn_experimental(shown, since=since)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def called_from_podbor(depth: int = 2) -> bool:
    """Whether the frame ``depth`` levels above this one runs in a module of podbor itself.

    The default, 2, is the caller of a function wrapped by :func:`experimental`.
    """
    module = sys._getframe(depth).f_globals.get("__name__", "")
    return isinstance(module, str) and (module == "podbor" or module.startswith("podbor."))


def user_stacklevel(instance: object) -> int:
    """The ``stacklevel`` (counted from the caller of this function) of the line that built
    ``instance``: past every frame whose ``self`` is ``instance`` (the ``__init__`` of each
    subclass, the wrapper of :func:`experimental`), so that a warning raised while an object is
    built points at the user's line however deep its class hierarchy is."""
    depth = 1  # sys._getframe(1) is the caller; the stacklevel s of the caller is frame s here
    while sys._getframe(depth).f_locals.get("self") is instance:
        depth += 1
    return depth
