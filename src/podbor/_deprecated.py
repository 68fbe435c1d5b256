"""One helper for deprecations: it says since when, when it goes, and what to use instead."""

from __future__ import annotations

import warnings

__all__ = ["warn_deprecated"]


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
