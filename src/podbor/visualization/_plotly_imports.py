"""plotly, imported on first use (``pip install podbor[plot]``), so ``import podbor`` stays fast.

``go``, ``make_subplots`` and ``plotly`` are attributes of this module resolved on first access;
:func:`require` raises an ImportError that names the install command when plotly is missing.
"""

from __future__ import annotations

from typing import Any

from podbor.visualization._optional import OptionalLibrary

__all__ = ["is_available", "require"]

_imports = OptionalLibrary("plotly", "plotly.graph_objects", "podbor.visualization")
require = _imports.require


def is_available() -> bool:
    """True when plotly can be imported, i.e. ``podbor.visualization``'s plots can be drawn.

    Example:
        >>> import podbor
        >>> isinstance(podbor.visualization.is_available(), bool)
        True
    """
    return _imports.is_available()


def __getattr__(name: str) -> Any:
    if name == "go":
        return require()
    if name == "plotly":
        return _imports.module("plotly")
    if name == "make_subplots":
        return _imports.module("plotly.subplots").make_subplots
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
