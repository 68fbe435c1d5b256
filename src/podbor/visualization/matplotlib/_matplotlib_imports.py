"""matplotlib, imported on first use (``pip install podbor[plot]``), so ``import podbor`` stays fast.

``plt``, ``Axes``, ``Figure`` and ``matplotlib`` resolve on first access; :func:`require` raises
an ImportError that names the install command when matplotlib is missing.
"""

from __future__ import annotations

from typing import Any

from podbor.visualization._optional import OptionalLibrary

__all__ = ["is_available", "require"]

_imports = OptionalLibrary("matplotlib", "matplotlib.pyplot", "podbor.visualization.matplotlib")
require = _imports.require


def is_available() -> bool:
    """True when matplotlib can be imported.

    Example:
        >>> from podbor.visualization import matplotlib
        >>> isinstance(matplotlib.is_available(), bool)
        True
    """
    return _imports.is_available()


def __getattr__(name: str) -> Any:
    if name == "plt":
        return require()
    if name == "matplotlib":
        return _imports.module("matplotlib")
    if name == "Axes":
        return _imports.module("matplotlib.axes").Axes
    if name == "Figure":
        return _imports.module("matplotlib.figure").Figure
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
