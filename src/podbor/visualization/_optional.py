"""An optional plotting library, imported on first use, with an error that says what to install.

``podbor.visualization`` draws with plotly and ``podbor.visualization.matplotlib`` with
matplotlib; neither is a dependency (``pip install podbor[plot]``). Each backend's import module
holds one :class:`OptionalLibrary`, so ``import podbor`` imports neither library.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["OptionalLibrary"]


class OptionalLibrary:
    """A library a backend draws with: ``require()`` imports it or names the ``pip install``.

    It is also Optuna's ``_imports`` handle of its plotting modules (``is_successful()``,
    ``check()``).

    Args:
        package: The distribution's top-level module (``"plotly"``).
        entry: The module :meth:`require` returns (``"plotly.graph_objects"``).
        default_what: Who needs it, for the error message.

    Example:
        >>> library = OptionalLibrary("no_such_plot_library", "no_such_plot_library", "a plot")
        >>> library.is_available()
        False
        >>> library.require()
        Traceback (most recent call last):
        ...
        ImportError: a plot draws with no_such_plot_library, which is not installed: pip install 'podbor[plot]'  (or: pip install no_such_plot_library)
    """

    def __init__(self, package: str, entry: str, default_what: str) -> None:
        self.package = package
        self.entry = entry
        self.default_what = default_what

    def is_available(self) -> bool:
        """True when the library can be imported."""
        try:
            importlib.import_module(self.package)
        except ImportError:
            return False
        return True

    def require(self, what: str | None = None) -> Any:
        """The entry module, or an ImportError that names the install command."""
        try:
            return importlib.import_module(self.entry)
        except ImportError as err:
            raise ImportError(
                f"{what or self.default_what} draws with {self.package}, which is not installed: "
                f"pip install 'podbor[plot]'  (or: pip install {self.package})",
                name=self.package,
            ) from err

    def module(self, name: str) -> Any:
        """Another module of the library (after :meth:`require`'s check)."""
        self.require()
        return importlib.import_module(name)

    # Optuna's names for the same two questions
    def is_successful(self) -> bool:
        return self.is_available()

    def check(self) -> None:
        self.require()
